package judge

import (
	"regexp"
	"strings"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// RuleValue is the rule a result that cannot be read breaks.
const RuleValue = "rule.lab.value"

var (
	// Ways of writing "not detected", folded (see foldValue).
	ndWords = map[string]bool{"nd": true, "n.d.": true, "n.d": true, "未检出": true, "notdetected": true,
		"<lod": true, "低于检出限": true, "小于检出限": true}
	// "<0.01": below the detection limit given.
	belowRe = regexp.MustCompile(`^(?:<|小于|低于)([0-9.eE+-]+)$`)
	// "未检出(<0.01)", "ND(0.01)", "未检出(检出限0.01)", "ND(LOD:0.01)".
	ndLODRe = regexp.MustCompile(`^(?:未检出|nd|n\.d\.?)\((?:<|检出限|lod|小于)?:?([0-9.eE+-]+)\)$`)
	// Counts written with a power of ten: "2.0×10⁶", "2.0x10^6", "2.0*10^6".
	powerRe = regexp.MustCompile(`^([+-]?[0-9.]+)[x×*]10(?:\^([+-]?\d{1,3})|([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3}))$`)
	// Digits grouped by commas, "1,250.5".
	groupedRe = regexp.MustCompile(`^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$`)
)

// foldValue folds what institutions type into one spelling: full-width
// digits and signs, case, spaces, Chinese brackets and colons.
func foldValue(s string) string {
	s = width.Fold.String(strings.TrimSpace(s))
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	s = strings.NewReplacer("（", "(", "）", ")", "：", ":", "＜", "<", "〈", "<", "﹤", "<", "。", "").Replace(s)
	return s
}

// ParseValue reads a result as an institution types it: "0.012", "ND",
// "未检出", full-width digits ("０．０１２"), a count with a power of ten
// ("2.0×10⁶", "2.0E+06"), or "<0.01" and "<10" (below the
// detection limit given). A detected value comes back as decimal text with
// notDetected false. "Not detected" comes back with notDetected true and
// value holding the detection limit when the text gave one ("<0.01",
// "未检出(<0.01)"), else "". Anything else — a unit, a word, two numbers —
// is refused with a *fielderr.List on field "value", rule RuleValue, so a
// form shows it beside the result.
func ParseValue(s string) (value string, notDetected bool, err error) {
	f := foldValue(s)
	bad := fielderr.New("value", RuleValue)
	switch {
	case f == "":
		return "", false, bad
	case ndWords[f]:
		return "", true, nil
	}
	if g := belowRe.FindStringSubmatch(f); g != nil {
		d, err := parseDec(g[1])
		if err != nil || d.sign() <= 0 {
			return "", false, bad
		}
		return d.String(), true, nil
	}
	if g := ndLODRe.FindStringSubmatch(f); g != nil {
		d, err := parseDec(g[1])
		if err != nil || d.sign() <= 0 {
			return "", false, bad
		}
		return d.String(), true, nil
	}
	if g := powerRe.FindStringSubmatch(f); g != nil {
		exp := g[2]
		if g[3] != "" {
			exp = strings.NewReplacer("⁻", "-", "⁰", "0", "¹", "1", "²", "2", "³", "3", "⁴", "4", "⁵", "5", "⁶", "6",
				"⁷", "7", "⁸", "8", "⁹", "9").Replace(g[3])
		}
		f = g[1] + "e" + exp
	}
	if groupedRe.MatchString(f) {
		f = strings.ReplaceAll(f, ",", "")
	}
	d, err := parseDec(f)
	if err != nil {
		return "", false, bad
	}
	return d.String(), false, nil
}
