package plan_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// The whole chain through the plan's own functions: tasks published and
// reported on, an inspection whose rectification falls overdue and turns
// its task red at the daily recompute, and the bulletin that reports it.
func TestOverdueRectificationTurnsTheLightRedAndTheBulletinSaysSo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		clock := &ibClock{}
		ctx := plan.WithClock(context.Background(), func() time.Time { return clock.now })
		w := newIBWorld(t, db)
		clock.at(t, "2021-01-04")
		p, err := plan.CreatePlan(ctx, db, w.office, plan.PlanInput{Year: 2021, Title: "2021年质量强旗工作要点"})
		if err != nil {
			t.Fatal(err)
		}
		item, err := plan.AddItem(ctx, db, w.office, p.ID, plan.ItemInput{Label: "一、", Content: "健全质量监管体系",
			LeadDepartmentID: w.market.ID, Deadline: "2021-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		task := func(title, dept, owner, deadline string) *plan.Task {
			tk, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: item.ID, Title: title, LeadDepartmentID: dept,
				OwnerID: owner, StartDate: "2021-01-01", Deadline: deadline})
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		t1 := task("食品安全抽检", w.market.ID, w.marketUser.ID, "2021-12-31")
		t2 := task("农产品质量追溯", w.farm.ID, w.farmUser.ID, "2021-06-30")
		if _, _, err := plan.PublishPlan(ctx, db, w.office, p.ID); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{t1.ID, t2.ID} {
			if tk, err := plan.GetTask(ctx, db, w.office, id); err != nil || tk.Status == plan.TaskDraft {
				if tk, err = plan.PublishTask(ctx, db, w.office, id); err != nil {
					t.Fatalf("publish %s: %+v %v", id, tk, err)
				}
			}
		}
		clock.at(t, "2021-04-02")
		if _, err := plan.ReportProgress(ctx, db, w.marketUser, t1.ID, plan.ReportInput{Percent: 30, Note: "按计划推进"}); err != nil {
			t.Fatal(err)
		}
		if _, err := plan.ReportProgress(ctx, db, w.farmUser, t2.ID, plan.ReportInput{Percent: 60, Note: "试点完成"}); err != nil {
			t.Fatal(err)
		}

		clock.at(t, "2021-04-12")
		in, err := plan.CreateInspection(ctx, db, w.office, plan.InspectionInput{PlanID: p.ID, Title: "一季度督查",
			DepartmentID: w.market.ID, VisitDate: "2021-04-12"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := plan.DrawInspectionTasks(ctx, db, w.office, in.ID, 1)
		if err != nil || len(d.Drawn) != 1 || d.Drawn[0] != t1.ID {
			t.Fatalf("draw %+v, %v", d, err)
		}
		f, err := plan.RecordFinding(ctx, db, w.office, in.ID, plan.FindingInput{TaskID: t1.ID, Content: "抽检台账不全", Severity: plan.SeveritySerious})
		if err != nil {
			t.Fatal(err)
		}
		r, err := plan.DemandRectification(ctx, db, w.office, f.ID, plan.RectificationInput{Demand: "补齐台账", Deadline: "2021-04-30"})
		if err != nil {
			t.Fatal(err)
		}

		clock.at(t, "2021-05-06")
		if _, err := plan.ReportProgress(ctx, db, w.marketUser, t1.ID, plan.ReportInput{Percent: 40, Note: "台账整理中"}); err != nil {
			t.Fatal(err)
		}
		if _, err := plan.Recompute(ctx, db, ibDay(t, "2021-05-06")); err != nil {
			t.Fatal(err)
		}
		got, err := plan.GetTask(ctx, db, w.office, t1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Light != plan.Red || got.LightCause != plan.CauseRectification {
			t.Fatalf("task with an overdue rectification: light %q (%s)", got.Light, got.LightCause)
		}
		clock.at(t, "2021-05-20")
		if _, err := plan.ReportProgress(ctx, db, w.farmUser, t2.ID, plan.ReportInput{Percent: 100, Note: "全面完成"}); err != nil {
			t.Fatal(err)
		}

		clock.at(t, "2021-06-02")
		b, err := plan.GenerateBulletin(ctx, db, w.office, plan.BulletinInput{PlanID: p.ID, From: "2021-05-01", To: "2021-05-31"})
		if err != nil {
			t.Fatal(err)
		}
		s := b.Data.Summary
		if s.Total != 2 || s.Done != 1 || s.Red != 1 || s.RectificationsOverdue != 1 {
			t.Fatalf("summary %+v", s)
		}
		rows := map[string]plan.BulletinRow{}
		for _, dep := range b.Data.Departments {
			for _, row := range dep.Rows {
				rows[row.TaskID] = row
			}
		}
		if row := rows[t1.ID]; row.Standing != plan.StandingRed || row.Cause != plan.CauseRectification || row.Rectify != r.ID ||
			row.Progress != 40 || row.Explanation("zh-CN") != "台账整理中" || row.Owner != w.marketUser.Name {
			t.Fatalf("red row %+v", row)
		}
		if row := rows[t2.ID]; row.Standing != plan.StandingDone || row.DoneOn != "2021-05-20" || row.Progress != 100 {
			t.Fatalf("done row %+v", row)
		}
		if len(b.Data.GoodExamples) == 0 || b.Data.GoodExamples[0].TaskID != t2.ID || b.Data.GoodExamples[0].DaysEarly != 41 {
			t.Fatalf("good examples %+v", b.Data.GoodExamples)
		}
		if len(b.Data.Laggards) != 1 || b.Data.Laggards[0].DepartmentID != w.market.ID {
			t.Fatalf("laggards %+v", b.Data.Laggards)
		}
	})
}
