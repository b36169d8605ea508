package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/sheet"
)

// registerLabPageRoutes: the testing system's pages. Officials keep the
// register of institutions, the limits catalogue and the sampling tasks;
// samplers record samples and their custody; an institution's users enter
// results and draft and approve reports; an enterprise reads its own and
// objects.
func (s *Server) registerLabPageRoutes() {
	read, manage := auth.PermLabRead, auth.PermLabManage
	sample, test, object := auth.PermLabSample, auth.PermLabTest, auth.PermLabObject

	s.handle("GET /lab", read, s.labHome)
	s.handle("GET /lab/institutions", read, s.labInstitutionList)
	s.handle("GET /lab/institutions/export", read, s.labInstitutionExport)
	s.handle("GET /lab/institutions/new", manage, s.labInstitutionNew)
	s.handle("POST /lab/institutions", manage, s.labInstitutionCreate)
	s.handle("GET /lab/institutions/{id}", read, s.labInstitutionShow)
	s.handle("GET /lab/institutions/{id}/edit", manage, s.labInstitutionEdit)
	s.handle("POST /lab/institutions/{id}", manage, s.labInstitutionUpdate)
	s.handle("POST /lab/institutions/{id}/scope", manage, s.labScopeAdd)
	s.handle("POST /lab/institutions/{id}/scope/remove", manage, s.labScopeRemove)

	s.handle("GET /lab/limits", read, s.labLimitList)
	s.handle("GET /lab/limits/export", read, s.labLimitExport)
	s.handle("GET /lab/limits/new", manage, s.labLimitNew)
	s.handle("POST /lab/limits", manage, s.labLimitCreate)
	s.handle("GET /lab/limits/import", manage, s.labLimitImportPage)
	s.handle("POST /lab/limits/import", manage, s.labLimitImport)
	s.handle("GET /lab/limits/template", manage, s.labLimitTemplate)
	s.handle("GET /lab/limits/{id}/edit", manage, s.labLimitEdit)
	s.handle("POST /lab/limits/{id}", manage, s.labLimitUpdate)
	s.handle("POST /lab/limits/{id}/delete", manage, s.labLimitDelete)

	s.handle("GET /lab/categories", read, s.labCategoryList)
	s.handle("POST /lab/categories", manage, s.labCategorySave)
	s.handle("POST /lab/categories/delete", manage, s.labCategoryDelete)

	s.handle("GET /lab/tasks", read, s.labTaskList)
	s.handle("GET /lab/tasks/export", read, s.labTaskExport)
	s.handle("GET /lab/tasks/new", manage, s.labTaskNew)
	s.handle("POST /lab/tasks", manage, s.labTaskCreate)
	s.handle("GET /lab/tasks/{id}", read, s.labTaskShow)
	s.handle("POST /lab/tasks/{id}/close", manage, s.labTaskClose)

	s.handle("GET /lab/samples", read, s.labSampleList)
	s.handle("GET /lab/samples/export", read, s.labSampleExport)
	s.handle("GET /lab/samples/new", sample, s.labSampleNew)
	s.handle("POST /lab/samples", sample, s.labSampleCreate)
	s.handle("GET /lab/samples/{id}", read, s.labSampleShow)
	s.handle("GET /lab/samples/{id}/photos/{hash}", read, s.labSamplePhoto)
	s.handle("POST /lab/samples/{id}/custody", sample, s.labCustody)
	s.handle("POST /lab/samples/{id}/results", test, s.labResults)
	s.handle("GET /lab/samples/{id}/results/template", test, s.labResultsTemplate)
	s.handle("POST /lab/samples/{id}/results/import", test, s.labResultsImport)
	s.handle("POST /lab/samples/{id}/report", test, s.labReportDraft)

	s.handle("GET /lab/reports", read, s.labReportList)
	s.handle("GET /lab/reports/export", read, s.labReportExport)
	s.handle("GET /lab/reports/{number}", read, s.labReportShow)
	s.handle("GET /lab/reports/{number}/print", read, s.labReportPrint)
	s.handle("POST /lab/reports/{number}/approve", test, s.labReportApprove)
	s.handle("POST /lab/reports/{number}/revise", test, s.labReportRevise)
	s.handle("POST /lab/reports/{number}/revoke", auth.PermLabReportState, s.labReportRevoke)
	s.handle("POST /lab/reports/{number}/delivery", auth.PermLabReportState, s.labReportDelivery)
	s.handle("POST /lab/reports/{number}/objection", object, s.labReportObject)

	s.handle("GET /lab/objections", read, s.labObjectionList)
	s.handle("GET /lab/objections/export", read, s.labObjectionExport)
	s.handle("POST /lab/objections/{id}/assign", manage, s.labObjectionAssign)

	s.handle("GET /lab/flags", manage, s.labFlagList)
	s.handle("GET /lab/flags/export", manage, s.labFlagExport)
	s.handle("POST /lab/flags/{id}/resolve", manage, s.labFlagResolve)
}

// labCtx carries the server's clock into the lab package, so deadlines and
// stamps agree with the rest of the site (and a test's fixed clock).
func (s *Server) labCtx(r *http.Request) context.Context {
	return lab.WithClock(r.Context(), s.cfg.Now)
}

// labToday is today's date in China.
func (s *Server) labToday() string { return s.cfg.Now().In(shanghai).Format(time.DateOnly) }

// labSection is one entry of the testing system's landing page.
type labSection struct {
	Key, Href string
	N         int // -1 when the section shows no count
}

// labHome lists the sections of the testing system the viewer may open,
// with how much each holds for them.
func (s *Server) labHome(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	count := func(n int, err error) int {
		if err != nil {
			return -1
		}
		return n
	}
	var secs []labSection
	_, n, err := lab.ListSamples(ctx, s.db, u, lab.SampleFilter{Limit: 1})
	secs = append(secs, labSection{"lab.samples.title", "/lab/samples", count(n, err)})
	_, n, err = lab.ListReports(ctx, s.db, u, lab.ReportFilter{Limit: 1})
	secs = append(secs, labSection{"lab.reports.title", "/lab/reports", count(n, err)})
	if u.Role != auth.RoleEnterprise {
		ts, err := lab.ListSamplingTasks(ctx, s.db, u)
		secs = append(secs, labSection{"lab.tasks.title", "/lab/tasks", count(len(ts), err)})
	}
	if u.Role != auth.RoleInstitution {
		os, err := lab.ListObjections(ctx, s.db, u, lab.ObjectionOpen)
		secs = append(secs, labSection{"lab.objections.open", "/lab/objections?status=open", count(len(os), err)})
	}
	secs = append(secs, labSection{"lab.institutions.title", "/lab/institutions", -1},
		labSection{"lab.limits.title", "/lab/limits", -1})
	if u.Can(auth.PermLabManage) {
		fs, err := lab.Flags(ctx, s.db, u, lab.FlagFilter{OpenOnly: true})
		secs = append(secs, labSection{"lab.home.flags_open", "/lab/flags?open=1", count(len(fs), err)})
	}
	s.render(w, r, http.StatusOK, "lab_home", s.newView(r, "nav.lab", map[string]any{"Sections": secs}))
}

var labReportStatuses = []string{lab.StatusDraft, lab.StatusIssued, lab.StatusSuperseded, lab.StatusRevoked}

// labFormError puts a domain refusal on a form. Field errors go beside
// their fields; an action the user's role allows but this record does not
// (another institution's sample, say) is said once for the whole form. It
// reports false for errors the page cannot show (not found, failures).
func (s *Server) labFormError(r *http.Request, f *form, err error) bool {
	// Steps and report states travel as codes; the reader sees their names.
	if list, ok := fielderr.As(err); ok {
		for _, e := range list {
			for k, v := range e.Params {
				code, _ := v.(string)
				switch {
				case (k == "step" || k == "expected") && slices.Contains(lab.Steps, code):
					e.Params[k] = s.t(r, "lab.step."+code)
				case k == "status" && slices.Contains(labReportStatuses, code):
					e.Params[k] = s.t(r, "lab.report.status."+code)
				}
			}
		}
	}
	if f.setErrors(langFrom(r.Context()), err) {
		return true
	}
	if errors.Is(err, fielderr.ErrForbidden) {
		f.Summary = s.t(r, "lab.not_yours")
		return true
	}
	return false
}

// foldErrors moves errors of indexed fields ("scope[2].item") onto their
// list's field ("scope"), numbering the line, since a form shows the list
// as one field.
func foldErrors(f *form, lang, list string) {
	for k, msg := range f.Errors {
		rest, ok := strings.CutPrefix(k, list+"[")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, "]")
		line := num
		if n, err := strconv.Atoi(num); err == nil {
			line = strconv.Itoa(n + 1)
		}
		prefix := "第 " + line + " 行："
		if sheet.English(lang) {
			prefix = "line " + line + ": "
		}
		if f.Errors[list] == "" {
			f.Errors[list] = prefix + msg
		} else {
			f.Errors[list] += "；" + prefix + msg
		}
		delete(f.Errors, k)
	}
}

// slicePage cuts one page out of a list the domain returns whole.
func slicePage[T any](items []T, pg *page) []T {
	pg.Total = len(items)
	if pg.Offset >= len(items) {
		return nil
	}
	return items[pg.Offset:min(len(items), pg.Offset+pg.Limit)]
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// splitCells splits a line of a textarea table ("乳制品 | 铅 | GB 5009.12")
// at "|", tabs (pasted from Excel) or full-width bars.
func splitCells(line string) []string {
	line = strings.NewReplacer("\t", "|", "｜", "|").Replace(line)
	parts := strings.Split(line, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// --- Institutions ---

func labInstitutionFilter(q url.Values) lab.InstitutionFilter {
	return lab.InstitutionFilter{Status: q.Get("status"), Q: q.Get("q"), Category: q.Get("category"), Item: q.Get("item")}
}

// institutionRow is an institution with what a list shows of its
// certificate.
type institutionRow struct {
	lab.Institution
	// CMAState is valid, expiring (within 90 days) or expired; DaysLeft
	// the days to its last valid day.
	CMAState string
	DaysLeft int
}

// cmaWarnDays is how long before a CMA certificate lapses the pages warn:
// the renewal must be applied for three months ahead (domain-cn.md §7.1).
const cmaWarnDays = 90

func (s *Server) institutionRow(in lab.Institution) institutionRow {
	row := institutionRow{Institution: in, CMAState: "valid"}
	today, _ := parseDay(s.labToday())
	end, ok := parseDay(in.CMAValidTo)
	if !ok {
		return row
	}
	row.DaysLeft = int(end.Sub(today).Hours() / 24)
	switch {
	case row.DaysLeft < 0:
		row.CMAState = "expired"
	case row.DaysLeft <= cmaWarnDays:
		row.CMAState = "expiring"
	}
	return row
}

func (s *Server) labInstitutions(r *http.Request) ([]institutionRow, *form, error) {
	ctx := s.labCtx(r)
	f := newForm()
	items, err := lab.ListInstitutions(ctx, s.db, userFrom(ctx), labInstitutionFilter(r.URL.Query()))
	if err != nil {
		switch {
		case errors.Is(err, fielderr.ErrForbidden):
		case f.setErrors(langFrom(ctx), err):
		default:
			return nil, nil, err
		}
	}
	rows := make([]institutionRow, 0, len(items))
	for _, in := range items {
		rows = append(rows, s.institutionRow(in))
	}
	return rows, f, nil
}

func (s *Server) labInstitutionList(w http.ResponseWriter, r *http.Request) {
	rows, f, err := s.labInstitutions(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg := pageOf(r, 50)
	items := slicePage(rows, &pg)
	v := s.newView(r, "lab.institutions.title", map[string]any{"Items": items, "Page": pg, "Filter": r.URL.Query(),
		"Statuses": lab.InstitutionStatuses, "CanManage": userFrom(r.Context()).Can(auth.PermLabManage)})
	v.Form = f
	s.renderChecked(w, r, "lab_institutions", v)
}

var labInstitutionColumns = []sheet.Column{
	{ZH: "机构名称", EN: "Name", Width: 30},
	{ZH: "统一社会信用代码", EN: "USCC", Width: 22},
	{ZH: "CMA证书编号", EN: "CMA number", Width: 16},
	{ZH: "CMA有效期起", EN: "CMA valid from", Width: 12},
	{ZH: "CMA有效期至", EN: "CMA valid to", Width: 12},
	{ZH: "CNAS认可编号", EN: "CNAS number", Width: 14},
	{ZH: "状态", EN: "Status", Width: 10},
	{ZH: "能力范围条目", EN: "Scope entries", Width: 12},
	{ZH: "地址", EN: "Address", Width: 30},
	{ZH: "联系方式", EN: "Contact", Width: 20},
}

func (s *Server) labInstitutionExport(w http.ResponseWriter, r *http.Request) {
	rows, f, err := s.labInstitutions(r)
	if err != nil || f.HasErrors() {
		s.labExportRefused(w, r, err)
		return
	}
	exportList(s, w, r, "lab.institutions.title", "institutions", labInstitutionColumns, rows, func(v *view, in institutionRow) []any {
		return []any{in.Name, in.USCC, in.CMANumber, in.CMAValidFrom, in.CMAValidTo, in.CNASNumber,
			v.T("lab.institution.status." + in.Status), len(in.Scope), in.Address, in.Contact}
	})
}

// exportList sends rows already listed as a spreadsheet titled by
// titleKey in the reader's language, one row of cells each.
func exportList[T any](s *Server, w http.ResponseWriter, r *http.Request, titleKey, file string, cols []sheet.Column, rows []T, row func(v *view, x T) []any) {
	v := s.newView(r, titleKey, nil)
	s.sendXLSX(w, r, file, func(w http.ResponseWriter) error {
		return sheet.Export(w, v.T(titleKey), cols, v.Lang, sheet.Slice(rows, func(x T) []any { return row(v, x) }))
	})
}

// labExportRefused answers an export whose filters are bad, or that failed.
func (s *Server) labExportRefused(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		s.errorPage(w, r, http.StatusUnprocessableEntity, "error.validation")
		return
	}
	if _, ok := fielderr.As(err); ok {
		s.errorPage(w, r, http.StatusUnprocessableEntity, "error.validation")
		return
	}
	s.pageError(w, r, err)
}

var labInstitutionFields = []string{"name", "uscc", "report_prefix", "cma_number", "cma_valid_from", "cma_valid_to",
	"cnas_number", "address", "contact", "status", "status_reason"}

func (s *Server) labInstitutionNew(w http.ResponseWriter, r *http.Request) {
	s.renderInstitutionForm(w, r, http.StatusOK, nil, newForm())
}

func (s *Server) renderInstitutionForm(w http.ResponseWriter, r *http.Request, status int, in *lab.Institution, f *form) {
	key := "lab.institution.new"
	if in != nil {
		key = "lab.institution.edit"
	}
	v := s.newView(r, key, map[string]any{"I": in, "Statuses": lab.InstitutionStatuses})
	v.Form = f
	s.render(w, r, status, "lab_institution_form", v)
}

// parseScope reads the scope textarea: one "category | item | method" a line.
func parseScope(text string) []lab.ScopeEntry {
	var out []lab.ScopeEntry
	for _, l := range lines(text) {
		c := splitCells(l)
		e := lab.ScopeEntry{Category: c[0]}
		if len(c) > 1 {
			e.Item = c[1]
		}
		if len(c) > 2 {
			e.Method = strings.Join(c[2:], " ")
		}
		out = append(out, e)
	}
	return out
}

func (s *Server) labInstitutionCreate(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := formFrom(r, append(labInstitutionFields, "scope")...)
	f.Values["scope"] = r.PostFormValue("scope")
	in, err := lab.CreateInstitution(ctx, s.db, userFrom(ctx), lab.InstitutionInput{Name: f.Values["name"],
		USCC: f.Values["uscc"], ReportPrefix: f.Values["report_prefix"], CMANumber: f.Values["cma_number"],
		CMAValidFrom: f.Values["cma_valid_from"], CMAValidTo: f.Values["cma_valid_to"], CNASNumber: f.Values["cnas_number"],
		Address: f.Values["address"], Contact: f.Values["contact"], Scope: parseScope(f.Values["scope"])})
	if err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		foldErrors(f, langFrom(ctx), "scope")
		s.renderInstitutionForm(w, r, http.StatusUnprocessableEntity, nil, f)
		return
	}
	http.Redirect(w, r, "/lab/institutions/"+in.ID+"?saved=1", http.StatusSeeOther)
}

func (s *Server) labInstitutionEdit(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	in, err := lab.GetInstitution(ctx, s.db, userFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm()
	for k, v := range map[string]string{"name": in.Name, "uscc": in.USCC, "report_prefix": in.ReportPrefix,
		"cma_number": in.CMANumber, "cma_valid_from": in.CMAValidFrom, "cma_valid_to": in.CMAValidTo,
		"cnas_number": in.CNASNumber, "address": in.Address, "contact": in.Contact, "status": in.Status,
		"status_reason": in.StatusReason} {
		f.Values[k] = v
	}
	s.renderInstitutionForm(w, r, http.StatusOK, in, f)
}

func (s *Server) labInstitutionUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	in, err := lab.GetInstitution(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := formFrom(r, labInstitutionFields...)
	f.Values["uscc"], f.Values["report_prefix"] = in.USCC, in.ReportPrefix
	p := lab.InstitutionPatch{Name: ptr(f.Values["name"]), CMANumber: ptr(f.Values["cma_number"]),
		CMAValidFrom: ptr(f.Values["cma_valid_from"]), CMAValidTo: ptr(f.Values["cma_valid_to"]),
		CNASNumber: ptr(f.Values["cnas_number"]), Address: ptr(f.Values["address"]), Contact: ptr(f.Values["contact"]),
		Status: ptr(f.Values["status"]), StatusReason: ptr(f.Values["status_reason"])}
	if _, err := lab.UpdateInstitution(ctx, s.db, u, in.ID, p); err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		s.renderInstitutionForm(w, r, http.StatusUnprocessableEntity, in, f)
		return
	}
	http.Redirect(w, r, "/lab/institutions/"+in.ID+"?saved=1", http.StatusSeeOther)
}

// institutionPage is an institution's page with the form that was sent.
type institutionPage struct {
	I         institutionRow
	Users     []auth.User
	UserLinks bool
	Flags     []lab.Flag
	CanManage bool
	Open      int
	formKey   string
	form      *form
}

func (p *institutionPage) F(key string) *form {
	if key == p.formKey && p.form != nil {
		return p.form
	}
	return newForm()
}

func (s *Server) labInstitutionShow(w http.ResponseWriter, r *http.Request) {
	s.renderInstitution(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderInstitution(w http.ResponseWriter, r *http.Request, status int, key string, f *form) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	in, err := lab.GetInstitution(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := &institutionPage{I: s.institutionRow(*in), CanManage: u.Can(auth.PermLabManage), formKey: key, form: f,
		UserLinks: u.Can(auth.PermUserAdmin)}
	// Officials and the institution's own people see who works there.
	if u.EnterpriseID == "" && (u.InstitutionID == "" || u.InstitutionID == in.ID) {
		users, _, err := auth.ListUsers(ctx, s.db, auth.UserFilter{Role: auth.RoleInstitution, InstitutionID: in.ID, Limit: 500})
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		p.Users = users
	}
	if p.CanManage {
		flags, err := lab.Flags(ctx, s.db, u, lab.FlagFilter{InstitutionID: in.ID})
		if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
			s.pageError(w, r, err)
			return
		}
		p.Flags = flags
		for _, fl := range flags {
			if fl.ResolvedAt == 0 {
				p.Open++
			}
		}
	}
	v := s.newView(r, "lab.institutions.title", p)
	v.Title = in.Name
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "lab_institution", v)
}

// labScopeChange replaces an institution's capability table with change's
// result, showing refusals on the scope form.
func (s *Server) labScopeChange(w http.ResponseWriter, r *http.Request, key string, f *form, change func([]lab.ScopeEntry) ([]lab.ScopeEntry, bool)) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	in, err := lab.GetInstitution(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	scope, ok := change(append([]lab.ScopeEntry(nil), in.Scope...))
	if !ok {
		s.renderInstitution(w, r, http.StatusUnprocessableEntity, key, f)
		return
	}
	if _, err := lab.UpdateInstitution(ctx, s.db, u, in.ID, lab.InstitutionPatch{Scope: &scope}); err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		// The new row is the last one: its errors belong to the form's fields.
		last := "scope[" + strconv.Itoa(len(scope)-1) + "]."
		for k, msg := range f.Errors {
			if field, ok := strings.CutPrefix(k, last); ok {
				f.Errors[field] = msg
				delete(f.Errors, k)
			}
		}
		foldErrors(f, langFrom(ctx), "scope")
		s.renderInstitution(w, r, http.StatusUnprocessableEntity, key, f)
		return
	}
	http.Redirect(w, r, "/lab/institutions/"+in.ID+"?saved=1#scope", http.StatusSeeOther)
}

func (s *Server) labScopeAdd(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "category", "item", "method")
	s.labScopeChange(w, r, "scope", f, func(sc []lab.ScopeEntry) ([]lab.ScopeEntry, bool) {
		if f.Values["category"] == "" {
			f.Errors["category"] = s.t(r, "rule.required")
		}
		if f.Values["item"] == "" {
			f.Errors["item"] = s.t(r, "rule.required")
		}
		return append(sc, lab.ScopeEntry{Category: f.Values["category"], Item: f.Values["item"], Method: f.Values["method"]}),
			!f.HasErrors()
	})
}

func (s *Server) labScopeRemove(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "category", "item", "method")
	s.labScopeChange(w, r, "scope", f, func(sc []lab.ScopeEntry) ([]lab.ScopeEntry, bool) {
		out := sc[:0]
		found := false
		for _, e := range sc {
			if !found && e.Category == f.Values["category"] && e.Item == f.Values["item"] && e.Method == f.Values["method"] {
				found = true
				continue
			}
			out = append(out, e)
		}
		if !found {
			f.Errors["item"] = s.t(r, "lab.scope.not_found")
		}
		return out, found
	})
}
