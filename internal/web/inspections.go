package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
)

// registerInspectionRoutes: the office's inspections of the work (督查) and
// the rectifications they demand. The office (plan.write) runs the visits;
// a department (task.report) answers its own rectifications.
func (s *Server) registerInspectionRoutes() {
	read, write, report := auth.PermPlanRead, auth.PermPlanWrite, auth.PermTaskReport

	s.handle("GET /inspections", read, s.inspectionList)
	s.handle("POST /inspections", write, s.inspectionCreate)
	s.handle("GET /inspections/{id}", read, s.inspectionShow)
	s.handle("POST /inspections/{id}/tasks", write, s.inspectionPick)
	s.handle("POST /inspections/{id}/draw", write, s.inspectionDraw)
	s.handle("POST /inspections/{id}/complete", write, s.inspectionComplete)
	s.handle("POST /inspections/{id}/findings", write, s.findingCreate)
	s.handle("POST /inspections/{id}/findings/{finding}/rectifications", write, s.rectificationDemand)

	s.handle("GET /rectifications", read, s.rectificationList)
	s.handle("GET /rectifications/{id}", read, s.rectificationShow)
	s.handle("POST /rectifications/{id}/updates", report, s.rectificationUpdate)
	s.handle("POST /rectifications/{id}/close", write, s.rectificationClose)
}

var (
	inspectionKinds    = []string{plan.InspectionScheduled, plan.InspectionUnscheduled}
	inspectionStatuses = []string{plan.InspectionPlanned, plan.InspectionDone}
	findingSeverities  = []string{plan.SeverityMinor, plan.SeverityNormal, plan.SeveritySerious}
)

// planCtx reads the plan package's clock from the server's, so that what a
// page calls overdue and what a write stamps agree with the rest of the
// site (and with a test's fixed clock).
func (s *Server) planCtx(r *http.Request) context.Context {
	return plan.WithClock(r.Context(), s.cfg.Now)
}

// inspectionList is the list of visits with its filters and, for the
// office, the form to plan a new one.
func (s *Server) inspectionList(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["kind"] = plan.InspectionScheduled
	f.Values["visit_date"] = s.today().Format("2006-01-02")
	f.Values["plan_id"] = r.URL.Query().Get("plan")
	f.Values["department_id"] = r.URL.Query().Get("department")
	s.renderInspections(w, r, http.StatusOK, f)
}

func (s *Server) renderInspections(w http.ResponseWriter, r *http.Request, status int, f *form) {
	ctx := s.planCtx(r)
	u := userFrom(ctx)
	q := r.URL.Query()
	items, err := plan.ListInspections(ctx, s.db, u, plan.InspectionFilter{PlanID: q.Get("plan"),
		DepartmentID: q.Get("department"), Status: q.Get("status"), Limit: 200})
	if errors.Is(err, fielderr.ErrForbidden) {
		// A reader who belongs to no department is visited by no one.
		items, err = []plan.Inspection{}, nil
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	plans, err := plan.ListPlans(ctx, s.db, u, "", 0)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if status == http.StatusOK && f.Values["plan_id"] == "" {
		// A new visit is to the programme under way: the newest published
		// plan (a refused form keeps what was chosen).
		for _, p := range plans {
			if p.Status == plan.PlanPublished {
				f.Values["plan_id"] = p.ID
				break
			}
		}
	}
	depts, err := s.departmentsOf(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "inspections.title", map[string]any{"Items": items, "Plans": plans, "Departments": depts,
		"Filter": q, "Kinds": inspectionKinds, "Statuses": inspectionStatuses, "CanWrite": u.Can(auth.PermPlanWrite)})
	v.Form = f
	s.render(w, r, status, "inspections", v)
}

func (s *Server) inspectionCreate(w http.ResponseWriter, r *http.Request) {
	ctx := s.planCtx(r)
	f := formFrom(r, "plan_id", "title", "kind", "department_id", "visit_date", "notes")
	in, err := plan.CreateInspection(ctx, s.db, userFrom(ctx), plan.InspectionInput{PlanID: f.Values["plan_id"],
		Title: f.Values["title"], Kind: f.Values["kind"], DepartmentID: f.Values["department_id"],
		VisitDate: f.Values["visit_date"], Notes: r.PostFormValue("notes")})
	if err != nil {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderInspections(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/inspections/"+in.ID+"?saved=1", http.StatusSeeOther)
}

// rectView is a rectification as a page shows it, with what the viewer may
// do to it.
type rectView struct {
	plan.Rectification
	// Kinds are the follow-ups the viewer may add: notes and "done" for
	// the department's own staff, notes and "returned" for the office.
	Kinds    []string
	CanClose bool
}

func rectViewFor(u *auth.User, r plan.Rectification) rectView {
	v := rectView{Rectification: r}
	if r.Status == plan.RectificationClosed {
		return v
	}
	own := u.Can(auth.PermTaskReport) && u.DepartmentID != "" && u.DepartmentID == r.DepartmentID
	office := u.Can(auth.PermPlanWrite)
	if own || office {
		v.Kinds = append(v.Kinds, plan.UpdateNote)
	}
	if own && r.Status == plan.RectificationOpen {
		v.Kinds = append(v.Kinds, plan.UpdateDone)
	}
	if office && r.Status == plan.RectificationReported {
		v.Kinds = append(v.Kinds, plan.UpdateReturned)
		v.CanClose = true
	}
	return v
}

// findingView is a finding with the rectifications demanded on it.
type findingView struct {
	plan.Finding
	Rectifications []rectView
}

// inspectionPage is the data of a visit's page. Several forms share it;
// only the one that was submitted shows its values and errors again.
type inspectionPage struct {
	In         *plan.Inspection
	Findings   []findingView
	Candidates []plan.Task // the department's open tasks not yet on the visit
	Lights     map[string]string
	Names      map[string]string // user ID → name, for who did what
	Severities []string
	CanWrite   bool
	Editable   bool // tasks may still be picked or drawn
	formKey    string
	form       *form
}

// F is the form named key: the submitted one, or a fresh one.
func (p *inspectionPage) F(key string) *form {
	if key == p.formKey && p.form != nil {
		return p.form
	}
	return newForm()
}

// Name is a user's display name (the ID when the user is gone).
func (p *inspectionPage) Name(id string) string {
	if n, ok := p.Names[id]; ok {
		return n
	}
	return id
}

// DrawnTitles names the tasks a draw picked, in draw order.
func (p *inspectionPage) DrawnTitles(d plan.InspectionDraw) []string {
	titles := map[string]string{}
	for _, t := range p.In.Tasks {
		titles[t.TaskID] = t.Title
	}
	out := make([]string, 0, len(d.Drawn))
	for _, id := range d.Drawn {
		if t, ok := titles[id]; ok {
			out = append(out, t)
		} else {
			out = append(out, id)
		}
	}
	return out
}

// userNames looks up the display names of users, each once.
func (s *Server) userNames(ctx context.Context, ids ...string) map[string]string {
	out := map[string]string{}
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, done := out[id]; done {
			continue
		}
		if u, err := auth.GetUser(ctx, s.db, id); err == nil {
			out[id] = u.Name
			if u.Name == "" {
				out[id] = u.Username
			}
		} else {
			out[id] = id
		}
	}
	return out
}

func (s *Server) inspectionShow(w http.ResponseWriter, r *http.Request) {
	s.renderInspection(w, r, http.StatusOK, "", nil)
}

// renderInspection shows a visit; key names the form in f that was
// submitted (its errors show beside its fields).
func (s *Server) renderInspection(w http.ResponseWriter, r *http.Request, status int, key string, f *form) {
	ctx := s.planCtx(r)
	u := userFrom(ctx)
	in, err := plan.GetInspection(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := &inspectionPage{In: in, Severities: findingSeverities, CanWrite: u.Can(auth.PermPlanWrite),
		Editable: in.Status != plan.InspectionDone, formKey: key, form: f}
	ids := []string{in.CreatedBy}
	for _, fd := range in.Findings {
		fv := findingView{Finding: fd}
		for _, rc := range in.Rectifications {
			if rc.FindingID == fd.ID {
				fv.Rectifications = append(fv.Rectifications, rectViewFor(u, rc))
				for _, up := range rc.Updates {
					ids = append(ids, up.ActorID)
				}
			}
		}
		p.Findings = append(p.Findings, fv)
		ids = append(ids, fd.CreatedBy)
	}
	for _, d := range in.Draws {
		ids = append(ids, d.DrawnBy)
	}
	p.Names = s.userNames(ctx, ids...)
	if p.CanWrite && p.Editable {
		open, _, err := plan.ListTasks(ctx, s.db, u, plan.Filter{PlanID: in.PlanID, DepartmentID: in.DepartmentID,
			Status: "open", Limit: plan.MaxLimit})
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		on := map[string]bool{}
		for _, t := range in.Tasks {
			on[t.TaskID] = true
		}
		for _, t := range open {
			if !on[t.ID] {
				p.Candidates = append(p.Candidates, t)
			}
		}
	}
	v := s.newView(r, "inspections.title", p)
	v.Title = in.Title
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "inspection", v)
}

// inspectionAction runs an action of the visit's page: on success back to
// the page (at anchor), on a field error the page again with the errors
// beside the form named key.
func (s *Server) inspectionAction(w http.ResponseWriter, r *http.Request, key, anchor string, f *form, act func(ctx context.Context) error) {
	ctx := s.planCtx(r)
	if err := act(ctx); err != nil {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderInspection(w, r, http.StatusUnprocessableEntity, key, f)
		return
	}
	http.Redirect(w, r, "/inspections/"+r.PathValue("id")+"?saved=1#"+anchor, http.StatusSeeOther)
}

func (s *Server) inspectionPick(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := newForm()
	ids := trimAll(r.PostForm["task_ids"])
	s.inspectionAction(w, r, "pick", "tasks", f, func(ctx context.Context) error {
		_, err := plan.AddInspectionTasks(ctx, s.db, userFrom(ctx), r.PathValue("id"), ids)
		return err
	})
}

func (s *Server) inspectionDraw(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "n")
	s.inspectionAction(w, r, "draw", "tasks", f, func(ctx context.Context) error {
		n, err := strconv.Atoi(f.Values["n"])
		if err != nil {
			// The visit is checked first, so a missing one is a 404 and
			// not a complaint about the number.
			if _, err := plan.GetInspection(ctx, s.db, userFrom(ctx), r.PathValue("id")); err != nil {
				return err
			}
			return fielderr.New("n", "rule.integer")
		}
		_, err = plan.DrawInspectionTasks(ctx, s.db, userFrom(ctx), r.PathValue("id"), n)
		return err
	})
}

func (s *Server) inspectionComplete(w http.ResponseWriter, r *http.Request) {
	s.inspectionAction(w, r, "complete", "", newForm(), func(ctx context.Context) error {
		_, err := plan.CompleteInspection(ctx, s.db, userFrom(ctx), r.PathValue("id"))
		return err
	})
}

func (s *Server) findingCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "task_id", "content", "severity")
	f.Values["content"] = r.PostFormValue("content")
	s.inspectionAction(w, r, "finding", "findings", f, func(ctx context.Context) error {
		_, err := plan.RecordFinding(ctx, s.db, userFrom(ctx), r.PathValue("id"), plan.FindingInput{
			TaskID: f.Values["task_id"], Content: f.Values["content"], Severity: f.Values["severity"]})
		return err
	})
}

func (s *Server) rectificationDemand(w http.ResponseWriter, r *http.Request) {
	finding := r.PathValue("finding")
	f := formFrom(r, "demand", "deadline")
	f.Values["demand"] = r.PostFormValue("demand")
	s.inspectionAction(w, r, "rect:"+finding, "f-"+finding, f, func(ctx context.Context) error {
		u := userFrom(ctx)
		// The finding must belong to the visit in the address, or the page
		// shown after it would not be the one the demand was made on.
		in, err := plan.GetInspection(ctx, s.db, u, r.PathValue("id"))
		if err != nil {
			return err
		}
		found := false
		for _, fd := range in.Findings {
			found = found || fd.ID == finding
		}
		if !found {
			return fielderr.ErrNotFound
		}
		_, err = plan.DemandRectification(ctx, s.db, u, finding, plan.RectificationInput{
			Demand: f.Values["demand"], Deadline: f.Values["deadline"]})
		return err
	})
}

// Rectifications.

var rectificationTabs = []string{"open", "overdue", "all"}

func (s *Server) rectificationList(w http.ResponseWriter, r *http.Request) {
	ctx := s.planCtx(r)
	u := userFrom(ctx)
	q := r.URL.Query()
	tab := q.Get("tab")
	if tab == "" {
		tab = "open"
	}
	f := plan.RectificationFilter{PlanID: q.Get("plan"), DepartmentID: q.Get("department"), Today: s.cfg.Now(), Limit: 500}
	switch tab {
	case "overdue":
		f.Overdue = true
	case "all":
	default:
		tab, f.Open = "open", true
	}
	items, err := plan.ListRectifications(ctx, s.db, u, f)
	if errors.Is(err, fielderr.ErrForbidden) {
		items, err = []plan.Rectification{}, nil
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	overdue := 0
	for _, it := range items {
		if it.Overdue {
			overdue++
		}
	}
	var depts []registry.Department
	if u.Can(auth.PermPlanWrite) {
		if depts, err = s.departmentsOf(r); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	plans, err := plan.ListPlans(ctx, s.db, u, "", 0)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// The tabs keep the other filters.
	keep := url.Values{}
	for _, k := range []string{"plan", "department"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	v := s.newView(r, "rectifications.title", map[string]any{"Items": items, "Tab": tab, "Tabs": rectificationTabs,
		"Keep": keep.Encode(), "Filter": q, "Departments": depts, "Plans": plans, "Overdue": overdue})
	s.render(w, r, http.StatusOK, "inspection_rectifications", v)
}

func (s *Server) rectificationShow(w http.ResponseWriter, r *http.Request) {
	s.renderRectification(w, r, http.StatusOK, "", nil)
}

// rectificationPage is the data of one rectification's page.
type rectificationPage struct {
	R       rectView
	Names   map[string]string
	formKey string
	form    *form
}

func (p *rectificationPage) F(key string) *form {
	if key == p.formKey && p.form != nil {
		return p.form
	}
	return newForm()
}

func (p *rectificationPage) Name(id string) string {
	if n, ok := p.Names[id]; ok {
		return n
	}
	return id
}

func (s *Server) renderRectification(w http.ResponseWriter, r *http.Request, status int, key string, f *form) {
	ctx := s.planCtx(r)
	u := userFrom(ctx)
	rc, err := plan.GetRectification(ctx, s.db, u, r.PathValue("id"), s.cfg.Now())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	ids := []string{rc.CreatedBy}
	for _, up := range rc.Updates {
		ids = append(ids, up.ActorID)
	}
	p := &rectificationPage{R: rectViewFor(u, *rc), Names: s.userNames(ctx, ids...), formKey: key, form: f}
	v := s.newView(r, "rectifications.title", p)
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "inspection_rectification", v)
}

// rectificationBack is where a rectification's form returns: the visit's
// page it was sent from, or the rectification's own page.
func (s *Server) rectificationBack(w http.ResponseWriter, r *http.Request, key string, f *form, err error) {
	id := r.PathValue("id")
	from := r.PostFormValue("from")
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		if from != "" {
			if _, gerr := plan.GetInspection(s.planCtx(r), s.db, userFrom(r.Context()), from); gerr == nil {
				r.SetPathValue("id", from)
				s.renderInspection(w, r, http.StatusUnprocessableEntity, key+":"+id, f)
				return
			}
		}
		s.renderRectification(w, r, http.StatusUnprocessableEntity, key, f)
		return
	}
	if from != "" && !strings.ContainsAny(from, "/?#\\") {
		http.Redirect(w, r, "/inspections/"+url.PathEscape(from)+"?saved=1#r-"+id, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/rectifications/"+id+"?saved=1", http.StatusSeeOther)
}

func (s *Server) rectificationUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := s.planCtx(r)
	f := formFrom(r, "kind")
	f.Values["note"] = r.PostFormValue("note")
	_, err := plan.AddRectificationUpdate(ctx, s.db, userFrom(ctx), r.PathValue("id"),
		plan.RectificationUpdateInput{Kind: f.Values["kind"], Note: f.Values["note"]})
	s.rectificationBack(w, r, "update", f, err)
}

func (s *Server) rectificationClose(w http.ResponseWriter, r *http.Request) {
	ctx := s.planCtx(r)
	f := newForm()
	f.Values["note"] = r.PostFormValue("note")
	_, err := plan.CloseRectification(ctx, s.db, userFrom(ctx), r.PathValue("id"), f.Values["note"])
	s.rectificationBack(w, r, "close", f, err)
}
