package codes

import (
	"slices"
	"strings"
	"testing"
)

func TestAIDictionaryParse(t *testing.T) {
	t.Parallel()
	table := aiTable()
	// Count the AIs the file defines, ranges expanded, straight from the text.
	want := 0
	for _, line := range strings.Split(aiDictionaryText, "\n") {
		f := strings.Fields(strings.SplitN(line, "#", 2)[0])
		if len(f) == 0 {
			continue
		}
		ais, err := expandAIRange(f[0])
		if err != nil {
			t.Fatal(err)
		}
		want += len(ais)
	}
	if len(table) != want || want < 400 {
		t.Fatalf("%d AIs parsed, the file defines %d", len(table), want)
	}
	gtin := lookupAI("01")
	if gtin == nil || !gtin.pkey || !gtin.fixed || gtin.title != "GTIN" ||
		!slices.EqualFunc(gtin.qualifiers, [][]string{{"22", "10", "21"}, {"235"}}, slices.Equal) {
		t.Errorf("01 = %+v", gtin)
	}
	if e := lookupAI("414"); !slices.EqualFunc(e.qualifiers, [][]string{{"254"}, {"7040"}}, slices.Equal) {
		t.Errorf("414 qualifiers = %v", e.qualifiers)
	}
	if e := lookupAI("00"); !e.pkey || len(e.qualifiers) != 0 || len(e.components) != 1 ||
		e.components[0].cset != 'N' || e.components[0].min != 18 || e.components[0].max != 18 ||
		!slices.Equal(e.components[0].linters, []string{"csum", "gcppos2"}) {
		t.Errorf("00 = %+v", e)
	}
	if e := lookupAI("3103"); e == nil || e.title != "NET WEIGHT (kg)" || lookupAI("3106") != nil {
		t.Errorf("range 3100-3105 not expanded: %+v", e)
	}
	if e := lookupAI("253"); len(e.components) != 2 || !e.components[1].optional || e.components[1].max != 17 {
		t.Errorf("253 components = %+v", e.components)
	}
	if e := lookupAI("21"); e.attribute || lookupAI("17").attribute != true {
		t.Error("the ? flag is not read")
	}
	for _, bad := range []string{"01 *? Q14", "0A * N1", "3105-3100 N6", "01 [N3"} {
		if _, err := parseAIDictionary(bad); err == nil {
			t.Errorf("parseAIDictionary(%q) accepted", bad)
		}
	}
}

// sampleAIValue builds a valid value for an AI from its dictionary entry:
// each component at a length it allows, content chosen to satisfy its
// linters. It shares no code with the validator beyond GS1CheckDigit, whose
// own tests are in codes_test.go.
func sampleAIValue(e *aiEntry) string {
	var b strings.Builder
	for _, c := range e.components {
		n := c.max
		if c.min != c.max {
			n = min(c.max, 7)
		}
		part := sampleChars(c.cset, n)
		for _, l := range c.linters {
			switch l {
			case "csum":
				part = part[:n-1] + string(GS1CheckDigit(part[:n-1]))
			case "csumalpha":
				part = part[:n-2] + alphaCheckPair(part[:n-2])
			case "yymmd0", "yymmdd":
				part = "250131"
			case "yyyymmdd":
				part = "20250131"
			case "hhmi":
				part = "2359"
			case "hh", "mi", "ss":
				part = "12"
			case "zero":
				part = "0"
			case "nonzero", "nozeroprefix":
				part = "1" + part[1:]
			case "yesno", "winding", "iso5218":
				part = "1"
			case "pieceoftotal":
				part = "0102"
			case "posinseqslash":
				part = "1/2"
			case "hyphen":
				part = "-"
			case "importeridx":
				part = "A"
			case "latitude", "longitude":
				part = "0900000000"
			case "iso3166", "iso3166999":
				part = "156"
			case "iso4217":
				part = "156"
			case "iso3166alpha2":
				part = "CN"
			case "mediatype":
				part = "01"
			}
		}
		b.WriteString(part)
	}
	return b.String()
}

func sampleChars(cset byte, n int) string {
	src := map[byte]string{'N': "9506000134352111", 'X': "Ab1-x.Z9_q", 'Y': "AB1-#/Z9", 'Z': "Ab1-_x9="}[cset]
	for len(src) < n {
		src += src
	}
	return src[:n]
}

// alphaCheckPair is GS1's check character pair for alphanumeric keys,
// written from the General Specifications' description.
func alphaCheckPair(body string) string {
	primes := []int{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83}
	sum := 0
	for i := range len(body) {
		sum += strings.IndexByte(cset82, body[len(body)-1-i]) * primes[i]
	}
	sum %= 1021
	return string([]byte{cset32[sum/32], cset32[sum%32]})
}

func TestEveryAIHasAValidSample(t *testing.T) {
	t.Parallel()
	for ai, e := range aiTable() {
		v := sampleAIValue(e)
		if err := CheckAI(ai, v); err != nil {
			t.Errorf("CheckAI(%s, %q) = %v", ai, v, err)
			continue
		}
		// One character more than the format allows is refused.
		maxLen := 0
		for _, c := range e.components {
			maxLen += c.max
		}
		if long := v + strings.Repeat("1", maxLen+1-len(v)); CheckAI(ai, long) != ErrDLFormat {
			t.Errorf("CheckAI(%s, %q) accepted %d characters", ai, long, len(long))
		}
		for i, c := range e.components {
			if c.cset == 'N' && !c.optional {
				pos := 0
				for _, p := range e.components[:i] {
					pos += p.max
				}
				if bad := v[:pos] + "A" + v[pos+1:]; CheckAI(ai, bad) != ErrDLFormat {
					t.Errorf("CheckAI(%s, %q) with a letter in a numeric part passes", ai, bad)
				}
			}
			if slices.Contains(c.linters, "csum") {
				pos := c.max - 1
				for _, p := range e.components[:i] {
					pos += p.max
				}
				bad := v[:pos] + string('0'+(v[pos]-'0'+1)%10) + v[pos+1:]
				if err := CheckAI(ai, bad); err != ErrDLChecksum {
					t.Errorf("CheckAI(%s, %q) with a wrong check digit = %v", ai, bad, err)
				}
			}
		}
	}
	if CheckAI("9999", "1") != ErrDLAIUnknown {
		t.Error("unknown AI accepted")
	}
}

// Digital Links carrying every AI that may appear in one: as primary key,
// as each of its qualifiers, or as a data attribute.
func TestEveryAIInADigitalLink(t *testing.T) {
	t.Parallel()
	enc := func(v string) string {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if isAlnum(v[i]) {
				b.WriteByte(v[i])
			} else {
				b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[v[i]>>4])+string("0123456789abcdef"[v[i]&15])))
			}
		}
		return b.String()
	}
	keys, quals, attrs := 0, 0, 0
	for ai, e := range aiTable() {
		v := sampleAIValue(e)
		if e.pkey {
			keys++
			uri := "https://example.com/" + ai + "/" + enc(v)
			checkDL(t, uri, ai, v, nil)
			for _, alt := range e.qualifiers {
				for _, q := range alt {
					quals++
					qv := sampleAIValue(lookupAI(q))
					checkDL(t, uri+"/"+q+"/"+enc(qv), ai, v, &AIValue{q, qv})
				}
			}
		}
		if e.attribute {
			attrs++
			base := "https://example.com/01/09506000134352"
			if ai == "01" {
				base = "https://example.com/00/106141412345678908"
			}
			d, err := ParseDigitalLink(base + "?" + ai + "=" + enc(v))
			if err != nil || len(d.Attributes) != 1 || d.Attributes[0] != (AIValue{ai, v}) {
				t.Errorf("attribute %s=%q: %+v, %v", ai, v, d, err)
			}
		}
	}
	if keys < 16 || quals < 15 || attrs < 300 {
		t.Errorf("only %d keys, %d qualifiers, %d attributes tried", keys, quals, attrs)
	}
}

func checkDL(t *testing.T, uri, ai, v string, q *AIValue) {
	t.Helper()
	d, err := ParseDigitalLink(uri)
	if err != nil || d.PrimaryAI != ai || d.PrimaryValue != v {
		t.Errorf("ParseDigitalLink(%s) = %+v, %v", uri, d, err)
		return
	}
	if q != nil && (len(d.Qualifiers) != 1 || d.Qualifiers[0] != *q) {
		t.Errorf("ParseDigitalLink(%s) qualifiers = %v", uri, d.Qualifiers)
	}
	c := d.Canonical()
	d2, err := ParseDigitalLink(c)
	if err != nil || d2.Canonical() != c {
		t.Errorf("canonical %s of %s does not parse back to itself: %v", c, uri, err)
	}
}

func TestLinters(t *testing.T) {
	t.Parallel()
	// Check character pairs from GS1's syntax engine tests (lint_csumalpha.c).
	for _, s := range []string{"1987654Ad4X4bL5ttr2310c2K", "12345678901234567890123NT", "12345_!\"%&'()*+,-./LC", "12345_0123456789:;<=>?62", "00000!HV", "22"} {
		if lintAIComponent("csumalpha", s) != nil {
			t.Errorf("csumalpha(%q) refused", s)
		}
		if len(s) > 2 && alphaCheckPair(s[:len(s)-2]) != s[len(s)-2:] {
			t.Errorf("alphaCheckPair(%q) = %s", s[:len(s)-2], alphaCheckPair(s[:len(s)-2]))
		}
	}
	for _, s := range []string{"1987654Ad4X4bL5ttr2310cXK", "1987654Ad4X4bL5ttr2310c2X", "33", "2", "12345678901234567890123 T"} {
		if lintAIComponent("csumalpha", s) != ErrDLChecksum {
			t.Errorf("csumalpha(%q) accepted", s)
		}
	}
	cases := []struct {
		linter string
		ok     []string
		bad    []string
	}{
		{"yymmd0", []string{"200131", "200229", "240229", "200600", "000229"}, []string{"200010", "201310", "200132", "200230", "210229", "2x0131"}},
		{"yymmdd", []string{"200131", "240229"}, []string{"200600", "230229", "201301"}},
		{"yyyymmdd", []string{"20000229", "20240131"}, []string{"19000229", "20230229", "20240001", "2024013"}},
		{"hhmi", []string{"0000", "2359"}, []string{"2400", "2360", "12a0"}},
		{"pieceoftotal", []string{"0101", "0102", "9999"}, []string{"0001", "0100", "0201"}},
		{"posinseqslash", []string{"1/2", "2/2"}, []string{"3/2", "0/2", "1-2", "/22"}},
		{"nozeroprefix", []string{"0", "10", "123"}, []string{"01", "00"}},
		{"hasnondigit", []string{"12A", "-"}, []string{"123"}},
		{"nonzero", []string{"0001"}, []string{"0000"}},
		{"winding", []string{"0", "1", "9"}, []string{"2"}},
		{"importeridx", []string{"-", "_", "a", "Z", "0"}, []string{".", "AA", "!"}},
		{"latitude", []string{"1800000000", "0000000000"}, []string{"1800000001"}},
		{"pcenc", []string{"abc", "a%20b"}, []string{"a%2", "a%zz"}},
		{"hyphen", []string{"-", "--"}, []string{"a"}},
	}
	for _, c := range cases {
		for _, s := range c.ok {
			if err := lintAIComponent(c.linter, s); err != nil {
				t.Errorf("%s(%q) = %v", c.linter, s, err)
			}
		}
		for _, s := range c.bad {
			if lintAIComponent(c.linter, s) == nil {
				t.Errorf("%s(%q) accepted", c.linter, s)
			}
		}
	}
}
