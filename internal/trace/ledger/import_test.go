package ledger_test

import (
	"bytes"
	"net/url"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
)

// workbook writes rows (the first is the header) as an .xlsx file.
func workbook(t *testing.T, rows [][]any) *bytes.Buffer {
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
	return &b
}

func TestImportIsAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		head := []any{"供货者统一社会信用代码", "供货者名称", "产品名称", "商品条码", "批号", "数量", "单位", "生产日期", "保质期", "进货日期", "合格证编号"}
		good := [][]any{head,
			{usccWhole, "", "", gtinMilk, "L1", 12, "箱", day(30), "12个月", day(3), "HG-1"},
			{"", "个体户李四", "土鸡蛋", "", "", "30", "千克", day(5), "45", day(4), "CN-2"},
		}
		bad := [][]any{head,
			good[1],
			{"91152201078371135Y", "", "挂面", "", "", "abc", "斤", "", "", "2024-02-30", ""},
			good[2],
		}
		b := workbook(t, bad)
		rep, err := ledger.Import(f.ctx, db, f.shopUser, ledger.KindIncoming, "", "", b, int64(b.Len()))
		if err == nil {
			t.Fatal("a file with a bad row was imported")
		}
		got := map[string]string{}
		for _, e := range rep.Errors {
			if e.Row != 3 {
				t.Errorf("error on row %d: %+v", e.Row, e)
			}
			got[e.Column] = e.Rule
		}
		want := map[string]string{
			"供货者统一社会信用代码": "rule.uscc.checksum",
			"供货者名称":       "rule.required",
			"数量":          "rule.number",
			"单位":          "rule.ledger.unit",
			"进货日期":        "rule.date.format",
			"批号":          "rule.ledger.lot_or_date",
			"合格证编号":       "rule.ledger.documents",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("column %s: %q, want %q (all %v)", k, got[k], v, got)
			}
		}
		if rep.Inserted != 0 || rep.Rows != 3 {
			t.Fatalf("report %+v", rep)
		}
		if _, total, _ := ledger.List(f.ctx, db, f.shopUser, ledger.Filter{Kind: ledger.KindIncoming}); total != 0 {
			t.Fatalf("%d entries stored from a refused file", total)
		}
		if n := len(events(t, f, f.shop.ID, url.Values{"EQ_bizStep": {"receiving"}})); n != 0 {
			t.Fatalf("%d events captured from a refused file", n)
		}

		b = workbook(t, good)
		rep, err = ledger.Import(f.ctx, db, f.shopUser, ledger.KindIncoming, "", "", b, int64(b.Len()))
		if err != nil || rep.Inserted != 2 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		list, _, _ := ledger.List(f.ctx, db, f.shopUser, ledger.Filter{Kind: ledger.KindIncoming})
		byProduct := map[string]ledger.Entry{}
		for _, e := range list {
			byProduct[e.ProductName] = e
			if e.CapturedAt == 0 {
				t.Errorf("%s not captured", e.ProductName)
			}
		}
		milk, eggs := byProduct["纯牛奶 250mL"], byProduct["土鸡蛋"]
		if milk.ShelfLife != 12 || milk.ShelfLifeUnit != ledger.Months || milk.Unit != "XBX" || milk.Quantity != 12 {
			t.Fatalf("milk %+v", milk)
		}
		// An egg lot without a number is named by its production date.
		if eggs.ShelfLife != 45 || eggs.ShelfLifeUnit != ledger.Days || eggs.LotID == "" || eggs.PartyID != trace.PartyURI("", "个体户李四") {
			t.Fatalf("eggs %+v", eggs)
		}
		if n := len(events(t, f, f.shop.ID, url.Values{"EQ_bizStep": {"receiving"}})); n != 2 {
			t.Fatalf("%d events", n)
		}

		// What is exported imports again as it is.
		var out bytes.Buffer
		if err := ledger.Export(f.ctx, db, f.shopUser, ledger.Filter{Kind: ledger.KindIncoming}, &out, "zh-CN"); err != nil {
			t.Fatal(err)
		}
		rep, err = ledger.Import(f.ctx, db, f.shopUser, ledger.KindIncoming, "", "", &out, int64(out.Len()))
		if err != nil || rep.Inserted != 2 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		again, total, _ := ledger.List(f.ctx, db, f.shopUser, ledger.Filter{Kind: ledger.KindIncoming, LotID: eggs.LotID})
		if total != 2 || again[0].RetainUntil != eggs.RetainUntil || again[0].ProductionDate != eggs.ProductionDate {
			t.Fatalf("re-imported eggs %+v", again)
		}
	})
}

func TestTemplateReadsBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for _, kind := range []string{ledger.KindIncoming, ledger.KindSale} {
			for _, lang := range []string{"zh-CN", "en"} {
				var b bytes.Buffer
				if err := ledger.Template(&b, kind, lang); err != nil {
					t.Fatal(err)
				}
				// The template's header is recognised: what is missing is rows.
				rep, err := ledger.Import(f.ctx, db, f.wholeUser, kind, "", "", &b, int64(b.Len()))
				if err == nil || len(rep.Errors) != 1 || rep.Errors[0].Rule != "rule.import.empty" {
					t.Fatalf("%s %s: %+v %v", kind, lang, rep, err)
				}
			}
		}
		// A sale in English headers.
		b := workbook(t, [][]any{{"Buyer", "Product", "Lot", "Quantity", "Unit", "Sale date", "Shelf life", "Shelf-life unit"},
			{"Canteen No. 1", "Flour", "F-7", "3.5", "tonne", day(2), "9", "months"}})
		rep, err := ledger.Import(f.ctx, db, f.wholeUser, ledger.KindSale, "", "", b, int64(b.Len()))
		if err != nil || rep.Inserted != 1 {
			t.Fatalf("sale import: %+v %v", rep, err)
		}
		list, _, _ := ledger.List(f.ctx, db, f.wholeUser, ledger.Filter{Kind: ledger.KindSale})
		if len(list) != 1 || list[0].Unit != "TNE" || list[0].Quantity != 3.5 || list[0].ShelfLife != 9 || list[0].PartyName != "Canteen No. 1" {
			t.Fatalf("sale %+v", list)
		}
	})
}

func TestSheetCells(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"2024-03-01": "2024-03-01", "2024/3/1": "2024-03-01", "2024年3月1日": "2024-03-01",
		"20240301": "2024-03-01", "45352": "2024-03-01", "": ""} {
		if got, ok := ledger.SheetDate(in); !ok || got != want {
			t.Errorf("SheetDate(%q) = %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"2024-02-30", "明天", "2024-13-01"} {
		if got, ok := ledger.SheetDate(in); ok {
			t.Errorf("SheetDate(%q) = %q, want a refusal", in, got)
		}
	}
	for _, c := range []struct {
		v, u string
		n    int
		unit string
	}{{"180", "", 180, ledger.Days}, {"180天", "", 180, ledger.Days}, {"12个月", "", 12, ledger.Months},
		{"2年", "", 24, ledger.Months}, {"6", "月", 6, ledger.Months}, {"", "", 0, ""}} {
		n, unit, _, rule := ledger.ShelfLife(c.v, c.u)
		if n != c.n || unit != c.unit || rule != "" {
			t.Errorf("ShelfLife(%q, %q) = %d %q %q", c.v, c.u, n, unit, rule)
		}
	}
	if _, _, field, rule := ledger.ShelfLife("6", "周"); field != "shelf_life_unit" || rule == "" {
		t.Errorf("a week unit: %s %s", field, rule)
	}
}
