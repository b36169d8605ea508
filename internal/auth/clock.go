package auth

import (
	"context"
	"time"

	"github.com/hallmark-platform/hallmark/internal/clock"
)

// WithClock returns a context whose auth operations read the time from now.
// Throttling windows, token use and session expiry are all about elapsed
// time; carrying the clock in the context lets a test move it forward
// without sleeping.
func WithClock(ctx context.Context, now func() time.Time) context.Context {
	return clock.With(ctx, now)
}

func timeNow(ctx context.Context) time.Time { return clock.Now(ctx) }
