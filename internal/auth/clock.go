package auth

import (
	"context"
	"time"
)

type clockKey struct{}

// WithClock returns a context whose auth operations read the time from now.
// Throttling windows, token use and session expiry are all about elapsed
// time; carrying the clock in the context lets a test move it forward
// without sleeping and without a package-level variable that parallel tests
// would fight over.
func WithClock(ctx context.Context, now func() time.Time) context.Context {
	return context.WithValue(ctx, clockKey{}, now)
}

func clock(ctx context.Context) time.Time {
	if f, ok := ctx.Value(clockKey{}).(func() time.Time); ok && f != nil {
		return f()
	}
	return time.Now()
}
