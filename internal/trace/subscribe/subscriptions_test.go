package subscribe

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		if _, err := CreateQuery(ctx, db, "ent-1", "q", decodeAny(t, `{"EQ_bizStep": ["shipping"]}`)); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 29, 10, 0, 0, 0, scheduleZone)
		s, err := Subscribe(ctx, db, "ent-1", "q", Request{Dest: "https://example.org/cb", SignatureToken: "secret",
			ReportIfEmpty: true, Schedule: &Schedule{Hour: "1", Minute: "5", Second: "0"}}, trace.FormatURN, now)
		if err != nil {
			t.Fatal(err)
		}
		got, err := GetSubscription(ctx, db, "ent-1", "q", s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Signed || got.Stream || got.Schedule == nil || got.Schedule.Hour != "1" || !got.ReportIfEmpty ||
			got.EPCFormat != trace.FormatURN || got.MinRecordTime != now.UnixMilli() || got.InitialRecordTime != now.UnixMilli() {
			t.Errorf("read back as %+v", got)
		}
		if want := time.Date(2026, 11, 30, 1, 5, 0, 0, scheduleZone).UnixMilli(); got.nextRunAt != want {
			t.Errorf("first run at %v, want the next 01:05", time.UnixMilli(got.nextRunAt))
		}
		var after string
		if err := db.QueryRow(ctx, `SELECT after_json FROM audit_log WHERE entity = 'epcis_subscription' AND action = 'create'`).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(after, "secret") {
			t.Errorf("the audit log keeps the token: %s", after)
		}
		// Other owners and other queries do not see it.
		if _, err := GetSubscription(ctx, db, "ent-2", "q", s.ID); !errors.Is(err, ErrNoQuery) {
			t.Errorf("another owner: %v", err)
		}
		if _, err := GetSubscription(ctx, db, "ent-1", "q", "nope"); !errors.Is(err, ErrNoSubscription) {
			t.Errorf("unknown ID: %v", err)
		}
		if _, err := Subscribe(ctx, db, "ent-2", "q", Request{Dest: "https://example.org/cb", Stream: ptr(true)}, "", now); !errors.Is(err, ErrNoQuery) {
			t.Errorf("subscribing to another owner's query: %v", err)
		}
		initial := "2026-11-01T00:00:00+08:00"
		s2, err := Subscribe(ctx, db, "ent-1", "q", Request{Dest: "http://127.0.0.1:9/cb", Stream: ptr(true), InitialRecordTime: initial}, "", now)
		if err != nil {
			t.Fatal(err)
		}
		if s2.EPCFormat != trace.FormatDigitalLink || s2.MinRecordTime != time.Date(2026, 11, 1, 0, 0, 0, 0, scheduleZone).UnixMilli() {
			t.Errorf("stream subscription %+v", s2)
		}
		list, err := ListSubscriptions(ctx, db, "ent-1", "q")
		if err != nil || len(list) != 2 {
			t.Fatalf("list: %v %v", list, err)
		}
		if err := Unsubscribe(ctx, db, "ent-1", "q", s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := GetSubscription(ctx, db, "ent-1", "q", s.ID); !errors.Is(err, ErrNoSubscription) {
			t.Errorf("after unsubscribe: %v", err)
		}
		if auditCount(t, db, "epcis_subscription", "delete") != 1 {
			t.Error("unsubscribe not audited")
		}
	})
}

func TestSubscribeRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		if _, err := CreateQuery(ctx, db, "", "q", decodeAny(t, `{}`)); err != nil {
			t.Fatal(err)
		}
		ok := "https://example.org/cb"
		for _, c := range []struct {
			req    Request
			format string
			at     string
		}{
			{Request{Dest: "http://example.org/cb", Stream: ptr(true)}, "", "/dest"},
			{Request{Dest: "ftp://example.org/cb", Stream: ptr(true)}, "", "/dest"},
			{Request{Dest: "/cb", Stream: ptr(true)}, "", "/dest"},
			{Request{Dest: "http://10.0.0.1/cb", Stream: ptr(true)}, "", "/dest"},
			{Request{Dest: ok}, "", "/stream"},
			{Request{Dest: ok, Stream: ptr(false)}, "", "/stream"},
			{Request{Dest: ok, Stream: ptr(true), Schedule: &Schedule{Hour: "1"}}, "", "/stream"},
			{Request{Dest: ok, Schedule: &Schedule{Hour: "25"}}, "", "/schedule/hour"},
			{Request{Dest: ok, Stream: ptr(true), InitialRecordTime: "yesterday"}, "", "/initialRecordTime"},
			{Request{Dest: ok, Stream: ptr(true), SignatureToken: strings.Repeat("x", MaxTokenLength+1)}, "", "/signatureToken"},
			{Request{Dest: ok, Stream: ptr(true)}, "Sometimes_URN", "GS1-EPC-Format"},
		} {
			_, err := Subscribe(ctx, db, "", "q", c.req, c.format, time.Now())
			var inv *Invalid
			if !errors.As(err, &inv) || inv.Type != "SubscriptionControlsException" || inv.Problems[0].Pointer != c.at {
				t.Errorf("%+v: %v, want a problem at %s", c.req, err, c.at)
			}
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM epcis_subscriptions`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d refused subscriptions stored", n)
		}
		if _, err := Subscribe(ctx, db, "", "q", Request{Dest: ok, Stream: ptr(false), Schedule: &Schedule{Minute: "0"}}, "", time.Now()); err != nil {
			t.Errorf(`"stream": false beside a schedule: %v`, err)
		}
	})
}
