package codes

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// alxaCounties are the banners a generated code is registered in when the
// caller names no region.
var alxaCounties = []string{"152921", "152922", "152923"}

// usccCategories are the registration-authority and category pairs demo
// codes are drawn from, weighted the way a banner's register looks: mostly
// enterprises and individual businesses.
var usccCategories = []string{"91", "91", "91", "91", "92", "92", "92", "93", "12", "52"}

// GenerateUSCC returns a random valid USCC registered in regionCode (a 6-digit
// division code; "" picks one of the Alxa banners): it passes CheckUSCC and
// USCCOrgCodeOK. The organisation-code body is 8 random characters of the
// code alphabet, so two calls collide with probability about 1 in 10^12;
// callers that need a guaranteed-unique series use USCCFromSerial. It panics
// when regionCode is not 6 digits, which is a programming error.
func GenerateUSCC(r *rand.Rand, regionCode string) string {
	if regionCode == "" {
		regionCode = alxaCounties[r.IntN(len(alxaCounties))]
	}
	var body [8]byte
	for i := range body {
		body[i] = usccAlphabet[r.IntN(len(usccAlphabet))]
	}
	return buildUSCC(usccCategories[r.IntN(len(usccCategories))], regionCode, string(body[:]))
}

// USCCFromSerial returns the valid USCC of an enterprise (category 91) in
// regionCode whose organisation-code body encodes serial in the code
// alphabet, so distinct serials below 31^8 (about 8.5×10^11) give distinct
// codes: demo data and benchmarks can number their enterprises. It panics on
// a regionCode that is not 6 digits or a serial out of range.
func USCCFromSerial(regionCode string, serial uint64) string {
	var body [8]byte
	for i := 7; i >= 0; i-- {
		body[i] = usccAlphabet[serial%31]
		serial /= 31
	}
	if serial != 0 {
		panic("codes: USCC serial out of range")
	}
	return buildUSCC("91", regionCode, string(body[:]))
}

func buildUSCC(category, region, body string) string {
	if !allDigits(region, 6) {
		panic(fmt.Sprintf("codes: region code %q is not 6 digits", region))
	}
	first17 := category + region + body + string(orgCheckChar(body))
	return first17 + string(USCCCheckChar(first17))
}

// orgCheckChar computes the GB 11714 check character for an 8-character
// organisation-code body.
func orgCheckChar(body string) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * weights[i]
	}
	switch want := 11 - sum%11; want {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + want)
	}
}

// GenerateGTIN13 returns a random valid GTIN-13 beginning with prefix (up to
// 12 digits, typically a GS1 company prefix; "" gives a random code under
// GS1 China's 690–699). Only the digits after the prefix vary, so a long
// prefix leaves few distinct codes: callers that need many distinct codes
// use GTIN13FromSerial. It panics when prefix is not up to 12 digits.
func GenerateGTIN13(r *rand.Rand, prefix string) string {
	if prefix == "" {
		prefix = "69" + string(rune('0'+r.IntN(10)))
	}
	if !allDigits(prefix, len(prefix)) || len(prefix) > 12 {
		panic(fmt.Sprintf("codes: GTIN prefix %q is not up to 12 digits", prefix))
	}
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < 12 {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String() + string(GS1CheckDigit(b.String()))
}

// GTIN13FromSerial returns the valid GTIN-13 whose digits after prefix are
// serial, zero-padded, so distinct serials give distinct codes. It panics when
// prefix is not up to 12 digits or serial does not fit in the digits left.
func GTIN13FromSerial(prefix string, serial uint64) string {
	if !allDigits(prefix, len(prefix)) || len(prefix) > 12 {
		panic(fmt.Sprintf("codes: GTIN prefix %q is not up to 12 digits", prefix))
	}
	n := 12 - len(prefix)
	s := ""
	if n > 0 {
		s = fmt.Sprintf("%0*d", n, serial)
	}
	if len(s) > n || (n == 0 && serial != 0) {
		panic(fmt.Sprintf("codes: serial %d does not fit in %d digits after prefix %q", serial, n, prefix))
	}
	body := prefix + s
	return body + string(GS1CheckDigit(body))
}

func allDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
