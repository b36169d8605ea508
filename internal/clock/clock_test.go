package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/clock"
)

func TestNowFollowsTheContext(t *testing.T) {
	fixed := time.Date(2026, 9, 8, 10, 0, 0, 0, time.UTC)
	if got := clock.Now(clock.With(context.Background(), func() time.Time { return fixed })); !got.Equal(fixed) {
		t.Fatalf("Now with a fixed clock = %v, want %v", got, fixed)
	}
	if got := clock.Now(context.Background()); time.Since(got) > time.Minute || time.Since(got) < 0 {
		t.Fatalf("Now without a clock = %v, want the wall clock", got)
	}
}
