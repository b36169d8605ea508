package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// Shanghai is the zone of the working day. China has kept UTC+8 without
// daylight saving since 1991, so a fixed zone is exact and needs no tzdata.
var Shanghai = time.FixedZone("CST", 8*60*60)

// job is a scheduled job: daily at an offset from midnight in Shanghai, or
// every interval.
type job struct {
	name  string
	at    time.Duration // daily: offset from midnight
	every time.Duration // interval; 0 for daily
	fn    func(ctx context.Context, slot time.Time) error

	doneSlot string // last slot known done, so Run skips the database between slots
}

// Daily registers fn to run once per calendar day in Asia/Shanghai, at the
// offset at from midnight (2*time.Hour for 02:00). fn receives midnight of
// its day. If the server was off at that time, the day's run happens at the
// next start; days missed entirely are not caught up one by one, so fn
// should work from the current state, not from "what happened yesterday".
func (r *Runner) Daily(name string, at time.Duration, fn func(ctx context.Context, day time.Time) error) {
	if at < 0 || at >= 24*time.Hour {
		panic(fmt.Sprintf("jobs: daily %q at %v is not within a day", name, at))
	}
	r.addJob(&job{name: name, at: at, fn: fn})
}

// Every registers fn to run once per interval slot: slots are aligned to the
// Unix epoch (so an hourly job's slots start on the hour), and fn receives
// its slot's start. Like Daily, a missed slot runs at the next start and only
// the newest missed slot runs.
func (r *Runner) Every(name string, interval time.Duration, fn func(ctx context.Context, slot time.Time) error) {
	if interval < time.Second {
		panic(fmt.Sprintf("jobs: every %q needs an interval of at least a second, not %v", name, interval))
	}
	r.addJob(&job{name: name, every: interval, fn: fn})
}

func (r *Runner) addJob(j *job) {
	if j.name == "" || j.fn == nil {
		panic("jobs: a scheduled job needs a name and a function")
	}
	if r.jobNames[j.name] {
		panic(fmt.Sprintf("jobs: job %q registered twice", j.name))
	}
	r.jobNames[j.name] = true
	r.jobs = append(r.jobs, j)
}

// slot returns the newest slot of j that is due at now: its key in
// scheduled_runs and its start.
func (j *job) slot(now time.Time) (string, time.Time) {
	if j.every > 0 {
		ms, iv := now.UnixMilli(), j.every.Milliseconds()
		start := time.UnixMilli(ms - ms%iv)
		return start.UTC().Format("2006-01-02T15:04:05Z"), start
	}
	local := now.In(Shanghai)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, Shanghai)
	if local.Before(day.Add(j.at)) {
		day = day.AddDate(0, 0, -1)
	}
	return day.Format("2006-01-02"), day
}

// RunDue runs, one after another and before returning, every scheduled job
// whose current slot at now has not run yet (or whose earlier run crashed or
// failed and is due again). It returns the names of the jobs it ran and the
// errors they returned.
func (r *Runner) RunDue(ctx context.Context, now time.Time) (ran []string, err error) {
	var errs []error
	for _, j := range r.jobs {
		key, start := j.slot(now)
		attempt, st, err := r.claim(ctx, j, key, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st != claimed {
			continue
		}
		ran = append(ran, j.name)
		if err := r.runJob(ctx, j, key, start, attempt, now); err != nil {
			errs = append(errs, fmt.Errorf("job %s %s: %w", j.name, key, err))
		}
	}
	return ran, errors.Join(errs...)
}

// startDue starts each due job that this runner is not already running in a
// goroutine of its own, so a long job delays neither deliveries nor other
// jobs.
func (r *Runner) startDue(ctx context.Context, wg *sync.WaitGroup, mu *sync.Mutex, running map[*job]bool) {
	now := r.now()
	for _, j := range r.jobs {
		if ctx.Err() != nil {
			return
		}
		key, start := j.slot(now)
		mu.Lock()
		skip := running[j] || j.doneSlot == key
		mu.Unlock()
		if skip {
			continue
		}
		attempt, st, err := r.claim(ctx, j, key, now)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("claim scheduled run", "job", j.name, "slot", key, "err", err)
			}
			continue
		}
		mu.Lock()
		if st == alreadyDone {
			j.doneSlot = key
		}
		running[j] = st == claimed
		mu.Unlock()
		if st != claimed {
			continue
		}
		wg.Go(func() {
			err := r.runJob(ctx, j, key, start, attempt, now)
			mu.Lock()
			running[j] = false
			if err == nil {
				j.doneSlot = key
			}
			mu.Unlock()
		})
	}
}

type claimState int

const (
	notClaimed  claimState = iota // another runner holds the slot, or it waits to be retried
	claimed                       // this runner is to run the slot now
	alreadyDone                   // the slot ran to completion
)

// claim takes slot key of j for this runner: an INSERT that does nothing if
// the slot exists, or, for a slot whose run crashed or failed, an UPDATE
// conditional on the lease having lapsed. Either statement succeeds for one
// runner only.
func (r *Runner) claim(ctx context.Context, j *job, key string, now time.Time) (attempt int, st claimState, err error) {
	nowMs := store.Millis(now)
	var doneAt sql.NullInt64
	var leaseUntil int64
	err = r.db.QueryRow(ctx, `SELECT done_at, lease_until, attempts FROM scheduled_runs WHERE job = ? AND slot = ?`,
		j.name, key).Scan(&doneAt, &leaseUntil, &attempt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = r.db.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `INSERT INTO scheduled_runs (job, slot, started_at, lease_until, attempts)
				VALUES (?, ?, ?, ?, 1) ON CONFLICT (job, slot) DO NOTHING`,
				j.name, key, nowMs, nowMs+r.Lease.Milliseconds())
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if n == 1 {
				st = claimed
			}
			return err
		})
		return 1, st, err
	case err != nil:
		return 0, notClaimed, fmt.Errorf("scheduled run %s %s: %w", j.name, key, err)
	case doneAt.Valid:
		return 0, alreadyDone, nil
	case leaseUntil > nowMs:
		return 0, notClaimed, nil
	}
	err = r.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE scheduled_runs SET started_at = ?, lease_until = ?, attempts = attempts + 1
			WHERE job = ? AND slot = ? AND done_at IS NULL AND lease_until <= ? AND attempts = ?`,
			nowMs, nowMs+r.Lease.Milliseconds(), j.name, key, nowMs, attempt)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if n == 1 {
			st = claimed
		}
		return err
	})
	if st == claimed {
		r.log.Info("scheduled run retried", "job", j.name, "slot", key, "attempt", attempt+1)
	}
	return attempt + 1, st, err
}

// runJob runs a claimed slot, renewing its lease while fn works, and records
// the outcome. The runner's clock is claimedAt plus the real time elapsed, so
// RunDue with a chosen time stays consistent.
func (r *Runner) runJob(ctx context.Context, j *job, key string, start time.Time, attempt int, claimedAt time.Time) error {
	began := time.Now()
	clock := func() int64 { return store.Millis(claimedAt.Add(time.Since(began))) }
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The heartbeat renews the lease; if the row is no longer ours (another
	// runner judged us dead and took over) the job is told to stop.
	stop := make(chan struct{})
	var hb sync.WaitGroup
	hb.Go(func() {
		t := time.NewTicker(max(r.Lease/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-jctx.Done():
				return
			case <-t.C:
			}
			n, err := r.updateRun(jctx, `UPDATE scheduled_runs SET lease_until = ?
				WHERE job = ? AND slot = ? AND attempts = ? AND done_at IS NULL`,
				clock()+r.Lease.Milliseconds(), j.name, key, attempt)
			if err == nil && n == 0 {
				r.log.Error("scheduled run lost its lease", "job", j.name, "slot", key)
				cancel()
				return
			}
		}
	})

	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		return j.fn(jctx, start)
	}()
	close(stop)
	hb.Wait()

	// Bookkeeping must land even when the runner is stopping.
	bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer bcancel()
	var n int64
	var uerr error
	switch {
	case err == nil:
		n, uerr = r.updateRun(bctx, `UPDATE scheduled_runs SET done_at = ?, result = 'ok'
			WHERE job = ? AND slot = ? AND attempts = ? AND done_at IS NULL`, clock(), j.name, key, attempt)
		r.log.Info("scheduled run done", "job", j.name, "slot", key, "took", time.Since(began))
	case ctx.Err() != nil:
		// Interrupted by shutdown: free the slot for the next start at once.
		n, uerr = r.updateRun(bctx, `UPDATE scheduled_runs SET lease_until = 0, result = 'interrupted'
			WHERE job = ? AND slot = ? AND attempts = ? AND done_at IS NULL`, j.name, key, attempt)
	default:
		n, uerr = r.updateRun(bctx, `UPDATE scheduled_runs SET lease_until = ?, result = ?
			WHERE job = ? AND slot = ? AND attempts = ? AND done_at IS NULL`,
			clock()+r.RetryDelay.Milliseconds(), truncate("error: "+err.Error(), 4000), j.name, key, attempt)
		r.log.Error("scheduled run failed", "job", j.name, "slot", key, "attempt", attempt, "err", err)
	}
	if uerr != nil {
		r.log.Error("record scheduled run", "job", j.name, "slot", key, "err", uerr)
		return errors.Join(err, uerr)
	}
	if n == 0 {
		r.log.Error("scheduled run finished after losing its lease", "job", j.name, "slot", key, "attempt", attempt)
	}
	return err
}

func (r *Runner) updateRun(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := r.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
