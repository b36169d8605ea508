package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestCreateEnterpriseRefusesBadUSCC(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		in := registry.EnterpriseInput{USCC: usccBadButReal, Name: "厦门云上晴空航空科技有限公司", RegionCode: "152921"}
		_, err := registry.CreateEnterprise(ctx, db, f.officer, in)
		e := wantRule(t, err, "uscc", "rule.uscc.checksum")
		if e.Params["overridable"] != true {
			t.Errorf("an officer is not told the checksum can be overridden: %v", e.Params)
		}
		for _, bad := range []struct{ uscc, rule string }{
			{"9111000060003IOZSV", "rule.uscc.charset"},
			{"12345", "rule.uscc.length"},
			{"", "rule.required"},
		} {
			in := registry.EnterpriseInput{USCC: bad.uscc, USCCOverrideReason: "GSXT shows it", Name: "某公司", RegionCode: "152921"}
			_, err := registry.CreateEnterprise(ctx, db, f.officer, in)
			wantRule(t, err, "uscc", bad.rule)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM enterprises`); n != 0 {
			t.Fatalf("%d enterprises stored from bad input", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'enterprise'`); n != 0 {
			t.Fatalf("%d audit records for refused input", n)
		}
	})
}

func TestChecksumOverrideIsStoredWithReason(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		in := registry.EnterpriseInput{USCC: " 91350211m0000xuf46 ", Name: "厦门云上晴空航空科技有限公司", RegionCode: "152921",
			USCCOverrideReason: "国家企业信用信息公示系统查询确认"}
		// An enterprise user cannot override; neither can an inspector.
		_, err := registry.CreateEnterprise(ctx, db, f.inspector, in)
		wantIs(t, err, fielderr.ErrForbidden)
		e, err := registry.CreateEnterprise(ctx, db, f.officer, in)
		if err != nil {
			t.Fatal(err)
		}
		if e.USCC != usccBadButReal || e.USCCChecksumOK || e.USCCOverrideReason != "国家企业信用信息公示系统查询确认" {
			t.Fatalf("stored %q ok=%v reason=%q", e.USCC, e.USCCChecksumOK, e.USCCOverrideReason)
		}
		got, err := registry.GetEnterprise(ctx, db, f.admin, e.ID)
		if err != nil || got.USCCChecksumOK || got.USCCOverrideReason == "" {
			t.Fatalf("read back %+v, %v", got, err)
		}
		var after string
		if err := db.QueryRow(ctx, `SELECT after_json FROM audit_log WHERE entity = 'enterprise' AND entity_id = ?`, e.ID).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(after, "国家企业信用信息公示系统查询确认") || !strings.Contains(after, `"uscc_checksum_ok":false`) {
			t.Fatalf("audit record does not carry the override: %s", after)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM events WHERE topic = 'enterprise.created'`); n != 1 {
			t.Fatalf("%d enterprise.created events", n)
		}
		// A valid code ignores a reason given along with it.
		ok, err := registry.CreateEnterprise(ctx, db, f.officer, registry.EnterpriseInput{USCC: usccHuawei, Name: "华为", RegionCode: "152921",
			USCCOverrideReason: "not needed"})
		if err != nil || !ok.USCCChecksumOK || ok.USCCOverrideReason != "" {
			t.Fatalf("valid code: %+v, %v", ok, err)
		}
	})
}

func TestEnterpriseFieldRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗华为商贸有限公司", RegionCode: "152921"})
		cases := []struct {
			name  string
			in    registry.EnterpriseInput
			field string
			rule  string
		}{
			{"taken", registry.EnterpriseInput{USCC: "９１４４０３００１９２２０３８２１６", Name: "x", RegionCode: "152921"}, "uscc", "rule.uscc.taken"},
			{"no name", registry.EnterpriseInput{USCC: usccTencent, Name: "  ", RegionCode: "152921"}, "name", "rule.required"},
			{"long name", registry.EnterpriseInput{USCC: usccTencent, Name: strings.Repeat("长", 201), RegionCode: "152921"}, "name", "rule.max_length"},
			{"unknown region", registry.EnterpriseInput{USCC: usccTencent, Name: "x", RegionCode: "159999"}, "region_code", "rule.region.unknown"},
			{"township as region", registry.EnterpriseInput{USCC: usccTencent, Name: "x", RegionCode: "152921110"}, "region_code", "rule.region.township"},
			{"other banner", registry.EnterpriseInput{USCC: usccTencent, Name: "x", RegionCode: "152923"}, "region_code", "rule.region.out_of_scope"},
			{"township elsewhere", registry.EnterpriseInput{USCC: usccTencent, Name: "x", RegionCode: "152921", Township: "152922103"}, "township", "rule.township.not_in_region"},
			{"industry", registry.EnterpriseInput{USCC: usccTencent, Name: "x", RegionCode: "152921", Industry: "Z"}, "industry", "rule.industry.unknown"},
			{"phone", registry.EnterpriseInput{USCC: usccTencent, Name: "x", RegionCode: "152921", ContactPhone: "12345"}, "contact_phone", "rule.phone.format"},
			{"status", registry.EnterpriseInput{USCC: usccTencent, Name: "x", RegionCode: "152921", Status: "bankrupt"}, "status", "rule.enterprise.status"},
			{"department", registry.EnterpriseInput{USCC: usccTencent, Name: "x", RegionCode: "152921", DepartmentID: "nope"}, "department_id", "rule.department.unknown"},
		}
		for _, c := range cases {
			_, err := registry.CreateEnterprise(ctx, db, f.officer, c.in)
			wantRule(t, err, c.field, c.rule)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM enterprises`); n != 1 {
			t.Fatalf("%d enterprises after refused input, want 1", n)
		}
		// Normalised forms: full-width code, township by name, industry
		// in lower case, a landline in brackets, a status label.
		e, err := registry.CreateEnterprise(ctx, db, f.officer, registry.EnterpriseInput{
			USCC: "９１４４０３００７０８４６１１３６ｔ", Name: " 阿拉善  腾讯 ", Township: "巴彦浩特镇", Industry: "f",
			ContactPhone: "(0483)8221234", Status: "停业", DepartmentID: f.market.ID, LegalRep: "马化腾"})
		if err != nil {
			t.Fatal(err)
		}
		if e.USCC != usccTencent || e.Name != "阿拉善 腾讯" || e.RegionCode != "152921" || e.TownshipCode != "152921110" ||
			e.TownshipName != "巴彦浩特镇" || e.Industry != "F" || e.ContactPhone != "0483-8221234" ||
			e.Status != registry.StatusSuspended || e.DepartmentName != "阿拉善左旗市场监督管理局" || e.RegionName != "阿拉善左旗" {
			t.Fatalf("stored %+v", e)
		}
	})
}

func TestEnterpriseUserSeesOnlyItsOwn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		a := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "甲公司", RegionCode: "152921"})
		b := f.enterprise(t, registry.EnterpriseInput{USCC: usccTencent, Name: "乙公司", RegionCode: "152921"})
		c := f.enterprise(t, registry.EnterpriseInput{USCC: usccBYD, Name: "丙公司", RegionCode: "152922"})
		ua := enterpriseUser(a)
		if got, err := registry.GetEnterprise(ctx, db, ua, a.ID); err != nil || got.ID != a.ID {
			t.Fatalf("own enterprise: %v", err)
		}
		_, err := registry.GetEnterprise(ctx, db, ua, b.ID)
		wantIs(t, err, fielderr.ErrNotFound)
		list, total, err := registry.ListEnterprises(ctx, db, ua, registry.Filter{})
		if err != nil || total != 1 || len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("enterprise user lists %d (%v), want only its own", total, err)
		}
		if _, total, _ := registry.ListEnterprises(ctx, db, ua, registry.Filter{Q: "乙"}); total != 0 {
			t.Fatal("an enterprise user finds another by name")
		}
		_, err = registry.UpdateEnterprise(ctx, db, ua, a.ID, registry.EnterprisePatch{Name: ptr("改名")})
		wantIs(t, err, fielderr.ErrForbidden)
		_, err = registry.UpdateEnterprise(ctx, db, ua, b.ID, registry.EnterprisePatch{Name: ptr("改名")})
		wantIs(t, err, fielderr.ErrNotFound)

		// Officers see their banner; the league sees all three banners.
		_, err = registry.GetEnterprise(ctx, db, f.officer, c.ID)
		wantIs(t, err, fielderr.ErrNotFound)
		if _, total, _ := registry.ListEnterprises(ctx, db, f.officer, registry.Filter{}); total != 2 {
			t.Fatalf("banner officer sees %d, want 2", total)
		}
		if _, total, _ := registry.ListEnterprises(ctx, db, f.right, registry.Filter{}); total != 1 {
			t.Fatalf("right-banner officer sees %d, want 1", total)
		}
		if _, total, _ := registry.ListEnterprises(ctx, db, f.league, registry.Filter{}); total != 3 {
			t.Fatalf("league sees %d, want 3", total)
		}
		if _, total, _ := registry.ListEnterprises(ctx, db, f.league, registry.Filter{RegionCode: "152922"}); total != 1 {
			t.Fatalf("league narrowed to 152922 sees %d, want 1", total)
		}
		if _, total, _ := registry.ListEnterprises(ctx, db, f.officer, registry.Filter{RegionCode: "152922"}); total != 0 {
			t.Fatal("an officer widens his view by asking for another banner")
		}
		// Roles without the registry see nothing at all.
		lab := &auth.User{ID: "lab", Role: auth.RoleInstitution, RegionCode: "152921", InstitutionID: "i"}
		_, _, err = registry.ListEnterprises(ctx, db, lab, registry.Filter{})
		wantIs(t, err, fielderr.ErrForbidden)
		_, _, err = registry.ListEnterprises(ctx, db, nil, registry.Filter{})
		wantIs(t, err, fielderr.ErrForbidden)
	})
}

func TestUpdateEnterpriseChangesOnlyGivenFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		e := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗驼奶有限公司", RegionCode: "152921",
			LegalRep: "巴特尔", Address: "巴彦浩特镇新华街1号", Township: "152921110", Industry: "C", ContactName: "巴特尔",
			ContactPhone: "13947800000", DepartmentID: f.market.ID})
		got, err := registry.UpdateEnterprise(ctx, db, f.officer, e.ID, registry.EnterprisePatch{ContactPhone: ptr("+86 139 4780 1111")})
		if err != nil {
			t.Fatal(err)
		}
		want := *e
		want.ContactPhone = "13947801111"
		want.UpdatedAt = got.UpdatedAt
		if *got != want {
			t.Fatalf("after patch\n got %+v\nwant %+v", *got, want)
		}
		var before, after string
		if err := db.QueryRow(ctx, `SELECT before_json, after_json FROM audit_log WHERE entity = 'enterprise' AND action = 'update'`).Scan(&before, &after); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(before, "13947800000") || !strings.Contains(after, "13947801111") {
			t.Fatalf("audit before %s after %s", before, after)
		}
		var payload string
		if err := db.QueryRow(ctx, `SELECT payload FROM events WHERE topic = 'enterprise.updated'`).Scan(&payload); err != nil {
			t.Fatal(err)
		}
		var ev struct{ Changed []string }
		if err := json.Unmarshal([]byte(payload), &ev); err != nil || len(ev.Changed) != 1 || ev.Changed[0] != "contact_phone" {
			t.Fatalf("event %s", payload)
		}
		// A bad patch changes nothing, not even the good fields beside it.
		_, err = registry.UpdateEnterprise(ctx, db, f.officer, e.ID, registry.EnterprisePatch{Name: ptr("新名字"), Industry: ptr("ZZ")})
		wantRule(t, err, "industry", "rule.industry.unknown")
		again, _ := registry.GetEnterprise(ctx, db, f.officer, e.ID)
		if again.Name != e.Name || again.Industry != "C" {
			t.Fatalf("a refused patch changed the enterprise: %+v", again)
		}
		// Clearing an optional field works; clearing a required one does not.
		got, err = registry.UpdateEnterprise(ctx, db, f.officer, e.ID, registry.EnterprisePatch{Township: ptr(""), DepartmentID: ptr("")})
		if err != nil || got.TownshipCode != "" || got.DepartmentID != "" || got.Address != e.Address {
			t.Fatalf("clear: %+v, %v", got, err)
		}
		_, err = registry.UpdateEnterprise(ctx, db, f.officer, e.ID, registry.EnterprisePatch{RegionCode: ptr("")})
		wantRule(t, err, "region_code", "rule.required")
		// An unchanged patch writes nothing.
		n := count(t, db, `SELECT COUNT(*) FROM audit_log`)
		if _, err := registry.UpdateEnterprise(ctx, db, f.officer, e.ID, registry.EnterprisePatch{Name: ptr(e.Name)}); err != nil {
			t.Fatal(err)
		}
		if m := count(t, db, `SELECT COUNT(*) FROM audit_log`); m != n {
			t.Fatalf("a no-op patch wrote %d audit records", m-n)
		}
	})
}

func TestSearchEnterprises(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		a := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗鑫源商贸有限公司", RegionCode: "152921", Industry: "F"})
		b := f.enterprise(t, registry.EnterpriseInput{USCC: usccTencent, Name: "ABC超市（巴彦浩特店）", RegionCode: "152921", Industry: "F",
			Township: "152921110", Status: "suspended"})
		c := f.enterprise(t, registry.EnterpriseInput{USCC: usccBYD, Name: "内蒙古驼乡乳业有限公司", RegionCode: "152921", Industry: "C",
			DepartmentID: f.farm.ID})
		ids := func(list []registry.Enterprise) string {
			var s []string
			for _, e := range list {
				s = append(s, e.ID)
			}
			return strings.Join(s, ",")
		}
		for _, tc := range []struct {
			f    registry.Filter
			want []*registry.Enterprise
		}{
			{registry.Filter{Q: "鑫源"}, []*registry.Enterprise{a}},
			{registry.Filter{Q: "ａｂｃ"}, []*registry.Enterprise{b}},        // full width, any case
			{registry.Filter{Q: "9144"}, []*registry.Enterprise{b, a, c}}, // short: names and codes, "abc…" before "alszq…"
			{registry.Filter{Q: "abc超市(巴彦"}, []*registry.Enterprise{b}},   // brackets folded
			{registry.Filter{Q: "alszq"}, []*registry.Enterprise{a}},      // pinyin initials
			{registry.Filter{Q: "NMG"}, []*registry.Enterprise{c}},
			{registry.Filter{Q: "有限公司"}, []*registry.Enterprise{a, c}},        // sorted by pinyin: a… before n…
			{registry.Filter{Q: "91440300192203"}, []*registry.Enterprise{a}}, // USCC prefix
			{registry.Filter{Q: "914403"}, []*registry.Enterprise{a, c, b}},   // a code being typed lists in code order
			{registry.Filter{Q: "100%"}, nil},                                 // LIKE characters are literal
			{registry.Filter{Q: "_"}, nil},
			{registry.Filter{Industry: "F", Status: "suspended"}, []*registry.Enterprise{b}},
			{registry.Filter{Township: "152921110"}, []*registry.Enterprise{b}},
			{registry.Filter{DepartmentID: f.farm.ID}, []*registry.Enterprise{c}},
			{registry.Filter{Sort: "uscc"}, []*registry.Enterprise{a, c, b}},
		} {
			list, total, err := registry.ListEnterprises(ctx, db, f.officer, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var want []registry.Enterprise
			for _, e := range tc.want {
				want = append(want, *e)
			}
			if ids(list) != ids(want) || total != len(want) {
				t.Errorf("%+v: got %d %v, want %d", tc.f, total, ids(list), len(want))
			}
		}
		// Pages: the total counts all, the page holds the limit.
		list, total, err := registry.ListEnterprises(ctx, db, f.officer, registry.Filter{Limit: 2, Offset: 2})
		if err != nil || total != 3 || len(list) != 1 {
			t.Fatalf("page 2 of 2: %d of %d, %v", len(list), total, err)
		}
		found, err := registry.FindEnterpriseByUSCC(ctx, db, f.officer, " 91440300708461136t")
		if err != nil || found.ID != b.ID {
			t.Fatalf("by USCC: %v", err)
		}
	})
}

func TestSearchTotalsPastTheCountCap(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := registry.GenerateEnterprises(ctx, db, 3000, 7); err != nil {
			t.Fatal(err)
		}
		league := &auth.User{ID: "l", Role: auth.RoleAdmin, RegionCode: "152900"}
		all := count(t, db, `SELECT COUNT(*) FROM enterprises`)
		if all != 3000 {
			t.Fatalf("generated %d, want 3000", all)
		}
		// Running it again with the same seed adds nothing.
		if err := registry.GenerateEnterprises(ctx, db, 3000, 7); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM enterprises`); n != 3000 {
			t.Fatalf("second run left %d", n)
		}
		for _, q := range []string{"", "有限公司", "阿拉善", "鑫"} {
			want := count(t, db, `SELECT COUNT(*) FROM enterprises WHERE name LIKE ?`, "%"+q+"%")
			list, total, err := registry.ListEnterprises(ctx, db, league, registry.Filter{Q: q})
			if err != nil {
				t.Fatal(err)
			}
			if total != want || len(list) != min(want, registry.DefaultLimit) {
				t.Errorf("q=%q: total %d page %d, want %d", q, total, len(list), want)
			}
		}
		// Every generated code is valid.
		rows, err := db.Query(ctx, `SELECT uscc FROM enterprises`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				t.Fatal(err)
			}
			if err := codes.CheckUSCC(u); err != nil || !codes.USCCOrgCodeOK(u) {
				t.Fatalf("generated %s: %v", u, err)
			}
		}
	})
}

// An enterprise's GLN is checked (13 digits, GS1 check digit), names one
// enterprise only, is shown and changed like any field, and travels through
// the spreadsheet both ways.
func TestEnterpriseGLN(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		glnOf := func(body string) string { return body + string(codes.GS1CheckDigit(body)) }
		gln, second := glnOf("690123400000"), glnOf("690123400001")
		wrong := gln[:12] + string('0'+(gln[12]-'0'+1)%10)
		e := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗华为商贸有限公司", RegionCode: "152921",
			GLN: " " + gln[:7] + " " + gln[7:] + " "})
		if e.GLN != gln {
			t.Fatalf("stored GLN %q", e.GLN)
		}
		for _, c := range []struct{ gln, rule string }{
			{wrong, "rule.gs1.checksum"},
			{"690123400000", "rule.gln.length"},
			{"69012340000A2", "rule.gs1.digits"},
			{gln, "rule.gln.taken"},
		} {
			_, err := registry.CreateEnterprise(ctx, db, f.officer, registry.EnterpriseInput{USCC: usccTencent, Name: "x",
				RegionCode: "152921", GLN: c.gln})
			wantRule(t, err, "gln", c.rule)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM enterprises`); n != 1 {
			t.Fatalf("%d enterprises after refused GLNs, want 1", n)
		}
		other := f.enterprise(t, registry.EnterpriseInput{USCC: usccTencent, Name: "阿拉善腾讯", RegionCode: "152921"})
		taken := gln
		_, err := registry.UpdateEnterprise(ctx, db, f.officer, other.ID, registry.EnterprisePatch{GLN: &taken})
		wantRule(t, err, "gln", "rule.gln.taken")
		none := ""
		cleared, err := registry.UpdateEnterprise(ctx, db, f.officer, e.ID, registry.EnterprisePatch{GLN: &none})
		if err != nil || cleared.GLN != "" {
			t.Fatalf("clearing the GLN: %+v, %v", cleared, err)
		}
		moved, err := registry.UpdateEnterprise(ctx, db, f.officer, other.ID, registry.EnterprisePatch{GLN: &taken})
		if err != nil || moved.GLN != gln {
			t.Fatalf("the freed GLN for another enterprise: %+v, %v", moved, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'enterprise' AND (before_json LIKE '%`+gln+`%' OR after_json LIKE '%`+gln+`%')`); n != 3 {
			t.Errorf("%d audit records name the GLN", n)
		}

		// The spreadsheet: exported, imported, and refused on a repeat.
		var out bytes.Buffer
		if err := registry.ExportEnterprises(ctx, db, f.officer, registry.Filter{}, &out, "zh-CN"); err != nil {
			t.Fatal(err)
		}
		if rows := readSheet(t, out.Bytes()); !strings.Contains(strings.Join(rows[0], "|"), "GLN") || !slices.ContainsFunc(rows, func(r []string) bool { return slices.Contains(r, gln) }) {
			t.Errorf("export lacks the GLN: %v", rows)
		}
		uscc := func(n int) string {
			body := fmt.Sprintf("91152921MA0N%05d", n)
			return body + string(codes.USCCCheckChar(body))
		}
		x := excelize.NewFile()
		_ = x.SetSheetRow("Sheet1", "A1", &[]any{"统一社会信用代码", "企业名称", "行政区划代码", "全球位置码（GLN）"})
		_ = x.SetSheetRow("Sheet1", "A2", &[]any{uscc(1), "甲", "152921", second})
		_ = x.SetSheetRow("Sheet1", "A3", &[]any{uscc(2), "乙", "152921", second})
		_ = x.SetSheetRow("Sheet1", "A4", &[]any{uscc(3), "丙", "152921", gln})
		b, err := x.WriteToBuffer()
		if err != nil {
			t.Fatal(err)
		}
		rep, err := importBytes(ctx, db, f.officer, b.Bytes())
		got := map[string]bool{}
		for _, re := range rep.Errors {
			if re.Field == "gln" {
				got[fmt.Sprintf("%d %s", re.Row, re.Rule)] = true
			}
		}
		if err == nil || rep.Inserted != 0 || !got["3 rule.gln.duplicate_in_file"] || !got["4 rule.gln.taken"] || len(got) != 2 {
			t.Fatalf("import with repeated GLNs: %+v, %v", rep, err)
		}
	})
}
