package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Summary is the state of the outbox and the scheduler, for /metrics and the
// admin page.
type Summary struct {
	Undispatched int   // events committed but not yet fanned out to handlers
	Pending      int   // deliveries waiting to run, retries included
	Retrying     int   // pending deliveries that have failed at least once
	Dead         int   // deliveries that gave up; see Failures and Retry
	OldestWait   int64 // created_at (Unix ms) of the oldest event still waiting for a handler; 0 when none
	Jobs         []JobRun
}

// JobRun is the newest slot of one scheduled job.
type JobRun struct {
	Job       string
	Slot      string // 'YYYY-MM-DD' for daily jobs, RFC 3339 UTC start for interval jobs
	StartedAt int64  // Unix ms of the latest attempt
	DoneAt    int64  // Unix ms; 0 while running, failed or interrupted
	Attempts  int
	Result    string // 'ok', 'interrupted', 'error: …', or '' while running
	LastOK    int64  // Unix ms of the job's latest successful run in any slot; 0 for never
}

// Stats reports the outbox counts and the newest run of each scheduled job.
func Stats(ctx context.Context, q store.Queryer) (Summary, error) {
	var s Summary
	var oldestEvent, oldestDelivery sql.NullInt64
	for _, c := range []struct {
		dst  any
		sql  string
		args []any
	}{
		{&s.Undispatched, `SELECT COUNT(*) FROM events WHERE dispatched = ?`, []any{false}},
		{&oldestEvent, `SELECT MIN(created_at) FROM events WHERE dispatched = ?`, []any{false}},
		{&s.Pending, `SELECT COUNT(*) FROM deliveries WHERE status = ?`, []any{StatusPending}},
		{&s.Retrying, `SELECT COUNT(*) FROM deliveries WHERE status = ? AND attempts > 0`, []any{StatusPending}},
		{&s.Dead, `SELECT COUNT(*) FROM deliveries WHERE status = ?`, []any{StatusDead}},
		{&oldestDelivery, `SELECT MIN(e.created_at) FROM deliveries d JOIN events e ON e.id = d.event_id
			WHERE d.status = ?`, []any{StatusPending}},
	} {
		if err := q.QueryRow(ctx, c.sql, c.args...).Scan(c.dst); err != nil {
			return s, fmt.Errorf("jobs stats: %w", err)
		}
	}
	for _, v := range []sql.NullInt64{oldestEvent, oldestDelivery} {
		if v.Valid && (s.OldestWait == 0 || v.Int64 < s.OldestWait) {
			s.OldestWait = v.Int64
		}
	}
	rows, err := q.Query(ctx, `SELECT s.job, s.slot, s.started_at, s.done_at, s.attempts, s.result,
			(SELECT MAX(o.done_at) FROM scheduled_runs o WHERE o.job = s.job)
		FROM scheduled_runs s
		WHERE s.slot = (SELECT MAX(t.slot) FROM scheduled_runs t WHERE t.job = s.job)
		ORDER BY s.job`)
	if err != nil {
		return s, fmt.Errorf("jobs stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var j JobRun
		var done, lastOK sql.NullInt64
		if err := rows.Scan(&j.Job, &j.Slot, &j.StartedAt, &done, &j.Attempts, &j.Result, &lastOK); err != nil {
			return s, err
		}
		j.DoneAt, j.LastOK = done.Int64, lastOK.Int64
		s.Jobs = append(s.Jobs, j)
	}
	return s, rows.Err()
}

// Delivery is one handler's delivery of one event.
type Delivery struct {
	EventID       string
	Topic         string
	Handler       string
	Payload       json.RawMessage
	EventAt       int64 // Unix ms the event was committed
	Status        string
	Attempts      int
	NextAttemptAt int64
	LastError     string
}

// Failures lists dead deliveries and those waiting to retry, dead first,
// then the soonest retry first, at most limit (50 when limit ≤ 0).
func Failures(ctx context.Context, q store.Queryer, limit int) ([]Delivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := q.Query(ctx, `SELECT d.event_id, e.topic, d.handler, e.payload, e.created_at, d.status, d.attempts,
			d.next_attempt_at, d.last_error
		FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.status = ? OR (d.status = ? AND d.attempts > 0)
		ORDER BY CASE WHEN d.status = ? THEN 0 ELSE 1 END, d.next_attempt_at, d.event_id
		LIMIT ?`, StatusDead, StatusPending, StatusDead, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var payload string
		if err := rows.Scan(&d.EventID, &d.Topic, &d.Handler, &payload, &d.EventAt, &d.Status, &d.Attempts,
			&d.NextAttemptAt, &d.LastError); err != nil {
			return nil, err
		}
		d.Payload = json.RawMessage(payload)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Retry gives a dead delivery a fresh set of attempts, due at once, and
// records who did so in the audit log. It returns fielderr.ErrNotFound when
// there is no dead delivery of that event to that handler.
func Retry(ctx context.Context, tx *store.Tx, eventID, handler string) error {
	var attempts int
	var lastError string
	err := tx.QueryRow(ctx, `SELECT attempts, last_error FROM deliveries WHERE event_id = ? AND handler = ? AND status = ?`+tx.ForUpdate(),
		eventID, handler, StatusDead).Scan(&attempts, &lastError)
	if errors.Is(err, sql.ErrNoRows) {
		return fielderr.ErrNotFound
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE deliveries SET status = ?, attempts = 0, next_attempt_at = ?
		WHERE event_id = ? AND handler = ?`, StatusPending, store.Now(), eventID, handler); err != nil {
		return err
	}
	if err := audit.Write(ctx, tx, audit.Entry{
		Action: "retry", Entity: "delivery", EntityID: eventID + "/" + handler,
		Before: map[string]any{"status": StatusDead, "attempts": attempts, "last_error": lastError},
		After:  map[string]any{"status": StatusPending, "attempts": 0},
	}); err != nil {
		return err
	}
	tx.AfterCommit(wake)
	return nil
}

// Prune deletes events created before before whose deliveries have all
// succeeded, with those deliveries, and scheduled runs finished before before
// (always keeping each job's newest slot, which marks it done). Dead and
// pending deliveries and their events are kept. It returns how many events
// it removed, and works in small transactions so a SQLite writer is never
// held for long.
func Prune(ctx context.Context, db *store.DB, before time.Time) (int64, error) {
	cut := store.Millis(before)
	var total int64
	for {
		var ids []string
		err := db.Tx(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `SELECT e.id FROM events e
				WHERE e.dispatched = ? AND e.created_at < ?
				  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status <> ?)
				LIMIT 500`, true, cut, StatusDone)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(ids) == 0 {
				return err
			}
			in := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
			args := make([]any, len(ids))
			for i, id := range ids {
				args[i] = id
			}
			if _, err := tx.Exec(ctx, `DELETE FROM deliveries WHERE event_id IN (`+in+`)`, args...); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `DELETE FROM events WHERE id IN (`+in+`)`, args...)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune events: %w", err)
		}
		total += int64(len(ids))
		if len(ids) < 500 {
			break
		}
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM scheduled_runs
			WHERE done_at IS NOT NULL AND done_at < ?
			  AND slot < (SELECT MAX(t.slot) FROM scheduled_runs t WHERE t.job = scheduled_runs.job)`, cut)
		return err
	})
	if err != nil {
		return total, fmt.Errorf("prune scheduled runs: %w", err)
	}
	return total, nil
}
