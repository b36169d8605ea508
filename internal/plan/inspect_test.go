package plan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestDrawIsRandomReproducibleAndOnlyOpenTasksOfTheDepartment(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		w := newIBWorld(t, db)
		planID, item := w.plan(t, "2021年质量强旗工作要点")
		open := map[string]bool{}
		for i := range 12 {
			status := "signed"
			if i%3 == 0 {
				status = "published"
			}
			open[w.task(t, ibTask{Plan: planID, Item: item, Seq: i, Title: fmt.Sprintf("市场任务%d", i), Dept: w.market.ID, Status: status})] = true
		}
		// Not open, or not the market bureau's: never drawn.
		shut := []string{
			w.task(t, ibTask{Plan: planID, Item: item, Seq: 20, Title: "已完成", Dept: w.market.ID, DoneOn: "2021-03-01"}),
			w.task(t, ibTask{Plan: planID, Item: item, Seq: 21, Title: "草稿", Dept: w.market.ID, Status: "draft"}),
			w.task(t, ibTask{Plan: planID, Item: item, Seq: 22, Title: "已关闭", Dept: w.market.ID, Status: "closed"}),
		}
		for i := range 5 {
			shut = append(shut, w.task(t, ibTask{Plan: planID, Item: item, Seq: 30 + i, Title: "农牧任务", Dept: w.farm.ID}))
		}
		otherPlan, otherItem := w.plan(t, "另一计划")
		shut = append(shut, w.task(t, ibTask{Plan: otherPlan, Item: otherItem, Title: "别的计划", Dept: w.market.ID}))

		visit := func() *plan.Inspection {
			in, err := plan.CreateInspection(ctx, db, w.office, plan.InspectionInput{PlanID: planID, Title: "一季度督查",
				Kind: plan.InspectionUnscheduled, DepartmentID: w.market.ID, VisitDate: "2021-04-12"})
			if err != nil {
				t.Fatal(err)
			}
			return in
		}
		in := visit()
		d, err := plan.DrawInspectionTasks(ctx, db, w.office, in.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Drawn) != 5 || len(d.Seed) != 32 {
			t.Fatalf("draw = %+v", d)
		}
		wantPool := make([]string, 0, len(open))
		for id := range open {
			wantPool = append(wantPool, id)
		}
		sort.Strings(wantPool)
		if !slices.Equal(d.Pool, wantPool) {
			t.Fatalf("pool = %v, want the 12 open market tasks %v", d.Pool, wantPool)
		}
		for _, id := range d.Drawn {
			if !open[id] {
				t.Fatalf("drew %s, which is not an open task of the market bureau", id)
			}
		}
		// Replaying the recorded seed over the recorded pool, in any
		// order, gives the same draw.
		got, err := plan.GetInspection(ctx, db, w.office, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Draws) != 1 || got.Draws[0].Seed != d.Seed || !slices.Equal(got.Draws[0].Drawn, d.Drawn) {
			t.Fatalf("stored draws = %+v, want %+v", got.Draws, d)
		}
		shuffled := slices.Clone(got.Draws[0].Pool)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if replay := plan.DrawTasks(got.Draws[0].Seed, shuffled, got.Draws[0].N); !slices.Equal(replay, d.Drawn) {
			t.Fatalf("replay = %v, want %v", replay, d.Drawn)
		}
		var drawnOnVisit []string
		for _, x := range got.Tasks {
			if !x.Drawn || x.DrawID != d.ID {
				t.Fatalf("task %+v not marked drawn by %s", x, d.ID)
			}
			drawnOnVisit = append(drawnOnVisit, x.TaskID)
		}
		if !sameSet(drawnOnVisit, d.Drawn) {
			t.Fatalf("tasks on the visit %v, drawn %v", drawnOnVisit, d.Drawn)
		}
		// The audit trail holds the seed.
		var after string
		if err := db.QueryRow(ctx, `SELECT after_json FROM audit_log WHERE action = 'draw' AND entity_id = ?`, in.ID).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(after, d.Seed) {
			t.Fatalf("audit of the draw %s lacks the seed %s", after, d.Seed)
		}

		// A second draw on the same visit picks among the rest only.
		d2, err := plan.DrawInspectionTasks(ctx, db, w.office, in.ID, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(d2.Pool) != 7 || !sameSet(append(slices.Clone(d.Drawn), d2.Drawn...), wantPool) {
			t.Fatalf("second draw %+v does not complete the pool", d2)
		}
		ibWantRule(t, errOf(plan.DrawInspectionTasks(ctx, db, w.office, in.ID, 1)), "n", "rule.inspection.draw_empty")

		// Random: fresh visits draw with fresh seeds and not always the same tasks.
		seeds, sets := map[string]bool{}, map[string]bool{}
		for range 6 {
			v := visit()
			x, err := plan.DrawInspectionTasks(ctx, db, w.office, v.ID, 3)
			if err != nil {
				t.Fatal(err)
			}
			seeds[x.Seed] = true
			s := slices.Clone(x.Drawn)
			sort.Strings(s)
			sets[strings.Join(s, ",")] = true
			for _, id := range x.Drawn {
				if slices.Contains(shut, id) {
					t.Fatalf("drew closed, draft, done or foreign task %s", id)
				}
			}
		}
		if len(seeds) != 6 || len(sets) < 2 {
			t.Fatalf("6 draws gave %d seeds and %d distinct sets", len(seeds), len(sets))
		}

		// Bad counts and the wrong people change nothing.
		v := visit()
		before := ibSnapshot(t, db)
		ibWantRule(t, errOf(plan.DrawInspectionTasks(ctx, db, w.office, v.ID, 0)), "n", "rule.range")
		ibWantRule(t, errOf(plan.DrawInspectionTasks(ctx, db, w.office, v.ID, 13)), "n", "rule.range")
		ibWantIs(t, errOf(plan.DrawInspectionTasks(ctx, db, w.marketUser, v.ID, 2)), fielderr.ErrForbidden)
		ibWantIs(t, errOf(plan.DrawInspectionTasks(ctx, db, w.outsider, v.ID, 2)), fielderr.ErrNotFound)
		if _, err := plan.CompleteInspection(ctx, db, w.office, v.ID); err != nil {
			t.Fatal(err)
		}
		mid := ibSnapshot(t, db)
		ibWantRule(t, errOf(plan.DrawInspectionTasks(ctx, db, w.office, v.ID, 2)), "n", "rule.inspection.done")
		if after := ibSnapshot(t, db); after != mid || before == mid {
			t.Fatalf("refused draws changed the database:\n%s\n%s\n%s", before, mid, after)
		}
	})
}

func errOf[T any](_ T, err error) error { return err }

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

func TestInspectionInputIsChecked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		w := newIBWorld(t, db)
		planID, item := w.plan(t, "2021年质量强旗工作要点")
		marketTask := w.task(t, ibTask{Plan: planID, Item: item, Title: "市场任务", Dept: w.market.ID})
		farmTask := w.task(t, ibTask{Plan: planID, Item: item, Title: "农牧任务", Dept: w.farm.ID})
		draftTask := w.task(t, ibTask{Plan: planID, Item: item, Title: "草稿", Dept: w.market.ID, Status: "draft"})
		before := ibSnapshot(t, db)

		_, err := plan.CreateInspection(ctx, db, w.office, plan.InspectionInput{PlanID: planID, Title: " ",
			Kind: "weekly", DepartmentID: "nope", VisitDate: "2021-13-01"})
		ibWantRule(t, err, "title", "rule.required")
		ibWantRule(t, err, "kind", "rule.inspection.kind")
		ibWantRule(t, err, "department_id", "rule.department.unknown")
		ibWantRule(t, err, "visit_date", "rule.date.format")
		_, err = plan.CreateInspection(ctx, db, w.office, plan.InspectionInput{PlanID: "nope", Title: "x", DepartmentID: w.market.ID, VisitDate: "2021-04-01"})
		ibWantRule(t, err, "plan_id", "rule.plan.unknown")
		_, err = plan.CreateInspection(ctx, db, w.outsider, plan.InspectionInput{PlanID: planID, Title: "x", DepartmentID: w.market.ID, VisitDate: "2021-04-01"})
		ibWantRule(t, err, "plan_id", "rule.plan.unknown")
		_, err = plan.CreateInspection(ctx, db, w.marketUser, plan.InspectionInput{PlanID: planID, Title: "x", DepartmentID: w.market.ID, VisitDate: "2021-04-01"})
		ibWantIs(t, err, fielderr.ErrForbidden)
		if after := ibSnapshot(t, db); after != before {
			t.Fatalf("refused inspections changed the database:\n%s\n%s", before, after)
		}

		in, err := plan.CreateInspection(ctx, db, w.office, plan.InspectionInput{PlanID: planID, Title: " 上半年 督查 ",
			DepartmentID: w.market.ID, VisitDate: "2021-06-15"})
		if err != nil {
			t.Fatal(err)
		}
		if in.Kind != plan.InspectionScheduled || in.Title != "上半年 督查" || in.Status != plan.InspectionPlanned {
			t.Fatalf("inspection = %+v", in)
		}
		before = ibSnapshot(t, db)
		_, err = plan.AddInspectionTasks(ctx, db, w.office, in.ID, []string{farmTask, draftTask, "nope"})
		ibWantRule(t, err, "task_ids", "rule.inspection.task_department")
		ibWantRule(t, err, "task_ids", "rule.inspection.task_draft")
		ibWantRule(t, err, "task_ids", "rule.inspection.task_unknown")
		_, err = plan.RecordFinding(ctx, db, w.office, in.ID, plan.FindingInput{TaskID: marketTask, Content: "台账不全"})
		ibWantRule(t, err, "task_id", "rule.inspection.task_not_checked")
		_, err = plan.RecordFinding(ctx, db, w.office, in.ID, plan.FindingInput{Content: "", Severity: "grave"})
		ibWantRule(t, err, "content", "rule.required")
		ibWantRule(t, err, "severity", "rule.finding.severity")
		if after := ibSnapshot(t, db); after != before {
			t.Fatalf("refused changes changed the database:\n%s\n%s", before, after)
		}
		got, err := plan.AddInspectionTasks(ctx, db, w.office, in.ID, []string{marketTask, marketTask})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Tasks) != 1 || got.Tasks[0].Drawn || got.Tasks[0].TaskID != marketTask {
			t.Fatalf("tasks = %+v", got.Tasks)
		}
		// Picking it again is harmless.
		if got, err = plan.AddInspectionTasks(ctx, db, w.office, in.ID, []string{marketTask}); err != nil || len(got.Tasks) != 1 {
			t.Fatalf("again: %v %+v", err, got)
		}

		// Who sees what.
		list, err := plan.ListInspections(ctx, db, w.marketUser, plan.InspectionFilter{PlanID: planID})
		if err != nil || len(list) != 1 || list[0].TaskCount != 1 {
			t.Fatalf("market sees %+v, %v", list, err)
		}
		if list, err = plan.ListInspections(ctx, db, w.farmUser, plan.InspectionFilter{}); err != nil || len(list) != 0 {
			t.Fatalf("farm sees %+v, %v", list, err)
		}
		ibWantIs(t, errOf(plan.GetInspection(ctx, db, w.farmUser, in.ID)), fielderr.ErrNotFound)
		ibWantIs(t, errOf(plan.GetInspection(ctx, db, w.outsider, in.ID)), fielderr.ErrNotFound)
		if list, err = plan.ListInspections(ctx, db, w.office, plan.InspectionFilter{}); err != nil || len(list) != 1 {
			t.Fatalf("office sees %+v, %v", list, err)
		}
	})
}

func TestRectificationOverdueLightsItsTask(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		w := newIBWorld(t, db)
		planID, item := w.plan(t, "2021年质量强旗工作要点")
		task := w.task(t, ibTask{Plan: planID, Item: item, Title: "食品安全抽检", Dept: w.market.ID})
		in, err := plan.CreateInspection(ctx, db, w.office, plan.InspectionInput{PlanID: planID, Title: "一季度督查",
			DepartmentID: w.market.ID, VisitDate: "2021-04-12"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.AddInspectionTasks(ctx, db, w.office, in.ID, []string{task}); err != nil {
			t.Fatal(err)
		}
		f, err := plan.RecordFinding(ctx, db, w.office, in.ID, plan.FindingInput{TaskID: task, Content: "抽检计划未按月执行", Severity: plan.SeveritySerious})
		if err != nil {
			t.Fatal(err)
		}
		general, err := plan.RecordFinding(ctx, db, w.office, in.ID, plan.FindingInput{Content: "档案管理不规范"})
		if err != nil || general.Severity != plan.SeverityNormal {
			t.Fatalf("general finding %+v, %v", general, err)
		}
		before := ibSnapshot(t, db)
		_, err = plan.DemandRectification(ctx, db, w.office, f.ID, plan.RectificationInput{Demand: "", Deadline: "2021-04-01"})
		ibWantRule(t, err, "demand", "rule.required")
		ibWantRule(t, err, "deadline", "rule.date.min")
		ibWantIs(t, errOf(plan.DemandRectification(ctx, db, w.marketUser, f.ID, plan.RectificationInput{Demand: "x", Deadline: "2021-04-30"})), fielderr.ErrForbidden)
		if after := ibSnapshot(t, db); after != before {
			t.Fatalf("refused demands changed the database:\n%s\n%s", before, after)
		}
		r, err := plan.DemandRectification(ctx, db, w.office, f.ID, plan.RectificationInput{Demand: "4月底前补齐抽检", Deadline: "2021-04-30"})
		if err != nil {
			t.Fatal(err)
		}
		if r.DepartmentID != w.market.ID || r.TaskID != task || r.Status != plan.RectificationOpen || r.PlanID != planID {
			t.Fatalf("rectification = %+v", r)
		}
		// The visit in general: a rectification that lights no task.
		if _, err := plan.DemandRectification(ctx, db, w.office, general.ID, plan.RectificationInput{Demand: "规范档案", Deadline: "2021-04-20"}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{w.marketUser.ID, w.marketHead.ID} {
			if n := ibCount(t, db, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'rectification.demanded'`, u); n != 2 {
				t.Fatalf("market user told of %d demands, want 2", n)
			}
		}

		m, err := plan.OverdueRectificationTasks(ctx, db, "152921", ibDay(t, "2021-04-30"))
		if err != nil || len(m) != 0 {
			t.Fatalf("on the deadline: %v %v", m, err)
		}
		m, err = plan.OverdueRectificationTasks(ctx, db, "152921", ibDay(t, "2021-05-01"))
		if err != nil || len(m) != 1 || m[task] != r.ID {
			t.Fatalf("the day after: %v %v, want %s → %s", m, err, task, r.ID)
		}
		if m, _ = plan.OverdueRectificationTasks(ctx, db, "152922", ibDay(t, "2021-05-01")); len(m) != 0 {
			t.Fatalf("another banner sees %v", m)
		}
		if m, _ = plan.OverdueRectificationTasks(ctx, db, "", ibDay(t, "2021-05-01")); len(m) != 1 {
			t.Fatalf("all regions: %v", m)
		}
		list, err := plan.ListRectifications(ctx, db, w.office, plan.RectificationFilter{Overdue: true, Today: ibDay(t, "2021-05-01")})
		if err != nil || len(list) != 2 || !list[0].Overdue || !list[1].Overdue {
			t.Fatalf("overdue list %+v, %v", list, err)
		}
		if list, _ = plan.ListRectifications(ctx, db, w.office, plan.RectificationFilter{Overdue: true, Today: ibDay(t, "2021-04-25")}); len(list) != 1 || list[0].Demand != "规范档案" {
			t.Fatalf("overdue on 25 April: %+v", list)
		}
		if list, _ = plan.ListRectifications(ctx, db, w.farmUser, plan.RectificationFilter{}); len(list) != 0 {
			t.Fatalf("farm sees %+v", list)
		}
		if list, _ = plan.ListRectifications(ctx, db, w.marketUser, plan.RectificationFilter{Open: true, DepartmentID: w.market.ID}); len(list) != 2 {
			t.Fatalf("market sees %+v", list)
		}

		// Follow-up until closed.
		ibWantIs(t, errOf(plan.AddRectificationUpdate(ctx, db, w.farmUser, r.ID, plan.RectificationUpdateInput{Note: "x"})), fielderr.ErrNotFound)
		ibWantIs(t, errOf(plan.AddRectificationUpdate(ctx, db, w.office, r.ID, plan.RectificationUpdateInput{Kind: plan.UpdateDone, Note: "x"})), fielderr.ErrForbidden)
		ibWantRule(t, errOf(plan.CloseRectification(ctx, db, w.office, r.ID, "")), "status", "rule.rectification.not_reported")
		ibWantRule(t, errOf(plan.AddRectificationUpdate(ctx, db, w.marketUser, r.ID, plan.RectificationUpdateInput{Kind: "later", Note: "x"})), "kind", "rule.rectification.kind")
		if _, err := plan.AddRectificationUpdate(ctx, db, w.marketUser, r.ID, plan.RectificationUpdateInput{Note: "已制定补抽计划"}); err != nil {
			t.Fatal(err)
		}
		got, err := plan.AddRectificationUpdate(ctx, db, w.marketUser, r.ID, plan.RectificationUpdateInput{Kind: plan.UpdateDone, Note: "已补齐抽检"})
		if err != nil || got.Status != plan.RectificationReported {
			t.Fatalf("done: %+v, %v", got, err)
		}
		ibWantIs(t, errOf(plan.CloseRectification(ctx, db, w.marketUser, r.ID, "")), fielderr.ErrForbidden)
		// Reported after its deadline: still overdue until the office closes it.
		if m, _ = plan.OverdueRectificationTasks(ctx, db, "152921", ibDay(t, "2021-05-01")); m[task] != r.ID {
			t.Fatalf("late report cleared the red light: %v", m)
		}
		if got, err = plan.AddRectificationUpdate(ctx, db, w.office, r.ID, plan.RectificationUpdateInput{Kind: plan.UpdateReturned, Note: "抽检报告不全"}); err != nil || got.Status != plan.RectificationOpen || got.ReportedAt != 0 {
			t.Fatalf("returned: %+v, %v", got, err)
		}
		if _, err := plan.AddRectificationUpdate(ctx, db, w.marketUser, r.ID, plan.RectificationUpdateInput{Kind: plan.UpdateDone, Note: "已补交报告"}); err != nil {
			t.Fatal(err)
		}
		closed, err := plan.CloseRectification(ctx, db, w.office, r.ID, "核查属实，予以销号")
		if err != nil || closed.Status != plan.RectificationClosed || closed.ClosedBy != w.office.ID {
			t.Fatalf("closed: %+v, %v", closed, err)
		}
		if m, _ = plan.OverdueRectificationTasks(ctx, db, "152921", ibDay(t, "2021-05-01")); len(m) != 0 {
			t.Fatalf("closed rectification still lights %v", m)
		}
		ibWantRule(t, errOf(plan.AddRectificationUpdate(ctx, db, w.marketUser, r.ID, plan.RectificationUpdateInput{Note: "再补充"})), "kind", "rule.rectification.closed")
		one, err := plan.GetRectification(ctx, db, w.marketUser, r.ID, ibDay(t, "2021-05-01"))
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, u := range one.Updates {
			kinds = append(kinds, u.Kind)
		}
		if want := []string{"note", "done", "returned", "done", "closed"}; !slices.Equal(kinds, want) {
			t.Fatalf("updates %v, want %v", kinds, want)
		}
		ins, err := plan.GetInspection(ctx, db, w.office, in.ID)
		if err != nil || len(ins.Findings) != 2 || len(ins.Rectifications) != 2 || ins.OpenCount != 1 {
			t.Fatalf("inspection %+v, %v", ins, err)
		}
		// Every write left its audit record and event.
		if n := ibCount(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'rectification'`); n != 2+5 {
			t.Fatalf("%d rectification audit records, want 7", n)
		}
		if n := ibCount(t, db, `SELECT COUNT(*) FROM events WHERE topic LIKE 'rectification.%'`); n != 2+5 {
			t.Fatalf("%d rectification events, want 7", n)
		}
	})
}

func TestRectificationOverdueRule(t *testing.T) {
	t.Parallel()
	onTime := ibAt(t, "2021-04-30")
	late := ibAt(t, "2021-05-02")
	for _, c := range []struct {
		status   string
		reported int64
		today    string
		want     bool
	}{
		{plan.RectificationOpen, 0, "2021-04-30", false},
		{plan.RectificationOpen, 0, "2021-05-01", true},
		{plan.RectificationReported, onTime, "2021-05-10", false},
		{plan.RectificationReported, late, "2021-05-10", true},
		{plan.RectificationClosed, 0, "2021-05-10", false},
	} {
		if got := plan.RectificationOverdue(c.status, "2021-04-30", c.reported, c.today); got != c.want {
			t.Errorf("%s reported %d on %s: overdue %v, want %v", c.status, c.reported, c.today, got, c.want)
		}
	}
}

func TestRectificationRemindersGoOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		w := newIBWorld(t, db)
		planID, item := w.plan(t, "2021年质量强旗工作要点")
		task := w.task(t, ibTask{Plan: planID, Item: item, Title: "食品安全抽检", Dept: w.market.ID})
		in, err := plan.CreateInspection(ctx, db, w.office, plan.InspectionInput{PlanID: planID, Title: "督查",
			DepartmentID: w.market.ID, VisitDate: "2021-04-12"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.AddInspectionTasks(ctx, db, w.office, in.ID, []string{task}); err != nil {
			t.Fatal(err)
		}
		f, err := plan.RecordFinding(ctx, db, w.office, in.ID, plan.FindingInput{TaskID: task, Content: "问题"})
		if err != nil {
			t.Fatal(err)
		}
		// Due on Friday 7 May 2021, after the May Day holiday (1–5 May):
		// three working days ahead is 29 April, not 4 May.
		r, err := plan.DemandRectification(ctx, db, w.office, f.ID, plan.RectificationInput{Demand: "补齐抽检", Deadline: "2021-05-07"})
		if err != nil {
			t.Fatal(err)
		}
		run := func(day string) int {
			t.Helper()
			n, err := plan.RectificationReminders(ctx, db, ibDay(t, day))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		kindCount := func(kind string) int {
			return ibCount(t, db, `SELECT COUNT(*) FROM notifications WHERE kind = ?`, kind)
		}
		if n := run("2021-04-28"); n != 0 || kindCount("rectification.due") != 0 {
			t.Fatalf("28 April (4 working days ahead): %d reminders", n)
		}
		if n := run("2021-04-29"); n != 1 || kindCount("rectification.due") != 2 {
			t.Fatalf("29 April: %d reminders, %d notifications", n, kindCount("rectification.due"))
		}
		for _, day := range []string{"2021-04-29", "2021-04-30", "2021-05-06", "2021-05-07"} {
			if n := run(day); n != 0 {
				t.Fatalf("%s: reminded again (%d)", day, n)
			}
		}
		list, _, err := notify.List(ctx, db, w.marketUser.ID, false, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		var due *notify.Notification
		for i := range list {
			if list[i].Kind == "rectification.due" {
				due = &list[i]
			}
		}
		if due == nil || due.Params["days"] != "3" || due.Params["deadline"] != "2021-05-07" || due.Link != "/rectifications/"+r.ID {
			t.Fatalf("due notice %+v", due)
		}
		if n := run("2021-05-08"); n != 1 || kindCount("rectification.overdue") != 3 {
			t.Fatalf("8 May: %d reminders, %d overdue notifications (want the 2 market users and the office)", n, kindCount("rectification.overdue"))
		}
		for _, day := range []string{"2021-05-08", "2021-05-09", "2021-06-01"} {
			if n := run(day); n != 0 {
				t.Fatalf("%s: reminded again (%d)", day, n)
			}
		}
		if n := ibCount(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'remind'`); n != 2 {
			t.Fatalf("%d reminder audit records, want 2", n)
		}
		var payload string
		if err := db.QueryRow(ctx, `SELECT payload FROM events WHERE topic = 'rectification.overdue'`).Scan(&payload); err != nil {
			t.Fatal(err)
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(payload), &ev); err != nil || ev["task_id"] != task {
			t.Fatalf("overdue event %s", payload)
		}
	})
}

func TestRectificationReportedOnTimeIsNotOverdue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		clock := &ibClock{}
		ctx := plan.WithClock(context.Background(), func() time.Time { return clock.now })
		w := newIBWorld(t, db)
		planID, item := w.plan(t, "2021年质量强旗工作要点")
		task := w.task(t, ibTask{Plan: planID, Item: item, Title: "食品安全抽检", Dept: w.market.ID})
		clock.at(t, "2021-04-12")
		in, err := plan.CreateInspection(ctx, db, w.office, plan.InspectionInput{PlanID: planID, Title: "督查",
			DepartmentID: w.market.ID, VisitDate: "2021-04-12"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.AddInspectionTasks(ctx, db, w.office, in.ID, []string{task}); err != nil {
			t.Fatal(err)
		}
		f, err := plan.RecordFinding(ctx, db, w.office, in.ID, plan.FindingInput{TaskID: task, Content: "问题"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := plan.DemandRectification(ctx, db, w.office, f.ID, plan.RectificationInput{Demand: "补齐抽检", Deadline: "2021-04-30"})
		if err != nil {
			t.Fatal(err)
		}
		clock.at(t, "2021-04-30")
		if _, err := plan.AddRectificationUpdate(ctx, db, w.marketHead, r.ID, plan.RectificationUpdateInput{Kind: plan.UpdateDone, Note: "已完成"}); err != nil {
			t.Fatal(err)
		}
		// The office has not checked it by mid-May: the department is not to blame.
		day := ibDay(t, "2021-05-14")
		if m, err := plan.OverdueRectificationTasks(ctx, db, "152921", day); err != nil || len(m) != 0 {
			t.Fatalf("reported on time, yet %v %v", m, err)
		}
		if list, _ := plan.ListRectifications(ctx, db, w.office, plan.RectificationFilter{Overdue: true, Today: day}); len(list) != 0 {
			t.Fatalf("overdue list %+v", list)
		}
		if list, _ := plan.ListRectifications(ctx, db, w.office, plan.RectificationFilter{Open: true, Today: day}); len(list) != 1 || list[0].Status != plan.RectificationReported {
			t.Fatalf("open list %+v", list)
		}
		if n, err := plan.RectificationReminders(ctx, db, day); err != nil || n != 0 {
			t.Fatalf("reminders for a rectification reported on time: %d %v", n, err)
		}
		// Sent back after the deadline, it is overdue again.
		clock.at(t, "2021-05-14")
		if _, err := plan.AddRectificationUpdate(ctx, db, w.office, r.ID, plan.RectificationUpdateInput{Kind: plan.UpdateReturned, Note: "报告不全"}); err != nil {
			t.Fatal(err)
		}
		if m, _ := plan.OverdueRectificationTasks(ctx, db, "152921", day); m[task] != r.ID {
			t.Fatalf("returned rectification not overdue: %v", m)
		}
	})
}
