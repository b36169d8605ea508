package codes

import (
	"errors"
	"strings"

	"golang.org/x/text/width"
)

// Errors a division code can fail with, named by their message keys.
var (
	// ErrDivisionFormat: not 6, 9 or 12 ASCII digits.
	ErrDivisionFormat = errors.New("rule.division.format")
	// ErrDivisionProvince: the first two digits name no province-level division.
	ErrDivisionProvince = errors.New("rule.division.province")
	// ErrDivisionStructure: the digits break the level structure, e.g. a
	// county part under a province with no prefecture part (150001), a
	// prefecture part outside 01–70 and 90, or a township part of 000.
	ErrDivisionStructure = errors.New("rule.division.structure")
)

// Division levels, as DivisionLevel names them.
const (
	LevelProvince   = "province"   // 省级: 150000
	LevelPrefecture = "prefecture" // 地级: 152900
	LevelCounty     = "county"     // 县级: 152921
	LevelTownship   = "township"   // 乡级: 152921110 (or 152921110000)
	LevelVillage    = "village"    // 村级 (NBS statistical code): 152921110201
)

// provinces are the province-level divisions of GB/T 2260, by their first
// two digits.
var provinces = map[string]string{
	"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
	"21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
	"31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
	"41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
	"50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
	"61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
	"71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

// ProvinceName returns the name of the province-level division a valid
// division code lies in, or "" when the code's first two digits name none.
func ProvinceName(code string) string {
	if len(code) < 2 {
		return ""
	}
	return provinces[code[:2]]
}

// NormalizeDivision trims, folds full-width digits to ASCII and removes inner
// spaces, so that a code pasted from a document compares equal to the typed
// one. It does not validate.
func NormalizeDivision(s string) string {
	s = width.Narrow.String(s)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000' {
			return -1
		}
		return r
	}, s)
}

// CheckDivision validates a normalised administrative division code: a
// 6-digit GB/T 2260 code (province AA0000, prefecture AABB00, county AABBCC),
// or a 9-digit township code (6-digit division + 3) or its 12-digit
// statistical form (NBS 统计用区划代码: township + 000, or + a village part).
//
// The rules are structural: the province must exist, a prefecture part is
// 01–70 (cities, prefectures, leagues, autonomous prefectures) or 90
// (county-level divisions directly under the province), a county part needs
// a prefecture part, and a township lies under a prefecture or county. A code
// that passes may still not exist: whether it does is the regions table's
// business.
func CheckDivision(code string) error {
	switch len(code) {
	case 6, 9, 12:
	default:
		return ErrDivisionFormat
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return ErrDivisionFormat
		}
	}
	if _, ok := provinces[code[:2]]; !ok {
		return ErrDivisionProvince
	}
	bb, cc := code[2:4], code[4:6]
	if bb == "00" {
		if cc != "00" || len(code) > 6 {
			return ErrDivisionStructure
		}
		return nil
	}
	if !(bb <= "70" || bb == "90") {
		return ErrDivisionStructure
	}
	if len(code) == 6 {
		return nil
	}
	if code[6:9] == "000" {
		return ErrDivisionStructure
	}
	return nil
}

// DivisionLevel returns the level of a valid division code (LevelProvince,
// LevelPrefecture, LevelCounty, LevelTownship or LevelVillage), or "" for an
// invalid one.
func DivisionLevel(code string) string {
	if CheckDivision(code) != nil {
		return ""
	}
	switch {
	case len(code) == 12 && code[9:] != "000":
		return LevelVillage
	case len(code) > 6:
		return LevelTownship
	case code[2:] == "0000":
		return LevelProvince
	case code[4:] == "00":
		return LevelPrefecture
	}
	return LevelCounty
}

// DivisionParent returns the code of the division directly above a valid
// code, or "" for a province or an invalid code. A village's parent is its
// township in the same 12-digit form; a township's is the 6-digit division
// it lies in (a county, or a prefecture-level city without counties such as
// 东莞 441900); a county's is its prefecture, except under the "directly
// under the province" group 90, whose counties report to the province.
func DivisionParent(code string) string {
	switch DivisionLevel(code) {
	case LevelVillage:
		return code[:9] + "000"
	case LevelTownship:
		return code[:6]
	case LevelCounty:
		if code[2:4] == "90" {
			return code[:2] + "0000"
		}
		return code[:4] + "00"
	case LevelPrefecture:
		return code[:2] + "0000"
	}
	return ""
}
