package filing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
)

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func code(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(width.Fold.String(s)), ""))
}

// LotField names a lot's field in errors: lots.0.lot, lots.0.quantity …
func LotField(i int, name string) string { return fmt.Sprintf("lots.%d.%s", i, name) }

// check validates in and returns the filing's fields from it. categories
// are those offered; current is the category a filing being edited has,
// which stays allowed even if the office has since switched it off.
func check(ctx context.Context, q store.Queryer, in Input, categories []string, current string) (Filing, []Lot, fielderr.List, error) {
	var errs fielderr.List
	f := Filing{ProductName: clean(in.ProductName), Category: strings.TrimSpace(in.Category),
		CategoryNote: clean(in.CategoryNote), GTIN: code(in.GTIN), ProductCode: clean(width.Fold.String(in.ProductCode)),
		Spec: clean(in.Spec), Manufacturer: clean(in.Manufacturer), LicenceNo: code(in.LicenceNo),
		SupplierName: clean(in.SupplierName), SupplierUSCC: codes.NormalizeUSCC(in.SupplierUSCC),
		Documents: strings.TrimSpace(strings.ReplaceAll(in.Documents, "\r\n", "\n"))}
	fielderr.CheckText(&errs, "product_name", f.ProductName, true, 200)
	switch {
	case f.Category == "":
		errs.Add("category", "rule.required")
	case !slices.Contains(categories, f.Category) && f.Category != current:
		errs.Add("category", "rule.filing.category")
	case f.Category == CategoryOther:
		fielderr.CheckText(&errs, "category_note", f.CategoryNote, true, 100)
	default:
		f.CategoryNote = ""
	}
	if f.GTIN != "" {
		if err := codes.CheckGTIN(f.GTIN); err != nil {
			errs.Add("gtin", err.Error())
		}
	}
	fielderr.CheckText(&errs, "product_code", f.ProductCode, false, 100)
	if f.GTIN == "" && f.ProductCode == "" {
		errs.Add("gtin", "rule.filing.code")
	}
	fielderr.CheckText(&errs, "spec", f.Spec, true, 100)
	fielderr.CheckText(&errs, "manufacturer", f.Manufacturer, true, 200)
	if rule := registry.QuotedLicenceRule(f.LicenceNo); rule != "" {
		errs.Add("licence_no", rule)
	} else {
		fielderr.CheckText(&errs, "licence_no", f.LicenceNo, true, 100)
	}
	if f.SupplierUSCC != "" {
		var name string
		err := q.QueryRow(ctx, `SELECT name FROM enterprises WHERE uscc = ? ORDER BY created_at, id LIMIT 1`, f.SupplierUSCC).Scan(&name)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if cerr := codes.CheckUSCC(f.SupplierUSCC); cerr != nil {
				errs.Add("supplier_uscc", cerr.Error())
			}
		case err != nil:
			return f, nil, nil, err
		case f.SupplierName == "":
			f.SupplierName = name
		}
	}
	fielderr.CheckText(&errs, "supplier_name", f.SupplierName, true, 200)

	var lots []Lot
	switch {
	case len(in.Lots) == 0:
		errs.Add("lots", "rule.filing.lots")
	case len(in.Lots) > MaxLots:
		errs.Add("lots", "rule.filing.too_many_lots", "max", MaxLots)
	}
	for i, l := range in.Lots {
		if i >= MaxLots {
			break
		}
		lot := Lot{Lot: clean(width.Fold.String(l.Lot)), Quantity: l.Quantity, Unit: ledger.UnitOf(l.Unit)}
		fielderr.CheckText(&errs, LotField(i, "lot"), lot.Lot, true, 80)
		if math.IsNaN(lot.Quantity) || math.IsInf(lot.Quantity, 0) || lot.Quantity <= 0 || lot.Quantity >= 1e12 {
			errs.Add(LotField(i, "quantity"), "rule.ledger.quantity")
		}
		if lot.Unit == "" {
			errs.Add(LotField(i, "unit"), "rule.ledger.unit")
		}
		lots = append(lots, lot)
	}
	fielderr.CheckText(&errs, "documents", f.Documents, false, 2000)
	if f.Documents == "" && len(in.Files) == 0 {
		errs.Add("documents", "rule.filing.documents")
	}
	if len(in.Files) > MaxFiles {
		errs.Add("files", "rule.file.too_many", "max", MaxFiles)
	}
	return f, lots, errs, nil
}
