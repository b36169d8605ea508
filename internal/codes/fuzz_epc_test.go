package codes_test

import (
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/codes"
)

// FuzzCanonicalID: CanonicalID never panics, and what it returns is its own
// canonical form. Canonical Digital Links also survive the trip to an EPC
// URN and back, for every company prefix length that fits.
func FuzzCanonicalID(f *testing.F) {
	for _, c := range workedExamples {
		f.Add(c.urn)
		f.Add(c.dl)
	}
	for _, s := range []string{
		"urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()",
		"urn:epc:id:itip:4012345.011111.01.02.987",
		"urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234",
		"urn:epc:idpat:grai:4012345.66666.*",
		"https://example.com/p/01/9506000134352/22/V/10/L%2F1/21/S?17=261231&linkType=x",
		"https://example.com/gtin/09780345418913/ser/765tz?exp=211121",
		"https://example.com/414/4012345000115/254/0",
		"https://example.com/8010/4012345ABC%23/8011/123",
		"urn:uuid:6d2d7e4a-1c39-4b8e-9e3f-2a4c1b0e9d11",
		"geo:42.698334,23.319941",
		"urn:gdst:example.org:product:lot:class:processor.2u.v1-0122-2022",
		"https://example.org/21/123",
		"",
		"urn:epc:id:sgtin:",
		"https://example.com/01/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := codes.CanonicalID(s)
		if err != nil {
			if c != "" {
				t.Fatalf("CanonicalID(%q) = %q with error %v", s, c, err)
			}
			return
		}
		again, err := codes.CanonicalID(c)
		if err != nil || again != c {
			t.Fatalf("CanonicalID(%q) = %q, but CanonicalID of that = %q, %v", s, c, again, err)
		}
		_ = codes.EPCClassOf(c)
		_ = codes.IsEPCPattern(s)
		if !strings.HasPrefix(c, codes.CanonicalHost+"/") {
			return
		}
		for g := 6; g <= 12; g++ {
			urn, err := codes.DigitalLinkToEPC(c, g)
			if err != nil {
				continue // no EPC form, or the prefix length does not fit
			}
			back, err := codes.EPCToDigitalLink(urn)
			if err != nil || back != c {
				t.Fatalf("%q -> DigitalLinkToEPC(%d) %q -> %q, %v", c, g, urn, back, err)
			}
		}
	})
}

// FuzzParseDigitalLink: parsing never panics, and a parsed link's canonical
// form parses to the same canonical form.
func FuzzParseDigitalLink(f *testing.F) {
	f.Add("https://example.com/01/09506000134352/10/ABC%2F1/21/12345?17=261231")
	f.Add("https://example.com/8003/040123450007718765")
	f.Add("https://example.com/21/1/01/09506000134352")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := codes.ParseDigitalLink(s)
		if err != nil {
			return
		}
		c := d.Canonical()
		d2, err := codes.ParseDigitalLink(c)
		if err != nil || d2.Canonical() != c {
			t.Fatalf("%q: canonical %q gives %v", s, c, err)
		}
	})
}
