package codes_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/hallmark-platform/hallmark/internal/codes"
)

const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// The seed corpora live in testdata/fuzz/<FuzzName>; plain `go test` runs
// them, `go test -fuzz=FuzzName` explores from them.

func FuzzCheckUSCC(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		err := codes.CheckUSCC(s)
		_ = codes.USCCOrgCodeOK(s)
		_ = codes.USCCRegion(s)
		if err == nil {
			if n := codes.NormalizeUSCC(s); n != s {
				t.Fatalf("valid %q normalises to %q", s, n)
			}
			checkUSCCMutations(t, s)
		}
		if len(s) < 17 {
			return
		}
		// Completing any body in the alphabet with its computed check
		// character gives a valid code, with the same guarantees.
		first := s[:17]
		c := codes.USCCCheckChar(first)
		if c == 0 {
			if inAlphabet(first) {
				t.Fatalf("USCCCheckChar(%q) = 0 for a body in the alphabet", first)
			}
			return
		}
		full := first + string(c)
		if e := codes.CheckUSCC(full); e != nil {
			t.Fatalf("%s + computed %c fails: %v", first, c, e)
		}
		checkUSCCMutations(t, full)
	})
}

func checkUSCCMutations(t *testing.T, s string) {
	t.Helper()
	// Any single substitution is caught: 31 is prime and no weight is 0.
	for i := 0; i < 18; i++ {
		for j := 0; j < len(usccAlphabet); j++ {
			if usccAlphabet[j] == s[i] {
				continue
			}
			if m := s[:i] + string(usccAlphabet[j]) + s[i+1:]; codes.CheckUSCC(m) == nil {
				t.Fatalf("%s with position %d changed to %c still passes", s, i+1, usccAlphabet[j])
			}
		}
		if codes.CheckUSCC(s[:i]+"I"+s[i+1:]) == nil {
			t.Fatalf("%s with an I at %d passes", s, i+1)
		}
	}
	// So is any swap of two different neighbours: the weights differ.
	for i := 0; i+1 < 18; i++ {
		if s[i] == s[i+1] {
			continue
		}
		if m := s[:i] + string(s[i+1]) + string(s[i]) + s[i+2:]; codes.CheckUSCC(m) == nil {
			t.Fatalf("%s with positions %d and %d swapped still passes", s, i+1, i+2)
		}
	}
}

func FuzzNormalizeUSCC(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		n := codes.NormalizeUSCC(s)
		if again := codes.NormalizeUSCC(n); again != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, again)
		}
		for _, r := range n {
			if r == ' ' || r == '\u3000' || r == '-' || r == '\t' || r == '\n' || r == '\r' || (r < 128 && unicode.IsLower(r)) {
				t.Fatalf("%q normalises to %q, which keeps %q", s, n, r)
			}
		}
		if codes.CheckUSCC(s) == nil && n != s {
			t.Fatalf("valid %q normalised to %q", s, n)
		}
		if codes.CheckUSCC(n) != nil {
			return
		}
		// The ways a valid code arrives from documents all normalise back.
		for _, v := range []string{strings.ToLower(n), " " + n + " ", toFullWidth(n), n[:8] + "\u3000" + n[8:], n[:6] + "-" + n[6:]} {
			if got := codes.NormalizeUSCC(v); got != n {
				t.Fatalf("variant %q of %s normalises to %q", v, n, got)
			}
		}
	})
}

func FuzzCheckGTIN(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		err := codes.CheckGTIN(s)
		_ = codes.CheckGLN(s)
		_ = codes.CheckSSCC(s)
		if err == nil {
			if g := codes.GTIN14(s); len(g) != 14 || codes.CheckGTIN(g) != nil {
				t.Fatalf("GTIN14(%s) = %s", s, g)
			}
			if len(s) == 13 && codes.CheckGLN(s) != nil {
				t.Fatalf("13-digit %s passes as GTIN but not as GLN", s)
			}
			checkGS1Mutations(t, s, codes.CheckGTIN)
		}
		// Completing any body of a key's length with its computed check
		// digit gives a valid key, with the same guarantees.
		switch len(s) {
		case 7, 11, 12, 13, 17:
		default:
			return
		}
		if !allDigits(s) {
			return
		}
		full := s + string(codes.GS1CheckDigit(s))
		check := codes.CheckGTIN
		if len(full) == 18 {
			check = codes.CheckSSCC
		}
		if e := check(full); e != nil {
			t.Fatalf("%s + computed check digit fails: %v", s, e)
		}
		checkGS1Mutations(t, full, check)
	})
}

func checkGS1Mutations(t *testing.T, s string, check func(string) error) {
	t.Helper()
	// Any single-digit error is caught (weights 3 and 1 are both units mod 10).
	for i := 0; i < len(s); i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == s[i] {
				continue
			}
			if m := s[:i] + string(d) + s[i+1:]; check(m) == nil {
				t.Fatalf("%s with digit %d changed to %c still passes", s, i+1, d)
			}
		}
	}
	// A swap of neighbours is caught unless they differ by 5 (a known
	// blind spot of the mod-10 scheme).
	for i := 0; i+1 < len(s); i++ {
		a, b := int(s[i]), int(s[i+1])
		if a == b || a-b == 5 || b-a == 5 {
			continue
		}
		if m := s[:i] + string(s[i+1]) + string(s[i]) + s[i+2:]; check(m) == nil {
			t.Fatalf("%s with digits %d and %d swapped still passes", s, i+1, i+2)
		}
	}
}

func FuzzCheckDivision(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		err := codes.CheckDivision(s)
		level, parent := codes.DivisionLevel(s), codes.DivisionParent(s)
		n := codes.NormalizeDivision(s)
		if codes.NormalizeDivision(n) != n {
			t.Fatalf("NormalizeDivision not idempotent on %q", s)
		}
		if err != nil {
			if level != "" || parent != "" {
				t.Fatalf("invalid %q has level %q, parent %q", s, level, parent)
			}
			return
		}
		if n != s {
			t.Fatalf("valid %q normalises to %q", s, n)
		}
		if codes.ProvinceName(s) == "" {
			t.Fatalf("valid %q lies in no province", s)
		}
		// Walking up the parents reaches the province in at most four
		// steps, each to a higher level within the same province.
		rank := map[string]int{codes.LevelVillage: 0, codes.LevelTownship: 1, codes.LevelCounty: 2, codes.LevelPrefecture: 3, codes.LevelProvince: 4}
		cur := s
		for steps := 0; ; steps++ {
			l := codes.DivisionLevel(cur)
			p := codes.DivisionParent(cur)
			if p == "" {
				if l != codes.LevelProvince {
					t.Fatalf("%q (from %q) is a %s without a parent", cur, s, l)
				}
				break
			}
			if codes.CheckDivision(p) != nil || rank[codes.DivisionLevel(p)] <= rank[l] || p[:2] != s[:2] || steps > 4 {
				t.Fatalf("parent of %q (%s) is %q (%s)", cur, l, p, codes.DivisionLevel(p))
			}
			cur = p
		}
	})
}

func inAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(usccAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// toFullWidth maps ASCII letters and digits to their full-width forms, as
// Chinese input methods produce them.
func toFullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r - 0x21 + 0xFF01
		}
		return r
	}, s)
}
