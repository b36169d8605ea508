package plan

import (
	"context"
	"fmt"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Dashboard computes a published plan's figures from the start of its year
// to today, the way a bulletin would, without storing anything: the office's
// home page shows the programme at a glance from it. Only the office of the
// plan's region may.
func Dashboard(ctx context.Context, q store.Queryer, who *auth.User, planID string, today time.Time) (*BulletinData, error) {
	p, err := getPlan(ctx, q, planID, "")
	if err != nil {
		return nil, err
	}
	if !officeOf(who, p.RegionCode) {
		return nil, fielderr.ErrForbidden
	}
	if p.Status == PlanDraft {
		return nil, fielderr.New("plan", "rule.plan.draft")
	}
	to := today.In(workday.Shanghai).Format(time.DateOnly)
	from := fmt.Sprintf("%04d-01-01", p.Year)
	if to < from {
		from = to
	}
	return computeBulletin(ctx, q, p, from, to)
}
