package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// TestDemoPlan checks the live programme a visitor of the demo is
// promised, late in the year and at mid-year: the speech's plan published
// on the current year with every task owned and dated, progress reported
// month by month, lights of every colour with their history, an inspection
// with an open rectification, quarterly bulletins, and a new bulletin over
// the year so far that has something to say.
func TestDemoPlan(t *testing.T) {
	t.Parallel()
	for _, now := range []time.Time{
		time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC),
		time.Date(2027, 6, 15, 2, 30, 0, 0, time.UTC),
	} {
		t.Run(now.Format(time.DateOnly), func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, db *store.DB) { checkDemoPlan(t, db, now) })
		})
	}
}

func checkDemoPlan(t *testing.T, db *store.DB, now time.Time) {
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	begin := time.Now()
	if err := demo.Load(ctx, db, t.TempDir(), nil, now); err != nil {
		t.Fatal(err)
	}
	t.Logf("demo.Load on %s took %v", db.Dialect, time.Since(begin).Round(time.Millisecond))
	office, err := auth.UserByUsername(ctx, db, "office")
	if err != nil {
		t.Fatal(err)
	}
	year := workday.Midnight(now).Year()
	plans, err := plan.ListPlans(ctx, db, office, "", 0)
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans: %+v, %v", plans, err)
	}
	p := plans[0]
	if p.Status != plan.PlanPublished || p.Year != year || p.Title != "2021年质量强旗工作要点" {
		t.Fatalf("the demo plan: %+v, want the speech's plan published for %d", p, year)
	}
	items, err := plan.ListItems(ctx, db, office, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	levels := map[int]bool{}
	for _, it := range items {
		levels[it.Level] = true
	}
	if !levels[1] || !levels[2] || !levels[3] {
		t.Errorf("the plan's work points lack a level of 一、（一）1.: %v", levels)
	}

	tasks, total, err := plan.ListTasks(ctx, db, office, plan.Filter{PlanID: p.ID, Limit: plan.MaxLimit})
	if err != nil || total < 25 || total > 35 {
		t.Fatalf("tasks: %d, %v", total, err)
	}
	lights := map[string]int{}
	measured, reported, done, depts := 0, 0, 0, map[string]bool{}
	for _, tk := range tasks {
		if tk.OwnerID == "" || tk.Deadline == "" || tk.LeadDepartmentID == "" {
			t.Errorf("task %s has owner %q, deadline %q, lead %q", tk.Title, tk.OwnerID, tk.Deadline, tk.LeadDepartmentID)
		}
		if d, err := workday.ParseDate(tk.Deadline); err != nil || d.Year() != year {
			t.Errorf("task %s is due %s, not in %d", tk.Title, tk.Deadline, year)
		}
		if tk.Status == plan.TaskDraft || tk.Light == "" {
			t.Errorf("task %s: status %s, light %q", tk.Title, tk.Status, tk.Light)
		}
		lights[tk.Light]++
		depts[tk.LeadDepartmentID] = true
		if tk.Status == plan.TaskDone {
			done++
		}
		if tk.MeasureKey != "" {
			measured++
			continue
		}
		reports, err := plan.ListReports(ctx, db, office, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(reports) > 0 {
			reported++
		}
		for _, r := range reports {
			if store.Time(r.ReportedAt).After(now) {
				t.Errorf("task %s has a report from the future: %v", tk.Title, store.Time(r.ReportedAt))
			}
		}
	}
	if lights[plan.Green] == 0 || lights[plan.Yellow] == 0 || lights[plan.Red] == 0 {
		t.Errorf("lights %v, want green, yellow and red", lights)
	}
	if measured == 0 || reported < total/2 || done == 0 || len(depts) < 5 {
		t.Errorf("measured %d, reported on %d of %d, done %d, lead departments %d", measured, reported, total, done, len(depts))
	}
	var periods, changes int
	if err := db.QueryRow(ctx, `SELECT COUNT(DISTINCT r.period) FROM progress_reports r JOIN tasks t ON t.id = r.task_id
		WHERE t.plan_id = ?`, p.ID).Scan(&periods); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM task_lights l JOIN tasks t ON t.id = l.task_id
		WHERE t.plan_id = ? AND l.previous <> ''`, p.ID).Scan(&changes); err != nil {
		t.Fatal(err)
	}
	if months := int(workday.Midnight(now).Month()) - 2; periods < months || changes == 0 {
		t.Errorf("reports over %d months (want %d or more), %d changes of light", periods, months, changes)
	}

	ins, err := plan.ListInspections(ctx, db, office, plan.InspectionFilter{PlanID: p.ID})
	if err != nil || len(ins) != 1 || ins[0].FindingCount == 0 || ins[0].OpenCount == 0 || ins[0].TaskCount == 0 {
		t.Fatalf("inspections: %+v, %v", ins, err)
	}
	open, err := plan.ListRectifications(ctx, db, office, plan.RectificationFilter{PlanID: p.ID, Open: true, Today: now})
	if err != nil || len(open) == 0 || open[0].Overdue {
		t.Errorf("open rectifications: %+v, %v", open, err)
	}

	quarters := (int(workday.Midnight(now).Month()) - 1) / 3
	published, err := plan.ListBulletins(ctx, db, office, plan.BulletinFilter{PlanID: p.ID, Status: plan.BulletinPublished})
	if err != nil || len(published) != quarters {
		t.Errorf("published bulletins: %d, want one per quarter over (%d); %v", len(published), quarters, err)
	}
	b, err := plan.GenerateBulletin(plan.WithClock(ctx, func() time.Time { return now }), db, office, plan.BulletinInput{
		PlanID: p.ID, From: workday.FormatDate(workday.Date(year, 1, 1)), To: workday.FormatDate(now)})
	if err != nil {
		t.Fatal(err)
	}
	s := b.Data.Summary
	if s.Total != total || s.Done == 0 || s.Green == 0 || s.Yellow+s.Red == 0 || s.Measured == 0 || s.Reported == 0 ||
		s.Progress == 0 || s.Rectifications == 0 || len(b.Data.Departments) < 5 || len(b.Data.Trend) < 3 {
		t.Errorf("a bulletin over the year so far: %+v, %d departments, %d trend points", s, len(b.Data.Departments), len(b.Data.Trend))
	}
	if n, err := audit.Verify(ctx, db); err != nil || n == 0 {
		t.Fatalf("audit chain: %d records, %v", n, err)
	}
}
