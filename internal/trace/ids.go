package trace

import (
	"errors"
	"net/url"
	"strings"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/codes"
)

// IDBase is where Hallmark mints identifiers for what has no GS1 number: an
// enterprise known by its USCC, a supplier known only by name, a lot of a
// product without a GTIN, a document number. Most small producers of a
// county have a unified social credit code but no GS1 company prefix; CBV 2.0
// allows HTTPS URIs for them. The identifiers never change once minted, so
// the host is fixed rather than configured, and written only here.
const IDBase = "https://id.hallmark.example"

// Prefixes of the minted identifiers.
const (
	PartyPrefix       = IDBase + "/party/"         // + USCC
	PartyByNamePrefix = IDBase + "/party-by-name/" // + escaped name, for a party without a USCC
	LocationPrefix    = IDBase + "/location/"      // + USCC: the enterprise's premises
	LotPrefix         = IDBase + "/lot/"           // + USCC/product-code/lot
	DocPrefix         = IDBase + "/doc/"           // + kind/escaped number
)

// PartyURI names a party: by its USCC when it has one, else by its name.
// The name is folded (width, spaces) so that one supplier typed twice gets
// one identifier.
func PartyURI(uscc, name string) string {
	if uscc != "" {
		return PartyPrefix + url.PathEscape(uscc)
	}
	return PartyByNamePrefix + url.PathEscape(FoldName(name))
}

// LocationURI names an enterprise's premises, its bizLocation in events.
func LocationURI(uscc string) string { return LocationPrefix + url.PathEscape(uscc) }

// ProductCode is the product part of a lot identifier: the GTIN-14 when
// there is a GTIN, else the folded product name.
func ProductCode(gtin, name string) string {
	if gtin != "" {
		return codes.GTIN14(gtin)
	}
	return FoldName(name)
}

// LotURI is the identifier of a lot. A product with a GTIN gets the GS1
// Digital Link of the lot (https://id.gs1.org/01/{GTIN-14}/10/{lot}), so
// that a lot scanned from a barcode and a lot typed into a ledger are one
// node; without a GTIN it is minted under the platform as
// {LotPrefix}{owner USCC}/{product code}/{lot}, owner being the enterprise
// whose lot numbering it is. A lot refused by GS1's rules for AI 10 gives
// an error (rule.dl.format), which callers report on the lot field.
func LotURI(ownerUSCC, gtin, productName, lot string) (string, error) {
	if gtin != "" {
		return codes.CanonicalID(codes.CanonicalHost + "/01/" + codes.GTIN14(gtin) + "/10/" + url.PathEscape(lot))
	}
	return LotPrefix + url.PathEscape(ownerUSCC) + "/" + url.PathEscape(ProductCode("", productName)) + "/" + url.PathEscape(lot), nil
}

// DocURI names a document by its kind (licence, cert, testres, inv) and
// number, as EPCIS wants a URI for each business transaction.
func DocURI(kind, number string) string {
	return DocPrefix + kind + "/" + url.PathEscape(number)
}

// FoldName folds a name for identity: full-width to half-width, no spaces,
// ASCII letters in lower case.
func FoldName(s string) string {
	s = width.Fold.String(s)
	s = strings.Join(strings.Fields(s), "")
	return strings.ToLower(s)
}

// USCCOf returns the credit code inside a party or location URI minted by
// PartyURI or LocationURI.
func USCCOf(uri string) (string, bool) {
	for _, p := range []string{PartyPrefix, LocationPrefix} {
		if rest, ok := strings.CutPrefix(uri, p); ok {
			if u, err := url.PathUnescape(rest); err == nil && u != "" {
				return u, true
			}
		}
	}
	return "", false
}

// PlatformLot is a lot minted under the platform (LotURI without a GTIN):
// whose numbering it is, the product code (the folded product name) and
// the lot.
type PlatformLot struct {
	OwnerUSCC, Product, Lot string
}

// PlatformLotOf reads a lot URI minted by LotURI for a product without a
// GTIN.
func PlatformLotOf(uri string) (PlatformLot, bool) {
	rest, ok := strings.CutPrefix(uri, LotPrefix)
	if !ok {
		return PlatformLot{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return PlatformLot{}, false
	}
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil || u == "" {
			return PlatformLot{}, false
		}
		parts[i] = u
	}
	return PlatformLot{OwnerUSCC: parts[0], Product: parts[1], Lot: parts[2]}, true
}

// GLNOf returns the GLN of a party (AI 417) or a place (AI 414, with or
// without its extension) as the trace stores it: a canonical Digital Link.
func GLNOf(uri string) (string, bool) {
	for _, ai := range []string{"/417/", "/414/"} {
		if rest, ok := strings.CutPrefix(uri, codes.CanonicalHost+ai); ok {
			gln, _, _ := strings.Cut(rest, "/")
			if codes.CheckGLN(gln) == nil {
				return gln, true
			}
		}
	}
	return "", false
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
