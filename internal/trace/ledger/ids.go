package ledger

import (
	"net/url"
	"strings"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/codes"
)

// IDBase is where Hallmark mints identifiers for what has no GS1 number
// (traceability.md §3.6): an enterprise known by its USCC, a supplier known
// only by name, a lot of a product without a GTIN, a document number. It is
// the one place the host is written; every URI below is built from it.
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
	return PartyByNamePrefix + url.PathEscape(foldName(name))
}

// LocationURI names an enterprise's premises, its bizLocation in events.
func LocationURI(uscc string) string { return LocationPrefix + url.PathEscape(uscc) }

// ProductCode is the product part of a lot identifier: the GTIN-14 when
// there is a GTIN, else the folded product name.
func ProductCode(gtin, name string) string {
	if gtin != "" {
		return codes.GTIN14(gtin)
	}
	return foldName(name)
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

// foldName folds a name for identity: full-width to half-width, no spaces,
// ASCII letters in lower case.
func foldName(s string) string {
	s = width.Fold.String(s)
	s = strings.Join(strings.Fields(s), "")
	return strings.ToLower(s)
}
