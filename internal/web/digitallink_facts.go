package web

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/workday"
	"github.com/hallmark-platform/hallmark/locales"
)

// publicFacts is what anyone who scans a code may learn about it: the
// product, who made it, the lot, its dates, where its inputs came from, the
// public steps of its journey, test reports and whether it is recalled.
// Business documents, quantities and other parties' stock are never in it.
type publicFacts struct {
	ID     string `json:"id"`   // canonical identifier (https://id.gs1.org/…)
	Link   string `json:"link"` // the same on this platform
	Kind   string `json:"kind"` // lot, serial, product
	GTIN   string `json:"gtin"`
	Lot    string `json:"lot,omitempty"`
	Serial string `json:"serial,omitempty"`
	CPV    string `json:"cpv,omitempty"`

	Product  publicProduct `json:"product"`
	Producer string        `json:"producer,omitempty"`

	ProductionDate string `json:"productionDate,omitempty"` // YYYY-MM-DD
	ExpiryDate     string `json:"expiryDate,omitempty"`
	BestBeforeDate string `json:"bestBeforeDate,omitempty"`

	Origins     []publicOrigin `json:"origins"`
	Events      []publicEvent  `json:"events"`
	MoreEvents  bool           `json:"moreEvents,omitempty"`
	Lots        []publicLotRef `json:"lots,omitempty"` // product pages: lots seen in events
	TestReports []testReport   `json:"testReports"`
	Recall      *publicRecall  `json:"recall"`

	// LabelsHref is the label sheet of a lot, for signed-in users who print.
	LabelsHref string `json:"-"`
}

type publicProduct struct {
	Name     string `json:"name,omitempty"`
	Category string `json:"category,omitempty"`
	// Source says where the name came from: the registry, the events, an
	// enterprise's books, or master data sent with events.
	Source string `json:"source,omitempty"`
}

type publicEvent struct {
	Time     int64  `json:"-"`
	TimeText string `json:"eventTime"`
	BizStep  string `json:"bizStep,omitempty"`
	Step     string `json:"step"`
	Place    string `json:"place,omitempty"`
	Party    string `json:"party,omitempty"`
}

type publicOrigin struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	GTIN      string   `json:"gtin,omitempty"`
	Lot       string   `json:"lot,omitempty"`
	Suppliers []string `json:"suppliers,omitempty"`
}

type publicLotRef struct {
	Lot  string `json:"lot"`
	Href string `json:"href"`
}

// testReport is a published test report on the goods.
type testReport struct {
	Title string `json:"title"`
	Href  string `json:"href"`
	Date  string `json:"date,omitempty"`
}

// publicTestReports lists the test reports in force on a lot (抽检报告: the
// results of official sampling are public) for the public page and its
// linkset, each linking to the verification page where the holder of the
// printed report types its code.
func (s *Server) publicTestReports(ctx context.Context, t dlTarget, lang string) ([]testReport, error) {
	out := []testReport{}
	if t.Kind != "lot" {
		return out, nil
	}
	reports, err := lab.PublicReportsForLot(ctx, s.db, t.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range reports {
		out = append(out, testReport{
			Title: locales.T(lang, "lotpage.test_report", map[string]any{"number": r.Number, "version": r.Version,
				"institution": r.Institution, "conclusion": locales.T(lang, "lab.conclusion."+r.Conclusion, nil)}),
			Href: "/public/reports/verify?no=" + url.QueryEscape(r.Number),
			Date: workday.FormatDate(store.Time(r.IssuedAt))})
	}
	return out, nil
}

// How many events the public timeline shows, oldest first.
const publicEventLimit = 200

// publicFacts gathers the public facts of a target.
func (s *Server) publicFacts(ctx context.Context, t dlTarget, lang string) (*publicFacts, error) {
	f := &publicFacts{ID: t.ID, Kind: t.Kind, GTIN: t.GTIN, Lot: t.Lot, Serial: t.Serial, CPV: t.CPV,
		Origins: []publicOrigin{}, Events: []publicEvent{}}
	var err error
	if f.TestReports, err = s.publicTestReports(ctx, t, lang); err != nil {
		return nil, err
	}
	reg := newRegistryNames(s.db)
	if p, err := reg.product(ctx, t.GTIN); err != nil {
		return nil, err
	} else if p != nil {
		f.Product = publicProduct{Name: p.name, Category: p.category, Source: "registry"}
		f.Producer = p.enterprise
	}
	evs, more, err := s.publicEvents(ctx, t)
	if err != nil {
		return nil, err
	}
	f.MoreEvents = more
	owners := map[string]bool{}
	for _, e := range evs {
		owners[e.owner] = true
	}
	if err := reg.enterprises(ctx, owners); err != nil {
		return nil, err
	}
	for _, e := range evs {
		place, err := reg.partyName(ctx, e.place)
		if err != nil {
			return nil, err
		}
		party := reg.ownerName(lang, e.owner)
		if place == party {
			place = ""
		}
		f.Events = append(f.Events, publicEvent{Time: e.at, TimeText: e.timeText, BizStep: e.bizStep,
			Step: stepLabel(lang, e.bizStep, e.typ), Place: place, Party: party})
	}
	f.fillFromEvents(t, evs, reg)
	if t.Kind == "lot" {
		lf, err := reg.ledger(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		f.ProductionDate = cmp.Or(f.ProductionDate, dateOf(lf.production))
		f.ExpiryDate = cmp.Or(f.ExpiryDate, dateOf(lf.expiry))
		if f.Product.Name == "" && lf.product != "" {
			f.Product = publicProduct{Name: lf.product, Source: "ledger"}
		}
	}
	if f.Product.Name == "" && t.GTIN != "" {
		if name, err := reg.goodsName(ctx, t.ID, t.GTIN); err != nil {
			return nil, err
		} else if name != "" {
			f.Product = publicProduct{Name: name, Source: "master_data"}
		}
	}
	f.fillFromAttributes(t.DL)
	if t.Kind == "product" {
		f.Lots = productLots(t, evs)
		f.Events = f.Events[:0] // a product's page lists its lots, not every lot's journey
		f.MoreEvents = false
	} else if f.Origins, err = s.publicOrigins(ctx, t, reg); err != nil {
		return nil, err
	}
	if t.Kind == "lot" {
		f.LabelsHref = labelSheetHref(t)
	}
	if f.Recall, err = s.publicRecall(ctx, t); err != nil {
		return nil, err
	}
	return f, nil
}

// storedEvent is what the public page reads from one event.
type storedEvent struct {
	at                      int64
	timeText                string
	typ, bizStep, place     string
	owner                   string
	ilmd                    map[string]any
	ext                     map[string]any // top-level extension fields (prefix:name)
	outputs, sources        []string
	goods                   []string // every goods identifier the event names
	sourceTypes             []string
	commissions, transforms bool
}

// publicEvents reads the target's events, oldest first, without those an
// error declaration withdrew.
func (s *Server) publicEvents(ctx context.Context, t dlTarget) ([]storedEvent, bool, error) {
	// A lot's or item's journey reads from its start; a product's page
	// lists its most recent lots.
	dir := "ASC"
	if t.Kind == "product" {
		dir = "DESC"
	}
	q, err := trace.ParseQuery(url.Values{t.eventsParam(): {t.ID}, "orderBy": {"eventTime"},
		"orderDirection": {dir}, "perPage": {strconv.Itoa(publicEventLimit)}})
	if err != nil {
		return nil, false, err
	}
	page, err := q.Run(ctx, s.db, "")
	if err != nil {
		return nil, false, err
	}
	docs, err := trace.Render(ctx, s.db, page.Events, trace.FormatDigitalLink)
	if err != nil {
		return nil, false, err
	}
	var out []storedEvent
	for i, d := range docs {
		m, _ := d.(map[string]any)
		if m == nil || m["errorDeclaration"] != nil {
			continue
		}
		e := storedEvent{typ: str(m["type"]), bizStep: trace.BareCBV(str(m["bizStep"])), owner: page.Events[i].Owner}
		if at, err := time.Parse(time.RFC3339Nano, str(m["eventTime"])); err == nil {
			e.at = at.UnixMilli()
			e.timeText = at.UTC().Format(time.RFC3339)
		}
		e.place = idOf(m["bizLocation"])
		if e.place == "" {
			e.place = idOf(m["readPoint"])
		}
		e.ilmd, _ = m["ilmd"].(map[string]any)
		e.ext = map[string]any{}
		for k, v := range m {
			if strings.Contains(k, ":") && !strings.HasPrefix(k, "@") {
				e.ext[k] = v
			}
		}
		for _, o := range listOf(m["outputEPCList"]) {
			e.outputs = append(e.outputs, str(o))
		}
		for _, o := range listOf(m["outputQuantityList"]) {
			e.outputs = append(e.outputs, str(mapOf(o)["epcClass"]))
		}
		for _, k := range []string{"epcList", "childEPCs", "inputEPCList", "outputEPCList"} {
			for _, o := range listOf(m[k]) {
				e.goods = append(e.goods, str(o))
			}
		}
		for _, k := range []string{"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"} {
			for _, o := range listOf(m[k]) {
				e.goods = append(e.goods, str(mapOf(o)["epcClass"]))
			}
		}
		for _, src := range listOf(m["sourceList"]) {
			e.sources = append(e.sources, str(mapOf(src)["source"]))
			e.sourceTypes = append(e.sourceTypes, trace.BareCBV(str(mapOf(src)["type"])))
		}
		e.commissions = e.bizStep == "commissioning" || e.bizStep == "creating_class_instance"
		e.transforms = e.typ == "TransformationEvent"
		out = append(out, e)
	}
	return out, page.NextToken != "", nil
}

// fillFromEvents takes what the registry did not give from the events: the
// product's name and the producer (the party that commissioned the goods or
// made them in a transformation), and the lot's dates from its master data.
func (f *publicFacts) fillFromEvents(t dlTarget, evs []storedEvent, reg *registryNames) {
	for _, e := range evs {
		makes := e.commissions || e.transforms && slices.ContainsFunc(e.outputs, func(o string) bool { return sameID(o, t.ID) })
		if makes && f.Producer == "" {
			f.Producer = reg.enterpriseName(e.owner)
			for i, typ := range e.sourceTypes {
				if f.Producer == "" && (typ == "owning_party" || typ == "possessing_party") {
					f.Producer = placeLabel(e.sources[i])
				}
			}
		}
		for _, m := range []map[string]any{e.ilmd, e.ext} {
			for k, v := range m {
				local := k[strings.LastIndexByte(k, ':')+1:]
				date := dateOf(str(v))
				switch {
				case date == "":
				case slices.Contains(productionNames, local) && f.ProductionDate == "":
					f.ProductionDate = date
				case slices.Contains(expiryNames, local) && f.ExpiryDate == "":
					f.ExpiryDate = date
				case local == "bestBeforeDate" && f.BestBeforeDate == "":
					f.BestBeforeDate = date
				}
				if f.Product.Name == "" && slices.Contains(productNameNames, local) && str(v) != "" {
					f.Product = publicProduct{Name: str(v), Source: "events"}
				}
			}
		}
	}
}

// Master data names (CBV 2.0 cbvmda: and the platform's own extension
// fields) that carry the dates and the product's name.
var (
	productionNames  = []string{"productionDate", "manufacturingDate", "manufactureDate"}
	expiryNames      = []string{"itemExpirationDate", "expirationDate", "expiryDate", "useByDate"}
	productNameNames = []string{"regulatedProductName", "descriptionShort", "tradeItemDescription", "productName"}
)

// fillFromAttributes reads the dates a scanned code carries itself as
// Digital Link data attributes (?11=… production, ?17=… expiry, ?15=… best
// before) when the events gave none.
func (f *publicFacts) fillFromAttributes(d codes.DigitalLink) {
	for _, a := range d.Attributes {
		date := gs1Date(a.Value)
		switch {
		case a.AI == "11" && f.ProductionDate == "":
			f.ProductionDate = date
		case a.AI == "17" && f.ExpiryDate == "":
			f.ExpiryDate = date
		case a.AI == "15" && f.BestBeforeDate == "":
			f.BestBeforeDate = date
		}
	}
}

// gs1Date reads a GS1 YYMMDD date: the century is the one that puts the
// year within 49 years ahead or 50 behind the current year (GS1 General
// Specifications 7.12); day 00 is the last day of the month.
func gs1Date(v string) string {
	if len(v) != 6 {
		return ""
	}
	yy, _ := strconv.Atoi(v[:2])
	mm, _ := strconv.Atoi(v[2:4])
	dd, _ := strconv.Atoi(v[4:])
	now := time.Now().Year()
	year := now/100*100 + yy
	switch diff := yy - now%100; {
	case diff >= 51:
		year -= 100
	case diff <= -50:
		year += 100
	}
	if dd == 0 {
		dd = time.Date(year, time.Month(mm)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	}
	return time.Date(year, time.Month(mm), dd, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// dateOf keeps the date of an xsd:date or xsd:dateTime value.
func dateOf(v string) string {
	if len(v) < 10 {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, v[:10]); err != nil {
		return ""
	}
	return v[:10]
}

// productLots lists the lots of the product that its events name, once
// each, in the order first seen.
func productLots(t dlTarget, evs []storedEvent) []publicLotRef {
	out := []publicLotRef{}
	seen := map[string]bool{}
	prefix := t.ID + "/10/"
	for _, e := range evs {
		for _, id := range e.goods {
			if !strings.HasPrefix(id, prefix) || seen[id] {
				continue
			}
			seen[id] = true
			d, err := codes.ParseDigitalLink(id)
			if err != nil {
				continue
			}
			if lt := targetOf(d); lt.Lot != "" {
				out = append(out, publicLotRef{Lot: lt.Lot, Href: lt.path()})
			}
		}
	}
	return out
}

// sameID compares identifiers in their canonical forms.
func sameID(a, b string) bool {
	if a == b {
		return true
	}
	ca, err := codes.CanonicalID(a)
	return err == nil && ca == b
}

// stepLabel names a business step in the visitor's language; a step the
// catalog does not know (a private vocabulary) is shown as it is.
func stepLabel(lang, bizStep, typ string) string {
	if bizStep == "" {
		if typ == "TransformationEvent" {
			return locales.T(lang, "lotpage.step.transforming", nil)
		}
		return locales.T(lang, "lotpage.step.none", nil)
	}
	if key := "lotpage.step." + bizStep; locales.Has(key) {
		return locales.T(lang, key, nil)
	}
	return bizStep
}

// placeLabel shows a place or party: a GLN by its number (and extension),
// anything else as its identifier.
func placeLabel(uri string) string {
	if uri == "" {
		return ""
	}
	d, err := codes.ParseDigitalLink(uri)
	if err != nil || d.PrimaryAI != "414" && d.PrimaryAI != "417" {
		return uri
	}
	s := "GLN " + d.PrimaryValue
	for _, q := range d.Qualifiers {
		if q.AI == "254" && q.Value != "0" {
			s += " · " + q.Value
		}
	}
	return s
}

func idOf(v any) string { return str(mapOf(v)["id"]) }

func str(v any) string {
	s, _ := v.(string)
	return s
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}
