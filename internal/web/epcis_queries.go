package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/subscribe"
)

// Named queries and webhook subscriptions of the EPCIS 2.0 REST binding
// (/queries…, openapi.yaml). An enterprise's queries run over its own events
// and only it sees them; the office's over all events.
func (s *Server) registerEPCISQueryRoutes() {
	read := auth.PermTraceRead
	s.handle("GET /epcis/queries", read, s.epcisQueryList)
	s.handle("POST /epcis/queries", read, s.epcisQueryCreate)
	s.handle("GET /epcis/queries/{queryName}", read, s.epcisQueryGet)
	s.handle("DELETE /epcis/queries/{queryName}", read, s.epcisQueryDelete)
	s.handle("GET /epcis/queries/{queryName}/events", read, s.epcisQueryEvents)
	s.handle("GET /epcis/queries/{queryName}/subscriptions", read, s.epcisSubscriptionList)
	s.handle("POST /epcis/queries/{queryName}/subscriptions", read, s.epcisSubscribe)
	s.handle("GET /epcis/queries/{queryName}/subscriptions/{subscriptionID}", read, s.epcisSubscriptionGet)
	s.handle("DELETE /epcis/queries/{queryName}/subscriptions/{subscriptionID}", read, s.epcisUnsubscribe)
}

// epcisSubscribeFail maps the subscribe package's errors to the binding's
// problems, and anything else as epcisFail does.
func (s *Server) epcisSubscribeFail(w http.ResponseWriter, r *http.Request, err error) {
	var inv *subscribe.Invalid
	switch {
	case errors.As(err, &inv):
		title := "epcis.error.query_invalid"
		if inv.Type == "SubscriptionControlsException" {
			title = "epcis.error.subscription"
		}
		s.epcisProblem(w, r, http.StatusBadRequest, inv.Type, title, inv.Problems)
	case errors.Is(err, subscribe.ErrNoQuery):
		s.epcisProblem(w, r, http.StatusNotFound, "NoSuchNameException", "error.not_found",
			[]trace.Problem{{Pointer: "queryName", Rule: "rule.epcis.query_missing", Detail: r.PathValue("queryName")}})
	case errors.Is(err, subscribe.ErrNoSubscription):
		s.epcisProblem(w, r, http.StatusNotFound, "NoSuchResourceException", "error.not_found",
			[]trace.Problem{{Pointer: "subscriptionID", Rule: "rule.epcis.subscription_missing", Detail: r.PathValue("subscriptionID")}})
	case errors.Is(err, subscribe.ErrExists):
		s.epcisProblem(w, r, http.StatusConflict, "ResourceAlreadyExistsException", "epcis.error.query_exists",
			[]trace.Problem{{Pointer: "/name", Rule: "rule.epcis.query_name_taken"}})
	default:
		s.epcisFail(w, r, err)
	}
}

// readJSON reads a JSON request body of at most 1 MiB; anything but JSON
// is 415, as the binding lists for these endpoints.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "application/ld+json" {
		s.epcisProblem(w, r, http.StatusUnsupportedMediaType, "UnsupportedMediaTypeException", "epcis.error.json_only",
			[]trace.Problem{{Pointer: "Content-Type", Rule: "rule.epcis.media_type", Detail: ct}})
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		s.epcisProblem(w, r, http.StatusRequestEntityTooLarge, "QueryTooComplexException", "epcis.error.too_large",
			[]trace.Problem{{Pointer: "", Rule: "rule.epcis.file_size", Detail: err.Error()}})
		return nil, false
	}
	return b, true
}

func queryJSON(q *subscribe.Query) map[string]any {
	return map[string]any{"name": q.Name, "query": q.Query}
}

func (s *Server) epcisQueryList(w http.ResponseWriter, r *http.Request) {
	qs, err := subscribe.ListQueries(r.Context(), s.db, ownerOf(userFrom(r.Context())))
	if err != nil {
		s.epcisFail(w, r, err)
		return
	}
	out := make([]any, len(qs))
	for i, q := range qs {
		out[i] = queryJSON(q)
	}
	epcisHeaders(w)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) epcisQueryCreate(w http.ResponseWriter, r *http.Request) {
	if !s.checkVersion(w, r) {
		return
	}
	b, ok := s.readJSON(w, r)
	if !ok {
		return
	}
	def, err := trace.Decode(b)
	if err != nil {
		var ve *trace.ValidationError
		if errors.As(err, &ve) {
			err = &subscribe.Invalid{Type: "QueryValidationException", Problems: ve.Problems}
		}
		s.epcisSubscribeFail(w, r, err)
		return
	}
	// QueryDefinition is {name, query}; a misspelt key is refused rather
	// than dropped.
	var problems []trace.Problem
	for k := range def {
		if k != "name" && k != "query" {
			problems = append(problems, trace.Problem{Pointer: "/" + k, Rule: "rule.unknown_field"})
		}
	}
	name, _ := def["name"].(string)
	if len(problems) > 0 {
		s.epcisSubscribeFail(w, r, &subscribe.Invalid{Type: "QueryValidationException", Problems: problems})
		return
	}
	q, err := subscribe.CreateQuery(r.Context(), s.db, ownerOf(userFrom(r.Context())), name, def["query"])
	if err != nil {
		s.epcisSubscribeFail(w, r, err)
		return
	}
	epcisHeaders(w)
	w.Header().Set("Location", "/epcis/queries/"+url.PathEscape(q.Name))
	writeJSON(w, http.StatusCreated, queryJSON(q))
}

func (s *Server) epcisQueryGet(w http.ResponseWriter, r *http.Request) {
	q, err := subscribe.GetQuery(r.Context(), s.db, ownerOf(userFrom(r.Context())), r.PathValue("queryName"))
	if err != nil {
		s.epcisSubscribeFail(w, r, err)
		return
	}
	epcisHeaders(w)
	writeJSON(w, http.StatusOK, queryJSON(q))
}

func (s *Server) epcisQueryDelete(w http.ResponseWriter, r *http.Request) {
	if err := subscribe.DeleteQuery(r.Context(), s.db, ownerOf(userFrom(r.Context())), r.PathValue("queryName")); err != nil {
		s.epcisSubscribeFail(w, r, err)
		return
	}
	epcisHeaders(w)
	w.WriteHeader(http.StatusNoContent)
}

// epcisQueryEvents runs a named query. The query itself is fixed: the URL
// may only page it (perPage, nextPageToken), and the Link to the next page
// carries just those, so following it runs the same query. Asked to switch
// to WebSocket, it opens a live subscription instead (epcisQueryLive).
func (s *Server) epcisQueryEvents(w http.ResponseWriter, r *http.Request) {
	if isWebSocket(r) {
		s.epcisQueryLive(w, r)
		return
	}
	nq, err := subscribe.GetQuery(r.Context(), s.db, ownerOf(userFrom(r.Context())), r.PathValue("queryName"))
	if err != nil {
		s.epcisSubscribeFail(w, r, err)
		return
	}
	// A named query fixes its parameters: the caller may only page.
	params := nq.Params()
	paging := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "perPage" && k != "nextPageToken" {
			s.epcisFail(w, r, &trace.QueryError{Type: "QueryParameterException", Param: k, Rule: "rule.epcis.query.fixed", Value: strings.Join(v, "|")})
			return
		}
		params[k], paging[k] = v, v
	}
	s.answerQuery(w, r, nq.Name, params, paging)
}

func stamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// subscriptionJSON is the binding's AbstractQuerySubscriptionResponse with
// its stream or schedule part; the signatureToken is never shown.
func subscriptionJSON(sub *subscribe.Subscription) map[string]any {
	m := map[string]any{
		"subscriptionID":    sub.ID,
		"queryName":         sub.QueryName,
		"dest":              sub.Dest,
		"createdAt":         stamp(sub.CreatedAt),
		"initialRecordTime": stamp(sub.InitialRecordTime),
		"minRecordTime":     stamp(sub.MinRecordTime),
		"epcFormat":         sub.EPCFormat,
	}
	if sub.LastNotifiedAt > 0 {
		m["lastNotifiedAt"] = stamp(sub.LastNotifiedAt)
	}
	if sub.Stream {
		m["stream"] = true
	} else {
		m["schedule"] = sub.Schedule
		m["reportIfEmpty"] = sub.ReportIfEmpty
	}
	return m
}

func (s *Server) epcisSubscriptionList(w http.ResponseWriter, r *http.Request) {
	subs, err := subscribe.ListSubscriptions(r.Context(), s.db, ownerOf(userFrom(r.Context())), r.PathValue("queryName"))
	if err != nil {
		s.epcisSubscribeFail(w, r, err)
		return
	}
	out := make([]any, len(subs))
	for i, sub := range subs {
		out[i] = subscriptionJSON(sub)
	}
	epcisHeaders(w)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) epcisSubscribe(w http.ResponseWriter, r *http.Request) {
	if !s.checkVersion(w, r) {
		return
	}
	format, ok := s.epcFormat(w, r)
	if !ok {
		return
	}
	b, ok := s.readJSON(w, r)
	if !ok {
		return
	}
	var req subscribe.Request
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		p := trace.Problem{Pointer: "", Rule: "rule.epcis.json", Detail: err.Error()}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			p.Pointer = "/" + strings.ReplaceAll(ute.Field, ".", "/")
		} else if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			p = trace.Problem{Pointer: "/" + strings.Trim(name, `"`), Rule: "rule.unknown_field"}
		}
		s.epcisSubscribeFail(w, r, &subscribe.Invalid{Type: "SubscriptionControlsException", Problems: []trace.Problem{p}})
		return
	}
	name := r.PathValue("queryName")
	sub, err := subscribe.Subscribe(r.Context(), s.db, ownerOf(userFrom(r.Context())), name, req, format, time.Now())
	if err != nil {
		s.epcisSubscribeFail(w, r, err)
		return
	}
	epcisHeaders(w)
	w.Header().Set("Location", "/epcis/queries/"+url.PathEscape(name)+"/subscriptions/"+url.PathEscape(sub.ID))
	writeJSON(w, http.StatusCreated, subscriptionJSON(sub))
}

func (s *Server) epcisSubscriptionGet(w http.ResponseWriter, r *http.Request) {
	sub, err := subscribe.GetSubscription(r.Context(), s.db, ownerOf(userFrom(r.Context())), r.PathValue("queryName"), r.PathValue("subscriptionID"))
	if err != nil {
		s.epcisSubscribeFail(w, r, err)
		return
	}
	epcisHeaders(w)
	writeJSON(w, http.StatusOK, subscriptionJSON(sub))
}

func (s *Server) epcisUnsubscribe(w http.ResponseWriter, r *http.Request) {
	err := subscribe.Unsubscribe(r.Context(), s.db, ownerOf(userFrom(r.Context())), r.PathValue("queryName"), r.PathValue("subscriptionID"))
	if err != nil {
		s.epcisSubscribeFail(w, r, err)
		return
	}
	epcisHeaders(w)
	w.WriteHeader(http.StatusNoContent)
}
