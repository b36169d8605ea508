package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestRolledBackEventsAreNeverDelivered(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		createEffects(t, db)
		r := newTestRunner(db)
		r.Handle("lab.result", "credit", effectHandler("credit"))
		emit(t, db, "lab.result", true, 1, 2, 3)
		emit(t, db, "lab.result", false, 4)
		if n := drain(t, r); n != 1 {
			t.Errorf("delivered %d, want 1", n)
		}
		assertExactlyOnce(t, effects(t, db), []string{"4/credit"})
		if n := count(t, db, `SELECT COUNT(*) FROM events`); n != 1 {
			t.Errorf("%d events stored, want only the committed one", n)
		}
	})
}

func TestEventFansOutToEveryHandlerOfItsTopic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		createEffects(t, db)
		r := newTestRunner(db)
		r.Handle("lab.result", "credit", effectHandler("credit"))
		r.Handle("lab.result", "case", effectHandler("case"))
		r.Handle("other", "x", effectHandler("x"))
		// A handler that emits a follow-up event in its own transaction: the
		// follow-up is delivered in the same RunOnce.
		r.Handle("lab.result", "recall", func(ctx context.Context, tx *store.Tx, ev Event) error {
			var p payload
			if err := ev.Decode(&p); err != nil {
				return err
			}
			return Emit(ctx, tx, "recall.opened", payload{K: p.K + 100})
		})
		r.Handle("recall.opened", "bulletin", effectHandler("bulletin"))
		emit(t, db, "lab.result", false, 1, 2)
		emit(t, db, "unhandled.topic", false, 3)
		// A runner without handlers (a tool running scheduled jobs) must not
		// take the events away from the real ones.
		if n, err := newTestRunner(db).RunOnce(context.Background()); n != 0 || err != nil {
			t.Fatalf("bare runner: %d, %v", n, err)
		}
		if n, err := r.RunOnce(context.Background()); err != nil || n != 8 {
			t.Fatalf("RunOnce = %d, %v; want 8 deliveries (3 handlers × 2 events + 2 follow-ups)", n, err)
		}
		assertExactlyOnce(t, effects(t, db), []string{"1/credit", "1/case", "2/credit", "2/case", "101/bulletin", "102/bulletin"})
		s, err := Stats(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if s.Pending != 0 || s.Undispatched != 0 || s.Dead != 0 || s.OldestWait != 0 {
			t.Errorf("stats after delivery: %+v", s)
		}
	})
}

// A handler that fails twice and then succeeds: its effect happens once,
// the retries wait for their backoff, and the failures are visible meanwhile.
func TestFailingHandlerIsRetriedWithBackoffAndTakesEffectOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		createEffects(t, db)
		r := NewRunner(db, quietLogger())
		r.Backoff = 10 * time.Second
		clock := time.Date(2026, 5, 20, 9, 0, 0, 0, Shanghai)
		r.now = func() time.Time { return clock }
		calls := 0
		r.Handle("sample.failed", "case", func(ctx context.Context, tx *store.Tx, ev Event) error {
			calls++
			// The write happens before the failure and must roll back with it.
			if err := recordEffect(ctx, tx, ev, "case"); err != nil {
				return err
			}
			if calls <= 2 {
				return fmt.Errorf("case service unavailable (%d)", calls)
			}
			return nil
		})
		emit(t, db, "sample.failed", false, 7)

		step := func(wantDelivered, wantCalls, wantAttempts int, wantErr string) {
			t.Helper()
			n, err := r.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != wantDelivered || calls != wantCalls {
				t.Fatalf("at %s: delivered %d after %d calls, want %d after %d", clock.Format(time.TimeOnly), n, calls, wantDelivered, wantCalls)
			}
			var attempts int
			var lastErr string
			if err := db.QueryRow(ctx, `SELECT attempts, last_error FROM deliveries`).Scan(&attempts, &lastErr); err != nil {
				t.Fatal(err)
			}
			if attempts != wantAttempts || !strings.Contains(lastErr, wantErr) {
				t.Fatalf("attempts %d, last error %q; want %d, %q", attempts, lastErr, wantAttempts, wantErr)
			}
		}
		step(0, 1, 1, "unavailable (1)")
		if got := effects(t, db); len(got) != 0 {
			t.Fatalf("a failed delivery left effects: %v", got)
		}
		step(0, 1, 1, "unavailable (1)") // not due before its backoff
		clock = clock.Add(10 * time.Second)
		step(0, 2, 2, "unavailable (2)")
		clock = clock.Add(19 * time.Second) // the second retry waits 20 s
		step(0, 2, 2, "unavailable (2)")
		s, _ := Stats(ctx, db)
		if s.Pending != 1 || s.Retrying != 1 {
			t.Errorf("stats while retrying: %+v", s)
		}
		clock = clock.Add(time.Second)
		step(1, 3, 3, "")
		step(0, 3, 3, "")
		assertExactlyOnce(t, effects(t, db), []string{"7/case"})
	})
}

func TestDeliveryGoesDeadAndAnAdminCanRetryIt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		createEffects(t, db)
		r := newTestRunner(db)
		r.MaxAttempts = 3
		var broken atomic.Bool
		broken.Store(true)
		r.Handle("complaint.filed", "notify", func(ctx context.Context, tx *store.Tx, ev Event) error {
			if broken.Load() {
				panic("template missing")
			}
			return recordEffect(ctx, tx, ev, "notify")
		})
		emit(t, db, "complaint.filed", false, 1)
		drain(t, r)
		s, err := Stats(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if s.Dead != 1 || s.Pending != 0 {
			t.Fatalf("stats: %+v, want one dead delivery", s)
		}
		fails, err := Failures(ctx, db, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(fails) != 1 || fails[0].Status != StatusDead || fails[0].Attempts != 3 ||
			!strings.Contains(fails[0].LastError, "panic: template missing") || fails[0].Topic != "complaint.filed" ||
			string(fails[0].Payload) != `{"K":1}` {
			t.Fatalf("failures: %+v", fails)
		}
		// A dead delivery is not tried again by itself.
		time.Sleep(20 * time.Millisecond)
		if n, _ := r.RunOnce(ctx); n != 0 {
			t.Fatalf("dead delivery delivered")
		}

		err = db.Tx(ctx, func(tx *store.Tx) error { return Retry(ctx, tx, fails[0].EventID, "nobody") })
		if !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("retry of an unknown delivery: %v", err)
		}
		broken.Store(false)
		actx := audit.WithActor(ctx, audit.Actor{ID: "u1", Name: "admin"})
		if err := db.Tx(actx, func(tx *store.Tx) error { return Retry(actx, tx, fails[0].EventID, "notify") }); err != nil {
			t.Fatal(err)
		}
		if n := drain(t, r); n != 1 {
			t.Fatalf("delivered %d after retry, want 1", n)
		}
		assertExactlyOnce(t, effects(t, db), []string{"1/notify"})
		recs, _, err := audit.List(ctx, db, audit.Filter{Entity: "delivery"})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].ActorID != "u1" || recs[0].Action != "retry" ||
			recs[0].EntityID != fails[0].EventID+"/notify" {
			t.Fatalf("audit of retry: %+v", recs)
		}
	})
}

// THE interruption test, in one process: two runners work the same outbox
// concurrently while events keep arriving (some in transactions that roll
// back), handlers fail and panic on first attempts, and both runners are
// stopped midway — the stop lands inside a delivery. A fresh runner then
// finishes the work. Every committed event's effect must exist exactly once
// per handler, and no rolled-back event's.
func TestInterruptedRunnersDeliverEveryEffectExactlyOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		createEffects(t, db)
		const events = 240
		ctx, stop := context.WithCancel(context.Background())
		defer stop()

		var mu sync.Mutex
		tried := map[string]bool{} // first attempts seen, across runners
		var succeeded atomic.Int64
		register := func(r *Runner) {
			for _, name := range []string{"credit", "case"} {
				r.Handle("lab.result", name, func(hctx context.Context, tx *store.Tx, ev Event) error {
					var p payload
					if err := ev.Decode(&p); err != nil {
						return err
					}
					key := fmt.Sprintf("%d/%s", p.K, name)
					mu.Lock()
					first := !tried[key]
					tried[key] = true
					mu.Unlock()
					if err := recordEffect(hctx, tx, ev, name); err != nil {
						return err
					}
					if first && name == "case" && p.K%7 == 0 {
						panic("first attempt panics")
					}
					if first && name == "credit" && p.K%5 == 0 {
						return errors.New("first attempt fails")
					}
					// Stop both runners a third of the way through, from inside a
					// delivery whose transaction is still open.
					if succeeded.Add(1) == events*2/3 {
						stop()
					}
					return nil
				})
			}
		}
		a, b := newTestRunner(db), newTestRunner(db)
		register(a)
		register(b)

		var want []string
		var wg sync.WaitGroup
		wg.Go(func() {
			for k := 0; k < events; k += 8 {
				var ks []int
				for i := k; i < k+8; i++ {
					ks = append(ks, i)
					want = append(want, fmt.Sprintf("%d/credit", i), fmt.Sprintf("%d/case", i))
				}
				if err := emitErr(db, "lab.result", false, ks...); err != nil {
					t.Error(err)
				}
				if err := emitErr(db, "lab.result", true, 10000+k); err != nil { // rolled back
					t.Error(err)
				}
			}
		})
		var runs sync.WaitGroup
		for _, r := range []*Runner{a, b} {
			runs.Go(func() {
				if err := r.Run(ctx); err != nil {
					t.Errorf("Run: %v", err)
				}
			})
		}
		done := make(chan struct{})
		go func() { runs.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatal("runners did not stop after cancel")
		}
		wg.Wait()
		if ctx.Err() == nil {
			t.Fatal("runners stopped without being cancelled")
		}
		if n := len(effects(t, db)); n >= len(want) {
			t.Fatalf("all %d effects were done before the stop; the test did not interrupt anything", n)
		}

		c := newTestRunner(db)
		register(c)
		drain(t, c)
		assertExactlyOnce(t, effects(t, db), want)
		s, err := Stats(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if s.Dead != 0 || s.Pending != 0 {
			t.Errorf("stats after completion: %+v", s)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM deliveries WHERE status = ?`, StatusDone); n != len(want) {
			t.Errorf("%d deliveries done, want %d", n, len(want))
		}
	})
}

// Cancelling Run while a handler is inside its transaction rolls the
// delivery back without counting it as a failure; the next run delivers it.
func TestStopDuringDeliveryRollsBackAndRetriesLater(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		createEffects(t, db)
		r := newTestRunner(db)
		inside := make(chan struct{})
		var once sync.Once
		r.Handle("task.overdue", "warn", func(ctx context.Context, tx *store.Tx, ev Event) error {
			if err := recordEffect(ctx, tx, ev, "warn"); err != nil {
				return err
			}
			first := false
			once.Do(func() { first = true })
			if first {
				close(inside)
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		})
		emit(t, db, "task.overdue", false, 1)
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error)
		go func() { ran <- r.Run(ctx) }()
		<-inside
		cancel()
		select {
		case err := <-ran:
			if err != nil {
				t.Fatalf("Run returned %v after cancel", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
		if got := effects(t, db); len(got) != 0 {
			t.Fatalf("effects of the interrupted delivery committed: %v", got)
		}
		var status string
		var attempts int
		if err := db.QueryRow(context.Background(), `SELECT status, attempts FROM deliveries`).Scan(&status, &attempts); err != nil {
			t.Fatal(err)
		}
		if status != StatusPending || attempts != 0 {
			t.Fatalf("interrupted delivery is %s after %d attempts, want pending after 0", status, attempts)
		}
		drain(t, r)
		assertExactlyOnce(t, effects(t, db), []string{"1/warn"})
	})
}

// Run sleeps for its poll interval but wakes as soon as a commit emits.
func TestRunWakesOnCommit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		createEffects(t, db)
		r := newTestRunner(db)
		r.Poll = time.Hour
		r.Handle("exposure.published", "portal", effectHandler("portal"))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go r.Run(ctx)
		time.Sleep(50 * time.Millisecond) // let Run finish its first pass and sleep
		emit(t, db, "exposure.published", false, 1)
		deadline := time.Now().Add(10 * time.Second)
		for len(effects(t, db)) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("event not delivered: Run did not wake on commit")
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

func TestPruneKeepsWhatIsUnfinished(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		createEffects(t, db)
		r := newTestRunner(db)
		r.MaxAttempts = 1
		r.Handle("t", "ok", effectHandler("ok"))
		r.Handle("t", "bad", func(ctx context.Context, tx *store.Tx, ev Event) error {
			var p payload
			_ = ev.Decode(&p)
			if p.K == 2 {
				return errors.New("always fails")
			}
			return nil
		})
		emit(t, db, "t", false, 1, 2)
		drain(t, r)
		emit(t, db, "t", false, 3) // not dispatched yet
		r.Every("tick", time.Hour, func(context.Context, time.Time) error { return nil })
		now := time.Now()
		for _, at := range []time.Time{now.Add(-2 * time.Hour), now.Add(-time.Hour)} {
			if ran, err := r.RunDue(ctx, at); err != nil || len(ran) != 1 {
				t.Fatalf("RunDue: %v, %v", ran, err)
			}
		}
		n, err := Prune(ctx, db, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("pruned %d events, want 1 (the fully delivered one)", n)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM events`); got != 2 {
			t.Errorf("%d events left, want 2 (dead and undispatched)", got)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM deliveries`); got != 2 {
			t.Errorf("%d deliveries left, want the 2 of the event with a dead one", got)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM scheduled_runs`); got != 1 {
			t.Errorf("%d scheduled runs left, want the newest slot only", got)
		}
		if ran, _ := r.RunDue(ctx, now.Add(-time.Hour)); len(ran) != 0 {
			t.Errorf("pruning let the current slot run again: %v", ran)
		}
	})
}
