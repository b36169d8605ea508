package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/locales"
)

func (s *Server) registerPlanRoutes() {
	read, write, report := auth.PermPlanRead, auth.PermPlanWrite, auth.PermTaskReport

	s.handle("GET /plans", read, s.planList)
	s.handle("POST /plans", write, s.planCreate)
	s.handle("GET /plans/{id}", read, s.planShow)
	s.handle("POST /plans/{id}/publish", write, s.planPublish)
	s.handle("POST /plans/{id}/items", write, s.itemCreate)
	s.handle("POST /plans/{id}/items/{item}", write, s.itemUpdate)
	s.handle("GET /plans/{id}/import/template", write, s.planTemplate)
	s.handle("POST /plans/{id}/import", write, s.planImport)

	s.handle("GET /tasks", read, s.taskList)
	s.handle("GET /tasks/export", read, s.taskExport)
	s.handle("GET /tasks/new", write, s.taskNew)
	s.handle("POST /tasks", write, s.taskCreate)
	s.handle("GET /tasks/{id}", read, s.taskShow)
	s.handle("GET /tasks/{id}/edit", write, s.taskEdit)
	s.handle("POST /tasks/{id}", write, s.taskUpdate)
	s.handle("POST /tasks/{id}/publish", write, s.taskPublish)
	s.handle("POST /tasks/{id}/close", write, s.taskClose)
	s.handle("POST /tasks/{id}/sign", report, s.taskSign)
	s.handle("POST /tasks/{id}/progress", report, s.taskReport)
	s.handle("GET /tasks/{id}/files/{hash}", read, s.taskFile)

	s.handle("GET /api/v1/plans", read, s.apiPlans)
	s.handle("GET /api/v1/tasks", read, apiList(s, taskFilter, plan.ListTasks))
	s.handle("GET /api/v1/tasks/{id}", read, apiGet(s, plan.GetTask))
	s.handle("POST /api/v1/tasks/{id}/progress", report, s.apiTaskProgress)
}

// departmentsOf lists the caller's region's departments for selects.
func (s *Server) departmentsOf(r *http.Request) ([]registry.Department, error) {
	return registry.ListDepartments(r.Context(), s.db, userFrom(r.Context()).RegionCode)
}

func (s *Server) planList(w http.ResponseWriter, r *http.Request) {
	s.renderPlans(w, r, http.StatusOK, newForm())
}

func (s *Server) renderPlans(w http.ResponseWriter, r *http.Request, status int, f *form) {
	u := userFrom(r.Context())
	plans, err := plan.ListPlans(r.Context(), s.db, u, "", 0)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if f.Values["year"] == "" {
		f.Values["year"] = strconv.Itoa(s.cfg.Now().In(shanghai).Year())
		f.Values["cadence"] = "monthly"
		f.Values["report_day"] = "5"
	}
	v := s.newView(r, "plans.title", map[string]any{"Plans": plans, "Cadences": []string{"monthly", "quarterly", "biweekly"}})
	v.Form = f
	s.render(w, r, status, "plans", v)
}

func (s *Server) planCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "year", "title", "doc_number", "cadence", "report_day")
	year, _ := strconv.Atoi(f.Values["year"])
	day, _ := strconv.Atoi(f.Values["report_day"])
	p, err := plan.CreatePlan(r.Context(), s.db, userFrom(r.Context()), plan.PlanInput{Year: year, Title: f.Values["title"],
		DocNumber: f.Values["doc_number"], Cadence: f.Values["cadence"], ReportDay: day})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderPlans(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/plans/"+p.ID, http.StatusSeeOther)
}

// itemNode is a work point with its sub-points and tasks, for the plan page.
type itemNode struct {
	Item     plan.Item
	Tasks    []plan.Task
	Children []*itemNode
}

func (s *Server) planShow(w http.ResponseWriter, r *http.Request) {
	s.renderPlan(w, r, http.StatusOK, newForm(), nil)
}

func (s *Server) renderPlan(w http.ResponseWriter, r *http.Request, status int, f *form, published *plan.PublishReport) {
	ctx := r.Context()
	u := userFrom(ctx)
	p, err := plan.GetPlan(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	items, err := plan.ListItems(ctx, s.db, u, p.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	tasks, _, err := plan.ListTasks(ctx, s.db, u, plan.Filter{PlanID: p.ID, Limit: 500})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	depts, err := s.departmentsOf(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// Build the document's tree: items under their parents, tasks under
	// their items, in document order.
	nodes := map[string]*itemNode{}
	var roots []*itemNode
	for _, it := range items {
		nodes[it.ID] = &itemNode{Item: it}
	}
	for _, it := range items {
		n := nodes[it.ID]
		if parent, ok := nodes[it.ParentID]; ok {
			parent.Children = append(parent.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	for _, t := range tasks {
		if n, ok := nodes[t.ItemID]; ok {
			n.Tasks = append(n.Tasks, t)
		}
	}
	summary, err := plan.Summarize(ctx, s.db, u, "", s.cfg.Now())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var editing *plan.Item
	if id := r.URL.Query().Get("edit"); id != "" {
		for i := range items {
			if items[i].ID == id {
				editing = &items[i]
			}
		}
		if editing != nil && !f.HasErrors() {
			it := editing
			f.Values = map[string]string{"parent_id": it.ParentID, "label": it.Label, "content": it.Content,
				"lead_department_id": it.LeadDepartmentID, "leader": it.Leader, "deadline": it.Deadline, "target": it.Target,
				"weight": strconv.FormatFloat(it.Weight, 'f', -1, 64), "seq": strconv.Itoa(it.Seq)}
		}
	}
	v := s.newView(r, "plans.title", map[string]any{"Plan": p, "Tree": roots, "Items": items, "Departments": depts, "Editing": editing,
		"Published": published, "Summary": summary, "CanWrite": u.Can(auth.PermPlanWrite)})
	v.Title = p.Title
	v.Form = f
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	if n := r.URL.Query().Get("imported"); n != "" {
		v.Flash = v.T("plan.imported", "n", n)
	}
	s.render(w, r, status, "plan", v)
}

func (s *Server) planPublish(w http.ResponseWriter, r *http.Request) {
	_, report, err := plan.PublishPlan(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		f := newForm()
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderPlan(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	s.renderPlan(w, r, http.StatusOK, newForm(), &report)
}

var itemFields = []string{"parent_id", "label", "content", "lead_department_id", "leader", "deadline", "target", "weight", "seq"}

func (s *Server) itemCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, itemFields...)
	weight, _ := strconv.ParseFloat(f.Values["weight"], 64)
	seq, _ := strconv.Atoi(f.Values["seq"])
	_, err := plan.AddItem(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"), plan.ItemInput{
		ParentID: f.Values["parent_id"], Seq: seq, Label: f.Values["label"], Content: f.Values["content"],
		LeadDepartmentID: f.Values["lead_department_id"], Supporting: r.PostForm["supporting"], Leader: f.Values["leader"],
		Deadline: f.Values["deadline"], Target: f.Values["target"], Weight: weight})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderPlan(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	http.Redirect(w, r, "/plans/"+r.PathValue("id")+"#items", http.StatusSeeOther)
}

// itemUpdate changes a work point from the plan page's form.
func (s *Server) itemUpdate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, itemFields...)
	weight, _ := strconv.ParseFloat(f.Values["weight"], 64)
	supporting := trimAll(r.PostForm["supporting"])
	_, err := plan.UpdateItem(r.Context(), s.db, userFrom(r.Context()), r.PathValue("item"), plan.ItemPatch{
		Label: ptr(f.Values["label"]), Content: ptr(f.Values["content"]), LeadDepartmentID: ptr(f.Values["lead_department_id"]),
		Supporting: &supporting, Leader: ptr(f.Values["leader"]), Deadline: ptr(f.Values["deadline"]),
		Target: ptr(f.Values["target"]), Weight: &weight})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		r.URL.RawQuery = "edit=" + r.PathValue("item")
		s.renderPlan(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	http.Redirect(w, r, "/plans/"+r.PathValue("id")+"?saved=1#items", http.StatusSeeOther)
}

func (s *Server) apiPlans(w http.ResponseWriter, r *http.Request) {
	year := 0
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			s.problem(w, r, http.StatusBadRequest, "error.validation", fieldErr("year", "rule.range", "min", 2000, "max", 2100))
			return
		}
		year = n
	}
	plans, err := plan.ListPlans(r.Context(), s.db, userFrom(r.Context()), r.URL.Query().Get("region"), year)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if plans == nil {
		plans = []plan.Plan{}
	}
	writeJSON(w, http.StatusOK, listResponse[plan.Plan]{Items: plans, Total: len(plans), Limit: len(plans)})
}

// taskFilter reads the task list's filters; the API names them plan,
// department, light, status, owner, q, due, overdue.
func taskFilter(r *http.Request, pg page) plan.Filter {
	q := r.URL.Query()
	f := plan.Filter{PlanID: q.Get("plan"), DepartmentID: q.Get("department"), Light: q.Get("light"),
		Status: q.Get("status"), OwnerID: q.Get("owner"), Q: q.Get("q"), Limit: pg.Limit, Offset: pg.Offset}
	if n, err := strconv.Atoi(q.Get("due")); err == nil && n > 0 {
		f.DueWithinWorkdays = n
	}
	f.Overdue = q.Get("overdue") == "1"
	f.Missed = q.Get("missed") == "1"
	return f
}

// todayIn is the server's today as a date in China.
func (s *Server) today() time.Time { return s.cfg.Now().In(shanghai) }

func trimAll(xs []string) []string {
	out := xs[:0]
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) planTemplate(w http.ResponseWriter, r *http.Request) {
	s.sendXLSX(w, r, "plan-template", func(w http.ResponseWriter) error {
		return plan.PlanTemplate(w, langFrom(r.Context()))
	})
}

// planImport takes the decomposition table (.xlsx): every row checked, and
// nothing stored unless all are good.
func (s *Server) planImport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	f := newForm()
	file, hdr, err := r.FormFile("file")
	if err != nil {
		f.Errors["file"] = s.t(r, "import.no_file")
		s.renderPlan(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	defer file.Close()
	report, err := plan.ImportPlan(ctx, s.db, userFrom(ctx), r.PathValue("id"), file, hdr.Size)
	if err != nil {
		if _, ok := fielderr.As(err); !ok {
			s.pageError(w, r, err)
			return
		}
		lang := langFrom(ctx)
		for _, e := range report.Errors {
			f.Summary += fmt.Sprintf("%s %d / %s: %s  ", s.t(r, "import.row"), e.Row, e.Column, locales.T(lang, e.Rule, e.Params))
		}
		if f.Summary == "" {
			f.setErrors(lang, err)
		}
		s.renderPlan(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	http.Redirect(w, r, "/plans/"+r.PathValue("id")+"?imported="+strconv.Itoa(report.Tasks)+"#items", http.StatusSeeOther)
}
