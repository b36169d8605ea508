package web_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/locales"
)

// inspFixture publishes a plan of this year with three tasks led by the
// officer's department and one led by another department.
func inspFixture(t *testing.T, s *site) (planID string, mine []string, other string) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	office := s.users[auth.RoleAdmin]
	year := time.Now().Year()
	p, err := plan.CreatePlan(ctx, s.db, office, plan.PlanInput{Year: year, Title: "2021年质量强旗工作要点"})
	if err != nil {
		t.Fatal(err)
	}
	item, err := plan.AddItem(ctx, s.db, office, p.ID, plan.ItemInput{Label: "一、", Content: "健全质量监管体系"})
	if err != nil {
		t.Fatal(err)
	}
	nm, err := registry.CreateDepartment(ctx, s.db, office, registry.DepartmentInput{Name: "额济纳旗农牧局", ShortName: "农牧局"})
	if err != nil {
		t.Fatal(err)
	}
	nmOwner, err := auth.CreateUser(ctx, s.db, auth.NewUser{Username: "insp-nm", Password: testPassword, Role: auth.RoleOfficer,
		RegionCode: "152923", DepartmentID: nm.ID})
	if err != nil {
		t.Fatal(err)
	}
	start, end := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	mk := func(title, dept, owner string) string {
		tk, err := plan.CreateTask(ctx, s.db, office, plan.TaskInput{ItemID: item.ID, Title: title, LeadDepartmentID: dept,
			OwnerID: owner, StartDate: start, Deadline: end})
		if err != nil {
			t.Fatalf("task %s: %v", title, err)
		}
		return tk.ID
	}
	for _, title := range []string{"组织开展双打专项整治", "开展节日期间打假行动", "推进进货查验和索证索票"} {
		mine = append(mine, mk(title, s.deptID, s.users[auth.RoleOfficer].ID))
	}
	other = mk("推进农畜产品品牌化", nm.ID, nmOwner.ID)
	if _, _, err := plan.PublishPlan(ctx, s.db, office, p.ID); err != nil {
		t.Fatal(err)
	}
	return p.ID, mine, other
}

// inspPost submits a form as role and returns the status, the redirect and
// the page.
func inspPost(t *testing.T, s *site, role auth.Role, path string, kv ...string) (int, string, string) {
	t.Helper()
	resp := s.do(role, http.MethodPost, path, form(kv...), "application/x-www-form-urlencoded")
	body := readBody(t, resp)
	if strings.Contains(body, locales.Missing) {
		i := strings.Index(body, locales.Missing)
		t.Errorf("POST %s: a message is missing from the catalog: %s", path, body[i:min(len(body), i+60)])
	}
	return resp.StatusCode, resp.Header.Get("Location"), body
}

func inspGet(t *testing.T, s *site, role auth.Role, path, lang string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s as %s: %d", path, role, resp.StatusCode)
	}
	if strings.Contains(body, locales.Missing) {
		i := strings.Index(body, locales.Missing)
		t.Errorf("GET %s (%s): a message is missing from the catalog: %s", path, lang, body[i:min(len(body), i+60)])
	}
	return body
}

// inspFieldError is the error shown inside the label of the field named
// name, "" when there is none: errors must sit beside their field.
func inspFieldError(body, name string) string {
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	end := strings.Index(rest, "</label>")
	if end < 0 {
		return ""
	}
	m := regexp.MustCompile(`<span class="error" role="alert">([^<]*)</span>`).FindStringSubmatch(rest[:end])
	if m == nil {
		return ""
	}
	return m[1]
}

// TestInspectionPages walks a visit through its pages: the office plans it
// (a bad date is refused beside the field and creates nothing), draws two
// tasks with a recorded seed, records a finding and demands rectifications;
// the department reports one done; the office closes it; an overdue one is
// marked red on every page that lists it.
func TestInspectionPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSiteOn(t, db)
		planID, mine, other := inspFixture(t, s)
		today := time.Now().In(time.FixedZone("CST", 8*3600))
		day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
		countInspections := func() int {
			var n int
			if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM inspections`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		// A bad date: the error beside the date, the other values kept,
		// nothing stored.
		code, _, body := inspPost(t, s, auth.RoleAdmin, "/inspections", "plan_id", planID, "title", "第一季度督查",
			"kind", "unscheduled", "department_id", s.deptID, "visit_date", "2026-13-40")
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("bad date: status %d", code)
		}
		if got, want := inspFieldError(body, "visit_date"), locales.T(locales.ZH, "rule.date.format", nil); got != want {
			t.Errorf("error beside the visit date = %q, want %q", got, want)
		}
		if inspFieldError(body, "title") != "" || !strings.Contains(body, `value="第一季度督查"`) {
			t.Error("the form did not keep the title, or put an error beside it")
		}
		if n := countInspections(); n != 0 {
			t.Fatalf("a refused form stored %d inspections", n)
		}

		// The office plans the visit.
		code, loc, body := inspPost(t, s, auth.RoleAdmin, "/inspections", "plan_id", planID, "title", "第一季度督查",
			"kind", "unscheduled", "department_id", s.deptID, "visit_date", day(-10), "notes", "重点检查双打工作")
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/inspections/") {
			t.Fatalf("create: %d %q %s", code, loc, body)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(loc, "/inspections/"), "?saved=1")
		list := inspGet(t, s, auth.RoleAdmin, "/inspections?plan="+planID, "")
		if !strings.Contains(list, `href="/inspections/`+id+`"`) {
			t.Error("the list does not show the new visit")
		}

		// Two tasks drawn at random, with the seed on the page and a draw
		// anyone can replay; the other department's task is never drawn.
		if code, loc, body := inspPost(t, s, auth.RoleAdmin, "/inspections/"+id+"/draw", "n", "x"); code != http.StatusUnprocessableEntity ||
			inspFieldError(body, "n") == "" {
			t.Fatalf("draw x: %d %q, error %q", code, loc, inspFieldError(body, "n"))
		}
		if code, loc, _ := inspPost(t, s, auth.RoleAdmin, "/inspections/"+id+"/draw", "n", "2"); code != http.StatusSeeOther {
			t.Fatalf("draw: %d %q", code, loc)
		}
		office := s.users[auth.RoleAdmin]
		in, err := plan.GetInspection(context.Background(), db, office, id)
		if err != nil || len(in.Draws) != 1 || len(in.Tasks) != 2 {
			t.Fatalf("after the draw: %+v, %v", in, err)
		}
		d := in.Draws[0]
		if !slices.Equal(plan.DrawTasks(d.Seed, d.Pool, 2), d.Drawn) || slices.Contains(d.Pool, other) || len(d.Pool) != len(mine) {
			t.Errorf("draw %+v does not replay from its seed over the department's tasks %v", d, mine)
		}
		page := inspGet(t, s, auth.RoleAdmin, "/inspections/"+id, "")
		if !strings.Contains(page, d.Seed) || strings.Count(page, `data-testid="drawn"`) != 2 {
			t.Error("the visit's page does not show the seed and the two drawn tasks")
		}

		// A finding on a drawn task, and two rectifications: one due in ten
		// days, one whose deadline has passed. A deadline before the visit
		// is refused beside the field.
		drawn := d.Drawn[0]
		if code, _, _ := inspPost(t, s, auth.RoleAdmin, "/inspections/"+id+"/findings", "task_id", drawn,
			"severity", "serious", "content", "台账不全，未按月报送进度"); code != http.StatusSeeOther {
			t.Fatalf("finding: %d", code)
		}
		in, _ = plan.GetInspection(context.Background(), db, office, id)
		if len(in.Findings) != 1 || in.Findings[0].TaskID != drawn || in.Findings[0].Severity != plan.SeveritySerious {
			t.Fatalf("findings: %+v", in.Findings)
		}
		fid := in.Findings[0].ID
		demand := "/inspections/" + id + "/findings/" + fid + "/rectifications"
		code, _, body = inspPost(t, s, auth.RoleAdmin, demand, "demand", "补齐台账", "deadline", day(-30))
		if code != http.StatusUnprocessableEntity || inspFieldError(body, "deadline") == "" {
			t.Fatalf("deadline before the visit: %d, error %q", code, inspFieldError(body, "deadline"))
		}
		if code, _, _ := inspPost(t, s, auth.RoleAdmin, demand, "demand", "补齐台账并按月报送", "deadline", day(10)); code != http.StatusSeeOther {
			t.Fatalf("demand: %d", code)
		}
		if code, _, _ := inspPost(t, s, auth.RoleAdmin, demand, "demand", "约谈责任人", "deadline", day(-1)); code != http.StatusSeeOther {
			t.Fatalf("second demand: %d", code)
		}
		in, _ = plan.GetInspection(context.Background(), db, office, id)
		if len(in.Rectifications) != 2 {
			t.Fatalf("rectifications: %+v", in.Rectifications)
		}
		var due, late plan.Rectification
		for _, r := range in.Rectifications {
			if r.Overdue {
				late = r
			} else {
				due = r
			}
		}
		if due.ID == "" || late.ID == "" {
			t.Fatalf("want one overdue rectification and one due: %+v", in.Rectifications)
		}
		page = inspGet(t, s, auth.RoleAdmin, "/inspections/"+id, "")
		if !regexp.MustCompile(`id="r-`+late.ID+`"[^>]*data-overdue="true"`).MatchString(page) ||
			regexp.MustCompile(`id="r-`+due.ID+`"[^>]*data-overdue`).MatchString(page) {
			t.Error("the visit's page does not mark exactly the overdue rectification")
		}

		// The department sees its rectifications, the overdue one in red,
		// and reports the other done; it may not close it.
		mineList := inspGet(t, s, auth.RoleOfficer, "/rectifications", "")
		if !strings.Contains(mineList, due.ID) || !strings.Contains(mineList, late.ID) || !strings.Contains(mineList, `data-overdue="true"`) {
			t.Error("the department's list lacks its rectifications or the overdue mark")
		}
		code, _, body = inspPost(t, s, auth.RoleOfficer, "/rectifications/"+due.ID+"/updates", "kind", "done", "note", "")
		if code != http.StatusUnprocessableEntity || inspFieldError(body, "note") == "" {
			t.Fatalf("an empty note: %d, error %q", code, inspFieldError(body, "note"))
		}
		if code, loc, _ := inspPost(t, s, auth.RoleOfficer, "/rectifications/"+due.ID+"/updates", "kind", "done",
			"note", "台账已补齐，附件已上传"); code != http.StatusSeeOther || loc != "/rectifications/"+due.ID+"?saved=1" {
			t.Fatalf("update: %d %q", code, loc)
		}
		if code, _, _ := inspPost(t, s, auth.RoleOfficer, "/rectifications/"+due.ID+"/close"); code != http.StatusForbidden {
			t.Errorf("a department closing its own rectification: %d, want 403", code)
		}
		r, err := plan.GetRectification(context.Background(), db, office, due.ID, time.Time{})
		if err != nil || r.Status != plan.RectificationReported || len(r.Updates) != 1 || r.Updates[0].ActorID != s.users[auth.RoleOfficer].ID {
			t.Fatalf("after the department's update: %+v %v", r, err)
		}
		if p := inspGet(t, s, auth.RoleOfficer, "/rectifications/"+due.ID, "en"); !strings.Contains(p, "台账已补齐") {
			t.Error("the rectification's page does not show the update")
		}

		// The office closes it from the visit's page, and it leaves the
		// open list.
		if code, loc, _ := inspPost(t, s, auth.RoleAdmin, "/rectifications/"+due.ID+"/close", "note", "核查属实", "from", id); code != http.StatusSeeOther ||
			!strings.HasPrefix(loc, "/inspections/"+id) {
			t.Fatalf("close: %d %q", code, loc)
		}
		if r, _ := plan.GetRectification(context.Background(), db, office, due.ID, time.Time{}); r.Status != plan.RectificationClosed {
			t.Fatalf("closed: %+v", r)
		}
		if open := inspGet(t, s, auth.RoleAdmin, "/rectifications", ""); strings.Contains(open, due.ID) || !strings.Contains(open, late.ID) {
			t.Error("the open list still shows the closed rectification, or lost the overdue one")
		}

		// Every page reads in English too.
		for _, path := range []string{"/inspections", "/inspections/" + id, "/rectifications?tab=overdue", "/rectifications/" + late.ID} {
			inspGet(t, s, auth.RoleAdmin, path, "en")
		}
	})
}
