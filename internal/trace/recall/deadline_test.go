package recall_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/settings"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// A level-1 recall opened on 30 September 2026, the eve of the National Day
// holiday (1–7 October, with Saturday 10 October worked): the ten working
// days run 8, 9, 10, 12–16, 19 and 20 October, so it must finish by
// 20 October, not 14 October as ten weekdays would say.
func TestDeadlinesAcrossHolidayLightRedWhenMissed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		c.capture(t, shanghai(2026, 9, 1, 8, 0))
		opened := shanghai(2026, 9, 30, 10, 0)
		r, err := recall.Open(ctxAt(opened), db, c.officer, recall.OpenInput{EPC: productLot, Level: 1, Reason: "致病菌"})
		must(t, err)
		if r.FinishDue != "2026-10-20" {
			t.Fatalf("finish due %s, want 2026-10-20", r.FinishDue)
		}
		if want := opened.Add(24 * time.Hour).UnixMilli(); r.StartDue != want {
			t.Fatalf("start due %v, want 24 hours after opening", time.UnixMilli(r.StartDue))
		}
		light := func(at time.Time) (string, map[string]string) {
			t.Helper()
			got, err := recall.Get(ctxAt(at), db, c.officer, r.ID)
			must(t, err)
			hs := map[string]string{}
			for _, h := range got.Parties {
				hs[h.EnterpriseID] = h.Light
			}
			return got.Light, hs
		}
		if l, _ := light(opened.Add(time.Hour)); l != recall.LightGreen {
			t.Errorf("an hour after opening: %s", l)
		}
		if l, _ := light(opened.Add(13 * time.Hour)); l != recall.LightYellow {
			t.Errorf("11 hours before the start deadline: %s", l)
		}
		// Shop A starts in time; nobody else does.
		_, err = recall.Confirm(ctxAt(opened.Add(20*time.Hour)), db, c.users["shopA"], r.ID,
			recall.ConfirmInput{Action: recall.ActionRemoved, Quantity: ptr(200)})
		must(t, err)
		l, hs := light(opened.Add(24 * time.Hour))
		if l != recall.LightRed || hs[c.ents["shopB"]] != recall.LightRed || hs[c.ents["shopA"]] != recall.LightGreen {
			t.Errorf("at the start deadline: recall %s, holders %v", l, hs)
		}
		// The others start late; during the holiday the finish is far.
		for _, name := range []string{"shopB", "processor"} {
			_, err := recall.Confirm(ctxAt(shanghai(2026, 10, 3, 9, 0)), db, c.users[name], r.ID,
				recall.ConfirmInput{Action: recall.ActionRemoved, Quantity: ptr(1)})
			must(t, err)
		}
		stranger := func() string {
			got, err := recall.Get(ctxAt(opened), db, c.officer, r.ID)
			must(t, err)
			return holderOf(got, "").ID
		}()
		_, err = recall.Confirm(ctxAt(shanghai(2026, 10, 3, 9, 0)), db, c.officer, r.ID,
			recall.ConfirmInput{HolderID: stranger, Action: recall.ActionRemoved, Quantity: ptr(1)})
		must(t, err)
		for _, tc := range []struct {
			at   time.Time
			want string
		}{
			{shanghai(2026, 10, 9, 12, 0), recall.LightGreen},   // 8 working days left
			{shanghai(2026, 10, 15, 12, 0), recall.LightYellow}, // 16, 19, 20: three left
			{shanghai(2026, 10, 20, 23, 59), recall.LightYellow},
			{shanghai(2026, 10, 21, 0, 0), recall.LightRed},
		} {
			if l, _ := light(tc.at); l != tc.want {
				t.Errorf("at %v: %s, want %s", tc.at, l, tc.want)
			}
		}
		// The daily job stores the red, records it and reminds once.
		ctx := ctxAt(shanghai(2026, 10, 21, 6, 10))
		res, err := recall.Recompute(ctx, db)
		must(t, err)
		if res.Recalls != 1 || res.Changed == 0 || res.Reminded == 0 {
			t.Fatalf("first recompute %+v", res)
		}
		audits := func() int {
			var n int
			must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'recall_lights' AND entity_id = ?`, r.ID).Scan(&n))
			return n
		}
		if audits() != 1 {
			t.Errorf("%d audit records of the recompute", audits())
		}
		again, err := recall.Recompute(ctxAt(shanghai(2026, 10, 22, 6, 10)), db)
		must(t, err)
		if audits() != 1 {
			t.Errorf("a recompute that changed nothing was audited")
		}
		if again.Reminded != 0 || again.Changed != 0 {
			t.Errorf("second recompute %+v: reminders go once", again)
		}
		for _, name := range []string{"shopA", "shopB", "processor"} {
			if !hasNotice(notices(t, db, c.users[name].ID), "recall.overdue.finish") {
				t.Errorf("%s was not reminded of the missed finish", name)
			}
		}
		if !hasNotice(notices(t, db, c.officer.ID), "recall.overdue.department") {
			t.Error("the department was not told")
		}
		var stored string
		must(t, db.QueryRow(ctx, `SELECT light FROM recalls WHERE id = ?`, r.ID).Scan(&stored))
		if stored != recall.LightRed {
			t.Errorf("stored light %q", stored)
		}
		open, overdue, err := recall.DashboardFigures(ctx, db)
		must(t, err)
		if open != 1 || overdue != 1 {
			t.Errorf("dashboard %d open, %d overdue", open, overdue)
		}
		red, total, err := recall.List(ctx, db, c.officer, recall.Filter{Light: recall.LightRed})
		must(t, err)
		if total != 1 || red[0].ID != r.ID {
			t.Errorf("red filter: %d", total)
		}
		if _, total, _ := recall.List(ctx, db, c.officer, recall.Filter{Light: recall.LightGreen}); total != 0 {
			t.Errorf("green filter: %d", total)
		}
	})
}

// The clocks are settings, read when a recall opens: a change applies to
// the recalls opened after it and leaves the open ones alone.
func TestClockSettingsApplyToNewRecalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		c.capture(t, shanghai(2026, 9, 1, 8, 0))
		monday := shanghai(2026, 11, 2, 9, 0)
		first, err := recall.Open(ctxAt(monday), db, c.officer, recall.OpenInput{EPC: productLot, Level: 3, Reason: "x"})
		must(t, err)
		if first.FinishDue != "2026-12-14" { // 30 working days after 2 November
			t.Fatalf("level 3 finish %s", first.FinishDue)
		}
		actx := audit.WithActor(context.Background(), audit.System)
		must(t, settings.SetInt(actx, db, "recall.level1.finish_workdays", 5, 1, 250))
		must(t, settings.SetInt(actx, db, "recall.level1.start_hours", 12, 1, 720))
		second, err := recall.Open(ctxAt(monday), db, c.officer, recall.OpenInput{EPC: farmLot, Level: 1, Reason: "x"})
		must(t, err)
		if second.FinishDue != "2026-11-09" || second.StartDue != monday.Add(12*time.Hour).UnixMilli() {
			t.Errorf("after the change: finish %s, start %v", second.FinishDue, time.UnixMilli(second.StartDue))
		}
		again, err := recall.Get(ctxAt(monday), db, c.officer, first.ID)
		must(t, err)
		if again.FinishDue != first.FinishDue {
			t.Errorf("the open recall's deadline moved to %s", again.FinishDue)
		}
		cal := workday.Official()
		if got := workday.FormatDate(cal.AddWorkdays(workday.Midnight(monday), 30)); got != first.FinishDue {
			t.Errorf("calendar says %s", got)
		}
	})
}
