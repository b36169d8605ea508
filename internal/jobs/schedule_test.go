package jobs

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// dayLog records the days a daily job ran for, across runners.
type dayLog struct {
	mu   sync.Mutex
	days []string
}

func (l *dayLog) fn(ctx context.Context, day time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.days = append(l.days, day.In(Shanghai).Format("2006-01-02 15:04"))
	return nil
}

func (l *dayLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.days...)
}

func at(day string, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func runDue(t *testing.T, r *Runner, now time.Time, want ...string) {
	t.Helper()
	ran, err := r.RunDue(context.Background(), now)
	if err != nil {
		t.Fatalf("RunDue at %v: %v", now, err)
	}
	if len(ran) != len(want) || len(want) > 0 && !reflect.DeepEqual(ran, want) {
		t.Fatalf("RunDue at %v ran %v, want %v", now.In(Shanghai).Format("2006-01-02 15:04"), ran, want)
	}
}

func TestDailyJobRunsOncePerDayAcrossRunnersAndRestarts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		var log dayLog
		runner := func() *Runner {
			r := newTestRunner(db)
			r.Daily("credit.recompute", 2*time.Hour, log.fn)
			return r
		}
		a, b := runner(), runner()
		runDue(t, a, at("2026-03-02", "01:59"), "credit.recompute")        // the previous day's slot, missed
		runDue(t, a, at("2026-03-02", "03:00"), "credit.recompute")        // today's
		runDue(t, b, at("2026-03-02", "05:00"))                            // another server
		runDue(t, runner(), at("2026-03-02", "23:59"))                     // a restart
		runDue(t, runner(), at("2026-03-03", "01:00"))                     // still before 02:00
		runDue(t, runner(), at("2026-03-03", "02:00"), "credit.recompute") // next day
		want := []string{"2026-03-01 00:00", "2026-03-02 00:00", "2026-03-03 00:00"}
		if got := log.get(); !reflect.DeepEqual(got, want) {
			t.Fatalf("ran for days %v, want %v", got, want)
		}

		// Two servers reaching the same slot at the same moment: one runs it.
		var wg sync.WaitGroup
		var total atomic.Int64
		for range 4 {
			r := runner()
			wg.Go(func() {
				ran, err := r.RunDue(context.Background(), at("2026-03-04", "02:00"))
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(len(ran)))
			})
		}
		wg.Wait()
		if total.Load() != 1 {
			t.Fatalf("slot 2026-03-04 ran %d times across 4 runners", total.Load())
		}
	})
}

// A server that was off at the job's hour runs the day's job when it starts;
// days it missed entirely are not replayed one by one.
func TestMissedSlotRunsAtStart(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		var log dayLog
		r := newTestRunner(db)
		r.Daily("bulletin.weekly", 2*time.Hour, log.fn)
		runDue(t, r, at("2026-03-01", "02:00"), "bulletin.weekly")
		// Off from 1 March 03:00 until 4 March 10:00.
		runDue(t, r, at("2026-03-04", "10:00"), "bulletin.weekly")
		if got, want := log.get(), []string{"2026-03-01 00:00", "2026-03-04 00:00"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("ran for %v, want %v", got, want)
		}

		// The real loop: a job due at midnight is always due today, so Run
		// must run it right after starting, once, whichever runner starts.
		var live dayLog
		started := make(chan struct{}, 10)
		fn := func(ctx context.Context, day time.Time) error {
			_ = live.fn(ctx, day)
			started <- struct{}{}
			return nil
		}
		dayBefore := time.Now().In(Shanghai).Format("2006-01-02") + " 00:00"
		for i := range 2 {
			r := newTestRunner(db)
			r.Daily("lights.recompute", 0, fn)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = r.Run(ctx); close(done) }()
			if i == 0 {
				select {
				case <-started:
				case <-time.After(10 * time.Second):
					t.Fatal("Run did not run the missed slot at start")
				}
			} else {
				time.Sleep(200 * time.Millisecond) // many polls
			}
			cancel()
			<-done
		}
		dayAfter := time.Now().In(Shanghai).Format("2006-01-02") + " 00:00"
		if got := live.get(); len(got) != 1 || got[0] != dayBefore && got[0] != dayAfter {
			t.Fatalf("live runs %v, want one for %s", got, dayAfter)
		}
	})
}

func TestCrashedScheduledRunIsRetriedAfterItsLease(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		var log dayLog
		r := newTestRunner(db)
		r.Lease = 2 * time.Minute
		r.Daily("cases.deadlines", 0, log.fn)
		// What a server leaves behind when it dies during the run: started,
		// not done, its lease renewed last at 08:00.
		start := at("2026-06-01", "08:00")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO scheduled_runs (job, slot, started_at, lease_until, attempts)
				VALUES ('cases.deadlines', '2026-06-01', ?, ?, 1)`, store.Millis(start), store.Millis(start.Add(2*time.Minute)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		runDue(t, r, start.Add(time.Minute)) // the lease still holds: it may be running
		runDue(t, r, start.Add(3*time.Minute), "cases.deadlines")
		runDue(t, r, start.Add(10*time.Minute))
		if got := log.get(); len(got) != 1 || got[0] != "2026-06-01 00:00" {
			t.Fatalf("ran %v", got)
		}
		s, err := Stats(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Jobs) != 1 || s.Jobs[0].Attempts != 2 || s.Jobs[0].Result != "ok" || s.Jobs[0].DoneAt == 0 ||
			s.Jobs[0].LastOK != s.Jobs[0].DoneAt {
			t.Fatalf("job stats: %+v", s.Jobs)
		}
	})
}

// A running job renews its lease, so a second server does not take over a
// job that is merely slow.
func TestSlowJobKeepsItsLease(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		var runs atomic.Int64
		release := make(chan struct{})
		inside := make(chan struct{})
		fn := func(ctx context.Context, slot time.Time) error {
			if runs.Add(1) == 1 {
				close(inside)
				<-release
			}
			return nil
		}
		newR := func() *Runner {
			r := newTestRunner(db)
			r.Lease = 600 * time.Millisecond
			r.Every("gen.report", time.Hour, fn)
			return r
		}
		a, b := newR(), newR()
		done := make(chan error)
		go func() { _, err := a.RunDue(context.Background(), time.Now()); done <- err }()
		<-inside
		time.Sleep(2 * time.Second) // over three leases long
		runDue(t, b, time.Now())
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := runs.Load(); n != 1 {
			t.Fatalf("slow job ran %d times", n)
		}
	})
}

func TestFailedScheduledRunIsRetriedAfterDelay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		r := newTestRunner(db)
		r.RetryDelay = 5 * time.Minute
		calls := 0
		r.Every("sync.calendar", time.Hour, func(ctx context.Context, slot time.Time) error {
			calls++
			switch calls {
			case 1:
				return errors.New("upstream down")
			case 2:
				panic("bad data")
			}
			return nil
		})
		t0 := at("2026-06-01", "10:05")
		if ran, err := r.RunDue(ctx, t0); len(ran) != 1 || err == nil || !strings.Contains(err.Error(), "upstream down") {
			t.Fatalf("RunDue = %v, %v; want the job's error", ran, err)
		}
		s, _ := Stats(ctx, db)
		if len(s.Jobs) != 1 || s.Jobs[0].Result != "error: upstream down" || s.Jobs[0].DoneAt != 0 || s.Jobs[0].LastOK != 0 {
			t.Fatalf("stats after failure: %+v", s.Jobs)
		}
		runDue(t, r, t0.Add(time.Minute))
		if _, err := r.RunDue(ctx, t0.Add(6*time.Minute)); err == nil || !strings.Contains(err.Error(), "panic: bad data") {
			t.Fatalf("panicking job: %v", err)
		}
		runDue(t, r, t0.Add(12*time.Minute), "sync.calendar")
		runDue(t, r, t0.Add(50*time.Minute))
		runDue(t, r, t0.Add(55*time.Minute), "sync.calendar") // 11:00, the next slot
		s, _ = Stats(ctx, db)
		if calls != 4 || len(s.Jobs) != 1 || s.Jobs[0].Slot != "2026-06-01T03:00:00Z" || s.Jobs[0].Attempts != 1 {
			t.Fatalf("calls %d, stats %+v", calls, s.Jobs)
		}
	})
}

func TestEveryRunsOncePerInterval(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		var slots []string
		r := newTestRunner(db)
		r.Every("warnings.scan", 15*time.Minute, func(ctx context.Context, slot time.Time) error {
			slots = append(slots, slot.In(Shanghai).Format("15:04"))
			return nil
		})
		for _, c := range []string{"09:59", "10:00", "10:14", "10:15", "10:44", "11:02"} {
			_, _ = r.RunDue(context.Background(), at("2026-06-01", c))
		}
		if want := []string{"09:45", "10:00", "10:15", "10:30", "11:00"}; !reflect.DeepEqual(slots, want) {
			t.Fatalf("slots %v, want %v", slots, want)
		}
	})
}
