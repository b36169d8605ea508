package subscribe

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// receiver is a webhook endpoint that records what it is sent and answers
// with the statuses it is given, then 200.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []delivery
	srv      *httptest.Server
}

type delivery struct {
	status    int
	body      []byte
	signature string
	format    string
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	rc := &receiver{statuses: statuses}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		status := http.StatusOK
		if len(rc.statuses) > 0 {
			status, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		rc.got = append(rc.got, delivery{status, b, r.Header.Get("GS1-Signature"), r.Header.Get("GS1-EPC-Format")})
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// eventIDs decodes a delivered EPCISQueryDocument, checks it is one the
// capture interface itself accepts, and returns its query name,
// subscription ID and event IDs.
func eventIDs(t *testing.T, body []byte) (queryName, subscriptionID string, ids []string) {
	t.Helper()
	doc, err := trace.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, bad := trace.CheckDocument(doc, "rollback"); bad != nil && len(lookup(doc, "epcisBody", "queryResults", "resultsBody", "eventList").([]any)) > 0 {
		t.Errorf("delivered document is not valid EPCIS: %v", bad)
	}
	res, _ := lookup(doc, "epcisBody", "queryResults").(map[string]any)
	queryName, _ = res["queryName"].(string)
	subscriptionID, _ = res["subscriptionID"].(string)
	evs, _ := lookup(res, "resultsBody", "eventList").([]any)
	for _, e := range evs {
		id, _ := e.(map[string]any)["eventID"].(string)
		ids = append(ids, id)
	}
	return queryName, subscriptionID, ids
}

func capture(t *testing.T, ctx context.Context, db *store.DB, owner, serial, bizStep string) {
	t.Helper()
	if _, err := trace.CaptureJSON(ctx, db, eventDoc(serial, bizStep), owner); err != nil {
		t.Fatal(err)
	}
}

// A stream subscription gets each newly captured event of its owner that
// matches its query, signed, exactly once: a 500 holds the watermark, the
// retry waits out the backoff, and later runs send only what is new.
func TestStreamDelivery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		rc := newReceiver(t, http.StatusInternalServerError)
		capture(t, ctx, db, "ent-1", "100", "shipping") // before the subscription: not sent
		time.Sleep(5 * time.Millisecond)
		if _, err := CreateQuery(ctx, db, "ent-1", "shipped", decodeAny(t, `{"EQ_bizStep": ["shipping"], "orderBy": "eventTime", "eventCountLimit": 1}`)); err != nil {
			t.Fatal(err)
		}
		sub, err := Subscribe(ctx, db, "ent-1", "shipped", Request{Dest: rc.srv.URL, SignatureToken: "s3cret", Stream: ptr(true)}, trace.FormatURN, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		capture(t, ctx, db, "ent-1", "101", "shipping")
		capture(t, ctx, db, "ent-1", "102", "receiving") // does not match
		capture(t, ctx, db, "ent-2", "103", "shipping")  // another owner's
		capture(t, ctx, db, "ent-1", "104", "shipping")
		time.Sleep(5 * time.Millisecond) // past the last record time

		r := jobs.NewRunner(db, nil)
		r.Backoff = time.Minute
		Register(r, db, rc.srv.Client()).Settle = 0
		t0 := time.Now().Add(time.Minute)
		run := func(at time.Time) {
			t.Helper()
			if _, err := r.RunDue(ctx, at); err != nil {
				t.Fatal(err)
			}
		}
		run(t0)
		if d := rc.deliveries(); len(d) != 1 || d[0].status != 500 {
			t.Fatalf("first run: %d deliveries", len(d))
		}
		run(t0.Add(Tick)) // within the backoff: nothing
		if d := rc.deliveries(); len(d) != 1 {
			t.Fatalf("retried within the backoff: %d deliveries", len(d))
		}
		run(t0.Add(2 * time.Minute))
		run(t0.Add(3 * time.Minute)) // nothing new
		d := rc.deliveries()
		if len(d) != 2 {
			t.Fatalf("%d deliveries, want the failed one and its retry", len(d))
		}
		for _, x := range d {
			name, id, ids := eventIDs(t, x.body)
			// Both events, in record-time order: eventCountLimit and the
			// order of the query shape its own results, not the stream.
			if name != "shipped" || id != sub.ID || len(ids) != 2 || ids[0] != "urn:uuid:101" || ids[1] != "urn:uuid:104" {
				t.Errorf("delivered %s %s %v", name, id, ids)
			}
			want := Sign("s3cret", x.body)
			if !hmac.Equal([]byte(x.signature), []byte(want)) {
				t.Errorf("signature %q, want %q", x.signature, want)
			}
			if _, err := hex.DecodeString(x.signature); err != nil || len(x.signature) != 64 {
				t.Errorf("signature %q is not hex SHA-256", x.signature)
			}
			if x.format != trace.FormatURN {
				t.Errorf("GS1-EPC-Format %q", x.format)
			}
		}
		got, err := GetSubscription(ctx, db, "ent-1", "shipped", sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.LastNotifiedAt == 0 || got.MinRecordTime <= sub.MinRecordTime || got.attempts != 0 || got.lastError != "" {
			t.Errorf("after delivery: %+v", got)
		}

		// A later event goes alone.
		capture(t, ctx, db, "ent-1", "105", "shipping")
		time.Sleep(5 * time.Millisecond)
		run(t0.Add(4 * time.Minute))
		d = rc.deliveries()
		if len(d) != 3 {
			t.Fatalf("%d deliveries after a new event", len(d))
		}
		if _, _, ids := eventIDs(t, d[2].body); len(ids) != 1 || ids[0] != "urn:uuid:105" {
			t.Errorf("new event delivered as %v", ids)
		}

		// A deleted query stops its deliveries.
		if err := DeleteQuery(ctx, db, "ent-1", "shipped"); err != nil {
			t.Fatal(err)
		}
		capture(t, ctx, db, "ent-1", "106", "shipping")
		run(t0.Add(5 * time.Minute))
		if d := rc.deliveries(); len(d) != 3 {
			t.Errorf("%d deliveries after the query was deleted", len(d))
		}
	})
}

// A scheduled subscription reports when its schedule comes round, empty
// reports included when asked for, and resumes a window page by page.
func TestScheduledDelivery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		rc := newReceiver(t)
		if _, err := CreateQuery(ctx, db, "", "all", decodeAny(t, `{}`)); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if _, err := Subscribe(ctx, db, "", "all", Request{Dest: rc.srv.URL, ReportIfEmpty: true, Schedule: &Schedule{Second: "0"}}, "", now); err != nil {
			t.Fatal(err)
		}
		quiet, err := Subscribe(ctx, db, "", "all", Request{Dest: rc.srv.URL, Schedule: &Schedule{Second: "0"}}, "", now)
		if err != nil {
			t.Fatal(err)
		}
		d := NewDeliverer(db, rc.srv.Client())
		d.PageSize, d.Settle = 2, 0
		next := (Schedule{Second: "0"}).Next(now)
		if n, err := d.Run(ctx, next.Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("before the schedule: %d sent, %v", n, err)
		}
		if n, err := d.Run(ctx, next); err != nil || n != 1 {
			t.Fatalf("at the schedule: %d sent, %v", n, err)
		}
		if _, _, ids := eventIDs(t, rc.deliveries()[0].body); len(ids) != 0 {
			t.Errorf("empty report carries %v", ids)
		}
		if sig := rc.deliveries()[0].signature; sig != "" {
			t.Errorf("unsigned subscription sent GS1-Signature %q", sig)
		}
		// Both events of the office (owner "") and enterprises' are
		// visible to the office; five events go in pages of two.
		for i, s := range []string{"201", "202", "203", "204", "205"} {
			capture(t, ctx, db, []string{"", "ent-1"}[i%2], s, "receiving")
		}
		time.Sleep(5 * time.Millisecond)
		at := next.Add(time.Minute)
		n, err := d.Run(ctx, at)
		if err != nil || n != 6 {
			t.Fatalf("%d sent, %v; want three pages to each subscription", n, err)
		}
		var all []string
		for _, x := range rc.deliveries()[1:] {
			_, id, ids := eventIDs(t, x.body)
			if id == quiet.ID {
				all = append(all, ids...)
			}
		}
		if len(all) != 5 || all[0] != "urn:uuid:201" || all[4] != "urn:uuid:205" {
			t.Errorf("the quiet subscription got %v", all)
		}
		// Nothing new: the quiet one stays quiet, the other reports empty.
		if n, err := d.Run(ctx, at.Add(time.Minute)); err != nil || n != 1 {
			t.Errorf("next minute: %d sent, %v", n, err)
		}
	})
}

// A page acknowledged before a failure is not sent again: the retry
// resumes the window after it.
func TestDeliveryResumesWindow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		rc := newReceiver(t, http.StatusOK, http.StatusBadGateway)
		if _, err := CreateQuery(ctx, db, "ent-1", "all", decodeAny(t, `{}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := Subscribe(ctx, db, "ent-1", "all", Request{Dest: rc.srv.URL, Stream: ptr(true)}, "", time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"301", "302", "303"} {
			capture(t, ctx, db, "ent-1", s, "receiving")
		}
		time.Sleep(5 * time.Millisecond)
		d := NewDeliverer(db, rc.srv.Client())
		d.PageSize, d.Settle = 2, 0
		at := time.Now().Add(time.Minute)
		if n, err := d.Run(ctx, at); err != nil || n != 1 {
			t.Fatalf("first run: %d sent, %v", n, err)
		}
		if n, err := d.Run(ctx, at.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("retry: %d sent, %v", n, err)
		}
		var got []string
		for _, x := range rc.deliveries() {
			if x.status == http.StatusOK {
				_, _, ids := eventIDs(t, x.body)
				got = append(got, ids...)
			}
		}
		if len(got) != 3 || got[0] != "urn:uuid:301" || got[2] != "urn:uuid:303" {
			t.Errorf("acknowledged %v, want each event once", got)
		}
	})
}

// Runners working at the same moment (two servers) deliver each event
// once: the lease lets one of them take a subscription, and the one that
// comes second reads the watermark the first left.
func TestConcurrentRunnersDeliverOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		rc := newReceiver(t)
		if _, err := CreateQuery(ctx, db, "ent-1", "all", decodeAny(t, `{}`)); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := Subscribe(ctx, db, "ent-1", "all", Request{Dest: rc.srv.URL, Stream: ptr(true)}, "", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range []string{"401", "402"} {
			capture(t, ctx, db, "ent-1", s, "receiving")
		}
		time.Sleep(5 * time.Millisecond)
		var wg sync.WaitGroup
		at := time.Now().Add(time.Minute)
		for range 4 {
			d := NewDeliverer(db, rc.srv.Client())
			d.Settle = 0
			wg.Go(func() {
				for i := range 3 {
					if _, err := d.Run(ctx, at.Add(time.Duration(i)*time.Second)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		seen := map[string]int{}
		for _, x := range rc.deliveries() {
			_, sub, ids := eventIDs(t, x.body)
			for _, id := range ids {
				seen[sub+" "+id]++
			}
		}
		if len(seen) != 6 {
			t.Errorf("%d subscription×event pairs delivered, want 6: %v", len(seen), seen)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("%s delivered %d times", k, n)
			}
		}
	})
}

// A window longer than half the lease goes on at the next run, where the
// last one stopped.
func TestLongWindowYieldsTheLease(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		rc := newReceiver(t)
		if _, err := CreateQuery(ctx, db, "ent-1", "all", decodeAny(t, `{}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := Subscribe(ctx, db, "ent-1", "all", Request{Dest: rc.srv.URL, Stream: ptr(true)}, "", time.Now()); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"501", "502", "503"} {
			capture(t, ctx, db, "ent-1", s, "receiving")
		}
		time.Sleep(5 * time.Millisecond)
		d := NewDeliverer(db, rc.srv.Client())
		d.PageSize, d.Settle, d.Lease = 1, 0, time.Nanosecond
		at := time.Now().Add(time.Minute)
		for i, want := range []int{1, 1, 1, 0} {
			if n, err := d.Run(ctx, at.Add(time.Duration(i)*time.Second)); err != nil || n != want {
				t.Fatalf("run %d: %d sent, %v; want %d", i, n, err, want)
			}
		}
		var got []string
		for _, x := range rc.deliveries() {
			_, _, ids := eventIDs(t, x.body)
			got = append(got, ids...)
		}
		if len(got) != 3 || got[0] != "urn:uuid:501" || got[1] != "urn:uuid:502" || got[2] != "urn:uuid:503" {
			t.Errorf("delivered %v", got)
		}
	})
}
