package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/conformance"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/subscribe"
)

// queryDo sends a JSON request as role with extra headers (name, value…).
func (s *site) queryDo(role auth.Role, method, path, body string, headers ...string) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp, readBody(s.t, resp)
}

type namedQueryProblem struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Errors []struct {
		Pointer string `json:"pointer"`
		Rule    string `json:"rule"`
	} `json:"errors"`
}

func problemOf(t *testing.T, body string) namedQueryProblem {
	t.Helper()
	var p namedQueryProblem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("not a problem document: %v: %s", err, body)
	}
	return p
}

func (p namedQueryProblem) names(param string) bool {
	for _, e := range p.Errors {
		if strings.Contains(e.Pointer, param) {
			return true
		}
	}
	return false
}

// eventDocument is an EPCIS document of one ObjectEvent at bizStep.
func eventDocument(serial, bizStep string) string {
	return `{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
		"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-29T08:00:00Z",
		"epcisBody": {"eventList": [{"type": "ObjectEvent", "eventID": "urn:uuid:` + serial + `",
			"eventTime": "2026-11-28T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",
			"epcList": ["urn:epc:id:sgtin:0614141.107346.` + serial + `"], "action": "OBSERVE", "bizStep": "` + bizStep + `"}]}}`
}

func (s *site) captureAs(role auth.Role, serial, bizStep string) {
	s.t.Helper()
	resp, body := s.queryDo(role, "POST", "/epcis/capture", eventDocument(serial, bizStep), "Content-Type", "application/ld+json")
	if resp.StatusCode != http.StatusAccepted {
		s.t.Fatalf("capture %s: %d %s", serial, resp.StatusCode, body)
	}
}

// queryDocument is an EPCISQueryDocument as a query or a subscription
// returns it.
type queryDocument struct {
	Type      string `json:"type"`
	EPCISBody struct {
		QueryResults struct {
			QueryName      string `json:"queryName"`
			SubscriptionID string `json:"subscriptionID"`
			ResultsBody    struct {
				EventList []struct {
					EventID string   `json:"eventID"`
					EPCList []string `json:"epcList"`
				} `json:"eventList"`
			} `json:"resultsBody"`
		} `json:"queryResults"`
	} `json:"epcisBody"`
}

func eventIDsOf(t *testing.T, body string) (queryName string, ids []string) {
	t.Helper()
	var doc queryDocument
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	for _, e := range doc.EPCISBody.QueryResults.ResultsBody.EventList {
		ids = append(ids, e.EventID)
	}
	return doc.EPCISBody.QueryResults.QueryName, ids
}

func TestEPCISNamedQueries(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	ent, officer := auth.RoleEnterprise, auth.RoleOfficer

	resp, body := s.queryDo(ent, "POST", "/epcis/queries", `{"name": "shipped", "query": {"EQ_bizStep": ["shipping"], "orderBy": "eventTime", "orderDirection": "ASC"}}`)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") != "/epcis/queries/shipped" {
		t.Fatalf("create: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = s.queryDo(ent, "POST", "/epcis/queries", `{"name": "shipped", "query": {}}`)
	if p := problemOf(t, body); resp.StatusCode != http.StatusConflict || p.Type != "epcisException:ResourceAlreadyExistsException" {
		t.Errorf("same name again: %d %s", resp.StatusCode, body)
	}
	// The office neither sees the enterprise's query nor is blocked by its name.
	if resp, _ := s.queryDo(officer, "GET", "/epcis/queries/shipped", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("officer reads the enterprise's query: %d", resp.StatusCode)
	}
	if resp, body := s.queryDo(officer, "POST", "/epcis/queries", `{"name": "shipped", "query": {"EQ_bizStep": ["shipping"]}}`); resp.StatusCode != http.StatusCreated {
		t.Errorf("officer's query of the same name: %d %s", resp.StatusCode, body)
	}
	resp, body = s.queryDo(ent, "GET", "/epcis/queries", "")
	var list []struct {
		Name  string         `json:"name"`
		Query map[string]any `json:"query"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || resp.StatusCode != 200 || len(list) != 1 || list[0].Name != "shipped" || list[0].Query["orderBy"] != "eventTime" {
		t.Errorf("list: %d %s", resp.StatusCode, body)
	}

	// GS1's invalid queries are refused, naming the parameters.
	for _, f := range conformance.Files(t, "openepcis-test-resources/JSON/Query/Queries/Invalid/*.json") {
		q, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := s.queryDo(ent, "POST", "/epcis/queries", `{"name": "bad", "query": `+string(q)+`}`)
		p := problemOf(t, body)
		if resp.StatusCode != http.StatusBadRequest || p.Type != "epcisException:QueryValidationException" {
			t.Errorf("%s: %d %s", filepath.Base(f), resp.StatusCode, body)
		}
		want := map[string][]string{
			"Query_with_invalid_values.json":    {"GE_eventTime", "EQ_action", "orderDirection"},
			"Query_with_unknown_parameter.json": {"GE_eventDate"},
		}[filepath.Base(f)]
		for _, param := range want {
			if !p.names(param) {
				t.Errorf("%s: the refusal does not name %s: %s", filepath.Base(f), param, body)
			}
		}
	}
	for _, c := range []struct{ body, param string }{
		{`{"name": "a b", "query": {}}`, "/name"},
		{`{"name": "ok", "query": {}, "extra": 1}`, "/extra"},
		{`{"name": "ok"}`, "/query"},
		{`{"name": "ok", "query": {"eventCountLimit": 3}}`, "eventCountLimit"},
	} {
		resp, body := s.queryDo(ent, "POST", "/epcis/queries", c.body)
		if p := problemOf(t, body); resp.StatusCode != 400 || !p.names(c.param) {
			t.Errorf("%s: %d %s", c.body, resp.StatusCode, body)
		}
	}
	if resp := s.do(ent, "POST", "/epcis/queries", strings.NewReader(`name=x`), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form body: %d", resp.StatusCode)
	}

	// Running it: the enterprise's own shipping events only, paged with the
	// query's own order; the Link carries only the paging.
	s.captureAs(ent, "1", "shipping")
	s.captureAs(ent, "2", "receiving")
	s.captureAs(ent, "3", "shipping")
	s.captureAs(officer, "4", "shipping")
	resp, body = s.queryDo(ent, "GET", "/epcis/queries/shipped/events?perPage=1", "", "GS1-EPC-Format", "Always_EPC_URN")
	name, ids := eventIDsOf(t, body)
	if resp.StatusCode != 200 || name != "shipped" || len(ids) != 1 || ids[0] != "urn:uuid:1" || !strings.Contains(body, "urn:epc:id:sgtin:0614141.107346.1") {
		t.Fatalf("first page: %d %s", resp.StatusCode, body)
	}
	link := resp.Header.Get("Link")
	next, _, ok := strings.Cut(strings.TrimPrefix(link, "<"), ">")
	if !ok || !strings.HasPrefix(next, "/epcis/queries/shipped/events?") || strings.Contains(next, "bizStep") {
		t.Fatalf("Link %q", link)
	}
	resp, body = s.queryDo(ent, "GET", next, "")
	if _, ids := eventIDsOf(t, body); resp.StatusCode != 200 || len(ids) != 1 || ids[0] != "urn:uuid:3" || resp.Header.Get("Link") != "" {
		t.Errorf("second page: %d %q %s", resp.StatusCode, resp.Header.Get("Link"), body)
	}
	if resp, body := s.queryDo(officer, "GET", "/epcis/queries/shipped/events", ""); resp.StatusCode != 200 {
		t.Errorf("officer's query: %d %s", resp.StatusCode, body)
	} else if _, ids := eventIDsOf(t, body); len(ids) != 3 {
		t.Errorf("the office sees %v, want every shipping event", ids)
	}
	resp, body = s.queryDo(ent, "GET", "/epcis/queries/shipped/events?EQ_bizStep=receiving", "")
	if p := problemOf(t, body); resp.StatusCode != 400 || !p.names("EQ_bizStep") {
		t.Errorf("a filter added to a named query: %d %s", resp.StatusCode, body)
	}

	if resp, _ := s.queryDo(ent, "DELETE", "/epcis/queries/shipped", ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if resp, _ := s.queryDo(ent, "GET", "/epcis/queries/shipped/events", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted query runs: %d", resp.StatusCode)
	}
	if resp, _ := s.queryDo(officer, "GET", "/epcis/queries/shipped", ""); resp.StatusCode != 200 {
		t.Errorf("the office's query of the same name went too: %d", resp.StatusCode)
	}
	var n int
	if err := s.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE entity = 'epcis_query'`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d audit records of queries, want 3 (%v)", n, err)
	}
}

// webhook is a subscriber endpoint: it fails the first request with 500,
// then accepts.
type webhook struct {
	mu     sync.Mutex
	bodies []string
	sigs   []string
	codes  []int
	srv    *httptest.Server
}

func newWebhook(t *testing.T) *webhook {
	h := &webhook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		code := http.StatusNoContent
		if len(h.codes) == 0 {
			code = http.StatusInternalServerError
		}
		h.bodies, h.sigs, h.codes = append(h.bodies, string(b)), append(h.sigs, r.Header.Get("GS1-Signature")), append(h.codes, code)
		w.WriteHeader(code)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func TestEPCISWebhookSubscription(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	ent := auth.RoleEnterprise
	hook := newWebhook(t)
	if resp, body := s.queryDo(ent, "POST", "/epcis/queries", `{"name": "shipped", "query": {"EQ_bizStep": ["shipping"]}}`); resp.StatusCode != 201 {
		t.Fatalf("create query: %d %s", resp.StatusCode, body)
	}
	const token = "13df38d8275b13f05704629e5f1cf3d45d6132d5"
	resp, body := s.queryDo(ent, "POST", "/epcis/queries/shipped/subscriptions",
		`{"dest": "`+hook.srv.URL+`/cb", "signatureToken": "`+token+`", "stream": true}`)
	var sub map[string]any
	if err := json.Unmarshal([]byte(body), &sub); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, body)
	}
	id, _ := sub["subscriptionID"].(string)
	loc := resp.Header.Get("Location")
	if loc != "/epcis/queries/shipped/subscriptions/"+id || sub["stream"] != true || sub["epcFormat"] != trace.FormatDigitalLink {
		t.Errorf("created %q %v", loc, sub)
	}
	for _, path := range []string{loc, "/epcis/queries/shipped/subscriptions"} {
		resp, body := s.queryDo(ent, "GET", path, "")
		if resp.StatusCode != 200 || !strings.Contains(body, id) {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		if strings.Contains(body, token) || strings.Contains(body, "signatureToken") {
			t.Errorf("GET %s shows the token: %s", path, body)
		}
	}
	if strings.Contains(body, token) {
		t.Errorf("the creation answer shows the token: %s", body)
	}
	if resp, _ := s.queryDo(auth.RoleOfficer, "GET", loc, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("officer sees the enterprise's subscription: %d", resp.StatusCode)
	}

	for _, c := range []struct{ body, param string }{
		{`{"dest": "http://example.org/cb", "stream": true}`, "/dest"},
		{`{"dest": "https://example.org/cb"}`, "/stream"},
		{`{"dest": "https://example.org/cb", "stream": true, "schedule": {"hour": "1"}}`, "/stream"},
		{`{"dest": "https://example.org/cb", "schedule": {"minute": "0/30"}}`, "/schedule/minute"},
		{`{"dest": "https://example.org/cb", "steam": true}`, "/steam"},
	} {
		resp, body := s.queryDo(ent, "POST", "/epcis/queries/shipped/subscriptions", c.body)
		p := problemOf(t, body)
		if resp.StatusCode != 400 || p.Type != "epcisException:SubscriptionControlsException" || !p.names(c.param) {
			t.Errorf("%s: %d %s", c.body, resp.StatusCode, body)
		}
	}
	if resp, _ := s.queryDo(ent, "POST", "/epcis/queries/nothing/subscriptions", `{"dest": "https://example.org/cb", "stream": true}`); resp.StatusCode != 404 {
		t.Errorf("subscribing to a missing query: %d", resp.StatusCode)
	}

	// An event captured after the subscription reaches the webhook once,
	// signed, although the first attempt got a 500.
	s.captureAs(ent, "7", "shipping")
	s.captureAs(ent, "8", "receiving")
	time.Sleep(5 * time.Millisecond)
	r := jobs.NewRunner(s.db, nil)
	r.Backoff = time.Second
	subscribe.Register(r, s.db, hook.srv.Client()).Settle = 0
	ctx := context.Background()
	at := time.Now().Add(time.Minute)
	for i := range 4 {
		if _, err := r.RunDue(ctx, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	hook.mu.Lock()
	codes, bodies, sigs := hook.codes, hook.bodies, hook.sigs
	hook.mu.Unlock()
	if len(codes) != 2 || codes[0] != 500 || codes[1] != http.StatusNoContent {
		t.Fatalf("webhook answered %v, want a 500 and then one success", codes)
	}
	if name, ids := eventIDsOf(t, bodies[1]); name != "shipped" || len(ids) != 1 || ids[0] != "urn:uuid:7" {
		t.Errorf("delivered %s %v", name, ids)
	}
	if !strings.Contains(bodies[1], `"subscriptionID":"`+id+`"`) {
		t.Errorf("delivery does not name its subscription: %s", bodies[1])
	}
	if sigs[1] != subscribe.Sign(token, []byte(bodies[1])) {
		t.Errorf("GS1-Signature %q does not sign the body", sigs[1])
	}
	_, body = s.queryDo(ent, "GET", loc, "")
	if !strings.Contains(body, `"lastNotifiedAt"`) {
		t.Errorf("no lastNotifiedAt after a delivery: %s", body)
	}

	// Deleting the query ends the subscription.
	if resp, _ := s.queryDo(ent, "DELETE", "/epcis/queries/shipped", ""); resp.StatusCode != 204 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if resp, _ := s.queryDo(ent, "GET", loc, ""); resp.StatusCode != 404 {
		t.Errorf("subscription outlives its query: %d", resp.StatusCode)
	}
	s.captureAs(ent, "9", "shipping")
	time.Sleep(5 * time.Millisecond)
	if _, err := r.RunDue(ctx, at.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	hook.mu.Lock()
	if len(hook.codes) != 2 {
		t.Errorf("%d deliveries after the query was deleted", len(hook.codes))
	}
	hook.mu.Unlock()

	// Unsubscribing is a DELETE of the subscription.
	if resp, body := s.queryDo(ent, "POST", "/epcis/queries", `{"name": "again", "query": {}}`); resp.StatusCode != 201 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, _ = s.queryDo(ent, "POST", "/epcis/queries/again/subscriptions", `{"dest": "https://example.org/cb", "schedule": {"hour": "1", "minute": "5", "second": "0"}, "reportIfEmpty": true}`,
		"GS1-EPC-Format", "Always_EPC_URN")
	loc = resp.Header.Get("Location")
	if resp.StatusCode != 201 {
		t.Fatalf("scheduled subscription: %d", resp.StatusCode)
	}
	if _, body := s.queryDo(ent, "GET", loc, ""); !strings.Contains(body, `"epcFormat":"Always_EPC_URN"`) || !strings.Contains(body, `"hour":"1"`) {
		t.Errorf("scheduled subscription reads %s", body)
	}
	if resp, _ := s.queryDo(ent, "DELETE", loc, ""); resp.StatusCode != 204 {
		t.Errorf("unsubscribe: %d", resp.StatusCode)
	}
	if resp, _ := s.queryDo(ent, "DELETE", loc, ""); resp.StatusCode != 404 {
		t.Errorf("unsubscribe twice: %d", resp.StatusCode)
	}
}
