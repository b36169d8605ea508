package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/locales"
)

// registerLabAPIRoutes: the testing system's JSON API under /api/v1/.
// The route's permission says which roles may call it at all; the lab
// package decides what each caller may see and do (an institution its own
// samples and reports, an enterprise its own, officials their region), so a
// token of one institution reaches nothing of another.
func (s *Server) registerLabAPIRoutes() {
	read, manage, sample := auth.PermLabRead, auth.PermLabManage, auth.PermLabSample
	test, object := auth.PermLabTest, auth.PermLabObject

	s.handle("GET /api/v1/institutions", read, s.apiInstitutionList)
	s.handle("POST /api/v1/institutions", manage, s.apiInstitutionCreate)
	s.handle("GET /api/v1/institutions/{id}", read, s.apiInstitutionGet)
	s.handle("PATCH /api/v1/institutions/{id}", manage, s.apiInstitutionPatch)
	s.handle("GET /api/v1/institutions/{id}/flags", manage, s.apiInstitutionFlags)
	s.handle("POST /api/v1/flags/{id}/resolve", manage, s.apiFlagResolve)

	s.handle("GET /api/v1/sampling-tasks", sample, s.apiTaskList)
	s.handle("POST /api/v1/sampling-tasks", manage, s.apiTaskCreate)
	s.handle("GET /api/v1/sampling-tasks/{id}", sample, s.apiTaskGet)
	s.handle("POST /api/v1/sampling-tasks/{id}/close", manage, s.apiTaskClose)

	s.handle("POST /api/v1/seal-photos", sample, s.apiSealPhotoUpload)
	s.handle("GET /api/v1/samples", read, s.apiSampleList)
	s.handle("POST /api/v1/samples", sample, s.apiSampleCreate)
	s.handle("GET /api/v1/samples/{id}", read, s.apiSampleGet)
	s.handle("POST /api/v1/samples/{id}/custody", sample, s.apiSampleCustody)
	s.handle("POST /api/v1/samples/{id}/results", test, s.apiSampleResults)

	s.handle("GET /api/v1/reports", read, s.apiReportList)
	s.handle("POST /api/v1/reports", test, s.apiReportDraft)
	s.handle("GET /api/v1/reports/{number}", read, s.apiReportGet)
	s.handle("POST /api/v1/reports/{number}/approve", test, s.apiReportApprove)
	s.handle("POST /api/v1/reports/{number}/revisions", test, s.apiReportRevise)
	s.handle("POST /api/v1/reports/{number}/revoke", auth.PermLabReportState, s.apiReportRevoke)
	s.handle("POST /api/v1/reports/{number}/delivery", auth.PermLabReportState, s.apiReportDelivery)
	s.handle("POST /api/v1/reports/{number}/objections", object, s.apiReportObject)

	s.handle("GET /api/v1/objections", read, s.apiObjectionList)
	s.handle("GET /api/v1/objections/{id}", read, s.apiObjectionGet)
	s.handle("POST /api/v1/objections/{id}/retest", manage, s.apiObjectionRetest)

	s.handle("GET /api/v1/limits", read, s.apiLimitList)
	s.handle("POST /api/v1/limits", manage, s.apiLimitCreate)
	s.handle("GET /api/v1/limits/{id}", read, s.apiLimitGet)
	s.handle("PUT /api/v1/limits/{id}", manage, s.apiLimitPut)
	s.handle("DELETE /api/v1/limits/{id}", manage, s.apiLimitDelete)

	s.registerLabPublicRoutes()
}

// labAPICtx carries the server's clock into the lab package, so deadlines and
// stamps agree with the rest of the site (and a test's fixed clock).
func (s *Server) labAPICtx(r *http.Request) context.Context {
	return lab.WithClock(r.Context(), s.cfg.Now)
}

// labNothingToList reports whether a list's error means only that the caller's
// role holds no list of this kind (an institution has no objections, an
// enterprise no sampling tasks): such a caller gets an empty list rather
// than a refusal, since the route itself is open to the role.
func labNothingToList(err error) bool { return errors.Is(err, fielderr.ErrForbidden) }

// --- results and reports as the API shows them ---

// labAPIResult is a result with its reason in the caller's language: the
// domain keeps the reason as a locale key and its arguments, so that each
// reader sees the same comparison in their own words.
type labAPIResult struct {
	lab.Result
	Reason     string         `json:"reason"`
	ReasonKey  string         `json:"reason_key"`
	ReasonArgs map[string]any `json:"reason_args,omitempty"`
}

func newLabAPIResult(lang string, r lab.Result) labAPIResult {
	args := labArgPairs(r.ReasonArgs)
	out := labAPIResult{Result: r, ReasonKey: r.Reason, ReasonArgs: args}
	if r.Reason != "" {
		out.Reason = locales.T(lang, r.Reason, args)
	}
	return out
}

// labArgPairs turns name, value pairs into the map locales.T takes.
func labArgPairs(kv []any) map[string]any {
	if len(kv) < 2 {
		return nil
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}

func labAPIResults(lang string, rs []lab.Result) []labAPIResult {
	out := make([]labAPIResult, 0, len(rs))
	for _, r := range rs {
		out = append(out, newLabAPIResult(lang, r))
	}
	return out
}

// labAPISample is a sample with its results' reasons translated.
type labAPISample struct {
	lab.Sample
	Results []labAPIResult `json:"results,omitempty"`
}

func newLabAPISample(lang string, s *lab.Sample) labAPISample {
	out := labAPISample{Sample: *s}
	if len(s.Results) > 0 {
		out.Results = labAPIResults(lang, s.Results)
	}
	return out
}

// labAPIReport is a report with what a reader looks for first lifted out of
// its content: who and what it concerns and the items with their
// conclusions. The verification code is in it only when the domain's view
// leaves it there (the institution, officials, the enterprise concerned).
type labAPIReport struct {
	lab.Report
	Institution string            `json:"institution,omitempty"`
	Enterprise  string            `json:"enterprise,omitempty"`
	Product     string            `json:"product,omitempty"`
	Category    string            `json:"category,omitempty"`
	Lot         string            `json:"lot,omitempty"`
	SampledOn   string            `json:"sampled_on,omitempty"`
	Items       []lab.ContentItem `json:"items"`
	// VerificationURL is the public page that verifies this version, for
	// the QR code or the line printed on the report; present with the code.
	VerificationURL string `json:"verification_url,omitempty"`
}

func newLabAPIReport(r lab.Report) labAPIReport {
	out := labAPIReport{Report: r, Institution: r.InstitutionName, Items: []lab.ContentItem{}}
	if c := r.Content; c != nil {
		out.Institution = c.Institution.Name
		out.Enterprise = c.Enterprise.Name
		out.Product, out.Category, out.Lot, out.SampledOn = c.Sample.Product, c.Sample.Category, c.Sample.Lot, c.Sample.SampledOn
		if c.Items != nil {
			out.Items = c.Items
		}
	}
	if r.VerificationCode != "" {
		out.VerificationURL = "/public/reports/verify?" + url.Values{"no": {r.Number}, "code": {r.VerificationCode}}.Encode()
	}
	return out
}

// labRenameField makes a domain refusal name the field as the API's body
// spells it (the domain says "results[0].value" where the body has
// "items[0].value").
func labRenameField(err error, from, to string) error {
	list, ok := fielderr.As(err)
	if !ok {
		return err
	}
	out := make(fielderr.List, len(list))
	for i, e := range list {
		if rest, ok := strings.CutPrefix(e.Field, from); ok {
			e.Field = to + rest
		}
		out[i] = e
	}
	return out
}

// --- institutions ---

func (s *Server) apiInstitutionList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := lab.InstitutionFilter{Status: q.Get("status"), Q: q.Get("q"), Category: q.Get("category"), Item: q.Get("item")}
	items, err := lab.ListInstitutions(s.labAPICtx(r), s.db, userFrom(r.Context()), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listResponse[lab.Institution]{Items: items, Total: len(items), Limit: len(items)})
}

func (s *Server) apiInstitutionCreate(w http.ResponseWriter, r *http.Request) {
	var in lab.InstitutionInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	inst, err := lab.CreateInstitution(s.labAPICtx(r), s.db, userFrom(r.Context()), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/institutions/"+inst.ID)
	writeJSON(w, http.StatusCreated, inst)
}

func (s *Server) apiInstitutionGet(w http.ResponseWriter, r *http.Request) {
	inst, err := lab.GetInstitution(s.labAPICtx(r), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inst)
}

func (s *Server) apiInstitutionPatch(w http.ResponseWriter, r *http.Request) {
	var p lab.InstitutionPatch
	if !s.decodeJSON(w, r, &p) {
		return
	}
	inst, err := lab.UpdateInstitution(s.labAPICtx(r), s.db, userFrom(r.Context()), r.PathValue("id"), p)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inst)
}

// apiInstitutionFlags lists one institution's supervision flags, open ones
// only with ?open=true, of one kind with ?kind=.
func (s *Server) apiInstitutionFlags(w http.ResponseWriter, r *http.Request) {
	ctx := s.labAPICtx(r)
	u := userFrom(ctx)
	// The institution must be one the official may see: an unknown ID is
	// a 404, not an empty list that looks like a clean record.
	inst, err := lab.GetInstitution(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := lab.FlagFilter{InstitutionID: inst.ID, Kind: q.Get("kind")}
	switch q.Get("open") {
	case "", "false":
	case "true":
		f.OpenOnly = true
	default:
		s.apiError(w, r, fielderr.New("open", "rule.choice"))
		return
	}
	flags, err := lab.Flags(ctx, s.db, u, f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listResponse[lab.Flag]{Items: flags, Total: len(flags), Limit: len(flags)})
}

// flagResolution is the body of POST /api/v1/flags/{id}/resolve.
type flagResolution struct {
	Resolution string `json:"resolution"`
}

// apiFlagResolve closes a supervision flag with what the office found.
func (s *Server) apiFlagResolve(w http.ResponseWriter, r *http.Request) {
	var in flagResolution
	if !s.decodeJSON(w, r, &in) {
		return
	}
	f, err := lab.ResolveFlag(s.labAPICtx(r), s.db, userFrom(r.Context()), r.PathValue("id"), in.Resolution)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// --- sampling tasks ---

func (s *Server) apiTaskList(w http.ResponseWriter, r *http.Request) {
	items, err := lab.ListSamplingTasks(s.labAPICtx(r), s.db, userFrom(r.Context()))
	if err != nil && !labNothingToList(err) {
		s.apiError(w, r, err)
		return
	}
	if items == nil {
		items = []lab.Task{}
	}
	writeJSON(w, http.StatusOK, listResponse[lab.Task]{Items: items, Total: len(items), Limit: len(items)})
}

func (s *Server) apiTaskCreate(w http.ResponseWriter, r *http.Request) {
	var in lab.TaskInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	t, err := lab.CreateSamplingTask(s.labAPICtx(r), s.db, userFrom(r.Context()), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/sampling-tasks/"+t.ID)
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) apiTaskGet(w http.ResponseWriter, r *http.Request) {
	t, err := lab.GetSamplingTask(s.labAPICtx(r), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) apiTaskClose(w http.ResponseWriter, r *http.Request) {
	t, err := lab.CloseSamplingTask(s.labAPICtx(r), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// --- samples ---

// apiSealPhotoUpload stores a photo of a sample's seal, sent as the body
// (image/jpeg, image/png or image/webp), and answers 201 with its hash for
// the sample's seal_photos. The stored type is the one the content shows,
// whatever the request claimed.
func (s *Server) apiSealPhotoUpload(w http.ResponseWriter, r *http.Request) {
	s.apiUpload(s.labAPICtx(r), w, r, "seal", "seal_photo", func(f blob.File) error {
		if f.Mime != blob.JPEG && f.Mime != blob.PNG && f.Mime != blob.WebP {
			return fielderr.New("file", "rule.lab.seal_photo")
		}
		return nil
	})
}

func (s *Server) apiSampleList(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.apiPage(w, r)
	if !ok {
		return
	}
	ctx := s.labAPICtx(r)
	q := r.URL.Query()
	f := lab.SampleFilter{TaskID: q.Get("task_id"), EnterpriseID: q.Get("enterprise_id"), Custody: q.Get("custody"),
		Limit: pg.Limit, Offset: pg.Offset}
	items, total, err := lab.ListSamples(ctx, s.db, userFrom(ctx), f)
	if err != nil && !labNothingToList(err) {
		s.apiError(w, r, err)
		return
	}
	lang := langFrom(ctx)
	out := make([]labAPISample, 0, len(items))
	for i := range items {
		out = append(out, newLabAPISample(lang, &items[i]))
	}
	writeJSON(w, http.StatusOK, listResponse[labAPISample]{Items: out, Total: total, Limit: pg.Limit, Offset: pg.Offset})
}

func (s *Server) apiSampleCreate(w http.ResponseWriter, r *http.Request) {
	var in lab.SampleInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.labAPICtx(r)
	sm, err := lab.CreateSample(ctx, s.db, userFrom(ctx), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/samples/"+sm.ID)
	writeJSON(w, http.StatusCreated, newLabAPISample(langFrom(ctx), sm))
}

func (s *Server) apiSampleGet(w http.ResponseWriter, r *http.Request) {
	ctx := s.labAPICtx(r)
	sm, err := lab.GetSample(ctx, s.db, userFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newLabAPISample(langFrom(ctx), sm))
}

// apiSampleCustody records the next custody step: {"step": "received",
// "at": 0, "note": "封条完好"}; it answers 201 with the sample and its steps.
func (s *Server) apiSampleCustody(w http.ResponseWriter, r *http.Request) {
	var in lab.CustodyInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.labAPICtx(r)
	u := userFrom(ctx)
	if _, err := lab.AddCustodyStep(ctx, s.db, u, r.PathValue("id"), in); err != nil {
		s.apiError(w, r, err)
		return
	}
	sm, err := lab.GetSample(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newLabAPISample(langFrom(ctx), sm))
}

// labResultsInput is the body of a results submission.
type labResultsInput struct {
	Items []lab.ResultInput `json:"items"`
}

// labResultsOutput is every result of the sample, each judged.
type labResultsOutput struct {
	SampleID string         `json:"sample_id"`
	Items    []labAPIResult `json:"items"`
}

func (s *Server) apiSampleResults(w http.ResponseWriter, r *http.Request) {
	var in labResultsInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.labAPICtx(r)
	id := r.PathValue("id")
	rs, err := lab.EnterResults(ctx, s.db, userFrom(ctx), id, in.Items)
	if err != nil {
		s.apiError(w, r, labRenameField(err, "results", "items"))
		return
	}
	writeJSON(w, http.StatusCreated, labResultsOutput{SampleID: id, Items: labAPIResults(langFrom(ctx), rs)})
}

// --- reports ---

func (s *Server) apiReportList(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.apiPage(w, r)
	if !ok {
		return
	}
	ctx := s.labAPICtx(r)
	q := r.URL.Query()
	f := lab.ReportFilter{Status: q.Get("status"), Conclusion: q.Get("conclusion"), InstitutionID: q.Get("institution_id"),
		SampleID: q.Get("sample_id"), Limit: pg.Limit, Offset: pg.Offset}
	switch q.Get("all_versions") {
	case "", "false":
	case "true":
		f.AllVersions = true
	default:
		s.apiError(w, r, fielderr.New("all_versions", "rule.choice"))
		return
	}
	items, total, err := lab.ListReportsWithContent(ctx, s.db, userFrom(ctx), f)
	if err != nil && !labNothingToList(err) {
		s.apiError(w, r, err)
		return
	}
	out := make([]labAPIReport, 0, len(items))
	for _, it := range items {
		out = append(out, newLabAPIReport(it))
	}
	writeJSON(w, http.StatusOK, listResponse[labAPIReport]{Items: out, Total: total, Limit: pg.Limit, Offset: pg.Offset})
}

// labDraftInput is the body of POST /api/v1/reports.
type labDraftInput struct {
	SampleID string `json:"sample_id"`
}

// apiReportDraft drafts the report of a tested sample. Issuing takes a
// second user of the institution (POST …/approve): one call cannot both
// write and sign a report.
func (s *Server) apiReportDraft(w http.ResponseWriter, r *http.Request) {
	var in labDraftInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.SampleID) == "" {
		s.apiError(w, r, fielderr.New("sample_id", "rule.required"))
		return
	}
	ctx := s.labAPICtx(r)
	rep, err := lab.DraftReport(ctx, s.db, userFrom(ctx), strings.TrimSpace(in.SampleID))
	if err != nil {
		s.apiError(w, r, labRenameField(err, "sample", "sample_id"))
		return
	}
	w.Header().Set("Location", "/api/v1/reports/"+rep.Number)
	writeJSON(w, http.StatusCreated, newLabAPIReport(*rep))
}

// apiReportGet returns the newest version of a number, or ?version=n.
func (s *Server) apiReportGet(w http.ResponseWriter, r *http.Request) {
	ctx := s.labAPICtx(r)
	u := userFrom(ctx)
	number := r.PathValue("number")
	var rep *lab.Report
	var err error
	if v := r.URL.Query().Get("version"); v != "" {
		n, cerr := strconv.Atoi(v)
		if cerr != nil || n < 1 {
			s.apiError(w, r, fielderr.New("version", "rule.range", "min", 1, "max", "∞"))
			return
		}
		rep, err = lab.GetReportVersion(ctx, s.db, u, number, n)
	} else {
		rep, err = lab.GetReport(ctx, s.db, u, number)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newLabAPIReport(*rep))
}

// apiReportApprove issues the draft (or revision) awaiting approval under
// a number; the approver must not be the one who drafted it.
func (s *Server) apiReportApprove(w http.ResponseWriter, r *http.Request) {
	ctx := s.labAPICtx(r)
	u := userFrom(ctx)
	cur, err := lab.GetReport(ctx, s.db, u, r.PathValue("number"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	rep, err := lab.ApproveReport(ctx, s.db, u, cur.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newLabAPIReport(*rep))
}

// labReasonInput is the body of a revision or a revocation.
type labReasonInput struct {
	Reason string `json:"reason"`
}

func (s *Server) apiReportRevise(w http.ResponseWriter, r *http.Request) {
	var in labReasonInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.labAPICtx(r)
	rep, err := lab.ReviseReport(ctx, s.db, userFrom(ctx), r.PathValue("number"), in.Reason)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/reports/"+rep.Number+"?version="+strconv.Itoa(rep.Version))
	writeJSON(w, http.StatusCreated, newLabAPIReport(*rep))
}

func (s *Server) apiReportRevoke(w http.ResponseWriter, r *http.Request) {
	var in labReasonInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.labAPICtx(r)
	rep, err := lab.RevokeReport(ctx, s.db, userFrom(ctx), r.PathValue("number"), in.Reason)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newLabAPIReport(*rep))
}

// labDeliveryInput is the body of POST …/delivery.
type labDeliveryInput struct {
	DeliveredOn string `json:"delivered_on"`
}

func (s *Server) apiReportDelivery(w http.ResponseWriter, r *http.Request) {
	var in labDeliveryInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.labAPICtx(r)
	rep, err := lab.RecordDelivery(ctx, s.db, userFrom(ctx), r.PathValue("number"), in.DeliveredOn)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newLabAPIReport(*rep))
}

// --- objections ---

// apiReportObject files the enterprise's objection to a report; past the
// statutory window the refusal on "report" names the law and the last day.
func (s *Server) apiReportObject(w http.ResponseWriter, r *http.Request) {
	var in lab.ObjectionInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.labAPICtx(r)
	o, err := lab.Object(ctx, s.db, userFrom(ctx), r.PathValue("number"), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/objections/"+o.ID)
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) apiObjectionList(w http.ResponseWriter, r *http.Request) {
	items, err := lab.ListObjections(s.labAPICtx(r), s.db, userFrom(r.Context()), r.URL.Query().Get("status"))
	if err != nil && !labNothingToList(err) {
		s.apiError(w, r, err)
		return
	}
	if items == nil {
		items = []lab.Objection{}
	}
	writeJSON(w, http.StatusOK, listResponse[lab.Objection]{Items: items, Total: len(items), Limit: len(items)})
}

func (s *Server) apiObjectionGet(w http.ResponseWriter, r *http.Request) {
	o, err := lab.GetObjection(s.labAPICtx(r), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// labRetestInput is the body of POST /api/v1/objections/{id}/retest.
type labRetestInput struct {
	InstitutionID string `json:"institution_id"`
}

// apiObjectionRetest assigns the re-test and answers 201 with the re-test's
// sample.
func (s *Server) apiObjectionRetest(w http.ResponseWriter, r *http.Request) {
	var in labRetestInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.labAPICtx(r)
	sm, err := lab.AssignRetest(ctx, s.db, userFrom(ctx), r.PathValue("id"), strings.TrimSpace(in.InstitutionID))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/samples/"+sm.ID)
	writeJSON(w, http.StatusCreated, newLabAPISample(langFrom(ctx), sm))
}

// --- limits catalogue ---

func (s *Server) apiLimitList(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.apiPage(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := limits.Filter{Q: q.Get("q"), Standard: q.Get("standard"), Category: q.Get("category"), Item: q.Get("item"),
		Illustrative: q.Get("illustrative"), Limit: pg.Limit, Offset: pg.Offset}
	items, total, err := limits.List(r.Context(), s.db, f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if items == nil {
		items = []judge.Limit{}
	}
	writeJSON(w, http.StatusOK, listResponse[judge.Limit]{Items: items, Total: total, Limit: pg.Limit, Offset: pg.Offset})
}

func (s *Server) apiLimitCreate(w http.ResponseWriter, r *http.Request) {
	var in judge.Limit
	if !s.decodeJSON(w, r, &in) {
		return
	}
	in.ID = ""
	l, err := limits.Create(r.Context(), s.db, in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/limits/"+l.ID)
	writeJSON(w, http.StatusCreated, l)
}

func (s *Server) apiLimitGet(w http.ResponseWriter, r *http.Request) {
	l, err := limits.Get(r.Context(), s.db, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

// apiLimitPut replaces a limit; the ID is the path's, whatever the body says.
func (s *Server) apiLimitPut(w http.ResponseWriter, r *http.Request) {
	var in judge.Limit
	if !s.decodeJSON(w, r, &in) {
		return
	}
	in.ID = r.PathValue("id")
	l, err := limits.Update(r.Context(), s.db, in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) apiLimitDelete(w http.ResponseWriter, r *http.Request) {
	if err := limits.Delete(r.Context(), s.db, r.PathValue("id")); err != nil {
		s.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
