package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// xlsx builds a workbook whose first sheet holds rows.
func xlsx(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readSheet(t *testing.T, b []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func importBytes(ctx context.Context, db *store.DB, who *auth.User, b []byte) (registry.ImportReport, error) {
	return registry.ImportEnterprises(ctx, db, who, bytes.NewReader(b), int64(len(b)))
}

func TestImportWithOneBadRowCommitsNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		f.enterprise(t, registry.EnterpriseInput{USCC: usccBYD, Name: "已在册的公司", RegionCode: "152921"})
		before := count(t, db, `SELECT COUNT(*) FROM audit_log`)
		file := xlsx(t, [][]any{
			{"2026年企业名录"}, // a title row above the header
			{"统一社会信用代码*", "企业名称*", "乡镇（苏木、街道）", "行业门类", "联系电话", "主管部门"},
			{usccHuawei, "阿拉善左旗华为商贸有限公司", "巴彦浩特镇", "F", "13947800001", "市场监管局"},
			{usccTencent, "阿拉善左旗腾讯餐饮有限公司", "", "H 住宿和餐饮业", "0483-8221234", ""},
			{"91440300708461136K", "校验码错误的公司", "", "", "", ""}, // row 5: checksum
			{usccAlxa1, "", "银根苏木", "X", "12345", "不存在的局"},     // row 6: name, industry, phone, department
			{"９１４４０３００１９２２０３８２１６", "重复的华为", "", "", "", ""},    // row 7: same code as row 3
			{usccBYD, "已在册", "", "", "", ""},                   // row 8: already registered
			{usccAlxa2, "乡镇不对的公司", "达来呼布镇", "", "", ""},        // row 9: township of another banner
		})
		rep, err := importBytes(ctx, db, f.officer, file)
		if err == nil {
			t.Fatal("import with bad rows succeeded")
		}
		if _, ok := fielderr.As(err); !ok {
			t.Fatalf("error is not a field list: %v", err)
		}
		want := []string{
			"5 统一社会信用代码* rule.uscc.checksum",
			"6 企业名称* rule.required",
			"6 行业门类 rule.industry.unknown",
			"6 联系电话 rule.phone.format",
			"6 主管部门 rule.department.unknown",
			"7 统一社会信用代码* rule.uscc.duplicate_in_file",
			"8 统一社会信用代码* rule.uscc.taken",
			"9 乡镇（苏木、街道） rule.township.not_in_region",
		}
		var got []string
		for _, e := range rep.Errors {
			got = append(got, fmt.Sprintf("%d %s %s", e.Row, e.Column, e.Rule))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("report:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if rep.Errors[5].Params["row"] != 3 {
			t.Errorf("the duplicate does not name its first row: %+v", rep.Errors[5])
		}
		if rep.Rows != 7 || rep.Inserted != 0 {
			t.Errorf("rows %d inserted %d", rep.Rows, rep.Inserted)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM enterprises`); n != 1 {
			t.Fatalf("%d enterprises after a refused import, want the 1 there before", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log`); n != before {
			t.Fatalf("a refused import wrote %d audit records", n-before)
		}

		// The good rows alone go in, in one piece, with audit records.
		rep, err = importBytes(ctx, db, f.officer, xlsx(t, [][]any{
			{"USCC", "Name", "Township", "Industry", "Phone", "Supervising department"},
			{usccHuawei, "阿拉善左旗华为商贸有限公司", "Bayanhot Town", "F", "13947800001", "市场监管局"},
			{usccTencent, "阿拉善左旗腾讯餐饮有限公司", "", "H 住宿和餐饮业", "0483-8221234", ""},
			{},
		}))
		if err != nil || rep.Inserted != 2 {
			t.Fatalf("good import: %+v, %v", rep, err)
		}
		e, err := registry.FindEnterpriseByUSCC(ctx, db, f.officer, usccHuawei)
		if err != nil || e.TownshipCode != "152921110" || e.DepartmentID != f.market.ID || e.Industry != "F" {
			t.Fatalf("imported %+v, %v", e, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'enterprise' AND action = 'import'`); n != 2 {
			t.Fatalf("%d import audit records", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM events WHERE topic = 'enterprise.created'`); n != 3 {
			t.Fatalf("%d enterprise.created events, want 3", n)
		}
		// An inspector may not import.
		_, err = importBytes(ctx, db, f.inspector, file)
		wantIs(t, err, fielderr.ErrForbidden)
	})
}

func TestImportRefusesWhatIsNotARegister(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		for _, c := range []struct {
			name string
			data []byte
			size int64
			rule string
		}{
			{"declared too large", []byte("x"), registry.MaxImportBytes + 1, "rule.import.too_large"},
			{"actually too large", make([]byte, registry.MaxImportBytes+10), 100, "rule.import.too_large"},
			{"not a workbook", []byte("统一社会信用代码,企业名称\n"), 40, "rule.import.not_xlsx"},
			{"no header", xlsx(t, [][]any{{"a", "b"}, {usccHuawei, "x"}}), 0, "rule.import.no_header"},
			{"header only", xlsx(t, [][]any{{"统一社会信用代码", "企业名称"}}), 0, "rule.import.empty"},
		} {
			size := c.size
			if size == 0 {
				size = int64(len(c.data))
			}
			rep, err := registry.ImportEnterprises(ctx, db, f.officer, bytes.NewReader(c.data), size)
			if err == nil {
				t.Errorf("%s: accepted", c.name)
				continue
			}
			wantRule(t, err, "file", c.rule)
			if len(rep.Errors) != 1 || rep.Errors[0].Rule != c.rule {
				t.Errorf("%s: report %+v", c.name, rep)
			}
		}
	})
}

func TestImportRowLimit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a 100,001-row workbook")
	}
	db := storetest.SQLite(t)
	f := setup(t, db)
	file := excelize.NewFile()
	sw, err := file.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	_ = sw.SetRow("A1", []any{"USCC", "Name"})
	for i := 2; i <= registry.MaxImportRows+2; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		_ = sw.SetRow(cell, []any{"x", "y"})
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	buf, err := file.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	_, err = importBytes(context.Background(), db, f.officer, buf.Bytes())
	wantRule(t, err, "file", "rule.import.too_many_rows")
}

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗驼奶有限公司", LegalRep: "巴特尔",
			Address: "巴彦浩特镇新华街1号", Township: "152921110", Industry: "C", ContactName: "其其格",
			ContactPhone: "13947800000", DepartmentID: f.market.ID})
		f.enterprise(t, registry.EnterpriseInput{USCC: usccBadButReal, USCCOverrideReason: "公示系统可查", Name: "ABC超市",
			Township: "152921216", Industry: "F", Status: registry.StatusClosed, DepartmentID: f.farm.ID, ContactPhone: "0483-8221234"})
		f.enterprise(t, registry.EnterpriseInput{USCC: usccTencent, Name: "阿拉善左旗腾讯餐饮有限公司", Status: registry.StatusSuspended})
		f.enterprise(t, registry.EnterpriseInput{USCC: usccBYD, Name: "阿拉善右旗比亚迪", RegionCode: "152922"})
		original, total, err := registry.ListEnterprises(ctx, db, f.league, registry.Filter{})
		if err != nil || total != 4 {
			t.Fatal(total, err)
		}

		for _, lang := range []string{"zh-CN", "en"} {
			var out bytes.Buffer
			if err := registry.ExportEnterprises(ctx, db, f.league, registry.Filter{}, &out, lang); err != nil {
				t.Fatal(err)
			}
			sheet := readSheet(t, out.Bytes())
			if len(sheet) != 5 {
				t.Fatalf("%s export has %d rows", lang, len(sheet))
			}
			wantHead := "统一社会信用代码"
			if lang == "en" {
				wantHead = "USCC"
			}
			if sheet[0][0] != wantHead {
				t.Fatalf("%s header %v", lang, sheet[0])
			}
			// The same file, imported where it already is, is all duplicates.
			rep, err := importBytes(ctx, db, f.league, out.Bytes())
			if err == nil || len(rep.Errors) != 4 || rep.Errors[0].Rule != "rule.uscc.taken" {
				t.Fatalf("re-import into the source: %+v, %v", rep, err)
			}

			// Imported into a fresh register with the same departments, it
			// gives back the same enterprises.
			var fresh *store.DB
			if db.Dialect == store.Postgres {
				fresh = storetest.Postgres(t)
			} else {
				fresh = storetest.SQLite(t)
			}
			g := setup(t, fresh)
			g.league.Lang = lang
			rep, err = importBytes(ctx, fresh, g.league, out.Bytes())
			if err != nil || rep.Inserted != 4 {
				t.Fatalf("%s import: %+v, %v", lang, rep, err)
			}
			copied, _, err := registry.ListEnterprises(ctx, fresh, g.league, registry.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			deptName := map[string]string{f.market.ID: "market", f.farm.ID: "farm", g.market.ID: "market", g.farm.ID: "farm"}
			for i := range original {
				a, b := original[i], copied[i]
				a.ID, a.CreatedAt, a.UpdatedAt, b.ID, b.CreatedAt, b.UpdatedAt = "", 0, 0, "", 0, 0
				a.DepartmentID, b.DepartmentID = deptName[a.DepartmentID], deptName[b.DepartmentID]
				if a != b {
					t.Errorf("%s round trip changed\n %+v\nto\n %+v", lang, a, b)
				}
			}
		}
	})
}

func TestExportsFollowTheFilterAndTheUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		if err := registry.GenerateEnterprises(ctx, db, 260, 3); err != nil {
			t.Fatal(err)
		}
		a := f.enterprise(t, registry.EnterpriseInput{USCC: usccHuawei, Name: "阿拉善左旗驼奶有限公司"})
		// More rows than one page: the export holds all of them.
		_, total, _ := registry.ListEnterprises(ctx, db, f.officer, registry.Filter{Q: "有限公司"})
		var out bytes.Buffer
		if err := registry.ExportEnterprises(ctx, db, f.officer, registry.Filter{Q: "有限公司", Limit: 10}, &out, "zh-CN"); err != nil {
			t.Fatal(err)
		}
		if n := len(readSheet(t, out.Bytes())) - 1; n != total || total <= registry.DefaultLimit {
			t.Fatalf("exported %d rows, the list has %d", n, total)
		}
		// An enterprise user's export holds only itself.
		ua := enterpriseUser(a)
		if _, err := registry.CreateLicence(ctx, db, ua, registry.LicenceInput{Kind: "SC", Number: "SC10515292100019",
			ValidFrom: "2024-01-01", ValidTo: "2029-01-01", Scope: "乳制品"}); err != nil {
			t.Fatal(err)
		}
		if _, err := registry.CreateProduct(ctx, db, ua, registry.ProductInput{Name: "驼奶粉", GTIN: "6901234567892", KeyCommodity: true}); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := registry.ExportEnterprises(ctx, db, ua, registry.Filter{}, &out, "en"); err != nil {
			t.Fatal(err)
		}
		if rows := readSheet(t, out.Bytes()); len(rows) != 2 || rows[1][0] != usccHuawei {
			t.Fatalf("enterprise export: %v", rows)
		}
		out.Reset()
		if err := registry.ExportLicences(ctx, db, ua, registry.LicenceFilter{}, &out, "zh-CN"); err != nil {
			t.Fatal(err)
		}
		rows := readSheet(t, out.Bytes())
		if len(rows) != 2 || rows[0][3] != "许可证编号" || rows[1][3] != "SC10515292100019" || rows[1][8] != "有效" {
			t.Fatalf("licence export: %v", rows)
		}
		out.Reset()
		if err := registry.ExportProducts(ctx, db, ua, registry.ProductFilter{}, &out, "en"); err != nil {
			t.Fatal(err)
		}
		rows = readSheet(t, out.Bytes())
		if len(rows) != 2 || rows[0][3] != "GTIN" || rows[1][3] != "6901234567892" || rows[1][5] != "Yes" {
			t.Fatalf("product export: %v", rows)
		}
	})
}

func TestTemplateImportsBack(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"zh-CN", "en"} {
		var out bytes.Buffer
		if err := registry.EnterpriseTemplate(&out, lang); err != nil {
			t.Fatal(err)
		}
		rows := readSheet(t, out.Bytes())
		if len(rows) != 1 || len(rows[0]) != 13 {
			t.Fatalf("%s template: %v", lang, rows)
		}
		if (lang == "en") != (rows[0][1] == "Name") {
			t.Fatalf("%s template header: %v", lang, rows[0])
		}
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		var tpl bytes.Buffer
		if err := registry.EnterpriseTemplate(&tpl, "zh-CN"); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&tpl)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		sheet := x.GetSheetList()[0]
		_ = x.SetSheetRow(sheet, "A2", &[]any{usccHuawei, "阿拉善左旗驼奶有限公司", "", "巴特尔", "", "吉兰泰镇", "A", "", "", "在营"})
		filled, err := x.WriteToBuffer()
		if err != nil {
			t.Fatal(err)
		}
		rep, err := importBytes(ctx, db, f.officer, filled.Bytes())
		if err != nil || rep.Inserted != 1 {
			t.Fatalf("filled template: %+v, %v", rep, err)
		}
		e, err := registry.FindEnterpriseByUSCC(ctx, db, f.officer, usccHuawei)
		if err != nil || e.RegionCode != "152921" || e.TownshipName != "吉兰泰镇" || e.Industry != "A" || e.LegalRep != "巴特尔" {
			t.Fatalf("imported %+v, %v", e, err)
		}
	})
}
