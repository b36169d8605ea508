package plan_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// A task falls behind, is yellow in March and still behind in April
// (escalated to red), then catches up on a report: each change of light
// is kept with its cause, and days without a change record nothing.
func TestRecomputeKeepsEachChangeOfLightWithItsCause(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-02-20", plan.Rule{})
		tk := w.task(t, "2024-02-20", "食品安全抽检", "2024-03-01", "2024-06-28")
		w.report(t, "2024-03-04", tk.ID, 5, "")
		if res := w.recompute(t, "2024-03-11"); res.Tasks != 1 || res.Lights != 0 {
			t.Errorf("on schedule: %+v", res)
		}
		if res := w.recompute(t, "2024-03-20"); res.Lights != 1 {
			t.Errorf("falling behind: %+v", res)
		}
		if res := w.recompute(t, "2024-03-21"); res.Lights != 0 {
			t.Errorf("still yellow the next day: %+v", res)
		}
		w.report(t, "2024-04-03", tk.ID, 15, "")
		got := w.get(t, tk.ID)
		if got.Light != plan.Red || got.LightCause != plan.CauseEscalated || got.YellowStreak != 2 {
			t.Fatalf("behind in March and April: %s %s streak %d", got.Light, got.LightCause, got.YellowStreak)
		}
		w.report(t, "2024-04-08", tk.ID, 30, "")
		got = w.get(t, tk.ID)
		if got.Light != plan.Green || got.YellowStreak != 0 {
			t.Fatalf("caught up: %s streak %d", got.Light, got.YellowStreak)
		}
		want := []string{
			"2024-02-20 →green on_track",
			"2024-03-20 green→yellow lag",
			"2024-04-03 yellow→red escalated",
			"2024-04-08 red→green on_track",
		}
		if got := w.lights(t, tk.ID); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("light history:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The deadline passes without the work being done.
		w.recompute(t, "2024-07-01")
		got = w.get(t, tk.ID)
		if got.Light != plan.Red || got.LightCause != plan.CauseOverdue {
			t.Errorf("past the deadline: %s %s", got.Light, got.LightCause)
		}
		hist, err := plan.LightHistory(context.Background(), db, w.office, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if last := hist[len(hist)-1]; last.Params["deadline"] != "2024-06-28" || last.Params["days"] != "1" {
			t.Errorf("overdue params %v (1 working day past Friday 28 June on Monday 1 July)", last.Params)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM events WHERE topic = ?`, plan.TopicLightsChanged); n != 5 {
			t.Errorf("%d light events, want one per change", n)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'recompute'`); n != 2 {
			t.Errorf("%d recompute audit records, want 2 (the runs that changed something)", n)
		}
	})
}

// A report missing after its report day flags the task and turns it
// yellow until a report comes in.
func TestMissedReportIsFlagged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-02-20", plan.Rule{})
		tk := w.task(t, "2024-02-20", "食品安全抽检", "2024-03-01", "2024-12-31")
		w.report(t, "2024-03-04", tk.ID, 10, "")
		w.recompute(t, "2024-04-07")
		if got := w.get(t, tk.ID); got.MissedPeriod != "" || got.Light != plan.Green {
			t.Fatalf("on the report day: missed %q %s", got.MissedPeriod, got.Light)
		}
		w.recompute(t, "2024-04-08")
		got := w.get(t, tk.ID)
		if got.MissedPeriod != "2024-04" || got.Light != plan.Yellow || got.LightCause != plan.CauseMissed {
			t.Fatalf("the day after: missed %q %s %s", got.MissedPeriod, got.Light, got.LightCause)
		}
		ts, _, err := plan.ListTasks(context.Background(), db, w.farmUser, plan.Filter{Missed: true})
		if err != nil || len(ts) != 1 {
			t.Errorf("missed filter: %d, %v", len(ts), err)
		}
		w.report(t, "2024-04-09", tk.ID, 20, "")
		if got := w.get(t, tk.ID); got.MissedPeriod != "" || got.Light != plan.Green {
			t.Errorf("after reporting: missed %q %s", got.MissedPeriod, got.Light)
		}
	})
}

func TestRecomputeOnlyLooksAtOpenTasksOfPublishedPlans(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-02-20", plan.Rule{})
		open := w.task(t, "2024-02-20", "开放任务", "2024-03-01", "2024-06-28")
		done := w.task(t, "2024-02-20", "已完成任务", "2024-03-01", "2024-03-28")
		w.report(t, "2024-03-20", done.ID, 100, "")
		ctx := w.at(t, "2024-02-20")
		p, err := plan.CreatePlan(ctx, db, w.office, plan.PlanInput{Year: 2024, Title: "草稿计划"})
		if err != nil {
			t.Fatal(err)
		}
		it, err := plan.AddItem(ctx, db, w.office, p.ID, plan.ItemInput{Content: "x", LeadDepartmentID: w.farm.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: it.ID, OwnerID: w.farmUser.ID, Deadline: "2024-03-01"}); err != nil {
			t.Fatal(err)
		}
		res := w.recompute(t, "2024-05-06")
		if res.Tasks != 1 {
			t.Errorf("recompute looked at %d tasks, want 1", res.Tasks)
		}
		if got := w.get(t, done.ID); got.Light != plan.Green || got.LightCause != plan.CauseDone {
			t.Errorf("done task %s %s", got.Light, got.LightCause)
		}
		if got := w.get(t, open.ID); got.Light != plan.Red {
			t.Errorf("open task %s", got.Light)
		}
	})
}
