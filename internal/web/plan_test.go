package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// planFixture publishes a plan of this year with two tasks owned by the
// officer's department and one owned by another department.
func planFixture(t *testing.T, s *site) (planID, mine, other string) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	office := s.users[auth.RoleAdmin]
	year := time.Now().Year()
	p, err := plan.CreatePlan(ctx, s.db, office, plan.PlanInput{Year: year, Title: "质量强旗工作要点"})
	if err != nil {
		t.Fatal(err)
	}
	item, err := plan.AddItem(ctx, s.db, office, p.ID, plan.ItemInput{Label: "一、", Content: "健全质量监管体系"})
	if err != nil {
		t.Fatal(err)
	}
	otherDept, err := registry.CreateDepartment(ctx, s.db, office, registry.DepartmentInput{Name: "额济纳旗农牧局", ShortName: "农牧局"})
	if err != nil {
		t.Fatal(err)
	}
	otherOwner, err := auth.CreateUser(ctx, s.db, auth.NewUser{Username: "nm-officer", Password: testPassword, Role: auth.RoleOfficer,
		RegionCode: "152923", DepartmentID: otherDept.ID})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	end := time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	mk := func(title, dept, owner string) string {
		tk, err := plan.CreateTask(ctx, s.db, office, plan.TaskInput{ItemID: item.ID, Title: title, LeadDepartmentID: dept,
			OwnerID: owner, StartDate: start, Deadline: end})
		if err != nil {
			t.Fatalf("task %s: %v", title, err)
		}
		return tk.ID
	}
	mine = mk("组织开展双打专项整治", s.deptID, s.users[auth.RoleOfficer].ID)
	other = mk("农畜产品品牌化", otherDept.ID, otherOwner.ID)
	if _, _, err := plan.PublishPlan(ctx, s.db, office, p.ID); err != nil {
		t.Fatal(err)
	}
	return p.ID, mine, other
}

// TestTaskAndBulletinAPI holds the API to the contract the office and the
// departments integrate against.
func TestTaskAndBulletinAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSiteOn(t, db)
		planID, mine, other := planFixture(t, s)

		type plans struct {
			Items []plan.Plan `json:"items"`
		}
		if ps := decode[plans](t, s.do(auth.RoleOfficer, "GET", "/api/v1/plans", nil, "")); len(ps.Items) != 1 || ps.Items[0].ID != planID {
			t.Fatalf("plans: %+v", ps)
		}
		type tasks struct {
			Items []map[string]any `json:"items"`
			Total int              `json:"total"`
		}
		ts := decode[tasks](t, s.do(auth.RoleAdmin, "GET", "/api/v1/tasks?plan="+planID, nil, ""))
		if ts.Total != 2 {
			t.Fatalf("office sees %d tasks, want 2", ts.Total)
		}
		for _, k := range []string{"owner", "lead_department", "deadline", "progress", "light"} {
			if _, ok := ts.Items[0][k]; !ok {
				t.Errorf("a task lacks %q: %v", k, ts.Items[0])
			}
		}
		if l := ts.Items[0]["light"]; l != "green" && l != "yellow" && l != "red" {
			t.Errorf("light = %v", l)
		}
		// A department sees only its own.
		if ts := decode[tasks](t, s.do(auth.RoleOfficer, "GET", "/api/v1/tasks?plan="+planID, nil, "")); ts.Total != 1 || ts.Items[0]["id"] != mine {
			t.Fatalf("department sees %+v", ts)
		}

		report := func(id, body string) (*http.Response, problem) {
			resp := s.do(auth.RoleOfficer, "POST", "/api/v1/tasks/"+id+"/progress", strings.NewReader(body), "application/json")
			if resp.StatusCode == http.StatusCreated {
				resp.Body.Close()
				return resp, problem{}
			}
			return resp, decode[problem](t, resp)
		}
		refused := func(id, body, field, rule string) {
			t.Helper()
			resp, p := report(id, body)
			if resp.StatusCode != http.StatusUnprocessableEntity || len(p.Errors) == 0 || p.Errors[0].Field != field || p.Errors[0].Rule != rule {
				t.Errorf("%s: status %d, %+v; want %s %s", body, resp.StatusCode, p, field, rule)
			}
		}
		refused(mine, `{"percent": 120, "note": "x"}`, "percent", "rule.percent.range")
		if resp, _ := report(mine, `{"percent": 60, "note": "已部署"}`); resp.StatusCode != http.StatusCreated {
			t.Fatalf("report 60: %d", resp.StatusCode)
		}
		refused(mine, `{"percent": 40, "note": "x"}`, "reason", "rule.progress.below_last")
		if resp, _ := report(mine, `{"percent": 40, "note": "返工", "reason": "抽检发现问题，重新整改"}`); resp.StatusCode != http.StatusCreated {
			t.Fatalf("lower with a reason: %d", resp.StatusCode)
		}
		refused(other, `{"percent": 10}`, "task", "rule.task.other_department")
		if resp, _ := report(mine, `{"percent": 100, "note": "完成"}`); resp.StatusCode != http.StatusCreated {
			t.Fatalf("report 100: %d", resp.StatusCode)
		}
		if _, err := plan.CloseTask(context.Background(), s.db, s.users[auth.RoleAdmin], mine); err != nil {
			t.Fatal(err)
		}
		refused(mine, `{"percent": 100, "note": "again"}`, "task", "rule.task.closed")

		// The task list exports what it shows.
		resp0 := s.do(auth.RoleAdmin, "GET", "/tasks/export?plan="+planID, nil, "")
		wb, err := excelize.OpenReader(resp0.Body)
		resp0.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := wb.GetRows(wb.GetSheetName(0))
		if len(rows) != 3 || rows[0][0] != "任务" {
			t.Fatalf("task export: %v", rows)
		}

		// A bulletin over the year: 201 with its id, readable, and a workbook.
		// Dates are the office's, in Asia/Shanghai, whatever the machine's zone.
		today := time.Now().In(workday.Shanghai)
		body := `{"plan": "` + planID + `", "from": "` + today.Format("2006") + `-01-01", "to": "` + today.Format("2006-01-02") + `"}`
		resp := s.do(auth.RoleAdmin, "POST", "/api/v1/bulletins", strings.NewReader(body), "application/json")
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("bulletin: %d %s", resp.StatusCode, readBody(t, resp))
		}
		b := decode[plan.Bulletin](t, resp)
		if b.ID == "" || b.Data == nil || b.Data.Summary.Total != 2 {
			t.Fatalf("bulletin %+v", b)
		}
		got := decode[plan.Bulletin](t, s.do(auth.RoleAdmin, "GET", "/api/v1/bulletins/"+b.ID, nil, ""))
		if got.ID != b.ID || len(got.Data.Departments) != 2 {
			t.Fatalf("GET bulletin: %+v", got)
		}
		resp = s.do(auth.RoleAdmin, "GET", "/bulletins/"+b.ID+".xlsx", nil, "")
		f, err := excelize.OpenReader(resp.Body)
		resp.Body.Close()
		if err != nil || len(f.GetSheetList()) < 2 {
			t.Fatalf("bulletin workbook: %v %v", err, f.GetSheetList())
		}
		// Bad periods are named by field; departments may not issue bulletins.
		resp = s.do(auth.RoleAdmin, "POST", "/api/v1/bulletins", strings.NewReader(`{"plan": "`+planID+`", "from": "2026-13-01", "to": "x"}`), "application/json")
		if p := decode[problem](t, resp); resp.StatusCode != 422 || len(p.Errors) < 2 {
			t.Fatalf("bad period: %d %+v", resp.StatusCode, p)
		}
		if resp := s.do(auth.RoleOfficer, "POST", "/api/v1/bulletins", strings.NewReader(body), "application/json"); resp.StatusCode != 403 {
			t.Fatalf("officer issuing a bulletin: %d", resp.StatusCode)
		}
		// The printable page carries the notice and the charts for paper.
		page := readBody(t, s.do(auth.RoleAdmin, "GET", "/bulletins/"+b.ID, nil, ""))
		for _, want := range []string{`data-testid="notice"`, "<svg", `class="print-only"`, b.Title} {
			if !strings.Contains(page, want) {
				t.Errorf("bulletin page lacks %q", want)
			}
		}
	})
}

// TestPlanImportFromThePage uploads the decomposition table: a row naming
// an unknown department is refused by row and column, and nothing is
// stored; fixed, the table comes in.
func TestPlanImportFromThePage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	planID, _, _ := planFixture(t, s)
	resp := s.do(auth.RoleAdmin, "GET", "/plans/"+planID+"/import/template", nil, "")
	tpl, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	sheetName := tpl.GetSheetName(0)
	rows, _ := tpl.GetRows(sheetName)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	put := func(title, val string) {
		c, ok := col[title]
		if !ok {
			t.Fatalf("no column %q in %v", title, rows[0])
		}
		cell, _ := excelize.CoordinatesToCellName(c+1, 2)
		tpl.SetCellValue(sheetName, cell, val)
	}
	put("序号", "二、")
	put("工作内容", "健全质量检测体系")
	put("牵头单位", "没有这个单位")
	put("完成时限", time.Now().In(workday.Shanghai).Format("2006")+"-12-31")
	upload := func() *http.Response {
		var file, body bytes.Buffer
		if err := tpl.Write(&file); err != nil {
			t.Fatal(err)
		}
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "plan.xlsx")
		fw.Write(file.Bytes())
		mw.Close()
		return s.do(auth.RoleAdmin, "POST", "/plans/"+planID+"/import", &body, mw.FormDataContentType())
	}
	before := count(t, s.db, `SELECT COUNT(*) FROM tasks`)
	resp = upload()
	if page := readBody(t, resp); resp.StatusCode != 422 || !strings.Contains(page, "2 / 牵头单位") {
		t.Fatalf("bad department: %d, row and column not named", resp.StatusCode)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM tasks`); n != before {
		t.Fatal("a refused import stored tasks")
	}
	put("牵头单位", "市场监督管理局")
	if resp = upload(); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good import: %d %s", resp.StatusCode, readBody(t, resp))
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM tasks`); n != before+1 {
		t.Fatalf("import added %d tasks, want 1", n-before)
	}
}

// TestEditWorkPoint changes a work point on the plan page; an empty content
// is refused beside the field and changes nothing.
func TestEditWorkPoint(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	planID, _, _ := planFixture(t, s)
	items, err := plan.ListItems(context.Background(), s.db, s.users[auth.RoleAdmin], planID)
	if err != nil || len(items) != 1 {
		t.Fatalf("items: %v %v", items, err)
	}
	path := "/plans/" + planID + "/items/" + items[0].ID
	resp := s.do(auth.RoleAdmin, "POST", path, form("label", "一、", "content", ""), "application/x-www-form-urlencoded")
	if body := readBody(t, resp); resp.StatusCode != 422 || !strings.Contains(body, "必填项") {
		t.Fatalf("empty content: %d, no message beside the field", resp.StatusCode)
	}
	if again, _ := plan.ListItems(context.Background(), s.db, s.users[auth.RoleAdmin], planID); again[0].Content != items[0].Content {
		t.Fatal("a refused edit changed the work point")
	}
	resp = s.do(auth.RoleAdmin, "POST", path, form("label", "一、", "content", "健全质量监管体系（修订）", "deadline", "2026-12-31"), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", resp.StatusCode, readBody(t, resp))
	}
	items, _ = plan.ListItems(context.Background(), s.db, s.users[auth.RoleAdmin], planID)
	if items[0].Content != "健全质量监管体系（修订）" {
		t.Fatalf("content %q", items[0].Content)
	}
}
