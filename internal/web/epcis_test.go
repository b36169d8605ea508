package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/conformance"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// epcisDo sends a request with extra headers as role.
func (s *site) epcisDo(role auth.Role, method, path, body string, headers ...string) *http.Response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp
}

type queryDoc struct {
	Type      string `json:"type"`
	EPCISBody struct {
		QueryResults struct {
			ResultsBody struct {
				EventList []map[string]any `json:"eventList"`
			} `json:"resultsBody"`
		} `json:"queryResults"`
	} `json:"epcisBody"`
}

func decodeQueryDoc(t *testing.T, resp *http.Response) []map[string]any {
	t.Helper()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var d queryDoc
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.Type != "EPCISQueryDocument" {
		t.Fatalf("type %q", d.Type)
	}
	return d.EPCISBody.QueryResults.ResultsBody.EventList
}

type epcisProblem struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Errors []struct {
		Pointer string `json:"pointer"`
		Rule    string `json:"rule"`
		Message string `json:"message"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, resp *http.Response, status int) epcisProblem {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	var p epcisProblem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEPCISCaptureAndQueryOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSiteOn(t, db)
		doc, err := os.ReadFile(conformance.Files(t, "epcis/JSON/Example_9.6.1-ObjectEvent.jsonld")[0])
		if err != nil {
			t.Fatal(err)
		}

		// Capture: 202 and a job that reports success.
		resp := s.epcisDo(auth.RoleOfficer, "POST", "/epcis/capture", string(doc), "Content-Type", "application/ld+json", "GS1-EPCIS-Version", "2.0.0")
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("GS1-EPCIS-Version") != "2.0.0" {
			t.Fatalf("capture: status %d, version %q", resp.StatusCode, resp.Header.Get("GS1-EPCIS-Version"))
		}
		loc := resp.Header.Get("Location")
		if !strings.HasPrefix(loc, "/epcis/capture/") {
			t.Fatalf("Location %q", loc)
		}
		resp = s.epcisDo(auth.RoleOfficer, "GET", loc, "")
		var job struct {
			Running bool `json:"running"`
			Success bool `json:"success"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&job)
		resp.Body.Close()
		if job.Running || !job.Success {
			t.Fatalf("job %+v", job)
		}

		// Query: Digital Link by default, EPC URN when asked; one identity.
		q := "/epcis/events?" + url.Values{"MATCH_epc": {"https://id.gs1.org/01/10614141073464/21/2017"}}.Encode()
		evs := decodeQueryDoc(t, s.epcisDo(auth.RoleOfficer, "GET", q, ""))
		if len(evs) != 1 {
			t.Fatalf("MATCH_epc by Digital Link found %d events", len(evs))
		}
		if got := evs[0]["epcList"].([]any)[0]; got != "https://id.gs1.org/01/10614141073464/21/2017" {
			t.Fatalf("default format gave %v", got)
		}
		q = "/epcis/events?" + url.Values{"MATCH_epc": {"urn:epc:id:sgtin:0614141.107346.2017"}}.Encode()
		evs = decodeQueryDoc(t, s.epcisDo(auth.RoleOfficer, "GET", q, "", "GS1-EPC-Format", "Always_EPC_URN"))
		if len(evs) != 1 || evs[0]["epcList"].([]any)[0] != "urn:epc:id:sgtin:0614141.107346.2017" {
			t.Fatalf("URN format gave %v", evs)
		}

		// Paging: perPage=1 over two events gives a Link to the next page.
		resp = s.epcisDo(auth.RoleOfficer, "GET", "/epcis/events?perPage=1", "")
		first := decodeQueryDoc(t, resp)
		link := resp.Header.Get("Link")
		if len(first) != 1 || !strings.Contains(link, `rel="next"`) {
			t.Fatalf("page 1: %d events, Link %q", len(first), link)
		}
		next := link[strings.Index(link, "<")+1 : strings.Index(link, ">")]
		resp = s.epcisDo(auth.RoleOfficer, "GET", next, "")
		second := decodeQueryDoc(t, resp)
		if len(second) != 1 || second[0]["eventID"] == first[0]["eventID"] || resp.Header.Get("Link") != "" {
			t.Fatalf("page 2: %v, Link %q", second, resp.Header.Get("Link"))
		}

		// The standard's refusals.
		p := decodeProblem(t, s.epcisDo(auth.RoleOfficer, "GET", "/epcis/events?EQ_colour=red", ""), http.StatusBadRequest)
		if p.Type != "epcisException:QueryParameterException" || p.Errors[0].Pointer != "EQ_colour" {
			t.Fatalf("unknown parameter: %+v", p)
		}
		p = decodeProblem(t, s.epcisDo(auth.RoleOfficer, "GET", "/epcis/events?EQ_action=MOVE", ""), http.StatusBadRequest)
		if p.Errors[0].Pointer != "EQ_action" || p.Errors[0].Message == "" {
			t.Fatalf("bad action: %+v", p)
		}
		bad := strings.Replace(string(doc), `"action": "OBSERVE"`, `"action": "LOOK"`, 1)
		p = decodeProblem(t, s.epcisDo(auth.RoleOfficer, "POST", "/epcis/capture", bad, "Content-Type", "application/json"), http.StatusBadRequest)
		if p.Type != "epcisException:ValidationException" || !strings.HasPrefix(p.Errors[0].Pointer, "/epcisBody/eventList/0") {
			t.Fatalf("invalid document: %+v", p)
		}

		// A single event: 201, the same again is fine, a different one
		// under the same ID is a conflict.
		event := `{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "ObjectEvent",
			"eventID": "urn:uuid:0b3c6e4a-2f8c-4b52-9d8f-5a6c1e2d3f40", "eventTime": "2026-11-20T08:00:00+08:00",
			"eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "receiving", "epcList": ["urn:epc:id:sgtin:6901234.012345.1"]}`
		for _, want := range []int{http.StatusCreated, http.StatusCreated} {
			resp = s.epcisDo(auth.RoleEnterprise, "POST", "/epcis/events", event, "Content-Type", "application/ld+json")
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Fatalf("single event: status %d, want %d", resp.StatusCode, want)
			}
		}
		changed := strings.Replace(event, "receiving", "shipping", 1)
		decodeProblem(t, s.epcisDo(auth.RoleEnterprise, "POST", "/epcis/events", changed, "Content-Type", "application/ld+json"), http.StatusConflict)

		// An enterprise sees only its own events; the office sees all.
		if evs := decodeQueryDoc(t, s.epcisDo(auth.RoleEnterprise, "GET", "/epcis/events", "")); len(evs) != 1 {
			t.Fatalf("enterprise sees %d events, want only its own 1", len(evs))
		}
		if evs := decodeQueryDoc(t, s.epcisDo(auth.RoleOfficer, "GET", "/epcis/events", "")); len(evs) != 3 {
			t.Fatalf("officer sees %d events, want 3", len(evs))
		}
		id := url.PathEscape("urn:uuid:0b3c6e4a-2f8c-4b52-9d8f-5a6c1e2d3f40")
		if evs := decodeQueryDoc(t, s.epcisDo(auth.RoleOfficer, "GET", "/epcis/events/"+id, "")); len(evs) != 1 {
			t.Fatalf("event by ID: %v", evs)
		}
		resp = s.epcisDo(auth.RoleOfficer, "GET", "/epcis/bizSteps", "")
		var coll struct {
			Member []string `json:"member"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&coll)
		resp.Body.Close()
		if strings.Join(coll.Member, ",") != "receiving,shipping" {
			t.Fatalf("bizSteps collection: %v", coll.Member)
		}
		resp = s.epcisDo(auth.RoleOfficer, "GET", "/epcis/epcs?perPage=1", "")
		_ = json.NewDecoder(resp.Body).Decode(&coll)
		resp.Body.Close()
		if len(coll.Member) != 1 || !strings.Contains(resp.Header.Get("Link"), "nextPageToken") {
			t.Fatalf("epcs collection page: %v, Link %q", coll.Member, resp.Header.Get("Link"))
		}
		epc := url.PathEscape("urn:epc:id:sgtin:6901234.012345.1")
		if evs := decodeQueryDoc(t, s.epcisDo(auth.RoleOfficer, "GET", "/epcis/epcs/"+epc+"/events", "")); len(evs) != 1 {
			t.Fatalf("events of an EPC: %v", evs)
		}
	})
}
