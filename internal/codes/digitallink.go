package codes

import (
	"errors"
	"strings"
)

// Errors a GS1 Digital Link URI can fail with, named by their message keys.
// ParseDigitalLink returns them inside a *DLError that names the AI at fault.
var (
	ErrDLSyntax         = errors.New("rule.dl.syntax")
	ErrDLAIUnknown      = errors.New("rule.dl.ai_unknown")
	ErrDLFormat         = errors.New("rule.dl.format")
	ErrDLChecksum       = errors.New("rule.dl.checksum")
	ErrDLQualifierOrder = errors.New("rule.dl.qualifier_order")
	ErrDLAttribute      = errors.New("rule.dl.attribute")
)

// DLError is a Digital Link refusal: the rule broken (one of the ErrDL…
// values, which errors.Is finds) and the AI at fault, empty when the URI as a
// whole is wrong.
type DLError struct {
	AI   string
	Rule error
}

func (e *DLError) Error() string { return e.Rule.Error() }
func (e *DLError) Unwrap() error { return e.Rule }

func dlErr(ai string, rule error) error { return &DLError{AI: ai, Rule: rule} }

// AIValue is one GS1 Application Identifier with its decoded value.
type AIValue struct{ AI, Value string }

// DigitalLink is a parsed GS1 Digital Link URI: the primary key, its key
// qualifiers in path order, and the data attributes of the query string
// (other query parameters such as linkType are not kept). Values are
// percent-decoded; a GTIN is always 14 digits.
type DigitalLink struct {
	PrimaryAI, PrimaryValue string
	Qualifiers              []AIValue
	Attributes              []AIValue
}

// CanonicalHost is where canonical Digital Links live, as EPCIS requires for
// its constrained form.
const CanonicalHost = "https://id.gs1.org"

// ParseDigitalLink parses and validates an uncompressed GS1 Digital Link URI
// on any http(s) host, with any path before the primary key. Every AI value
// is checked against the GS1 Barcode Syntax Dictionary (length, character
// set, check digit, dates …), qualifiers must follow their key in the order
// the dictionary gives, and data attributes must be AIs allowed as such.
// Short names such as /gtin/ are not accepted.
func ParseDigitalLink(uri string) (DigitalLink, error) {
	d, shape, err := parseDL(uri)
	if err == nil && shape == notDL {
		err = dlErr("", ErrDLSyntax)
	}
	return d, err
}

// How clearly an http(s) URI is a Digital Link.
const (
	notDL    = iota // its path does not end in a primary key and qualifiers
	weakDL          // it does, but the key is a short name (/gtin/ …) or its value is not shaped like one
	strongDL        // a numeric primary key AI with a value of the right shape
)

// parseDL parses a Digital Link, also telling how clearly the URI is one, so
// that an ordinary web address that happens to contain /01/ stays one.
func parseDL(uri string) (d DigitalLink, shape int, err error) {
	path, query, ok := splitHTTPURI(uri)
	if !ok {
		return d, notDL, nil
	}
	segs := strings.Split(path, "/")[1:] // path starts with "/"
	pk, unknown := findPrimaryKey(segs)
	if pk < 0 {
		return d, notDL, nil
	}
	key := resolveAI(segs[pk])
	numeric := isDigits(segs[pk])
	d.PrimaryAI = key.ai
	if d.PrimaryValue, err = decodeDLValue(key, segs[pk+1]); err != nil {
		return d, weakDL, err
	}
	if key.ai == "01" && len(d.PrimaryValue) < 14 {
		if n := len(d.PrimaryValue); (n == 8 || n == 12 || n == 13) && isDigits(d.PrimaryValue) {
			d.PrimaryValue = GTIN14(d.PrimaryValue)
		}
	}
	shape = weakDL
	if err := checkAIValue(key, d.PrimaryValue); err != nil {
		if err == ErrDLChecksum && numeric {
			shape = strongDL // a key with a wrong check digit is a mistake, not a web page
		}
		return d, shape, dlErr(key.ai, err)
	}
	if numeric {
		shape = strongDL
	}
	// A qualifier of this key before it (/21/…/01/…) is out of order, not a
	// path prefix.
	for _, s := range segs[:pk] {
		if q := resolveAI(s); q != nil && key.isQualifier(q.ai) {
			return d, shape, dlErr(q.ai, ErrDLQualifierOrder)
		}
	}
	if unknown != "" {
		return d, shape, dlErr(unknown, ErrDLAIUnknown)
	}
	for i := pk + 2; i < len(segs); i += 2 {
		q := resolveAI(segs[i])
		v, err := decodeDLValue(q, segs[i+1])
		if err != nil {
			return d, shape, err
		}
		if err := checkAIValue(q, v); err != nil {
			return d, shape, dlErr(q.ai, err)
		}
		d.Qualifiers = append(d.Qualifiers, AIValue{q.ai, v})
	}
	if bad := key.qualifierOrderFault(d.Qualifiers); bad != "" {
		return d, shape, dlErr(bad, ErrDLQualifierOrder)
	}
	if d.Attributes, err = parseDLQuery(query, d); err != nil {
		return d, shape, err
	}
	return d, shape, nil
}

// splitHTTPURI returns the raw (still percent-encoded) path and query of an
// http or https URI with a host; the fragment is dropped.
func splitHTTPURI(uri string) (path, query string, ok bool) {
	rest, found := cutPrefixFold(uri, "https://")
	if !found {
		if rest, found = cutPrefixFold(uri, "http://"); !found {
			return "", "", false
		}
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query = rest[:i], rest[i+1:]
	}
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 { // no host, or no path
		return "", "", false
	}
	return rest[slash:], query, true
}

// findPrimaryKey pairs the path segments from the end, (AI, value) by
// (AI, value), over known AIs until one is a primary key; it returns that
// key's index, or -1. Pairing from the end lets the path begin with any
// prefix, even one containing digits. A number of 2 to 4 digits in AI
// position that is no AI is passed over and returned as unknown.
func findPrimaryKey(segs []string) (pk int, unknown string) {
	for i := len(segs) - 2; i >= 0; i -= 2 {
		e := resolveAI(segs[i])
		switch {
		case e == nil && len(segs[i]) >= 2 && len(segs[i]) <= 4 && isDigits(segs[i]):
			unknown = segs[i]
		case e == nil:
			return -1, ""
		case e.pkey:
			return i, unknown
		}
	}
	return -1, ""
}

// dlShortNames are the Digital Link grammar's alternative names for AIs.
// EPCIS does not allow them, but a scanned or typed link may use them.
var dlShortNames = map[string]string{
	"gtin": "01", "itip": "8006", "gmn": "8013", "cpid": "8010", "gln": "414",
	"party": "417", "gsrnp": "8017", "gsrn": "8018", "gcn": "255", "sscc": "00",
	"gdti": "253", "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004",
	"cpv": "22", "lot": "10", "ser": "21", "cpsn": "8011", "glnx": "254",
	"refno": "8020", "srin": "8019", "exp": "17", "expdt": "7003",
}

// resolveAI finds the dictionary entry of a numeric AI or a short name.
func resolveAI(s string) *aiEntry {
	if ai, ok := dlShortNames[s]; ok {
		s = ai
	}
	return lookupAI(s)
}

func (e *aiEntry) isQualifier(ai string) bool {
	for _, alt := range e.qualifiers {
		for _, q := range alt {
			if q == ai {
				return true
			}
		}
	}
	return false
}

// qualifierOrderFault returns the first qualifier that breaks every one of
// the key's allowed sequences (wrong order, repeated, not a qualifier of this
// key, or mixing two alternatives), or "" when the qualifiers are in order.
func (e *aiEntry) qualifierOrderFault(qs []AIValue) string {
	if len(qs) == 0 {
		return ""
	}
	best := 0 // how far the most accommodating alternative got
	for _, alt := range e.qualifiers {
		n, j := 0, 0
		for n < len(qs) {
			for j < len(alt) && alt[j] != qs[n].AI {
				j++
			}
			if j == len(alt) {
				break
			}
			n, j = n+1, j+1
		}
		if n == len(qs) {
			return ""
		}
		best = max(best, n)
	}
	return qs[best].AI
}

// parseDLQuery keeps the query parameters whose names are AIs; other
// parameters (linkType, context …) belong to the resolver, not the identity.
func parseDLQuery(query string, d DigitalLink) ([]AIValue, error) {
	var attrs []AIValue
	seen := map[string]bool{d.PrimaryAI: true}
	for _, q := range d.Qualifiers {
		seen[q.AI] = true
	}
	for _, p := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		k, raw, _ := strings.Cut(p, "=")
		e := resolveAI(k)
		if e == nil {
			if k != "" && isDigits(k) {
				return nil, dlErr(k, ErrDLAIUnknown)
			}
			continue // not an AI: a resolver parameter
		}
		k = e.ai
		if !e.attribute || seen[k] {
			return nil, dlErr(k, ErrDLAttribute)
		}
		seen[k] = true
		v, err := decodeDLValue(e, raw)
		if err != nil {
			return nil, err
		}
		if err := checkAIValue(e, v); err != nil {
			return nil, dlErr(k, err)
		}
		attrs = append(attrs, AIValue{k, v})
	}
	return attrs, nil
}

// decodeDLValue undoes percent-encoding; the result's characters are then
// checked against the AI's character set.
func decodeDLValue(e *aiEntry, s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	if !validPercentEncoding(s) {
		return "", dlErr(e.ai, ErrDLSyntax)
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b), nil
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// Canonical returns the constrained Digital Link EPCIS uses for this
// identifier: on https://id.gs1.org, the primary key and only the
// qualifiers that make up the identity, no query. For a GTIN (and an ITIP)
// the most precise level is kept: the serial (21) when there is one — an
// item is more precise than its lot — else the lot (10); the consumer
// product variant (22) is dropped. A GLN extension (254) of "0" is dropped
// because EPC URNs use ".0" for "no extension", so both forms are one
// location. Other keys keep all their qualifiers.
func (d DigitalLink) Canonical() string {
	var b strings.Builder
	b.Grow(len(CanonicalHost) + 8 + len(d.PrimaryValue)*3)
	b.WriteString(CanonicalHost)
	pv := d.PrimaryValue
	if d.PrimaryAI == "01" && len(pv) < 14 {
		pv = GTIN14(pv)
	}
	writeDLPair(&b, d.PrimaryAI, pv)
	for _, q := range d.Qualifiers {
		if keepQualifier(d, q) {
			writeDLPair(&b, q.AI, q.Value)
		}
	}
	return b.String()
}

func keepQualifier(d DigitalLink, q AIValue) bool {
	switch d.PrimaryAI {
	case "01", "8006":
		switch q.AI {
		case "22":
			return false
		case "10":
			return !d.has("21")
		}
	case "414":
		return q.AI != "254" || q.Value != "0"
	}
	return true
}

func (d DigitalLink) has(ai string) bool {
	for _, q := range d.Qualifiers {
		if q.AI == ai {
			return true
		}
	}
	return false
}

// writeDLPair appends "/ai/value" with the value percent-encoded in upper
// case hex, so that each identifier has a single spelling. Letters, digits
// and - . _ ' ; = are written as they are, as the EPCIS event hash reference
// normaliser does (its epclist_normalisation test vector); the other 82-set
// characters, ! " % & ( ) * + , / : < > ?, are escaped.
func writeDLPair(b *strings.Builder, ai, v string) {
	b.WriteByte('/')
	b.WriteString(ai)
	b.WriteByte('/')
	writeDLValue(b, v)
}

func writeDLValue(b *strings.Builder, v string) {
	const hexdigits = "0123456789ABCDEF"
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isAlnum(c) || strings.IndexByte("-._';=", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case, for URI schemes.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
