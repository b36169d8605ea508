package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/clock"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
	"github.com/hallmark-platform/hallmark/internal/trace/schema"
)

// The banner's supply chains, as EPCIS events each enterprise would record:
// herders' co-operatives raise camels and sheep, the meat and dairy
// processors make them into dried meat and yoghurt, a trading company
// distributes, supermarkets, restaurants and hotel canteens sell and serve.
// One yoghurt lot is the one the demo recalls.

// party is an enterprise in a chain.
type party struct {
	id, uscc, name string
}

func (p party) uri() string   { return trace.PartyURI(p.uscc, "") }
func (p party) place() string { return trace.LocationURI(p.uscc) }

// RecalledLot is the yoghurt lot the demo loaded into db recalls; the
// testing system's demo round finds it nonconforming. Its code follows the
// day the demo was loaded, so it is read back from the store.
func RecalledLot(ctx context.Context, db *store.DB) (string, error) {
	var lot string
	err := db.QueryRow(ctx, `SELECT epc FROM recalls ORDER BY opened_at LIMIT 1`).Scan(&lot)
	if err != nil {
		return "", fmt.Errorf("the demo's recalled lot: %w", err)
	}
	return lot, nil
}

// chain collects events per recording enterprise.
type chain struct {
	docs  map[string][]any
	order []string
}

func (c *chain) add(owner party, ev map[string]any) {
	if _, ok := c.docs[owner.id]; !ok {
		c.order = append(c.order, owner.id)
	}
	c.docs[owner.id] = append(c.docs[owner.id], ev)
}

var cst = time.FixedZone("CST", 8*3600)

func epcisEvent(typ string, at time.Time, fields map[string]any) map[string]any {
	ev := map[string]any{"type": typ, "eventTime": at.In(cst).Format("2006-01-02T15:04:05.000-07:00"), "eventTimeZoneOffset": "+08:00"}
	for k, v := range fields {
		ev[k] = v
	}
	return ev
}

func qty(class string, n float64, uom string) map[string]any {
	return map[string]any{"epcClass": class, "quantity": n, "uom": uom}
}

func owning(p party) []any { return []any{map[string]any{"type": "owning_party", "source": p.uri()}} }
func owningTo(p party) []any {
	return []any{map[string]any{"type": "owning_party", "destination": p.uri()}}
}

// ship records the sender's shipping and the receiver's receiving of lots.
func (c *chain) ship(from, to party, at time.Time, doc string, lots ...map[string]any) {
	q := make([]any, len(lots))
	for i, l := range lots {
		q[i] = l
	}
	bt := []any{map[string]any{"type": "desadv", "bizTransaction": trace.IDBase + "/doc/" + from.uscc + "/desadv/" + doc}}
	c.add(from, epcisEvent("ObjectEvent", at, map[string]any{"action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
		"readPoint": map[string]any{"id": from.place()}, "quantityList": q, "bizTransactionList": bt,
		"sourceList": owning(from), "destinationList": owningTo(to)}))
	c.add(to, epcisEvent("ObjectEvent", at.Add(5*time.Hour), map[string]any{"action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
		"bizLocation": map[string]any{"id": to.place()}, "quantityList": q, "bizTransactionList": bt,
		"sourceList": owning(from), "destinationList": owningTo(to)}))
}

// loadTrace captures the demo supply chains and returns the parties the
// testing system's samples come from.
func loadTrace(ctx context.Context, db *store.DB, now time.Time) (labParties, error) {
	var lp labParties
	pick := func(pattern string, n int) ([]party, error) {
		rows, err := db.Query(ctx, `SELECT id, uscc, name FROM enterprises WHERE name LIKE ? AND status = 'active' ORDER BY created_at, id LIMIT ?`, pattern, n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []party
		for rows.Next() {
			var p party
			if err := rows.Scan(&p.id, &p.uscc, &p.name); err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		if len(out) < n {
			return nil, fmt.Errorf("demo trace: %d enterprises match %s, need %d", len(out), pattern, n)
		}
		return out, rows.Err()
	}
	coops, err := pick("%养殖专业合作社", 3)
	if err != nil {
		return lp, err
	}
	meat, err := pick("%肉食品加工%", 1)
	if err != nil {
		return lp, err
	}
	dairy, err := pick("%乳业%", 1)
	if err != nil {
		return lp, err
	}
	trader, err := pick("%商贸%", 1)
	if err != nil {
		return lp, err
	}
	shops, err := pick("%超市%", 2)
	if err != nil {
		return lp, err
	}
	kitchens, err := pick("%餐饮%", 1)
	if err != nil {
		return lp, err
	}
	hotels, err := pick("%酒店%", 1)
	if err != nil {
		return lp, err
	}

	c := &chain{docs: map[string][]any{}}
	day := func(d int, hour int) time.Time {
		t := now.In(cst).AddDate(0, 0, -d)
		return time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, cst)
	}
	stamp := day(40, 0).Format("20060102")

	// Herds: each co-operative raises a lot of camels or sheep and sends
	// it to the meat or the dairy processor.
	var meatIn, dairyIn []map[string]any
	for i, co := range coops {
		animals := mustLot(co.uscc, "", "活畜", fmt.Sprintf("H%s-%d", stamp, i+1))
		milk := mustLot(co.uscc, "", "生驼乳", fmt.Sprintf("M%s-%d", stamp, i+1))
		c.add(co, epcisEvent("ObjectEvent", day(42, 8), map[string]any{"action": "ADD", "bizStep": "commissioning", "disposition": "active",
			"bizLocation": map[string]any{"id": co.place()}, "quantityList": []any{qty(animals, float64(8+4*i), "H87"), qty(milk, float64(600+150*i), "LTR")}}))
		c.ship(co, meat[0], day(40-i, 7), fmt.Sprintf("L%s%d", stamp, i), qty(animals, float64(8+4*i), "H87"))
		c.ship(co, dairy[0], day(40-i, 6), fmt.Sprintf("M%s%d", stamp, i), qty(milk, float64(600+150*i), "LTR"))
		meatIn = append(meatIn, qty(animals, float64(8+4*i), "H87"))
		dairyIn = append(dairyIn, qty(milk, float64(600+150*i), "LTR"))
	}

	// Processing: all three herds into one lot of dried meat; the milk
	// into two yoghurt lots, the second of which is recalled.
	jerky, err := productOf(ctx, db, meat[0], "风干驼肉", "肉制品", 990_002, false)
	if err != nil {
		return lp, err
	}
	beef := mustLot("", codes.GTIN14(jerky.GTIN), "", "GR"+stamp)
	c.add(meat[0], epcisEvent("TransformationEvent", day(36, 9), map[string]any{"bizStep": "creating_class_instance", "disposition": "active",
		"bizLocation": map[string]any{"id": meat[0].place()}, "inputQuantityList": toList(meatIn),
		"outputQuantityList": []any{qty(beef, 640, "KGM")}}))
	yoghurtProduct, err := productOf(ctx, db, dairy[0], "风味发酵乳（酸奶）", "发酵乳", 990_001, true)
	if err != nil {
		return lp, err
	}
	yoghurtA := mustLot("", codes.GTIN14(yoghurtProduct.GTIN), "", "SN"+stamp+"A")
	yoghurtB := mustLot("", codes.GTIN14(yoghurtProduct.GTIN), "", "SN"+stamp+"B")
	c.add(dairy[0], epcisEvent("TransformationEvent", day(37, 10), map[string]any{"bizStep": "creating_class_instance", "disposition": "active",
		"bizLocation": map[string]any{"id": dairy[0].place()}, "inputQuantityList": toList(dairyIn[:2]),
		"outputQuantityList": []any{qty(yoghurtA, 1200, "H87")}}))
	c.add(dairy[0], epcisEvent("TransformationEvent", day(36, 10), map[string]any{"bizStep": "creating_class_instance", "disposition": "active",
		"bizLocation": map[string]any{"id": dairy[0].place()}, "inputQuantityList": toList(dairyIn[1:]),
		"outputQuantityList": []any{qty(yoghurtB, 1500, "H87")}}))

	// Distribution: the trading company buys both, and sells on to the
	// supermarkets, a restaurant and a hotel canteen.
	c.ship(meat[0], trader[0], day(33, 8), "GR"+stamp, qty(beef, 400, "KGM"))
	c.ship(meat[0], hotels[0], day(33, 9), "GR"+stamp+"H", qty(beef, 120, "KGM"))
	c.ship(dairy[0], trader[0], day(34, 8), "SN"+stamp, qty(yoghurtA, 1000, "H87"), qty(yoghurtB, 1400, "H87"))
	c.ship(trader[0], shops[0], day(30, 8), "T1"+stamp, qty(beef, 150, "KGM"), qty(yoghurtB, 600, "H87"))
	// The trading company's delivery to the second supermarket (the
	// demo's "shop" account) is in the books: its sales records and the
	// shop's incoming checks (loadDelivery).
	c.ship(trader[0], kitchens[0], day(28, 8), "T3"+stamp, qty(beef, 60, "KGM"), qty(yoghurtB, 200, "H87"))

	for _, owner := range c.order {
		doc := map[string]any{
			"@context": []any{schema.ContextURL}, "type": "EPCISDocument", "schemaVersion": "2.0",
			"creationDate": now.UTC().Format(time.RFC3339), "epcisBody": map[string]any{"eventList": c.docs[owner]},
		}
		if _, err := trace.Capture(ctx, db, normalise(doc), trace.Options{Owner: owner}); err != nil {
			return lp, fmt.Errorf("demo trace events of %s: %w", owner, err)
		}
	}
	if err := loadOutsideSupplier(ctx, db, trader[0], day(25, 9)); err != nil {
		return lp, err
	}
	if err := loadDelivery(clock.With(ctx, func() time.Time { return now }), db, trader[0], shops[1], day(29, 8), day(29, 13), []receipt{
		{gtin: codes.GTIN14(jerky.GTIN), lot: "GR" + stamp, quantity: 100, unit: "KGM", made: day(36, 0), shelfLife: 6, shelfUnit: ledger.Months},
		{gtin: codes.GTIN14(yoghurtProduct.GTIN), lot: "SN" + stamp + "A", quantity: 500, unit: "H87", made: day(37, 0), shelfLife: 21, shelfUnit: ledger.Days},
		{gtin: codes.GTIN14(yoghurtProduct.GTIN), lot: "SN" + stamp + "B", quantity: 400, unit: "H87", made: day(36, 0), shelfLife: 21, shelfUnit: ledger.Days},
	}); err != nil {
		return lp, err
	}
	return labParties{vegetableSellers: []string{shops[0].id, shops[1].id}, dairy: dairy[0].id, trader: trader[0].id,
		yoghurtProduct: yoghurtProduct.ID, yoghurtName: yoghurtProduct.Name, yoghurtA: yoghurtA, yoghurtB: yoghurtB, firstShop: shops[0].id}, nil
}

// receipt is one line of a delivery as an incoming check records it (the
// product's name is filled in from the register by its GTIN).
type receipt struct {
	gtin, lot string
	quantity  float64
	unit      string
	made      time.Time
	shelfLife int
	shelfUnit string
}

// loadDelivery records a wholesaler's delivery to a shop as both keep it:
// the supplier's sales records (销售记录) when it ships, the shop's incoming
// checks (进货查验) when it arrives, each lot with its production date,
// shelf life and the certificate and invoice numbers. An officer records
// them here; the enterprises' own accounts would do the same through the
// forms, the API or a spreadsheet.
func loadDelivery(ctx context.Context, db *store.DB, supplier, shop party, shipped, arrived time.Time, lines []receipt) error {
	officer, err := auth.UserByUsername(ctx, db, "officer-scj")
	if err != nil {
		return err
	}
	for i, l := range lines {
		cert := fmt.Sprintf("HGZ-%s-%02d", l.lot, i+1)
		invoice := "FP" + shipped.Format("20060102") + fmt.Sprintf("%03d", i+1)
		made := l.made.Format(time.DateOnly)
		if _, err := ledger.RecordSale(ctx, db, officer, ledger.SaleInput{EnterpriseID: supplier.id, BuyerUSCC: shop.uscc,
			GTIN: l.gtin, Lot: l.lot, Quantity: l.quantity, Unit: l.unit, ProductionDate: made, ShelfLife: l.shelfLife,
			ShelfLifeUnit: l.shelfUnit, SaleDate: shipped.Format(time.DateOnly), CertNo: cert, InvoiceNo: invoice}); err != nil {
			return fmt.Errorf("demo sale of %s: %w", l.lot, err)
		}
		if _, err := ledger.RecordIncoming(ctx, db, officer, ledger.IncomingInput{EnterpriseID: shop.id, SupplierUSCC: supplier.uscc,
			GTIN: l.gtin, Lot: l.lot, Quantity: l.quantity, Unit: l.unit, ProductionDate: made, ShelfLife: l.shelfLife,
			ShelfLifeUnit: l.shelfUnit, ArrivalDate: arrived.Format(time.DateOnly), CertNo: cert, InvoiceNo: invoice}); err != nil {
			return fmt.Errorf("demo incoming check of %s: %w", l.lot, err)
		}
	}
	return nil
}

// loadOutsideSupplier records flour from a mill outside the banner, known
// only by its GS1 numbers: the trading company, which registered its own
// GLN, receives it, and the mill's name and plant come with the record as
// master data, so that trace pages name both.
func loadOutsideSupplier(ctx context.Context, db *store.DB, trader party, at time.Time) error {
	officer, err := auth.UserByUsername(ctx, db, "officer-scj")
	if err != nil {
		return err
	}
	body := "697123400001"
	gln := body + string(codes.GS1CheckDigit(body))
	if _, err := registry.UpdateEnterprise(ctx, db, officer, trader.id, registry.EnterprisePatch{GLN: &gln}); err != nil {
		return fmt.Errorf("demo trader GLN: %w", err)
	}
	const mill, plant = "urn:epc:id:pgln:6901234.00001", "urn:epc:id:sgln:6901234.00001.0"
	gtin := codes.GTIN14(codes.GTIN13FromSerial("6901234", 5678))
	flour := mustLot("", gtin, "", "MF"+at.In(cst).Format("20060102"))
	element := func(vtype, id, attr, text string) map[string]any {
		return map[string]any{"type": vtype, "vocabularyElementList": []any{map[string]any{"id": id,
			"attributes": []any{map[string]any{"id": "urn:epcglobal:cbv:mda#" + attr, "attribute": text}}}}}
	}
	doc := map[string]any{
		"@context": []any{schema.ContextURL}, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": at.UTC().Format(time.RFC3339),
		"epcisHeader": map[string]any{"epcisMasterData": map[string]any{"vocabularyList": []any{
			element("urn:epcglobal:epcis:vtype:Party", mill, "name", "呼和浩特市塞外面粉有限公司（旗外供货商）"),
			element("urn:epcglobal:epcis:vtype:BusinessLocation", plant, "name", "塞外面粉有限公司生产车间"),
			element("urn:epcglobal:epcis:vtype:EPCClass", "https://id.gs1.org/01/"+gtin, "descriptionShort", "小麦粉（特一粉，25 kg）"),
		}}},
		"epcisBody": map[string]any{"eventList": []any{epcisEvent("ObjectEvent", at, map[string]any{
			"action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
			"bizLocation": map[string]any{"id": trader.place()}, "quantityList": []any{qty(flour, 2000, "KGM")},
			"bizTransactionList": []any{map[string]any{"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:6901234000016:SW" + at.In(cst).Format("0102")}},
			"sourceList":         []any{map[string]any{"type": "owning_party", "source": mill}, map[string]any{"type": "location", "source": plant}},
			"destinationList":    []any{map[string]any{"type": "owning_party", "destination": "https://id.gs1.org/417/" + gln}},
		})}},
	}
	if _, err := trace.Capture(ctx, db, normalise(doc), trace.Options{Owner: trader.id}); err != nil {
		return fmt.Errorf("demo outside supplier: %w", err)
	}
	return nil
}

// productOf is an enterprise's registered product of that name (with a
// GTIN), registered now when its random products happen not to include
// one, so that the lots the chain makes and the recall and the lab speak of
// are what they say.
func productOf(ctx context.Context, db *store.DB, owner party, name, category string, serial uint64, key bool) (*registry.Product, error) {
	var id string
	err := db.QueryRow(ctx, `SELECT id FROM products WHERE enterprise_id = ? AND name = ? AND gtin <> '' ORDER BY created_at, id LIMIT 1`,
		owner.id, name).Scan(&id)
	officer, uerr := auth.UserByUsername(ctx, db, "officer-scj")
	if uerr != nil {
		return nil, uerr
	}
	if err == nil {
		return registry.GetProduct(ctx, db, officer, id)
	}
	return registry.CreateProduct(ctx, db, officer, registry.ProductInput{EnterpriseID: owner.id, Name: name,
		GTIN: codes.GTIN13FromSerial("6970", serial), Category: category, KeyCommodity: key})
}

// loadRecall opens, three days ago, the market supervision bureau's level-2
// recall of the yoghurt lot its report found nonconforming, by confirming
// the recall proposal the report raised; the first supermarket has taken its
// stock off the shelves, the others have yet to confirm. The quality month's
// other proposal waits for the officer.
func loadRecall(ctx context.Context, db *store.DB, now time.Time, lot, shopID, report string) error {
	officer, err := auth.UserByUsername(ctx, db, "officer-scj")
	if err != nil {
		return fmt.Errorf("demo recall officer: %w", err)
	}
	if err := proposeRecalls(ctx, db); err != nil {
		return err
	}
	opened := now.Add(-72 * time.Hour)
	at := func(t time.Time) context.Context { return recall.WithClock(ctx, func() time.Time { return t }) }
	proposals, err := recall.ListProposals(ctx, db, officer, recall.ProposalPending)
	if err != nil {
		return err
	}
	var proposal string
	for _, p := range proposals {
		if p.EPC == lot {
			proposal = p.ID
		}
	}
	if proposal == "" {
		return fmt.Errorf("demo recall: no proposal for %s from report %s among %+v", lot, report, proposals)
	}
	r, err := recall.ConfirmProposal(at(opened), db, officer, proposal, 2,
		fmt.Sprintf("检验报告 %s：该批次发酵乳乳酸菌数不符合 GB 19302-2010，责令召回。", report))
	if err != nil {
		return fmt.Errorf("demo recall: %w", err)
	}
	full, err := recall.Get(at(opened), db, officer, r.ID)
	if err != nil {
		return err
	}
	for _, h := range full.Parties {
		if h.EnterpriseID != shopID {
			continue
		}
		qty := 600.0
		_, err := recall.Confirm(at(opened.Add(20*time.Hour)), db, officer, r.ID, recall.ConfirmInput{
			HolderID: h.ID, Lot: lot, Action: recall.ActionRemoved, Quantity: &qty, UOM: "H87",
			Note: "已全部下架封存，等待退回。", Complete: true})
		if err != nil {
			return fmt.Errorf("demo recall confirmation: %w", err)
		}
	}
	return nil
}

func toList(qs []map[string]any) []any {
	out := make([]any, len(qs))
	for i, q := range qs {
		out[i] = q
	}
	return out
}

// normalise gives a document built in Go the shape a decoded request has
// (numbers as json.Number), which is what capture validates and hashes.
func normalise(doc map[string]any) map[string]any {
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	m, err := trace.Decode(b)
	if err != nil {
		panic(err)
	}
	return m
}

// mustLot mints a lot identifier from values the demo chose valid.
func mustLot(owner, gtin, product, lot string) string {
	u, err := trace.LotURI(owner, gtin, product, lot)
	if err != nil {
		panic(err)
	}
	return u
}
