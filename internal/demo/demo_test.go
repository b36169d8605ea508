package demo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// TestDemoBanner checks what a visitor of the demo is promised: the banner
// and its townships, the departments, 200+ enterprises with valid codes,
// licences in every state, products with valid GTINs and one account per
// role, all through the audited domain functions.
func TestDemoBanner(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		today := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
		if err := demo.Load(ctx, db, t.TempDir(), nil, today); err != nil {
			t.Fatal(err)
		}
		towns, err := registry.Regions(ctx, db, demo.Region)
		if err != nil || len(towns) < 10 {
			t.Fatalf("townships of %s: %d, %v", demo.Region, len(towns), err)
		}
		depts, err := registry.ListDepartments(ctx, db, demo.Region)
		if err != nil || len(depts) < 5 {
			t.Fatalf("departments: %d, %v", len(depts), err)
		}
		office := &auth.User{ID: "t", Role: auth.RoleAdmin, RegionCode: demo.Region}
		ents, total, err := registry.ListEnterprises(ctx, db, office, registry.Filter{Limit: 500})
		if err != nil || total < 200 {
			t.Fatalf("enterprises: %d, %v", total, err)
		}
		for _, e := range ents {
			if err := codes.CheckUSCC(e.USCC); err != nil {
				t.Fatalf("%s has an invalid USCC %s: %v", e.Name, e.USCC, err)
			}
		}
		for _, state := range []string{registry.StateValid, registry.StateExpiring, registry.StateExpired} {
			_, n, err := registry.ListLicences(ctx, db, office, registry.LicenceFilter{State: state, Today: today, Limit: 1})
			if err != nil || n == 0 {
				t.Errorf("no %s licences in the demo (%v)", state, err)
			}
		}
		prods, np, err := registry.ListProducts(ctx, db, office, registry.ProductFilter{Limit: 500})
		if err != nil || np == 0 {
			t.Fatalf("products: %d, %v", np, err)
		}
		for _, p := range prods {
			if err := codes.CheckGTIN(p.GTIN); err != nil {
				t.Fatalf("product %s has an invalid GTIN %s", p.Name, p.GTIN)
			}
		}
		for _, u := range demo.Users {
			got, err := auth.Authenticate(ctx, db, u.Username, demo.Password, "192.0.2.1")
			if err != nil || got.Role != u.Role {
				t.Errorf("demo account %s: %v", u.Username, err)
			}
		}
		if n, err := audit.Verify(ctx, db); err != nil || n < 200 {
			t.Fatalf("audit chain after the demo: %d records, %v", n, err)
		}
		if err := demo.Load(ctx, db, t.TempDir(), nil, today); !errors.Is(err, demo.ErrNotEmpty) {
			t.Fatalf("second load: %v, want ErrNotEmpty", err)
		}
	})
}
