package genealogy

import (
	"fmt"
	"strconv"

	"github.com/hallmark-platform/hallmark/internal/codes"
)

// Identifiers of the generated network. Every company gets a 9-digit GS1
// Company Prefix "69" (the GS1 China range) + its role digit + a 6-digit
// index, which leaves 3 digits for item and location references and 7 for
// SSCC serials. Keys carry valid check digits and are written as canonical
// GS1 Digital Links, the form capture stores.

// Company roles, the third digit of a generated prefix.
const (
	roleFarm        = 1
	roleProcessor   = 2
	roleDistributor = 3
	roleRetailer    = 4
)

// company is one generated business.
type company struct {
	role, index int
}

func (c company) prefix() string { return fmt.Sprintf("69%d%06d", c.role, c.index) }

func withCheck(body string) string { return body + string(codes.GS1CheckDigit(body)) }

// gtin is the GTIN-14 of one of the company's items (item < 1000).
func (c company) gtin(item int) string { return withCheck(fmt.Sprintf("0%s%03d", c.prefix(), item)) }

// gln is the GLN of one of the company's locations; location 0 is the
// company itself as a party.
func (c company) gln(loc int) string { return withCheck(fmt.Sprintf("%s%03d", c.prefix(), loc)) }

// party is the company's party identifier (AI 417).
func (c company) party() string { return "https://id.gs1.org/417/" + c.gln(0) }

// site is its main location (AI 414).
func (c company) site() string { return "https://id.gs1.org/414/" + c.gln(1) }

// spot is a sub-location of the site: a field, a dock, a line (AI 254).
func (c company) spot(n int) string { return c.site() + "/254/" + strconv.Itoa(n) }

// lot is a batch of one of the company's items (LGTIN).
func (c company) lot(item int, lot string) string {
	return "https://id.gs1.org/01/" + c.gtin(item) + "/10/" + lot
}

// sscc is the company's serial shipping container code number n.
func (c company) sscc(n int) string {
	return "https://id.gs1.org/00/" + withCheck(fmt.Sprintf("0%s%07d", c.prefix(), n%10_000_000))
}

// doc is a reference document (business transaction) of the company.
func (c company) doc(n int) string { return fmt.Sprintf("urn:epcglobal:cbv:bt:%s:%d", c.gln(0), n) }
