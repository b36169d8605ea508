package plan_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/measure"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// The register's counts, as a measured task reads them: per region (a
// league counts its banners), over a window of days.
func TestRegistryMeasures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := registry.SeedRegions(ctx, db); err != nil {
			t.Fatal(err)
		}
		// A window around today, wide enough that midnight passing during
		// the test does not matter.
		today := workday.Today().AddDate(0, 0, -1)
		tomorrow := today.AddDate(0, 0, 3)
		left := &auth.User{ID: "o1", Role: auth.RoleOfficer, RegionCode: "152921"}
		right := &auth.User{ID: "o2", Role: auth.RoleOfficer, RegionCode: "152922"}
		ent := func(who *auth.User, serial uint64) *registry.Enterprise {
			e, err := registry.CreateEnterprise(ctx, db, who, registry.EnterpriseInput{
				USCC: codes.USCCFromSerial(who.RegionCode, serial), Name: "测试企业" + who.RegionCode + string(rune('A'+serial)),
				RegionCode: who.RegionCode})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		a, b, c := ent(left, 1), ent(left, 2), ent(right, 3)
		lic := func(who *auth.User, e *registry.Enterprise, kind, number, from string) {
			if _, err := registry.CreateLicence(ctx, db, who, registry.LicenceInput{EnterpriseID: e.ID, Kind: kind,
				Number: number, ValidFrom: from, ValidTo: "2029-12-31"}); err != nil {
				t.Fatal(err)
			}
		}
		lic(left, a, registry.KindOther, "Q-1", "2019-05-01")
		lic(left, a, registry.KindOther, "Q-2", "2024-05-01") // renewal
		lic(left, b, registry.KindOther, "Q-3", "2024-06-01") // first licence
		lic(right, c, registry.KindOther, "Q-4", "2024-06-10")
		for i, e := range []*registry.Enterprise{a, b, c} {
			who := left
			if e == c {
				who = right
			}
			if _, err := registry.CreateProduct(ctx, db, who, registry.ProductInput{EnterpriseID: e.ID, Name: "驼奶粉",
				KeyCommodity: i != 1}); err != nil {
				t.Fatal(err)
			}
		}
		count := func(key, region string, from, to time.Time) float64 {
			c, ok := measure.Get(key)
			if !ok {
				t.Fatalf("%s not registered", key)
			}
			n, err := c.Count(ctx, db, region, from, to)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		y2024, y2025 := workday.Date(2024, 1, 1), workday.Date(2025, 1, 1)
		for _, c := range []struct {
			key, region string
			from, to    time.Time
			want        float64
		}{
			{registry.MeasureEnterprisesRegistered, "152921", today, tomorrow, 2},
			{registry.MeasureEnterprisesRegistered, "152900", today, tomorrow, 3},
			{registry.MeasureEnterprisesRegistered, "152921", tomorrow, tomorrow.AddDate(0, 0, 1), 0},
			{registry.MeasureLicencesIssued, "152921", y2024, y2025, 2},
			{registry.MeasureLicencesIssued, "152900", y2024, y2025, 3},
			{registry.MeasureLicencesIssued, "152921", y2024, workday.Date(2024, 6, 1), 1},
			{registry.MeasureLicencesRenewed, "152921", y2024, y2025, 1},
			{registry.MeasureLicencesRenewed, "152900", y2024, y2025, 1},
			{registry.MeasureKeyCommoditiesFiled, "152921", today, tomorrow, 1},
			{registry.MeasureKeyCommoditiesFiled, "152900", today, tomorrow, 2},
		} {
			if got := count(c.key, c.region, c.from, c.to); got != c.want {
				t.Errorf("%s in %s %s–%s: %v, want %v", c.key, c.region, workday.FormatDate(c.from), workday.FormatDate(c.to), got, c.want)
			}
		}
	})
}
