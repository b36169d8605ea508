package registry_test

import (
	"context"
	"os"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// eachDB runs a benchmark on SQLite and, when configured, PostgreSQL.
func eachDB(b *testing.B, fn func(b *testing.B, open func(testing.TB) *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.SQLite) })
	if os.Getenv(storetest.PostgresEnv) != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, storetest.Postgres) })
	}
}

func BenchmarkListEnterprisesSearch(b *testing.B) {
	eachDB(b, func(b *testing.B, open func(testing.TB) *store.DB) {
		ctx := context.Background()
		db := open(b)
		if err := registry.GenerateEnterprises(ctx, db, 100_000, 1); err != nil {
			b.Fatal(err)
		}
		officer := &auth.User{ID: "u", Role: auth.RoleOfficer, RegionCode: "152921"}
		league := &auth.User{ID: "a", Role: auth.RoleAdmin, RegionCode: "152900"}
		for _, c := range []struct {
			name string
			who  *auth.User
			f    registry.Filter
		}{
			{"rare", officer, registry.Filter{Q: "鑫源"}},
			{"common", officer, registry.Filter{Q: "商贸"}},
			{"most", officer, registry.Filter{Q: "有限公司"}},
			{"initials", officer, registry.Filter{Q: "xysm"}},
			{"uscc", officer, registry.Filter{Q: "91152921MA"}},
			{"league_rare", league, registry.Filter{Q: "鑫源"}},
			{"league_common", league, registry.Filter{Q: "商贸"}},
			{"none", officer, registry.Filter{}},
		} {
			b.Run(c.name, func(b *testing.B) {
				var total int
				for b.Loop() {
					var err error
					_, total, err = registry.ListEnterprises(ctx, db, c.who, c.f)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(total), "matches")
			})
		}
	})
}
