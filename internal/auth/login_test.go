package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		ctx := context.Background()
		u := mustUser(t, db, auth.NewUser{Username: "wang.fang"})

		got, err := auth.Authenticate(ctx, db, " Wang.Fang ", "correct horse", "10.0.0.1")
		if err != nil || got.ID != u.ID {
			t.Fatalf("right password: %+v, %v", got, err)
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "Correct horse", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := auth.Authenticate(ctx, db, "nobody", "correct horse", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("unknown user: %v", err)
		}
		if _, err := auth.Authenticate(ctx, db, "", "", ""); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("empty: %v", err)
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{Action: "sign-in"})
		if len(recs) != 1 || recs[0].EntityID != u.ID || recs[0].ActorID != u.ID {
			t.Fatalf("sign-in audit: %+v", recs)
		}
	})
}

func TestThrottleByUsername(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		clk := newClock()
		ctx := auth.WithClock(context.Background(), clk.Now)
		u := mustUser(t, db, auth.NewUser{Username: "wang.fang"})

		// Failures below the limit are forgotten on success.
		for range auth.MaxUserFailures - 1 {
			if _, err := auth.Authenticate(ctx, db, "wang.fang", "guess", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatal(err)
			}
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}

		// Five failures from different addresses, each one minute apart.
		for i := range auth.MaxUserFailures {
			_, err := auth.Authenticate(ctx, db, "wang.fang", "guess", fmt.Sprintf("10.0.1.%d", i))
			if !errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrThrottled) {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
			clk.Advance(time.Minute)
		}
		// The sixth is refused, even with the right password.
		_, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "10.0.2.1")
		var te *auth.ThrottledError
		if !errors.As(err, &te) || !errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("sixth attempt: %v", err)
		}
		// Locked at the fifth failure, one minute ago.
		if te.RetryAfter != auth.LockoutDuration-time.Minute {
			t.Fatalf("retry after %v", te.RetryAfter)
		}
		if te.RetryAfterSeconds() != "840" {
			t.Fatalf("retry after seconds %s", te.RetryAfterSeconds())
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{Action: "lock-out"})
		if len(recs) != 1 || recs[0].EntityID != u.ID {
			t.Fatalf("lock-out audit: %+v", recs)
		}

		// Other accounts are unaffected.
		mustUser(t, db, auth.NewUser{Username: "li.wei"})
		if _, err := auth.Authenticate(ctx, db, "li.wei", "correct horse", "10.0.2.1"); err != nil {
			t.Fatalf("other account: %v", err)
		}

		clk.Advance(auth.LockoutDuration - time.Minute - time.Second)
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "10.0.2.1"); !errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("a second before the lock lifts: %v", err)
		}
		clk.Advance(time.Second)
		if got, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "10.0.2.1"); err != nil || got.ID != u.ID {
			t.Fatalf("after the lock: %v", err)
		}
		// And the count starts afresh.
		for i := range auth.MaxUserFailures {
			if _, err := auth.Authenticate(ctx, db, "wang.fang", "guess", "10.0.2.1"); errors.Is(err, auth.ErrThrottled) {
				t.Fatalf("throttled at failure %d after the lock lifted", i+1)
			}
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "guess", "10.0.2.1"); !errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("second lock: %v", err)
		}
	})
}

func TestThrottleWindowSlides(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		clk := newClock()
		ctx := auth.WithClock(context.Background(), clk.Now)
		mustUser(t, db, auth.NewUser{Username: "wang.fang"})
		// Four failures, then a pause longer than the window: the count
		// starts again, so four more do not lock.
		for round := range 2 {
			for range auth.MaxUserFailures - 1 {
				if _, err := auth.Authenticate(ctx, db, "wang.fang", "guess", "10.0.0.1"); errors.Is(err, auth.ErrThrottled) {
					t.Fatalf("round %d throttled", round)
				}
			}
			clk.Advance(auth.FailureWindow)
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUnknownUsernamesLockLikeKnownOnes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		ctx := auth.WithClock(context.Background(), newClock().Now)
		for i := range auth.MaxUserFailures {
			if _, err := auth.Authenticate(ctx, db, "ghost", "guess", fmt.Sprintf("10.0.0.%d", i)); errors.Is(err, auth.ErrThrottled) {
				t.Fatalf("throttled at %d", i+1)
			}
		}
		if _, err := auth.Authenticate(ctx, db, "ghost", "guess", "10.0.9.9"); !errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("an unknown username is not throttled like a real one (enumeration): %v", err)
		}
	})
}

func TestThrottleByAddress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		ctx := auth.WithClock(context.Background(), newClock().Now)
		mustUser(t, db, auth.NewUser{Username: "wang.fang"})
		// One address tries many usernames (password spraying).
		for i := range auth.MaxIPFailures {
			_, err := auth.Authenticate(ctx, db, fmt.Sprintf("user%d", i), "guess", "203.0.113.7")
			if errors.Is(err, auth.ErrThrottled) {
				t.Fatalf("throttled at attempt %d", i+1)
			}
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "203.0.113.7"); !errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("21st attempt from the address: %v", err)
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "203.0.113.8"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		// IPv6 clients are counted by their /64.
		for i := range auth.MaxIPFailures {
			_, _ = auth.Authenticate(ctx, db, fmt.Sprintf("v6user%d", i), "guess", fmt.Sprintf("2001:db8:1:2::%x", i+1))
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "2001:db8:1:2:ffff::1"); !errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("same /64: %v", err)
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "2001:db8:1:3::1"); err != nil {
			t.Fatalf("another /64: %v", err)
		}
	})
}

// A burst of concurrent guesses must not get more than the limit verified:
// the count is taken before the hash, not after.
func TestThrottleHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		ctx := context.Background()
		mustUser(t, db, auth.NewUser{Username: "wang.fang"})
		const n = 16
		var wg sync.WaitGroup
		var mu sync.Mutex
		var bad, throttled int
		for i := range n {
			wg.Go(func() {
				_, err := auth.Authenticate(ctx, db, "wang.fang", "guess", fmt.Sprintf("10.1.0.%d", i))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case errors.Is(err, auth.ErrThrottled):
					throttled++
				case errors.Is(err, auth.ErrBadCredentials):
					bad++
				default:
					t.Errorf("attempt: %v", err)
				}
			})
		}
		wg.Wait()
		if bad != auth.MaxUserFailures || throttled != n-auth.MaxUserFailures {
			t.Fatalf("%d guesses checked, %d throttled; want %d checked", bad, throttled, auth.MaxUserFailures)
		}
	})
}

func TestDeleteStaleLoginFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		clk := newClock()
		ctx := auth.WithClock(context.Background(), clk.Now)
		for range auth.MaxUserFailures + 1 {
			_, _ = auth.Authenticate(ctx, db, "ghost", "guess", "10.0.0.1")
		}
		_, _ = auth.Authenticate(ctx, db, "other", "guess", "10.0.0.2")
		if n, err := auth.DeleteStaleLoginFailures(ctx, db); err != nil || n != 0 {
			t.Fatalf("deleted %d fresh counters, %v", n, err)
		}
		clk.Advance(auth.FailureWindow)
		n, err := auth.DeleteStaleLoginFailures(ctx, db)
		if err != nil || n != 4 {
			t.Fatalf("deleted %d counters, want 4: %v", n, err)
		}
	})
}
