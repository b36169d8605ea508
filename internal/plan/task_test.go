package plan_test

import (
	"context"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestOnlyTheOfficeWritesPlans(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newPW(t, db)
		_, err := plan.CreatePlan(ctx, db, w.farmUser, plan.PlanInput{Year: 2024, Title: "x"})
		pwIs(t, err, fielderr.ErrForbidden)

		_, err = plan.CreatePlan(ctx, db, w.office, plan.PlanInput{Year: 1999, Title: "", Cadence: "weekly",
			LightRule: plan.Rule{YellowLag: 40, RedLag: 30}})
		pwRule(t, err, "year", "rule.range")
		pwRule(t, err, "title", "rule.required")
		pwRule(t, err, "cadence", "rule.plan.cadence")
		pwRule(t, err, "light_rule.red_lag", "rule.plan.rule_order")
		_, err = plan.CreatePlan(ctx, db, w.office, plan.PlanInput{Year: 2024, Title: "x", RegionCode: "152922"})
		pwRule(t, err, "region_code", "rule.region.out_of_scope")
		if n := w.count(t, `SELECT COUNT(*) FROM plans`); n != 0 {
			t.Fatalf("%d plans after refusals", n)
		}

		p, err := plan.CreatePlan(ctx, db, w.office, plan.PlanInput{Year: 2024, Title: " 2024年  工作要点 ", Cadence: plan.Quarterly, ReportDay: 10})
		if err != nil {
			t.Fatal(err)
		}
		if p.Title != "2024年 工作要点" || p.Status != plan.PlanDraft || p.LightRule.YellowLag != 10 || p.LightRule.RedLag != 30 ||
			p.LightRule.DueSoonDays != 5 || p.LightRule.EscalateYellow != 2 {
			t.Errorf("created %+v", p)
		}
		// Drafts are the office's alone.
		if _, err := plan.GetPlan(ctx, db, w.farmUser, p.ID); err != fielderr.ErrNotFound {
			t.Errorf("officer sees a draft plan: %v", err)
		}
		if ps, _ := plan.ListPlans(ctx, db, w.farmUser, "", 0); len(ps) != 0 {
			t.Errorf("officer lists %d draft plans", len(ps))
		}
		title := "2024年质量强旗工作要点"
		p, err = plan.UpdatePlan(ctx, db, w.office, p.ID, plan.PlanPatch{Title: &title, LightRule: &plan.Rule{RedLag: 40}})
		if err != nil || p.Title != title || p.LightRule.RedLag != 40 || p.LightRule.YellowLag != 10 {
			t.Fatalf("update: %+v, %v", p, err)
		}
		if _, err := plan.UpdatePlan(ctx, db, w.farmUser, p.ID, plan.PlanPatch{Title: &title}); err != fielderr.ErrForbidden {
			t.Errorf("officer updates a plan: %v", err)
		}
		if _, _, err := plan.PublishPlan(ctx, db, w.office, p.ID); err != nil {
			t.Fatal(err)
		}
		ps, err := plan.ListPlans(ctx, db, w.farmUser, "", 2024)
		if err != nil || len(ps) != 1 || ps[0].Status != plan.PlanPublished {
			t.Errorf("officer lists %+v, %v", ps, err)
		}
		if ps, _ := plan.ListPlans(ctx, db, w.rightOffice, "", 0); len(ps) != 0 {
			t.Errorf("another banner's office lists %d plans", len(ps))
		}
		if n := w.count(t, `SELECT COUNT(*) FROM audit_log WHERE entity = 'plan' AND entity_id = ?`, p.ID); n != 3 {
			t.Errorf("%d audit records for create, update, publish", n)
		}
	})
}

func TestItemsKeepTheDocumentsHierarchy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newPW(t, db)
		p, err := plan.CreatePlan(ctx, db, w.office, plan.PlanInput{Year: 2024, Title: "要点"})
		if err != nil {
			t.Fatal(err)
		}
		add := func(parent, label, content string) *plan.Item {
			it, err := plan.AddItem(ctx, db, w.office, p.ID, plan.ItemInput{ParentID: parent, Label: label, Content: content})
			if err != nil {
				t.Fatal(err)
			}
			return it
		}
		one := add("", "一、", "完善质量监管体系")
		two := add("", "二、", "完善质量溯源体系")
		a := add(one.ID, "（一）", "双随机抽查")
		add(a.ID, "1.", "制定年度抽查计划")
		add(two.ID, "（一）", "重点商品备案")
		add(one.ID, "（二）", "专项整治")
		items, err := plan.ListItems(ctx, db, w.office, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.Label+it.Content)
		}
		want := []string{"一、完善质量监管体系", "（一）双随机抽查", "1.制定年度抽查计划", "（二）专项整治", "二、完善质量溯源体系", "（一）重点商品备案"}
		if len(got) != len(want) {
			t.Fatalf("items %v", got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("items in order %v, want %v", got, want)
			}
		}
		if items[2].Level != 3 {
			t.Errorf("level of 1. = %d", items[2].Level)
		}
		_, err = plan.AddItem(ctx, db, w.office, p.ID, plan.ItemInput{Content: "x", LeadDepartmentID: "nope", Deadline: "2024-13-01"})
		pwRule(t, err, "lead_department_id", "rule.department.unknown")
		pwRule(t, err, "deadline", "rule.date.format")
		_, err = plan.AddItem(ctx, db, w.farmUser, p.ID, plan.ItemInput{Content: "x"})
		pwIs(t, err, fielderr.ErrForbidden)
		lead := w.farm.ID
		it, err := plan.UpdateItem(ctx, db, w.office, a.ID, plan.ItemPatch{LeadDepartmentID: &lead, Supporting: &[]string{w.housing.ID, w.farm.ID}})
		if err != nil || it.LeadDepartmentID != w.farm.ID || len(it.Supporting) != 1 || it.Supporting[0] != w.housing.ID {
			t.Errorf("update item: %+v, %v (the lead is not also supporting)", it, err)
		}
	})
}

func TestPublishNeedsOneOwnerOfTheLeadDepartmentAndADeadline(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		ctx := w.at(t, "2024-01-10")
		p, err := plan.CreatePlan(ctx, db, w.office, plan.PlanInput{Year: 2024, Title: "要点"})
		if err != nil {
			t.Fatal(err)
		}
		it, err := plan.AddItem(ctx, db, w.office, p.ID, plan.ItemInput{Content: "开展质量月活动", LeadDepartmentID: w.farm.ID})
		if err != nil {
			t.Fatal(err)
		}
		bare, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: it.ID})
		if err != nil {
			t.Fatal(err)
		}
		if bare.Title != "开展质量月活动" || bare.LeadDepartmentID != w.farm.ID || bare.Status != plan.TaskDraft {
			t.Errorf("task from item: %+v", bare)
		}
		_, err = plan.PublishTask(ctx, db, w.office, bare.ID)
		pwRule(t, err, "owner", "rule.task.owner_required")
		pwRule(t, err, "deadline", "rule.required")
		pwRule(t, err, "plan", "rule.plan.draft")

		// An owner must belong to the lead department and be enabled.
		_, err = plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: it.ID, OwnerID: w.housingUser.ID})
		pwRule(t, err, "owner", "rule.task.owner_department")
		retired, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: it.ID, Title: "退休人员的任务", Deadline: "2024-09-30"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE tasks SET owner_id = ? WHERE id = ?`, w.farmRetired.ID, retired.ID); err != nil {
			t.Fatal(err)
		}
		ready, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: it.ID, Title: "组织质量月宣传",
			OwnerID: w.farmUser.ID, Deadline: "2024-09-30"})
		if err != nil {
			t.Fatal(err)
		}

		// Publishing the plan sends out what is ready and names the rest.
		_, rep, err := plan.PublishPlan(ctx, db, w.office, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Published != 1 || len(rep.NotReady) != 2 {
			t.Fatalf("publish report %+v", rep)
		}
		for _, nr := range rep.NotReady {
			switch nr.TaskID {
			case bare.ID:
				pwRule(t, nr.Errors, "owner", "rule.task.owner_required")
			case retired.ID:
				pwRule(t, nr.Errors, "owner", "rule.task.owner_disabled")
			default:
				t.Errorf("not ready: %+v", nr)
			}
		}
		got := w.get(t, ready.ID)
		if got.Status != plan.TaskPublished || got.StartDate != "2024-01-10" || got.Light != plan.Green || got.PublishedAt == 0 {
			t.Errorf("published task %+v", got)
		}
		if w.get(t, bare.ID).Status != plan.TaskDraft {
			t.Error("a task without owner went out")
		}
		_, err = plan.PublishTask(ctx, db, w.office, retired.ID)
		pwRule(t, err, "owner", "rule.task.owner_disabled")
		owner := w.farmUser2.ID
		if _, err := plan.UpdateTask(ctx, db, w.office, retired.ID, plan.TaskPatch{OwnerID: &owner}); err != nil {
			t.Fatal(err)
		}
		if tk, err := plan.PublishTask(ctx, db, w.office, retired.ID); err != nil || tk.Status != plan.TaskPublished {
			t.Fatalf("publish after fixing the owner: %+v, %v", tk, err)
		}
		// Only the office publishes.
		_, err = plan.PublishTask(ctx, db, w.farmUser, bare.ID)
		pwIs(t, err, fielderr.ErrForbidden)
	})
}

func TestChangingAPublishedDeadlineOrOwnerNeedsAReasonAndIsKept(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-01-10", plan.Rule{})
		tk := w.task(t, "2024-01-10", "农畜产品抽检", "", "2024-06-30")
		ctx := w.at(t, "2024-03-01")
		later := "2024-08-31"
		_, err := plan.UpdateTask(ctx, db, w.office, tk.ID, plan.TaskPatch{Deadline: &later})
		pwRule(t, err, "reason", "rule.task.change_reason")
		if got := w.get(t, tk.ID); got.Deadline != "2024-06-30" {
			t.Fatalf("refused change stored: %s", got.Deadline)
		}
		empty := ""
		_, err = plan.UpdateTask(ctx, db, w.office, tk.ID, plan.TaskPatch{OwnerID: &empty, Reason: "调整"})
		pwRule(t, err, "owner", "rule.task.owner_required")

		got, err := plan.UpdateTask(ctx, db, w.office, tk.ID, plan.TaskPatch{Deadline: &later, Reason: "抽检任务量增加，经领导小组同意延期"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Deadline != later {
			t.Errorf("deadline %s", got.Deadline)
		}
		owner := w.farmUser2.ID
		if _, err := plan.UpdateTask(w.at(t, "2024-03-02"), db, w.office, tk.ID, plan.TaskPatch{OwnerID: &owner, Reason: "人员调整"}); err != nil {
			t.Fatal(err)
		}
		// Other fields change without a reason and are not history.
		title := "农畜产品质量安全抽检"
		if _, err := plan.UpdateTask(ctx, db, w.office, tk.ID, plan.TaskPatch{Title: &title}); err != nil {
			t.Fatal(err)
		}
		hist, err := plan.TaskHistory(ctx, db, w.farmUser, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 {
			t.Fatalf("history %+v", hist)
		}
		if h := hist[0]; h.Field != "deadline" || h.Old != "2024-06-30" || h.New != later || h.Reason != "抽检任务量增加，经领导小组同意延期" ||
			h.ActorID != w.office.ID || h.ActorName != "质强办 主任" {
			t.Errorf("deadline change %+v", h)
		}
		if h := hist[1]; h.Field != "owner" || h.Old != w.farmUser.ID || h.OldName != "农牧局 王五" || h.NewName != "农牧局 钱七" || h.Reason != "人员调整" {
			t.Errorf("owner change %+v", h)
		}
		// Drafts change freely: no reason, no history.
		draft, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: w.subItemID, Title: "草稿", Deadline: "2024-05-01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.UpdateTask(ctx, db, w.office, draft.ID, plan.TaskPatch{Deadline: &later}); err != nil {
			t.Errorf("draft deadline change refused: %v", err)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM task_changes WHERE task_id = ?`, draft.ID); n != 0 {
			t.Errorf("draft change kept in history: %d", n)
		}
	})
}

func TestSubTasks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-01-10", plan.Rule{})
		parent := w.task(t, "2024-01-10", "农畜产品抽检", "", "2024-06-30")
		ctx := w.at(t, "2024-01-11")
		_, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ParentTaskID: parent.ID, Title: "牛羊肉抽检", Deadline: "2024-07-31"})
		pwRule(t, err, "deadline", "rule.task.after_parent")
		sub, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ParentTaskID: parent.ID, Title: "牛羊肉抽检", OwnerID: w.farmUser2.ID})
		if err != nil {
			t.Fatal(err)
		}
		if sub.ParentTaskID != parent.ID || sub.ItemID != parent.ItemID || sub.Deadline != "2024-06-30" || sub.LeadDepartmentID != w.farm.ID {
			t.Errorf("sub-task %+v", sub)
		}
		_, err = plan.CreateTask(ctx, db, w.office, plan.TaskInput{ParentTaskID: "nope"})
		pwRule(t, err, "parent_task_id", "rule.task.unknown")
	})
}

func TestDepartmentsSeeTheirOwnTasks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-01-10", plan.Rule{})
		farmTask := w.task(t, "2024-01-10", "农畜产品抽检", "", "2024-06-30") // housing supports it (from the item)
		ctx := w.at(t, "2024-01-10")
		marketTask, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: w.itemID, Title: "计量器具检定",
			LeadDepartmentID: w.market.ID, OwnerID: w.marketUser.ID, Deadline: "2024-05-31"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.PublishTask(ctx, db, w.office, marketTask.ID); err != nil {
			t.Fatal(err)
		}
		draft, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: w.subItemID, Title: "草稿任务"})
		if err != nil {
			t.Fatal(err)
		}
		ids := func(who *auth.User) map[string]bool {
			ts, total, err := plan.ListTasks(ctx, db, who, plan.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for _, tk := range ts {
				out[tk.ID] = true
			}
			if total != len(ts) {
				t.Errorf("total %d for %d rows", total, len(ts))
			}
			return out
		}
		if got := ids(w.office); len(got) != 3 {
			t.Errorf("office sees %d tasks, want 3 (drafts included)", len(got))
		}
		if got := ids(w.farmUser); len(got) != 1 || !got[farmTask.ID] {
			t.Errorf("farm sees %v", got)
		}
		if got := ids(w.housingUser); len(got) != 1 || !got[farmTask.ID] {
			t.Errorf("housing (supporting) sees %v", got)
		}
		if got := ids(w.marketUser); len(got) != 1 || !got[marketTask.ID] {
			t.Errorf("market sees %v", got)
		}
		if got := ids(w.rightOffice); len(got) != 0 {
			t.Errorf("another banner's office sees %v", got)
		}
		_, err = plan.GetTask(ctx, db, w.marketUser, farmTask.ID)
		pwIs(t, err, fielderr.ErrNotFound)
		_, err = plan.GetTask(ctx, db, w.farmUser, draft.ID)
		pwIs(t, err, fielderr.ErrNotFound)
		if _, err := plan.GetTask(ctx, db, w.housingUser, farmTask.ID); err != nil {
			t.Errorf("supporting department cannot see: %v", err)
		}
		_, err = plan.TaskHistory(ctx, db, w.marketUser, farmTask.ID)
		pwIs(t, err, fielderr.ErrNotFound)
		// Reporting and signing belong to the lead department.
		_, err = plan.ReportProgress(ctx, db, w.marketUser, farmTask.ID, plan.ReportInput{Percent: 10})
		pwRule(t, err, "task", "rule.task.other_department")
		_, err = plan.ReportProgress(ctx, db, w.housingUser, farmTask.ID, plan.ReportInput{Percent: 10})
		pwRule(t, err, "task", "rule.task.other_department")
		_, err = plan.SignTask(ctx, db, w.housingUser, farmTask.ID)
		pwRule(t, err, "task", "rule.task.other_department")
		_, err = plan.ReportProgress(ctx, db, w.rightOffice, farmTask.ID, plan.ReportInput{Percent: 10})
		pwIs(t, err, fielderr.ErrNotFound)
		tk, err := plan.SignTask(ctx, db, w.farmUser2, farmTask.ID)
		if err != nil || tk.Status != plan.TaskSigned || tk.SignedBy != w.farmUser2.ID || tk.SignedAt == 0 {
			t.Fatalf("sign: %+v, %v", tk, err)
		}
	})
}

func TestListFiltersAndSummary(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-01-10", plan.Rule{})
		w.task(t, "2024-01-10", "春季农资打假", "", "2024-03-29")
		soon := w.task(t, "2024-01-10", "食用农产品合格证推行", "", "2024-04-10")
		later := w.task(t, "2024-01-10", "绿色食品认证", "", "2024-11-30")
		done := w.task(t, "2024-01-10", "畜禽屠宰检疫", "", "2024-03-01")
		w.report(t, "2024-02-20", done.ID, 100, "")
		w.report(t, "2024-04-02", later.ID, 30, "")
		w.report(t, "2024-04-02", soon.ID, 90, "")
		w.recompute(t, "2024-04-03")
		ctx := w.at(t, "2024-04-03")
		today := pwDay(t, "2024-04-03")
		list := func(f plan.Filter) []string {
			f.Today = today
			ts, total, err := plan.ListTasks(ctx, db, w.farmUser, f)
			if err != nil {
				t.Fatal(err)
			}
			if total != len(ts) && f.Limit == 0 {
				t.Errorf("total %d, rows %d", total, len(ts))
			}
			var out []string
			for _, tk := range ts {
				out = append(out, tk.Title)
			}
			return out
		}
		check := func(name string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %v, want %v", name, got, want)
				return
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("%s: %v, want %v", name, got, want)
					return
				}
			}
		}
		check("overdue", list(plan.Filter{Overdue: true}), "春季农资打假")
		// 3 April to 10 April 2024 is 4 working days (4–6 April is Qingming,
		// Sunday 7 April a make-up working day).
		check("due within 3", list(plan.Filter{DueWithinWorkdays: 3}))
		check("due within 4", list(plan.Filter{DueWithinWorkdays: 4}), "食用农产品合格证推行")
		check("red", list(plan.Filter{Light: plan.Red}), "春季农资打假")
		check("done", list(plan.Filter{Status: plan.TaskDone}), "畜禽屠宰检疫")
		check("search", list(plan.Filter{Q: "合格证"}), "食用农产品合格证推行")
		check("pinyin initials", list(plan.Filter{Q: "lssp"}), "绿色食品认证")
		check("search full-width", list(plan.Filter{Q: "ＬＳＳＰ"}), "绿色食品认证")
		check("owner", list(plan.Filter{OwnerID: w.farmUser2.ID}))
		check("page", list(plan.Filter{Limit: 1, Offset: 1}), "春季农资打假")
		ts, total, err := plan.ListTasks(ctx, db, w.farmUser, plan.Filter{Limit: 2, Today: today})
		if err != nil || total != 4 || len(ts) != 2 {
			t.Errorf("page of 2: %d rows, total %d, %v", len(ts), total, err)
		}
		if ts[0].OwnerName != "农牧局 王五" || ts[0].LeadDepartment != "阿拉善左旗农牧局" {
			t.Errorf("names %q %q", ts[0].OwnerName, ts[0].LeadDepartment)
		}

		s, err := plan.Summarize(ctx, db, w.farmUser, "", today)
		if err != nil {
			t.Fatal(err)
		}
		if s.Open != 3 || s.Mine != 3 || s.Done != 1 || s.Overdue != 1 || s.DueSoon != 1 || s.Red != 1 ||
			s.Green != 2 || s.Missed != 1 || s.Unsigned != 1 {
			t.Errorf("farm summary %+v", s)
		}
		if s, _ := plan.Summarize(ctx, db, w.housingUser, "", today); s.Open != 3 || s.Mine != 0 {
			t.Errorf("housing (supporting) summary %+v", s)
		}
		if _, err := plan.Summarize(ctx, db, w.housingUser, w.farm.ID, today); err != fielderr.ErrForbidden {
			t.Errorf("housing asks for farm's summary: %v", err)
		}
		if s, _ := plan.Summarize(ctx, db, w.office, w.market.ID, today); s.Open != 0 {
			t.Errorf("market summary %+v", s)
		}
	})
}
