package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/internal/qrlabel"
	"github.com/hallmark-platform/hallmark/internal/sheet"
)

// --- Reports ---

func labReportFilter(q url.Values) lab.ReportFilter {
	return lab.ReportFilter{Status: q.Get("status"), Conclusion: q.Get("conclusion"), InstitutionID: q.Get("institution")}
}

// reportRow is a report with the parties its content names, for lists.
type reportRow struct {
	lab.Report
	Enterprise string
	Product    string
	IssuedOn   string
}

// reportRows completes a page of reports with their content's names (lists
// carry only the head of each report).
func (s *Server) reportRows(r *http.Request, items []lab.Report) []reportRow {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	out := make([]reportRow, 0, len(items))
	for _, it := range items {
		row := reportRow{Report: it}
		if full, err := lab.GetReportVersion(ctx, s.db, u, it.Number, it.Version); err == nil && full.Content != nil {
			row.Enterprise, row.Product, row.IssuedOn = full.Content.Enterprise.Name, full.Content.Sample.Product, full.Content.IssuedOn
		}
		if row.IssuedOn == "" && it.IssuedAt != 0 {
			row.IssuedOn = recallTime(it.IssuedAt)[:10]
		}
		out = append(out, row)
	}
	return out
}

func (s *Server) labReportList(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	pg := pageOf(r, 50)
	flt := labReportFilter(r.URL.Query())
	flt.Limit, flt.Offset = pg.Limit, pg.Offset
	f := newForm()
	items, total, err := lab.ListReports(ctx, s.db, userFrom(ctx), flt)
	if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
	}
	pg.Total = total
	// Officials compare institutions; an institution or enterprise has one
	// side only.
	var insts []lab.Institution
	if u := userFrom(ctx); u.InstitutionID == "" && u.EnterpriseID == "" {
		if insts, err = lab.ListInstitutions(ctx, s.db, u, lab.InstitutionFilter{}); err != nil && !errors.Is(err, fielderr.ErrForbidden) {
			s.pageError(w, r, err)
			return
		}
	}
	v := s.newView(r, "lab.reports.title", map[string]any{"Items": s.reportRows(r, items), "Page": pg, "Institutions": insts,
		"Filter": r.URL.Query(), "Statuses": []string{lab.StatusDraft, lab.StatusIssued, lab.StatusRevoked},
		"Conclusions": []string{lab.Conforming, lab.Nonconforming}})
	v.Form = f
	s.renderChecked(w, r, "lab_reports", v)
}

var labReportColumns = []sheet.Column{
	{ZH: "报告编号", EN: "Number", Width: 18},
	{ZH: "版本", EN: "Version", Width: 6},
	{ZH: "状态", EN: "Status", Width: 10},
	{ZH: "结论", EN: "Conclusion", Width: 10},
	{ZH: "受检企业", EN: "Enterprise", Width: 26},
	{ZH: "产品", EN: "Product", Width: 20},
	{ZH: "样品编号", EN: "Sample", Width: 18},
	{ZH: "检验机构", EN: "Institution", Width: 26},
	{ZH: "签发日期", EN: "Issued on", Width: 12},
	{ZH: "异议截止", EN: "Objection deadline", Width: 12},
}

func (s *Server) labReportExport(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	flt := labReportFilter(r.URL.Query())
	flt.Limit = 1
	if _, _, err := lab.ListReports(ctx, s.db, u, flt); err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		s.labExportRefused(w, r, err)
		return
	}
	v := s.newView(r, "lab.reports.title", nil)
	next := sheet.Paged(100, func(offset int) ([]reportRow, error) {
		flt.Limit, flt.Offset = 100, offset
		items, _, err := lab.ListReports(ctx, s.db, u, flt)
		if errors.Is(err, fielderr.ErrForbidden) {
			return nil, nil
		}
		return s.reportRows(r, items), err
	}, func(x reportRow) ([]any, error) {
		conclusion := ""
		if x.Conclusion != "" {
			conclusion = v.T("lab.conclusion." + x.Conclusion)
		}
		return []any{x.Number, x.Version, v.T("lab.report.status." + x.Status), conclusion, x.Enterprise, x.Product,
			x.SampleNumber, x.InstitutionName, x.IssuedOn, x.ObjectionDeadline}, nil
	})
	s.sendXLSX(w, r, "reports", func(w http.ResponseWriter) error {
		return sheet.Export(w, v.T("lab.reports.title"), labReportColumns, v.Lang, next)
	})
}

// reportPage is a report's page with the form that was sent.
type reportPage struct {
	R        *lab.Report
	Versions []lab.Report
	Names    map[string]string
	Sample   *lab.Sample
	CanTest  bool
	// CanState: may revoke the report and record its delivery (its
	// institution, or an official who supervises it).
	CanState  bool
	CanObject bool
	// Nonconforming lists the items an objection may dispute.
	Nonconforming []string
	// Objection is the objection filed against the number, if any.
	Objection *lab.Objection
	VerifyURL string
	Lang      string
	formKey   string
	form      *form
}

func (p *reportPage) F(key string) *form {
	if key == p.formKey && p.form != nil {
		return p.form
	}
	return newForm()
}

// LimitText spells a limit a result was judged by.
func (p *reportPage) LimitText(l *lab.LimitCopy) string { return limitText(l, p.Lang) }

// Name is a user's display name.
func (p *reportPage) Name(id string) string {
	if n, ok := p.Names[id]; ok {
		return n
	}
	return id
}

// verifyURL is the public verification page's address for a report, on the
// site's own origin, as its QR code carries it.
func (s *Server) verifyURL(r *http.Request, rep *lab.Report) string {
	return s.baseURL(r) + "/public/reports/verify?no=" + url.QueryEscape(rep.Number) + "&code=" + url.QueryEscape(rep.VerificationCode)
}

func (s *Server) reportPageFor(r *http.Request, key string, f *form) (*reportPage, error) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	number := r.PathValue("number")
	rep, err := lab.GetReport(ctx, s.db, u, number)
	if err != nil {
		return nil, err
	}
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fielderr.ErrNotFound
		}
		if rep, err = lab.GetReportVersion(ctx, s.db, u, number, n); err != nil {
			return nil, err
		}
	}
	shown := rep.View(u)
	p := &reportPage{R: &shown, CanTest: u.Can(auth.PermLabTest) && u.InstitutionID == rep.InstitutionID,
		CanObject: u.Can(auth.PermLabObject) && u.EnterpriseID != "" && u.EnterpriseID == rep.EnterpriseID,
		CanState:  u.Can(auth.PermLabReportState) && (u.InstitutionID == "" || u.InstitutionID == rep.InstitutionID),
		Lang:      langFrom(ctx), formKey: key, form: f}
	if shown.VerificationCode != "" {
		p.VerifyURL = s.verifyURL(r, &shown)
	}
	latest, err := lab.GetReport(ctx, s.db, u, number)
	if err != nil {
		return nil, err
	}
	for n := latest.Version; n >= 1; n-- {
		if n == latest.Version {
			p.Versions = append(p.Versions, *latest)
			continue
		}
		if v, err := lab.GetReportVersion(ctx, s.db, u, number, n); err == nil {
			p.Versions = append(p.Versions, *v)
		}
	}
	if sm, err := lab.GetSample(ctx, s.db, u, rep.SampleID); err == nil {
		p.Sample = sm
	}
	if rep.Content != nil {
		for _, it := range rep.Content.Items {
			if it.Conclusion == lab.Nonconforming {
				p.Nonconforming = append(p.Nonconforming, it.Item)
			}
		}
	}
	if os, err := lab.ListObjections(ctx, s.db, u, ""); err == nil {
		for i := range os {
			if os[i].ReportNumber == rep.Number {
				p.Objection = &os[i]
				break
			}
		}
	} else if !errors.Is(err, fielderr.ErrForbidden) {
		return nil, err
	}
	ids := []string{rep.DraftedBy, rep.ApprovedBy, rep.RevokedBy}
	p.Names = s.userNames(ctx, ids...)
	return p, nil
}

func (s *Server) labReportShow(w http.ResponseWriter, r *http.Request) {
	s.renderReport(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderReport(w http.ResponseWriter, r *http.Request, status int, key string, f *form) {
	p, err := s.reportPageFor(r, key, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "lab.reports.title", p)
	v.Title = v.T("lab.report.title", "number", p.R.Number)
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "lab_report", v)
}

// labReportPrint is the report as printed on A4, with the QR code of its
// verification. Only those who may see the verification code may print it.
func (s *Server) labReportPrint(w http.ResponseWriter, r *http.Request) {
	p, err := s.reportPageFor(r, "", nil)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if p.R.VerificationCode == "" || p.R.Content == nil {
		s.pageError(w, r, fielderr.ErrNotFound)
		return
	}
	code, err := qrlabel.Encode(p.VerifyURL)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := (qrlabel.Label{Link: p.VerifyURL}).WriteSVG(&buf, code); err != nil {
		s.pageError(w, r, err)
		return
	}
	svg := buf.String()
	// Inline in the page, the SVG needs no XML declaration.
	if strings.HasPrefix(svg, "<?xml") {
		if i := strings.Index(svg, "?>"); i >= 0 {
			svg = strings.TrimSpace(svg[i+2:])
		}
	}
	v := s.newView(r, "lab.report.print", map[string]any{"P": p, "QR": template.HTML(svg)})
	v.Title = v.T("lab.report.title", "number", p.R.Number)
	s.render(w, r, http.StatusOK, "lab_report_print", v)
}

// labReportAction runs an action on a report and shows its refusal on the
// action's form.
func (s *Server) labReportAction(w http.ResponseWriter, r *http.Request, key string, f *form, act func(rep *lab.Report) error) {
	ctx := s.labCtx(r)
	rep, err := lab.GetReport(ctx, s.db, userFrom(ctx), r.PathValue("number"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := act(rep); err != nil {
		if errors.Is(err, errHandled) {
			return
		}
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		if msg := f.Errors["report"]; msg != "" && key != "object" {
			f.Summary = msg
		}
		s.renderReport(w, r, http.StatusUnprocessableEntity, key, f)
		return
	}
	http.Redirect(w, r, "/lab/reports/"+url.PathEscape(rep.Number)+"?saved=1", http.StatusSeeOther)
}

func (s *Server) labReportApprove(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := newForm()
	s.labReportAction(w, r, "approve", f, func(rep *lab.Report) error {
		_, err := lab.ApproveReport(ctx, s.db, userFrom(ctx), rep.ID)
		if msg := fieldMessage(err, "approver"); msg != "" {
			f.Summary = s.t(r, msg)
		}
		return err
	})
}

// fieldMessage is the rule a field error names for field, or "".
func fieldMessage(err error, field string) string {
	l, ok := fielderr.As(err)
	if !ok {
		return ""
	}
	for _, e := range l {
		if e.Field == field {
			return e.Rule
		}
	}
	return ""
}

func (s *Server) labReportRevise(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := newForm()
	f.Values["reason"] = strings.TrimSpace(r.PostFormValue("reason"))
	s.labReportAction(w, r, "revise", f, func(rep *lab.Report) error {
		_, err := lab.ReviseReport(ctx, s.db, userFrom(ctx), rep.Number, f.Values["reason"])
		return err
	})
}

func (s *Server) labReportRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := newForm()
	f.Values["reason"] = strings.TrimSpace(r.PostFormValue("reason"))
	s.labReportAction(w, r, "revoke", f, func(rep *lab.Report) error {
		_, err := lab.RevokeReport(ctx, s.db, userFrom(ctx), rep.Number, f.Values["reason"])
		return err
	})
}

func (s *Server) labReportDelivery(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := formFrom(r, "delivered_on")
	s.labReportAction(w, r, "delivery", f, func(rep *lab.Report) error {
		_, err := lab.RecordDelivery(ctx, s.db, userFrom(ctx), rep.Number, f.Values["delivered_on"])
		return err
	})
}

func (s *Server) labReportObject(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := newForm()
	_ = r.ParseForm()
	f.Values["reason"] = strings.TrimSpace(r.PostFormValue("reason"))
	items := r.PostForm["items"]
	for _, it := range items {
		f.Values["item:"+it] = "1"
	}
	s.labReportAction(w, r, "object", f, func(rep *lab.Report) error {
		o, err := lab.Object(ctx, s.db, userFrom(ctx), rep.Number, lab.ObjectionInput{Items: items, Reason: f.Values["reason"]})
		if err == nil {
			http.Redirect(w, r, "/lab/objections?saved=1&id="+url.QueryEscape(o.ID), http.StatusSeeOther)
			return errHandled
		}
		return err
	})
}

// errHandled tells labReportAction the action answered the request itself.
var errHandled = errors.New("handled")

// --- Objections ---

// objectionRow is an objection with its sample and the institutions that
// may take its re-test.
type objectionRow struct {
	lab.Objection
	Sample    *lab.Sample
	Qualified []lab.Institution
	Retest    string
}

func (s *Server) labObjections(r *http.Request) ([]objectionRow, *form, error) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	f := newForm()
	items, err := lab.ListObjections(ctx, s.db, u, r.URL.Query().Get("status"))
	if err != nil {
		switch {
		case errors.Is(err, fielderr.ErrForbidden):
		case f.setErrors(langFrom(ctx), err):
		default:
			return nil, nil, err
		}
	}
	var active []lab.Institution
	if u.Can(auth.PermLabManage) {
		if active, err = s.activeInstitutions(r, "", ""); err != nil {
			return nil, nil, err
		}
	}
	today := s.labToday()
	rows := make([]objectionRow, 0, len(items))
	for _, o := range items {
		row := objectionRow{Objection: o}
		if sm, err := lab.GetSample(ctx, s.db, u, o.SampleID); err == nil {
			row.Sample = sm
			if o.Status == lab.ObjectionOpen {
				for _, in := range active {
					if in.ID == sm.InstitutionID || !in.QualifiedOn(today) {
						continue
					}
					ok := true
					for _, it := range o.Items {
						ok = ok && in.Covers(sm.Category, it)
					}
					if ok {
						row.Qualified = append(row.Qualified, in)
					}
				}
			}
		}
		for _, in := range active {
			if in.ID == o.RetestInstitutionID {
				row.Retest = in.Name
			}
		}
		rows = append(rows, row)
	}
	return rows, f, nil
}

// objectionsPage is the objections list with the form that was sent.
type objectionsPage struct {
	Items     []objectionRow
	Page      page
	Filter    url.Values
	Statuses  []string
	CanManage bool
	formKey   string
	form      *form
}

func (p *objectionsPage) F(key string) *form {
	if key == p.formKey && p.form != nil {
		return p.form
	}
	return newForm()
}

func (s *Server) labObjectionList(w http.ResponseWriter, r *http.Request) {
	s.renderObjections(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderObjections(w http.ResponseWriter, r *http.Request, status int, key string, f *form) {
	rows, lf, err := s.labObjections(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg := pageOf(r, 50)
	p := &objectionsPage{Items: slicePage(rows, &pg), Page: pg, Filter: r.URL.Query(),
		Statuses:  []string{lab.ObjectionOpen, lab.ObjectionAssigned, lab.ObjectionClosed},
		CanManage: userFrom(r.Context()).Can(auth.PermLabManage), formKey: key, form: f}
	v := s.newView(r, "lab.objections.title", p)
	v.Form = lf
	if lf.HasErrors() && status == http.StatusOK {
		status = http.StatusUnprocessableEntity
	}
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "lab_objections", v)
}

var labObjectionColumns = []sheet.Column{
	{ZH: "报告编号", EN: "Report", Width: 18},
	{ZH: "样品编号", EN: "Sample", Width: 18},
	{ZH: "受检企业", EN: "Enterprise", Width: 26},
	{ZH: "异议项目", EN: "Items", Width: 24},
	{ZH: "理由", EN: "Reason", Width: 40},
	{ZH: "提出时间", EN: "Filed", Width: 16},
	{ZH: "期限", EN: "Deadline", Width: 12},
	{ZH: "状态", EN: "Status", Width: 10},
	{ZH: "复检机构", EN: "Re-test institution", Width: 26},
}

func (s *Server) labObjectionExport(w http.ResponseWriter, r *http.Request) {
	rows, f, err := s.labObjections(r)
	if err != nil || f.HasErrors() {
		s.labExportRefused(w, r, err)
		return
	}
	exportList(s, w, r, "lab.objections.title", "objections", labObjectionColumns, rows, func(v *view, o objectionRow) []any {
		sample, ent := "", ""
		if o.Sample != nil {
			sample, ent = o.Sample.Number, o.Sample.EnterpriseName
		}
		return []any{o.ReportNumber, sample, ent, strings.Join(o.Items, "、"), o.Reason, recallTime(o.FiledAt),
			o.Deadline, v.T("lab.objection.status." + o.Status), o.Retest}
	})
}

func (s *Server) labObjectionAssign(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := formFrom(r, "institution_id")
	id := r.PathValue("id")
	if _, err := lab.GetObjection(ctx, s.db, userFrom(ctx), id); err != nil {
		s.pageError(w, r, err)
		return
	}
	if f.Values["institution_id"] == "" {
		f.Errors["institution_id"] = s.t(r, "rule.required")
		s.renderObjections(w, r, http.StatusUnprocessableEntity, "assign:"+id, f)
		return
	}
	if _, err := lab.AssignRetest(ctx, s.db, userFrom(ctx), id, f.Values["institution_id"]); err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		for k, msg := range f.Errors {
			if k != "institution_id" && f.Errors["institution_id"] == "" {
				f.Errors["institution_id"] = msg
			}
		}
		if f.Summary != "" && f.Errors["institution_id"] == "" {
			f.Errors["institution_id"] = f.Summary
		}
		s.renderObjections(w, r, http.StatusUnprocessableEntity, "assign:"+id, f)
		return
	}
	http.Redirect(w, r, "/lab/objections?saved=1", http.StatusSeeOther)
}

// --- Supervision flags ---

func labFlagFilter(q url.Values) lab.FlagFilter {
	return lab.FlagFilter{InstitutionID: q.Get("institution"), Kind: q.Get("kind"), OpenOnly: q.Get("open") == "1"}
}

// flagsPage is the office's supervision page.
type flagsPage struct {
	Summary []lab.FlagCount
	Kinds   []string
	Items   []lab.Flag
	Page    page
	Filter  url.Values
	formKey string
	form    *form
}

func (p *flagsPage) F(key string) *form {
	if key == p.formKey && p.form != nil {
		return p.form
	}
	return newForm()
}

// Detail shows a flag's detail as "key: value" pairs.
func (p *flagsPage) Detail(f lab.Flag) string {
	var parts []string
	for _, k := range sortedKeys(f.Detail) {
		parts = append(parts, k+": "+fmt.Sprint(f.Detail[k]))
	}
	return strings.Join(parts, " · ")
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Server) labFlagList(w http.ResponseWriter, r *http.Request) {
	s.renderFlags(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderFlags(w http.ResponseWriter, r *http.Request, status int, key string, f *form) {
	ctx := s.labCtx(r)
	u := userFrom(ctx)
	sum, err := lab.FlagSummary(ctx, s.db, u)
	if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		s.pageError(w, r, err)
		return
	}
	lf := newForm()
	flags, err := lab.Flags(ctx, s.db, u, labFlagFilter(r.URL.Query()))
	if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		if !lf.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
		if status == http.StatusOK {
			status = http.StatusUnprocessableEntity
		}
	}
	pg := pageOf(r, 50)
	p := &flagsPage{Summary: sum, Kinds: lab.FlagKinds, Items: slicePage(flags, &pg), Page: pg, Filter: r.URL.Query(),
		formKey: key, form: f}
	v := s.newView(r, "lab.flags.title", p)
	v.Form = lf
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "lab_flags", v)
}

var labFlagColumns = []sheet.Column{
	{ZH: "机构", EN: "Institution", Width: 26},
	{ZH: "类型", EN: "Kind", Width: 20},
	{ZH: "对象", EN: "Subject", Width: 10},
	{ZH: "详情", EN: "Detail", Width: 40},
	{ZH: "发现时间", EN: "Raised", Width: 16},
	{ZH: "处理时间", EN: "Resolved", Width: 16},
	{ZH: "处理结果", EN: "Resolution", Width: 30},
}

func (s *Server) labFlagExport(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	flags, err := lab.Flags(ctx, s.db, userFrom(ctx), labFlagFilter(r.URL.Query()))
	if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
		s.labExportRefused(w, r, err)
		return
	}
	p := &flagsPage{}
	exportList(s, w, r, "lab.flags.title", "supervision-flags", labFlagColumns, flags, func(v *view, fl lab.Flag) []any {
		return []any{fl.InstitutionName, v.T("lab.flag.kind." + fl.Kind), fl.SubjectKind, p.Detail(fl),
			recallTime(fl.CreatedAt), recallTime(fl.ResolvedAt), fl.Resolution}
	})
}

func (s *Server) labFlagResolve(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := newForm()
	f.Values["resolution"] = strings.TrimSpace(r.PostFormValue("resolution"))
	back := r.PostFormValue("back")
	fl, err := lab.ResolveFlag(ctx, s.db, userFrom(ctx), r.PathValue("id"), f.Values["resolution"])
	if err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		s.renderFlags(w, r, http.StatusUnprocessableEntity, "resolve:"+r.PathValue("id"), f)
		return
	}
	if back == "institution" {
		http.Redirect(w, r, "/lab/institutions/"+fl.InstitutionID+"?saved=1#flags", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/lab/flags?saved=1&institution="+url.QueryEscape(fl.InstitutionID), http.StatusSeeOther)
}

// limitText spells a limit as a report prints it: "≤ 0.05 mg/kg (GB 2762-2022
// 4.1)".
func limitText(l *lab.LimitCopy, lang string) string {
	if l == nil {
		return ""
	}
	c := judge.Comparison(l.Comparison)
	op := limits.ComparisonLabel(c, lang)
	var value string
	switch c {
	case judge.Within:
		value = l.Min + "–" + l.Max + " " + l.Unit
	case judge.NotDetected:
		value = op
	case judge.AtLeast, judge.Above:
		value = op + " " + l.Min + " " + l.Unit
	default:
		value = op + " " + l.Max + " " + l.Unit
	}
	src := l.Standard
	if l.Clause != "" {
		src += " " + l.Clause
	}
	if sheet.English(lang) {
		return strings.TrimSpace(value) + " (" + src + ")"
	}
	return strings.TrimSpace(value) + "（" + src + "）"
}
