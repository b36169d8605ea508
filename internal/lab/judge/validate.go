package judge

import (
	"strings"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// Rule keys Validate reports, besides rule.required, rule.max_length and
// rule.number.
const (
	RuleComparison = "rule.lab.limit.comparison" // not one of the comparisons
	RuleUnit       = "rule.lab.limit.unit"       // a unit Convert does not know
	RuleMinMax     = "rule.lab.limit.min_max"    // a range whose minimum exceeds its maximum
	RuleNotUsed    = "rule.lab.limit.not_used"   // a bound the comparison does not use
	RuleNegative   = "rule.lab.limit.negative"   // a detection limit of zero or less
)

// Comparisons lists the known comparisons, in the order a form offers them.
var Comparisons = []Comparison{AtMost, Below, AtLeast, Above, Within, NotDetected}

// Known reports whether c is one of the comparisons.
func (c Comparison) Known() bool {
	for _, k := range Comparisons {
		if c == k {
			return true
		}
	}
	return false
}

// Field lengths.
const (
	MaxStandard = 100
	MaxClause   = 100
	MaxCategory = 100
	MaxItem     = 100
	MaxMethod   = 200
	MaxNote     = 1000
	maxNumber   = 30
	maxUnit     = 30
)

// Validate checks a limit as the office types it and names each bad field
// (JSON names). Numbers must be plain decimals; the bounds the comparison
// uses are required and the others must be empty; the unit must be one
// Convert knows, except that a "must not be detected" limit without a
// detection limit needs none.
func Validate(l Limit) fielderr.List {
	var errs fielderr.List
	fielderr.CheckText(&errs, "standard", l.Standard, true, MaxStandard)
	fielderr.CheckText(&errs, "clause", l.Clause, false, MaxClause)
	fielderr.CheckText(&errs, "category", l.Category, true, MaxCategory)
	fielderr.CheckText(&errs, "item", l.Item, true, MaxItem)
	fielderr.CheckText(&errs, "method", l.Method, false, MaxMethod)
	fielderr.CheckText(&errs, "note", l.Note, false, MaxNote)
	if l.Comparison == "" {
		errs.Add("comparison", "rule.required")
	} else if !l.Comparison.Known() {
		errs.Add("comparison", RuleComparison)
	}
	number := func(field, v string, need bool) (dec, bool) {
		switch {
		case v == "" && need:
			errs.Add(field, "rule.required")
		case v != "" && !need && l.Comparison.Known():
			errs.Add(field, RuleNotUsed)
		case len(v) > maxNumber:
			errs.Add(field, "rule.max_length", "max", maxNumber)
		case v != "":
			d, err := parseDec(v)
			if err != nil {
				errs.Add(field, "rule.number")
				return dec{}, false
			}
			return d, true
		}
		return dec{}, false
	}
	c := l.Comparison
	lo, okMin := number("min", l.Min, c == AtLeast || c == Above || c == Within)
	hi, okMax := number("max", l.Max, c == AtMost || c == Below || c == Within)
	if okMin && okMax && lo.cmp(hi) > 0 {
		errs.Add("min", RuleMinMax)
	}
	if lod, ok := number("lod", l.LOD, l.LOD != ""); ok && lod.sign() <= 0 {
		errs.Add("lod", RuleNegative)
	}
	switch {
	case strings.TrimSpace(l.Unit) == "" && c == NotDetected && l.LOD == "":
	case strings.TrimSpace(l.Unit) == "":
		errs.Add("unit", "rule.required")
	case len(l.Unit) > maxUnit:
		errs.Add("unit", "rule.max_length", "max", maxUnit)
	case !KnownUnit(l.Unit):
		errs.Add("unit", RuleUnit)
	}
	return errs
}
