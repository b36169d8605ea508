package settings_test

import (
	"context"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/settings"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

const key = "licence.expiring_days"

func adminCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{ID: "u-admin", Name: "admin"})
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustInt(t *testing.T, db *store.DB, def int) int {
	t.Helper()
	n, err := settings.Int(context.Background(), db, key, def)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIntDefaultsUntilSet(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		if n := mustInt(t, db, 30); n != 30 {
			t.Fatalf("unset: got %d, want the default 30", n)
		}
		if err := settings.SetInt(adminCtx(), db, key, 45, 1, 365); err != nil {
			t.Fatal(err)
		}
		if n := mustInt(t, db, 30); n != 45 {
			t.Fatalf("after set: got %d, want 45", n)
		}
		if err := settings.SetInt(adminCtx(), db, key, 7, 1, 365); err != nil {
			t.Fatal(err)
		}
		if n := mustInt(t, db, 30); n != 7 {
			t.Fatalf("after second set: got %d, want 7", n)
		}
		// Other keys are untouched.
		n, err := settings.Int(context.Background(), db, "other.key", 99)
		if err != nil || n != 99 {
			t.Fatalf("other key: %d, %v", n, err)
		}
	})
}

func TestSetIntAuditsEachChangeInItsTransaction(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := adminCtx()
		for _, v := range []int{45, 45, 60} {
			if err := settings.SetInt(ctx, db, key, v, 1, 365); err != nil {
				t.Fatal(err)
			}
		}
		// 45 twice is one change: two records, one create and one update.
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'setting' AND entity_id = ?`, key); n != 2 {
			t.Fatalf("%d audit records, want 2", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'setting' AND action = 'update'
			AND actor_id = 'u-admin' AND before_json LIKE '%45%' AND after_json LIKE '%60%'`); n != 1 {
			t.Fatalf("the update from 45 to 60 by the admin is not recorded (%d)", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM events WHERE topic = ?`, settings.TopicUpdated); n != 2 {
			t.Fatalf("%d events, want 2", n)
		}
		if _, err := audit.Verify(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSetIntRefusesOutOfRange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := adminCtx()
		if err := settings.SetInt(ctx, db, key, 30, 1, 365); err != nil {
			t.Fatal(err)
		}
		for _, v := range []int{0, -5, 366} {
			err := settings.SetInt(ctx, db, key, v, 1, 365)
			list, ok := fielderr.As(err)
			if !ok || len(list) != 1 || list[0].Field != "value" || list[0].Rule != "rule.range" ||
				list[0].Params["min"] != 1 || list[0].Params["max"] != 365 {
				t.Fatalf("SetInt(%d): %#v, want a rule.range error on value with min 1 and max 365", v, err)
			}
		}
		if n := mustInt(t, db, 10); n != 30 {
			t.Fatalf("a refused value changed the setting to %d", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'setting'`); n != 1 {
			t.Fatalf("%d audit records, want only the first set's", n)
		}
		// The bounds are inclusive.
		for _, v := range []int{1, 365} {
			if err := settings.SetInt(ctx, db, key, v, 1, 365); err != nil {
				t.Fatalf("SetInt(%d): %v", v, err)
			}
		}
	})
}

func TestIntIgnoresAHandEditedValue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, 'thirty', 0)`, key)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n := mustInt(t, db, 30); n != 30 {
			t.Fatalf("got %d, want the default", n)
		}
		if err := settings.SetInt(adminCtx(), db, key, 20, 1, 365); err != nil {
			t.Fatal(err)
		}
		if n := mustInt(t, db, 30); n != 20 {
			t.Fatalf("got %d after repair, want 20", n)
		}
	})
}
