package app

import (
	"context"
	"net/http"
	"time"

	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
	"github.com/hallmark-platform/hallmark/internal/trace/subscribe"
)

// registerDomainJobs wires the domain packages' scheduled jobs and event
// handlers.
func registerDomainJobs(r *jobs.Runner, db *store.DB, webhooks *http.Client) {
	// 07:30 China time, before the office opens: each licence holder and its
	// supervising department hear once when a licence enters its last month
	// and once when it lapses.
	r.Daily("licences.expiry", 7*time.Hour+30*time.Minute, func(ctx context.Context, day time.Time) error {
		_, err := registry.NotifyExpiringLicences(ctx, db, day)
		return err
	})
	// Lights first (06:00), so that the reminders at 08:00 speak of today's
	// lights; rectification reminders go out with them.
	r.Daily("plan.recompute", 6*time.Hour, plan.RecomputeJob(db))
	r.Daily("plan.reminders", 8*time.Hour, func(ctx context.Context, day time.Time) error {
		_, err := plan.SendReminders(ctx, db, day)
		return err
	})
	r.Daily("plan.rectification-reminders", 8*time.Hour+5*time.Minute, func(ctx context.Context, day time.Time) error {
		_, err := plan.RectificationReminders(ctx, db, day)
		return err
	})
	// Recall proposals from nonconforming results; recall lights and
	// reminders at 06:10.
	recall.Register(r, db)
	// Testing: CMA expiry reminders and results that become final when
	// their objection window closes, daily at 06:20.
	lab.Register(r, db)
	// EPCIS webhook subscriptions: due deliveries every subscribe.Tick,
	// retried with the runner's backoff.
	subscribe.Register(r, db, webhooks)
	// Ledger records and their EPCIS events are stored in one transaction;
	// stores from before that could be left with a record without its
	// event by a crash between two, which this captures (capture is
	// idempotent).
	r.Every("ledger.capture-missing", 5*time.Minute, func(ctx context.Context, _ time.Time) error {
		_, err := ledger.CaptureMissing(ctx, db, 2*time.Minute)
		return err
	})
}
