package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/sheet"
)

// --- Sampling tasks ---

// labTasks lists the tasks the viewer may see; an enterprise sees none (it
// learns of a task from its sample).
func (s *Server) labTasks(r *http.Request) ([]lab.Task, error) {
	ctx := s.labCtx(r)
	tasks, err := lab.ListSamplingTasks(ctx, s.db, userFrom(ctx))
	if errors.Is(err, fielderr.ErrForbidden) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	status, term := q.Get("status"), strings.TrimSpace(q.Get("q"))
	out := tasks[:0]
	for _, t := range tasks {
		if status != "" && t.Status != status {
			continue
		}
		if term != "" && !strings.Contains(t.Title, term) && !strings.Contains(t.Category, term) && !slices.Contains(t.Items, term) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

func (s *Server) labTaskList(w http.ResponseWriter, r *http.Request) {
	tasks, err := s.labTasks(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg := pageOf(r, 50)
	items := slicePage(tasks, &pg)
	v := s.newView(r, "lab.tasks.title", map[string]any{"Items": items, "Page": pg, "Filter": r.URL.Query(),
		"Statuses": []string{lab.TaskOpen, lab.TaskClosed}, "CanManage": userFrom(r.Context()).Can(auth.PermLabManage)})
	s.render(w, r, http.StatusOK, "lab_tasks", v)
}

var labTaskColumns = []sheet.Column{
	{ZH: "任务名称", EN: "Title", Width: 30},
	{ZH: "产品类别", EN: "Category", Width: 14},
	{ZH: "类型", EN: "Kind", Width: 8},
	{ZH: "检验项目", EN: "Items", Width: 30},
	{ZH: "承检机构", EN: "Institution", Width: 26},
	{ZH: "开始日期", EN: "From", Width: 12},
	{ZH: "结束日期", EN: "To", Width: 12},
	{ZH: "抽检对象数", EN: "Targets", Width: 10},
	{ZH: "状态", EN: "Status", Width: 8},
}

func (s *Server) labTaskExport(w http.ResponseWriter, r *http.Request) {
	tasks, err := s.labTasks(r)
	if err != nil {
		s.labExportRefused(w, r, err)
		return
	}
	exportList(s, w, r, "lab.tasks.title", "sampling-tasks", labTaskColumns, tasks, func(v *view, t lab.Task) []any {
		return []any{t.Title, t.Category, v.T("lab.kind." + t.Kind), strings.Join(t.Items, "、"), t.Institution,
			t.PeriodFrom, t.PeriodTo, len(t.Enterprises), v.T("lab.task.status." + t.Status)}
	})
}

// regionEnterprises lists the enterprises an official may name as targets.
func (s *Server) regionEnterprises(r *http.Request) ([]registry.Enterprise, error) {
	ctx := r.Context()
	es, _, err := registry.ListEnterprises(ctx, s.db, userFrom(ctx), registry.Filter{Limit: 500})
	if errors.Is(err, fielderr.ErrForbidden) {
		return nil, nil
	}
	return es, err
}

// activeInstitutions lists the institutions a task or re-test may go to.
func (s *Server) activeInstitutions(r *http.Request, category, item string) ([]lab.Institution, error) {
	ctx := s.labCtx(r)
	ins, err := lab.ListInstitutions(ctx, s.db, userFrom(ctx), lab.InstitutionFilter{Status: lab.InstitutionActive,
		Category: category, Item: item})
	if errors.Is(err, fielderr.ErrForbidden) {
		return nil, nil
	}
	return ins, err
}

func (s *Server) renderLabTaskForm(w http.ResponseWriter, r *http.Request, status int, f *form, chosen []string) {
	ins, err := s.activeInstitutions(r, "", "")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	es, err := s.regionEnterprises(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	picked := map[string]bool{}
	for _, id := range chosen {
		picked[id] = true
	}
	v := s.newView(r, "lab.task.new", map[string]any{"Institutions": ins, "Enterprises": es, "Picked": picked,
		"Kinds": []string{lab.KindFood, lab.KindProduct}})
	v.Form = f
	s.render(w, r, status, "lab_task_form", v)
}

func (s *Server) labTaskNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["kind"] = lab.KindFood
	s.renderLabTaskForm(w, r, http.StatusOK, f, nil)
}

// splitItems reads items typed one a line or separated by commas.
func splitItems(s string) []string {
	return lines(strings.NewReplacer("，", "\n", ",", "\n", "、", "\n", "；", "\n", ";", "\n").Replace(s))
}

func (s *Server) labTaskCreate(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := formFrom(r, "title", "category", "kind", "items", "institution_id", "period_from", "period_to", "plan_ref")
	f.Values["items"] = r.PostFormValue("items")
	_ = r.ParseForm()
	targets := r.PostForm["enterprise_ids"]
	t, err := lab.CreateSamplingTask(ctx, s.db, userFrom(ctx), lab.TaskInput{Title: f.Values["title"],
		Category: f.Values["category"], Kind: f.Values["kind"], Items: splitItems(f.Values["items"]),
		InstitutionID: f.Values["institution_id"], PeriodFrom: f.Values["period_from"], PeriodTo: f.Values["period_to"],
		PlanRef: f.Values["plan_ref"], Enterprises: targets})
	if err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		foldErrors(f, langFrom(ctx), "items")
		foldErrors(f, langFrom(ctx), "enterprise_ids")
		s.renderLabTaskForm(w, r, http.StatusUnprocessableEntity, f, targets)
		return
	}
	http.Redirect(w, r, "/lab/tasks/"+t.ID+"?saved=1", http.StatusSeeOther)
}

func (s *Server) labTaskShow(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	t, err := lab.GetSamplingTask(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	samples, _, err := lab.ListSamples(ctx, s.db, u, lab.SampleFilter{TaskID: t.ID, Limit: 500})
	if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		s.pageError(w, r, err)
		return
	}
	names := map[string]string{}
	for _, id := range t.Enterprises {
		if e, err := registry.GetEnterprise(ctx, s.db, u, id); err == nil {
			names[id] = e.Name
		} else {
			names[id] = id
		}
	}
	v := s.newView(r, "lab.tasks.title", map[string]any{"T": t, "Samples": samples, "Targets": names,
		"CanManage": u.Can(auth.PermLabManage), "CanSample": u.Can(auth.PermLabSample)})
	v.Title = t.Title
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, http.StatusOK, "lab_task", v)
}

func (s *Server) labTaskClose(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	if _, err := lab.CloseSamplingTask(ctx, s.db, userFrom(ctx), r.PathValue("id")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/lab/tasks/"+r.PathValue("id")+"?saved=1", http.StatusSeeOther)
}

// --- Samples ---

func labSampleFilter(q url.Values) lab.SampleFilter {
	return lab.SampleFilter{TaskID: q.Get("task"), Custody: q.Get("custody")}
}

func (s *Server) labSampleList(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	pg := pageOf(r, 50)
	flt := labSampleFilter(r.URL.Query())
	flt.Limit, flt.Offset = pg.Limit, pg.Offset
	f := newForm()
	items, total, err := lab.ListSamples(ctx, s.db, userFrom(ctx), flt)
	if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
	}
	pg.Total = total
	u := userFrom(ctx)
	tasks, err := lab.ListSamplingTasks(ctx, s.db, u)
	if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "lab.samples.title", map[string]any{"Items": items, "Page": pg, "Filter": r.URL.Query(),
		"Steps": lab.Steps, "Tasks": tasks, "CanSample": u.Can(auth.PermLabSample)})
	v.Form = f
	s.renderChecked(w, r, "lab_samples", v)
}

var labSampleColumns = []sheet.Column{
	{ZH: "样品编号", EN: "Sample number", Width: 18},
	{ZH: "受检企业", EN: "Enterprise", Width: 26},
	{ZH: "产品", EN: "Product", Width: 20},
	{ZH: "产品类别", EN: "Category", Width: 12},
	{ZH: "批号", EN: "Lot", Width: 24},
	{ZH: "数量", EN: "Quantity", Width: 8},
	{ZH: "单位", EN: "Unit", Width: 6},
	{ZH: "抽样日期", EN: "Sampled on", Width: 12},
	{ZH: "抽样人员", EN: "Samplers", Width: 16},
	{ZH: "承检机构", EN: "Institution", Width: 26},
	{ZH: "流转状态", EN: "Custody", Width: 10},
}

func (s *Server) labSampleExport(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	flt := labSampleFilter(r.URL.Query())
	flt.Limit = 1
	if _, _, err := lab.ListSamples(ctx, s.db, u, flt); err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		s.labExportRefused(w, r, err)
		return
	}
	v := s.newView(r, "lab.samples.title", nil)
	next := sheet.Paged(200, func(offset int) ([]lab.Sample, error) {
		flt.Limit, flt.Offset = 200, offset
		items, _, err := lab.ListSamples(ctx, s.db, u, flt)
		if errors.Is(err, fielderr.ErrForbidden) {
			return nil, nil
		}
		return items, err
	}, func(x lab.Sample) ([]any, error) {
		return []any{x.Number, x.EnterpriseName, x.ProductName, x.Category, x.Lot, x.Quantity, x.Unit, x.SampledOn,
			strings.Join(x.Samplers, "、"), x.Institution, v.T("lab.step." + x.Custody)}, nil
	})
	s.sendXLSX(w, r, "samples", func(w http.ResponseWriter) error {
		return sheet.Export(w, v.T("lab.samples.title"), labSampleColumns, v.Lang, next)
	})
}

var labSampleFields = []string{"task_id", "enterprise_id", "product_id", "product_name", "category", "lot", "quantity", "unit",
	"sampled_on", "sampler1", "sampler2", "photos"}

// sampleProducts are the registered products a sample may name: those of
// the task's target enterprises, or of the enterprise already chosen when
// the task names none (a banner has too many to list).
func (s *Server) sampleProducts(r *http.Request, t *lab.Task, chosen string) ([]registry.Product, error) {
	ctx := r.Context()
	owners := t.Enterprises
	if len(owners) == 0 && chosen != "" {
		owners = []string{chosen}
	}
	var out []registry.Product
	for _, eid := range owners {
		ps, _, err := registry.ListProducts(ctx, s.db, userFrom(ctx), registry.ProductFilter{EnterpriseID: eid, Limit: 100})
		if errors.Is(err, fielderr.ErrForbidden) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// renderSampleForm shows the sampling form of a task, or the choice of a
// task when none is chosen yet.
func (s *Server) renderSampleForm(w http.ResponseWriter, r *http.Request, status int, f *form) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	tasks, err := lab.ListSamplingTasks(ctx, s.db, u)
	if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		s.pageError(w, r, err)
		return
	}
	open := []lab.Task{}
	for _, t := range tasks {
		if t.Status == lab.TaskOpen {
			open = append(open, t)
		}
	}
	data := map[string]any{"Tasks": open}
	if id := f.Values["task_id"]; id != "" {
		t, err := lab.GetSamplingTask(ctx, s.db, u, id)
		switch {
		case err == nil:
			data["Task"] = t
			var targets []registry.Enterprise
			if len(t.Enterprises) > 0 {
				for _, eid := range t.Enterprises {
					if e, err := registry.GetEnterprise(ctx, s.db, u, eid); err == nil {
						targets = append(targets, *e)
					}
				}
			} else if targets, err = s.regionEnterprises(r); err != nil {
				s.pageError(w, r, err)
				return
			}
			data["Enterprises"] = targets
			products, err := s.sampleProducts(r, t, f.Values["enterprise_id"])
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			data["Products"] = products
		case errors.Is(err, fielderr.ErrNotFound), errors.Is(err, fielderr.ErrForbidden):
			if f.Errors["task_id"] == "" {
				f.Errors["task_id"] = s.t(r, "rule.lab.task_unknown")
			}
		default:
			s.pageError(w, r, err)
			return
		}
	}
	var photos []string
	for _, h := range strings.Split(f.Values["photos"], ",") {
		if blob.ValidHash(h) {
			photos = append(photos, h)
		}
	}
	data["Photos"] = photos
	v := s.newView(r, "lab.sample.new", data)
	v.Form = f
	s.render(w, r, status, "lab_sample_form", v)
}

func (s *Server) labSampleNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	q := r.URL.Query()
	// task chooses the task; task_id and enterprise_id come from the form
	// itself when an enterprise is chosen, to list that enterprise's
	// products.
	f.Values["task_id"] = q.Get("task")
	if f.Values["task_id"] == "" {
		f.Values["task_id"] = q.Get("task_id")
	}
	f.Values["enterprise_id"] = q.Get("enterprise_id")
	f.Values["sampled_on"] = s.labToday()
	s.renderSampleForm(w, r, http.StatusOK, f)
}

// maxSealUpload bounds a sampling form: a few photos and the fields.
const maxSealUpload = 4*blob.DefaultMaxSize + 1<<20

func (s *Server) labSampleCreate(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	lang := langFrom(ctx)
	r.Body = http.MaxBytesReader(w, r.Body, maxSealUpload)
	f := newForm()
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		f.Errors["seal_photos"] = s.t(r, "rule.file.too_large", "max_mib", maxSealUpload>>20)
		s.renderSampleForm(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	for _, k := range labSampleFields {
		f.Values[k] = strings.TrimSpace(r.FormValue(k))
	}
	var photos []string
	for _, h := range strings.Split(f.Values["photos"], ",") {
		if h = strings.TrimSpace(h); h != "" {
			photos = append(photos, h)
		}
	}
	files, err := s.storeUploads(r)
	if err != nil {
		if l, ok := fielderr.As(err); ok {
			for i := range l {
				l[i].Field = "seal_photos"
			}
			f.setErrors(lang, l)
			s.renderSampleForm(w, r, http.StatusUnprocessableEntity, f)
			return
		}
		s.pageError(w, r, err)
		return
	}
	for _, fl := range files {
		photos = append(photos, fl.Hash)
	}
	// The photos already sent are kept, so a refused form is not sent
	// again with its files.
	f.Values["photos"] = strings.Join(photos, ",")
	in := lab.SampleInput{TaskID: f.Values["task_id"], EnterpriseID: f.Values["enterprise_id"],
		ProductID: f.Values["product_id"], ProductName: f.Values["product_name"], Category: f.Values["category"], Lot: f.Values["lot"],
		Unit: f.Values["unit"], SampledOn: f.Values["sampled_on"], SealPhotos: photos}
	for _, k := range []string{"sampler1", "sampler2"} {
		if f.Values[k] != "" {
			in.Samplers = append(in.Samplers, f.Values[k])
		}
	}
	if q := f.Values["quantity"]; q != "" {
		n, err := strconv.ParseFloat(q, 64)
		if err != nil {
			f.Errors["quantity"] = s.t(r, "rule.number")
		}
		in.Quantity = n
	}
	sm, err := lab.CreateSample(ctx, s.db, userFrom(ctx), in)
	if err != nil || f.HasErrors() {
		if err != nil && !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		foldErrors(f, lang, "seal_photos")
		s.renderSampleForm(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/lab/samples/"+sm.ID+"?saved=1", http.StatusSeeOther)
}

// resultRow is one line of the results table: the item, what was entered
// and the verdict with its reason in the page's language.
type resultRow struct {
	Item   string
	Result *lab.Result
	Why    string
}

// samplePage is a sample's page with the form that was sent.
type samplePage struct {
	S         *lab.Sample
	Items     []string
	Rows      []resultRow
	Reports   []lab.Report
	Draft     *lab.Report
	Issued    *lab.Report
	NextStep  string
	CanSample bool
	CanTest   bool
	// CanEnter: results may be entered or corrected, and the report drafted:
	// before the first issue, or while a revision is in draft.
	CanEnter bool
	LotLink  string
	// Methods are the institution's methods for the sample's items, from
	// its capability scope, to start the results form with.
	Methods map[string]string
	Lang    string
	Import  map[string]any
	formKey string
	form    *form
}

func (p *samplePage) F(key string) *form {
	if key == p.formKey && p.form != nil {
		return p.form
	}
	f := newForm()
	if key == "custody" {
		f.Values["step"] = p.NextStep
	}
	if key == "results" {
		for i, row := range p.Rows {
			n := strconv.Itoa(i)
			if row.Result != nil {
				f.Values["value"+n], f.Values["unit"+n] = row.Result.Value, row.Result.Unit
				f.Values["method"+n], f.Values["lod"+n] = row.Result.Method, row.Result.LOD
			} else {
				f.Values["method"+n] = p.Methods[row.Item]
			}
		}
	}
	return f
}

// LimitText spells the limit a result was judged by.
func (p *samplePage) LimitText(l *lab.LimitCopy) string { return limitText(l, p.Lang) }

// FieldErr is the message of a results row's field.
func (p *samplePage) FieldErr(f *form, field string, i int) string {
	return f.Error("results[" + strconv.Itoa(i) + "]." + field)
}

// Val is a results row's typed value.
func (p *samplePage) Val(f *form, field string, i int) string {
	return f.Value(field + strconv.Itoa(i))
}

func (s *Server) samplePageFor(r *http.Request, key string, f *form) (*samplePage, *view, error) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	sm, err := lab.GetSample(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	p := &samplePage{S: sm, Lang: langFrom(ctx), CanTest: u.Can(auth.PermLabTest) && u.InstitutionID == sm.InstitutionID, formKey: key, form: f}
	// Sending may be recorded by officials; every later step by the
	// institution that holds the sample.
	p.CanSample = u.Can(auth.PermLabSample) && sm.Custody != lab.StepDisposed &&
		(u.InstitutionID == sm.InstitutionID || u.InstitutionID == "" && sm.Custody == lab.StepSampled)
	if i := slices.Index(lab.Steps, sm.Custody); i >= 0 && i+1 < len(lab.Steps) {
		p.NextStep = lab.Steps[i+1]
	}
	if p.Items, err = lab.SampleItems(ctx, s.db, sm); err != nil {
		return nil, nil, err
	}
	// A result for an item no longer required (the task changed) is still
	// shown.
	for _, res := range sm.Results {
		if !slices.Contains(p.Items, res.Item) {
			p.Items = append(p.Items, res.Item)
		}
	}
	if sm.LotURI != "" && u.Can(auth.PermTraceGraph) && u.Role != auth.RoleEnterprise && u.Role != auth.RoleInstitution {
		p.LotLink = "/trace?epc=" + url.QueryEscape(sm.LotURI)
	}
	reports, _, err := lab.ListReports(ctx, s.db, u, lab.ReportFilter{SampleID: sm.ID, AllVersions: true, Limit: 50})
	if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		return nil, nil, err
	}
	for i := range reports {
		switch reports[i].Status {
		case lab.StatusDraft:
			p.Draft = &reports[i]
		case lab.StatusIssued:
			p.Issued = &reports[i]
		}
	}
	p.Reports = reports
	if p.CanTest {
		if in, err := lab.GetInstitution(ctx, s.db, u, sm.InstitutionID); err == nil {
			p.Methods = map[string]string{}
			for _, e := range in.Scope {
				if e.Category == sm.Category {
					p.Methods[e.Item] = e.Method
				}
			}
		}
	}
	p.CanEnter = p.CanTest && (p.Issued == nil || p.Draft != nil)
	v := s.newView(r, "lab.samples.title", p)
	v.Title = v.T("lab.sample.title", "number", sm.Number)
	for _, item := range p.Items {
		row := resultRow{Item: item}
		for i := range sm.Results {
			if sm.Results[i].Item == item {
				res := sm.Results[i]
				row.Result = &res
				row.Why = v.T(res.Reason, res.ReasonArgs...)
			}
		}
		p.Rows = append(p.Rows, row)
	}
	return p, v, nil
}

func (s *Server) labSampleShow(w http.ResponseWriter, r *http.Request) {
	s.renderSample(w, r, http.StatusOK, "", nil, nil)
}

func (s *Server) renderSample(w http.ResponseWriter, r *http.Request, status int, key string, f *form, imp map[string]any) {
	p, v, err := s.samplePageFor(r, key, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p.Import = imp
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "lab_sample", v)
}

func (s *Server) labSamplePhoto(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	sm, err := lab.GetSample(ctx, s.db, userFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	hash := r.PathValue("hash")
	if !slices.Contains(sm.SealPhotos, hash) || !blob.ValidHash(hash) {
		s.pageError(w, r, fielderr.ErrNotFound)
		return
	}
	s.serveStoredBlob(w, r, hash, "")
}

func (s *Server) labCustody(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := formFrom(r, "step", "at", "note")
	in := lab.CustodyInput{Step: f.Values["step"], Note: f.Values["note"]}
	if at := f.Values["at"]; at != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", at, shanghai)
		if err != nil {
			f.Errors["at"] = s.t(r, "rule.date.format")
			s.renderSample(w, r, http.StatusUnprocessableEntity, "custody", f, nil)
			return
		}
		in.At = t.UnixMilli()
	}
	if _, err := lab.AddCustodyStep(ctx, s.db, userFrom(ctx), r.PathValue("id"), in); err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		s.renderSample(w, r, http.StatusUnprocessableEntity, "custody", f, nil)
		return
	}
	http.Redirect(w, r, "/lab/samples/"+r.PathValue("id")+"?saved=1#custody", http.StatusSeeOther)
}

// labResults enters the results typed in the form: one row per item, those
// with a value. A refusal is shown beside the row's field.
func (s *Server) labResults(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	_ = r.ParseForm()
	f := newForm()
	var in []lab.ResultInput
	var rowOf []int
	for i := 0; i < lab.MaxItems; i++ {
		n := strconv.Itoa(i)
		item := strings.TrimSpace(r.PostFormValue("item" + n))
		if item == "" {
			break
		}
		for _, k := range []string{"value", "unit", "method", "lod"} {
			f.Values[k+n] = strings.TrimSpace(r.PostFormValue(k + n))
		}
		if f.Values["value"+n] == "" {
			continue
		}
		in = append(in, lab.ResultInput{Item: item, Value: f.Values["value"+n], Unit: f.Values["unit"+n],
			Method: f.Values["method"+n], LOD: f.Values["lod"+n]})
		rowOf = append(rowOf, i)
	}
	if _, err := lab.EnterResults(ctx, s.db, userFrom(ctx), r.PathValue("id"), in); err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		// The domain numbers the rows it was given; the form numbers every item.
		moved := map[string]string{}
		for k, msg := range f.Errors {
			if i, field, ok := splitIndexed(k, "results"); ok && i < len(rowOf) {
				moved["results["+strconv.Itoa(rowOf[i])+"]."+field] = msg
			} else {
				moved[k] = msg
			}
		}
		f.Errors = moved
		if msg := f.Errors["results"]; msg != "" {
			f.Summary = msg
		}
		if msg := f.Errors["sample"]; msg != "" {
			f.Summary = msg
		}
		s.renderSample(w, r, http.StatusUnprocessableEntity, "results", f, nil)
		return
	}
	http.Redirect(w, r, "/lab/samples/"+r.PathValue("id")+"?saved=1#results", http.StatusSeeOther)
}

// splitIndexed splits "results[3].value" into 3 and "value".
func splitIndexed(k, list string) (int, string, bool) {
	rest, ok := strings.CutPrefix(k, list+"[")
	if !ok {
		return 0, "", false
	}
	num, field, ok := strings.Cut(rest, "].")
	if !ok {
		return 0, "", false
	}
	i, err := strconv.Atoi(num)
	return i, field, err == nil && i >= 0
}

func (s *Server) labResultsTemplate(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	sm, err := lab.GetSample(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	items, err := lab.SampleItems(ctx, s.db, sm)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var in *lab.Institution
	if got, err := lab.GetInstitution(ctx, s.db, u, sm.InstitutionID); err == nil {
		in = got
	}
	s.sendXLSX(w, r, "results-"+sm.Number, func(w http.ResponseWriter) error {
		return lab.ResultsTemplate(w, sm, items, in, langFrom(ctx))
	})
}

func (s *Server) labResultsImport(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	lang := langFrom(ctx)
	if _, err := lab.GetSample(ctx, s.db, userFrom(ctx), r.PathValue("id")); err != nil {
		s.pageError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, lab.MaxResultsImportBytes+1<<20)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		key := "lab.import.no_file"
		if errors.As(err, &tooBig) {
			key = "import.too_big"
		}
		s.renderSample(w, r, http.StatusUnprocessableEntity, "import", nil,
			map[string]any{"Error": s.t(r, key, "max", lab.MaxResultsImportBytes>>20)})
		return
	}
	defer file.Close()
	in, rowOf, rowErrs, err := lab.ReadResults(file, hdr.Size, lang)
	if err == nil {
		_, err = lab.EnterResults(ctx, s.db, userFrom(ctx), r.PathValue("id"), in)
		if err != nil {
			rowErrs = lab.ResultRowErrors(err, rowOf, lang)
		}
	}
	if err != nil {
		if _, ok := fielderr.As(err); !ok {
			if errors.Is(err, fielderr.ErrForbidden) {
				rowErrs = []sheet.RowError{{Column: "file", Rule: "lab.not_yours"}}
			} else {
				s.pageError(w, r, err)
				return
			}
		}
		s.renderSample(w, r, http.StatusUnprocessableEntity, "import", nil,
			map[string]any{"Errors": rowErrs, "FileName": hdr.Filename})
		return
	}
	http.Redirect(w, r, "/lab/samples/"+r.PathValue("id")+"?saved=1#results", http.StatusSeeOther)
}

func (s *Server) labReportDraft(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := newForm()
	rep, err := lab.DraftReport(ctx, s.db, userFrom(ctx), r.PathValue("id"))
	if err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		if msg := f.Errors["sample"]; msg != "" {
			f.Summary = msg
		}
		s.renderSample(w, r, http.StatusUnprocessableEntity, "report", f, nil)
		return
	}
	http.Redirect(w, r, "/lab/reports/"+url.PathEscape(rep.Number)+"?saved=1", http.StatusSeeOther)
}
