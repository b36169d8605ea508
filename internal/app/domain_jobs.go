package app

import (
	"context"
	"time"

	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// registerDomainJobs wires the domain packages' scheduled jobs and event
// handlers.
func registerDomainJobs(r *jobs.Runner, db *store.DB) {
	// 07:30 China time, before the office opens: each licence holder and its
	// supervising department hear once when a licence enters its last month
	// and once when it lapses.
	r.Daily("licences.expiry", 7*time.Hour+30*time.Minute, func(ctx context.Context, day time.Time) error {
		_, err := registry.NotifyExpiringLicences(ctx, db, day)
		return err
	})
}
