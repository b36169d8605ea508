package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestSeedRegionsIsIdempotent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := registry.SeedRegions(ctx, db); err != nil {
			t.Fatal(err)
		}
		audits := count(t, db, `SELECT COUNT(*) FROM audit_log`)
		if err := registry.SeedRegions(ctx, db); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log`); n != audits {
			t.Fatalf("seeding again wrote %d audit records", n-audits)
		}
		top, err := registry.Regions(ctx, db, "")
		if err != nil || len(top) != 1 || top[0].Code != "150000" || top[0].Level != registry.LevelProvince {
			t.Fatalf("top level: %+v, %v", top, err)
		}
		banners, _ := registry.Regions(ctx, db, "152900")
		if len(banners) != 3 || banners[0].Name != "阿拉善左旗" || banners[0].NameEn != "Alxa Left Banner" {
			t.Fatalf("banners: %+v", banners)
		}
		for code, want := range map[string]int{"152921": 19, "152922": 7, "152923": 12} {
			towns, err := registry.Regions(ctx, db, code)
			if err != nil || len(towns) != want {
				t.Errorf("%s has %d townships (%v), want %d", code, len(towns), err, want)
			}
		}
		r, err := registry.GetRegion(ctx, db, "152921110")
		if err != nil || r.Name != "巴彦浩特镇" || r.Level != registry.LevelTownship || r.ParentCode != "152921" {
			t.Fatalf("巴彦浩特镇: %+v, %v", r, err)
		}
		_, err = registry.GetRegion(ctx, db, "999999")
		wantIs(t, err, fielderr.ErrNotFound)
	})
}

func TestLoadRegionsCSVStoresNothingWhenALineIsBad(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := registry.SeedRegions(ctx, db); err != nil {
			t.Fatal(err)
		}
		csv := "code,name,parent\n" +
			"152971,内蒙古阿拉善高新技术产业开发区,152900\n" + // fine
			"15297,短码,152900\n" + // line 3: code
			"152972,,152900\n" + // line 4: name
			"152973,某区,159900\n" + // line 5: unknown parent
			"152974,某区,152100\n" + // line 6: not under that parent... 152100 does not exist either
			"152971100,乌斯太镇,152921\n" + // line 7: a township under the wrong banner
			"152971,重复,152900\n" // line 8: duplicate
		_, err := registry.LoadRegionsCSV(ctx, db, strings.NewReader(csv))
		for _, w := range []struct{ field, rule string }{
			{"line 3 / code", "rule.region.code"},
			{"line 4 / name", "rule.required"},
			{"line 5 / parent", "rule.region.parent_unknown"},
			{"line 7 / parent", "rule.region.parent_mismatch"},
			{"line 8 / code", "rule.region.duplicate"},
		} {
			wantRule(t, err, w.field, w.rule)
		}
		if _, err := registry.GetRegion(ctx, db, "152971"); err == nil {
			t.Fatal("a good line was stored although others were bad")
		}
		// Fixed, the same file loads; a rename is an update.
		good := "152971,内蒙古阿拉善高新技术产业开发区,152900,Alxa High-tech Zone\n152971100,乌斯太镇,152971,Wusitai Town\n152921110,巴彦浩特镇,152921,Bayanhot\n"
		n, err := registry.LoadRegionsCSV(ctx, db, strings.NewReader(good))
		if err != nil || n != 3 {
			t.Fatalf("good file: %d changed, %v", n, err)
		}
		r, _ := registry.GetRegion(ctx, db, "152971100")
		if r == nil || r.ParentCode != "152971" || r.NameEn != "Wusitai Town" {
			t.Fatalf("loaded %+v", r)
		}
		if !registry.RegionCovers("152900", "152971100") || registry.RegionCovers("152921", "152971100") {
			t.Fatal("coverage by code prefix is wrong")
		}
	})
}

func TestDepartments(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		_, err := registry.CreateDepartment(ctx, db, f.officer, registry.DepartmentInput{Name: "阿拉善左旗住建局"})
		wantIs(t, err, fielderr.ErrForbidden)
		for _, c := range []struct {
			in          registry.DepartmentInput
			field, rule string
		}{
			{registry.DepartmentInput{Name: ""}, "name", "rule.required"},
			{registry.DepartmentInput{Name: "阿拉善左旗农牧局"}, "name", "rule.department.name_taken"},
			{registry.DepartmentInput{Name: "办公室二", IsOffice: true}, "is_office", "rule.department.office_taken"},
			{registry.DepartmentInput{Name: "x", Remit: []string{"C", "U"}}, "remit", "rule.industry.unknown"},
			{registry.DepartmentInput{Name: "x", RegionCode: "152922"}, "region_code", "rule.region.out_of_scope"},
			{registry.DepartmentInput{Name: "x", RegionCode: "000000"}, "region_code", "rule.region.unknown"},
		} {
			_, err := registry.CreateDepartment(ctx, db, f.admin, c.in)
			wantRule(t, err, c.field, c.rule)
		}
		d, err := registry.CreateDepartment(ctx, db, f.admin, registry.DepartmentInput{Name: "阿拉善左旗住房和城乡建设局",
			ShortName: "住建局", Remit: []string{"e", "K", "E"}})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(d.Remit, ",") != "E,K" || d.RegionCode != "152921" || !d.Supervises("K") {
			t.Fatalf("created %+v", d)
		}
		got, err := registry.UpdateDepartment(ctx, db, f.admin, d.ID, registry.DepartmentPatch{NameEn: ptr("Housing Bureau")})
		if err != nil || got.NameEn != "Housing Bureau" || got.ShortName != "住建局" || strings.Join(got.Remit, ",") != "E,K" {
			t.Fatalf("patched %+v, %v", got, err)
		}
		_, err = registry.UpdateDepartment(ctx, db, f.admin, d.ID, registry.DepartmentPatch{Name: ptr("阿拉善左旗农牧局")})
		wantRule(t, err, "name", "rule.department.name_taken")
		other := &auth.User{ID: "r", Role: auth.RoleAdmin, RegionCode: "152922"}
		_, err = registry.UpdateDepartment(ctx, db, other, d.ID, registry.DepartmentPatch{Name: ptr("x")})
		wantIs(t, err, fielderr.ErrNotFound)
		list, err := registry.ListDepartments(ctx, db, "152921")
		if err != nil || len(list) != 3 || !list[0].IsOffice {
			t.Fatalf("list: %+v, %v", list, err)
		}
	})
}

func TestSearchKeyAndPhones(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"阿拉善左旗":      "alszq",
		"巴彦浩特镇":      "byhtz",
		"鑫源商贸有限公司":   "xysmyxgs",
		"ＡＢＣ超市":      "abccs",
		"额济纳旗 马鬃山苏木": "ejnqmzssm",
	} {
		if got := registry.PinyinInitials(in); got != want {
			t.Errorf("PinyinInitials(%q) = %q, want %q", in, got, want)
		}
	}
	if a, b := registry.SearchKey("ＡＢＣ　超市"), registry.SearchKey("abc 超市"); a != b {
		t.Errorf("search keys differ by width: %q %q", a, b)
	}
	for in, want := range map[string]string{
		"13947812345":       "13947812345",
		"+86 139-4781-2345": "13947812345",
		"０４８３－８２２１２３４":      "0483-8221234",
		"04838221234":       "0483-8221234",
		"010-12345678-801":  "010-12345678-801",
		"(010)12345678":     "010-12345678",
		"400-810-8888":      "400-810-8888",
	} {
		if got, ok := registry.NormalizePhone(in); !ok || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"12345678901", "8221234", "0483-12", "139478123456", "phone"} {
		if got, ok := registry.NormalizePhone(bad); ok {
			t.Errorf("NormalizePhone(%q) accepted as %q", bad, got)
		}
	}
}
