package filing

import (
	"context"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/settings"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// CategoryOther is the category for a product under none of the others; a
// filing under it names what it is (CategoryNote).
const CategoryOther = "other"

// Category is a key-commodity category the office may offer.
type Category struct {
	Code string
	// On says whether it is offered until the office decides otherwise.
	On bool
}

// Known lists the categories: the three the programme names first, then
// the other important-product classes of 国办发〔2015〕95号 that a county
// may add. Each is switched on or off by the setting SettingPrefix+code
// (1 or 0); "other" is always offered.
var Known = []Category{
	{"infant_formula", true},
	{"agri_inputs", true},
	{"building_materials", true},
	{"edible_agri", false},
	{"food", false},
	{"special_equipment", false},
	{"hazardous_chemicals", false},
	{"rare_earth", false},
}

// SettingPrefix begins the settings that switch categories on.
const SettingPrefix = "filing.category."

// Categories lists the categories offered now, in Known's order, with
// "other" last.
func Categories(ctx context.Context, q store.Queryer) ([]string, error) {
	var out []string
	for _, c := range Known {
		def := 0
		if c.On {
			def = 1
		}
		n, err := settings.Int(ctx, q, SettingPrefix+c.Code, def)
		if err != nil {
			return nil, err
		}
		if n == 1 {
			out = append(out, c.Code)
		}
	}
	return append(out, CategoryOther), nil
}

// SetCategories offers exactly the categories in on (unknown codes are a
// field error on "categories"); "other" is offered regardless. Only who may
// change settings may change them.
func SetCategories(ctx context.Context, db *store.DB, who *auth.User, on []string) error {
	if !who.Can(auth.PermCalendarWrite) {
		return fielderr.ErrForbidden
	}
	want := map[string]bool{}
	for _, c := range on {
		known := c == CategoryOther
		for _, k := range Known {
			known = known || k.Code == c
		}
		if !known {
			return fielderr.New("categories", "rule.filing.category")
		}
		want[c] = true
	}
	for _, c := range Known {
		v := 0
		if want[c.Code] {
			v = 1
		}
		if err := settings.SetInt(ctx, db, SettingPrefix+c.Code, v, 0, 1); err != nil {
			return err
		}
	}
	return nil
}
