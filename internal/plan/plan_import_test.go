package plan_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// pwSheet builds an .xlsx whose first sheet holds rows (the first being the
// header); a time.Time cell is written as an Excel date.
func pwSheet(t *testing.T, rows ...[]any) *bytes.Reader {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b.Bytes())
}

var pwHeader = []any{"序号", "工作内容", "牵头单位", "配合单位", "责任领导", "完成时限", "量化目标/验收标准", "考核分值", "责任人"}

func (w *pw) draftPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.CreatePlan(w.at(t, "2024-01-05"), w.db, w.office, plan.PlanInput{Year: 2024, Title: "2024年质量强旗工作要点"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportPlanFromTheDecompositionTable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		p := w.draftPlan(t)
		ctx := w.at(t, "2024-01-05")
		file := pwSheet(t,
			[]any{"2024年质量强旗工作任务分解表"},
			pwHeader,
			[]any{"一、", "完善质量监管体系"},
			[]any{"（一）", "开展“双随机、一公开”抽查", "市场监管局", "农牧局、住建局", "副旗长 孙八", "2024年6月30日", "抽查比例不低于5%", "5", "market1"},
			[]any{"1.", "制定年度抽查计划", "市场监管局", "", "", "3月底", "", "", ""},
			[]any{"（二）", "农畜产品质量安全专项整治", "阿拉善左旗农牧局", "", "", "年底", "抽检合格率≥98%", "10", "农牧局 王五"},
			[]any{},
			[]any{"二、", "完善质量溯源体系"},
			[]any{"（一）", "重点商品备案", "市场监管局", "", "", time.Date(2024, 9, 30, 0, 0, 0, 0, time.UTC), "", "", ""},
		)
		rep, err := plan.ImportPlan(ctx, db, w.office, p.ID, file, int64(file.Len()))
		if err != nil {
			t.Fatalf("import: %v %+v", err, rep.Errors)
		}
		if rep.Rows != 6 || rep.Items != 6 || rep.Tasks != 4 {
			t.Errorf("report %+v", rep)
		}
		items, err := plan.ListItems(ctx, db, w.office, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			got = append(got, strings.Repeat("  ", it.Level-1)+it.Label+it.Content+" "+it.Deadline)
		}
		want := []string{
			"一、完善质量监管体系 ",
			"  （一）开展“双随机、一公开”抽查 2024-06-30",
			"    1.制定年度抽查计划 2024-03-31",
			"  （二）农畜产品质量安全专项整治 2024-12-31",
			"二、完善质量溯源体系 ",
			"  （一）重点商品备案 2024-09-30",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("items:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if it := items[1]; it.LeadDepartmentID != w.market.ID || len(it.Supporting) != 2 || it.Leader != "副旗长 孙八" || it.Weight != 5 {
			t.Errorf("item %+v", it)
		}
		tasks, total, err := plan.ListTasks(ctx, db, w.office, plan.Filter{PlanID: p.ID})
		if err != nil || total != 4 {
			t.Fatalf("%d tasks, %v", total, err)
		}
		owners := map[string]string{}
		for _, tk := range tasks {
			owners[tk.Title] = tk.OwnerID
			if tk.Status != plan.TaskDraft {
				t.Errorf("imported task %s is %s", tk.Title, tk.Status)
			}
		}
		if owners["开展“双随机、一公开”抽查"] != w.marketUser.ID || owners["农畜产品质量安全专项整治"] != w.farmUser.ID || owners["重点商品备案"] != "" {
			t.Errorf("owners %v", owners)
		}
		// Publishing the plan sends out the two tasks with owners.
		_, pub, err := plan.PublishPlan(ctx, db, w.office, p.ID)
		if err != nil || pub.Published != 2 || len(pub.NotReady) != 2 {
			t.Errorf("publish %+v, %v", pub, err)
		}
	})
}

func TestImportPlanIsAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.user(t, "farm3", "农牧局 王五", auth.RoleOfficer, w.farm.ID, false) // a namesake
		p := w.draftPlan(t)
		ctx := w.at(t, "2024-01-05")
		file := pwSheet(t,
			pwHeader,
			[]any{"一、", "完善质量监管体系"},
			[]any{"（一）", "抽查", "统计局", "农牧局、气象局", "", "明年", "", "很多", ""},
			[]any{"（二）", "", "农牧局", "", "", "2024-02-30", "", "2000", "housing1"},
			[]any{"（三）", "整治", "农牧局", "", "", "", "", "", "农牧局 王五"},
			[]any{"（四）", "宣传", "", "", "", "", "", "", "farm1"},
			[]any{"（五）", "培训", "农牧局", "", "", "", "", "", "farm9"},
		)
		rep, err := plan.ImportPlan(ctx, db, w.office, p.ID, file, int64(file.Len()))
		if _, ok := fielderr.As(err); !ok {
			t.Fatalf("error %v", err)
		}
		type cell struct {
			row        int
			column     string
			rule       string
			value      string
			paramValue any
		}
		want := []cell{
			{3, "牵头单位", "rule.department.unknown", "统计局", "统计局"},
			{3, "配合单位", "rule.department.unknown", "农牧局、气象局", "气象局"},
			{3, "完成时限", "rule.date.format", "明年", nil},
			{3, "考核分值", "rule.number", "很多", nil},
			{4, "工作内容", "rule.required", "", nil},
			{4, "完成时限", "rule.date.format", "2024-02-30", nil},
			{4, "考核分值", "rule.range", "2000", nil},
			{4, "责任人", "rule.task.owner_department", "housing1", nil},
			{5, "责任人", "rule.import.owner_ambiguous", "农牧局 王五", nil},
			{6, "牵头单位", "rule.required", "", nil},
			{7, "责任人", "rule.task.owner_disabled", "farm9", nil},
		}
		if len(rep.Errors) != len(want) {
			t.Fatalf("errors %+v", rep.Errors)
		}
		for i, w := range want {
			e := rep.Errors[i]
			if e.Row != w.row || e.Column != w.column || e.Rule != w.rule || e.Value != w.value ||
				(w.paramValue != nil && e.Params["value"] != w.paramValue) {
				t.Errorf("error %d: %+v, want %+v", i, e, w)
			}
		}
		l, _ := fielderr.As(err)
		if l[0].Field != "row 3 / 牵头单位" {
			t.Errorf("field %q", l[0].Field)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM plan_items`); n != 0 {
			t.Errorf("%d items stored from a bad file", n)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM tasks`); n != 0 {
			t.Errorf("%d tasks stored from a bad file", n)
		}
	})
}

func TestImportPlanFileProblems(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		p := w.draftPlan(t)
		ctx := w.at(t, "2024-01-05")
		var tmpl bytes.Buffer
		if err := plan.PlanTemplate(&tmpl, "zh-CN"); err != nil {
			t.Fatal(err)
		}
		_, err := plan.ImportPlan(ctx, db, w.office, p.ID, bytes.NewReader(tmpl.Bytes()), int64(tmpl.Len()))
		pwRule(t, err, "file", "rule.import.empty")
		_, err = plan.ImportPlan(ctx, db, w.office, p.ID, strings.NewReader("序号,工作内容\n"), 20)
		pwRule(t, err, "file", "rule.import.not_xlsx")
		_, err = plan.ImportPlan(ctx, db, w.office, p.ID, strings.NewReader(""), 30<<20)
		pwRule(t, err, "file", "rule.import.too_large")
		noHeader := pwSheet(t, []any{"名称", "备注"}, []any{"x", "y"})
		_, err = plan.ImportPlan(ctx, db, w.office, p.ID, noHeader, int64(noHeader.Len()))
		pwRule(t, err, "file", "rule.plan.import_no_header")
		// The English template imports too.
		var en bytes.Buffer
		if err := plan.PlanTemplate(&en, "en"); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(en.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		head, err := f.GetRows(f.GetSheetList()[0])
		f.Close()
		if err != nil || len(head) != 1 || head[0][1] != "Work" || head[0][8] != "Owner" {
			t.Fatalf("English template header %v, %v", head, err)
		}
		row := make([]any, len(head[0]))
		for i, h := range head[0] {
			row[i] = map[string]any{"No.": "1.", "Work": "Quality month", "Lead department": "农牧局", "Deadline": "2024-09-30"}[h]
		}
		hrow := make([]any, len(head[0]))
		for i, h := range head[0] {
			hrow[i] = h
		}
		file := pwSheet(t, hrow, row)
		rep, err := plan.ImportPlan(ctx, db, w.office, p.ID, file, int64(file.Len()))
		if err != nil || rep.Items != 1 || rep.Tasks != 1 {
			t.Errorf("English file: %+v, %v", rep, err)
		}
		_, err = plan.ImportPlan(context.Background(), db, w.farmUser, p.ID, file, int64(file.Len()))
		pwIs(t, err, fielderr.ErrForbidden)
	})
}
