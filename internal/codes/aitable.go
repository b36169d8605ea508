package codes

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The GS1 Barcode Syntax Dictionary drives Application Identifier
// validation: value formats, check-digit linters and the Digital Link
// primary keys with their ordered qualifiers. Keeping GS1's own file (rather
// than a hand-made table) means a new release is a file copy.
//
//go:embed gs1-syntax-dictionary.txt
var aiDictionaryText string

// aiComponent is one part of an AI's value, e.g. "N13,csum" or "[X..17]".
type aiComponent struct {
	cset     byte // 'N' digits, 'X' CSET 82, 'Y' CSET 39, 'Z' base64url
	min, max int
	optional bool
	linters  []string
}

// aiEntry is the dictionary's definition of one AI.
type aiEntry struct {
	ai         string
	title      string
	fixed      bool // flag '*': predefined length, no FNC1 separator
	attribute  bool // flag '?': allowed as a Digital Link data attribute
	components []aiComponent
	pkey       bool       // a Digital Link primary key
	qualifiers [][]string // alternative ordered qualifier sequences
}

// aiTable parses the embedded dictionary once, on first use. The file is
// part of the build and its parse is covered by the tests, so a failure here
// can only be a broken checkout.
var aiTable = sync.OnceValue(func() map[string]*aiEntry {
	t, err := parseAIDictionary(aiDictionaryText)
	if err != nil {
		panic("codes: embedded GS1 syntax dictionary: " + err.Error())
	}
	return t
})

// lookupAI returns the dictionary entry of an AI, or nil.
func lookupAI(ai string) *aiEntry { return aiTable()[ai] }

const aiFlagChars = "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~"

func parseAIDictionary(text string) (map[string]*aiEntry, error) {
	table := map[string]*aiEntry{}
	for n, line := range strings.Split(text, "\n") {
		title := ""
		if i := strings.IndexByte(line, '#'); i >= 0 {
			title = strings.TrimSpace(line[i+1:])
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		e := aiEntry{title: title}
		rest := fields[1:]
		if len(rest) > 0 && strings.Trim(rest[0], aiFlagChars) == "" {
			e.fixed = strings.Contains(rest[0], "*")
			e.attribute = strings.Contains(rest[0], "?")
			rest = rest[1:]
		}
		for len(rest) > 0 && isSpecToken(rest[0]) {
			c, err := parseAIComponent(rest[0])
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n+1, err)
			}
			e.components = append(e.components, c)
			rest = rest[1:]
		}
		if len(e.components) == 0 {
			return nil, fmt.Errorf("line %d: no specification", n+1)
		}
		for _, attr := range rest {
			key, val, _ := strings.Cut(attr, "=")
			if key != "dlpkey" {
				continue // req= and ex= pairings are not checked here
			}
			e.pkey = true
			if val == "" {
				continue
			}
			for _, alt := range strings.Split(val, "|") {
				e.qualifiers = append(e.qualifiers, strings.Split(alt, ","))
			}
		}
		ais, err := expandAIRange(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n+1, err)
		}
		for _, ai := range ais {
			entry := e
			entry.ai = ai
			table[ai] = &entry
		}
	}
	return table, nil
}

func isSpecToken(s string) bool {
	s = strings.TrimPrefix(s, "[")
	return s != "" && strings.IndexByte("NXYZ", s[0]) >= 0 && !strings.Contains(s, "=")
}

// parseAIComponent reads "N13,csum", "X..20", "[N3],iso3166" and the like.
func parseAIComponent(tok string) (aiComponent, error) {
	var c aiComponent
	typ, linters, _ := strings.Cut(tok, ",")
	if strings.HasPrefix(typ, "[") {
		if !strings.HasSuffix(typ, "]") {
			return c, fmt.Errorf("unclosed optional component %q", tok)
		}
		c.optional = true
		typ = typ[1 : len(typ)-1]
	}
	if linters != "" {
		c.linters = strings.Split(linters, ",")
	}
	c.cset = typ[0]
	size := typ[1:]
	if after, ok := strings.CutPrefix(size, ".."); ok {
		c.min = 1
		size = after
	}
	n, err := strconv.Atoi(size)
	if err != nil || n < 1 {
		return c, fmt.Errorf("bad length in %q", tok)
	}
	c.max = n
	if c.min == 0 {
		c.min = n
	}
	return c, nil
}

// expandAIRange turns "3100-3105" into its six AIs.
func expandAIRange(s string) ([]string, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	if len(lo) != len(hi) || !isDigits(lo) || !isDigits(hi) || len(lo) < 2 || len(lo) > 4 {
		return nil, fmt.Errorf("bad AI %q", s)
	}
	a, _ := strconv.Atoi(lo)
	b, _ := strconv.Atoi(hi)
	if b < a {
		return nil, fmt.Errorf("bad AI range %q", s)
	}
	var out []string
	for i := a; i <= b; i++ {
		out = append(out, fmt.Sprintf("%0*d", len(lo), i))
	}
	return out, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Character sets of the dictionary's component types.
const (
	cset82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
	cset39 = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	cset64 = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz="
	cset32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
)

func inCset(cset byte, c byte) bool {
	switch cset {
	case 'N':
		return c >= '0' && c <= '9'
	case 'X':
		return strings.IndexByte(cset82, c) >= 0
	case 'Y':
		return strings.IndexByte(cset39, c) >= 0
	case 'Z':
		return strings.IndexByte(cset64, c) >= 0
	}
	return false
}

// checkAIValue validates a decoded value against the AI's components: the
// components consume the value left to right, optional ones may be left out
// once the value is used up. It returns ErrDLFormat or ErrDLChecksum.
func checkAIValue(e *aiEntry, v string) error {
	pos := 0
	for _, c := range e.components {
		rest := len(v) - pos
		if rest == 0 && c.optional {
			break
		}
		n := c.max
		if c.min != c.max { // only the last component may vary in length
			n = min(rest, c.max)
			if rest > c.max {
				return ErrDLFormat
			}
		}
		if rest < n || n < c.min {
			return ErrDLFormat
		}
		part := v[pos : pos+n]
		for i := 0; i < len(part); i++ {
			if !inCset(c.cset, part[i]) {
				return ErrDLFormat
			}
		}
		for _, l := range c.linters {
			if err := lintAIComponent(l, part); err != nil {
				return err
			}
		}
		pos += n
	}
	if pos != len(v) {
		return ErrDLFormat
	}
	return nil
}

// CheckAI validates a value (already percent-decoded) of a GS1 Application
// Identifier against the GS1 Barcode Syntax Dictionary. The error is
// ErrDLAIUnknown, ErrDLFormat or ErrDLChecksum.
func CheckAI(ai, value string) error {
	e := lookupAI(ai)
	if e == nil {
		return ErrDLAIUnknown
	}
	return checkAIValue(e, value)
}

// lintAIComponent applies one of the dictionary's named content checks.
// Linters that need external code lists (gcppos1/2: the GS1 Company Prefix
// list; iso3166*, iso4217, mediatype, packagetype, iban country codes;
// couponcode, couponposoffer) are not applied: the format check still holds.
func lintAIComponent(name, s string) error {
	ok := true
	switch name {
	case "csum":
		if len(s) < 2 || GS1CheckDigit(s[:len(s)-1]) != s[len(s)-1] {
			return ErrDLChecksum
		}
	case "csumalpha":
		if !csumAlphaOK(s) {
			return ErrDLChecksum
		}
	case "yymmd0", "yymmdd":
		ok = len(s) == 6 && isDigits(s) && dateOK(yearOfYY(atoi(s[:2])), atoi(s[2:4]), atoi(s[4:6]), name == "yymmd0")
	case "yyyymmdd", "yyyymmd0":
		ok = len(s) == 8 && isDigits(s) && dateOK(atoi(s[:4]), atoi(s[4:6]), atoi(s[6:8]), name == "yyyymmd0")
	case "hhmi", "hhmm":
		ok = len(s) == 4 && isDigits(s) && atoi(s[:2]) <= 23 && atoi(s[2:]) <= 59
	case "hh":
		ok = len(s) == 2 && isDigits(s) && atoi(s) <= 23
	case "mi", "ss", "mm":
		ok = len(s) == 2 && isDigits(s) && atoi(s) <= 59
	case "zero":
		ok = s == "0"
	case "nonzero":
		ok = strings.Trim(s, "0") != ""
	case "yesno":
		ok = s == "0" || s == "1"
	case "winding":
		ok = s == "0" || s == "1" || s == "9"
	case "iso5218":
		ok = s == "0" || s == "1" || s == "2" || s == "9"
	case "pieceoftotal":
		ok = len(s)%2 == 0 && isDigits(s) && s != ""
		if ok {
			piece, total := atoi(s[:len(s)/2]), atoi(s[len(s)/2:])
			ok = piece >= 1 && total >= 1 && piece <= total
		}
	case "posinseqslash":
		p, t, found := strings.Cut(s, "/")
		ok = found && p != "" && t != "" && isDigits(p) && isDigits(t) && atoi(p) >= 1 && atoi(p) <= atoi(t)
	case "nozeroprefix":
		ok = s == "0" || !strings.HasPrefix(s, "0")
	case "hasnondigit":
		ok = !isDigits(s)
	case "hyphen":
		ok = strings.Trim(s, "-") == ""
	case "importeridx":
		ok = len(s) == 1 && (s[0] == '-' || s[0] == '_' || isAlnum(s[0]))
	case "latitude":
		ok = len(s) == 10 && isDigits(s) && atoi(s) <= 1800000000
	case "longitude":
		ok = len(s) == 10 && isDigits(s) && atoi(s) <= 3600000000
	case "pcenc":
		ok = validPercentEncoding(s)
	}
	if !ok {
		return ErrDLFormat
	}
	return nil
}

// csumAlphaOK checks the GS1 alphanumeric check character pair (GMN, MUDI):
// CSET 82 values weighted by primes from the right, mod 1021, split into two
// CSET 32 characters.
func csumAlphaOK(s string) bool {
	if len(s) < 2 || len(s)-2 > len(alphaPrimes) {
		return false
	}
	sum := 0
	body := s[:len(s)-2]
	for i := 0; i < len(body); i++ {
		v := strings.IndexByte(cset82, body[i])
		if v < 0 {
			return false
		}
		sum += v * alphaPrimes[len(body)-1-i]
	}
	sum %= 1021
	return s[len(s)-2] == cset32[sum>>5] && s[len(s)-1] == cset32[sum&31]
}

var alphaPrimes = [...]int{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113}

// yearOfYY places a two-digit year in the 100-year window GS1 uses (49 years
// back, 50 ahead of the current year); it only matters for 29 February.
func yearOfYY(yy int) int {
	now := time.Now().Year()
	y := now - now%100 + yy
	switch {
	case y-now >= 51:
		y -= 100
	case y-now <= -50:
		y += 100
	}
	return y
}

func dateOK(y, m, d int, dayZeroOK bool) bool {
	if m < 1 || m > 12 {
		return false
	}
	if d == 0 {
		return dayZeroOK
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func validPercentEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}
