package trace

import (
	"errors"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"net/url"
	"strings"
)

// IDBase is where Hallmark mints identifiers for parties, places and lots
// that have no GS1 key: most small producers of a county have a unified
// social credit code but no GS1 company prefix. The identifiers are HTTPS
// URIs, as CBV 2.0 allows for parties without GS1 numbers, and never change
// once minted, so the base is fixed rather than configured.
const IDBase = "https://id.hallmark.example"

// PartyURI identifies an enterprise as a party (owning_party, possessing_party).
func PartyURI(uscc string) string { return IDBase + "/party/" + url.PathEscape(uscc) }

// PlaceURI identifies an enterprise's premises as a location (bizLocation,
// readPoint, location source or destination).
func PlaceURI(uscc string) string { return IDBase + "/place/" + url.PathEscape(uscc) }

// LotURI identifies a lot of a product without a GTIN: the producer's code,
// its own product code and the lot number.
func LotURI(uscc, product, lot string) string {
	return IDBase + "/lot/" + url.PathEscape(uscc) + "/" + url.PathEscape(product) + "/" + url.PathEscape(lot)
}

// LotDL identifies a lot of a product with a GTIN, as a canonical GS1 Digital
// Link (the class-level identifier EPCIS uses in quantity lists).
func LotDL(gtin14, lot string) string {
	return "https://id.gs1.org/01/" + gtin14 + "/10/" + url.PathEscape(lot)
}

// USCCOfParty returns the credit code inside a party or place URI minted by
// PartyURI or PlaceURI, or "".
func USCCOfParty(uri string) string {
	for _, p := range []string{IDBase + "/party/", IDBase + "/place/"} {
		if rest, ok := strings.CutPrefix(uri, p); ok {
			if s, err := url.PathUnescape(rest); err == nil {
				return s
			}
		}
	}
	return ""
}

// Canonical is the identity an identifier is stored and matched under: the
// canonical GS1 Digital Link of an EPC URN or Digital Link, any other URI as
// it is. A GS1 key that breaks its own rules (a 15-digit SSCC, a wrong check
// digit) in data from elsewhere is kept as written rather than refused: the
// EPCIS schema accepts any URI, and a trace must not lose a partner's record
// over it. Only something that is not an absolute URI is refused.
func Canonical(s string) (string, error) {
	c, err := codes.CanonicalID(s)
	if err == nil {
		return c, nil
	}
	if errors.Is(err, codes.ErrEPCURI) {
		return "", err
	}
	return strings.TrimSpace(s), nil
}
