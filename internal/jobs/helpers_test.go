package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestRunner is a runner with short delays, so retries come due within a
// test.
func newTestRunner(db *store.DB) *Runner {
	r := NewRunner(db, quietLogger())
	r.Backoff = time.Millisecond
	r.MaxBackoff = 5 * time.Millisecond
	r.Poll = 5 * time.Millisecond
	r.Batch = 16
	return r
}

// The effects table is what handlers change: one row per (k, handler), whose
// n counts how often the effect committed. Exactly-once means every n is 1.
func createEffects(t *testing.T, db *store.DB) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), `CREATE TABLE test_effects (
			k INTEGER NOT NULL, handler TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (k, handler))`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

type payload struct{ K int }

func recordEffect(ctx context.Context, tx *store.Tx, ev Event, handler string) error {
	var p payload
	if err := ev.Decode(&p); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO test_effects (k, handler, n) VALUES (?, ?, 1)
		ON CONFLICT (k, handler) DO UPDATE SET n = test_effects.n + 1`, p.K, handler)
	return err
}

func effectHandler(name string) Handler {
	return func(ctx context.Context, tx *store.Tx, ev Event) error { return recordEffect(ctx, tx, ev, name) }
}

// emit commits one transaction that emits an event per k; with rollback set
// the transaction fails after emitting.
func emit(t *testing.T, db *store.DB, topic string, rollback bool, ks ...int) {
	t.Helper()
	if err := emitErr(db, topic, rollback, ks...); err != nil {
		t.Fatal(err)
	}
}

var errRollback = errors.New("rolled back on purpose")

func emitErr(db *store.DB, topic string, rollback bool, ks ...int) error {
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		for _, k := range ks {
			if err := Emit(context.Background(), tx, topic, payload{K: k}); err != nil {
				return err
			}
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if rollback && errors.Is(err, errRollback) || !rollback && err == nil {
		return nil
	}
	return fmt.Errorf("emit %v: %v", ks, err)
}

func effects(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT k, handler, n FROM test_effects`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k, n int
		var h string
		if err := rows.Scan(&k, &h, &n); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%d/%s", k, h)] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// assertExactlyOnce checks that the effects are exactly want, each once.
func assertExactlyOnce(t *testing.T, got map[string]int, want []string) {
	t.Helper()
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
		switch n := got[w]; n {
		case 1:
		case 0:
			t.Errorf("effect %s missing", w)
		default:
			t.Errorf("effect %s happened %d times", w, n)
		}
	}
	var extra []string
	for k := range got {
		if !wantSet[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("effects that should not exist: %v", extra)
	}
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// drain runs r until no delivery is pending or undispatched, failing the
// test after a deadline.
func drain(t *testing.T, r *Runner) int {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	total := 0
	for {
		n, err := r.RunOnce(ctx)
		if err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
		total += n
		s, err := Stats(ctx, r.db)
		if err != nil {
			t.Fatal(err)
		}
		if s.Pending == 0 && s.Undispatched == 0 {
			return total
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %+v", s)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
