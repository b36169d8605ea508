package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/epcisxml"
	"github.com/hallmark-platform/hallmark/locales"
)

// The EPCIS 2.0 REST binding under /epcis/ (GS1 EPCIS 2.0 §12, openapi.yaml).
func (s *Server) registerEPCISRoutes() {
	read, capture := auth.PermTraceRead, auth.PermTraceCapture
	s.handle("GET /epcis/{$}", read, s.epcisRoot)
	s.handle("OPTIONS /epcis/{rest...}", read, s.epcisOptions)
	s.handle("POST /epcis/capture", capture, s.epcisCapture)
	s.handle("GET /epcis/capture", capture, s.epcisJobs)
	s.handle("GET /epcis/capture/{captureID}", capture, s.epcisJob)
	s.handle("POST /epcis/events", capture, s.epcisCaptureEvent)
	s.handle("GET /epcis/events", read, s.epcisQuery)
	s.handle("GET /epcis/events/{eventID}", read, s.epcisEvent)
	s.handle("GET /epcis/eventTypes", read, s.epcisEventTypes)
	for _, c := range []string{"epcs", "bizSteps", "bizLocations", "readPoints", "dispositions"} {
		s.handle("GET /epcis/"+c, read, s.epcisCollection(c))
	}
	for _, res := range []struct{ path, param string }{
		{"eventTypes", "eventType"}, {"epcs", "MATCH_anyEPC"}, {"bizSteps", "EQ_bizStep"},
		{"bizLocations", "EQ_bizLocation"}, {"readPoints", "EQ_readPoint"}, {"dispositions", "EQ_disposition"},
	} {
		s.handle("GET /epcis/"+res.path+"/{id}/events", read, s.epcisResourceEvents(res.param))
	}
}

const (
	epcisVersion = "2.0.0"
	cbvVersion   = "2.0.0"
)

// epcisHeaders sets the version headers every EPCIS response carries.
func epcisHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("GS1-EPCIS-Version", epcisVersion)
	h.Set("GS1-CBV-Version", cbvVersion)
	h.Set("GS1-EPCIS-Min", "2.0.0")
	h.Set("GS1-EPCIS-Max", "2.0.0")
	h.Set("GS1-CBV-Min", "2.0.0")
	h.Set("GS1-CBV-Max", "2.0.0")
	h.Set("GS1-Vendor-Version", "hallmark")
}

// epcisProblem answers with an RFC 9457 document of the binding's
// exception type; each problem names the field (a JSON pointer, a parameter
// or a header) in the reader's language.
func (s *Server) epcisProblem(w http.ResponseWriter, r *http.Request, status int, typ, titleKey string, problems []trace.Problem) {
	lang := langFrom(r.Context())
	type item struct {
		Pointer string `json:"pointer"`
		Rule    string `json:"rule"`
		Message string `json:"message"`
		Detail  string `json:"detail,omitempty"`
	}
	doc := struct {
		Type     string `json:"type"`
		Title    string `json:"title"`
		Status   int    `json:"status"`
		Detail   string `json:"detail,omitempty"`
		Instance string `json:"instance,omitempty"`
		Errors   []item `json:"errors,omitempty"`
	}{Type: "epcisException:" + typ, Title: locales.T(lang, titleKey, nil), Status: status, Instance: r.URL.Path}
	for _, p := range problems {
		doc.Errors = append(doc.Errors, item{Pointer: p.Pointer, Rule: p.Rule, Message: locales.T(lang, p.Rule, nil), Detail: p.Detail})
	}
	if len(doc.Errors) > 0 {
		doc.Detail = doc.Errors[0].Pointer + ": " + doc.Errors[0].Message
		if doc.Errors[0].Detail != "" {
			doc.Detail += " (" + doc.Errors[0].Detail + ")"
		}
	}
	epcisHeaders(w)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}

// epcisFail maps a trace error to the binding's problem.
func (s *Server) epcisFail(w http.ResponseWriter, r *http.Request, err error) {
	var ve *trace.ValidationError
	var qe *trace.QueryError
	switch {
	case errors.As(err, &ve):
		s.epcisProblem(w, r, http.StatusBadRequest, "ValidationException", "epcis.error.validation", ve.Problems)
	case errors.As(err, &qe):
		status := http.StatusBadRequest
		if qe.Type == "QueryTooLargeException" {
			status = http.StatusRequestEntityTooLarge
		}
		s.epcisProblem(w, r, status, qe.Type, "epcis.error.query", []trace.Problem{{Pointer: qe.Param, Rule: qe.Rule, Detail: qe.Value}})
	case trace.IsNotFound(err):
		s.epcisProblem(w, r, http.StatusNotFound, "NoSuchResourceException", "error.not_found", nil)
	case errors.Is(err, trace.ErrDuplicate):
		s.epcisProblem(w, r, http.StatusConflict, "ResourceAlreadyExistsException", "epcis.error.duplicate",
			[]trace.Problem{{Pointer: "/eventID", Rule: "rule.epcis.event_id_taken"}})
	default:
		s.log.Error("epcis", "path", r.URL.Path, "err", err)
		s.epcisProblem(w, r, http.StatusInternalServerError, "ImplementationException", "error.internal", nil)
	}
}

// ownerOf is whose events a user sees and captures: an enterprise its own,
// officials all (and their captures belong to the office).
func ownerOf(u *auth.User) string {
	if u != nil && u.Role == auth.RoleEnterprise {
		return u.EnterpriseID
	}
	return ""
}

// checkVersion refuses a request for an EPCIS version other than 2.0.
func (s *Server) checkVersion(w http.ResponseWriter, r *http.Request) bool {
	v := r.Header.Get("GS1-EPCIS-Version")
	if v == "" || strings.HasPrefix(v, "2.0") || v == "2" {
		return true
	}
	s.epcisProblem(w, r, http.StatusNotAcceptable, "NotAcceptableException", "epcis.error.version",
		[]trace.Problem{{Pointer: "GS1-EPCIS-Version", Rule: "rule.epcis.version", Detail: v}})
	return false
}

func (s *Server) epcisRoot(w http.ResponseWriter, r *http.Request) {
	epcisHeaders(w)
	writeJSON(w, http.StatusOK, map[string]any{
		"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
		"type":     "Collection",
		"member":   []string{"events", "eventTypes", "epcs", "bizSteps", "bizLocations", "readPoints", "dispositions", "capture", "queries"},
	})
}

func (s *Server) epcisOptions(w http.ResponseWriter, r *http.Request) {
	epcisHeaders(w)
	h := w.Header()
	h.Set("GS1-EPC-Format", strings.Join([]string{trace.FormatDigitalLink, trace.FormatURN, trace.FormatNoPref, trace.FormatNever}, ", "))
	h.Set("GS1-Extensions", "")
	switch rest := r.PathValue("rest"); {
	case rest == "capture":
		h.Set("Allow", "OPTIONS, GET, POST")
		h.Set("GS1-EPCIS-Capture-Limit", strconv.Itoa(trace.CaptureLimit))
		h.Set("GS1-EPCIS-Capture-File-Size-Limit", strconv.Itoa(trace.CaptureFileSizeLimit))
		h.Set("GS1-Capture-Error-Behaviour", "rollback, proceed")
	case rest == "events", rest == "queries", strings.HasSuffix(rest, "/subscriptions"):
		h.Set("Allow", "OPTIONS, GET, POST")
	case strings.HasPrefix(rest, "queries/"):
		h.Set("Allow", "OPTIONS, GET, DELETE")
	default:
		h.Set("Allow", "OPTIONS, GET")
	}
	w.WriteHeader(http.StatusNoContent)
}

// readDocument reads a capture body as JSON-LD or as the XML binding.
func (s *Server) readDocument(w http.ResponseWriter, r *http.Request, limit int64) (map[string]any, bool) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	xml := ct == "application/xml" || ct == "text/xml"
	if !xml && ct != "application/json" && ct != "application/ld+json" {
		s.epcisProblem(w, r, http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException", "epcis.error.media_type",
			[]trace.Problem{{Pointer: "Content-Type", Rule: "rule.epcis.media_type", Detail: ct}})
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			w.Header().Set("GS1-EPCIS-Capture-File-Size-Limit", strconv.Itoa(int(limit)))
			s.epcisProblem(w, r, http.StatusRequestEntityTooLarge, "CaptureLimitExceededException", "epcis.error.too_large",
				[]trace.Problem{{Pointer: "", Rule: "rule.epcis.file_size", Detail: strconv.Itoa(int(limit))}})
			return nil, false
		}
		s.epcisFail(w, r, err)
		return nil, false
	}
	var doc map[string]any
	if xml {
		doc, err = epcisxml.Decode(strings.NewReader(string(body)))
		if err != nil {
			s.epcisFail(w, r, &trace.ValidationError{Problems: []trace.Problem{{Pointer: "", Rule: "rule.epcis.xml", Detail: err.Error()}}})
			return nil, false
		}
		return doc, true
	}
	doc, err = trace.Decode(body)
	if err != nil {
		s.epcisFail(w, r, err)
		return nil, false
	}
	return doc, true
}

func (s *Server) epcisCapture(w http.ResponseWriter, r *http.Request) {
	if !s.checkVersion(w, r) {
		return
	}
	doc, ok := s.readDocument(w, r, trace.CaptureFileSizeLimit)
	if !ok {
		return
	}
	u := userFrom(r.Context())
	job, err := trace.Capture(r.Context(), s.db, doc, trace.Options{Owner: ownerOf(u), Behaviour: r.Header.Get("GS1-Capture-Error-Behaviour")})
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	epcisHeaders(w)
	w.Header().Set("Location", "/epcis/capture/"+job.ID)
	w.WriteHeader(http.StatusAccepted)
}

func jobJSON(j *trace.Job) map[string]any {
	m := map[string]any{
		"captureID":             j.ID,
		"createdAt":             time.UnixMilli(j.CreatedAt).UTC().Format(time.RFC3339Nano),
		"running":               j.Running,
		"success":               j.Success,
		"captureErrorBehaviour": j.Behaviour,
		"errors":                j.Errors,
	}
	if j.FinishedAt > 0 {
		m["finishedAt"] = time.UnixMilli(j.FinishedAt).UTC().Format(time.RFC3339Nano)
	}
	if j.Errors == nil {
		m["errors"] = []any{}
	}
	return m
}

func (s *Server) epcisJobs(w http.ResponseWriter, r *http.Request) {
	jobs, err := trace.ListJobs(r.Context(), s.db, ownerOf(userFrom(r.Context())), 100)
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	out := make([]any, len(jobs))
	for i, j := range jobs {
		out[i] = jobJSON(j)
	}
	epcisHeaders(w)
	writeJSON(w, http.StatusOK, map[string]any{"captureJobs": out})
}

func (s *Server) epcisJob(w http.ResponseWriter, r *http.Request) {
	j, err := trace.GetJob(r.Context(), s.db, r.PathValue("captureID"), ownerOf(userFrom(r.Context())))
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	epcisHeaders(w)
	writeJSON(w, http.StatusOK, jobJSON(j))
}

func (s *Server) epcisCaptureEvent(w http.ResponseWriter, r *http.Request) {
	if !s.checkVersion(w, r) {
		return
	}
	ev, ok := s.readDocument(w, r, trace.SingleEventSizeLimit)
	if !ok {
		return
	}
	id, err := trace.CaptureEvent(r.Context(), s.db, ev, ownerOf(userFrom(r.Context())))
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	epcisHeaders(w)
	w.Header().Set("Location", "/epcis/events/"+url.PathEscape(id))
	w.WriteHeader(http.StatusCreated)
}

// epcFormat reads GS1-EPC-Format; absent means Digital Link.
func (s *Server) epcFormat(w http.ResponseWriter, r *http.Request) (string, bool) {
	f := r.Header.Get("GS1-EPC-Format")
	if f == "" {
		return trace.FormatDigitalLink, true
	}
	if !trace.ValidFormat(f) {
		s.epcisProblem(w, r, http.StatusBadRequest, "QueryParameterException", "epcis.error.query",
			[]trace.Problem{{Pointer: "GS1-EPC-Format", Rule: "rule.epcis.epc_format", Detail: f}})
		return "", false
	}
	return f, true
}

func (s *Server) epcisQuery(w http.ResponseWriter, r *http.Request) {
	s.runQuery(w, r, r.URL.Query())
}

func (s *Server) epcisResourceEvents(param string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		params := r.URL.Query()
		if params.Has(param) {
			s.epcisFail(w, r, &trace.QueryError{Type: "QueryParameterException", Param: param, Rule: "rule.epcis.query.duplicate", Value: params.Get(param)})
			return
		}
		paging := r.URL.Query() // the next page repeats these; the path gives the rest
		params.Set(param, r.PathValue("id"))
		s.answerQuery(w, r, "SimpleEventQuery", params, paging)
	}
}

func (s *Server) runQuery(w http.ResponseWriter, r *http.Request, params url.Values) {
	s.answerQuery(w, r, "SimpleEventQuery", params, params)
}

// answerQuery runs a query and answers with one page of its events as an
// EPCISQueryDocument, the next page in a Link built from paging (the
// parameters a client repeats to continue) and the EPC format asked for.
func (s *Server) answerQuery(w http.ResponseWriter, r *http.Request, name string, params, paging url.Values) {
	format, ok := s.epcFormat(w, r)
	if !ok {
		return
	}
	q, err := trace.ParseQuery(params)
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	page, err := q.Run(r.Context(), s.db, ownerOf(userFrom(r.Context())))
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	events, err := trace.Render(r.Context(), s.db, page.Events, format)
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	epcisHeaders(w)
	w.Header().Set("GS1-EPC-Format", format)
	if page.NextToken != "" {
		next := url.Values{}
		for k, v := range paging {
			next[k] = v
		}
		next.Set("nextPageToken", page.NextToken)
		w.Header().Set("Link", "<"+r.URL.Path+"?"+next.Encode()+`>; rel="next"`)
		w.Header().Set("GS1-Next-Page-Token-Expires", time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339))
	}
	w.Header().Set("Content-Type", "application/ld+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(trace.QueryDocument(name, events))
}

func (s *Server) epcisEvent(w http.ResponseWriter, r *http.Request) {
	format, ok := s.epcFormat(w, r)
	if !ok {
		return
	}
	ev, err := trace.GetEvent(r.Context(), s.db, r.PathValue("eventID"), ownerOf(userFrom(r.Context())))
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	out, err := trace.Render(r.Context(), s.db, []trace.StoredEvent{*ev}, format)
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	epcisHeaders(w)
	w.Header().Set("GS1-EPC-Format", format)
	w.Header().Set("Content-Type", "application/ld+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(trace.QueryDocument("", out))
}

func (s *Server) epcisEventTypes(w http.ResponseWriter, r *http.Request) {
	epcisHeaders(w)
	writeJSON(w, http.StatusOK, map[string]any{
		"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
		"type":     "Collection",
		"member":   trace.EventTypes,
	})
}

// epcisCollection lists a collection's members a page at a time (the token
// is the last member of the page before); an enterprise sees what its own
// events mention.
func (s *Server) epcisCollection(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		per := trace.DefaultPerPage
		if v := q.Get("perPage"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				s.epcisFail(w, r, &trace.QueryError{Type: "QueryParameterException", Param: "perPage", Rule: "rule.epcis.query.positive", Value: v})
				return
			}
			per = min(n, trace.MaxPerPage)
		}
		after := q.Get("nextPageToken")
		members, more, err := trace.Collection(r.Context(), s.db, name, ownerOf(userFrom(r.Context())), after, per)
		if err != nil {
			s.epcisFail(w, r, err)
			return
		}
		epcisHeaders(w)
		if more {
			next := url.Values{"perPage": {strconv.Itoa(per)}, "nextPageToken": {members[len(members)-1]}}
			w.Header().Set("Link", "<"+r.URL.Path+"?"+next.Encode()+`>; rel="next"`)
		}
		if members == nil {
			members = []string{}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
			"type":     "Collection",
			"member":   members,
		})
	}
}
