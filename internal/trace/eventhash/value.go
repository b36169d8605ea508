package eventhash

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/codes"
)

// canonical writes a value the way the pre-hash requires (rules 6, 7, 14,
// 17, 18 of the algorithm): CBV URNs as Web URIs, numbers without trailing
// zeros, and GS1 identifiers (EPC URNs, Digital Links on any host) as
// constrained canonical Digital Links on id.gs1.org. Anything else stays as
// it is.
func canonical(s string) string {
	if i := strings.Index(s, "urn:epcglobal:cbv:"); i >= 0 {
		s = cbvWebURI(s, i)
	}
	if n, ok := pyNumber(s); ok {
		return n
	}
	if hasIDScheme(s) {
		if id, err := codes.CanonicalID(s); err == nil {
			return id
		}
		// A link that looks like a Digital Link but fails its checks is
		// hashed as written, as the reference implementation does.
	}
	return s
}

// cbvURNs maps the URN spelling of standard vocabulary to the Web URI
// (rule 14). Only the vocabularies the algorithm lists are mapped; others,
// such as business transaction ids urn:epcglobal:cbv:bt:…, stay.
var cbvURNs = [][2]string{
	{"urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"},
	{"urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"},
	{"urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"},
	{"urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"},
	{"urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"},
}

// cbvWebURI replaces the vocabulary URNs in s, the first of which may start
// at i. Like the reference, it replaces them anywhere in the value.
func cbvWebURI(s string, i int) string {
	for _, m := range cbvURNs {
		if strings.Contains(s[i:], m[0]) {
			s = strings.ReplaceAll(s, m[0], m[1])
		}
	}
	return s
}

// hasIDScheme tells the values that may be GS1 identifiers. The Web URIs of
// the GS1 vocabularies never are, and are common, so they skip the parse.
func hasIDScheme(s string) bool {
	if strings.HasPrefix(s, "urn:epc:") {
		return true
	}
	if !strings.HasPrefix(s, "https://") {
		return strings.HasPrefix(s, "http://")
	}
	for _, voc := range gs1Vocabularies {
		if strings.HasPrefix(s, voc) {
			return false
		}
	}
	return true
}

var gs1Vocabularies = []string{"https://ref.gs1.org/cbv/", "https://gs1.org/voc/", "https://ref.gs1.org/voc/", "https://ref.gs1.org/epcis/"}

// pyNumber rewrites a decimal number as the reference implementation does
// (Python: float(s), then int if it has no fraction, then str): "1.0" -> "1",
// "0.50" -> "0.5", "+3" -> "3", "1e3" -> "1000", "1e-05" stays in exponent
// form. It reports false for anything float() would not read, and for
// NaN and infinities, which the reference leaves alone or fails on.
func pyNumber(s string) (string, bool) {
	if !isPyFloat(s) {
		return "", false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil && !isRangeErr(err) {
		return "", false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	if f == math.Trunc(f) {
		if f == 0 {
			return "0", true // also -0
		}
		// Python's int(float) is exact: 1e23 is 99999999999999991611392.
		return new(big.Float).SetFloat64(f).Text('f', 0), true
	}
	// Python's repr: the shortest digits that read back, in exponent form
	// below 1e-4.
	if math.Abs(f) < 1e-4 {
		return strconv.FormatFloat(f, 'e', -1, 64), true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// isPyFloat checks Python's float() syntax for a finite decimal: an optional
// sign, digits with an optional fraction (single underscores allowed between
// digits), an optional exponent. Surrounding blanks are already trimmed.
func isPyFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intDigits, i := pyDigits(s, i)
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		fracDigits, i = pyDigits(s, i+1)
	}
	if intDigits == 0 && fracDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		var expDigits int
		expDigits, i = pyDigits(s, i)
		if expDigits == 0 {
			return false
		}
	}
	return i == len(s)
}

// pyDigits reads digits with single underscores between them from s[i:],
// returning how many digits and the index after them. A trailing or doubled
// underscore ends the run before it (and so fails the whole number).
func pyDigits(s string, i int) (int, int) {
	n := 0
	for i < len(s) {
		c := s[i]
		if c >= '0' && c <= '9' {
			n++
			i++
			continue
		}
		if c == '_' && n > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	return n, i
}
