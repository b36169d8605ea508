package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// dialLive opens a WebSocket subscription as role; on a refusal it returns
// the HTTP status and body instead.
func (s *site) dialLive(role auth.Role, path string, headers ...string) (*websocket.Conn, int, string) {
	s.t.Helper()
	h := http.Header{}
	if role != "" {
		h.Set("Authorization", "Bearer "+s.tokens[role])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.ts.URL, "http")+path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp == nil {
			s.t.Fatalf("dial %s: %v", path, err)
		}
		var body []byte
		if resp.Body != nil {
			body, _ = io.ReadAll(resp.Body)
		}
		return nil, resp.StatusCode, string(body)
	}
	s.t.Cleanup(func() { c.CloseNow() })
	return c, http.StatusSwitchingProtocols, ""
}

func readLive(t *testing.T, c *websocket.Conn) (queryDocument, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		return queryDocument{}, err
	}
	var m queryDocument
	if typ != websocket.MessageText || json.Unmarshal(b, &m) != nil || m.Type != "EPCISQueryDocument" {
		t.Fatalf("message %v: %s", typ, b)
	}
	return m, nil
}

// TestEPCISLiveSubscriptions subscribes to named queries over WebSocket, as
// the REST binding allows beside webhooks: a stream receives the
// subscriber's own matching events as they are captured, a schedule reports
// when it comes round, bad controls are refused over HTTP before the switch
// naming the parameter, and deleting the query, revoking the token or
// stopping the server ends the subscription.
func TestEPCISLiveSubscriptions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSiteOn(t, db)
		d := s.srv.LiveSubscriptions()
		d.Settle, d.LivePoll = 0, 50*time.Millisecond
		ent, officer := auth.RoleEnterprise, auth.RoleOfficer
		for _, role := range []auth.Role{ent, officer} {
			if resp, body := s.queryDo(role, "POST", "/epcis/queries", `{"name": "shipped", "query": {"EQ_bizStep": ["shipping"]}}`); resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", resp.StatusCode, body)
			}
		}

		// Refused before the switch, naming what is wrong.
		for _, c := range []struct {
			role   auth.Role
			path   string
			status int
			names  string
		}{
			{ent, "/epcis/queries/shipped/events", http.StatusBadRequest, "stream"},
			{ent, "/epcis/queries/shipped/events?stream=true&minute=5", http.StatusBadRequest, "stream"},
			{ent, "/epcis/queries/shipped/events?stream=yes", http.StatusBadRequest, "stream"},
			{ent, "/epcis/queries/shipped/events?minute=99", http.StatusBadRequest, "minute"},
			{ent, "/epcis/queries/shipped/events?stream=true&dest=https://example.com", http.StatusBadRequest, "dest"},
			{ent, "/epcis/queries/shipped/events?stream=true&initialRecordTime=yesterday", http.StatusBadRequest, "initialRecordTime"},
			{ent, "/epcis/queries/nothing/events?stream=true", http.StatusNotFound, "queryName"},
			{"", "/epcis/queries/shipped/events?stream=true", http.StatusUnauthorized, ""},
		} {
			if _, status, body := s.dialLive(c.role, c.path); status != c.status || c.names != "" && !problemOf(t, body).names(c.names) {
				t.Errorf("%s %s: %d %s", c.role, c.path, status, body)
			}
		}
		// A page of another site may not ride the caller's credentials.
		if _, status, _ := s.dialLive(ent, "/epcis/queries/shipped/events?stream=true", "Origin", "https://elsewhere.example"); status != http.StatusForbidden {
			t.Errorf("foreign origin: %d", status)
		}

		// A stream: the enterprise's own shipping events only, in the
		// format asked for, each message naming the query and subscription.
		c, status, body := s.dialLive(ent, "/epcis/queries/shipped/events?stream=true", "GS1-EPC-Format", "Always_EPC_URN")
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("stream: %d %s", status, body)
		}
		s.captureAs(officer, "31", "shipping")
		s.captureAs(ent, "32", "receiving")
		s.captureAs(ent, "33", "shipping")
		m, err := readLive(t, c)
		if err != nil {
			t.Fatal(err)
		}
		qr := m.EPCISBody.QueryResults
		evs := qr.ResultsBody.EventList
		if qr.QueryName != "shipped" || qr.SubscriptionID == "" || len(evs) != 1 || evs[0].EventID != "urn:uuid:33" ||
			len(evs[0].EPCList) != 1 || evs[0].EPCList[0] != "urn:epc:id:sgtin:0614141.107346.33" {
			t.Fatalf("first message: %+v", m)
		}
		s.captureAs(ent, "34", "shipping")
		if m, err := readLive(t, c); err != nil || len(m.EPCISBody.QueryResults.ResultsBody.EventList) != 1 ||
			m.EPCISBody.QueryResults.ResultsBody.EventList[0].EventID != "urn:uuid:34" {
			t.Fatalf("second message: %+v %v", m, err)
		}

		// The office's stream of its own query sees every shipping event,
		// from the initialRecordTime it gives.
		oc, status, body := s.dialLive(officer, "/epcis/queries/shipped/events?stream=true&initialRecordTime=2000-01-01T00:00:00Z")
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("office stream: %d %s", status, body)
		}
		seen := map[string]bool{}
		for len(seen) < 3 {
			m, err := readLive(t, oc)
			if err != nil {
				t.Fatalf("office stream after %v: %v", seen, err)
			}
			for _, e := range m.EPCISBody.QueryResults.ResultsBody.EventList {
				seen[e.EventID] = true
			}
		}
		if !seen["urn:uuid:31"] || !seen["urn:uuid:33"] || !seen["urn:uuid:34"] || seen["urn:uuid:32"] {
			t.Errorf("office stream: %v", seen)
		}
		oc.CloseNow()

		// Deleting the query ends its live subscriptions.
		if resp, body := s.queryDo(ent, "DELETE", "/epcis/queries/shipped", ""); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %d %s", resp.StatusCode, body)
		}
		_, err = readLive(t, c)
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusNormalClosure || !strings.Contains(ce.Reason, "NoSuchNameException") {
			t.Errorf("after the query was deleted: %v", err)
		}

		// A schedule reports when it comes round (every second here), even
		// empty when asked to; revoking the token ends it.
		if resp, body := s.queryDo(ent, "POST", "/epcis/queries", `{"name": "received", "query": {"EQ_bizStep": ["receiving"]}}`); resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", resp.StatusCode, body)
		}
		sc, status, body := s.dialLive(ent, "/epcis/queries/received/events?second=[0-59]&reportIfEmpty=true")
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("schedule: %d %s", status, body)
		}
		if m, err := readLive(t, sc); err != nil || m.EPCISBody.QueryResults.QueryName != "received" {
			t.Fatalf("scheduled report: %+v %v", m, err)
		}
		tokens, err := auth.ListTokens(context.Background(), db, s.users[ent].ID)
		if err != nil || len(tokens) != 1 {
			t.Fatalf("tokens: %v %v", tokens, err)
		}
		if err := auth.RevokeToken(context.Background(), db, s.users[ent].ID, tokens[0].ID); err != nil {
			t.Fatal(err)
		}
		for {
			if _, err = readLive(t, sc); err != nil {
				break
			}
		}
		if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation {
			t.Errorf("after the token was revoked: %v", err)
		}

		// A server stopping says so to its live subscribers.
		oc2, status, body := s.dialLive(officer, "/epcis/queries/shipped/events?stream=true")
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("office stream: %d %s", status, body)
		}
		read := make(chan error, 1)
		go func() {
			// The client reads while the server closes, as a live client
			// does: the closing handshake needs its answer.
			_, _, err := oc2.Read(context.Background())
			read <- err
		}()
		s.srv.Close()
		if err := <-read; !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway {
			t.Errorf("server stopping: %v", err)
		}
		if _, status, body := s.dialLive(officer, "/epcis/queries/shipped/events?stream=true"); status != http.StatusServiceUnavailable || !strings.Contains(body, "ImplementationException") {
			t.Errorf("subscribing while the server stops: %d %s", status, body)
		}
	})
}
