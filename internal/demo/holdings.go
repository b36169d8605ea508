package demo

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// loadHoldings gives an enterprise its licences and products. It waits for
// the registry's licence and product functions.
func loadHoldings(ctx context.Context, db *store.DB, office *auth.User, rng *rand.Rand, e *registry.Enterprise, food, production bool, i int, now time.Time) error {
	return nil
}
