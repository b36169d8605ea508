package codes_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/codes"
)

// Real codes from research/domain-cn.md §1.4; every one passes both the
// mod-31 and the GB 11714 mod-11 check.
var validUSCCs = []string{
	"914403001922038216", // 华为技术有限公司
	"91440300708461136T", // 深圳市腾讯计算机系统有限公司
	"111525270116815181", // 太仆寺旗人民政府 (机关, Inner Mongolia)
	"11370323004223252G", // 沂源县市场监督管理局
	"91350100M000100Y43", // GB 32100 worked example
	"9144030071526726XG", // 腾讯科技（深圳）有限公司
	"91110000101623741K",
	"911101066976941872",
	"91440300192317458F", // 比亚迪股份有限公司
	"91100000100003962T",
	"91110000600037341L",
	"91152201078371135X", // 乌兰浩特市, ends in X
	"911522010783710635",
	"91310115MA1K3BTP2B", // MA-type, post-2015 registration
}

func TestUSCCValid(t *testing.T) {
	t.Parallel()
	for _, c := range validUSCCs {
		if err := codes.CheckUSCC(c); err != nil {
			t.Errorf("CheckUSCC(%s) = %v", c, err)
		}
		if !codes.USCCOrgCodeOK(c) {
			t.Errorf("USCCOrgCodeOK(%s) = false", c)
		}
		if codes.NormalizeUSCC(c) != c {
			t.Errorf("NormalizeUSCC(%s) changed a clean code", c)
		}
	}
	// Huawei worked example: Σ = 831, 831 mod 31 = 25, C18 = 6.
	if got := codes.USCCCheckChar("91440300192203821"); got != '6' {
		t.Errorf("USCCCheckChar(Huawei) = %c, want 6", got)
	}
	if got := codes.USCCRegion("91152201078371135X"); got != "152201" {
		t.Errorf("USCCRegion = %s", got)
	}
}

func TestUSCCInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code string
		want error
	}{
		{"91350100M000100Y4Z", codes.ErrUSCCCharset}, // Z is not in the alphabet (GB example; computed C18 is 3)
		{"914403001922038217", codes.ErrUSCCChecksum},
		{"9144030071526726XA", codes.ErrUSCCChecksum},
		{"9144030071526726YG", codes.ErrUSCCChecksum}, // transcription error at position 17
		{"91440300708461136K", codes.ErrUSCCChecksum}, // wrong value published in a reference table
		{"9111000060003IOZSV", codes.ErrUSCCCharset},
		{"9I440300708461136T", codes.ErrUSCCCharset},
		{"91440300708461136O", codes.ErrUSCCCharset},
		{"12345", codes.ErrUSCCLength},
		{"91440300708461136", codes.ErrUSCCLength},
		{"91440300708461136TT", codes.ErrUSCCLength},
		{"", codes.ErrUSCCLength},
		{"9144030071526726xg", codes.ErrUSCCCharset}, // CheckUSCC takes normalised input
		// Real, registered companies whose codes fail the checksum: the
		// reason an officer may accept a code with a recorded reason.
		{"91350211M0000XUF46", codes.ErrUSCCChecksum},
		{"91350203M0001QAY9B", codes.ErrUSCCChecksum},
	}
	for _, c := range cases {
		if err := codes.CheckUSCC(c.code); !errors.Is(err, c.want) {
			t.Errorf("CheckUSCC(%q) = %v, want %v", c.code, err, c.want)
		}
	}
	if codes.USCCOrgCodeOK("9144030071526726YG") {
		t.Error("USCCOrgCodeOK accepted a wrong position 17")
	}
	for code, want := range map[string]byte{"91350211M0000XUF4": 'R', "91350203M0001QAY9": '9', "9144030071526726Y": 'K', "91350100M000100Y4": '3'} {
		if got := codes.USCCCheckChar(code); got != want {
			t.Errorf("USCCCheckChar(%s) = %c, want %c", code, got, want)
		}
	}
	if codes.USCCCheckChar("9135010OM000100Y4") != 0 || codes.USCCCheckChar("short") != 0 {
		t.Error("USCCCheckChar of malformed input is not 0")
	}
	if codes.ErrUSCCChecksum.Error() != "rule.uscc.checksum" {
		t.Error("error text is not the rule key")
	}
}

func TestNormalizeUSCC(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"9144030071526726xg":   "9144030071526726XG",
		" 9144030071526726XG ": "9144030071526726XG",
		"９１４４０３００７１５２６７２６ＸＧ":             "9144030071526726XG",
		"９１４４０３００７１５２６７２６ｘｇ":             "9144030071526726XG",
		"\u30009144 0300 7152 6726 XG\n": "9144030071526726XG",
		"91440300-708461136-T":           "91440300708461136T",
		"\t91440300708461136t\r\n":       "91440300708461136T",
	}
	for in, want := range cases {
		got := codes.NormalizeUSCC(in)
		if got != want {
			t.Errorf("NormalizeUSCC(%q) = %q, want %q", in, got, want)
		}
		if err := codes.CheckUSCC(got); err != nil {
			t.Errorf("normalised %q fails: %v", in, err)
		}
	}
}

func TestGS1Keys(t *testing.T) {
	t.Parallel()
	valid := []struct {
		code  string
		check func(string) error
	}{
		{"96385074", codes.CheckGTIN},       // GTIN-8 (EAN-8)
		{"036000291452", codes.CheckGTIN},   // GTIN-12 (UPC-A)
		{"4006381333931", codes.CheckGTIN},  // GTIN-13 (EAN-13)
		{"9506000134352", codes.CheckGTIN},  // GTIN-13 of GS1 Digital Link examples
		{"6901234567892", codes.CheckGTIN},  // GS1 China prefix 690
		{"09506000134352", codes.CheckGTIN}, // GTIN-14 forms from the conformance files
		{"09521141012345", codes.CheckGTIN},
		{"70614141123451", codes.CheckGTIN},
		{"04012345999990", codes.CheckGTIN},
		{"04012345111118", codes.CheckGTIN},
		{"10614141073464", codes.CheckGTIN}, // urn:epc:id:sgtin:0614141.107346.*
		{"4012345000054", codes.CheckGLN},   // (414) in the EPCIS examples
		{"4012345000115", codes.CheckGLN},
		{"4023333000017", codes.CheckGLN},
		{"4023333000000", codes.CheckGLN},
		{"106141412345678908", codes.CheckSSCC}, // urn:epc:id:sscc:0614141.1234567890
	}
	for _, c := range valid {
		if err := c.check(c.code); err != nil {
			t.Errorf("%s: %v", c.code, err)
		}
	}
	invalid := []struct {
		code  string
		check func(string) error
		want  error
	}{
		{"96385075", codes.CheckGTIN, codes.ErrGS1Checksum},
		{"4006381333932", codes.CheckGTIN, codes.ErrGS1Checksum},
		{"4006381333391", codes.CheckGTIN, codes.ErrGS1Checksum}, // adjacent digits swapped
		{"400638133393", codes.CheckGTIN, codes.ErrGS1Checksum},  // a 12-digit string is read as a GTIN-12
		{"40063813339", codes.CheckGTIN, codes.ErrGS1Length},
		{"400638133393A", codes.CheckGTIN, codes.ErrGS1Digits},
		{"4006381333931 ", codes.CheckGTIN, codes.ErrGS1Digits}, // 14 characters, one a space
		{"09506000134352", codes.CheckGLN, codes.ErrGS1Length},
		{"106141412345678907", codes.CheckSSCC, codes.ErrGS1Checksum},
		{"10614141234567890", codes.CheckSSCC, codes.ErrGS1Length},
	}
	for _, c := range invalid {
		if err := c.check(c.code); !errors.Is(err, c.want) {
			t.Errorf("%q: %v, want %v", c.code, err, c.want)
		}
	}
	if got := codes.GTIN14("4006381333931"); got != "04006381333931" || codes.CheckGTIN(got) != nil {
		t.Errorf("GTIN14 = %s", got)
	}
	if got := codes.GTIN14("96385074"); got != "00000096385074" {
		t.Errorf("GTIN14 of a GTIN-8 = %s", got)
	}
	if got := codes.GS1CheckDigit("950600013435"); got != '2' {
		t.Errorf("GS1CheckDigit = %c", got)
	}
}

func TestDivision(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code, level, parent string
	}{
		{"150000", codes.LevelProvince, ""},
		{"152900", codes.LevelPrefecture, "150000"},     // 阿拉善盟
		{"152921", codes.LevelCounty, "152900"},         // 阿拉善左旗
		{"152922", codes.LevelCounty, "152900"},         // 阿拉善右旗
		{"152923", codes.LevelCounty, "152900"},         // 额济纳旗
		{"152921110", codes.LevelTownship, "152921"},    // 巴彦浩特镇
		{"152921110000", codes.LevelTownship, "152921"}, // its 12-digit statistical form
		{"152923001", codes.LevelTownship, "152923"},    // 航空街道
		{"152921110201", codes.LevelVillage, "152921110000"},
		{"110101", codes.LevelCounty, "110100"},      // 东城区 under 北京 市辖区
		{"500200", codes.LevelPrefecture, "500000"},  // 重庆 县
		{"429004", codes.LevelCounty, "420000"},      // 仙桃市, directly under 湖北
		{"469001", codes.LevelCounty, "460000"},      // 五指山市, directly under 海南
		{"441900003", codes.LevelTownship, "441900"}, // 东莞 has towns but no counties
		{"152971", codes.LevelCounty, "152900"},      // statistical-only 高新区 (structurally a county)
		{"820000", codes.LevelProvince, ""},
	}
	for _, c := range cases {
		if err := codes.CheckDivision(c.code); err != nil {
			t.Errorf("CheckDivision(%s) = %v", c.code, err)
		}
		if got := codes.DivisionLevel(c.code); got != c.level {
			t.Errorf("DivisionLevel(%s) = %q, want %q", c.code, got, c.level)
		}
		if got := codes.DivisionParent(c.code); got != c.parent {
			t.Errorf("DivisionParent(%s) = %q, want %q", c.code, got, c.parent)
		}
	}
	if codes.ProvinceName("152921") != "内蒙古自治区" {
		t.Error("ProvinceName(152921)")
	}
	bad := []struct {
		code string
		want error
	}{
		{"", codes.ErrDivisionFormat},
		{"15292", codes.ErrDivisionFormat},
		{"1529211", codes.ErrDivisionFormat},
		{"1529211100", codes.ErrDivisionFormat},
		{"15292A", codes.ErrDivisionFormat},
		{"１５２９２１", codes.ErrDivisionFormat}, // CheckDivision takes normalised input
		{"000000", codes.ErrDivisionProvince},
		{"160000", codes.ErrDivisionProvince},
		{"992921", codes.ErrDivisionProvince},
		{"150001", codes.ErrDivisionStructure}, // a county part needs a prefecture part
		{"157521", codes.ErrDivisionStructure}, // prefecture parts stop at 70, then 90
		{"159921", codes.ErrDivisionStructure},
		{"152921000", codes.ErrDivisionStructure}, // township part 000
		{"152921000000", codes.ErrDivisionStructure},
		{"150000110", codes.ErrDivisionStructure}, // township directly under a province
	}
	for _, c := range bad {
		if err := codes.CheckDivision(c.code); !errors.Is(err, c.want) {
			t.Errorf("CheckDivision(%q) = %v, want %v", c.code, err, c.want)
		}
		if codes.DivisionLevel(c.code) != "" || codes.DivisionParent(c.code) != "" {
			t.Errorf("invalid %q has a level or parent", c.code)
		}
	}
	if got := codes.NormalizeDivision(" １５２９ ２１\u3000"); got != "152921" {
		t.Errorf("NormalizeDivision = %q", got)
	}
}

func TestGenerators(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	seen := map[string]bool{}
	for i := 0; i < 20000; i++ {
		region := ""
		if i%2 == 0 {
			region = "440300"
		}
		u := codes.GenerateUSCC(r, region)
		if err := codes.CheckUSCC(u); err != nil || !codes.USCCOrgCodeOK(u) {
			t.Fatalf("GenerateUSCC gave %s: %v, org ok %v", u, err, codes.USCCOrgCodeOK(u))
		}
		if reg := codes.USCCRegion(u); (region != "" && reg != region) || codes.CheckDivision(reg) != nil {
			t.Fatalf("GenerateUSCC(%q) region %s", region, reg)
		}
		seen[u] = true

		g := codes.GenerateGTIN13(r, "6901234")
		if codes.CheckGTIN(g) != nil || len(g) != 13 || g[:7] != "6901234" {
			t.Fatalf("GenerateGTIN13 gave %s", g)
		}
		if g := codes.GenerateGTIN13(r, ""); codes.CheckGTIN(g) != nil || g[:2] != "69" {
			t.Fatalf("GenerateGTIN13 without prefix gave %s", g)
		}
	}
	if len(seen) < 19990 {
		t.Errorf("only %d distinct USCCs in 20000", len(seen))
	}
	// Serial forms are distinct for distinct serials.
	a, b := codes.USCCFromSerial("152921", 0), codes.USCCFromSerial("152921", 1)
	if a == b || codes.CheckUSCC(a) != nil || codes.CheckUSCC(b) != nil || !codes.USCCOrgCodeOK(b) {
		t.Errorf("USCCFromSerial: %s %s", a, b)
	}
	if u := codes.USCCFromSerial("152921", 852891037440); codes.CheckUSCC(u) != nil { // 31^8 - 1
		t.Errorf("USCCFromSerial(max) = %s", u)
	}
	if g := codes.GTIN13FromSerial("6901234", 42); g != "6901234000420"[:12]+string(codes.GS1CheckDigit("690123400042")) || codes.CheckGTIN(g) != nil {
		t.Errorf("GTIN13FromSerial = %s", g)
	}
	if g := codes.GTIN13FromSerial("690123456789", 0); codes.CheckGTIN(g) != nil {
		t.Errorf("GTIN13FromSerial with a full prefix = %s", g)
	}
	for name, fn := range map[string]func(){
		"bad region":        func() { codes.GenerateUSCC(r, "1529") },
		"serial too large":  func() { codes.USCCFromSerial("152921", 852891037441) },
		"bad prefix":        func() { codes.GenerateGTIN13(r, "69x") },
		"long prefix":       func() { codes.GenerateGTIN13(r, "6901234567890") },
		"GTIN serial large": func() { codes.GTIN13FromSerial("6901234", 100000) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}

func BenchmarkGenerateUSCC(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		_ = codes.GenerateUSCC(r, "152921")
	}
}

func BenchmarkCheckUSCC(b *testing.B) {
	for b.Loop() {
		_ = codes.CheckUSCC("91310115MA1K3BTP2B")
	}
}
