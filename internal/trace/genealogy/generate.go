package genealogy

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on hosts without a zoneinfo database
)

// NetworkSpec describes a synthetic farm-to-retail network. Zero counts get
// defaults scaled from Lots.
type NetworkSpec struct {
	Farms, Processors, Distributors, Retailers int
	// Lots is the number of harvest lots; the network has about ten events
	// per harvest lot.
	Lots int
	Seed int64
	// Days spreads the harvests over that many days (default Lots/1000,
	// between 1 and 365).
	Days int
	// Start is the first harvest day (default 2025-01-01 in Asia/Shanghai).
	Start time.Time
	// PerDocument is the number of events per document (default and maximum
	// 1000).
	PerDocument int
}

func (s NetworkSpec) withDefaults() NetworkSpec {
	def := func(v *int, d, lo int) {
		if *v <= 0 {
			*v = max(lo, d)
		}
	}
	def(&s.Farms, s.Lots/40, 2)
	def(&s.Processors, s.Lots/2000, 2)
	def(&s.Distributors, s.Lots/20000, 2)
	def(&s.Retailers, s.Lots/500, 3)
	def(&s.Days, min(365, s.Lots/1000), 1)
	if s.Start.IsZero() {
		s.Start = time.Date(2025, 1, 1, 0, 0, 0, 0, shanghai)
	}
	if s.PerDocument <= 0 || s.PerDocument > 1000 {
		s.PerDocument = 1000
	}
	return s
}

// The shape of the network: how lots mix, split and travel.
const (
	mixMin, mixMax     = 2, 3   // packed farm lots per processor lot
	palletKG           = 1200.0 // a processor lot heavier than this takes two pallets
	crossDockShare     = 0.5    // pallets a distributor forwards whole, in a load
	perLoadMin         = 2      // pallets per load, and lot portions per mixed pallet
	perLoadMax         = 3
	retailSplitShare   = 0.3 // received lot portions a retailer repacks under its own lot
	commodities        = 8   // items each farm can grow
	processorProducts  = 4   // items each processor makes
	maxSerial          = 10_000_000
	harvestItem        = 100 // farm item numbers: harvested (bulk) and packed
	packedItem         = 200
	productItem        = 300 // processor items
	retailItem         = 400 // retailer items
	documentContextURL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
)

// shanghai is the zone of the generated events and of TraceRows dates.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600) // China has kept UTC+8 without daylight saving since 1991
	}
	return loc
}()

// GenerateNetwork writes the network described by spec as EPCIS 2.0 JSON-LD
// documents of at most 1000 events, handing each to sink. The same spec
// always gives the same documents. Each harvest lot goes through:
//
//	farm:        harvest (ObjectEvent ADD) -> initial packing (TransformationEvent,
//	             the lot code FSMA 204 traces) -> shipping -> receiving and the
//	             incoming-goods check (inspecting) at a processor
//	processor:   mixing of 2–3 packed farm lots into one product lot (TransformationEvent)
//	             -> packing onto SSCC pallets (AggregationEvent ADD) -> shipping -> receiving
//	distributor: half the pallets forwarded whole in SSCC loads (nested aggregation),
//	             the others unpacked and their lots picked onto mixed SSCC pallets
//	retailer:    receiving, unpacking, and for some lots repacking under its own lot code
//
// so that the furthest retailer is tier 5 from a harvest lot (harvest lot,
// packed lot, product lot, pallet, load, retailer: six tiers).
func GenerateNetwork(spec NetworkSpec, sink func(doc []byte) error) error {
	if spec.Lots <= 0 {
		return errors.New("genealogy: a network needs lots")
	}
	s := spec.withDefaults()
	g := &generator{spec: s, rng: rand.New(rand.NewPCG(uint64(s.Seed), 0x9e3779b97f4a7c15)), sink: sink, serial: map[company]int{}}
	perDay := (s.Lots + s.Days - 1) / s.Days
	for day, first := 0, 0; first < s.Lots; day, first = day+1, first+perDay {
		if err := g.day(day, first, min(first+perDay, s.Lots)); err != nil {
			return err
		}
	}
	return g.flush()
}

type generator struct {
	spec   NetworkSpec
	rng    *rand.Rand
	sink   func([]byte) error
	wave   []*event // the day's events, sorted when the day is done
	doc    []*event
	events uint64
	serial map[company]int // next SSCC / reference document number per company
	lots   int             // processor lots made
	splits int             // retailer lots made
}

// portion is part of a lot on its way: which lot, how much, and since when
// it is where it is.
type portion struct {
	lot string
	kg  float64
}

// unit is a pallet or load in transit.
type unit struct {
	sscc     string
	contents []portion // a pallet's lots
	pallets  []*unit   // a load's pallets
	at       time.Time
}

func (g *generator) next(c company) int {
	g.serial[c]++
	return g.serial[c]
}

func (g *generator) hours(lo, hi float64) time.Duration {
	return time.Duration((lo + g.rng.Float64()*(hi-lo)) * float64(time.Hour))
}

func (g *generator) pick(n int) int { return g.rng.IntN(n) }

func kg(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

// day generates the harvest lots [first, last) harvested on one day and
// everything that happens to them downstream.
func (g *generator) day(day, first, last int) error {
	start := g.spec.Start.Add(time.Duration(day) * 24 * time.Hour)
	intake := map[int][]portion{} // processor -> packed farm lots received
	intakeAt := map[int]time.Time{}
	for i := first; i < last; i++ {
		farm := company{roleFarm, g.pick(g.spec.Farms)}
		item := (farm.index + g.pick(2)) % commodities
		proc := []int{farm.index % g.spec.Processors, (farm.index*7 + 3) % g.spec.Processors}[g.pick(2)]
		processor := company{roleProcessor, proc}
		t := start.Add(6*time.Hour + g.hours(0, 4))
		harvest := farm.lot(harvestItem+item, fmt.Sprintf("H%d", i))
		packed := farm.lot(packedItem+item, fmt.Sprintf("F%d", i))
		q := kg(200 + g.rng.Float64()*800)
		pq := kg(q * 0.95)
		g.add(&event{Type: "ObjectEvent", Action: "ADD", BizStep: "commissioning", Disposition: "active", at: t,
			QuantityList: []quantity{{harvest, q, "KGM"}}, ReadPoint: &id{farm.spot(1 + g.pick(9))}, BizLocation: &id{farm.site()}})
		t = t.Add(g.hours(1, 2))
		g.add(&event{Type: "TransformationEvent", BizStep: "packing", Disposition: "active", at: t,
			InputQuantityList: []quantity{{harvest, q, "KGM"}}, OutputQuantityList: []quantity{{packed, pq, "KGM"}},
			ReadPoint: &id{farm.spot(100)}, BizLocation: &id{farm.site()}})
		docs := []bizTransaction{{"desadv", farm.doc(g.next(farm))}}
		t = t.Add(g.hours(1, 2))
		g.ship(farm, processor, t, docs, quantity{packed, pq, "KGM"})
		t = t.Add(g.hours(3, 5))
		g.receive(farm, processor, t, docs, quantity{packed, pq, "KGM"})
		// The incoming-goods check (进货查验) of what was received.
		t = t.Add(g.hours(0.2, 1))
		g.add(&event{Type: "ObjectEvent", Action: "OBSERVE", BizStep: "inspecting", Disposition: "conformant", at: t,
			QuantityList: []quantity{{packed, pq, "KGM"}}, ReadPoint: &id{processor.spot(42)}, BizLocation: &id{processor.site()},
			BizTransactionList: []bizTransaction{{"testres", processor.doc(g.next(processor))}}})
		intake[proc] = append(intake[proc], portion{packed, pq})
		intakeAt[proc] = maxTime(intakeAt[proc], t)
	}
	dock := map[int][]*unit{} // distributor -> pallets received
	for _, proc := range sortedKeys(intake) {
		if err := g.process(company{roleProcessor, proc}, intake[proc], intakeAt[proc], dock); err != nil {
			return err
		}
	}
	for _, dist := range sortedKeys(dock) {
		if err := g.distribute(company{roleDistributor, dist}, dock[dist]); err != nil {
			return err
		}
	}
	return g.endWave()
}

// process mixes a processor's intake into product lots, palletises and ships
// them to distributors.
func (g *generator) process(p company, in []portion, ready time.Time, dock map[int][]*unit) error {
	g.rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	for len(in) > 0 {
		n := min(len(in), mixMin+g.pick(mixMax-mixMin+1))
		group := in[:n]
		in = in[n:]
		t := ready.Add(g.hours(2, 6))
		var inputs []quantity
		total := 0.0
		for _, f := range group {
			inputs = append(inputs, quantity{f.lot, f.kg, "KGM"})
			total += f.kg
		}
		g.lots++
		lot := p.lot(productItem+g.pick(processorProducts), fmt.Sprintf("P%d", g.lots))
		out := kg(total * 0.9)
		g.add(&event{Type: "TransformationEvent", BizStep: "commissioning", Disposition: "active", at: t,
			InputQuantityList: inputs, OutputQuantityList: []quantity{{lot, out, "KGM"}},
			ReadPoint: &id{p.spot(10 + g.pick(3))}, BizLocation: &id{p.site()},
			BizTransactionList: []bizTransaction{{"prodorder", p.doc(g.next(p))}}})
		pallets := 1
		if out > palletKG {
			pallets = 2
		}
		for k := 0; k < pallets; k++ {
			pal, err := g.newUnit(p, t.Add(g.hours(0.5, 1.5)))
			if err != nil {
				return err
			}
			pal.contents = []portion{{lot, kg(out / float64(pallets))}}
			g.pack(p, pal, "packing")
			dist := (p.index*3 + g.pick(2)) % g.spec.Distributors
			d := company{roleDistributor, dist}
			docs := []bizTransaction{{"po", d.doc(g.next(d))}, {"desadv", p.doc(g.next(p))}}
			pal.at = pal.at.Add(g.hours(1, 3))
			g.ship(p, d, pal.at, docs, pal.sscc)
			pal.at = pal.at.Add(g.hours(3, 8))
			g.receive(p, d, pal.at, docs, pal.sscc)
			dock[dist] = append(dock[dist], pal)
		}
	}
	return nil
}

// distribute forwards a distributor's pallets to retailers: whole pallets in
// loads, or lot portions picked onto mixed pallets.
func (g *generator) distribute(d company, pallets []*unit) error {
	var whole []*unit
	var picked []portion
	var pickedAt time.Time
	for _, pal := range pallets {
		if g.rng.Float64() < crossDockShare {
			whole = append(whole, pal)
			continue
		}
		t := pal.at.Add(g.hours(0.5, 2))
		g.unpack(d, pal, t)
		for _, c := range pal.contents {
			half := kg(c.kg / 2)
			picked = append(picked, portion{c.lot, half}, portion{c.lot, kg(c.kg - half)})
		}
		pickedAt = maxTime(pickedAt, t)
	}
	for len(whole) > 0 {
		n := min(len(whole), perLoadMin+g.pick(perLoadMax-perLoadMin+1))
		ready := time.Time{}
		for _, p := range whole[:n] {
			ready = maxTime(ready, p.at)
		}
		load, err := g.newUnit(d, ready.Add(g.hours(1, 3)))
		if err != nil {
			return err
		}
		load.pallets = whole[:n]
		whole = whole[n:]
		g.pack(d, load, "loading")
		g.deliver(d, load)
	}
	g.rng.Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
	for len(picked) > 0 {
		n := min(len(picked), perLoadMin+g.pick(perLoadMax-perLoadMin+1))
		pal, err := g.newUnit(d, pickedAt.Add(g.hours(1, 3)))
		if err != nil {
			return err
		}
		pal.contents = merge(picked[:n])
		picked = picked[n:]
		g.pack(d, pal, "packing")
		g.deliver(d, pal)
	}
	return nil
}

// deliver ships a load or pallet to a retailer, which receives and unpacks
// it and repacks some lots under its own lot codes.
func (g *generator) deliver(d company, u *unit) {
	r := company{roleRetailer, g.pick(g.spec.Retailers)}
	docs := []bizTransaction{{"po", r.doc(g.next(r))}, {"desadv", d.doc(g.next(d))}}
	t := u.at.Add(g.hours(0.5, 1.5))
	g.ship(d, r, t, docs, u.sscc)
	t = t.Add(g.hours(3, 6))
	g.receive(d, r, t, docs, u.sscc)
	t = t.Add(g.hours(0.5, 1))
	g.unpack(r, u, t)
	var goods []portion
	if u.pallets == nil {
		goods = u.contents
	}
	for _, p := range u.pallets {
		t = t.Add(g.hours(0.2, 0.5))
		g.unpack(r, p, t)
		goods = append(goods, p.contents...)
	}
	for _, c := range goods {
		if g.rng.Float64() >= retailSplitShare {
			continue
		}
		g.splits++
		lot := r.lot(retailItem+g.pick(commodities), fmt.Sprintf("R%d", g.splits))
		t = t.Add(g.hours(0.5, 3))
		g.add(&event{Type: "TransformationEvent", BizStep: "repackaging", Disposition: "active", at: t,
			InputQuantityList: []quantity{{c.lot, c.kg, "KGM"}}, OutputQuantityList: []quantity{{lot, kg(c.kg * 0.97), "KGM"}},
			ReadPoint: &id{r.spot(20)}, BizLocation: &id{r.site()}})
	}
}

func (g *generator) newUnit(c company, at time.Time) (*unit, error) {
	n := g.next(c)
	if n >= maxSerial {
		return nil, fmt.Errorf("genealogy: company %s ran out of SSCC serials", c.prefix())
	}
	return &unit{sscc: c.sscc(n), at: at}, nil
}

// pack records the aggregation of a unit's contents (lots, or pallets for a
// load) at its owner's site.
func (g *generator) pack(c company, u *unit, step string) {
	e := &event{Type: "AggregationEvent", Action: "ADD", BizStep: step, Disposition: "in_progress", at: u.at,
		ParentID: u.sscc, ReadPoint: &id{c.spot(30)}, BizLocation: &id{c.site()}}
	g.fill(e, u)
	g.add(e)
}

// unpack records taking a unit's contents out again.
func (g *generator) unpack(c company, u *unit, t time.Time) {
	e := &event{Type: "AggregationEvent", Action: "DELETE", BizStep: "unpacking", Disposition: "in_progress", at: t,
		ParentID: u.sscc, ReadPoint: &id{c.spot(31)}, BizLocation: &id{c.site()}}
	g.fill(e, u)
	g.add(e)
}

func (g *generator) fill(e *event, u *unit) {
	for _, p := range u.pallets {
		e.ChildEPCs = append(e.ChildEPCs, p.sscc)
	}
	for _, c := range u.contents {
		e.ChildQuantityList = append(e.ChildQuantityList, quantity{c.lot, c.kg, "KGM"})
	}
}

// ship records goods leaving from for to: an SSCC (string) or a lot
// quantity.
func (g *generator) ship(from, to company, t time.Time, docs []bizTransaction, goods any) {
	e := &event{Type: "ObjectEvent", Action: "OBSERVE", BizStep: "shipping", Disposition: "in_transit", at: t,
		ReadPoint: &id{from.spot(40)}, BizTransactionList: docs,
		SourceList:      []source{{"owning_party", from.party()}, {"location", from.site()}},
		DestinationList: []destination{{"owning_party", to.party()}, {"location", to.site()}}}
	setGoods(e, goods)
	g.add(e)
}

// receive records goods arriving at to from from.
func (g *generator) receive(from, to company, t time.Time, docs []bizTransaction, goods any) {
	e := &event{Type: "ObjectEvent", Action: "OBSERVE", BizStep: "receiving", Disposition: "in_progress", at: t,
		ReadPoint: &id{to.spot(41)}, BizLocation: &id{to.site()}, BizTransactionList: docs,
		SourceList:      []source{{"owning_party", from.party()}, {"location", from.site()}},
		DestinationList: []destination{{"owning_party", to.party()}, {"location", to.site()}}}
	setGoods(e, goods)
	g.add(e)
}

func setGoods(e *event, goods any) {
	switch v := goods.(type) {
	case string:
		e.EPCList = []string{v}
	case quantity:
		e.QuantityList = []quantity{v}
	}
}

// merge adds up portions of the same lot, keeping first-seen order.
func merge(ps []portion) []portion {
	var out []portion
	for _, p := range ps {
		i := slices.IndexFunc(out, func(o portion) bool { return o.lot == p.lot })
		if i < 0 {
			out = append(out, p)
			continue
		}
		out[i].kg = kg(out[i].kg + p.kg)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// add numbers an event and keeps it for the day's wave.
func (g *generator) add(e *event) {
	g.events++
	e.order = g.events
	e.EventID = eventID(g.spec.Seed, g.events)
	g.wave = append(g.wave, e)
}

// endWave puts the day's events in time order (so every object's events are
// captured in the order they happened) and fills documents with them.
func (g *generator) endWave() error {
	slices.SortFunc(g.wave, func(a, b *event) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.order, b.order))
	})
	for _, e := range g.wave {
		g.doc = append(g.doc, e)
		if len(g.doc) == g.spec.PerDocument {
			if err := g.flush(); err != nil {
				return err
			}
		}
	}
	g.wave = g.wave[:0]
	return nil
}

func (g *generator) flush() error {
	if len(g.doc) == 0 {
		return nil
	}
	for _, e := range g.doc {
		e.EventTime = e.at.In(shanghai).Format("2006-01-02T15:04:05.000-07:00")
		e.EventTimeZoneOffset = "+08:00"
	}
	b, err := json.Marshal(document{
		Context: []string{documentContextURL}, Type: "EPCISDocument", SchemaVersion: "2.0",
		CreationDate: g.doc[len(g.doc)-1].EventTime, Body: body{EventList: g.doc}})
	if err != nil {
		return err
	}
	g.doc = g.doc[:0]
	return g.sink(b)
}

// eventID is a version-4-shaped UUID URN drawn from the seed and the event's
// number, so that documents are reproducible.
func eventID(seed int64, n uint64) string {
	r := rand.New(rand.NewPCG(uint64(seed), n))
	a, b := r.Uint64(), r.Uint64()
	return fmt.Sprintf("urn:uuid:%08x-%04x-4%03x-%x%03x-%012x", a>>32, (a>>16)&0xffff, a&0xfff,
		8|(b>>62), (b>>48)&0xfff, b&0xffffffffffff)
}
