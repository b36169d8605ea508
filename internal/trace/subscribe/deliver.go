package subscribe

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// Sign returns the GS1-Signature of a delivery body: the lowercase hex
// HMAC-SHA256 of body keyed with token.
func Sign(token string, body []byte) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Tick is how often Register's job looks for due subscriptions: a stream
// subscription hears of a new event within about Tick plus Settle.
const Tick = 10 * time.Second

// Deliverer sends subscription results to their destinations.
type Deliverer struct {
	DB     *store.DB
	Client *http.Client // redirects are not followed: a 3xx is a failure
	Log    *slog.Logger

	// Settle is how far behind the present a delivery window ends. An
	// event's record time is taken when its capture transaction starts, so
	// a capture still committing can carry a record time a little in the
	// past; the window leaves it time to commit.
	Settle time.Duration
	// Backoff is the delay after the first failed delivery; it doubles
	// with each further failure up to MaxBackoff. A subscription is never
	// given up: it keeps trying at MaxBackoff until it is deleted.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Lease is how long a delivery may run before another runner may take
	// the subscription over; Timeout bounds one POST.
	Lease   time.Duration
	Timeout time.Duration
	// PageSize is how many events one POST carries at most; Parallel how
	// many subscriptions are delivered at once.
	PageSize int
	Parallel int
	// LivePoll is how often a live stream looks for new events (LivePoll
	// when zero).
	LivePoll time.Duration
}

// NewDeliverer returns a Deliverer with the default tuning. A nil client
// gets PublicClient.
func NewDeliverer(db *store.DB, client *http.Client) *Deliverer {
	if client == nil {
		client = PublicClient()
	}
	// A POST redirected with 301/302/303 would be replayed as a GET and
	// "succeed" without delivering anything; treat every redirect as the
	// answer it is.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Deliverer{
		DB: db, Client: &c, Log: slog.Default().With("component", "epcis.subscribe"),
		Settle: 5 * time.Second, Backoff: 5 * time.Second, MaxBackoff: time.Hour,
		Lease: 2 * time.Minute, Timeout: 30 * time.Second, PageSize: 500, Parallel: 4,
	}
}

// Register adds the delivery job to r: every Tick, each due subscription is
// delivered, with r's Backoff and MaxBackoff between failed attempts. It
// returns the Deliverer for tuning before r runs.
func Register(r *jobs.Runner, db *store.DB, client *http.Client) *Deliverer {
	d := NewDeliverer(db, client)
	d.Backoff, d.MaxBackoff = r.Backoff, r.MaxBackoff
	r.Every("epcis.subscriptions", Tick, func(ctx context.Context, slot time.Time) error {
		_, err := d.Run(ctx, slot)
		return err
	})
	return d
}

// dueWhere selects the subscriptions to deliver at a time: not leased, not
// waiting out a backoff, and a stream, a schedule that has come round, or a
// window whose later pages are still to go.
// The claim tests the row it updates itself (no alias, no subquery), so
// that a concurrent PostgreSQL claim re-checks it after the first commits.
const dueWhere = `lease_until <= ? AND next_attempt_at <= ? AND (stream = ? OR next_run_at <= ? OR window_end > 0)`

func dueArgs(now int64) []any { return []any{now, now, true, now} }

// due lists the IDs of the subscriptions due at now.
func (d *Deliverer) due(ctx context.Context, now int64) ([]string, error) {
	return store.Column[string](ctx, d.DB, `SELECT id FROM epcis_subscriptions WHERE `+dueWhere+`
		ORDER BY next_attempt_at, id LIMIT 1000`, dueArgs(now)...)
}

// Run delivers every subscription due at now (the runner's clock, for
// schedules, backoff and leases) and returns how many POSTs were
// acknowledged. A failed POST is recorded on its subscription (and retried
// after the backoff), not returned; the error is the database's.
func (d *Deliverer) Run(ctx context.Context, now time.Time) (int, error) {
	ids, err := d.due(ctx, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("due subscriptions: %w", err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	sent := 0
	sem := make(chan struct{}, max(d.Parallel, 1))
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			n, err := d.deliver(ctx, id, now)
			mu.Lock()
			sent += n
			if err != nil {
				errs = append(errs, fmt.Errorf("subscription %s: %w", id, err))
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return sent, errors.Join(errs...)
}

// claim takes the subscription's lease if it is still due, and reads its
// state afresh under the lease: another runner may have delivered it since
// the list of due subscriptions was read. It returns nil when the
// subscription is gone, leased or no longer due.
func (d *Deliverer) claim(ctx context.Context, id string, now time.Time) (*Subscription, string, error) {
	var s *Subscription
	var query string
	lease := now.Add(d.Lease).UnixMilli()
	err := d.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE epcis_subscriptions SET lease_until = ? WHERE id = ? AND `+dueWhere, append([]any{lease, id}, dueArgs(now.UnixMilli())...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		s, err = scanSubscription(tx.QueryRow(ctx, `SELECT `+subscriptionColumns+`, q.query FROM epcis_subscriptions s
			JOIN epcis_queries q ON q.id = s.query_id WHERE s.id = ?`, id), &query)
		return err
	})
	return s, query, err
}

func (d *Deliverer) update(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := d.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// Result-shaping parameters of the stored query that a subscription does
// not use: deliveries go in record-time order, page by page.
var shaping = []string{"orderBy", "orderDirection", "eventCountLimit", "maxEventCount"}

// deliver sends the events of s's open window, page by page, advancing the
// watermark after each acknowledged page, and records a failure for the
// backoff. It returns how many POSTs were acknowledged.
func (d *Deliverer) deliver(ctx context.Context, id string, now time.Time) (int, error) {
	s, queryJSON, err := d.claim(ctx, id, now)
	if err != nil || s == nil {
		return 0, err
	}
	// Bookkeeping must land even when the runner is stopping.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	query, err := trace.Decode([]byte(queryJSON))
	if err != nil {
		return 0, d.fail(bctx, s, now, err)
	}
	base, lo, hi, err := windowed(query)
	if err != nil {
		return 0, d.fail(bctx, s, now, err)
	}
	sent, started := 0, time.Now()
	for {
		if s.windowEnd == 0 {
			// Record times come from this clock (store.Now), not from the
			// runner's: a run for a later slot must not move the
			// watermark past events not yet recorded.
			end := min(now.UnixMilli(), store.Now()) - d.Settle.Milliseconds()
			s.windowEnd = max(end, s.MinRecordTime)
		}
		evs, next, err := d.page(ctx, s.Owner, s.EPCFormat, s.pageToken, base, max(s.MinRecordTime, lo), min(s.windowEnd, hi))
		if err != nil {
			if ctx.Err() != nil {
				return sent, d.release(bctx, s)
			}
			return sent, d.fail(bctx, s, now, err)
		}
		notified := s.LastNotifiedAt
		if len(evs) > 0 || !s.Stream && s.ReportIfEmpty && s.pageToken == "" {
			if err := d.post(ctx, s, evs); err != nil {
				if ctx.Err() != nil {
					return sent, d.release(bctx, s)
				}
				return sent, d.fail(bctx, s, now, err)
			}
			sent++
			notified = time.Now().UnixMilli()
		}
		if next != "" {
			// More of this window to go: keep the place, so that a restart
			// resumes after the acknowledged page.
			n, err := d.update(bctx, `UPDATE epcis_subscriptions SET window_end = ?, page_token = ?, last_notified_at = ?,
				attempts = 0, last_error = '' WHERE id = ? AND lease_until = ?`, s.windowEnd, next, nullable(notified), s.ID, s.lease)
			if err != nil || n == 0 {
				return sent, err // gone, or the lease was lost
			}
			s.pageToken, s.LastNotifiedAt = next, notified
			if time.Since(started) > d.Lease/2 {
				// Long windows go on at the next tick rather than outlive
				// the lease and meet another runner.
				return sent, d.release(bctx, s)
			}
			continue
		}
		var nextRun int64
		if s.Schedule != nil {
			if c, _ := s.Schedule.compile(); c != nil {
				nextRun = c.next(now.In(scheduleZone)).UnixMilli()
			}
		}
		_, err = d.update(bctx, `UPDATE epcis_subscriptions SET min_record_time = ?, window_end = 0, page_token = '',
			last_notified_at = ?, next_run_at = ?, attempts = 0, next_attempt_at = 0, last_error = '', lease_until = 0
			WHERE id = ? AND lease_until = ?`, s.windowEnd, nullable(notified), nextRun, s.ID, s.lease)
		return sent, err
	}
}

func nullable(ms int64) any {
	if ms == 0 {
		return nil
	}
	return ms
}

// windowed returns a stored query's parameters as a subscription runs
// them: without the shaping it does not use, and with the query's own
// record-time bounds taken out, to narrow every window.
func windowed(query map[string]any) (url.Values, int64, int64, error) {
	base := toValues(query)
	for _, p := range shaping {
		base.Del(p)
	}
	lo, hi, err := recordBounds(base)
	return base, lo, hi, err
}

// recordBounds reads the query's own GE_recordTime and LT_recordTime (which
// CheckQuery let through) and removes them: the window takes their place.
func recordBounds(p url.Values) (lo, hi int64, err error) {
	lo, hi = 0, 1<<62
	for _, b := range []struct {
		name string
		dst  *int64
	}{{"GE_recordTime", &lo}, {"LT_recordTime", &hi}} {
		if v := p.Get(b.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return 0, 0, fmt.Errorf("stored query: %s %q: %w", b.name, v, err)
			}
			*b.dst = t.UnixMilli()
		}
		p.Del(b.name)
	}
	return lo, hi, nil
}

// page runs owner's query over record times [lo, hi) from a page token on
// and renders the events in an EPC format.
func (d *Deliverer) page(ctx context.Context, owner, format, token string, base url.Values, lo, hi int64) ([]any, string, error) {
	if lo >= hi {
		return nil, "", nil
	}
	p := url.Values{}
	for k, v := range base {
		p[k] = v
	}
	p.Set("GE_recordTime", time.UnixMilli(lo).UTC().Format(time.RFC3339Nano))
	p.Set("LT_recordTime", time.UnixMilli(hi).UTC().Format(time.RFC3339Nano))
	p.Set("orderBy", "recordTime")
	p.Set("orderDirection", "ASC")
	p.Set("perPage", strconv.Itoa(d.PageSize))
	if token != "" {
		p.Set("nextPageToken", token)
	}
	q, err := trace.ParseQuery(p)
	if err != nil {
		return nil, "", err
	}
	res, err := q.Run(ctx, d.DB, owner)
	if err != nil {
		return nil, "", err
	}
	evs, err := trace.Render(ctx, d.DB, res.Events, format)
	return evs, res.NextToken, err
}

// post sends one EPCISQueryDocument to s.Dest; any answer but 2xx is an
// error.
func (d *Deliverer) post(ctx context.Context, s *Subscription, evs []any) error {
	body, err := resultDocument(s.QueryName, s.ID, evs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Dest, bytes.NewReader(body))
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("GS1-EPCIS-Version", "2.0.0")
	h.Set("GS1-CBV-Version", "2.0.0")
	h.Set("GS1-EPC-Format", s.EPCFormat)
	if s.token != "" {
		h.Set("GS1-Signature", Sign(s.token, body))
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", s.Dest, resp.Status)
	}
	return nil
}

// resultDocument is the EPCISQueryDocument a subscription receives.
func resultDocument(queryName, subscriptionID string, evs []any) ([]byte, error) {
	doc := trace.QueryDocument(queryName, evs)
	if body, ok := doc["epcisBody"].(map[string]any); ok {
		if res, ok := body["queryResults"].(map[string]any); ok {
			res["subscriptionID"] = subscriptionID
		}
	}
	return json.Marshal(doc)
}

// fail records a failed attempt: the subscription waits Backoff, doubled
// for each failure before, and the watermark stays where it was.
func (d *Deliverer) fail(ctx context.Context, s *Subscription, now time.Time, cause error) error {
	attempts := s.attempts + 1
	wait := d.Backoff
	for i := 1; i < attempts && wait < d.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, d.MaxBackoff)
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	d.Log.Warn("subscription delivery failed", "subscription", s.ID, "attempt", attempts, "retry_in", wait, "err", msg)
	_, err := d.update(ctx, `UPDATE epcis_subscriptions SET attempts = ?, next_attempt_at = ?, last_error = ?, lease_until = 0
		WHERE id = ? AND lease_until = ?`, attempts, now.Add(wait).UnixMilli(), msg, s.ID, s.lease)
	return err
}

// release gives the lease back untouched, when the runner stops mid-way.
func (d *Deliverer) release(ctx context.Context, s *Subscription) error {
	_, err := d.update(ctx, `UPDATE epcis_subscriptions SET lease_until = 0 WHERE id = ? AND lease_until = ?`, s.ID, s.lease)
	return err
}
