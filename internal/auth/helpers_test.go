package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
)

const (
	region      = "150421"
	otherRegion = "150422"
	deptMarket  = "dept-market"
	deptFarm    = "dept-farm"
	deptAway    = "dept-away" // in otherRegion
)

// seed adds the regions and departments that accounts hang on; the registry
// owns those tables, so the rows are written directly.
func seed(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for _, r := range [][2]string{{region, "阿鲁科尔沁旗"}, {otherRegion, "巴林左旗"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO regions (code, name, level) VALUES (?, ?, 'county')`, r[0], r[1]); err != nil {
				return err
			}
		}
		for _, d := range [][3]string{{deptMarket, region, "市场监督管理局"}, {deptFarm, region, "农牧局"}, {deptAway, otherRegion, "市场监督管理局"}} {
			if _, err := tx.Exec(ctx, `INSERT INTO departments (id, region_code, name, created_at, updated_at) VALUES (?, ?, ?, 0, 0)`,
				d[0], d[1], d[2]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustUser(t testing.TB, db *store.DB, nu auth.NewUser) *auth.User {
	t.Helper()
	if nu.RegionCode == "" {
		nu.RegionCode = region
	}
	if nu.Role == "" {
		nu.Role = auth.RoleOfficer
	}
	if nu.Role == auth.RoleOfficer && nu.DepartmentID == "" {
		nu.DepartmentID = deptMarket
	}
	if nu.Password == "" {
		nu.Password = "correct horse"
	}
	u, err := auth.CreateUser(context.Background(), db, nu)
	if err != nil {
		t.Fatalf("create %s: %v", nu.Username, err)
	}
	return u
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func count(t testing.TB, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
