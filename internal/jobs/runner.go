package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// Handler consumes one event inside tx, the transaction that also marks the
// delivery done. It must write only through tx: on SQLite the runner holds
// the single writer connection, so opening another transaction would wait
// for ever. Returning an error (or panicking) rolls tx back and schedules a
// retry.
type Handler func(ctx context.Context, tx *store.Tx, ev Event) error

// Delivery statuses.
const (
	StatusPending = "pending"
	StatusDone    = "done"
	StatusDead    = "dead"
)

// Runner delivers outbox events to handlers and runs scheduled jobs. Register
// handlers and jobs before calling Run, RunOnce or RunDue. Every process that
// runs a Runner on the same database must register the same handlers: an
// event is fanned out to the handlers the dispatching runner knows.
type Runner struct {
	// MaxAttempts is how many failed attempts turn a delivery dead.
	MaxAttempts int
	// Backoff is the delay before the first retry; it doubles after each
	// further failure, up to MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Poll is how often Run looks for work when no commit woke it.
	Poll time.Duration
	// Batch is how many events or deliveries one query takes.
	Batch int
	// Lease is how long a scheduled run may go without its heartbeat before
	// another runner takes the slot over; the heartbeat renews it every
	// Lease/3 while the job works.
	Lease time.Duration
	// RetryDelay is how long a slot whose run returned an error waits before
	// it is run again (while it is still the current slot).
	RetryDelay time.Duration

	db  *store.DB
	log *slog.Logger
	now func() time.Time

	handlers map[string]map[string]Handler // topic → handler name → handler
	names    []string                      // distinct handler names, for the delivery query
	jobs     []*job
	jobNames map[string]bool
}

// NewRunner returns a Runner on db with the default tuning. A nil logger
// logs to slog.Default().
func NewRunner(db *store.DB, logger *slog.Logger) *Runner {
	if logger == nil {
		logger = slog.Default()
	}
	return &Runner{
		MaxAttempts: 12,
		Backoff:     5 * time.Second,
		MaxBackoff:  time.Hour,
		Poll:        time.Second,
		Batch:       100,
		Lease:       2 * time.Minute,
		RetryDelay:  5 * time.Minute,
		db:          db,
		log:         logger.With("component", "jobs"),
		now:         time.Now,
		handlers:    map[string]map[string]Handler{},
		jobNames:    map[string]bool{},
	}
}

// Handle registers h under handlerName for events of topic. The name is
// stored with each delivery, so renaming a handler abandons its pending
// deliveries; it must be unique within the topic.
func (r *Runner) Handle(topic, handlerName string, h Handler) {
	if topic == "" || handlerName == "" || h == nil {
		panic("jobs: Handle needs a topic, a handler name and a handler")
	}
	byName := r.handlers[topic]
	if byName == nil {
		byName = map[string]Handler{}
		r.handlers[topic] = byName
	}
	if _, dup := byName[handlerName]; dup {
		panic(fmt.Sprintf("jobs: handler %q registered twice for %q", handlerName, topic))
	}
	byName[handlerName] = h
	for _, n := range r.names {
		if n == handlerName {
			return
		}
	}
	r.names = append(r.names, handlerName)
}

// Run dispatches and delivers events and runs scheduled jobs until ctx is
// done. It wakes after every commit that emitted an event and polls every
// Runner.Poll otherwise. When ctx is cancelled a delivery in progress rolls
// back (it is retried later, not counted as a failure) and Run waits for
// running scheduled jobs to return before it returns nil.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	running := map[*job]bool{}
	var mu sync.Mutex
	wakeCh, unlisten := listen()
	defer unlisten()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wakeCh:
		case <-timer.C:
		}
		if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("deliver events", "err", err)
		}
		r.startDue(ctx, &wg, &mu, running)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(r.Poll)
	}
}

// RunOnce dispatches every undispatched event and delivers every delivery
// that is due now, repeating while that produces more work (handlers that
// emit events), and returns how many deliveries succeeded. A delivery that
// fails is not retried within the same call. It does not run scheduled jobs.
func (r *Runner) RunOnce(ctx context.Context) (delivered int, err error) {
	for {
		dispatched, err := r.dispatch(ctx)
		if err != nil {
			return delivered, err
		}
		n, err := r.deliverDue(ctx, r.now())
		delivered += n
		if err != nil {
			return delivered, err
		}
		if dispatched == 0 && n == 0 {
			return delivered, nil
		}
	}
}

// skipLocked lets concurrent PostgreSQL runners pass over rows another
// runner is working on instead of queueing behind it; SQLite has one writer.
func skipLocked(tx *store.Tx) string {
	if tx.Dialect == store.Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// dispatch turns undispatched events into one delivery per handler of their
// topic, a batch per transaction. A runner without handlers (a tool that
// only runs scheduled jobs) leaves events alone rather than dispatch them to
// nobody.
func (r *Runner) dispatch(ctx context.Context) (int, error) {
	if len(r.handlers) == 0 {
		return 0, nil
	}
	total := 0
	for {
		n := 0
		err := r.db.Tx(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, topic FROM events WHERE dispatched = ? ORDER BY id LIMIT ?`+skipLocked(tx),
				false, r.Batch)
			if err != nil {
				return err
			}
			type ev struct{ id, topic string }
			var evs []ev
			for rows.Next() {
				var e ev
				if err := rows.Scan(&e.id, &e.topic); err != nil {
					rows.Close()
					return err
				}
				evs = append(evs, e)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			now := store.Millis(r.now())
			for _, e := range evs {
				for name := range r.handlers[e.topic] {
					if _, err := tx.Exec(ctx, `INSERT INTO deliveries (event_id, handler, status, attempts, next_attempt_at)
						VALUES (?, ?, ?, 0, ?) ON CONFLICT (event_id, handler) DO NOTHING`,
						e.id, name, StatusPending, now); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(ctx, `UPDATE events SET dispatched = ? WHERE id = ?`, true, e.id); err != nil {
					return err
				}
			}
			n = len(evs)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("dispatch events: %w", err)
		}
		total += n
		if n < r.Batch {
			return total, nil
		}
	}
}

type due struct {
	ev       Event
	handler  string
	attempts int
	nextAt   int64
}

// deliverDue attempts every delivery due at now once, oldest first, paging
// with a keyset so that rows skipped (locked by another runner) or failed
// are not selected again in this pass.
func (r *Runner) deliverDue(ctx context.Context, now time.Time) (int, error) {
	if len(r.names) == 0 {
		return 0, nil
	}
	nowMs := store.Millis(now)
	in := strings.TrimSuffix(strings.Repeat("?, ", len(r.names)), ", ")
	var lastAt int64 = -1
	lastID, lastHandler := "", ""
	delivered := 0
	for {
		args := []any{StatusPending, nowMs, lastAt, lastAt, lastID, lastAt, lastID, lastHandler}
		for _, n := range r.names {
			args = append(args, n)
		}
		args = append(args, r.Batch)
		rows, err := r.db.Query(ctx, `SELECT d.event_id, d.handler, d.attempts, d.next_attempt_at, e.topic, e.payload, e.created_at
			FROM deliveries d JOIN events e ON e.id = d.event_id
			WHERE d.status = ? AND d.next_attempt_at <= ?
			  AND (d.next_attempt_at > ? OR (d.next_attempt_at = ? AND d.event_id > ?)
			       OR (d.next_attempt_at = ? AND d.event_id = ? AND d.handler > ?))
			  AND d.handler IN (`+in+`)
			ORDER BY d.next_attempt_at, d.event_id, d.handler LIMIT ?`, args...)
		if err != nil {
			return delivered, fmt.Errorf("due deliveries: %w", err)
		}
		var batch []due
		for rows.Next() {
			var d due
			var payload string
			if err := rows.Scan(&d.ev.ID, &d.handler, &d.attempts, &d.nextAt, &d.ev.Topic, &payload, &d.ev.CreatedAt); err != nil {
				rows.Close()
				return delivered, err
			}
			d.ev.Payload = []byte(payload)
			batch = append(batch, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return delivered, err
		}
		for _, d := range batch {
			if ctx.Err() != nil {
				return delivered, nil
			}
			h := r.handlers[d.ev.Topic][d.handler]
			if h == nil {
				continue // a handler name registered for another topic
			}
			ok, err := r.deliver(ctx, d, h, nowMs)
			if err != nil {
				return delivered, err
			}
			if ok {
				delivered++
			}
		}
		if len(batch) < r.Batch {
			return delivered, nil
		}
		last := batch[len(batch)-1]
		lastAt, lastID, lastHandler = last.nextAt, last.ev.ID, last.handler
	}
}

// handlerError marks a failure of the handler itself, as opposed to the
// bookkeeping around it.
type handlerError struct{ err error }

func (e handlerError) Error() string { return e.err.Error() }
func (e handlerError) Unwrap() error { return e.err }

// deliver runs one delivery in its own transaction. It reports whether the
// handler's work committed; a handler failure is recorded and is not an
// error of deliver's.
func (r *Runner) deliver(ctx context.Context, d due, h Handler, nowMs int64) (bool, error) {
	claimed := false
	err := r.db.Tx(ctx, func(tx *store.Tx) error {
		// Re-read the row under lock: another runner may have delivered it
		// since the batch was read.
		var attempts int
		err := tx.QueryRow(ctx, `SELECT attempts FROM deliveries
			WHERE event_id = ? AND handler = ? AND status = ? AND next_attempt_at <= ?`+skipLocked(tx),
			d.ev.ID, d.handler, StatusPending, nowMs).Scan(&attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		claimed, d.attempts = true, attempts
		if err := call(ctx, h, tx, d.ev); err != nil {
			return handlerError{err}
		}
		_, err = tx.Exec(ctx, `UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = '', done_at = ?
			WHERE event_id = ? AND handler = ?`, StatusDone, store.Millis(r.now()), d.ev.ID, d.handler)
		return err
	})
	if err == nil {
		return claimed, nil
	}
	if ctx.Err() != nil {
		// Stopping: the transaction rolled back and the delivery stays due.
		return false, nil
	}
	if !claimed {
		return false, fmt.Errorf("delivery %s/%s: %w", d.ev.ID, d.handler, err)
	}
	return false, r.recordFailure(ctx, d, err)
}

// call runs h, turning a panic into an error so that one bad event cannot
// stop the runner.
func call(ctx context.Context, h Handler, tx *store.Tx, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return h(ctx, tx, ev)
}

func (r *Runner) recordFailure(ctx context.Context, d due, cause error) error {
	attempts := d.attempts + 1
	status := StatusPending
	if attempts >= r.MaxAttempts {
		status = StatusDead
	}
	next := r.now().Add(r.backoff(attempts))
	msg := truncate(cause.Error(), 4000)
	err := r.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE deliveries SET attempts = ?, status = ?, last_error = ?, next_attempt_at = ?
			WHERE event_id = ? AND handler = ? AND status = ? AND attempts = ?`,
			attempts, status, msg, store.Millis(next), d.ev.ID, d.handler, StatusPending, d.attempts)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("record failure of %s/%s: %w", d.ev.ID, d.handler, err)
	}
	if status == StatusDead {
		r.log.Error("delivery dead", "event", d.ev.ID, "topic", d.ev.Topic, "handler", d.handler, "attempts", attempts, "err", msg)
	} else {
		r.log.Warn("delivery failed", "event", d.ev.ID, "topic", d.ev.Topic, "handler", d.handler, "attempts", attempts,
			"retry_at", next, "err", msg)
	}
	return nil
}

// backoff is the wait after the n-th failure: Backoff, 2×, 4× … up to
// MaxBackoff.
func (r *Runner) backoff(n int) time.Duration {
	d := r.Backoff
	for i := 1; i < n && d < r.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.MaxBackoff)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
