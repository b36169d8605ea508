package ledger_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/clock"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
)

func milkCheck(f *fixture) ledger.IncomingInput {
	return ledger.IncomingInput{SupplierUSCC: usccWhole, GTIN: gtinMilk, Spec: "250mL×24", Lot: "20240301A",
		Quantity: 40, Unit: "XBX", ProductionDate: day(20), ShelfLife: 6, ShelfLifeUnit: ledger.Months,
		ArrivalDate: day(2), LicenceNo: "SC10515292100011", TestReportNo: "WT2024-0311", CertNo: "HG-778", InvoiceNo: "No.00451"}
}

// events runs an EPCIS query as owner sees it and returns the events as the
// API would write them.
func events(t *testing.T, f *fixture, owner string, params url.Values) []map[string]any {
	t.Helper()
	q, err := trace.ParseQuery(params)
	if err != nil {
		t.Fatalf("query %v: %v", params, err)
	}
	page, err := q.Run(f.ctx, f.db, owner)
	if err != nil {
		t.Fatal(err)
	}
	out, err := trace.Render(f.ctx, f.db, page.Events, trace.FormatDigitalLink)
	if err != nil {
		t.Fatal(err)
	}
	var evs []map[string]any
	for _, v := range out {
		evs = append(evs, v.(map[string]any))
	}
	return evs
}

func TestIncomingCheckIsAReceivingEvent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		e, err := ledger.RecordIncoming(f.ctx, db, f.shopUser, milkCheck(f))
		if err != nil {
			t.Fatal(err)
		}
		// The registered supplier and product are filled in from the register.
		if e.PartyName != "阿拉善盟副食品批发有限公司" || e.PartyEnterpriseID != f.whole.ID || e.ProductName != "纯牛奶 250mL" {
			t.Fatalf("lookups: party %q (%q), product %q", e.PartyName, e.PartyEnterpriseID, e.ProductName)
		}
		if want := "https://id.gs1.org/01/06901234567892/10/20240301A"; e.LotID != want {
			t.Fatalf("lot id %s, want %s", e.LotID, want)
		}
		if e.CapturedAt == 0 || e.EventID != "urn:uuid:"+e.ID {
			t.Fatalf("captured %d, event %s", e.CapturedAt, e.EventID)
		}

		for _, params := range []url.Values{
			{"MATCH_anyEPCClass": {e.LotID}},
			{"EQ_bizStep": {"receiving"}},
			{"MATCH_epcClass": {"https://id.gs1.org/01/06901234567892"}}, // the GTIN's class holds its lots
			{"EQ_bizTransaction_testres": {trace.DocURI("testres", "WT2024-0311")}},
			{"EQ_source_owning_party": {trace.PartyPrefix + usccWhole}},
		} {
			evs := events(t, f, f.shop.ID, params)
			if len(evs) != 1 {
				t.Fatalf("%v: %d events, want 1", params, len(evs))
			}
			ev := evs[0]
			if ev["eventID"] != e.EventID || ev["bizStep"] != "receiving" || ev["disposition"] != "in_progress" || ev["action"] != "OBSERVE" {
				t.Fatalf("%v: event %v", params, ev)
			}
		}
		ev := events(t, f, f.shop.ID, url.Values{"EQ_eventID": {e.EventID}})[0]
		var got []string
		for _, bt := range ev["bizTransactionList"].([]any) {
			m := bt.(map[string]any)
			got = append(got, m["type"].(string)+" "+m["bizTransaction"].(string))
		}
		slices.Sort(got)
		want := []string{
			"cert " + trace.DocPrefix + "cert/HG-778",
			"cert " + trace.DocPrefix + "licence/SC10515292100011",
			"inv " + trace.DocPrefix + "inv/No.00451",
			"testres " + trace.DocPrefix + "testres/WT2024-0311",
		}
		if !slices.Equal(got, want) {
			t.Fatalf("bizTransactions %v, want %v", got, want)
		}
		b, _ := json.Marshal(ev)
		for _, s := range []string{`"destination":"` + trace.PartyPrefix + usccShop + `"`,
			`"bizLocation":{"id":"` + trace.LocationPrefix + usccShop + `"}`, `"uom":"XBX"`, `"quantity":40`,
			`"eventTime":"` + milkCheck(f).ArrivalDate + `T00:00:00+08:00"`} {
			if !strings.Contains(string(b), s) {
				t.Errorf("event lacks %s: %s", s, b)
			}
		}
		// Another enterprise's view of the EPCIS store does not hold it.
		if evs := events(t, f, f.other.ID, url.Values{"EQ_bizStep": {"receiving"}}); len(evs) != 0 {
			t.Fatalf("another enterprise sees %d events", len(evs))
		}
	})
}

// fields returns the field → rule pairs of a field error.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	list, ok := fielderr.As(err)
	if !ok {
		t.Fatalf("want a field error, got %v", err)
	}
	out := map[string]string{}
	for _, e := range list {
		out[e.Field] = e.Rule
	}
	return out
}

func TestIncomingCheckRefusalsNameTheField(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		_, err := ledger.RecordIncoming(f.ctx, db, f.shopUser, ledger.IncomingInput{
			SupplierUSCC: "91152201078371135Y", GTIN: "6901234567890", Quantity: 0, Unit: "斤",
			ArrivalDate: day(-3), ShelfLife: 5, ShelfLifeUnit: "week", LicenceNo: "SC123"})
		want := map[string]string{
			"supplier_uscc":   "rule.uscc.checksum",
			"supplier_name":   "rule.required",
			"gtin":            "rule.gs1.checksum",
			"product_name":    "rule.required",
			"lot":             "rule.ledger.lot_or_date",
			"quantity":        "rule.ledger.quantity",
			"unit":            "rule.ledger.unit",
			"arrival_date":    "rule.ledger.date_future",
			"shelf_life_unit": "rule.ledger.shelf_life_unit",
			"licence_no":      "rule.licence.sc.format",
		}
		got := fields(t, err)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		// No documents at all, a production date after arrival, a GTIN lot
		// that GS1 refuses.
		_, err = ledger.RecordIncoming(f.ctx, db, f.shopUser, ledger.IncomingInput{SupplierName: "个体户张三",
			ProductName: "鸡蛋", Quantity: 10, Unit: "千克", ProductionDate: day(1), ArrivalDate: day(3)})
		got = fields(t, err)
		if got["documents"] != "rule.ledger.documents" || got["production_date"] != "rule.ledger.produced_after" {
			t.Fatalf("got %v", got)
		}
		in := milkCheck(f)
		in.Lot = "批次一"
		if got := fields(t, mustErr(ledger.RecordIncoming(f.ctx, db, f.shopUser, in))); got["lot"] != "rule.ledger.lot_gs1" {
			t.Fatalf("got %v", got)
		}
		// Nothing was stored by any of these.
		list, total, err := ledger.List(f.ctx, db, f.officer, ledger.Filter{Kind: ledger.KindIncoming})
		if err != nil || total != 0 || len(list) != 0 {
			t.Fatalf("stored %d (%v)", total, err)
		}
	})
}

func mustErr(_ *ledger.Entry, err error) error { return err }

func TestSaleAndCheckNameOneLotWithoutGTIN(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		// The wholesaler sells lot 0301 of its own rice to the shop, and the
		// shop checks it in: both books name one lot, so the trace joins them.
		sale, err := ledger.RecordSale(f.ctx, db, f.wholeUser, ledger.SaleInput{BuyerUSCC: usccShop, ProductName: "东北大米",
			Spec: "10kg", Lot: "0301", Quantity: 20, Unit: "袋", SaleDate: day(5), CertNo: "HG-1"})
		if err != nil {
			t.Fatal(err)
		}
		check, err := ledger.RecordIncoming(f.ctx, db, f.shopUser, ledger.IncomingInput{SupplierUSCC: usccWhole,
			ProductName: "东北 大米", Lot: "0301", Quantity: 20, Unit: "XBG", ArrivalDate: day(4), InvoiceNo: "FP-9"})
		if err != nil {
			t.Fatal(err)
		}
		want := trace.LotPrefix + usccWhole + "/%E4%B8%9C%E5%8C%97%E5%A4%A7%E7%B1%B3/0301"
		if sale.LotID != want || check.LotID != want {
			t.Fatalf("lot ids %s and %s, want %s", sale.LotID, check.LotID, want)
		}
		if sale.PartyName != "巴彦浩特便民超市" || sale.PartyID != trace.PartyPrefix+usccShop {
			t.Fatalf("buyer %q %q", sale.PartyName, sale.PartyID)
		}
		evs := events(t, f, "", url.Values{"MATCH_anyEPCClass": {want}, "orderBy": {"eventTime"}, "orderDirection": {"ASC"}})
		if len(evs) != 2 || evs[0]["bizStep"] != "shipping" || evs[1]["bizStep"] != "receiving" {
			t.Fatalf("events %v", evs)
		}
		// The shop sells on what it checked in: its sale names the same lot.
		resale, err := ledger.RecordSale(f.ctx, db, f.shopUser, ledger.SaleInput{BuyerName: "巴彦浩特第一小学食堂",
			ProductName: "东北大米", Lot: "0301", Quantity: 2, Unit: "XBG", SaleDate: day(1)})
		if err != nil {
			t.Fatal(err)
		}
		if resale.LotID != want || resale.PartyID != trace.PartyByNamePrefix+"%E5%B7%B4%E5%BD%A6%E6%B5%A9%E7%89%B9%E7%AC%AC%E4%B8%80%E5%B0%8F%E5%AD%A6%E9%A3%9F%E5%A0%82" {
			t.Fatalf("resale lot %s party %s", resale.LotID, resale.PartyID)
		}
	})
}

func TestEnterpriseSeesOnlyItsOwnBooks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		mine, err := ledger.RecordIncoming(f.ctx, db, f.shopUser, milkCheck(f))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := ledger.RecordIncoming(f.ctx, db, f.otherUser, ledger.IncomingInput{SupplierName: "右旗面粉厂",
			ProductName: "面粉", ProductionDate: day(9), Quantity: 5, Unit: "KGM", ArrivalDate: day(3), CertNo: "C-1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.Get(f.ctx, db, f.shopUser, theirs.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("the shop reads another's entry: %v", err)
		}
		list, total, err := ledger.List(f.ctx, db, f.shopUser, ledger.Filter{Kind: ledger.KindIncoming})
		if err != nil || total != 1 || list[0].ID != mine.ID {
			t.Fatalf("the shop's list: %d %v", total, err)
		}
		// Naming another enterprise does not record for it.
		in := milkCheck(f)
		in.EnterpriseID = f.other.ID
		if got := fields(t, mustErr(ledger.RecordIncoming(f.ctx, db, f.shopUser, in))); got["enterprise_id"] != "rule.enterprise.unknown" {
			t.Fatalf("got %v", got)
		}
		// Officers see their own region's books only.
		if _, total, _ := ledger.List(f.ctx, db, f.officer, ledger.Filter{Kind: ledger.KindIncoming}); total != 1 {
			t.Fatalf("the left banner's officer sees %d", total)
		}
		if _, err := ledger.Get(f.ctx, db, f.right, mine.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("the right banner's officer reads the left's entry: %v", err)
		}
		// An officer records for an enterprise of the region by its USCC, not
		// for one outside it.
		in = milkCheck(f)
		in.EnterpriseUSCC = usccShop
		e, err := ledger.RecordIncoming(f.ctx, db, f.officer, in)
		if err != nil || e.EnterpriseID != f.shop.ID {
			t.Fatalf("officer records: %v", err)
		}
		in.EnterpriseUSCC = usccRight
		if got := fields(t, mustErr(ledger.RecordIncoming(f.ctx, db, f.officer, in))); got["enterprise_uscc"] != "rule.enterprise.unknown" {
			t.Fatalf("got %v", got)
		}
		// Filters: by text and by date.
		if _, total, _ := ledger.List(f.ctx, db, f.officer, ledger.Filter{Kind: ledger.KindIncoming, Q: "牛奶"}); total != 2 {
			t.Fatalf("q: %d", total)
		}
		if _, total, _ := ledger.List(f.ctx, db, f.officer, ledger.Filter{Kind: ledger.KindIncoming, From: day(1)}); total != 0 {
			t.Fatalf("from: %d", total)
		}
		if _, _, err := ledger.List(f.ctx, db, f.officer, ledger.Filter{Kind: ledger.KindIncoming, To: "soon"}); fields(t, err)["to"] != "rule.date.format" {
			t.Fatalf("to: %v", err)
		}
	})
}

func TestRetention(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		date, produced string
		life           int
		unit           string
		expiry, keep   string
	}{
		// 第五十条: six months after the shelf life ends …
		{"2024-03-10", "2024-03-01", 6, ledger.Months, "2024-09-01", "2025-03-01"},
		{"2024-03-10", "2024-03-01", 30, ledger.Days, "2024-03-31", "2024-09-30"},
		// … counted from the arrival when the production date is unknown …
		{"2024-03-10", "", 10, ledger.Days, "2024-03-20", "2024-09-20"},
		// … month ends kept in the month …
		{"2024-01-31", "2023-08-31", 6, ledger.Months, "2024-02-29", "2024-08-29"},
		// … and two years without a shelf life.
		{"2024-02-29", "", 0, "", "", "2026-02-28"},
	} {
		expiry, keep := ledger.Retention(c.date, c.produced, c.life, c.unit)
		if expiry != c.expiry || keep != c.keep {
			t.Errorf("%v: expiry %s keep %s", c, expiry, keep)
		}
	}
}

// "Today", after which no date may lie, is the context's clock's: a server
// run with a clock of its own, or a demo loaded as of another day, records
// by that day.
func TestEntryDatesFollowTheContextClock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		in := milkCheck(f)
		in.ArrivalDate = day(-5) // five days from now
		if got := fields(t, mustErr(ledger.RecordIncoming(f.ctx, db, f.shopUser, in))); got["arrival_date"] != "rule.ledger.date_future" {
			t.Fatalf("arrival in five days: %v", got)
		}
		ahead := clock.With(f.ctx, func() time.Time { return time.Now().AddDate(0, 0, 10) })
		if _, err := ledger.RecordIncoming(ahead, db, f.shopUser, in); err != nil {
			t.Fatalf("arrival five days before the clock's today: %v", err)
		}
	})
}

// Every unit is shown by a name that reads after any number in either
// language, and that name (as a spreadsheet's drop-down offers it) reads
// back as the unit.
func TestUnitNamesReadBack(t *testing.T) {
	t.Parallel()
	for _, u := range ledger.Units {
		for _, lang := range []string{"zh-CN", "en"} {
			name := ledger.UnitLabel(u, lang)
			if name == u {
				t.Errorf("%s has no %s name", u, lang)
			}
			if got := ledger.UnitOf(name); got != u {
				t.Errorf("%s's %s name %q reads back as %q", u, lang, name, got)
			}
		}
	}
	for in, want := range map[string]string{"l": "LTR", "ML": "MLT", "公斤": "KGM", "kilogram": "KGM", "pieces": "H87", "Box": "XBX"} {
		if got := ledger.UnitOf(in); got != want {
			t.Errorf("UnitOf(%q) = %q, want %s", in, got, want)
		}
	}
	if got := ledger.UnitLabel("EA", "en"); got != "each" {
		t.Errorf("EA in English: %q", got)
	}
}
