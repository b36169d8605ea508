package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/measure"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/sheet"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/locales"
)

func (s *Server) taskList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	pg := pageOf(r, 30)
	f := taskFilter(r, pg)
	f.Today = s.today()
	tab := r.URL.Query().Get("tab")
	applyTab(&f, tab, u)
	tasks, total, err := plan.ListTasks(ctx, s.db, u, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg.Total = total
	summary, err := plan.Summarize(ctx, s.db, u, "", s.cfg.Now())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	depts, err := s.departmentsOf(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "tasks.title", map[string]any{"Items": tasks, "Page": pg, "Filter": r.URL.Query(), "Tab": tab,
		"Summary": summary, "Departments": depts, "Lights": []string{plan.Green, plan.Yellow, plan.Red}})
	s.render(w, r, http.StatusOK, "tasks", v)
}

// applyTab narrows the task list to one of its tabs: my tasks, due soon,
// overdue, reports missed.
func applyTab(f *plan.Filter, tab string, u *auth.User) {
	switch tab {
	case "mine":
		f.OwnerID = u.ID
	case "due":
		if f.DueWithinWorkdays == 0 {
			f.DueWithinWorkdays = 5
		}
	case "overdue":
		f.Overdue = true
	case "missed":
		f.Missed = true
	}
}

// taskExport writes the tasks the list's filters select, every page of
// them, as a workbook.
func (s *Server) taskExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	f := taskFilter(r, page{})
	f.Today = s.today()
	f.Limit = 500
	applyTab(&f, r.URL.Query().Get("tab"), u)
	v := &view{Lang: langFrom(ctx)}
	var cols []sheet.Column
	for _, key := range []string{"task.title", "task.lead_department", "task.owner", "task.deadline", "task.progress",
		"task.light", "task.status"} {
		cols = append(cols, sheet.Column{ZH: locales.T(locales.ZH, key, nil), EN: locales.T(locales.EN, key, nil), Width: 18})
	}
	next := sheet.Paged(f.Limit, func(offset int) ([]plan.Task, error) {
		f.Offset = offset
		batch, _, err := plan.ListTasks(ctx, s.db, u, f)
		return batch, err
	}, func(t plan.Task) ([]any, error) {
		light := ""
		if t.Light != "" {
			light = v.T("light." + t.Light)
		}
		return []any{t.Title, t.LeadDepartment, t.OwnerName, t.Deadline, t.Progress, light, v.T("task.status." + t.Status)}, nil
	})
	s.sendXLSX(w, r, "tasks", func(w http.ResponseWriter) error {
		return sheet.Export(w, v.T("tasks.title"), cols, v.Lang, next)
	})
}

var taskFields = []string{"item_id", "parent_task_id", "title", "description", "lead_department", "owner", "leader",
	"start_date", "deadline", "target", "weight", "measure", "measure_target", "measure_baseline", "reason"}

func (s *Server) renderTaskForm(w http.ResponseWriter, r *http.Request, status int, f *form, t *plan.Task) {
	ctx := r.Context()
	u := userFrom(ctx)
	depts, err := s.departmentsOf(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	owners, _, err := auth.ListUsers(ctx, s.db, auth.UserFilter{RegionCode: u.RegionCode, Role: auth.RoleOfficer, Limit: 500})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	title := "tasks.new"
	if t != nil {
		title = "tasks.edit"
	}
	v := s.newView(r, title, map[string]any{"Task": t, "Departments": depts, "Owners": owners, "Measures": measure.All()})
	v.Form = f
	s.render(w, r, status, "task_form", v)
}

func (s *Server) taskNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["item_id"] = r.URL.Query().Get("item")
	f.Values["parent_task_id"] = r.URL.Query().Get("parent")
	s.renderTaskForm(w, r, http.StatusOK, f, nil)
}

func number(f *form, name string) float64 {
	n, _ := strconv.ParseFloat(f.Values[name], 64)
	return n
}

func (s *Server) taskCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, taskFields...)
	t, err := plan.CreateTask(r.Context(), s.db, userFrom(r.Context()), plan.TaskInput{
		ItemID: f.Values["item_id"], ParentTaskID: f.Values["parent_task_id"], Title: f.Values["title"],
		Description: f.Values["description"], LeadDepartmentID: f.Values["lead_department"], Supporting: trimAll(r.PostForm["supporting"]),
		OwnerID: f.Values["owner"], Leader: f.Values["leader"], StartDate: f.Values["start_date"], Deadline: f.Values["deadline"],
		Target: f.Values["target"], Weight: number(f, "weight"), MeasureKey: f.Values["measure"],
		MeasureTarget: number(f, "measure_target"), MeasureBaseline: number(f, "measure_baseline")})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderTaskForm(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	http.Redirect(w, r, "/tasks/"+t.ID+"?saved=1", http.StatusSeeOther)
}

func (s *Server) taskEdit(w http.ResponseWriter, r *http.Request) {
	t, err := plan.GetTask(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm()
	f.Values = map[string]string{"item_id": t.ItemID, "parent_task_id": t.ParentTaskID, "title": t.Title,
		"description": t.Description, "lead_department": t.LeadDepartmentID, "owner": t.OwnerID, "leader": t.Leader,
		"start_date": t.StartDate, "deadline": t.Deadline, "target": t.Target, "measure": t.MeasureKey,
		"weight": strconv.FormatFloat(t.Weight, 'f', -1, 64), "measure_target": strconv.FormatFloat(t.MeasureTarget, 'f', -1, 64),
		"measure_baseline": strconv.FormatFloat(t.MeasureBaseline, 'f', -1, 64)}
	s.renderTaskForm(w, r, http.StatusOK, f, t)
}

func (s *Server) taskUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	t, err := plan.GetTask(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := formFrom(r, taskFields...)
	weight, mt, mb := number(f, "weight"), number(f, "measure_target"), number(f, "measure_baseline")
	supporting := trimAll(r.PostForm["supporting"])
	p := plan.TaskPatch{Title: ptr(f.Values["title"]), Description: ptr(f.Values["description"]),
		LeadDepartmentID: ptr(f.Values["lead_department"]), Supporting: &supporting, OwnerID: ptr(f.Values["owner"]),
		Leader: ptr(f.Values["leader"]), StartDate: ptr(f.Values["start_date"]), Deadline: ptr(f.Values["deadline"]),
		Target: ptr(f.Values["target"]), Weight: &weight, MeasureKey: ptr(f.Values["measure"]), MeasureTarget: &mt,
		MeasureBaseline: &mb, Reason: f.Values["reason"]}
	if _, err := plan.UpdateTask(ctx, s.db, u, t.ID, p); err != nil {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderTaskForm(w, r, http.StatusUnprocessableEntity, f, t)
		return
	}
	http.Redirect(w, r, "/tasks/"+t.ID+"?saved=1", http.StatusSeeOther)
}

func (s *Server) taskShow(w http.ResponseWriter, r *http.Request) {
	s.renderTask(w, r, http.StatusOK, newForm())
}

func (s *Server) renderTask(w http.ResponseWriter, r *http.Request, status int, f *form) {
	ctx := r.Context()
	u := userFrom(ctx)
	t, err := plan.GetTask(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	reports, err := plan.ListReports(ctx, s.db, u, t.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	lights, err := plan.LightHistory(ctx, s.db, u, t.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	changes, err := plan.TaskHistory(ctx, s.db, u, t.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	canReport := u.Can(auth.PermTaskReport) && (t.LeadDepartmentID == u.DepartmentID || u.Role == auth.RoleAdmin) &&
		(t.Status == plan.TaskPublished || t.Status == plan.TaskSigned) && t.MeasureKey == ""
	v := s.newView(r, "tasks.title", map[string]any{"T": t, "Reports": reports, "Lights": lights, "Changes": changes,
		"CanReport": canReport, "CanSign": u.Can(auth.PermTaskReport) && t.Status == plan.TaskPublished && t.LeadDepartmentID == u.DepartmentID,
		"CanWrite": u.Can(auth.PermPlanWrite)})
	v.Title = t.Title
	v.Form = f
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "task", v)
}

// taskAction runs a state change and goes back to the task, or shows the
// refusal beside the task's fields.
func (s *Server) taskAction(w http.ResponseWriter, r *http.Request, act func() error) {
	if err := act(); err != nil {
		f := newForm()
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderTask(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/tasks/"+r.PathValue("id")+"?saved=1", http.StatusSeeOther)
}

func (s *Server) taskPublish(w http.ResponseWriter, r *http.Request) {
	s.taskAction(w, r, func() error {
		_, err := plan.PublishTask(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
		return err
	})
}

func (s *Server) taskClose(w http.ResponseWriter, r *http.Request) {
	s.taskAction(w, r, func() error {
		_, err := plan.CloseTask(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
		return err
	})
}

func (s *Server) taskSign(w http.ResponseWriter, r *http.Request) {
	s.taskAction(w, r, func() error {
		_, err := plan.SignTask(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
		return err
	})
}

// maxEvidence bounds one progress report's upload: a few files of the blob
// store's size limit.
const maxEvidence = 5*blob.DefaultMaxSize + 1<<20

// taskReport takes the progress form with its evidence files: the files are
// stored first (content-addressed, so a retry stores nothing twice), then
// the report refers to them.
func (s *Server) taskReport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxEvidence)
	f := newForm()
	lang := langFrom(ctx)
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		f.Errors["files"] = s.t(r, "import.too_big", "max", maxEvidence>>20)
		s.renderTask(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	for _, k := range []string{"percent", "note", "reason"} {
		f.Values[k] = r.FormValue(k)
	}
	percent, err := strconv.ParseFloat(f.Values["percent"], 64)
	if err != nil {
		f.Errors["percent"] = s.t(r, "rule.number")
		s.renderTask(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	var files []plan.File
	if r.MultipartForm != nil && len(r.MultipartForm.File["files"]) > 0 {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			for _, fh := range r.MultipartForm.File["files"] {
				src, err := fh.Open()
				if err != nil {
					return err
				}
				stored, err := s.blobs.Put(ctx, tx, src, fh.Filename, fh.Header.Get("Content-Type"))
				src.Close()
				if err != nil {
					return err
				}
				files = append(files, plan.File{Hash: stored.Hash, Name: fh.Filename, Size: stored.Size, Mime: stored.Mime})
			}
			return nil
		})
		if err != nil {
			if !f.setErrors(lang, err) {
				s.pageError(w, r, err)
				return
			}
			s.renderTask(w, r, http.StatusUnprocessableEntity, f)
			return
		}
	}
	_, err = plan.ReportProgress(ctx, s.db, userFrom(ctx), r.PathValue("id"), plan.ReportInput{Percent: percent,
		Note: f.Values["note"], Reason: f.Values["reason"], Files: files})
	if err != nil {
		if !f.setErrors(lang, err) {
			s.pageError(w, r, err)
			return
		}
		s.renderTask(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/tasks/"+r.PathValue("id")+"?saved=1", http.StatusSeeOther)
}

// taskFile serves an evidence file to whoever may see the task it was
// reported on.
func (s *Server) taskFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	reports, err := plan.ListReports(ctx, s.db, userFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var files []blob.File
	for _, rep := range reports {
		files = append(files, rep.Files...)
	}
	s.sendBlob(w, r, files, r.PathValue("hash"))
}

// apiTaskProgress is the API's progress report: {"percent": n, "note": "…",
// "reason": "…"}.
func (s *Server) apiTaskProgress(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Percent *float64 `json:"percent"`
		Note    string   `json:"note"`
		Reason  string   `json:"reason"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	if in.Percent == nil {
		s.problem(w, r, http.StatusUnprocessableEntity, "error.validation", fieldErr("percent", "rule.required"))
		return
	}
	rep, err := plan.ReportProgress(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"),
		plan.ReportInput{Percent: *in.Percent, Note: in.Note, Reason: in.Reason})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rep)
}
