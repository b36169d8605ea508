// Package codes holds the rules of the identifiers Hallmark accepts: the
// unified social credit code (GB 32100), administrative division codes
// (GB/T 2260), GS1 keys (GTIN, GLN, SSCC) and their check digits.
package codes

import (
	"errors"
	"strings"

	"golang.org/x/text/width"
)

// The USCC alphabet: digits and capitals without I, O, S, V, Z (GB 32100 表1).
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// Errors a USCC can fail with. Each names the rule's message key.
var (
	ErrUSCCLength   = errors.New("rule.uscc.length")
	ErrUSCCCharset  = errors.New("rule.uscc.charset")
	ErrUSCCChecksum = errors.New("rule.uscc.checksum")
)

// NormalizeUSCC trims, folds full-width characters to ASCII, removes inner
// spaces and upper-cases, so that a code pasted from a document compares equal
// to the one typed.
func NormalizeUSCC(s string) string {
	s = width.Narrow.String(s)
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000' || r == '-' {
			return -1
		}
		return r
	}, s)
	return strings.ToUpper(s)
}

// CheckUSCC validates a normalised USCC: 18 characters of the alphabet with
// a correct mod-31 check character at position 18.
func CheckUSCC(s string) error {
	if len(s) != 18 {
		return ErrUSCCLength
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(usccAlphabet, s[i]) < 0 {
			return ErrUSCCCharset
		}
	}
	if USCCCheckChar(s[:17]) != s[17] {
		return ErrUSCCChecksum
	}
	return nil
}

// USCCCheckChar computes the check character for the first 17 characters of
// a USCC, which must be in the alphabet. It returns 0 for malformed input.
func USCCCheckChar(first17 string) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, first17[i])
		if v < 0 {
			return 0
		}
		sum += v * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}

// USCCOrgCodeOK reports whether positions 9–17 carry a valid GB 11714
// organisation-code check character. Some registrars assigned bodies that
// fail it, so callers treat a false as a warning, never a refusal.
func USCCOrgCodeOK(s string) bool {
	if len(s) != 18 {
		return false
	}
	org := s[8:17]
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := org[i]
		switch {
		case c >= '0' && c <= '9':
			sum += int(c-'0') * weights[i]
		case c >= 'A' && c <= 'Z':
			sum += int(c-'A'+10) * weights[i]
		default:
			return false
		}
	}
	want := 11 - sum%11
	var ch byte
	switch want {
	case 10:
		ch = 'X'
	case 11:
		ch = '0'
	default:
		ch = byte('0' + want)
	}
	return org[8] == ch
}

// USCCRegion returns the division code in positions 3–8 (the registering
// authority's location, not necessarily the business address).
func USCCRegion(s string) string {
	if len(s) != 18 {
		return ""
	}
	return s[2:8]
}
