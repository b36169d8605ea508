package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Codes that pass GB 32100 (see research §1.4), and one real code that
// fails its checksum.
const (
	usccHuawei     = "914403001922038216"
	usccTencent    = "91440300708461136T"
	usccBYD        = "91440300192317458F"
	usccAlxa1      = "91152201078371135X"
	usccAlxa2      = "911522010783710635"
	usccBadButReal = "91350211M0000XUF46"
)

type fixture struct {
	db        *store.DB
	admin     *auth.User // the office of Alxa Left Banner
	officer   *auth.User
	inspector *auth.User
	league    *auth.User // the league's office, above all three banners
	right     *auth.User // an officer of Alxa Right Banner
	market    *registry.Department
	farm      *registry.Department
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	if err := registry.SeedRegions(ctx, db); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db}
	f.admin = &auth.User{ID: "admin-1", Username: "office", Role: auth.RoleAdmin, RegionCode: "152921"}
	var err error
	f.market, err = registry.CreateDepartment(ctx, db, f.admin, registry.DepartmentInput{
		Name: "阿拉善左旗市场监督管理局", ShortName: "市场监管局", NameEn: "Market Regulation Bureau", IsOffice: true,
		Remit: []string{"C", "F", "H"}})
	if err != nil {
		t.Fatal(err)
	}
	f.farm, err = registry.CreateDepartment(ctx, db, f.admin, registry.DepartmentInput{
		Name: "阿拉善左旗农牧局", ShortName: "农牧局", Remit: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
	f.admin.DepartmentID = f.market.ID
	f.officer = &auth.User{ID: "officer-1", Role: auth.RoleOfficer, RegionCode: "152921", DepartmentID: f.market.ID}
	f.inspector = &auth.User{ID: "inspector-1", Role: auth.RoleInspector, RegionCode: "152921", DepartmentID: f.market.ID}
	f.league = &auth.User{ID: "league-1", Role: auth.RoleAdmin, RegionCode: "152900"}
	f.right = &auth.User{ID: "right-1", Role: auth.RoleOfficer, RegionCode: "152922"}
	return f
}

func (f *fixture) enterprise(t *testing.T, in registry.EnterpriseInput) *registry.Enterprise {
	t.Helper()
	who := f.officer
	if in.RegionCode == "152922" {
		who = f.right
	}
	e, err := registry.CreateEnterprise(context.Background(), f.db, who, in)
	if err != nil {
		t.Fatalf("create %s: %v", in.Name, err)
	}
	return e
}

func enterpriseUser(e *registry.Enterprise) *auth.User {
	return &auth.User{ID: "ent-" + e.ID, Role: auth.RoleEnterprise, RegionCode: e.RegionCode, EnterpriseID: e.ID}
}

// wantRule fails unless err is a field error list naming field with rule.
func wantRule(t *testing.T, err error, field, rule string) fielderr.Error {
	t.Helper()
	l, ok := fielderr.As(err)
	if !ok {
		t.Fatalf("error = %v, want %s on %s", err, rule, field)
	}
	for _, e := range l {
		if e.Field == field && e.Rule == rule {
			return e
		}
	}
	t.Fatalf("errors %v do not include %s on %s", l, rule, field)
	return fielderr.Error{}
}

func wantIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }
