package judge

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/text/width"
)

// unit is a unit of measure: the quantity it measures and its power of ten
// against that quantity's reference unit. Every conversion between units the
// catalogue uses is a power of ten, so converting is exact on decimal text.
type unit struct {
	kind string
	exp  int
}

// Quantities. A mass fraction (mg/kg) and a mass concentration (mg/L) are
// not converted into each other: that needs the sample's density, which a
// result does not carry, so such a pair is refused rather than guessed.
const (
	massFraction = "mass-fraction"      // reference mg/kg
	massConc     = "mass-concentration" // reference mg/L
	volFraction  = "volume-fraction"    // reference %vol
)

// units maps folded spellings (see foldUnit) to units. Counts of
// micro-organisms are each their own quantity: CFU/g and CFU/mL do not
// convert.
var units = map[string]unit{}

func init() {
	add := func(kind string, exp int, names ...string) {
		for _, n := range names {
			units[foldUnit(n)] = unit{kind, exp}
		}
	}
	add(massFraction, 0, "mg/kg", "ppm", "μg/g", "毫克/千克", "毫克/公斤")
	add(massFraction, -3, "μg/kg", "ng/g", "ppb", "微克/千克", "微克/公斤")
	add(massFraction, -6, "ng/kg", "pg/g", "纳克/千克")
	add(massFraction, 3, "g/kg", "mg/g", "克/千克", "克/公斤")
	add(massFraction, 4, "g/100g", "%", "克/100克")
	add(massFraction, 1, "mg/100g", "毫克/100克")
	add(massFraction, -2, "μg/100g", "微克/100克")
	add(massConc, 0, "mg/L", "μg/mL", "毫克/升")
	add(massConc, -3, "μg/L", "ng/mL", "微克/升")
	add(massConc, 3, "g/L", "mg/mL", "克/升")
	add(massConc, 4, "g/100mL", "克/100毫升")
	add(massConc, 1, "mg/100mL", "毫克/100毫升")
	add(volFraction, 0, "%vol", "%(v/v)", "% vol")
	for _, c := range []string{"CFU/g", "CFU/mL", "CFU/25g", "MPN/g", "MPN/100g", "MPN/mL", "MPN/100mL"} {
		add(c, 0, c)
	}
}

// basisRe matches the "expressed as" note of a unit, e.g. mg/kg（以Pb计）:
// it names the substance, not a different unit.
var basisRe = regexp.MustCompile(`\(以[^)]*计\)$`)

// foldUnit reduces the ways a unit gets typed to one spelling: full-width
// forms, case, spaces, the micro sign (µ, μ or u) and an "expressed as" note.
func foldUnit(s string) string {
	s = width.Fold.String(strings.TrimSpace(s))
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	s = strings.NewReplacer("µ", "u", "μ", "u", "（", "(", "）", ")", "／", "/", "％", "%").Replace(s)
	return basisRe.ReplaceAllString(s, "")
}

func lookupUnit(s string) (unit, bool) {
	u, ok := units[foldUnit(s)]
	return u, ok
}

// KnownUnit reports whether Convert knows u.
func KnownUnit(u string) bool {
	_, ok := lookupUnit(u)
	return ok
}

// SameUnit reports whether a and b are spellings of the same unit.
func SameUnit(a, b string) bool {
	ua, oka := lookupUnit(a)
	ub, okb := lookupUnit(b)
	if !oka || !okb {
		return foldUnit(a) == foldUnit(b)
	}
	return ua == ub
}

// ErrUnit is returned by Convert for a unit it does not know or a pair of
// units that measure different things.
var ErrUnit = errors.New("units cannot be converted")

// Convert converts decimal text value from unit from to unit to, exactly:
// Convert("21", "μg/kg", "mg/kg") is "0.021", Convert("0.5", "%", "g/100g")
// is "0.5". The result keeps the value's significant places. It refuses
// (ErrUnit) units it does not know and pairs that measure different things,
// such as mg/kg and mg/L.
func Convert(value, from, to string) (string, error) {
	d, err := parseDec(strings.TrimSpace(value))
	if err != nil {
		return "", fmt.Errorf("convert %q: %w", value, err)
	}
	c, err := convert(d, from, to)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

func convert(d dec, from, to string) (dec, error) {
	uf, ok1 := lookupUnit(from)
	ut, ok2 := lookupUnit(to)
	if !ok1 || !ok2 || uf.kind != ut.kind {
		return dec{}, fmt.Errorf("%w: %s to %s", ErrUnit, from, to)
	}
	c := d.shift(uf.exp - ut.exp)
	if c.scale < 0 {
		// Write an integer result out in full rather than as 21×10³.
		c = c.round(0)
	}
	return c, nil
}

// Units lists the canonical spellings Convert knows, for a form's drop-down.
func Units() []string {
	return []string{"mg/kg", "μg/kg", "g/kg", "g/100g", "%", "mg/100g", "ng/kg",
		"mg/L", "μg/L", "g/L", "g/100mL", "mg/100mL", "%vol",
		"CFU/g", "CFU/mL", "CFU/25g", "MPN/g", "MPN/100g", "MPN/mL", "MPN/100mL"}
}
