package plan_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// ibWorld is a banner (Alxa Left, 152921) with an office, three member
// departments and their users, for the inspection and bulletin tests.
// Plans and tasks are written straight into their tables: these tests are
// about what is built on top of them.
type ibWorld struct {
	db                      *store.DB
	office                  *auth.User // the leading-group office
	outsider                *auth.User // the office of Alxa Right Banner
	officeDept              *registry.Department
	market, farm, housing   *registry.Department
	marketUser, farmUser    *auth.User
	marketHead, housingUser *auth.User
}

func newIBWorld(t *testing.T, db *store.DB) *ibWorld {
	t.Helper()
	ctx := context.Background()
	if err := registry.SeedRegions(ctx, db); err != nil {
		t.Fatal(err)
	}
	w := &ibWorld{db: db}
	boot := &auth.User{ID: "boot", Role: auth.RoleAdmin, RegionCode: "152921"}
	dept := func(name, short, en string, office bool) *registry.Department {
		d, err := registry.CreateDepartment(ctx, db, boot, registry.DepartmentInput{Name: name, ShortName: short, NameEn: en, IsOffice: office})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	w.officeDept = dept("阿拉善左旗质量强旗工作领导小组办公室", "质强办", "Quality Office", true)
	w.market = dept("阿拉善左旗市场监督管理局", "市场监管局", "Market Regulation Bureau", false)
	w.farm = dept("阿拉善左旗农牧局", "农牧局", "Agriculture and Animal Husbandry Bureau", false)
	w.housing = dept("阿拉善左旗住房和城乡建设局", "住建局", "Housing and Construction Bureau", false)
	w.office = w.user(t, "office", "质强办", auth.RoleAdmin, "152921", w.officeDept.ID)
	w.marketUser = w.user(t, "market1", "市场监管局 张三", auth.RoleOfficer, "152921", w.market.ID)
	w.marketHead = w.user(t, "market2", "市场监管局 李四", auth.RoleOfficer, "152921", w.market.ID)
	w.farmUser = w.user(t, "farm1", "农牧局 王五", auth.RoleOfficer, "152921", w.farm.ID)
	w.housingUser = w.user(t, "housing1", "住建局 赵六", auth.RoleOfficer, "152921", w.housing.ID)
	w.outsider = &auth.User{ID: "right-office", Role: auth.RoleAdmin, RegionCode: "152922"}
	return w
}

func (w *ibWorld) user(t testing.TB, username, name string, role auth.Role, region, dept string) *auth.User {
	t.Helper()
	u := &auth.User{ID: store.NewID(), Username: username, Name: name, Role: role, RegionCode: region, DepartmentID: dept}
	now := store.Now()
	if _, err := w.db.Exec(context.Background(), `INSERT INTO users (id, username, name, password_hash, role, region_code,
		department_id, lang, disabled, password_changed_at, created_at, updated_at, search_key)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, u.ID, username, name, "x", string(role), region, dept, "", false, now, now, now,
		strings.ToLower(username+" "+name)); err != nil {
		t.Fatal(err)
	}
	return u
}

// ibAt is noon of a 'YYYY-MM-DD' day in Asia/Shanghai, in Unix ms.
func ibAt(t testing.TB, day string) int64 {
	t.Helper()
	d, err := workday.ParseDate(day)
	if err != nil {
		t.Fatal(err)
	}
	return store.Millis(d.Add(12 * time.Hour))
}

func ibDay(t testing.TB, day string) time.Time {
	t.Helper()
	d, err := workday.ParseDate(day)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// plan stores a published 2021 plan with one work point and returns the
// plan's and the item's IDs.
func (w *ibWorld) plan(t testing.TB, title string) (planID, itemID string) {
	t.Helper()
	ctx := context.Background()
	planID, itemID = store.NewID(), store.NewID()
	now := store.Now()
	if _, err := w.db.Exec(ctx, `INSERT INTO plans (id, region_code, year, title, status, published_at, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?)`, planID, "152921", 2021, title, "published", ibAt(t, "2021-01-04"), now, now); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Exec(ctx, `INSERT INTO plan_items (id, plan_id, region_code, seq, label, level, content, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?)`, itemID, planID, "152921", 1, "一", 1, "健全质量监管体系", now, now); err != nil {
		t.Fatal(err)
	}
	return planID, itemID
}

// ibTask describes a task row.
type ibTask struct {
	Plan, Item, Title, Dept, Owner string
	Seq                            int
	Deadline                       string // default 2021-12-31
	Status                         string // default signed
	Percent                        float64
	Light, Cause                   string
	YellowStreak                   int
	DoneOn                         string // sets done_at and status done
	Measure                        string
	Parent                         string
	PublishedOn                    string // default 2021-01-05
}

func (w *ibWorld) task(t testing.TB, s ibTask) string {
	t.Helper()
	id := store.NewID()
	if s.Deadline == "" {
		s.Deadline = "2021-12-31"
	}
	if s.Status == "" {
		s.Status = "signed"
	}
	var done any
	if s.DoneOn != "" {
		s.Status, done = "done", ibAt(t, s.DoneOn)
	}
	var owner, parent any
	if s.Owner != "" {
		owner = s.Owner
	}
	if s.Parent != "" {
		parent = s.Parent
	}
	var published any
	if s.PublishedOn == "" {
		s.PublishedOn = "2021-01-05"
	}
	if s.Status != "draft" {
		published = ibAt(t, s.PublishedOn)
	}
	now := store.Now()
	if _, err := w.db.Exec(context.Background(), `INSERT INTO tasks (id, plan_id, item_id, parent_task_id, region_code, seq, title,
		lead_department_id, owner_id, start_date, deadline, measure_key, status, percent, light, light_cause, yellow_streak,
		published_at, done_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		id, s.Plan, s.Item, parent, "152921", s.Seq, s.Title, s.Dept, owner, "2021-01-01", s.Deadline, s.Measure, s.Status,
		s.Percent, s.Light, s.Cause, s.YellowStreak, published, done, now, now); err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *ibWorld) report(t testing.TB, taskID, day string, percent float64, note string) {
	t.Helper()
	if _, err := w.db.Exec(context.Background(), `INSERT INTO progress_reports (id, task_id, region_code, period, percent, note,
		reported_by, reported_at) VALUES (?,?,?,?,?,?,?,?)`, store.NewID(), taskID, "152921", day[:7], percent, note, "u", ibAt(t, day)); err != nil {
		t.Fatal(err)
	}
}

func (w *ibWorld) light(t testing.TB, taskID, day, light, cause, params string) {
	t.Helper()
	if _, err := w.db.Exec(context.Background(), `INSERT INTO task_lights (id, task_id, light, cause, params, day, at)
		VALUES (?,?,?,?,?,?,?)`, store.NewID(), taskID, light, cause, params, day, ibAt(t, day)); err != nil {
		t.Fatal(err)
	}
}

func ibCount(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// ibWantRule fails unless err is a field error naming field with rule.
func ibWantRule(t testing.TB, err error, field, rule string) {
	t.Helper()
	l, ok := fielderr.As(err)
	if !ok {
		t.Fatalf("error = %v, want %s on %s", err, rule, field)
	}
	for _, e := range l {
		if e.Field == field && e.Rule == rule {
			return
		}
	}
	t.Fatalf("errors %v do not include %s on %s", l, rule, field)
}

func ibWantIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// ibSnapshot counts the rows every write here touches, to show that a
// refused write changed nothing.
func ibSnapshot(t testing.TB, db *store.DB) string {
	t.Helper()
	var parts []string
	for _, table := range []string{"inspections", "inspection_tasks", "inspection_draws", "findings", "rectifications",
		"rectification_updates", "bulletins", "audit_log", "events", "notifications"} {
		parts = append(parts, fmt.Sprintf("%s=%d", table, ibCount(t, db, `SELECT COUNT(*) FROM `+table)))
	}
	var at int64
	if err := db.QueryRow(context.Background(), `SELECT COALESCE(MAX(updated_at), 0) FROM bulletins`).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return strings.Join(parts, " ") + fmt.Sprintf(" bulletins@%d", at)
}
