package codes

import "errors"

// Errors a GS1 key can fail with, named by their message keys.
var (
	ErrGS1Length   = errors.New("rule.gs1.length")
	ErrGS1Digits   = errors.New("rule.gs1.digits")
	ErrGS1Checksum = errors.New("rule.gs1.checksum")
)

// GS1CheckDigit computes the mod-10 check digit for a string of digits (all
// but the check digit): weights 3 and 1 alternate from the right.
func GS1CheckDigit(body string) byte {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

func checkGS1(s string, lengths ...int) error {
	ok := false
	for _, n := range lengths {
		if len(s) == n {
			ok = true
		}
	}
	if !ok {
		return ErrGS1Length
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrGS1Digits
		}
	}
	if GS1CheckDigit(s[:len(s)-1]) != s[len(s)-1] {
		return ErrGS1Checksum
	}
	return nil
}

// CheckGTIN validates a GTIN-8, -12, -13 or -14.
func CheckGTIN(s string) error { return checkGS1(s, 8, 12, 13, 14) }

// GTIN14 pads a valid GTIN to 14 digits, its canonical form in GS1 Digital
// Link and EPC URNs.
func GTIN14(s string) string {
	for len(s) < 14 {
		s = "0" + s
	}
	return s
}

// CheckGLN validates a 13-digit global location number.
func CheckGLN(s string) error { return checkGS1(s, 13) }

// CheckSSCC validates an 18-digit serial shipping container code.
func CheckSSCC(s string) error { return checkGS1(s, 18) }
