package ledger

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strings"
	"time"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// Units are the units of measure a quantity may be given in: UN/ECE
// Recommendation 20 codes (with Recommendation 21 package codes, prefixed
// X), as EPCIS writes a quantity's uom.
var Units = []string{"KGM", "GRM", "TNE", "LTR", "MLT", "H87", "XBX", "XBG", "XBO", "XBJ", "XCX"}

// unitWords are the words a unit is shown with and read back from a
// spreadsheet: its Chinese name first, its English name second (a symbol, or
// a count noun with its plural in brackets, so that "1" and "400" both read
// right after a number).
var unitWords = map[string][]string{
	"KGM": {"千克", "kg", "公斤", "kilogram", "kgs"},
	"GRM": {"克", "g", "gram"},
	"TNE": {"吨", "t", "tonne"},
	"LTR": {"升", "L", "litre", "liter"},
	"MLT": {"毫升", "mL", "millilitre", "milliliter"},
	"H87": {"件", "pcs", "piece", "个", "只", "支", "盒", "pieces"},
	"XBX": {"箱", "box(es)", "box", "carton"},
	"XBG": {"袋", "bag(s)", "bag", "包"},
	"XBO": {"瓶", "bottle(s)", "bottle"},
	"XBJ": {"桶", "bucket(s)", "bucket"},
	"XCX": {"罐", "can(s)", "can", "听"},
}

// shownUnits name, Chinese then English, common codes that EPCIS documents
// from elsewhere use and the ledger does not offer for input.
var shownUnits = map[string][]string{
	"EA": {"个", "each"}, "C62": {"个", "unit(s)"}, "BX": {"箱", "box(es)"}, "CT": {"箱", "carton(s)"},
	"BG": {"袋", "bag(s)"}, "BO": {"瓶", "bottle(s)"}, "PK": {"包", "pack(s)"},
}

// UnitLabel is a unit's name in lang; a code it does not know is returned
// as it is.
func UnitLabel(unit, lang string) string {
	w, ok := unitWords[unit]
	if !ok {
		w, ok = shownUnits[unit]
	}
	if !ok {
		return unit
	}
	if strings.HasPrefix(lang, "en") {
		return w[1]
	}
	return w[0]
}

// ShelfLifeLabel is a shelf-life unit's name in lang.
func ShelfLifeLabel(unit, lang string) string {
	en := strings.HasPrefix(lang, "en")
	switch {
	case unit == Days && en:
		return "days"
	case unit == Days:
		return "天"
	case unit == Months && en:
		return "months"
	case unit == Months:
		return "个月"
	}
	return unit
}

// UnitOf reads a unit given as its code or one of its words; "" when it is
// neither.
func UnitOf(s string) string {
	s = strings.TrimSpace(width.Fold.String(s))
	up := strings.ToUpper(s)
	for _, u := range Units {
		if up == u {
			return u
		}
	}
	low := strings.ToLower(s)
	for u, words := range unitWords {
		for _, w := range words {
			if low == strings.ToLower(w) {
				return u
			}
		}
	}
	return ""
}

// Field limits.
const (
	maxName  = 200
	maxShort = 100
	maxNote  = 1000
	maxLot   = 80
	// maxShelfDays and maxShelfMonths bound a shelf life: ten years.
	maxShelfDays   = 3650
	maxShelfMonths = 120
)

// clean trims a one-line field and folds runs of white space.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// code folds a code typed or pasted (full-width digits, spaces) to its
// plain form.
func code(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(width.Fold.String(s)), ""))
}

// parseDate reads a civil date written YYYY-MM-DD.
func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// addMonths adds n months, keeping the day of the month where it exists and
// taking the month's last day where it does not (31 Jan + 1 month is 28 or
// 29 Feb, not 2 or 3 Mar).
func addMonths(t time.Time, n int) time.Time {
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(t.Day(), last), 0, 0, 0, 0, time.UTC)
}

// RetentionMonthsAfterExpiry and RetentionYearsWithoutShelfLife are the
// minimum keeping periods of 食品安全法 第五十条 (and by 第五十三条 of a
// trader's records): six months after the shelf life ends, or two years when
// there is no shelf life.
const (
	RetentionMonthsAfterExpiry     = 6
	RetentionYearsWithoutShelfLife = 2
)

// Retention computes the expiry date and the last day the record must be
// kept. The shelf life runs from the production date, or, lacking one, from
// date (the arrival or sale date, later than production, so the period kept
// is never too short). Without a shelf life the record is kept two years
// from date.
func Retention(date, productionDate string, shelfLife int, unit string) (expiry, retainUntil string) {
	d, ok := parseDate(date)
	if !ok {
		return "", ""
	}
	if shelfLife <= 0 {
		return "", addMonths(d, 12*RetentionYearsWithoutShelfLife).Format(time.DateOnly)
	}
	start := d
	if p, ok := parseDate(productionDate); ok {
		start = p
	}
	var end time.Time
	if unit == Months {
		end = addMonths(start, shelfLife)
	} else {
		end = start.AddDate(0, 0, shelfLife)
	}
	return end.Format(time.DateOnly), addMonths(end, RetentionMonthsAfterExpiry).Format(time.DateOnly)
}

// lookups caches what validation reads from the register, so that an
// import of many rows asks once per supplier and product.
type lookups struct {
	parties  map[string]*party
	products map[string]string
}

type party struct {
	id, name, address, phone string
}

func newLookups() *lookups {
	return &lookups{parties: map[string]*party{}, products: map[string]string{}}
}

// party finds a registered enterprise by USCC, in any region: a supplier or
// buyer is named by its public code, whoever records it.
func (l *lookups) party(ctx context.Context, q store.Queryer, uscc string) (*party, error) {
	if p, ok := l.parties[uscc]; ok {
		return p, nil
	}
	var p party
	err := q.QueryRow(ctx, `SELECT id, name, address, contact_phone FROM enterprises WHERE uscc = ? ORDER BY created_at, id LIMIT 1`,
		uscc).Scan(&p.id, &p.name, &p.address, &p.phone)
	var found *party
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		found = &p
	}
	l.parties[uscc] = found
	return found, nil
}

// product finds a registered product's name by GTIN, however many leading
// zeros it was recorded with.
func (l *lookups) product(ctx context.Context, q store.Queryer, gtin string) (string, error) {
	if n, ok := l.products[gtin]; ok {
		return n, nil
	}
	g14 := codes.GTIN14(gtin)
	var forms []any
	for _, n := range []int{14, 13, 12, 8} {
		if strings.Trim(g14[:14-n], "0") == "" {
			forms = append(forms, g14[14-n:])
		}
	}
	var name string
	err := q.QueryRow(ctx, `SELECT name FROM products WHERE gtin IN (`+strings.Repeat(",?", len(forms))[1:]+
		`) ORDER BY created_at, id LIMIT 1`, forms...).Scan(&name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	l.products[gtin] = name
	return name, nil
}

// prepare checks an input and builds the entry it records. ent is the
// enterprise recording it (nil when that could not be resolved: the other
// fields are still checked, so every error shows at once). today is the
// calendar date in China.
func prepare(ctx context.Context, q store.Queryer, in input, ent *registry.Enterprise, today string, lk *lookups) (Entry, fielderr.List, error) {
	p := partyWord(in.kind)
	df := dateField(in.kind)
	var errs fielderr.List
	e := Entry{Kind: in.kind, PartyName: clean(in.partyName), PartyAddress: clean(in.partyAddress),
		PartyContact: clean(in.partyContact), ProductName: clean(in.productName), Spec: clean(in.spec),
		Lot: clean(width.Fold.String(in.lot)), Unit: UnitOf(in.unit), Quantity: in.quantity,
		ProductionDate: strings.TrimSpace(in.productionDate), ShelfLife: in.shelfLife,
		ShelfLifeUnit: strings.TrimSpace(in.shelfLifeUnit), Date: strings.TrimSpace(in.date),
		LicenceNo: code(in.licenceNo), TestReportNo: clean(width.Fold.String(in.testReportNo)),
		CertNo: clean(width.Fold.String(in.certNo)), InvoiceNo: clean(width.Fold.String(in.invoiceNo)),
		Note: strings.TrimSpace(strings.ReplaceAll(in.note, "\r\n", "\n"))}

	// The party: by USCC (checked, and looked up) or by name.
	var reg *party
	if u := codes.NormalizeUSCC(in.partyUSCC); u != "" {
		e.PartyUSCC = u
		var err error
		if reg, err = lk.party(ctx, q, u); err != nil {
			return e, nil, err
		}
		// A code that fails its checksum is accepted only as the register
		// holds it (an officer confirmed it was real).
		if cerr := codes.CheckUSCC(u); cerr != nil && reg == nil {
			errs.Add(p+"_uscc", cerr.Error())
		}
	}
	if reg != nil {
		e.PartyEnterpriseID = reg.id
		if e.PartyName == "" {
			e.PartyName = reg.name
		}
		if e.PartyAddress == "" {
			e.PartyAddress = reg.address
		}
		if e.PartyContact == "" {
			e.PartyContact = reg.phone
		}
	}
	fielderr.CheckText(&errs, p+"_name", e.PartyName, true, maxName)
	fielderr.CheckText(&errs, p+"_address", e.PartyAddress, false, maxName)
	fielderr.CheckText(&errs, p+"_contact", e.PartyContact, false, maxShort)

	// The product: by GTIN (checked, and its name looked up) or by name.
	if g := code(in.gtin); g != "" {
		e.GTIN = g
		if err := codes.CheckGTIN(g); err != nil {
			errs.Add("gtin", err.Error())
		} else if e.ProductName == "" {
			name, err := lk.product(ctx, q, g)
			if err != nil {
				return e, nil, err
			}
			e.ProductName = name
		}
	}
	fielderr.CheckText(&errs, "product_name", e.ProductName, true, maxName)
	fielderr.CheckText(&errs, "spec", e.Spec, false, maxShort)

	// 第五十条 asks for the production date or the lot number.
	fielderr.CheckText(&errs, "lot", e.Lot, false, maxLot)
	if e.Lot == "" && e.ProductionDate == "" {
		errs.Add("lot", "rule.ledger.lot_or_date")
	}
	if e.Lot != "" && e.GTIN != "" && !errs.Has("lot") {
		if err := codes.CheckAI("10", e.Lot); err != nil {
			errs.Add("lot", "rule.ledger.lot_gs1")
		}
	}
	switch {
	case math.IsNaN(e.Quantity) || math.IsInf(e.Quantity, 0) || e.Quantity <= 0:
		errs.Add("quantity", "rule.ledger.quantity")
	case e.Quantity >= 1e12:
		errs.Add("quantity", "rule.range", "min", 0, "max", "1e12")
	}
	if e.Unit == "" {
		errs.Add("unit", "rule.ledger.unit")
	}

	_, dateOK := parseDate(e.Date)
	switch {
	case e.Date == "":
		errs.Add(df, "rule.required")
	case !dateOK:
		errs.Add(df, "rule.date.format")
	case e.Date > today:
		errs.Add(df, "rule.ledger.date_future")
	}
	if e.ProductionDate != "" {
		switch _, ok := parseDate(e.ProductionDate); {
		case !ok:
			errs.Add("production_date", "rule.date.format")
		case e.ProductionDate > today:
			errs.Add("production_date", "rule.ledger.date_future")
		case dateOK && e.ProductionDate > e.Date:
			errs.Add("production_date", "rule.ledger.produced_after")
		}
	}
	switch {
	case e.ShelfLife < 0:
		errs.Add("shelf_life", "rule.range", "min", 0, "max", maxShelfDays)
	case e.ShelfLife == 0:
		e.ShelfLifeUnit = ""
	case e.ShelfLifeUnit != Days && e.ShelfLifeUnit != Months:
		errs.Add("shelf_life_unit", "rule.ledger.shelf_life_unit")
	case e.ShelfLifeUnit == Days && e.ShelfLife > maxShelfDays:
		errs.Add("shelf_life", "rule.range", "min", 0, "max", maxShelfDays)
	case e.ShelfLifeUnit == Months && e.ShelfLife > maxShelfMonths:
		errs.Add("shelf_life", "rule.range", "min", 0, "max", maxShelfMonths)
	}

	// The supplier's documents (索证索票): the licence, a test report, the
	// 合格证, an invoice, or a file; an incoming check needs at least one.
	if rule := registry.QuotedLicenceRule(e.LicenceNo); rule != "" {
		errs.Add("licence_no", rule)
	} else {
		fielderr.CheckText(&errs, "licence_no", e.LicenceNo, false, maxShort)
	}
	fielderr.CheckText(&errs, "test_report_no", e.TestReportNo, false, maxShort)
	fielderr.CheckText(&errs, "cert_no", e.CertNo, false, maxShort)
	fielderr.CheckText(&errs, "invoice_no", e.InvoiceNo, false, maxShort)
	fielderr.CheckText(&errs, "note", e.Note, false, maxNote)
	if in.kind == KindIncoming && e.LicenceNo == "" && e.TestReportNo == "" && e.CertNo == "" &&
		e.InvoiceNo == "" && len(in.files) == 0 {
		errs.Add("documents", "rule.ledger.documents")
	}
	if len(in.files) > MaxFiles {
		errs.Add("files", "rule.file.too_many", "max", MaxFiles)
	}

	if ent != nil && !errs.Has("gtin") && !errs.Has("lot") && !errs.Has("production_date") {
		if err := identify(ctx, q, &e, ent); err != nil {
			var fe fielderr.List
			if !errors.As(err, &fe) {
				return e, nil, err
			}
			errs = append(errs, fe...)
		}
	}
	if dateOK {
		e.ExpiryDate, e.RetainUntil = Retention(e.Date, e.ProductionDate, e.ShelfLife, e.ShelfLifeUnit)
	}
	return e, errs, nil
}

// identify fills in the entry's enterprise and the identifiers its event
// uses: the parties, and the lot. A lot without a lot number is named by
// its production date.
func identify(ctx context.Context, q store.Queryer, e *Entry, ent *registry.Enterprise) error {
	e.EnterpriseID, e.EnterpriseName, e.EnterpriseUSCC, e.RegionCode = ent.ID, ent.Name, ent.USCC, ent.RegionCode
	e.PartyID = trace.PartyURI(e.PartyUSCC, e.PartyName)
	e.ProductCode = trace.ProductCode(e.GTIN, e.ProductName)
	lot := e.Lot
	if lot == "" {
		lot = strings.ReplaceAll(e.ProductionDate, "-", "")
	}
	// Whose numbering a lot without a GTIN follows: the supplier's, for an
	// incoming check from a supplier with a USCC (so that its sale and this
	// check name one lot); for a sale, the lot as it came in, if this
	// enterprise checked it in; else the enterprise's own.
	owner := ent.USCC
	if e.GTIN == "" {
		switch {
		case e.Kind == KindIncoming && e.PartyUSCC != "":
			owner = e.PartyUSCC
		case e.Kind == KindSale && e.Lot != "":
			var id string
			err := q.QueryRow(ctx, `SELECT lot_id FROM ledger_entries WHERE enterprise_id = ? AND kind = ? AND product_code = ?
				AND lot = ? ORDER BY created_at DESC, id DESC LIMIT 1`, ent.ID, KindIncoming, e.ProductCode, e.Lot).Scan(&id)
			if err == nil {
				e.LotID = id
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
	}
	id, err := trace.LotURI(owner, e.GTIN, e.ProductName, lot)
	if err != nil {
		return fielderr.New("lot", "rule.ledger.lot_gs1")
	}
	e.LotID = id
	return nil
}
