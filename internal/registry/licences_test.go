package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err)
	}
	return t
}

func TestLicenceNumberRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		e := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗驼奶有限公司", RegionCode: "152921"})
		lic := func(kind, number, from, to string) (*registry.Licence, error) {
			return registry.CreateLicence(ctx, db, f.officer, registry.LicenceInput{EnterpriseID: e.ID, Kind: kind, Number: number,
				ValidFrom: from, ValidTo: to, Issuer: "阿拉善左旗市场监督管理局"})
		}
		for _, c := range []struct {
			kind, number, from, to string
			field, rule            string
		}{
			{"SC", "SC1051529210001", "2024-01-01", "2029-01-01", "number", "rule.licence.sc.format"},    // 13 digits
			{"SC", "SC31015292100018", "2024-01-01", "2029-01-01", "number", "rule.licence.sc.format"},   // 3 is neither food nor additive
			{"SC", "SC10199292100019", "2024-01-01", "2029-01-01", "number", "rule.licence.division"},    // province 99
			{"SC", "QS152906010001", "2016-01-01", "2019-01-01", "number", "rule.licence.sc.qs_void"},    // QS ended 2018-10-01
			{"JY", "JY41529210000019", "2024-01-01", "2029-01-01", "number", "rule.licence.jy.format"},   // business type 4
			{"JY", "JY2152921000001", "2024-01-01", "2029-01-01", "number", "rule.licence.jy.format"},    // 13 digits
			{"JY", "JY20029210000019", "2024-01-01", "2029-01-01", "number", "rule.licence.division"},    // province 00
			{"XK", "XK13-014-0001", "2024-01-01", "2029-01-01", "number", "rule.licence.xk.format"},      // 4-digit sequence
			{"XK", "(京)XK13-014-000011", "2024-01-01", "2029-01-01", "number", "rule.licence.xk.format"}, // 6-digit sequence
			{"SC", "SC10515292100019", "2029-01-01", "2024-01-01", "valid_to", "rule.licence.dates"},
			{"SC", "SC10515292100019", "2024-01-01", "2024-01-01", "valid_to", "rule.licence.dates"},
			{"SC", "SC10515292100019", "2024-13-01", "2029-01-01", "valid_from", "rule.date"},
			{"SC", "SC10515292100019", "2024-01-01", "", "valid_to", "rule.required"},
			{"ZZ", "123", "2024-01-01", "2029-01-01", "kind", "rule.licence.kind"},
			{"other", "", "2024-01-01", "2029-01-01", "number", "rule.required"},
		} {
			_, err := lic(c.kind, c.number, c.from, c.to)
			wantRule(t, err, c.field, c.rule)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM licences`); n != 0 {
			t.Fatalf("%d licences stored from bad input", n)
		}
		// Good numbers, normalised: full width, spaces, lower case; XK with
		// its dashes and the province mark.
		for _, c := range []struct{ kind, in, stored string }{
			{"SC", "ＳＣ１０５ 1529 2100019", "SC10515292100019"},
			{"sc", "sc20115292100027", "SC20115292100027"},
			{"JY", "jy21529210000019", "JY21529210000019"},
			{"XK", "（蒙）XK13 014 00001", "(蒙)XK13-014-00001"},
			{"XK", "XK16-204-00012", "XK16-204-00012"},
			{"other", " 蒙卫水字〔2021〕第0012号 ", "蒙卫水字〔2021〕第0012号"},
			{"SC", "QS152906010001", "QS152906010001"}, // a QS number for a licence that ended before 2018-10-01
		} {
			to := "2029-01-01"
			if c.in[:2] == "QS" {
				to = "2018-06-30"
			}
			l, err := lic(c.kind, c.in, "2015-01-01", to)
			if err != nil {
				t.Fatalf("%s %q: %v", c.kind, c.in, err)
			}
			if l.Number != c.stored {
				t.Errorf("%q stored as %q, want %q", c.in, l.Number, c.stored)
			}
		}
		_, err := lic("SC", "SC10515292100019", "2024-01-01", "2029-01-01")
		wantRule(t, err, "number", "rule.licence.number_taken")
	})
}

func TestLicenceStatesOnGivenDates(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		today string
		state string
		left  int
	}{
		{"2026-02-28 12:00", registry.StateValid, 31},
		{"2026-03-01 00:00", registry.StateExpiring, 30},
		{"2026-03-31 23:59", registry.StateExpiring, 0}, // the last valid day
		{"2026-04-01 00:00", registry.StateExpired, -1},
	} {
		state, left := registry.LicenceState("2026-03-31", false, day(c.today), 30)
		if state != c.state || left != c.left {
			t.Errorf("on %s: %s, %d days left; want %s, %d", c.today, state, left, c.state, c.left)
		}
	}
	// The day turns at midnight in China, not in UTC.
	if s, _ := registry.LicenceState("2026-03-31", false, time.Date(2026, 3, 31, 16, 30, 0, 0, time.UTC), 30); s != registry.StateExpired {
		t.Errorf("00:30 on 1 April in China is %s", s)
	}
	if s, _ := registry.LicenceState("2030-01-01", true, day("2026-01-01 00:00"), 30); s != registry.StateRevoked {
		t.Errorf("revoked licence is %s", s)
	}

	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		e := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗驼奶有限公司", RegionCode: "152921"})
		mk := func(number, to string) *registry.Licence {
			l, err := registry.CreateLicence(ctx, db, f.officer, registry.LicenceInput{EnterpriseID: e.ID, Kind: "SC",
				Number: number, ValidFrom: "2021-01-01", ValidTo: to})
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		valid := mk("SC10515292100019", "2026-06-30")
		expiring := mk("SC10515292100027", "2026-03-31")
		expired := mk("SC10515292100035", "2026-02-28")
		revoked := mk("SC10515292100043", "2027-12-31")
		if _, err := registry.RevokeLicence(ctx, db, f.officer, revoked.ID, ""); err == nil {
			t.Fatal("revoked without a reason")
		}
		if _, err := registry.RevokeLicence(ctx, db, f.officer, revoked.ID, "生产条件发生重大变化"); err != nil {
			t.Fatal(err)
		}
		today := day("2026-03-10 09:00")
		for state, want := range map[string]*registry.Licence{
			registry.StateValid: valid, registry.StateExpiring: expiring, registry.StateExpired: expired, registry.StateRevoked: revoked,
		} {
			list, total, err := registry.ListLicences(ctx, db, f.officer, registry.LicenceFilter{State: state, Today: today})
			if err != nil {
				t.Fatal(err)
			}
			if total != 1 || list[0].ID != want.ID || list[0].State != state {
				t.Errorf("state %s: %d licences, first %+v", state, total, list)
			}
		}
		all, _, _ := registry.ListLicences(ctx, db, f.officer, registry.LicenceFilter{Today: today})
		if len(all) != 4 || all[0].ID != expired.ID || all[0].DaysLeft != -10 || all[1].DaysLeft != 21 {
			t.Fatalf("all licences, soonest first: %+v", all)
		}
		// A longer window makes the June licence expiring too.
		if err := registry.SetExpiringDays(ctx, db, f.officer, 120); err == nil {
			t.Fatal("an officer changed the setting")
		}
		if err := registry.SetExpiringDays(ctx, db, f.admin, 0); err == nil {
			t.Fatal("0 days accepted")
		}
		if err := registry.SetExpiringDays(ctx, db, f.admin, 120); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := registry.ListLicences(ctx, db, f.officer, registry.LicenceFilter{State: registry.StateExpiring, Today: today}); total != 2 {
			t.Fatalf("with 120 days, %d expiring, want 2", total)
		}
		// Search by number or enterprise name, and by kind.
		if _, total, _ := registry.ListLicences(ctx, db, f.officer, registry.LicenceFilter{Q: "sc105152921000", Today: today}); total != 4 {
			t.Fatalf("number search found %d", total)
		}
		if _, total, _ := registry.ListLicences(ctx, db, f.officer, registry.LicenceFilter{Q: "驼奶", Kind: "sc"}); total != 4 {
			t.Fatalf("name search found %d", total)
		}
		if _, total, _ := registry.ListLicences(ctx, db, f.officer, registry.LicenceFilter{Kind: "JY"}); total != 0 {
			t.Fatalf("JY filter found %d", total)
		}
		// A revoked licence cannot be edited, nor revoked twice.
		_, err := registry.UpdateLicence(ctx, db, f.officer, revoked.ID, registry.LicencePatch{ValidTo: ptr("2028-12-31")})
		wantRule(t, err, "revoked", "rule.licence.revoked")
		// A renewal moves the end date.
		got, err := registry.UpdateLicence(ctx, db, f.officer, expired.ID, registry.LicencePatch{ValidTo: ptr("2031-02-28")})
		if err != nil || got.ValidTo != "2031-02-28" || got.Number != expired.Number || got.State != registry.StateValid {
			t.Fatalf("renewal: %+v, %v", got, err)
		}
	})
}

func TestEnterpriseKeepsOnlyItsOwnLicencesAndProducts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		a := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "甲公司", RegionCode: "152921"})
		b := f.enterprise(t, registry.EnterpriseInput{USCC: usccTencent, Name: "乙公司", RegionCode: "152921"})
		ua := enterpriseUser(a)
		l, err := registry.CreateLicence(ctx, db, ua, registry.LicenceInput{Kind: "JY", Number: "JY11529210000019",
			ValidFrom: "2024-01-01", ValidTo: "2029-01-01"})
		if err != nil || l.EnterpriseID != a.ID {
			t.Fatalf("own licence: %+v, %v", l, err)
		}
		_, err = registry.CreateLicence(ctx, db, ua, registry.LicenceInput{EnterpriseID: b.ID, Kind: "JY", Number: "JY11529210000027",
			ValidFrom: "2024-01-01", ValidTo: "2029-01-01"})
		wantRule(t, err, "enterprise_id", "rule.enterprise.unknown")
		if _, err := registry.UpdateLicence(ctx, db, ua, l.ID, registry.LicencePatch{Scope: ptr("预包装食品销售")}); err != nil {
			t.Fatal(err)
		}
		_, err = registry.RevokeLicence(ctx, db, ua, l.ID, "不再经营")
		wantIs(t, err, fielderr.ErrForbidden)
		bl, err := registry.CreateLicence(ctx, db, f.officer, registry.LicenceInput{EnterpriseID: b.ID, Kind: "other", Number: "B-1",
			ValidFrom: "2024-01-01", ValidTo: "2029-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = registry.GetLicence(ctx, db, ua, bl.ID)
		wantIs(t, err, fielderr.ErrNotFound)
		_, err = registry.UpdateLicence(ctx, db, ua, bl.ID, registry.LicencePatch{Scope: ptr("x")})
		wantIs(t, err, fielderr.ErrNotFound)
		if _, total, _ := registry.ListLicences(ctx, db, ua, registry.LicenceFilter{}); total != 1 {
			t.Fatalf("enterprise user lists %d licences", total)
		}
		_, err = registry.CreateLicence(ctx, db, f.inspector, registry.LicenceInput{EnterpriseID: b.ID, Kind: "other", Number: "B-2",
			ValidFrom: "2024-01-01", ValidTo: "2029-01-01"})
		wantIs(t, err, fielderr.ErrForbidden)

		p, err := registry.CreateProduct(ctx, db, ua, registry.ProductInput{Name: "驼奶粉", GTIN: "6901234567892", KeyCommodity: true})
		if err != nil || p.EnterpriseID != a.ID {
			t.Fatalf("own product: %+v, %v", p, err)
		}
		_, err = registry.CreateProduct(ctx, db, ua, registry.ProductInput{EnterpriseID: b.ID, Name: "x"})
		wantRule(t, err, "enterprise_id", "rule.enterprise.unknown")
		bp, err := registry.CreateProduct(ctx, db, f.officer, registry.ProductInput{EnterpriseID: b.ID, Name: "肉苁蓉片"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = registry.GetProduct(ctx, db, ua, bp.ID)
		wantIs(t, err, fielderr.ErrNotFound)
		if _, total, _ := registry.ListProducts(ctx, db, ua, registry.ProductFilter{}); total != 1 {
			t.Fatalf("enterprise user lists %d products", total)
		}
	})
}

func TestProductRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		e := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗驼奶有限公司", RegionCode: "152921"})
		mk := func(in registry.ProductInput) (*registry.Product, error) {
			in.EnterpriseID = e.ID
			return registry.CreateProduct(ctx, db, f.officer, in)
		}
		for _, c := range []struct {
			in         registry.ProductInput
			field, rul string
		}{
			{registry.ProductInput{Name: ""}, "name", "rule.required"},
			{registry.ProductInput{Name: "x", GTIN: "6901234567891"}, "gtin", "rule.gs1.checksum"},
			{registry.ProductInput{Name: "x", GTIN: "690123456789"}, "gtin", "rule.gs1.checksum"},
			{registry.ProductInput{Name: "x", GTIN: "69012345678"}, "gtin", "rule.gs1.length"},
			{registry.ProductInput{Name: "x", GTIN: "690123456789A"}, "gtin", "rule.gs1.digits"},
		} {
			_, err := mk(c.in)
			wantRule(t, err, c.field, c.rul)
		}
		p, err := mk(registry.ProductInput{Name: "骆驼奶粉（全脂）", GTIN: "６９０１２３４ ５６７８９２", Category: "乳制品", KeyCommodity: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.GTIN != "6901234567892" || !p.KeyCommodity || p.EnterpriseName != e.Name {
			t.Fatalf("stored %+v", p)
		}
		// The same GTIN written with 14 digits is the same trade item.
		_, err = mk(registry.ProductInput{Name: "y", GTIN: "06901234567892"})
		wantRule(t, err, "gtin", "rule.product.gtin_taken")
		q, err := mk(registry.ProductInput{Name: "驼奶片", GTIN: "12345670"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := registry.UpdateProduct(ctx, db, f.officer, q.ID, registry.ProductPatch{KeyCommodity: ptr(true)})
		if err != nil || !got.KeyCommodity || got.GTIN != "12345670" || got.Name != "驼奶片" {
			t.Fatalf("patch: %+v, %v", got, err)
		}
		for _, c := range []struct {
			f    registry.ProductFilter
			want int
		}{
			{registry.ProductFilter{Q: "驼奶"}, 2},
			{registry.ProductFilter{Q: "ltnf"}, 1}, // 骆驼奶粉 by initials
			{registry.ProductFilter{Q: "690123"}, 1},
			{registry.ProductFilter{KeyCommodity: ptr(true)}, 2},
			{registry.ProductFilter{Category: "乳制品"}, 1},
			{registry.ProductFilter{EnterpriseID: e.ID}, 2},
		} {
			if _, total, err := registry.ListProducts(ctx, db, f.officer, c.f); err != nil || total != c.want {
				t.Errorf("%+v: %d (%v), want %d", c.f, total, err, c.want)
			}
		}
	})
}

func TestExpiryNoticesAreSentOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		e := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗驼奶有限公司", RegionCode: "152921",
			DepartmentID: f.market.ID})
		other := f.enterprise(t, registry.EnterpriseInput{USCC: usccTencent, Name: "乙公司", RegionCode: "152921"})
		user := func(name string, role auth.Role, dept, ent string) *auth.User {
			u, err := auth.CreateUser(ctx, db, auth.NewUser{Username: name, Name: name, Password: "correct horse battery staple",
				Role: role, RegionCode: "152921", DepartmentID: dept, EnterpriseID: ent})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		holder := user("tuonai", auth.RoleEnterprise, "", e.ID)
		officer := user("market-officer", auth.RoleOfficer, f.market.ID, "")
		farmer := user("farm-officer", auth.RoleOfficer, f.farm.ID, "")
		bystander := user("yi-co", auth.RoleEnterprise, "", other.ID)
		l, err := registry.CreateLicence(ctx, db, f.officer, registry.LicenceInput{EnterpriseID: e.ID, Kind: "SC",
			Number: "SC10515292100019", ValidFrom: "2021-04-01", ValidTo: "2026-03-31"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := registry.CreateLicence(ctx, db, f.officer, registry.LicenceInput{EnterpriseID: other.ID, Kind: "SC",
			Number: "SC10515292100027", ValidFrom: "2021-04-01", ValidTo: "2027-03-31"}); err != nil {
			t.Fatal(err)
		}
		notices := func(u *auth.User) []notify.Notification {
			list, _, err := notify.List(ctx, db, u.ID, false, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		run := func(today string, want int) {
			t.Helper()
			n, err := registry.NotifyExpiringLicences(ctx, db, day(today))
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Fatalf("on %s the job reported %d licences, want %d", today, n, want)
			}
		}
		run("2026-02-01 06:00", 0) // 58 days left: nothing to say
		run("2026-03-05 06:00", 1)
		run("2026-03-05 06:00", 0) // the same day again
		run("2026-03-06 06:00", 0) // and the next: still expiring, already told
		for _, u := range []*auth.User{holder, officer} {
			got := notices(u)
			if len(got) != 1 || got[0].Kind != "licence.expiring" || got[0].Params["number"] != l.Number ||
				got[0].Params["days"] != "26" || got[0].Params["enterprise"] != e.Name || got[0].Link != "/licences/"+l.ID {
				t.Fatalf("%s has %+v", u.Username, got)
			}
		}
		if len(notices(farmer)) != 0 || len(notices(bystander)) != 0 {
			t.Fatal("users of another department or enterprise were told")
		}
		run("2026-04-01 06:00", 1)
		run("2026-04-02 06:00", 0)
		if got := notices(holder); len(got) != 2 || got[0].Kind != "licence.expired" {
			t.Fatalf("after expiry the holder has %+v", got)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM events WHERE topic IN ('licence.expiring', 'licence.expired')`); n != 2 {
			t.Fatalf("%d expiry events, want 2", n)
		}
		// Renewed: quiet until the new end approaches.
		if _, err := registry.UpdateLicence(ctx, db, f.officer, l.ID, registry.LicencePatch{ValidTo: ptr("2031-03-31")}); err != nil {
			t.Fatal(err)
		}
		run("2026-04-03 06:00", 0)
		run("2031-03-20 06:00", 2) // this one again, and the other enterprise's long-expired one
		if got := notices(holder); len(got) != 3 {
			t.Fatalf("after renewal the holder has %d notices", len(got))
		}
	})
}
