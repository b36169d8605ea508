package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
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

// RecalledLot is the yoghurt lot the demo recalls; the testing system's
// demo round finds it nonconforming.
var RecalledLot string

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

// loadTrace captures the demo supply chains and returns the lots made.
func loadTrace(ctx context.Context, db *store.DB, now time.Time) error {
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
		return err
	}
	meat, err := pick("%肉食品加工%", 1)
	if err != nil {
		return err
	}
	dairy, err := pick("%乳业%", 1)
	if err != nil {
		return err
	}
	trader, err := pick("%商贸%", 1)
	if err != nil {
		return err
	}
	shops, err := pick("%超市%", 2)
	if err != nil {
		return err
	}
	kitchens, err := pick("%餐饮%", 1)
	if err != nil {
		return err
	}
	hotels, err := pick("%酒店%", 1)
	if err != nil {
		return err
	}
	gtinOf := func(p party, fallback uint64) string {
		var g string
		_ = db.QueryRow(ctx, `SELECT gtin FROM products WHERE enterprise_id = ? AND gtin <> '' ORDER BY created_at, id LIMIT 1`, p.id).Scan(&g)
		if g == "" {
			g = codes.GTIN13FromSerial("6970", fallback)
		}
		return codes.GTIN14(g)
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
		animals := mustLot(co.uscc, "", "LIVESTOCK", fmt.Sprintf("H%s-%d", stamp, i+1))
		milk := mustLot(co.uscc, "", "CAMELMILK", fmt.Sprintf("M%s-%d", stamp, i+1))
		c.add(co, epcisEvent("ObjectEvent", day(42, 8), map[string]any{"action": "ADD", "bizStep": "commissioning", "disposition": "active",
			"bizLocation": map[string]any{"id": co.place()}, "quantityList": []any{qty(animals, float64(8+4*i), "H87"), qty(milk, float64(600+150*i), "LTR")}}))
		c.ship(co, meat[0], day(40-i, 7), fmt.Sprintf("L%s%d", stamp, i), qty(animals, float64(8+4*i), "H87"))
		c.ship(co, dairy[0], day(40-i, 6), fmt.Sprintf("M%s%d", stamp, i), qty(milk, float64(600+150*i), "LTR"))
		meatIn = append(meatIn, qty(animals, float64(8+4*i), "H87"))
		dairyIn = append(dairyIn, qty(milk, float64(600+150*i), "LTR"))
	}

	// Processing: all three herds into one lot of dried meat; the milk
	// into two yoghurt lots, the second of which is recalled.
	beef := mustLot("", gtinOf(meat[0], 1), "", "GR"+stamp)
	c.add(meat[0], epcisEvent("TransformationEvent", day(36, 9), map[string]any{"bizStep": "creating_class_instance", "disposition": "active",
		"bizLocation": map[string]any{"id": meat[0].place()}, "inputQuantityList": toList(meatIn),
		"outputQuantityList": []any{qty(beef, 640, "KGM")}}))
	yoghurtA := mustLot("", gtinOf(dairy[0], 2), "", "SN"+stamp+"A")
	yoghurtB := mustLot("", gtinOf(dairy[0], 2), "", "SN"+stamp+"B")
	RecalledLot = yoghurtB
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
	c.ship(trader[0], shops[1], day(29, 8), "T2"+stamp, qty(beef, 100, "KGM"), qty(yoghurtA, 500, "H87"), qty(yoghurtB, 400, "H87"))
	c.ship(trader[0], kitchens[0], day(28, 8), "T3"+stamp, qty(beef, 60, "KGM"), qty(yoghurtB, 200, "H87"))

	for _, owner := range c.order {
		doc := map[string]any{
			"@context": []any{schema.ContextURL}, "type": "EPCISDocument", "schemaVersion": "2.0",
			"creationDate": now.UTC().Format(time.RFC3339), "epcisBody": map[string]any{"eventList": c.docs[owner]},
		}
		if _, err := trace.Capture(ctx, db, normalise(doc), trace.Options{Owner: owner}); err != nil {
			return fmt.Errorf("demo trace events of %s: %w", owner, err)
		}
	}
	return loadRecall(ctx, db, now, shops[0])
}

// loadRecall opens the market supervision bureau's level-2 recall of the
// yoghurt lot three days ago; the first supermarket has taken its stock off
// the shelves, the others have yet to confirm.
func loadRecall(ctx context.Context, db *store.DB, now time.Time, shop party) error {
	officer, err := auth.UserByUsername(ctx, db, "officer-scj")
	if err != nil {
		return fmt.Errorf("demo recall officer: %w", err)
	}
	opened := now.Add(-72 * time.Hour)
	at := func(t time.Time) context.Context { return recall.WithClock(ctx, func() time.Time { return t }) }
	r, err := recall.Open(at(opened), db, officer, recall.OpenInput{EPC: RecalledLot, Level: 2,
		Reason: "抽检发现该批次酸奶菌落总数不合格（GB 19302-2010），责令召回。"})
	if err != nil {
		return fmt.Errorf("demo recall: %w", err)
	}
	full, err := recall.Get(at(opened), db, officer, r.ID)
	if err != nil {
		return err
	}
	for _, h := range full.Parties {
		if h.EnterpriseID != shop.id {
			continue
		}
		qty := 600.0
		_, err := recall.Confirm(at(opened.Add(20*time.Hour)), db, officer, r.ID, recall.ConfirmInput{
			HolderID: h.ID, Lot: RecalledLot, Action: recall.ActionRemoved, Quantity: &qty, UOM: "H87",
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
