package codes

import (
	"errors"
	"strings"
)

// Errors of EPC URNs and identifiers, named by their message keys.
var (
	ErrEPCURI          = errors.New("rule.epc.uri")           // not an absolute URI
	ErrEPCScheme       = errors.New("rule.epc.scheme")        // unknown urn:epc scheme
	ErrEPCSyntax       = errors.New("rule.epc.syntax")        // wrong number or shape of fields
	ErrEPCLength       = errors.New("rule.epc.length")        // a field has the wrong number of characters
	ErrEPCCharset      = errors.New("rule.epc.charset")       // a character not allowed in its field
	ErrEPCGCPLength    = errors.New("rule.epc.gcp_length")    // company prefix length outside 6–12 or not fitting the key
	ErrEPCNoEquivalent = errors.New("rule.epc.no_equivalent") // no EPC URN ↔ Digital Link counterpart
)

// EPCToDigitalLink converts an EPC pure-identity URN (TDS 2.x), an LGTIN
// class URN, or a pattern naming a whole class (urn:epc:idpat:sgtin:CP.IR.*
// for a GTIN; likewise grai, gdti, sgcn, itip, cpi) to its canonical GS1
// Digital Link on https://id.gs1.org: check digits computed, GTINs as 14
// digits, an SGLN extension of "0" meaning none, URN escapes decoded and the
// value re-encoded for the Digital Link path. EPC schemes without a GS1 key
// (gid, usdod, adi, bic, imovn) and other patterns give ErrEPCNoEquivalent.
func EPCToDigitalLink(urn string) (string, error) {
	kind, scheme, body, err := splitEPCURN(urn)
	if err != nil {
		return "", err
	}
	b := strings.Builder{}
	b.Grow(64 + len(body)*2)
	b.WriteString(CanonicalHost)
	switch kind + ":" + scheme {
	case "id:sgtin", "class:lgtin", "id:upui":
		f, err := epcFields(body, 3)
		if err != nil {
			return "", err
		}
		gtin, err := epcGTIN(f[0], f[1])
		if err != nil {
			return "", err
		}
		qai, maxLen := "21", 20
		switch scheme {
		case "lgtin":
			qai = "10"
		case "upui":
			qai, maxLen = "235", 28
		}
		v, err := decodeURNValue(f[2], maxLen)
		if err != nil {
			return "", err
		}
		writeDLPair(&b, "01", gtin)
		writeDLPair(&b, qai, v)
	case "idpat:sgtin", "idpat:grai", "idpat:gdti", "idpat:sgcn", "idpat:itip", "idpat:cpi":
		if err := writeClassDL(&b, scheme, body); err != nil {
			return "", err
		}
	case "id:sscc":
		f, err := epcFields(body, 2)
		if err != nil {
			return "", err
		}
		if err := epcNumeric(f[0], f[1], 17); err != nil {
			return "", err
		}
		writeDLPair(&b, "00", withCheckDigit(f[1][:1]+f[0]+f[1][1:]))
	case "id:sgln":
		f, err := epcFields(body, 3)
		if err != nil {
			return "", err
		}
		if err := epcNumeric(f[0], f[1], 12); err != nil {
			return "", err
		}
		ext, err := decodeURNValue(f[2], 20)
		if err != nil {
			return "", err
		}
		writeDLPair(&b, "414", withCheckDigit(f[0]+f[1]))
		if ext != "0" {
			writeDLPair(&b, "254", ext)
		}
	case "id:pgln":
		f, err := epcFields(body, 2)
		if err != nil {
			return "", err
		}
		if err := epcNumeric(f[0], f[1], 12); err != nil {
			return "", err
		}
		writeDLPair(&b, "417", withCheckDigit(f[0]+f[1]))
	case "id:grai", "id:gdti", "id:sgcn":
		f, err := epcFields(body, 3)
		if err != nil {
			return "", err
		}
		if err := epcNumeric(f[0], f[1], 12); err != nil {
			return "", err
		}
		var serial string
		ai, prefix := "253", ""
		switch scheme {
		case "grai":
			ai, prefix = "8003", "0"
			serial, err = decodeURNValue(f[2], 16)
		case "gdti":
			serial, err = decodeURNValue(f[2], 17)
		case "sgcn":
			ai = "255"
			serial, err = f[2], epcDigits(f[2], 1, 12)
		}
		if err != nil {
			return "", err
		}
		writeDLPair(&b, ai, prefix+withCheckDigit(f[0]+f[1])+serial)
	case "id:gsrn", "id:gsrnp", "id:gsin":
		f, err := epcFields(body, 2)
		if err != nil {
			return "", err
		}
		ai, total := "8018", 17
		switch scheme {
		case "gsrnp":
			ai = "8017"
		case "gsin":
			ai, total = "402", 16
		}
		if err := epcNumeric(f[0], f[1], total); err != nil {
			return "", err
		}
		writeDLPair(&b, ai, withCheckDigit(f[0]+f[1]))
	case "id:giai", "id:ginc":
		f, err := epcFields(body, 2)
		if err != nil {
			return "", err
		}
		if err := epcGCP(f[0]); err != nil {
			return "", err
		}
		ref, err := decodeURNValue(f[1], 30-len(f[0]))
		if err != nil {
			return "", err
		}
		ai := "8004"
		if scheme == "ginc" {
			ai = "401"
		}
		writeDLPair(&b, ai, f[0]+ref)
	case "id:itip":
		f, err := epcFields(body, 5)
		if err != nil {
			return "", err
		}
		gtin, err := epcGTIN(f[0], f[1])
		if err != nil {
			return "", err
		}
		if err := epcPieceOfTotal(f[2], f[3]); err != nil {
			return "", err
		}
		serial, err := decodeURNValue(f[4], 20)
		if err != nil {
			return "", err
		}
		writeDLPair(&b, "8006", gtin+f[2]+f[3])
		writeDLPair(&b, "21", serial)
	case "id:cpi":
		f, err := epcFields(body, 3)
		if err != nil {
			return "", err
		}
		if err := epcGCP(f[0]); err != nil {
			return "", err
		}
		ref, err := decodeCPIRef(f[1], 30-len(f[0]))
		if err != nil {
			return "", err
		}
		if err := epcDigits(f[2], 1, 12); err != nil {
			return "", err
		}
		if len(f[2]) > 1 && f[2][0] == '0' {
			return "", ErrEPCSyntax // the CPI serial has no leading zeros
		}
		writeDLPair(&b, "8010", f[0]+ref)
		writeDLPair(&b, "8011", f[2])
	case "id:gid", "id:usdod", "id:adi", "id:bic", "id:imovn":
		return "", ErrEPCNoEquivalent
	default:
		if kind == "idpat" {
			return "", ErrEPCNoEquivalent
		}
		return "", ErrEPCScheme
	}
	return b.String(), nil
}

// writeClassDL converts the pattern URNs that name a class, all instances of
// one key (CBV 2.0 epcClass values, as the EPCIS event hash normaliser reads
// them), to the Digital Link of that key without serial.
func writeClassDL(b *strings.Builder, scheme, body string) error {
	n := 3
	if scheme == "itip" {
		n = 5
	}
	f, err := epcFields(body, n)
	if err != nil {
		return err
	}
	if f[n-1] != "*" || strings.Contains(body[:len(body)-1], "*") {
		return ErrEPCNoEquivalent // a pattern, not a class
	}
	switch scheme {
	case "sgtin", "itip":
		gtin, err := epcGTIN(f[0], f[1])
		if err != nil {
			return err
		}
		if scheme == "sgtin" {
			writeDLPair(b, "01", gtin)
			return nil
		}
		if err := epcPieceOfTotal(f[2], f[3]); err != nil {
			return err
		}
		writeDLPair(b, "8006", gtin+f[2]+f[3])
	case "grai", "gdti", "sgcn":
		if err := epcNumeric(f[0], f[1], 12); err != nil {
			return err
		}
		ai, prefix := map[string]string{"grai": "8003", "gdti": "253", "sgcn": "255"}[scheme], ""
		if scheme == "grai" {
			prefix = "0"
		}
		writeDLPair(b, ai, prefix+withCheckDigit(f[0]+f[1]))
	case "cpi":
		if err := epcGCP(f[0]); err != nil {
			return err
		}
		ref, err := decodeCPIRef(f[1], 30-len(f[0]))
		if err != nil {
			return err
		}
		writeDLPair(b, "8010", f[0]+ref)
	}
	return nil
}

func epcPieceOfTotal(piece, total string) error {
	if err := epcDigits(piece, 2, 2); err != nil {
		return err
	}
	if err := epcDigits(total, 2, 2); err != nil {
		return err
	}
	if lintAIComponent("pieceoftotal", piece+total) != nil {
		return ErrEPCSyntax // piece 0, total 0, or piece beyond total
	}
	return nil
}

// splitEPCURN splits "urn:epc:<kind>:<scheme>:<body>"; the fixed parts are
// matched without regard to case, as URN syntax allows.
func splitEPCURN(urn string) (kind, scheme, body string, err error) {
	rest, ok := cutPrefixFold(urn, "urn:epc:")
	if !ok {
		return "", "", "", ErrEPCScheme
	}
	for _, k := range [...]string{"id:", "class:", "idpat:"} {
		if r, ok := cutPrefixFold(rest, k); ok {
			kind, rest = k[:len(k)-1], r
			break
		}
	}
	if kind == "" {
		return "", "", "", ErrEPCScheme
	}
	scheme, body, ok = strings.Cut(rest, ":")
	if !ok || body == "" {
		return "", "", "", ErrEPCSyntax
	}
	if !isLowerASCII(scheme) {
		scheme = strings.ToLower(scheme)
	}
	return kind, scheme, body, nil
}

func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return false
		}
	}
	return true
}

// epcFields splits the body into exactly n (at most 5) dot-separated
// fields; the last field keeps any further dots, since serials may contain
// them. An array rather than a slice keeps the common case allocation-free.
func epcFields(body string, n int) (f [5]string, err error) {
	for i := 0; i < n-1; i++ {
		var ok bool
		if f[i], body, ok = strings.Cut(body, "."); !ok {
			return f, ErrEPCSyntax
		}
	}
	f[n-1] = body
	return f, nil
}

func epcGCP(gcp string) error {
	if !isDigits(gcp) {
		return ErrEPCCharset
	}
	if len(gcp) < 6 || len(gcp) > 12 {
		return ErrEPCGCPLength
	}
	return nil
}

// epcNumeric checks a company prefix and a numeric reference that together
// have total digits.
func epcNumeric(gcp, ref string, total int) error {
	if err := epcGCP(gcp); err != nil {
		return err
	}
	if !isDigits(ref) {
		return ErrEPCCharset
	}
	if len(gcp)+len(ref) != total {
		return ErrEPCLength
	}
	return nil
}

func epcDigits(s string, minLen, maxLen int) error {
	if !isDigits(s) {
		return ErrEPCCharset
	}
	if len(s) < minLen || len(s) > maxLen {
		return ErrEPCLength
	}
	return nil
}

// epcGTIN builds the GTIN-14 of a company prefix and an indicator + item
// reference: indicator first, then prefix, the rest, and the check digit.
func epcGTIN(gcp, iir string) (string, error) {
	if err := epcNumeric(gcp, iir, 13); err != nil {
		return "", err
	}
	var buf [14]byte
	n := copy(buf[:], iir[:1])
	n += copy(buf[n:], gcp)
	copy(buf[n:], iir[1:])
	buf[13] = GS1CheckDigit(string(buf[:13]))
	return string(buf[:]), nil
}

func withCheckDigit(body string) string { return body + string(GS1CheckDigit(body)) }

// URN characters outside the GS1 82-character set's unescaped part must be
// escaped as %HH (TDS: " % & / < > ?); decodeURNValue accepts any escape of
// an 82-set character and refuses the rest.
const urnRaw = "!'()*+,-.:;=_"

func decodeURNValue(s string, maxLen int) (string, error) {
	return decodeURN(s, maxLen, func(c byte) bool { return isAlnum(c) || strings.IndexByte(urnRaw, c) >= 0 }, 'X')
}

// decodeCPIRef decodes a CPI component/part reference: digits, capitals and
// "-" as they are, "#" and "/" escaped (CSET 39).
func decodeCPIRef(s string, maxLen int) (string, error) {
	return decodeURN(s, maxLen, func(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '-' }, 'Y')
}

func decodeURN(s string, maxLen int, raw func(byte) bool, cset byte) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		for i := 0; i < len(s); i++ {
			if !raw(s[i]) {
				return "", ErrEPCCharset
			}
		}
		if len(s) == 0 || len(s) > maxLen {
			return "", ErrEPCLength
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", ErrEPCSyntax
			}
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			if !inCset(cset, c) {
				return "", ErrEPCCharset
			}
			i += 2
		case !raw(c):
			return "", ErrEPCCharset
		}
		b = append(b, c)
	}
	if len(b) == 0 || len(b) > maxLen {
		return "", ErrEPCLength
	}
	return string(b), nil
}

// DigitalLinkToEPC converts a GS1 Digital Link (any host) to its EPC URN,
// given the length of the GS1 Company Prefix inside the key (6–12 digits),
// which the Digital Link does not show. A key without its serial gives the
// class pattern (a GTIN alone urn:epc:idpat:sgtin:CP.IR.*, a GRAI without
// serial urn:epc:idpat:grai:CP.AT.* …), a GTIN with a lot an LGTIN class. The
// qualifiers kept are those of Canonical (a serial wins over a lot). Keys
// without an EPC form (GMN, a GLN or party with 7040, a GSRN with 8019 …)
// give ErrEPCNoEquivalent.
func DigitalLinkToEPC(dl string, gcpLen int) (string, error) {
	if gcpLen < 6 || gcpLen > 12 {
		return "", ErrEPCGCPLength
	}
	d, err := ParseDigitalLink(dl)
	if err != nil {
		return "", err
	}
	q := map[string]string{}
	for _, x := range d.Qualifiers {
		if keepQualifier(d, x) {
			q[x.AI] = x.Value
		}
	}
	v, g := d.PrimaryValue, gcpLen
	var b strings.Builder
	b.WriteString("urn:epc:")
	switch d.PrimaryAI {
	case "01":
		gcp, iir := v[1:1+g], v[:1]+v[1+g:13]
		switch {
		case q["21"] != "":
			writeURN(&b, "id:sgtin:", gcp, iir, urnEscape(q["21"]))
		case q["10"] != "":
			writeURN(&b, "class:lgtin:", gcp, iir, urnEscape(q["10"]))
		case q["235"] != "":
			writeURN(&b, "id:upui:", gcp, iir, urnEscape(q["235"]))
		default:
			writeURN(&b, "idpat:sgtin:", gcp, iir, "*")
		}
	case "00":
		writeURN(&b, "id:sscc:", v[1:1+g], v[:1]+v[1+g:17])
	case "414":
		if _, ok := q["7040"]; ok {
			return "", ErrEPCNoEquivalent
		}
		ext := "0"
		if e, ok := q["254"]; ok {
			ext = urnEscape(e)
		}
		writeURN(&b, "id:sgln:", v[:g], v[g:12], ext)
	case "417":
		if len(q) > 0 {
			return "", ErrEPCNoEquivalent
		}
		writeURN(&b, "id:pgln:", v[:g], v[g:12])
	case "8003":
		if len(v) == 14 {
			writeURN(&b, "idpat:grai:", v[1:1+g], v[1+g:13], "*") // an asset type
			break
		}
		writeURN(&b, "id:grai:", v[1:1+g], v[1+g:13], urnEscape(v[14:]))
	case "253", "255":
		scheme := "gdti:"
		if d.PrimaryAI == "255" {
			scheme = "sgcn:"
		}
		if len(v) == 13 {
			writeURN(&b, "idpat:"+scheme, v[:g], v[g:12], "*") // a document or coupon type
			break
		}
		writeURN(&b, "id:"+scheme, v[:g], v[g:12], urnEscape(v[13:]))
	case "8017", "8018", "402":
		if len(q) > 0 {
			return "", ErrEPCNoEquivalent
		}
		scheme := map[string]string{"8017": "id:gsrnp:", "8018": "id:gsrn:", "402": "id:gsin:"}[d.PrimaryAI]
		writeURN(&b, scheme, v[:g], v[g:len(v)-1])
	case "8004", "401":
		if len(q) > 0 {
			return "", ErrEPCNoEquivalent
		}
		if len(v) <= g || !isDigits(v[:g]) {
			return "", ErrEPCGCPLength
		}
		scheme := "id:giai:"
		if d.PrimaryAI == "401" {
			scheme = "id:ginc:"
		}
		writeURN(&b, scheme, v[:g], urnEscape(v[g:]))
	case "8006":
		serial := urnEscape(q["21"])
		scheme := "id:itip:"
		if serial == "" {
			serial, scheme = "*", "idpat:itip:"
		}
		writeURN(&b, scheme, v[1:1+g], v[:1]+v[1+g:13], v[14:16], v[16:18], serial)
	case "8010":
		if len(v) <= g || !isDigits(v[:g]) {
			return "", ErrEPCGCPLength
		}
		ref := strings.NewReplacer("#", "%23", "/", "%2F").Replace(v[g:])
		if serial, ok := q["8011"]; ok {
			writeURN(&b, "id:cpi:", v[:g], ref, serial)
		} else {
			writeURN(&b, "idpat:cpi:", v[:g], ref, "*") // a part without serial
		}
	default:
		return "", ErrEPCNoEquivalent
	}
	return b.String(), nil
}

func writeURN(b *strings.Builder, scheme string, fields ...string) {
	b.WriteString(scheme)
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f)
	}
}

// urnEscape writes a value of the 82-character set in URN form (TDS):
// " % & / < > ? escaped, everything else as it is.
func urnEscape(v string) string {
	if !strings.ContainsAny(v, "\"%&/<>?") {
		return v
	}
	return urnEscaper.Replace(v)
}

var urnEscaper = strings.NewReplacer("\"", "%22", "%", "%25", "&", "%26", "/", "%2F", "<", "%3C", ">", "%3E", "?", "%3F")

// CanonicalID gives the single spelling under which an identifier in an
// EPCIS event is stored and compared:
//   - an EPC URN becomes its canonical Digital Link (EPCToDigitalLink);
//     EPC schemes without a Digital Link (gid, usdod, adi, bic, imovn) and
//     patterns other than a whole GTIN stay as they are;
//   - an http(s) URI whose path ends in a GS1 primary key and its qualifiers
//     (/01/…, /00/…, /414/…, /417/…, /8003/… on any host) is validated and
//     becomes DigitalLink.Canonical(). One whose key value has the right
//     shape but fails validation (a wrong check digit, qualifiers out of
//     order, an unknown AI) is refused rather than kept as a second spelling
//     of the same thing; one whose key value is not even shaped like one
//     (/01/15), or that is keyed by a short name (/gtin/, /party/ …) and
//     fails, is taken for an ordinary web address;
//   - any other absolute URI (urn:uuid:…, urn:gdst:…, geo:…, a web address)
//     is returned unchanged.
//
// An empty string or one that is not an absolute URI gives ErrEPCURI; a
// malformed EPC URN gives its rule.epc.… error and a Digital Link that fails
// validation a *DLError. Published EPCIS test data carries a few such
// identifiers (15-digit SSCC URNs in the opentraceability sets, Digital
// Links with wrong check digits in OpenEPCIS examples); a caller that must
// take them as opaque names can keep s whenever the error is not ErrEPCURI.
func CanonicalID(s string) (string, error) {
	if _, isEPC := cutPrefixFold(s, "urn:epc:"); isEPC {
		dl, err := EPCToDigitalLink(s)
		if err == ErrEPCNoEquivalent && absoluteURI(s) {
			return s, nil
		}
		return dl, err
	}
	if !absoluteURI(s) {
		return "", ErrEPCURI
	}
	if !hasHTTPScheme(s) {
		return s, nil
	}
	d, shape, err := parseDL(s)
	switch {
	case shape == notDL, shape == weakDL && err != nil:
		return s, nil // a web address that merely contains /01/, /party/ …
	case err != nil:
		return "", err
	}
	return d.Canonical(), nil
}

func hasHTTPScheme(s string) bool {
	_, ok := cutPrefixFold(s, "http:")
	if !ok {
		_, ok = cutPrefixFold(s, "https:")
	}
	return ok
}

// absoluteURI checks the RFC 3986 shape that matters for identity: a scheme,
// something after it, no spaces, controls or characters URIs never contain,
// and well-formed percent escapes. Non-ASCII letters are let through (IRIs).
func absoluteURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon < 1 || colon == len(s)-1 {
		return false
	}
	for i := 0; i < colon; i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	for i := colon + 1; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte("\"<>\\^`{|}", c) >= 0 {
			return false
		}
	}
	return validPercentEncoding(s)
}

// IsEPCPattern reports whether s is an EPC pattern URI (urn:epc:idpat:…),
// which names a set of identifiers rather than one.
func IsEPCPattern(s string) bool {
	_, ok := cutPrefixFold(s, "urn:epc:idpat:")
	return ok
}

// EPCClassOf returns the GTIN-level class, https://id.gs1.org/01/{GTIN}, of
// an identifier built on a GTIN (an item /01/…/21/…, a lot /01/…/10/…, a
// UPUI, or the GTIN itself), as MATCH_epcClass compares it. The input is
// normally CanonicalID's result; other spellings are canonicalised first.
// Identifiers not built on a GTIN give "".
func EPCClassOf(canonical string) string {
	if c, ok := gtinClass(canonical); ok {
		return c
	}
	id, err := CanonicalID(canonical)
	if err != nil || id == canonical {
		return ""
	}
	c, _ := gtinClass(id)
	return c
}

const canonicalGTINPrefix = CanonicalHost + "/01/"

func gtinClass(s string) (string, bool) {
	n := len(canonicalGTINPrefix) + 14
	if len(s) < n || s[:len(canonicalGTINPrefix)] != canonicalGTINPrefix || !isDigits(s[len(canonicalGTINPrefix):n]) {
		return "", false
	}
	if len(s) > n && s[n] != '/' {
		return "", false
	}
	return s[:n], true
}
