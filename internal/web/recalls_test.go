package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

// captureShipment records a producer (the office, no owner) shipping 40
// cartons of a lot to the site's enterprise, named by its party URI.
func captureShipment(t *testing.T, s *site, lot string) {
	t.Helper()
	doc := fmt.Sprintf(`{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument",
		"schemaVersion":"2.0","creationDate":"2026-09-01T00:00:00Z","epcisBody":{"eventList":[
		{"type":"ObjectEvent","eventTime":"2026-09-01T02:00:00.000Z","eventTimeZoneOffset":"+08:00","action":"ADD",
		 "bizStep":"commissioning","quantityList":[{"epcClass":%q,"quantity":100,"uom":"EA"}]},
		{"type":"ObjectEvent","eventTime":"2026-09-01T04:00:00.000Z","eventTimeZoneOffset":"+08:00","action":"OBSERVE",
		 "bizStep":"shipping","quantityList":[{"epcClass":%q,"quantity":40,"uom":"EA"}],
		 "destinationList":[{"type":"owning_party","destination":%q}]}]}}`, lot, lot, trace.PartyURI("91152923MA0N000000", ""))
	if _, err := trace.CaptureJSON(audit.WithActor(context.Background(), audit.System), s.db, []byte(doc), ""); err != nil {
		t.Fatal(err)
	}
}

func decodeJSONBody(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestRecallAPIOpenConfirmClose(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	lot := "urn:epc:class:lgtin:4012345.011111.W1"
	captureShipment(t, s, lot)

	// Refusals name the field.
	for body, field := range map[string]string{
		`{"epc":"` + lot + `","level":5,"reason":"x"}`:                             "level",
		`{"epc":"not an epc","level":1,"reason":"x"}`:                              "epc",
		`{"epc":"urn:epc:class:lgtin:4012345.011111.NONE","level":1,"reason":"x"}`: "epc",
		`{"epc":"` + lot + `","level":1,"reason":""}`:                              "reason",
	} {
		resp := s.do(auth.RoleOfficer, "POST", "/api/v1/recalls", strings.NewReader(body), "application/json")
		var p struct {
			Errors []struct{ Field, Rule, Message string }
		}
		status := resp.StatusCode
		decodeJSONBody(t, resp, &p)
		if status != http.StatusUnprocessableEntity || len(p.Errors) == 0 || p.Errors[0].Field != field || p.Errors[0].Message == "" {
			t.Errorf("%s: status %d, errors %+v; want 422 on %s", body, status, p.Errors, field)
		}
	}
	// An enterprise may not open one.
	resp := s.do(auth.RoleEnterprise, "POST", "/api/v1/recalls", strings.NewReader(`{"epc":"`+lot+`","level":1,"reason":"x"}`), "application/json")
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("enterprise opening: %d", resp.StatusCode)
	}

	resp = s.do(auth.RoleOfficer, "POST", "/api/v1/recalls", strings.NewReader(`{"epc":"`+lot+`","level":2,"reason":"标签虚假"}`), "application/json")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("open: %d %s", resp.StatusCode, readBody(t, resp))
	}
	var rc recall.Recall
	decodeJSONBody(t, resp, &rc)
	if resp.Header.Get("Location") != "/api/v1/recalls/"+rc.ID || rc.Level != 2 || len(rc.Scope) != 1 || len(rc.Parties) != 1 {
		t.Fatalf("opened %+v", rc)
	}
	h := rc.Parties[0]
	if h.EnterpriseID != s.entID || h.Notified != 1 || len(h.Holdings) != 1 || h.Holdings[0].Quantity != 40 {
		t.Fatalf("holder %+v", h)
	}

	// The enterprise sees it in its list and confirms its part.
	resp = s.do(auth.RoleEnterprise, "GET", "/api/v1/recalls?status=open", nil, "")
	var list struct {
		Items []recall.Recall
		Total int
	}
	decodeJSONBody(t, resp, &list)
	if list.Total != 1 || list.Items[0].ID != rc.ID {
		t.Fatalf("enterprise list %+v", list)
	}
	resp = s.do(auth.RoleEnterprise, "POST", "/api/v1/recalls/"+rc.ID+"/confirmations",
		strings.NewReader(`{"action":"burned","quantity":40}`), "application/json")
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"action"`) {
		t.Errorf("bad action: %d %s", resp.StatusCode, body)
	}
	resp = s.do(auth.RoleEnterprise, "POST", "/api/v1/recalls/"+rc.ID+"/confirmations",
		strings.NewReader(`{"action":"returned","quantity":40,"note":"全部退回","complete":true}`), "application/json")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("confirm: %d %s", resp.StatusCode, readBody(t, resp))
	}
	var c recall.Confirmation
	decodeJSONBody(t, resp, &c)
	if c.EventID == "" || c.UOM != "EA" || !c.Complete {
		t.Errorf("confirmation %+v", c)
	}
	resp = s.do(auth.RoleInspector, "GET", "/api/v1/recalls/"+rc.ID, nil, "")
	var done recall.Recall
	decodeJSONBody(t, resp, &done)
	if done.Status != recall.StatusClosed || done.HoldersDone != 1 || len(done.History) == 0 {
		t.Errorf("after the only holder confirmed: %+v", done)
	}
	// The confirmation is an EPCIS event the enterprise owns.
	resp = s.do(auth.RoleEnterprise, "GET", "/api/v1/recalls/00000000-0000-7000-8000-000000000000", nil, "")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown recall: %d", resp.StatusCode)
	}
	var owner, disp string
	if err := s.db.QueryRow(context.Background(), `SELECT owner_id, disposition FROM epcis_events WHERE event_id = ?`, c.EventID).
		Scan(&owner, &disp); err != nil {
		t.Fatal(err)
	}
	if owner != s.entID || trace.BareCBV(disp) != "returned" {
		t.Errorf("event owner %q disposition %q", owner, disp)
	}
}

func TestRecallPages(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	lot := "urn:epc:class:lgtin:4012345.011111.W2"
	captureShipment(t, s, lot)
	officer := s.browser(auth.RoleOfficer)
	get := func(c *http.Client, path string) (int, string) {
		t.Helper()
		resp, err := c.Get(s.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readBody(t, resp)
	}
	post := func(c *http.Client, path string, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.ts.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", s.ts.URL)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, readBody(t, resp)
	}
	if code, body := get(officer, "/recalls/new"); code != http.StatusOK || !strings.Contains(body, `name="epc"`) {
		t.Fatalf("form: %d", code)
	}
	// A refused form shows the message beside the field.
	resp, body := post(officer, "/recalls", "epc=urn%3Aepc%3Aclass%3Algtin%3A4012345.011111.NONE&level=1&reason=x")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "没有任何追溯事件") {
		t.Errorf("refused lot: %d", resp.StatusCode)
	}
	resp, body = post(officer, "/recalls", "epc="+lot+"&level=7&reason=")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "召回级别须为 1–3 级") ||
		!strings.Contains(body, `aria-invalid="true" data-testid="reason"`) {
		t.Errorf("refused level and reason: %d", resp.StatusCode)
	}
	resp, _ = post(officer, "/recalls", "epc="+lot+"&level=1&reason=%E8%87%B4%E7%97%85%E8%8F%8C")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d", resp.StatusCode)
	}
	page := resp.Header.Get("Location")
	id := strings.TrimSuffix(strings.TrimPrefix(page, "/recalls/"), "?saved=1")
	code, body := get(officer, page)
	if code != http.StatusOK || !strings.Contains(body, `data-testid="holder"`) || !strings.Contains(body, `data-testid="close"`) {
		t.Fatalf("recall page: %d", code)
	}
	if code, body := get(officer, "/recalls?light=green"); code != http.StatusOK || !strings.Contains(body, "/recalls/"+id) {
		t.Errorf("list: %d", code)
	}
	req, _ := http.NewRequest("GET", s.ts.URL+"/recalls/export", nil)
	xr, err := officer.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	xb := readBody(t, xr)
	if xr.StatusCode != http.StatusOK || !strings.HasPrefix(xb, "PK") || !strings.Contains(xr.Header.Get("Content-Type"), "spreadsheetml") {
		t.Errorf("export: %d %s", xr.StatusCode, xr.Header.Get("Content-Type"))
	}
	// The enterprise's home page puts the recall first among its tasks.
	ent := s.browser(auth.RoleEnterprise)
	if code, body := get(ent, "/"); code != http.StatusOK || !strings.Contains(body, `data-testid="my-recalls"`) ||
		!strings.Contains(body, `href="/recalls/`+id+`/holders/`) {
		t.Errorf("the enterprise's home page does not ask it to act on the recall: %d", code)
	}
	// The enterprise sees its own part and confirms through its form.
	code, body = get(ent, "/recalls/"+id)
	if code != http.StatusOK || !strings.Contains(body, `data-testid="my-part"`) || strings.Contains(body, `data-testid="history"`) {
		t.Fatalf("enterprise's recall page: %d", code)
	}
	i := strings.Index(body, `/holders/`)
	holder := body[i+len("/holders/") : i+len("/holders/")+36]
	resp, body = post(ent, "/recalls/"+id+"/holders/"+holder+"/confirmations", "action=removed&quantity=abc")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `aria-invalid="true" data-testid="quantity"`) {
		t.Errorf("bad quantity: %d", resp.StatusCode)
	}
	resp, _ = post(ent, "/recalls/"+id+"/holders/"+holder+"/confirmations", "action=removed&quantity=40&uom=EA&complete=1")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	if _, body := get(ent, "/"); strings.Contains(body, `data-testid="my-recalls"`) {
		t.Errorf("the home page still asks for a part already done")
	}
	if code, body := get(officer, "/recalls/"+id); code != http.StatusOK || !strings.Contains(body, `data-status="closed"`) {
		t.Errorf("after confirming: %d", code)
	} else if strings.Count(body, "40 个") < 2 || strings.Contains(body, "40 EA") {
		// The confirmation and the history name the unit.
		t.Errorf("units on the recall page: %d × '40 个', %v '40 EA'", strings.Count(body, "40 个"), strings.Contains(body, "40 EA"))
	}
	// Another enterprise's holder page is not found.
	if code, _ := get(ent, "/recalls/"+id+"/holders/00000000-0000-7000-8000-000000000000"); code != http.StatusNotFound {
		t.Errorf("unknown holder: %d", code)
	}
	if code, _ := get(officer, "/recalls/proposals"); code != http.StatusOK {
		t.Errorf("proposals: %d", code)
	}
}
