package registry_test

import (
	"bytes"
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
			{"uscc", officer, registry.Filter{Q: "91152921"}},
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

// BenchmarkImportEnterprises10k imports a 10,000-row workbook (generated
// enterprises, exported) into an empty register; each iteration removes
// the rows again, untimed.
func BenchmarkImportEnterprises10k(b *testing.B) {
	eachDB(b, func(b *testing.B, open func(testing.TB) *store.DB) {
		ctx := context.Background()
		src := open(b)
		if err := registry.GenerateEnterprises(ctx, src, 10_000, 2); err != nil {
			b.Fatal(err)
		}
		league := &auth.User{ID: "a", Role: auth.RoleAdmin, RegionCode: "152900"}
		var file bytes.Buffer
		if err := registry.ExportEnterprises(ctx, src, league, registry.Filter{}, &file, "zh-CN"); err != nil {
			b.Fatal(err)
		}
		db := open(b)
		if err := registry.SeedRegions(ctx, db); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(file.Len()))
		for b.Loop() {
			rep, err := registry.ImportEnterprises(ctx, db, league, bytes.NewReader(file.Bytes()), int64(file.Len()))
			if err != nil || rep.Inserted != 10_000 {
				b.Fatalf("%+v %v", len(rep.Errors), err)
			}
			b.StopTimer()
			if err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `DELETE FROM enterprises`)
				return err
			}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
}
