package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

const (
	region      = "150421"
	otherRegion = "150422"
	deptMarket  = "dept-market"
	deptFarm    = "dept-farm"
	deptAway    = "dept-away"
)

type people struct {
	officer, colleague, farmer, disabled, inspector, acme, acme2, away *auth.User
}

// seed makes a region with two departments and a neighbouring region, and
// the accounts the tests send to.
func seed(t *testing.T, db *store.DB) people {
	t.Helper()
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for _, r := range []string{region, otherRegion} {
			if _, err := tx.Exec(ctx, `INSERT INTO regions (code, name, level) VALUES (?, ?, 'county')`, r, r); err != nil {
				return err
			}
		}
		for _, d := range [][2]string{{deptMarket, region}, {deptFarm, region}, {deptAway, otherRegion}} {
			if _, err := tx.Exec(ctx, `INSERT INTO departments (id, region_code, name, created_at, updated_at) VALUES (?, ?, ?, 0, 0)`,
				d[0], d[1], d[0]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(username string, role auth.Role, rc, dept, ent string) *auth.User {
		u, err := auth.CreateUser(ctx, db, auth.NewUser{Username: username, Password: "correct horse", Role: role,
			RegionCode: rc, DepartmentID: dept, EnterpriseID: ent})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	p := people{
		officer:   mk("officer", auth.RoleOfficer, region, deptMarket, ""),
		colleague: mk("colleague", auth.RoleOfficer, region, deptMarket, ""),
		farmer:    mk("farmer", auth.RoleOfficer, region, deptFarm, ""),
		disabled:  mk("gone", auth.RoleOfficer, region, deptMarket, ""),
		inspector: mk("inspector", auth.RoleInspector, region, deptMarket, ""),
		acme:      mk("acme", auth.RoleEnterprise, region, "", "ent-acme"),
		acme2:     mk("acme2", auth.RoleEnterprise, region, "", "ent-acme"),
		away:      mk("away", auth.RoleOfficer, otherRegion, deptAway, ""),
	}
	if err := auth.SetDisabled(ctx, db, p.disabled.ID, true); err != nil {
		t.Fatal(err)
	}
	return p
}

func send(t *testing.T, db *store.DB, n notify.Notice) {
	t.Helper()
	if err := db.Tx(context.Background(), func(tx *store.Tx) error { return notify.Send(context.Background(), tx, n) }); err != nil {
		t.Fatal(err)
	}
}

func unread(t *testing.T, db *store.DB, u *auth.User) int {
	t.Helper()
	n, err := notify.UnreadCount(context.Background(), db, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSendDedupesAndLists(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		p := seed(t, db)
		ctx := context.Background()
		reminder := notify.Notice{UserID: p.officer.ID, Kind: "task.due_soon",
			Params: map[string]string{"task": "质量月活动", "days": "3"}, Link: "/tasks/t1", DedupeKey: "task.due_soon:t1:2026-09-01"}
		// The reminder job runs after every restart; the reminder arrives once.
		for range 3 {
			send(t, db, reminder)
		}
		if n := unread(t, db, p.officer); n != 1 {
			t.Fatalf("%d notifications after three sends with one key", n)
		}
		// The same key for another user is another notification.
		other := reminder
		other.UserID = p.colleague.ID
		send(t, db, other)
		if unread(t, db, p.colleague) != 1 || unread(t, db, p.officer) != 1 {
			t.Fatal("dedupe key is not per user")
		}
		// No key: every send stands.
		for range 2 {
			send(t, db, notify.Notice{UserID: p.officer.ID, Kind: "bulletin.issued"})
		}
		if n := unread(t, db, p.officer); n != 3 {
			t.Fatalf("unread = %d, want 3", n)
		}

		list, total, err := notify.List(ctx, db, p.officer.ID, false, 10, 0)
		if err != nil || total != 3 || len(list) != 3 {
			t.Fatalf("list: %d of %d, %v", len(list), total, err)
		}
		last := list[2] // oldest
		if last.Kind != "task.due_soon" || last.Link != "/tasks/t1" || last.Params["task"] != "质量月活动" ||
			last.Params["days"] != "3" || last.ReadAt != 0 || last.UserID != p.officer.ID || last.CreatedAt == 0 {
			t.Fatalf("stored notice %+v", last)
		}
		if list[0].Params == nil {
			t.Fatal("nil params for a notice without parameters")
		}
		page, total, _ := notify.List(ctx, db, p.officer.ID, false, 2, 2)
		if len(page) != 1 || total != 3 || page[0].ID != last.ID {
			t.Fatalf("second page %+v (total %d)", page, total)
		}
	})
}

func TestSendRollsBackWithItsChange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		p := seed(t, db)
		ctx := context.Background()
		boom := errors.New("the change failed")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := notify.Send(ctx, tx, notify.Notice{UserID: p.officer.ID, Kind: "case.opened", DedupeKey: "c1"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := unread(t, db, p.officer); n != 0 {
			t.Fatalf("notification of a rolled-back change survived (%d)", n)
		}
		// And the key is free for when the change is made.
		send(t, db, notify.Notice{UserID: p.officer.ID, Kind: "case.opened", DedupeKey: "c1"})
		if n := unread(t, db, p.officer); n != 1 {
			t.Fatalf("unread = %d", n)
		}
	})
}

func TestSendRefusesBadNotices(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		p := seed(t, db)
		ctx := context.Background()
		for _, n := range []notify.Notice{
			{Kind: "task.overdue"},
			{UserID: p.officer.ID},
			{UserID: p.officer.ID, Kind: "Task Overdue"},
			{UserID: p.officer.ID, Kind: "task.overdue", Link: "https://evil.example/"},
			{UserID: p.officer.ID, Kind: "task.overdue", Link: "//evil.example/"},
			{UserID: p.officer.ID, Kind: "task.overdue", Link: "javascript:alert(1)"},
			{UserID: "nobody", Kind: "task.overdue"},
		} {
			err := db.Tx(ctx, func(tx *store.Tx) error { return notify.Send(ctx, tx, n) })
			if err == nil {
				t.Errorf("sent %+v", n)
			}
		}
		if n := unread(t, db, p.officer); n != 0 {
			t.Fatalf("%d bad notices stored", n)
		}
	})
}

func TestGroupSends(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		p := seed(t, db)
		ctx := context.Background()
		group := func(fn func(tx *store.Tx) (int, error)) int {
			t.Helper()
			var n int
			if err := db.Tx(ctx, func(tx *store.Tx) (err error) { n, err = fn(tx); return err }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		warn := notify.Notice{Kind: "task.red", Params: map[string]string{"task": "t9"}, DedupeKey: "task.red:t9"}

		// The department's enabled users: officer, colleague and inspector,
		// not the disabled account nor other departments.
		if n := group(func(tx *store.Tx) (int, error) { return notify.ToDepartment(ctx, tx, deptMarket, warn) }); n != 3 {
			t.Fatalf("department: %d sent, want 3", n)
		}
		if n := group(func(tx *store.Tx) (int, error) { return notify.ToDepartment(ctx, tx, deptMarket, warn) }); n != 0 {
			t.Fatalf("department again: %d sent, want 0", n)
		}
		for u, want := range map[*auth.User]int{p.officer: 1, p.colleague: 1, p.inspector: 1, p.disabled: 0, p.farmer: 0, p.away: 0, p.acme: 0} {
			if got := unread(t, db, u); got != want {
				t.Errorf("%s has %d, want %d", u.Username, got, want)
			}
		}

		licence := notify.Notice{Kind: "licence.expiring", DedupeKey: "licence.expiring:l1:30"}
		if n := group(func(tx *store.Tx) (int, error) { return notify.ToEnterprise(ctx, tx, "ent-acme", licence) }); n != 2 {
			t.Fatalf("enterprise: %d sent", n)
		}
		if unread(t, db, p.acme) != 1 || unread(t, db, p.acme2) != 1 {
			t.Fatal("enterprise users not notified")
		}

		// Officers of this region only.
		plan := notify.Notice{Kind: "plan.published", DedupeKey: "plan:2026"}
		if n := group(func(tx *store.Tx) (int, error) { return notify.ToRole(ctx, tx, region, auth.RoleOfficer, plan) }); n != 3 {
			t.Fatalf("role: %d sent, want 3 (officer, colleague, farmer)", n)
		}
		if unread(t, db, p.farmer) != 1 || unread(t, db, p.away) != 0 || unread(t, db, p.inspector) != 1 {
			t.Fatal("role send reached the wrong users")
		}

		for _, fn := range []func(tx *store.Tx) (int, error){
			func(tx *store.Tx) (int, error) { return notify.ToDepartment(ctx, tx, "", warn) },
			func(tx *store.Tx) (int, error) { return notify.ToEnterprise(ctx, tx, "", warn) },
			func(tx *store.Tx) (int, error) { return notify.ToRole(ctx, tx, "", auth.RoleOfficer, warn) },
			func(tx *store.Tx) (int, error) { return notify.ToRole(ctx, tx, region, "boss", warn) },
		} {
			if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := fn(tx); return err }); err == nil {
				t.Error("an empty target was accepted")
			}
		}
	})
}

func TestMarkRead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		p := seed(t, db)
		ctx := context.Background()
		send(t, db, notify.Notice{UserID: p.officer.ID, Kind: "a", DedupeKey: "1"})
		send(t, db, notify.Notice{UserID: p.officer.ID, Kind: "b", DedupeKey: "2"})
		send(t, db, notify.Notice{UserID: p.colleague.ID, Kind: "c", DedupeKey: "3"})
		mine, _, _ := notify.List(ctx, db, p.officer.ID, false, 10, 0)
		theirs, _, _ := notify.List(ctx, db, p.colleague.ID, false, 10, 0)

		// Another user's notification cannot be marked, and looks absent.
		if err := notify.MarkRead(ctx, db, p.officer.ID, theirs[0].ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("marking another user's: %v", err)
		}
		if unread(t, db, p.colleague) != 1 {
			t.Fatal("another user's notification was marked read")
		}
		if err := notify.MarkRead(ctx, db, p.officer.ID, "missing"); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}

		if err := notify.MarkRead(ctx, db, p.officer.ID, mine[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := notify.MarkRead(ctx, db, p.officer.ID, mine[0].ID); err != nil {
			t.Fatalf("marking twice: %v", err)
		}
		if unread(t, db, p.officer) != 1 {
			t.Fatal("not marked")
		}
		list, total, _ := notify.List(ctx, db, p.officer.ID, true, 10, 0)
		if total != 1 || len(list) != 1 || list[0].ID != mine[1].ID {
			t.Fatalf("unread list %+v", list)
		}
		all, _, _ := notify.List(ctx, db, p.officer.ID, false, 10, 0)
		if all[0].ReadAt == 0 || all[1].ReadAt != 0 {
			t.Fatalf("read times %+v", all)
		}

		// Mark all touches only the caller's own.
		if err := notify.MarkAllRead(ctx, db, p.officer.ID); err != nil {
			t.Fatal(err)
		}
		if unread(t, db, p.officer) != 0 || unread(t, db, p.colleague) != 1 {
			t.Fatal("mark all read reached another user")
		}
	})
}
