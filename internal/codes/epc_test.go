package codes_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/conformance"
)

// The worked examples of research/traceability.md §3.2, each confirmed there
// by a cited test, README or event-hash pre-hash string.
var workedExamples = []struct{ urn, dl string }{
	{"urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"},
	{"urn:epc:id:sgtin:4012345.011111.987", "https://id.gs1.org/01/04012345111118/21/987"},
	{"urn:epc:id:sgtin:2345678901.123.9999", "https://id.gs1.org/01/12345678901231/21/9999"},
	{"urn:epc:class:lgtin:4023333.002000.2019-10-07", "https://id.gs1.org/01/04023333020008/10/2019-10-07"},
	{"urn:epc:id:sscc:234567.18901234567", "https://id.gs1.org/00/123456789012345675"},
	{"urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"},
	{"urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234"},
	{"urn:epc:id:sgln:1234567890.11.1111", "https://id.gs1.org/414/1234567890111/254/1111"},
	{"urn:epc:id:sgln:0012345.11111.0", "https://id.gs1.org/414/0012345111112"},
	{"urn:epc:id:pgln:0614141.00777", "https://id.gs1.org/417/0614141007776"},
}

// Pairs for the other schemes, from the EPCIS event hash reference test
// vectors (epcis-event-hash/epcisDocWithAllGS1Keys and epclist_normalisation
// pre-hash strings), which spell the canonical Digital Link of each URN.
var referenceExamples = []struct{ urn, dl string }{
	{"urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/00/040123450000003338"},
	{"urn:epc:id:sgtin:4012345.012345.12", "https://id.gs1.org/01/04012345123456/21/12"},
	{"urn:epc:id:upui:4012345.012345.AB12", "https://id.gs1.org/01/04012345123456/235/AB12"},
	{"urn:epc:id:gdti:4012345.55555.98", "https://id.gs1.org/253/401234555555498"},
	{"urn:epc:id:gdti:987659999999..9", "https://id.gs1.org/253/98765999999929"},
	{"urn:epc:id:sgcn:4012345.99999.44", "https://id.gs1.org/255/401234599999044"},
	{"urn:epc:id:ginc:4012345.333", "https://id.gs1.org/401/4012345333"},
	{"urn:epc:id:gsin:4012345.999987654", "https://id.gs1.org/402/40123459999876541"},
	{"urn:epc:id:grai:4012345.66666.87", "https://id.gs1.org/8003/0401234566666387"},
	{"urn:epc:id:giai:4012345.AAbb", "https://id.gs1.org/8004/4012345AAbb"},
	{"urn:epc:id:itip:4012345.012345.01.02.999", "https://id.gs1.org/8006/040123451234560102/21/999"},
	{"urn:epc:id:cpi:4012345.ABC.123", "https://id.gs1.org/8010/4012345ABC/8011/123"},
	{"urn:epc:id:gsrnp:4012345.0000098765", "https://id.gs1.org/8017/401234500000987658"},
	{"urn:epc:id:gsrn:4012345.9876540000", "https://id.gs1.org/8018/401234598765400000"},
	{"urn:epc:class:lgtin:4054739.099914.20160711", "https://id.gs1.org/01/04054739999148/10/20160711"},
	{"urn:epc:idpat:sgtin:4054739.099914.*", "https://id.gs1.org/01/04054739999148"},
	{"urn:epc:idpat:gdti:4012345.55555.*", "https://id.gs1.org/253/4012345555554"},
	{"urn:epc:idpat:sgcn:4012345.99999.*", "https://id.gs1.org/255/4012345999990"},
	{"urn:epc:idpat:grai:4012345.66666.*", "https://id.gs1.org/8003/04012345666663"},
	{"urn:epc:idpat:itip:4012345.012345.01.02.*", "https://id.gs1.org/8006/040123451234560102"},
	{"urn:epc:idpat:cpi:4012345.ABC.*", "https://id.gs1.org/8010/4012345ABC"},
	{"urn:epc:id:sgln:4012345.00011.987", "https://id.gs1.org/414/4012345000115/254/987"},
	{"urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()", "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29"},
	{"urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB", "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB"},
	{"urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234", "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234"},
	{"urn:epc:id:ginc:0614141.xyz47%2F11", "https://id.gs1.org/401/0614141xyz47%2F11"},
	{"urn:epc:id:pgln:999999999999.", "https://id.gs1.org/417/9999999999994"},
}

func gcpLenOf(urn string) int {
	body := urn[strings.LastIndexByte(urn[:strings.IndexByte(urn, '.')], ':')+1:]
	return strings.IndexByte(body, '.')
}

func TestEPCToDigitalLinkExamples(t *testing.T) {
	t.Parallel()
	for _, c := range slices.Concat(workedExamples, referenceExamples) {
		got, err := codes.EPCToDigitalLink(c.urn)
		if err != nil || got != c.dl {
			t.Errorf("EPCToDigitalLink(%s) = %s, %v; want %s", c.urn, got, err, c.dl)
		}
		back, err := codes.DigitalLinkToEPC(c.dl, gcpLenOf(c.urn))
		if err != nil || !sameURN(back, c.urn) {
			t.Errorf("DigitalLinkToEPC(%s, %d) = %s, %v; want %s", c.dl, gcpLenOf(c.urn), back, err, c.urn)
		}
		// The Digital Link on another host, with a path prefix and a query,
		// names the same thing.
		other := strings.Replace(c.dl, "https://id.gs1.org", "http://brand.example.com/p/v2", 1) + "?linkType=gs1:pip"
		a, err1 := codes.CanonicalID(c.urn)
		b, err2 := codes.CanonicalID(other)
		if err1 != nil || err2 != nil || a != b || a != c.dl {
			t.Errorf("CanonicalID(%s) = %s, %v; CanonicalID(%s) = %s, %v", c.urn, a, err1, other, b, err2)
		}
	}
}

// sameURN compares URNs up to the spelling of escapes: the URN form escapes
// only " % & / < > ?, so "!" and "%21" are the same character.
func sameURN(a, b string) bool {
	dec := strings.NewReplacer("%21", "!", "%28", "(", "%29", ")", "%2A", "*", "%27", "'")
	return dec.Replace(a) == dec.Replace(b)
}

// The GS1 82-character set, whose characters serials, lots and GLN
// extensions may use; the URN escapes " % & / < > ?.
const gs1Chars82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

var urnEscapes = strings.NewReplacer("\"", "%22", "%", "%25", "&", "%26", "/", "%2F", "<", "%3C", ">", "%3E", "?", "%3F")

func TestRoundTrip82Characters(t *testing.T) {
	t.Parallel()
	values := []string{"!\"%&'()*+,-./:;<=>?", "a/b", "%", "0", "1.2.3", "x%2Fy"}
	for i := 0; i < len(gs1Chars82); i += 20 {
		values = append(values, gs1Chars82[i:min(i+20, len(gs1Chars82))])
	}
	for _, v := range values {
		for _, tc := range []struct{ prefix, ai, raw string }{
			{"urn:epc:id:sgtin:0614141.107346.", "21", "https://id.gs1.org/01/10614141073464/21/"},
			{"urn:epc:class:lgtin:4023333.002000.", "10", "https://id.gs1.org/01/04023333020008/10/"},
			{"urn:epc:id:sgln:0614141.07346.", "254", "https://id.gs1.org/414/0614141073467/254/"},
		} {
			if tc.ai == "254" && v == "0" {
				continue // extension 0 is no extension, tested in TestCanonicalID
			}
			urn := tc.prefix + urnEscapes.Replace(v)
			dl, err := codes.EPCToDigitalLink(urn)
			if err != nil || !strings.HasPrefix(dl, tc.raw) {
				t.Errorf("EPCToDigitalLink(%s) = %s, %v", urn, dl, err)
				continue
			}
			if bad := strings.Trim(dl[len(tc.raw):], "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._';=%"); bad != "" {
				t.Errorf("%s: characters %q are not percent-encoded", dl, bad)
			}
			d, err := codes.ParseDigitalLink(dl)
			if err != nil || len(d.Qualifiers) != 1 || d.Qualifiers[0] != (codes.AIValue{AI: tc.ai, Value: v}) {
				t.Errorf("ParseDigitalLink(%s) = %+v, %v; want %s=%q", dl, d, err, tc.ai, v)
			}
			back, err := codes.DigitalLinkToEPC(dl, 7)
			if err != nil || back != urn {
				t.Errorf("DigitalLinkToEPC(%s) = %s, %v; want %s", dl, back, err, urn)
			}
		}
	}
}

func TestEPCRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		urn  string
		want error
	}{
		{"urn:epc:id:sgtin:0614141.10734.2017", codes.ErrEPCLength},    // GCP + reference 12 digits
		{"urn:epc:id:sgtin:0614141.1073466.2017", codes.ErrEPCLength},  // 14 digits
		{"urn:epc:class:lgtin:4023333.00200.L1", codes.ErrEPCLength},   // 12 digits
		{"urn:epc:id:sgtin:06141.10734666.1", codes.ErrEPCGCPLength},   // 5-digit prefix
		{"urn:epc:id:sgtin:0614141234567.1.1", codes.ErrEPCGCPLength},  // 13-digit prefix
		{"urn:epc:id:sgtin:0614141.10734A.1", codes.ErrEPCCharset},     // letter in the item reference
		{"urn:epc:id:sgtin:0614141.107346.20 17", codes.ErrEPCCharset}, // space
		{"urn:epc:id:sgtin:0614141.107346.a/b", codes.ErrEPCCharset},   // / must be escaped
		{"urn:epc:id:sgtin:0614141.107346.%7E", codes.ErrEPCCharset},   // ~ is not in the 82-character set
		{"urn:epc:id:sgtin:0614141.107346.%2", codes.ErrEPCSyntax},
		{"urn:epc:id:sgtin:0614141.107346.123456789012345678901", codes.ErrEPCLength},
		{"urn:epc:id:sgtin:0614141.107346.", codes.ErrEPCLength},
		{"urn:epc:id:sgtin:0614141.107346", codes.ErrEPCSyntax},
		{"urn:epc:id:sgtin:", codes.ErrEPCSyntax},
		{"urn:epc:id:sscc:0614141.123456789", codes.ErrEPCLength},
		{"urn:epc:id:sgln:0614141.0734.0", codes.ErrEPCLength},
		{"urn:epc:id:grai:4012345.00022.12345678901234567", codes.ErrEPCLength}, // serial over 16
		{"urn:epc:id:giai:4012345.", codes.ErrEPCLength},
		{"urn:epc:id:giai:4012345.12345678901234567890123X", codes.ErrEPCLength}, // 31 characters
		{"urn:epc:id:itip:4012345.011111.03.02.987", codes.ErrEPCSyntax},         // piece 3 of 2
		{"urn:epc:id:cpi:0614141.ABC.0123", codes.ErrEPCSyntax},                  // leading zero
		{"urn:epc:id:cpi:0614141.abc.1", codes.ErrEPCCharset},                    // CPI references are upper case
		{"urn:epc:id:sgcn:4012345.99999.4A", codes.ErrEPCCharset},
		{"urn:epc:id:foo:1.2", codes.ErrEPCScheme},
		{"urn:epc:class:sgtin:0614141.107346.1", codes.ErrEPCScheme},
		{"urn:epc:tag:sgtin-96:3.0614141.107346.2017", codes.ErrEPCScheme},
		{"urn:epc:id:gid:95100000.12345.400", codes.ErrEPCNoEquivalent},
		{"urn:epc:idpat:sgtin:0614141.*.*", codes.ErrEPCNoEquivalent},
		{"urn:epc:idpat:sscc:0614141.*", codes.ErrEPCNoEquivalent},
		{"urn:uuid:0b1d2c3e-0000-4000-8000-000000000000", codes.ErrEPCScheme},
	}
	for _, c := range cases {
		if got, err := codes.EPCToDigitalLink(c.urn); err != c.want {
			t.Errorf("EPCToDigitalLink(%q) = %q, %v; want %v", c.urn, got, err, c.want)
		}
	}
	// URN syntax leaves the fixed parts' case free.
	if got, err := codes.EPCToDigitalLink("URN:EPC:ID:SGTIN:0614141.107346.2017"); err != nil || got != workedExamples[0].dl {
		t.Errorf("upper-case URN: %s, %v", got, err)
	}
}

func TestDigitalLinkToEPCRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dl     string
		gcpLen int
		want   error
	}{
		{"https://id.gs1.org/01/10614141073464/21/2017", 5, codes.ErrEPCGCPLength},
		{"https://id.gs1.org/01/10614141073464/21/2017", 13, codes.ErrEPCGCPLength},
		{"https://id.gs1.org/8004/40123X", 7, codes.ErrEPCGCPLength}, // the prefix would hold a letter
		{"https://id.gs1.org/401/4012345", 7, codes.ErrEPCGCPLength}, // nothing after the prefix
		{"https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2K", 7, codes.ErrEPCNoEquivalent},
		{"https://id.gs1.org/414/4012345000115/7040/1ABC", 7, codes.ErrEPCNoEquivalent},
		{"https://id.gs1.org/8018/401234598765400000/8019/12", 7, codes.ErrEPCNoEquivalent},
		{"https://id.gs1.org/01/10614141073465/21/2017", 7, codes.ErrDLChecksum},
	}
	for _, c := range cases {
		if got, err := codes.DigitalLinkToEPC(c.dl, c.gcpLen); !errors.Is(err, c.want) {
			t.Errorf("DigitalLinkToEPC(%s, %d) = %q, %v; want %v", c.dl, c.gcpLen, got, err, c.want)
		}
	}
	// A GTIN with lot and serial is an item; with a lot only, a class; alone,
	// the whole-GTIN pattern; a GLN extension of 0 is no extension.
	for dl, want := range map[string]string{
		"https://example.com/01/10614141073464/22/V1/10/L1/21/2017": "urn:epc:id:sgtin:0614141.107346.2017",
		"https://example.com/01/10614141073464/10/L1":               "urn:epc:class:lgtin:0614141.107346.L1",
		"https://example.com/01/10614141073464":                     "urn:epc:idpat:sgtin:0614141.107346.*",
		"https://example.com/414/0614141073467/254/0":               "urn:epc:id:sgln:0614141.07346.0",
		"https://example.com/01/9506000134352/21/1":                 "urn:epc:id:sgtin:950600.0013435.1",
	} {
		if got, err := codes.DigitalLinkToEPC(dl, len(strings.Split(strings.SplitN(want, ":", 5)[4], ".")[0])); err != nil || got != want {
			t.Errorf("DigitalLinkToEPC(%s) = %s, %v; want %s", dl, got, err, want)
		}
	}
}

func TestCanonicalID(t *testing.T) {
	t.Parallel()
	same := [][]string{
		{"urn:epc:id:sgtin:0614141.107346.2017", "https://example.com/01/10614141073464/21/2017",
			"HTTPS://Example.COM/shop/01/10614141073464/10/LOT9/21/2017?17=261231&linkType=gs1:pip#top",
			"http://example.com/gtin/10614141073464/ser/2017"},
		{"urn:epc:class:lgtin:0614141.107346.L%2F1", "https://x.example/01/10614141073464/10/L%2f1", "https://x.example/01/10614141073464/22/V/10/L%2F1"},
		{"urn:epc:idpat:sgtin:0614141.107346.*", "https://id.gs1.org/01/10614141073464"},
		{"urn:epc:id:sgtin:950600.0013435.1", "https://example.com/01/9506000134352/21/1"}, // GTIN-13 padded
		{"urn:epc:id:sgln:0614141.07346.0", "https://example.com/414/0614141073467/254/0", "https://example.com/414/0614141073467"},
		{"urn:epc:id:sgtin:0614141.107346.%21", "urn:epc:id:sgtin:0614141.107346.!"},
	}
	for _, group := range same {
		first, err := codes.CanonicalID(group[0])
		if err != nil || !strings.HasPrefix(first, codes.CanonicalHost+"/") {
			t.Errorf("CanonicalID(%s) = %s, %v", group[0], first, err)
			continue
		}
		for _, s := range group[1:] {
			if got, err := codes.CanonicalID(s); err != nil || got != first {
				t.Errorf("CanonicalID(%s) = %s, %v; want %s", s, got, err, first)
			}
		}
	}
	unchanged := []string{
		"urn:gdst:example.org:product:lot:class:processor.2u.v1-0122-2022",
		"https://example.org/x",
		"https://example.org/",
		"https://example.com/party/2024", // a short name whose value is no GLN
		"https://example.org/21/123",     // a qualifier without its key
		"https://example.org/2024/05",
		"https://news.example.com/archive/2024/01/15/10/story", // /01/ followed by no GTIN
		"https://example.org/00/2024/05",
		"https://example.com/01/123",
		"http:opaque",
		"urn:uuid:6d2d7e4a-1c39-4b8e-9e3f-2a4c1b0e9d11",
		"geo:42.698334,23.319941",
		"urn:epc:id:gid:95100000.12345.400",
		"urn:epc:idpat:sgtin:0614141.*.*",
		"mailto:a@example.org",
		"https://地方.example/批次/7",
	}
	for _, s := range unchanged {
		if got, err := codes.CanonicalID(s); err != nil || got != s {
			t.Errorf("CanonicalID(%s) = %s, %v; want it unchanged", s, got, err)
		}
	}
	refused := []struct {
		s    string
		want error
	}{
		{"", codes.ErrEPCURI},
		{"hello world", codes.ErrEPCURI},
		{"0614141.107346.2017", codes.ErrEPCURI},
		{":x", codes.ErrEPCURI},
		{"urn:", codes.ErrEPCURI},
		{"1urn:x", codes.ErrEPCURI},
		{"urn:x:a b", codes.ErrEPCURI},
		{"urn:x:a%zz", codes.ErrEPCURI},
		{"https://example.com/a\"b", codes.ErrEPCURI},
		{"urn:epc:id:sgtin:0614141.10734.2017", codes.ErrEPCLength},
		{"urn:epc:id:bogus:1", codes.ErrEPCScheme},
		{"https://example.com/01/10614141073465/21/2017", codes.ErrDLChecksum},
		{"https://example.com/01/10614141073464/21/2017/10/L1", codes.ErrDLQualifierOrder},
		{"https://example.com/01/10614141073464/9999/x", codes.ErrDLAIUnknown},
		{"https://example.com/21/1/01/10614141073464", codes.ErrDLQualifierOrder},
		{"https://example.com/01/10614141073464/10/%7E", codes.ErrDLFormat},
		{"https://example.com/01/10614141073464?17=991399", codes.ErrDLFormat},
		// Found in published test data: opentraceability's 15-digit SSCC
		// URNs, an OpenEPCIS query's GLN and capture document's GRAI.
		{"urn:epc:id:sscc:08600031303.0003", codes.ErrEPCLength},
		{"https://id.gs1.org/414/9521141123452", codes.ErrDLChecksum},
		{"https://id.example.com/8003/030013450007718765", codes.ErrDLChecksum},
	}
	for _, c := range refused {
		if got, err := codes.CanonicalID(c.s); !errors.Is(err, c.want) || got != "" {
			t.Errorf("CanonicalID(%q) = %q, %v; want %v", c.s, got, err, c.want)
		}
	}
	// A short-name link that fails its checks is an ordinary web address.
	short := "https://example.com/gtin/10614141073464/21/2017/10/L"
	if got, err := codes.CanonicalID(short); err != nil || got != short {
		t.Errorf("CanonicalID(%s) = %s, %v", short, got, err)
	}
}

func TestIsEPCPatternAndClass(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"urn:epc:idpat:sgtin:0614141.107346.*": true,
		"URN:EPC:IDPAT:sscc:0614141.*":         true,
		"urn:epc:id:sgtin:0614141.107346.2017": false,
		"https://id.gs1.org/01/10614141073464": false,
		"urn:epc:idpat":                        false,
	} {
		if codes.IsEPCPattern(s) != want {
			t.Errorf("IsEPCPattern(%s) != %v", s, want)
		}
	}
	class := "https://id.gs1.org/01/10614141073464"
	for in, want := range map[string]string{
		"https://id.gs1.org/01/10614141073464/21/2017": class,
		"https://id.gs1.org/01/10614141073464/10/L1":   class,
		"https://id.gs1.org/01/10614141073464/235/T1":  class,
		class:                                           class,
		"urn:epc:id:sgtin:0614141.107346.2017":          class,
		"urn:epc:class:lgtin:0614141.107346.L1":         class,
		"https://example.com/p/01/10614141073464/21/9":  class,
		"https://id.gs1.org/00/106141412345678908":      "",
		"https://id.gs1.org/8006/040123451234560102":    "",
		"https://id.gs1.org/01/1061414107346":           "",
		"https://id.gs1.org/01/10614141073464x":         "",
		"urn:uuid:6d2d7e4a-1c39-4b8e-9e3f-2a4c1b0e9d11": "",
		"": "",
	} {
		if got := codes.EPCClassOf(in); got != want {
			t.Errorf("EPCClassOf(%s) = %q, want %q", in, got, want)
		}
	}
}

// CanonicalID on every string that may need it costs few allocations: it
// runs on every identifier of every captured event.
func TestCanonicalIDAllocations(t *testing.T) {
	urn := "urn:epc:id:sgtin:0614141.107346.2017"
	if n := testing.AllocsPerRun(200, func() { _, _ = codes.CanonicalID(urn) }); n > 2 {
		t.Errorf("CanonicalID(SGTIN URN) allocates %v times", n)
	}
	other := "urn:uuid:6d2d7e4a-1c39-4b8e-9e3f-2a4c1b0e9d11"
	if n := testing.AllocsPerRun(200, func() { _, _ = codes.CanonicalID(other) }); n > 0 {
		t.Errorf("CanonicalID(non-GS1 URI) allocates %v times", n)
	}
}

func BenchmarkCanonicalIDSGTIN(b *testing.B) {
	urn := "urn:epc:id:sgtin:0614141.107346.2017"
	for b.Loop() {
		if _, err := codes.CanonicalID(urn); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonicalIDDigitalLink(b *testing.B) {
	dl := "https://example.com/01/10614141073464/21/2017?17=261231"
	for b.Loop() {
		if _, err := codes.CanonicalID(dl); err != nil {
			b.Fatal(err)
		}
	}
}

// identifierKeys are the EPCIS event fields that hold identifiers.
var identifierKeys = map[string]bool{
	"epcList": true, "childEPCs": true, "inputEPCList": true, "outputEPCList": true,
	"parentID": true, "epcClass": true, "readPoint": true, "bizLocation": true,
}

// collectIdentifiers walks a decoded JSON document and returns the strings
// of the identifier fields (readPoint and bizLocation through their "id").
func collectIdentifiers(v any, key string, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if (key == "readPoint" || key == "bizLocation") && k == "id" {
				if s, ok := c.(string); ok {
					*out = append(*out, s)
				}
			}
			collectIdentifiers(c, k, out)
		}
	case []any:
		for _, c := range x {
			collectIdentifiers(c, key, out)
		}
	case string:
		if identifierKeys[key] && key != "readPoint" && key != "bizLocation" {
			*out = append(*out, x)
		}
	}
}

// Every identifier in GS1's EPCIS 2.0 JSON examples is accepted, and its
// canonical form is a fixed point.
func TestCanonicalIDOnEPCISExamples(t *testing.T) {
	t.Parallel()
	root := filepath.Join(conformance.Dir(t), "epcis", "JSON")
	var ids []string
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonld") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		files++
		collectIdentifiers(doc, "", &ids)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 40 || len(ids) < 200 {
		t.Fatalf("only %d files and %d identifiers found under %s", files, len(ids), root)
	}
	kinds := map[string]bool{}
	for _, id := range ids {
		c, err := codes.CanonicalID(id)
		if err != nil {
			t.Errorf("CanonicalID(%s): %v", id, err)
			continue
		}
		if again, err := codes.CanonicalID(c); err != nil || again != c {
			t.Errorf("CanonicalID(%s) = %s, but that gives %s, %v", id, c, again, err)
		}
		// GS1's own examples use GS1 keys only in valid forms.
		if strings.HasPrefix(id, "urn:epc:") || strings.HasPrefix(id, "http") {
			if !strings.HasPrefix(c, codes.CanonicalHost+"/") {
				t.Errorf("CanonicalID(%s) = %s, not a canonical Digital Link", id, c)
				continue
			}
			kinds[strings.Split(c, "/")[3]] = true
		}
	}
	for _, ai := range []string{"00", "01", "414", "8003", "8004", "8018"} {
		if !kinds[ai] {
			t.Errorf("no identifier with primary key %s among the examples", ai)
		}
	}
}

// The EPCIS event hash reference normaliser turns the URNs and Digital Links
// of epclist_normalisation.jsonld into the epc= values of its pre-hash
// string; CanonicalID gives the same set.
func TestCanonicalIDMatchesEventHashNormaliser(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(conformance.Dir(t), "epcis-event-hash")
	data, err := os.ReadFile(filepath.Join(dir, "epclist_normalisation.jsonld"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		EPCISBody struct {
			EventList []struct {
				EPCList   []string `json:"epcList"`
				ReadPoint struct {
					ID string `json:"id"`
				} `json:"readPoint"`
			} `json:"eventList"`
		} `json:"epcisBody"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	pre, err := os.ReadFile(filepath.Join(dir, "epclist_normalisation.prehashes"))
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(pre))
	list := line[strings.Index(line, "epcList")+len("epcList") : strings.Index(line, "action=")]
	want := strings.Split(strings.TrimPrefix(list, "epc="), "epc=")
	ev := doc.EPCISBody.EventList[0]
	var got []string
	for _, id := range ev.EPCList {
		c, err := codes.CanonicalID(id)
		if err != nil {
			t.Errorf("CanonicalID(%s): %v", id, err)
		}
		got = append(got, c)
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) < 20 || !slices.Equal(got, want) {
		t.Errorf("canonical epcList:\n got %q\nwant %q", got, want)
	}
	rp, err := codes.CanonicalID(ev.ReadPoint.ID)
	if err != nil || !strings.Contains(line, "readPointid="+rp) {
		t.Errorf("readPoint %s -> %s, %v; not in the pre-hash string", ev.ReadPoint.ID, rp, err)
	}
}
