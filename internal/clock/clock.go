// Package clock carries "now" in a context. Deadlines, lights, windows and
// throttles are all about the current time; a context that carries the
// clock lets the web server's configured clock (and a test's fixed one)
// reach every domain package without a package-level variable that
// parallel tests would fight over.
package clock

import (
	"context"
	"time"
)

type key struct{}

// With returns a context whose Now is now().
func With(ctx context.Context, now func() time.Time) context.Context {
	return context.WithValue(ctx, key{}, now)
}

// Now is the context's clock, or the wall clock when it carries none.
func Now(ctx context.Context) time.Time {
	if f, ok := ctx.Value(key{}).(func() time.Time); ok && f != nil {
		return f()
	}
	return time.Now()
}
