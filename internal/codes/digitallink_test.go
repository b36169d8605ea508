package codes_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/codes"
)

func TestParseDigitalLink(t *testing.T) {
	t.Parallel()
	cases := []struct {
		uri  string
		want codes.DigitalLink
	}{
		{"https://id.gs1.org/01/09506000134352/10/ABC%2F1/21/12345?17=261231&linkType=gs1:pip",
			codes.DigitalLink{PrimaryAI: "01", PrimaryValue: "09506000134352",
				Qualifiers: []codes.AIValue{{AI: "10", Value: "ABC/1"}, {AI: "21", Value: "12345"}},
				Attributes: []codes.AIValue{{AI: "17", Value: "261231"}}}},
		// A path prefix with digits in it; a GTIN-13 padded to 14.
		{"https://brand.example.com/products/2024/01/9506000134352",
			codes.DigitalLink{PrimaryAI: "01", PrimaryValue: "09506000134352"}},
		{"http://example.com/01/96385074", codes.DigitalLink{PrimaryAI: "01", PrimaryValue: "00000096385074"}},
		{"http://example.com/01/036000291452", codes.DigitalLink{PrimaryAI: "01", PrimaryValue: "00036000291452"}},
		// The 235 alternative to 22, 10, 21.
		{"https://example.com/01/09506000134352/235/TPX-1",
			codes.DigitalLink{PrimaryAI: "01", PrimaryValue: "09506000134352", Qualifiers: []codes.AIValue{{AI: "235", Value: "TPX-1"}}}},
		{"https://example.com/414/4012345000115/254/987?7003=2512311430;3103=000750",
			codes.DigitalLink{PrimaryAI: "414", PrimaryValue: "4012345000115", Qualifiers: []codes.AIValue{{AI: "254", Value: "987"}},
				Attributes: []codes.AIValue{{AI: "7003", Value: "2512311430"}, {AI: "3103", Value: "000750"}}}},
		{"https://example.com/00/106141412345678908", codes.DigitalLink{PrimaryAI: "00", PrimaryValue: "106141412345678908"}},
		{"https://example.com/8003/040123450007718765", codes.DigitalLink{PrimaryAI: "8003", PrimaryValue: "040123450007718765"}},
		// GMN with its check character pair (GS1 syntax engine test value).
		{"https://example.com/8013/1987654Ad4X4bL5ttr2310c2K", codes.DigitalLink{PrimaryAI: "8013", PrimaryValue: "1987654Ad4X4bL5ttr2310c2K"}},
		// Short names, as the Digital Link grammar allows outside EPCIS.
		{"https://example.com/gtin/09780345418913/ser/765tz?exp=211121&abc=1",
			codes.DigitalLink{PrimaryAI: "01", PrimaryValue: "09780345418913", Qualifiers: []codes.AIValue{{AI: "21", Value: "765tz"}},
				Attributes: []codes.AIValue{{AI: "17", Value: "211121"}}}},
		// Raw sub-delimiters in the path decode to themselves.
		{"https://example.com/01/09506000134352/21/a!b'c(d)*e+f,g;h=i:j",
			codes.DigitalLink{PrimaryAI: "01", PrimaryValue: "09506000134352", Qualifiers: []codes.AIValue{{AI: "21", Value: "a!b'c(d)*e+f,g;h=i:j"}}}},
	}
	for _, c := range cases {
		got, err := codes.ParseDigitalLink(c.uri)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseDigitalLink(%s) =\n %+v, %v\nwant %+v", c.uri, got, err, c.want)
		}
	}
}

func TestParseDigitalLinkRefusals(t *testing.T) {
	t.Parallel()
	const gtin = "https://example.com/01/09506000134352"
	cases := []struct {
		uri  string
		rule error
		ai   string
	}{
		{"https://example.com/01/09506000134353", codes.ErrDLChecksum, "01"},
		{"https://example.com/00/106141412345678907", codes.ErrDLChecksum, "00"},
		{"https://example.com/414/4012345000116", codes.ErrDLChecksum, "414"},
		{"https://example.com/8013/1987654Ad4X4bL5ttr2310cXK", codes.ErrDLChecksum, "8013"},
		{gtin + "?02=09506000134353", codes.ErrDLChecksum, "02"},
		{"https://example.com/21/123/01/09506000134352", codes.ErrDLQualifierOrder, "21"},
		{gtin + "/21/S1/10/L1", codes.ErrDLQualifierOrder, "10"},
		{gtin + "/10/L1/22/V1", codes.ErrDLQualifierOrder, "22"},
		{gtin + "/21/S1/21/S2", codes.ErrDLQualifierOrder, "21"},
		{gtin + "/10/L1/235/T1", codes.ErrDLQualifierOrder, "235"}, // two alternatives mixed
		{gtin + "/254/1", codes.ErrDLQualifierOrder, "254"},        // a qualifier of another key
		{"https://example.com/00/106141412345678908/21/1", codes.ErrDLQualifierOrder, "21"},
		{gtin + "/9999/x", codes.ErrDLAIUnknown, "9999"},
		{gtin + "?9999=1", codes.ErrDLAIUnknown, "9999"},
		{"https://example.com/01/123", codes.ErrDLFormat, "01"},
		{"https://example.com/01/0950600013435A", codes.ErrDLFormat, "01"},
		{gtin + "/10/123456789012345678901", codes.ErrDLFormat, "10"}, // 21 characters
		{gtin + "/10/A%7EB", codes.ErrDLFormat, "10"},                 // ~ is not in the 82-character set
		{gtin + "/10/%E4%B8%AD", codes.ErrDLFormat, "10"},             // nor is 中
		{gtin + "/10/", codes.ErrDLFormat, "10"},
		{gtin + "?17=261332", codes.ErrDLFormat, "17"},
		{gtin + "?17=26123", codes.ErrDLFormat, "17"},
		{gtin + "?21=5", codes.ErrDLAttribute, "21"},
		{gtin + "?17=261231&17=261230", codes.ErrDLAttribute, "17"},
		{gtin + "/10/L1?lot=L2", codes.ErrDLAttribute, "10"},
		{gtin + "/21/a%2", codes.ErrDLSyntax, "21"},
		{"ftp://example.com/01/09506000134352", codes.ErrDLSyntax, ""},
		{"https:///01/09506000134352", codes.ErrDLSyntax, ""},
		{"https://example.com", codes.ErrDLSyntax, ""},
		{"https://example.com/about/us", codes.ErrDLSyntax, ""},
		{gtin + "/", codes.ErrDLSyntax, ""},
		{"urn:epc:id:sgtin:0614141.107346.2017", codes.ErrDLSyntax, ""},
	}
	for _, c := range cases {
		_, err := codes.ParseDigitalLink(c.uri)
		var dle *codes.DLError
		if !errors.Is(err, c.rule) || !errors.As(err, &dle) || dle.AI != c.ai || err.Error() != c.rule.Error() {
			t.Errorf("ParseDigitalLink(%s) = %v (%+v), want %v at AI %q", c.uri, err, dle, c.rule, c.ai)
		}
	}
}

func TestDigitalLinkCanonical(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		// An item is more precise than its lot; the variant is not part of
		// the identity; the query and the host go.
		"https://example.com/x/01/09506000134352/22/V1/10/L1/21/S1?17=261231": "https://id.gs1.org/01/09506000134352/21/S1",
		"https://example.com/01/09506000134352/22/V1/10/L1":                   "https://id.gs1.org/01/09506000134352/10/L1",
		"https://example.com/01/09506000134352/22/V1":                         "https://id.gs1.org/01/09506000134352",
		"https://example.com/8006/040123451234560102/10/L/21/9":               "https://id.gs1.org/8006/040123451234560102/21/9",
		"https://example.com/414/4012345000115/254/0":                         "https://id.gs1.org/414/4012345000115",
		"https://example.com/414/4012345000115/254/00":                        "https://id.gs1.org/414/4012345000115/254/00",
		"https://example.com/414/4012345000115/7040/1A-_":                     "https://id.gs1.org/414/4012345000115/7040/1A-_",
		"https://example.com/8010/4012345ABC%23/8011/123":                     "https://id.gs1.org/8010/4012345ABC%23/8011/123",
		"https://example.com/8018/401234598765400000/8019/12":                 "https://id.gs1.org/8018/401234598765400000/8019/12",
		// One spelling of each character: upper-case escapes, ! ( ) * + , :
		// escaped, ' ; = as they are.
		"https://example.com/01/09506000134352/21/a%2fb!(c)*+,:%27%3b%3D": "https://id.gs1.org/01/09506000134352/21/a%2Fb%21%28c%29%2A%2B%2C%3A';=",
		"https://example.com/01/09506000134352/10/%22%25%26%3C%3E%3F":     "https://id.gs1.org/01/09506000134352/10/%22%25%26%3C%3E%3F",
	}
	for in, want := range cases {
		d, err := codes.ParseDigitalLink(in)
		if err != nil {
			t.Errorf("ParseDigitalLink(%s): %v", in, err)
			continue
		}
		if got := d.Canonical(); got != want {
			t.Errorf("Canonical(%s) = %s, want %s", in, got, want)
		}
		if again, err := codes.ParseDigitalLink(want); err != nil || again.Canonical() != want {
			t.Errorf("%s does not parse to itself: %v", want, err)
		}
	}
	// A DigitalLink built by hand with a GTIN-13 still gives 14 digits.
	d := codes.DigitalLink{PrimaryAI: "01", PrimaryValue: "9506000134352", Qualifiers: []codes.AIValue{{AI: "21", Value: "a/b"}}}
	if got := d.Canonical(); got != "https://id.gs1.org/01/09506000134352/21/a%2Fb" {
		t.Errorf("Canonical = %s", got)
	}
}
