package app

import (
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// registerDomainJobs wires the domain packages' scheduled jobs and event
// handlers.
func registerDomainJobs(r *jobs.Runner, db *store.DB) {}
