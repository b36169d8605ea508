package registry

import (
	"strings"

	"golang.org/x/text/width"
)

// Industry is a section (门类) of GB/T 4754-2017, the national industry
// classification.
type Industry struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// DisplayName is the section's name in lang.
func (i Industry) DisplayName(lang string) string {
	if isEnglish(lang) {
		return i.NameEn
	}
	return i.Name
}

// Industries lists the 20 sections A–T of GB/T 4754-2017.
var Industries = []Industry{
	{"A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"},
	{"B", "采矿业", "Mining"},
	{"C", "制造业", "Manufacturing"},
	{"D", "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water production and supply"},
	{"E", "建筑业", "Construction"},
	{"F", "批发和零售业", "Wholesale and retail trade"},
	{"G", "交通运输、仓储和邮政业", "Transport, storage and postal services"},
	{"H", "住宿和餐饮业", "Accommodation and catering"},
	{"I", "信息传输、软件和信息技术服务业", "Information transmission, software and IT services"},
	{"J", "金融业", "Finance"},
	{"K", "房地产业", "Real estate"},
	{"L", "租赁和商务服务业", "Leasing and business services"},
	{"M", "科学研究和技术服务业", "Scientific research and technical services"},
	{"N", "水利、环境和公共设施管理业", "Water conservancy, environment and public facilities management"},
	{"O", "居民服务、修理和其他服务业", "Resident services, repair and other services"},
	{"P", "教育", "Education"},
	{"Q", "卫生和社会工作", "Health and social work"},
	{"R", "文化、体育和娱乐业", "Culture, sports and entertainment"},
	{"S", "公共管理、社会保障和社会组织", "Public administration, social security and social organisations"},
	{"T", "国际组织", "International organisations"},
}

// IndustryByCode returns the section with the given letter.
func IndustryByCode(code string) (Industry, bool) {
	for _, i := range Industries {
		if i.Code == code {
			return i, true
		}
	}
	return Industry{}, false
}

// normIndustry accepts a section letter in either width and case, or a
// section's Chinese or English name, or "C 制造业" as exported, and returns
// the letter ("" when it is none of these).
func normIndustry(s string) string {
	s = strings.TrimSpace(width.Fold.String(s))
	if s == "" {
		return ""
	}
	if len(s) == 1 {
		if i, ok := IndustryByCode(strings.ToUpper(s)); ok {
			return i.Code
		}
		return ""
	}
	if f := strings.Fields(s); len(f) > 1 && len(f[0]) == 1 {
		if i, ok := IndustryByCode(strings.ToUpper(f[0])); ok {
			return i.Code
		}
	}
	for _, i := range Industries {
		if s == i.Name || strings.EqualFold(s, i.NameEn) {
			return i.Code
		}
	}
	return ""
}

func isEnglish(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "en") }
