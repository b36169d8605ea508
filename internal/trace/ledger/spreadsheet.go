package ledger

import (
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/sheet"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Import limits: a month of a busy shop's books fits many times over.
const (
	MaxImportBytes = 10 << 20
	MaxImportRows  = 5000
)

var importLimits = func() sheet.Limits {
	l := sheet.DefaultLimits
	l.MaxBytes, l.MaxRows = MaxImportBytes, MaxImportRows
	return l
}()

// columns are a kind's spreadsheet columns. Fields are the JSON names of
// the kind's input; the last four are only exported. Every column is text
// in the template, to keep codes, lots and dates as typed.
func columns(kind string) []sheet.Column {
	t := func(field, zh, en string, w float64, aliases ...string) sheet.Column {
		return sheet.Column{Field: field, ZH: zh, EN: en, Aliases: aliases, Width: w, Text: true}
	}
	var cols []sheet.Column
	if kind == KindSale {
		cols = append(cols,
			t("buyer_uscc", "购货者统一社会信用代码", "Buyer USCC", 24, "购货者信用代码", "购货单位统一社会信用代码", "客户统一社会信用代码", "buyeruscc"),
			t("buyer_name", "购货者名称", "Buyer", 30, "购货单位", "购买者名称", "客户名称", "buyername"),
			t("buyer_address", "购货者地址", "Buyer address", 30, "购货单位地址", "客户地址"),
			t("buyer_contact", "购货者联系方式", "Buyer contact", 16, "购货者电话", "客户联系方式", "联系方式", "联系电话"))
	} else {
		cols = append(cols,
			t("supplier_uscc", "供货者统一社会信用代码", "Supplier USCC", 24, "供货者信用代码", "供应商统一社会信用代码", "供货单位统一社会信用代码", "supplieruscc"),
			t("supplier_name", "供货者名称", "Supplier", 30, "供应商", "供应商名称", "供货单位", "供货者", "suppliername"),
			t("supplier_address", "供货者地址", "Supplier address", 30, "供应商地址", "供货单位地址"),
			t("supplier_contact", "供货者联系方式", "Supplier contact", 16, "供应商联系方式", "供货者电话", "联系方式", "联系电话"))
	}
	cols = append(cols,
		t("product_name", "产品名称", "Product", 24, "商品名称", "品名", "食品名称", "productname"),
		t("gtin", "商品条码", "GTIN", 16, "条码", "条形码", "barcode"),
		t("spec", "规格", "Specification", 12, "规格型号", "spec"),
		t("lot", "批号", "Lot", 14, "生产批号", "批次", "lotnumber", "batch"),
		t("quantity", "数量", "Quantity", 10, "进货数量", "销售数量", "qty"),
		t("unit", "单位", "Unit", 8, "计量单位", "uom"),
		t("production_date", "生产日期", "Production date", 12),
		t("shelf_life", "保质期", "Shelf life", 10),
		t("shelf_life_unit", "保质期单位", "Shelf-life unit", 10),
	)
	if kind == KindSale {
		cols = append(cols, t("sale_date", "销售日期", "Sale date", 12, "出货日期", "发货日期", "saledate"))
	} else {
		cols = append(cols, t("arrival_date", "进货日期", "Arrival date", 12, "到货日期", "收货日期", "进货时间", "arrivaldate"),
			t("licence_no", "供货者许可证编号", "Supplier licence number", 20, "许可证编号", "许可证号", "licenceno"))
	}
	cols = append(cols,
		t("test_report_no", "检验报告编号", "Test report number", 18, "检验报告号", "检测报告编号", "testreportno"),
		t("cert_no", "合格证编号", "Certificate number", 18, "合格证号", "承诺达标合格证编号", "合格证明编号", "certno"),
		t("invoice_no", "票据编号", "Invoice number", 18, "发票号", "发票编号", "票据号", "invoiceno"),
		t("note", "备注", "Note", 24),
		sheet.Column{ZH: "企业名称", EN: "Enterprise", Width: 30},
		sheet.Column{ZH: "批次标识", EN: "Lot identifier", Width: 50},
		sheet.Column{ZH: "保存期限至", EN: "Keep until", Width: 12},
		sheet.Column{ZH: "事件标识", EN: "Event ID", Width: 46},
	)
	return cols
}

// sheetName names a kind's sheet.
func sheetName(kind, lang string) string {
	en := sheet.English(lang)
	switch {
	case kind == KindSale && en:
		return "Sales"
	case kind == KindSale:
		return "销售记录"
	case en:
		return "Incoming checks"
	}
	return "进货查验记录"
}

// Template writes an empty import template for kind, headers in lang, with
// drop-down lists of units and shelf-life units.
func Template(w io.Writer, kind, lang string) error {
	units := make([]string, len(Units))
	for i, u := range Units {
		units[i] = UnitLabel(u, lang)
	}
	return sheet.Template(w, sheetName(kind, lang), columns(kind), lang, map[string][]string{
		"unit": units, "shelf_life_unit": {ShelfLifeLabel(Days, lang), ShelfLifeLabel(Months, lang)}}, MaxImportRows)
}

// Export writes every entry who may see that f selects (all pages) as an
// .xlsx file with headers in lang; the file imports again as it is.
func Export(ctx context.Context, q store.Queryer, who *auth.User, f Filter, w io.Writer, lang string) error {
	if !canRead(who) {
		return fielderr.ErrForbidden
	}
	f.Limit = MaxLimit
	next := sheet.Paged(MaxLimit, func(offset int) ([]Entry, error) {
		f.Offset = offset
		batch, _, err := List(ctx, q, who, f)
		return batch, err
	}, func(e Entry) ([]any, error) {
		shelf := ""
		if e.ShelfLife > 0 {
			shelf = strconv.Itoa(e.ShelfLife)
		}
		row := []any{e.PartyUSCC, e.PartyName, e.PartyAddress, e.PartyContact, e.ProductName, e.GTIN, e.Spec, e.Lot,
			e.Quantity, UnitLabel(e.Unit, lang), e.ProductionDate, shelf, ShelfLifeLabel(e.ShelfLifeUnit, lang), e.Date}
		if e.Kind == KindIncoming {
			row = append(row, e.LicenceNo)
		}
		return append(row, e.TestReportNo, e.CertNo, e.InvoiceNo, e.Note, e.EnterpriseName, e.LotID, e.RetainUntil, e.EventID), nil
	})
	return sheet.Export(w, sheetName(f.Kind, lang), columns(f.Kind), lang, next)
}

// ImportReport says what an import did: how many data rows it read, how
// many entries it recorded, and every bad cell when it recorded none.
type ImportReport struct {
	Rows     int              `json:"rows"`
	Inserted int              `json:"inserted"`
	Errors   []sheet.RowError `json:"errors"`
}

func (r *ImportReport) fail(e sheet.RowError) { r.Errors = append(r.Errors, e) }

func (r *ImportReport) err() error { return sheet.Errors(r.Errors).Err() }

// Import records the entries of an .xlsx file (the first sheet, a header
// row in Chinese or English as Template writes it) for the enterprise named
// by enterpriseID or enterpriseUSCC (an enterprise user's own). Every row is
// checked with the rules of RecordIncoming or RecordSale; if any row is bad
// nothing is recorded, and the report (and the returned fielderr.List)
// names each bad row, column and rule. Otherwise the entries are stored in
// one transaction and their events captured as one document.
func Import(ctx context.Context, db *store.DB, who *auth.User, kind, enterpriseID, enterpriseUSCC string, r io.Reader, size int64) (ImportReport, error) {
	var rep ImportReport
	if !canRecord(who) {
		return rep, fielderr.ErrForbidden
	}
	if kind != KindSale {
		kind = KindIncoming
	}
	ent, err := Enterprise(ctx, db, who, enterpriseID, enterpriseUSCC)
	if err != nil {
		return rep, err
	}
	cols := columns(kind)
	tab, ferr, err := sheet.Read(r, size, cols, []string{"quantity", "unit", dateField(kind)}, importLimits)
	if err != nil {
		return rep, err
	}
	if ferr != nil {
		rep.fail(*ferr)
		return rep, rep.err()
	}
	rep.Rows = len(tab.Rows)
	lang := who.Lang
	p := partyWord(kind)
	lk := newLookups()
	today := Today(ctx)
	entries := make([]Entry, 0, len(tab.Rows))
	for _, row := range tab.Rows {
		c := row.Cells
		bad := func(field, rule string, params ...any) {
			col := field
			if col == "documents" {
				col = "cert_no"
			}
			e := sheet.RowError{Row: row.N, Column: tab.Title(col, lang), Field: field, Rule: rule, Value: c[col]}
			if len(params) > 0 {
				var l fielderr.List
				l.Add(field, rule, params...)
				e.Params = l[0].Params
			}
			rep.fail(e)
		}
		in := input{kind: kind, partyUSCC: c[p+"_uscc"], partyName: c[p+"_name"], partyAddress: c[p+"_address"],
			partyContact: c[p+"_contact"], productName: c["product_name"], gtin: c["gtin"], spec: c["spec"], lot: c["lot"],
			unit: c["unit"], licenceNo: c["licence_no"], testReportNo: c["test_report_no"], certNo: c["cert_no"],
			invoiceNo: c["invoice_no"], note: c["note"]}
		ok := true
		if v := c["quantity"]; v != "" {
			n, err := strconv.ParseFloat(strings.ReplaceAll(width.Fold.String(v), ",", ""), 64)
			if err != nil {
				bad("quantity", "rule.number")
				ok = false
			}
			in.quantity = n
		}
		var dok bool
		if in.date, dok = SheetDate(c[dateField(kind)]); !dok {
			bad(dateField(kind), "rule.date.format")
			ok = false
		}
		if in.productionDate, dok = SheetDate(c["production_date"]); !dok {
			bad("production_date", "rule.date.format")
			ok = false
		}
		var field, rule string
		if in.shelfLife, in.shelfLifeUnit, field, rule = ShelfLife(c["shelf_life"], c["shelf_life_unit"]); rule != "" {
			bad(field, rule)
			ok = false
		}
		e, errs, err := prepare(ctx, db, in, ent, today, lk)
		if err != nil {
			return rep, err
		}
		for _, fe := range errs {
			// A cell already reported as unreadable is not reported again
			// as, say, missing.
			if !ok && (fe.Field == "quantity" || fe.Field == dateField(kind) || fe.Field == "production_date" ||
				fe.Field == "shelf_life" || fe.Field == "shelf_life_unit") {
				continue
			}
			var params []any
			for k, v := range fe.Params {
				params = append(params, k, v)
			}
			bad(fe.Field, fe.Rule, params...)
		}
		entries = append(entries, e)
	}
	if err := rep.err(); err != nil {
		return rep, err
	}
	who2 := audit.ActorFrom(ctx).ID
	now := store.Now()
	for i := range entries {
		e := &entries[i]
		e.ID = store.NewID()
		e.EventID = EventIDOf(e.ID)
		e.CreatedBy, e.CreatedAt = who2, now
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error { return storeWithEvents(ctx, tx, entries, "import") }); err != nil {
		return rep, err
	}
	rep.Inserted = len(entries)
	return rep, nil
}

var (
	dateSep   = regexp.MustCompile(`^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$`)
	dateRun   = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	excelBase = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
)

// SheetDate reads a date cell as a spreadsheet holds it: YYYY-MM-DD (or
// with / . 年月日), YYYYMMDD, or Excel's day number. An empty cell is "",
// true; anything else unreadable is "", false.
func SheetDate(s string) (string, bool) {
	s = strings.TrimSpace(width.Fold.String(s))
	if s == "" {
		return "", true
	}
	var y, m, d int
	if g := dateSep.FindStringSubmatch(s); g != nil {
		y, m, d = atoi(g[1]), atoi(g[2]), atoi(g[3])
	} else if g := dateRun.FindStringSubmatch(s); g != nil {
		y, m, d = atoi(g[1]), atoi(g[2]), atoi(g[3])
	} else if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 1 && n < 100000 {
		t := excelBase.AddDate(0, 0, int(n))
		return t.Format(time.DateOnly), true
	} else {
		return "", false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return "", false
	}
	return t.Format(time.DateOnly), true
}

var shelfRe = regexp.MustCompile(`^(\d+)\s*(天|日|个月|月|年|days?|months?|years?|d|m|y)?$`)

// ShelfLife reads a shelf life from its cell and its unit's cell: "180",
// "180天", "12个月", "2年" (as 24 months), with the unit's cell saying
// 天/月 (or day/month) when the number stands alone. Days are the default.
// An empty cell is no shelf life. A cell it cannot read gives the field and
// the rule to report.
func ShelfLife(value, unit string) (n int, u, field, rule string) {
	v := strings.ToLower(strings.TrimSpace(width.Fold.String(value)))
	if v == "" || v == "0" {
		return 0, "", "", ""
	}
	g := shelfRe.FindStringSubmatch(v)
	if g == nil {
		return 0, "", "shelf_life", "rule.integer"
	}
	n = atoi(g[1])
	word := g[2]
	if word == "" {
		word = strings.ToLower(strings.TrimSpace(width.Fold.String(unit)))
	}
	switch word {
	case "", "天", "日", "day", "days", "d":
		return n, Days, "", ""
	case "个月", "月", "month", "months", "m":
		return n, Months, "", ""
	case "年", "year", "years", "y":
		return n * 12, Months, "", ""
	}
	return 0, "", "shelf_life_unit", "rule.ledger.shelf_life_unit"
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
