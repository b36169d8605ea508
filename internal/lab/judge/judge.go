// Package judge decides whether a measured value conforms to a limit:
// unit conversion, "not detected" and detection limits, and the rounding and
// comparison rules of GB/T 8170. It holds no state and touches no database.
package judge

// Comparison is how a value is held against a limit.
type Comparison string

const (
	AtMost      Comparison = "le"    // value ≤ Max (a maximum residue or contaminant limit)
	Below       Comparison = "lt"    // value < Max
	AtLeast     Comparison = "ge"    // value ≥ Min (a minimum content, e.g. protein)
	Above       Comparison = "gt"    // value > Min
	Within      Comparison = "range" // Min ≤ value ≤ Max
	NotDetected Comparison = "nd"    // must not be detected (不得检出)
)

// Conclusions of a judgement.
const (
	Conforming    = "conforming"
	Nonconforming = "nonconforming"
	NotJudged     = "not_judged"
)

// Limit is one entry of the catalogue: a standard's limit for a test item
// in a product category. Numbers are decimal text as the standard prints
// them, so that the number of places survives (rounding depends on it).
type Limit struct {
	ID         string     `json:"id"`
	Standard   string     `json:"standard"` // e.g. "GB 2763-2021"
	Clause     string     `json:"clause"`   // where the value is printed, e.g. "4.18 表18"
	Category   string     `json:"category"` // product category as the standard names it
	Item       string     `json:"item"`     // test item, e.g. "毒死蜱"
	Comparison Comparison `json:"comparison"`
	Min        string     `json:"min,omitempty"`
	Max        string     `json:"max,omitempty"`
	Unit       string     `json:"unit"`
	LOD        string     `json:"lod,omitempty"` // detection limit the standard's method gives, if any
	Method     string     `json:"method,omitempty"`
	// Rounded selects GB/T 8170 §4.3.2's rounded-value comparison (修约值比较法):
	// the result is rounded to the limit's places before it is compared.
	// Without it the full value is compared (全数值比较法, §4.3.3), the rule
	// where a standard does not say otherwise.
	Rounded      bool   `json:"rounded"`
	Illustrative bool   `json:"illustrative"` // not checked against the published standard
	Note         string `json:"note,omitempty"`
	// Depth is how far up the category hierarchy the catalogue found the
	// limit for a product (0: set for the product's own category).
	Depth     int   `json:"depth,omitempty"`
	CreatedAt int64 `json:"created_at,omitempty"` // Unix ms; set by the catalogue
	UpdatedAt int64 `json:"updated_at,omitempty"`
}

// Measured is one reported result.
type Measured struct {
	Value       string // as typed: decimal text, or anything ParseValue reads ("ND", "<0.01"); ignored when NotDetected unless it gives the LOD
	NotDetected bool   // 未检出
	Unit        string
	LOD         string // the method's detection limit as reported, if any
	Method      string
}

// Verdict is a judgement and why it came out so. Reason is a locale key
// ("lab.judge.reason.*") and Args its placeholders as name, value pairs
// ("value", "0.021 mg/kg", "op", ">", "limit", "0.02 mg/kg", "source",
// "GB 2763-2021 4.18"), so the institution can read in its own language
// exactly which comparison was made: a page passes them straight to its T.
type Verdict struct {
	Conclusion string `json:"conclusion"`
	Compared   string `json:"compared,omitempty"` // the value as compared: converted to the limit's unit and rounded
	Unit       string `json:"unit,omitempty"`
	Reason     string `json:"reason"`
	Args       []any  `json:"args,omitempty"`
}
