package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// NewRunner builds the one background runner with every event handler and
// scheduled job registered, so that each event reaches all its handlers.
// privateWebhooks lets webhook subscriptions reach this machine and private
// networks; otherwise they reach public addresses only.
func NewRunner(db *store.DB, log *slog.Logger, privateWebhooks bool) *jobs.Runner {
	r := jobs.NewRunner(db, log)
	r.Every("sessions.cleanup", time.Hour, func(ctx context.Context, _ time.Time) error {
		if _, err := auth.DeleteExpiredSessions(ctx, db); err != nil {
			return err
		}
		_, err := auth.DeleteStaleLoginFailures(ctx, db)
		return err
	})
	r.Daily("jobs.prune", 3*time.Hour+30*time.Minute, func(ctx context.Context, day time.Time) error {
		_, err := jobs.Prune(ctx, db, day.AddDate(0, 0, -30))
		return err
	})
	r.Daily("store.maintain", 4*time.Hour, func(ctx context.Context, _ time.Time) error {
		return db.Maintain(ctx)
	})
	var webhooks *http.Client // subscribe.PublicClient
	if privateWebhooks {
		webhooks = &http.Client{Timeout: 30 * time.Second}
	}
	registerDomainJobs(r, db, webhooks)
	return r
}

// LoadDemo loads the demo banner into an empty database.
func LoadDemo(ctx context.Context, db *store.DB, blobDir string, log *slog.Logger) error {
	return demo.Load(ctx, db, blobDir, log, time.Now())
}

// DemoAccounts lists the demo's usernames, in the loader's order.
func DemoAccounts() []string {
	out := make([]string, len(demo.Users))
	for i, u := range demo.Users {
		out[i] = u.Username
	}
	return out
}
