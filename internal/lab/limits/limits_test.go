package limits_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func officeCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{ID: "u-office", Name: "质量办"})
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func hasRule(err error, field, rule string) bool {
	l, ok := fielderr.As(err)
	if !ok {
		return false
	}
	for _, e := range l {
		if e.Field == field && e.Rule == rule {
			return true
		}
	}
	return false
}

func lead() judge.Limit {
	return judge.Limit{Standard: "GB 2762-2022", Clause: "4.1 表1", Category: "生乳", Item: "铅（以Pb计）",
		Comparison: judge.AtMost, Max: "0.02", Unit: "mg/kg", Method: "GB 5009.12"}
}

func TestCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := officeCtx()
		in := lead()
		in.Standard, in.Max, in.Comparison = "  GB   2762-2022 ", "０.０２", "≤"
		l, err := limits.Create(ctx, db, in)
		if err != nil {
			t.Fatal(err)
		}
		if l.ID == "" || l.Standard != "GB 2762-2022" || l.Max != "0.02" || l.Comparison != judge.AtMost {
			t.Fatalf("created %+v", l)
		}
		got, err := limits.Get(ctx, db, l.ID)
		if err != nil || got.Max != "0.02" || got.Item != "铅（以Pb计）" || got.CreatedAt == 0 {
			t.Fatalf("get %+v, %v", got, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'lab_limit' AND entity_id = ? AND action = 'create' AND actor_id = 'u-office'`, l.ID); n != 1 {
			t.Errorf("create audited %d times", n)
		}

		// The same standard, category and item again, however spelled.
		dup := lead()
		dup.Item, dup.Category = "铅", " 生乳 "
		if _, err := limits.Create(ctx, db, dup); !hasRule(err, "item", limits.RuleDuplicate) {
			t.Errorf("duplicate: %v", err)
		}

		// Bad input names each field and changes nothing.
		bad := judge.Limit{Standard: "", Category: "生乳", Item: "镉", Comparison: "about", Max: "abc", Unit: "furlongs"}
		_, err = limits.Create(ctx, db, bad)
		for _, want := range [][2]string{{"standard", "rule.required"}, {"comparison", judge.RuleComparison}, {"unit", judge.RuleUnit}} {
			if !hasRule(err, want[0], want[1]) {
				t.Errorf("bad input: %v lacks %s %s", err, want[0], want[1])
			}
		}
		rng := judge.Limit{Standard: "X", Category: "生乳", Item: "脂肪", Comparison: judge.Within, Min: "4.0", Max: "3.1", Unit: "g/100g"}
		if _, err := limits.Create(ctx, db, rng); !hasRule(err, "min", judge.RuleMinMax) {
			t.Errorf("min above max: %v", err)
		}
		nan := lead()
		nan.Item, nan.Max = "镉", "0.0.2"
		if _, err := limits.Create(ctx, db, nan); !hasRule(err, "max", "rule.number") {
			t.Errorf("bad number: %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM lab_limits`); n != 1 {
			t.Fatalf("%d limits after refused creates", n)
		}

		// Update.
		l.Max, l.Rounded, l.Note = "0.05", true, "修订"
		u, err := limits.Update(ctx, db, l)
		if err != nil || u.Max != "0.05" || !u.Rounded || u.CreatedAt != l.CreatedAt {
			t.Fatalf("update %+v, %v", u, err)
		}
		got, _ = limits.Get(ctx, db, l.ID)
		if got.Max != "0.05" || !got.Rounded || got.Note != "修订" {
			t.Errorf("after update %+v", got)
		}
		other, err := limits.Create(ctx, db, judge.Limit{Standard: "GB 2762-2022", Category: "生乳", Item: "总汞", Comparison: judge.AtMost, Max: "0.01", Unit: "mg/kg"})
		if err != nil {
			t.Fatal(err)
		}
		other.Item = "铅"
		if _, err := limits.Update(ctx, db, other); !hasRule(err, "item", limits.RuleDuplicate) {
			t.Errorf("update into a duplicate: %v", err)
		}
		if _, err := limits.Update(ctx, db, judge.Limit{ID: "nope"}); !errors.Is(err, fielderr.ErrNotFound) {
			t.Errorf("update missing: %v", err)
		}

		// Delete.
		if err := limits.Delete(ctx, db, l.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := limits.Get(ctx, db, l.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Errorf("get after delete: %v", err)
		}
		if err := limits.Delete(ctx, db, l.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Errorf("delete twice: %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'lab_limit' AND entity_id = ?`, l.ID); n != 3 {
			t.Errorf("%d audit records for create, update, delete", n)
		}
		if _, err := audit.Verify(context.Background(), db); err != nil {
			t.Errorf("audit chain: %v", err)
		}
	})
}

func TestListSearchesAndPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := officeCtx()
		if _, err := limits.SeedDefaults(ctx, db); err != nil {
			t.Fatal(err)
		}
		all, total, err := limits.List(ctx, db, limits.Filter{Limit: 500})
		if err != nil || total != len(all) || total < 40 {
			t.Fatalf("all: %d of %d, %v", len(all), total, err)
		}
		page, total2, err := limits.List(ctx, db, limits.Filter{Limit: 10, Offset: 10})
		if err != nil || total2 != total || len(page) != 10 || page[0].ID != all[10].ID {
			t.Fatalf("page 2: %d, total %d, %v", len(page), total2, err)
		}
		milk, n, err := limits.List(ctx, db, limits.Filter{Category: "生乳", Limit: 100})
		if err != nil || n == 0 {
			t.Fatalf("生乳: %d, %v", n, err)
		}
		for _, l := range milk {
			if l.Category != "生乳" {
				t.Errorf("category filter let through %s", l.Category)
			}
		}
		// Search ignores width and case, and "%" is literal.
		for q, want := range map[string]string{"ｇｂ 2763": "GB 2763-2021", "毒死蜱": "GB 2763-2021", "gb 19301": "GB 19301-2010"} {
			got, n, err := limits.List(ctx, db, limits.Filter{Q: q})
			if err != nil || n == 0 {
				t.Errorf("search %q: %d, %v", q, n, err)
				continue
			}
			for _, l := range got {
				if l.Standard != want && !strings.Contains(l.Item, q) {
					t.Errorf("search %q found %s %s", q, l.Standard, l.Item)
				}
			}
		}
		if _, n, _ := limits.List(ctx, db, limits.Filter{Q: "100%"}); n != 0 {
			t.Errorf("search 100%% found %d", n)
		}
		if _, n, _ := limits.List(ctx, db, limits.Filter{Item: "铅"}); n < 5 {
			t.Errorf("item 铅 (folded from 铅（以Pb计）) found %d", n)
		}
		if _, n, _ := limits.List(ctx, db, limits.Filter{Illustrative: "false"}); n != 0 {
			t.Errorf("%d shipped values claim to be checked", n)
		}
	})
}

// seededPicker seeds the shipped catalogue into db and returns what Pick
// chooses for a category and an item.
func seededPicker(t *testing.T, db *store.DB) func(category, item string) *judge.Limit {
	t.Helper()
	ctx := officeCtx()
	if _, err := limits.SeedDefaults(ctx, db); err != nil {
		t.Fatal(err)
	}
	return func(category, item string) *judge.Limit {
		t.Helper()
		ls, err := limits.Applicable(ctx, db, category, item)
		if err != nil {
			t.Fatal(err)
		}
		return limits.Pick(ls)
	}
}

func TestApplicableAndPick(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := officeCtx()
		pick := seededPicker(t, db)
		// The food's own group beats the wider one: spinach takes the
		// leafy-vegetable lead limit (0.3), not fresh vegetables' (0.1).
		if l := pick("菠菜", "铅"); l == nil || l.Category != "叶菜蔬菜" || l.Max != "0.3" || l.Depth != 1 {
			t.Errorf("菠菜 铅: %+v", l)
		}
		if l := pick("番茄", "铅"); l == nil || l.Category != "新鲜蔬菜" || l.Max != "0.1" {
			t.Errorf("番茄 铅: %+v", l)
		}
		if l := pick("生乳", "铅（以 Pb 计）"); l == nil || l.Category != "生乳" || l.Depth != 0 {
			t.Errorf("生乳 铅: %+v", l)
		}
		if l := pick("酸奶", "铅"); l == nil || l.Category != "发酵乳" || l.Depth != 0 {
			t.Errorf("酸奶 (a synonym of 发酵乳) 铅: %+v", l)
		}
		if l := pick("畜肉", "镉"); l == nil || l.Category != "肉类" {
			t.Errorf("畜肉 镉: %+v", l)
		}
		if l := pick("猪肉", "总砷"); l == nil || l.Category != "肉及肉制品" || l.Depth != 3 {
			t.Errorf("猪肉 总砷: %+v", l)
		}
		if l := pick("小麦粉", "镉"); l == nil || l.Category != "谷物碾磨加工品" {
			t.Errorf("小麦粉 镉: %+v", l)
		}
		if l := pick("小麦粉", "铅"); l == nil || l.Category != "谷物及其制品" {
			t.Errorf("小麦粉 铅: %+v", l)
		}
		if l := pick("菠菜", "毒死蜱"); l == nil || l.Standard != "GB 2763-2021" || l.Max != "0.02" {
			t.Errorf("菠菜 毒死蜱: %+v", l)
		}
		if l := pick("畜肉", "克伦特罗"); l == nil || l.Comparison != judge.NotDetected {
			t.Errorf("畜肉 克伦特罗: %+v", l)
		}
		if l := pick("生乳", "三聚氰胺"); l != nil {
			t.Errorf("no limit expected, got %+v", l)
		}
		if l := pick("汽车", "铅"); l != nil {
			t.Errorf("an unknown category matched %+v", l)
		}

		// A checked value beats an illustrative one at the same level; then
		// the newer edition; then the stricter value.
		for _, l := range []judge.Limit{
			{Standard: "Q/ABC 0001S-2020", Category: "生乳", Item: "铅", Comparison: judge.AtMost, Max: "0.01", Unit: "mg/kg", Illustrative: true},
			{Standard: "DB15/ 001-2019", Category: "生乳", Item: "铅", Comparison: judge.AtMost, Max: "50", Unit: "μg/kg"},
		} {
			if _, err := limits.Create(ctx, db, l); err != nil {
				t.Fatal(err)
			}
		}
		ls, err := limits.Applicable(ctx, db, "生乳", "铅")
		if err != nil || len(ls) != 3 {
			t.Fatalf("生乳 铅: %d, %v", len(ls), err)
		}
		if l := limits.Pick(ls); l.Standard != "DB15/ 001-2019" {
			t.Errorf("the only checked value should win, got %s", l.Standard)
		}
		a := judge.Limit{ID: "a", Standard: "GB X-2017", Comparison: judge.AtMost, Max: "0.1", Unit: "mg/kg"}
		b := judge.Limit{ID: "b", Standard: "GB X-2022", Comparison: judge.AtMost, Max: "0.2", Unit: "mg/kg"}
		if l := limits.Pick([]judge.Limit{a, b}); l.ID != "b" {
			t.Errorf("newer edition: %s", l.ID)
		}
		c := judge.Limit{ID: "c", Standard: "GB Y-2022", Comparison: judge.AtMost, Max: "50", Unit: "μg/kg"}
		if l := limits.Pick([]judge.Limit{b, c}); l.ID != "c" {
			t.Errorf("stricter (50 μg/kg < 0.2 mg/kg): %s", l.ID)
		}
		if limits.Pick(nil) != nil {
			t.Error("Pick(nil) is not nil")
		}
	})
}

func TestSeedDefaultsIsIdempotent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n, err := limits.SeedDefaults(ctx, db)
		if err != nil || n < 40 {
			t.Fatalf("first seed: %d, %v", n, err)
		}
		// An office correction survives a second run.
		ls, _, _ := limits.List(ctx, db, limits.Filter{Category: "生乳", Item: "铅"})
		if len(ls) != 1 {
			t.Fatalf("生乳 铅: %d", len(ls))
		}
		fixed := ls[0]
		fixed.Max, fixed.Illustrative = "0.05", false
		if _, err := limits.Update(ctx, db, fixed); err != nil {
			t.Fatal(err)
		}
		again, err := limits.SeedDefaults(ctx, db)
		if err != nil || again != 0 {
			t.Fatalf("second seed added %d, %v", again, err)
		}
		if got, _ := limits.Get(ctx, db, fixed.ID); got.Max != "0.05" {
			t.Errorf("seed overwrote a correction: %+v", got)
		}
		if total := count(t, db, `SELECT COUNT(*) FROM lab_limits`); total != n {
			t.Errorf("%d rows after two seeds of %d", total, n)
		}
		if a := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'lab_limit' AND action = 'seed'`); a != n {
			t.Errorf("%d seed audit records for %d rows", a, n)
		}
	})
}

// The shipped values judge the demo's results the way an institution
// expects.
func TestShippedLimitsJudge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := limits.SeedDefaults(ctx, db); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			category, item string
			m              judge.Measured
			want           string
		}{
			{"生乳", "铅", judge.Measured{Value: "0.015", Unit: "mg/kg"}, judge.Conforming},
			{"生乳", "铅", judge.Measured{Value: "25", Unit: "μg/kg"}, judge.Nonconforming},
			{"生乳", "黄曲霉毒素M1", judge.Measured{Value: "0.0006", Unit: "mg/kg"}, judge.Nonconforming},
			{"生乳", "蛋白质", judge.Measured{Value: "2.75", Unit: "g/100g"}, judge.Nonconforming},
			{"生乳", "蛋白质", judge.Measured{Value: "3.05", Unit: "%"}, judge.Conforming},
			{"菠菜", "毒死蜱", judge.Measured{Value: "未检出", LOD: "0.005", Unit: "mg/kg"}, judge.Conforming},
			{"菠菜", "毒死蜱", judge.Measured{Value: "0.021", Unit: "mg/kg"}, judge.Nonconforming},
			{"畜肉", "克伦特罗", judge.Measured{Value: "ND"}, judge.Conforming},
			{"畜肉", "克伦特罗", judge.Measured{Value: "0.8", Unit: "μg/kg"}, judge.Nonconforming},
			{"猪肉", "挥发性盐基氮", judge.Measured{Value: "1.8", Unit: "mg/kg"}, judge.Conforming},
			{"小麦粉", "脱氧雪腐镰刀菌烯醇", judge.Measured{Value: "1.2", Unit: "mg/kg"}, judge.Nonconforming},
		}
		for _, c := range cases {
			ls, err := limits.Applicable(ctx, db, c.category, c.item)
			if err != nil {
				t.Fatal(err)
			}
			if v := judge.Judge(limits.Pick(ls), c.m); v.Conclusion != c.want {
				t.Errorf("%s %s %+v: %+v; want %s", c.category, c.item, c.m, v, c.want)
			}
		}
	})
}

// workbook writes rows (the first is the header) as an .xlsx file.
func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func rowErr(rep limits.ImportReport, row int, field, rule string) bool {
	for _, e := range rep.Errors {
		if e.Row == row && e.Field == field && e.Rule == rule {
			return true
		}
	}
	return false
}

func TestImportXLSX(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := officeCtx()
		head := []any{"标准", "条款", "食品类别", "检测项目", "判定方式", "下限", "限量", "单位", "检出限", "修约值比较", "备注"}
		good := workbook(t, [][]any{head,
			{"GB 2762-2022", "4.1 表1", "生乳", "铅（以Pb计）", "≤", "", "0.020", "mg/kg", "0.005", "否", ""},
			{"GB 2763-2021", "", "菠菜", "毒死蜱", "", "", "0.02", "mg/kg", "", "", "判定方式留空：只有上限即 ≤"},
			{"农业农村部公告第250号", "", "畜肉", "克伦特罗", "", "", "不得检出", "", "", "", ""},
			{"GB 19301-2010", "表2", "生乳", "蛋白质", "", "2.8", "", "g/100g", "", "是", ""},
		})
		rep, err := limits.Import(ctx, db, bytes.NewReader(good), int64(len(good)), "zh-CN")
		if err != nil || rep.Inserted != 4 || rep.Rows != 4 {
			t.Fatalf("good file: %s, %v", rep, err)
		}
		ls, _ := limits.Applicable(ctx, db, "菠菜", "毒死蜱")
		if len(ls) != 1 || ls[0].Comparison != judge.AtMost {
			t.Errorf("inferred comparison: %+v", ls)
		}
		ls, _ = limits.Applicable(ctx, db, "畜肉", "克伦特罗")
		if len(ls) != 1 || ls[0].Comparison != judge.NotDetected || ls[0].Max != "" {
			t.Errorf("不得检出 in the limit column: %+v", ls)
		}
		ls, _ = limits.Applicable(ctx, db, "生乳", "蛋白质")
		if len(ls) != 1 || ls[0].Comparison != judge.AtLeast || !ls[0].Rounded {
			t.Errorf("minimum, rounded: %+v", ls)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'lab_limit' AND action = 'import'`); n != 4 {
			t.Errorf("%d import audit records", n)
		}

		// A bad file changes nothing and names each row and column.
		bad := workbook(t, [][]any{head,
			{"GB 2762-2022", "4.1 表1", "生乳", "铅", "≤", "", "0.05", "mg/kg", "", "否", "would replace row 2 of the good file"},
			{"GB 2762-2022", "4.2 表2", "生乳", "镉", "≤", "", "abc", "mg/kg", "", "", ""},
			{"GB 2762-2022", "", "生乳", "汞", "≤", "", "0.01", "ppt", "", "", ""},
			{"GB X", "", "生乳", "脂肪", "范围", "4", "3", "g/100g", "", "也许", ""},
			{"", "", "生乳", "铬", "≤", "", "0.3", "mg/kg", "", "", ""},
			{"GB 2762-2022", "4.1 表1", "生乳", "铅（以 Pb 计）", "≤", "", "0.05", "mg/kg", "", "", ""},
		})
		rep, err = limits.Import(ctx, db, bytes.NewReader(bad), int64(len(bad)), "zh-CN")
		if err == nil {
			t.Fatalf("bad file imported: %s", rep)
		}
		for _, want := range []struct {
			row         int
			field, rule string
		}{
			{3, "max", "rule.number"},
			{4, "unit", judge.RuleUnit},
			{5, "min", judge.RuleMinMax},
			{5, "rounded", limits.RuleYesNo},
			{6, "standard", "rule.required"},
			{7, "item", limits.RuleDuplicateRow},
		} {
			if !rowErr(rep, want.row, want.field, want.rule) {
				t.Errorf("report lacks row %d %s %s: %s", want.row, want.field, want.rule, rep)
			}
		}
		l, ok := fielderr.As(err)
		if !ok || !hasRule(err, "row 3 / 限量", "rule.number") {
			t.Errorf("fielderr list %v", l)
		}
		for _, e := range rep.Errors {
			if e.Row == 3 && e.Column != "限量" {
				t.Errorf("row 3's column is %q, not the file's header 限量", e.Column)
			}
		}
		if got, _, _ := limits.List(ctx, db, limits.Filter{Category: "生乳", Item: "铅"}); len(got) != 1 || got[0].Max != "0.020" {
			t.Errorf("a refused import changed the catalogue: %+v", got)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM lab_limits`); n != 4 {
			t.Errorf("%d limits after a refused import", n)
		}

		// Re-importing an export replaces in place.
		var out bytes.Buffer
		if err := limits.Export(ctx, db, limits.Filter{}, &out, "en"); err != nil {
			t.Fatal(err)
		}
		rep, err = limits.Import(ctx, db, bytes.NewReader(out.Bytes()), int64(out.Len()), "en")
		if err != nil || rep.Inserted != 0 || rep.Updated != 4 {
			t.Fatalf("re-import of an English export: %s, %v", rep, err)
		}
		ls, _ = limits.Applicable(ctx, db, "生乳", "蛋白质")
		if len(ls) != 1 || ls[0].Min != "2.8" || !ls[0].Rounded || ls[0].Comparison != judge.AtLeast {
			t.Errorf("round trip: %+v", ls)
		}
	})
}

func TestImportCSV(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := officeCtx()
		csvText := "Standard,Category,Item,Comparison,Maximum,Unit,LOD\n" +
			"GB 2762-2022,生乳,铅,le,0.02,mg/kg,0.005\n" +
			"\n" +
			"GB 2762-2022,\"新鲜蔬菜\",镉,≤,0.05,mg/kg,\n"
		withBOM := append([]byte("\xef\xbb\xbf"), csvText...)
		rep, err := limits.Import(ctx, db, bytes.NewReader(withBOM), int64(len(withBOM)), "en")
		if err != nil || rep.Inserted != 2 {
			t.Fatalf("UTF-8 CSV: %s, %v", rep, err)
		}
		// Excel on Chinese Windows saves CSV as GB 18030.
		gbText := "标准,食品类别,检测项目,限量,单位\nGB 2762-2022,叶菜蔬菜,镉,0.2,mg/kg\n"
		gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(gbText))
		if err != nil {
			t.Fatal(err)
		}
		rep, err = limits.Import(ctx, db, bytes.NewReader(gb), int64(len(gb)), "zh-CN")
		if err != nil || rep.Inserted != 1 {
			t.Fatalf("GB 18030 CSV: %s, %v", rep, err)
		}
		if ls, _ := limits.Applicable(ctx, db, "菠菜", "镉"); len(ls) != 2 || limits.Pick(ls).Max != "0.2" {
			t.Errorf("菠菜 镉 after CSV imports: %+v", ls)
		}
		// A bad row: reported by the line it is on, nothing added.
		badText := "标准,食品类别,检测项目,限量,单位\nGB 2762-2022,生乳,总汞,0.01,mg/kg\nGB 2762-2022,生乳,铬,0.3,mg/L？\n"
		rep, err = limits.Import(ctx, db, strings.NewReader(badText), int64(len(badText)), "zh-CN")
		if err == nil || !rowErr(rep, 3, "unit", judge.RuleUnit) {
			t.Fatalf("bad CSV: %s, %v", rep, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM lab_limits`); n != 3 {
			t.Errorf("%d limits after a refused CSV", n)
		}
		// Files that are not a catalogue.
		for name, body := range map[string]string{
			"no header": "a,b,c\n1,2,3\n",
			"empty":     "标准,食品类别,检测项目,限量\n\n",
		} {
			rep, err := limits.Import(ctx, db, strings.NewReader(body), int64(len(body)), "zh-CN")
			if err == nil || len(rep.Errors) != 1 || rep.Errors[0].Field != "file" {
				t.Errorf("%s: %s, %v", name, rep, err)
			}
		}
		big := int64(limits.MaxImportBytes + 1)
		if rep, err := limits.Import(ctx, db, strings.NewReader(""), big, "zh-CN"); err == nil || rep.Errors[0].Rule != "rule.import.too_large" {
			t.Errorf("too large: %s, %v", rep, err)
		}
	})
}

func TestTemplateImportsAsHeaders(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"zh-CN", "en"} {
		b, err := limits.Template(lang)
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetList()[0])
		f.Close()
		if err != nil || len(rows) != 1 || len(rows[0]) != 13 {
			t.Fatalf("%s template rows %v, %v", lang, rows, err)
		}
		want := map[string]string{"zh-CN": "标准", "en": "Standard"}[lang]
		if rows[0][0] != want {
			t.Errorf("%s template starts with %q", lang, rows[0][0])
		}
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// A template filled in one row imports.
		b, _ := limits.Template("zh-CN")
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		name := f.GetSheetList()[0]
		row := []any{"GB 2762-2022", "4.1 表1", "生乳", "铅", "≤", "", "0.02", "mg/kg", "", "", "否", "是", ""}
		if err := f.SetSheetRow(name, "A2", &row); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		f.Close()
		rep, err := limits.Import(officeCtx(), db, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "zh-CN")
		if err != nil || rep.Inserted != 1 {
			t.Fatalf("filled template: %s, %v", rep, err)
		}
	})
}

// The office extends the category hierarchy: camel milk, unknown to the
// built-in classification, is said to be a kind of raw milk and takes its
// limits; another name for it follows; a loop and a name for a name are
// refused and change nothing; an office link overrides a built-in one, and
// deleting it brings the built-in one back.
func TestOfficeCategoryLinks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := officeCtx()
		pick := seededPicker(t, db)
		if l := pick("生驼乳", "铅"); l != nil {
			t.Fatalf("camel milk is unknown yet, but matched %+v", l)
		}
		if _, err := limits.SaveLink(ctx, db, limits.Link{Name: "生驼乳", Kind: limits.LinkBroader, Target: "生乳"}); err != nil {
			t.Fatal(err)
		}
		if _, err := limits.SaveLink(ctx, db, limits.Link{Name: " 驼奶 ", Kind: limits.LinkSynonym, Target: "生驼乳"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{"生驼乳", "驼奶"} {
			if l := pick(c, "铅"); l == nil || l.Category != "生乳" || l.Depth != 1 {
				t.Errorf("%s 铅: %+v, want raw milk's limit one level up", c, l)
			}
		}

		before := count(t, db, `SELECT COUNT(*) FROM lab_category_links`)
		for _, c := range []struct {
			in          limits.Link
			field, rule string
		}{
			{limits.Link{Name: "", Kind: limits.LinkBroader, Target: "生乳"}, "name", "rule.required"},
			{limits.Link{Name: "羊奶", Kind: "parent", Target: "生乳"}, "kind", "rule.lab.category.kind"},
			{limits.Link{Name: "生乳", Kind: limits.LinkBroader, Target: "生 乳"}, "target", "rule.lab.category.self"},
			{limits.Link{Name: "乳及乳制品", Kind: limits.LinkBroader, Target: "驼奶"}, "target", "rule.lab.category.cycle"},
			{limits.Link{Name: "骆驼奶", Kind: limits.LinkSynonym, Target: "驼奶"}, "target", "rule.lab.category.synonym_target"},
			{limits.Link{Name: strings.Repeat("奶", limits.MaxCategory+1), Kind: limits.LinkBroader, Target: "生乳"}, "name", "rule.max_length"},
		} {
			if _, err := limits.SaveLink(ctx, db, c.in); !hasRule(err, c.field, c.rule) {
				t.Errorf("%+v: %v, want %s on %s", c.in, err, c.rule, c.field)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM lab_category_links`); n != before {
			t.Errorf("refused links changed the table: %d → %d", before, n)
		}
		if l := pick("菠菜", "铅"); l == nil || l.Max != "0.3" {
			t.Fatalf("菠菜 铅 before the override: %+v", l)
		}

		// Spinach moved straight under fresh vegetables: the leafy group's
		// limit no longer applies; deleting the link restores it.
		if _, err := limits.SaveLink(ctx, db, limits.Link{Name: "菠菜", Kind: limits.LinkBroader, Target: "新鲜蔬菜"}); err != nil {
			t.Fatal(err)
		}
		if l := pick("菠菜", "铅"); l == nil || l.Category != "新鲜蔬菜" || l.Max != "0.1" {
			t.Errorf("菠菜 铅 under the override: %+v", l)
		}
		links, err := limits.Links(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		var office, spinach int
		for _, l := range links {
			if !l.BuiltIn {
				office++
			}
			if l.Name == "菠菜" {
				spinach++
				if l.BuiltIn || !l.Overrides {
					t.Errorf("菠菜 is listed as %+v, want the office's link marked as overriding", l)
				}
			}
		}
		if office != 3 || spinach != 1 {
			t.Errorf("links: %d of the office's, 菠菜 %d times", office, spinach)
		}
		if err := limits.DeleteLink(ctx, db, "菠菜"); err != nil {
			t.Fatal(err)
		}
		if l := pick("菠菜", "铅"); l == nil || l.Max != "0.3" {
			t.Errorf("菠菜 铅 after the override was deleted: %+v", l)
		}
		if err := limits.DeleteLink(ctx, db, "菠菜"); !errors.Is(err, fielderr.ErrNotFound) {
			t.Errorf("deleting a built-in link: %v, want not found", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'lab_category_link'`); n != 4 {
			t.Errorf("%d audit records for 3 saves and a delete", n)
		}
	})
}
