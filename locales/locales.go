// Package locales holds Hallmark's message catalogs: Simplified Chinese (the
// default) and English. A message is looked up by key; "{name}" in a message
// is replaced by the parameter of that name.
package locales

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

//go:embed *.json
var files embed.FS

// Languages Hallmark speaks, the default first.
const (
	ZH = "zh-CN"
	EN = "en"
)

// Supported lists the languages in the order a language menu shows them.
var Supported = []string{ZH, EN}

var catalogs = map[string]map[string]string{}

func init() {
	for _, lang := range Supported {
		b, err := files.ReadFile(lang + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("locales/%s.json: %v", lang, err))
		}
		catalogs[lang] = m
	}
}

// Missing is how a message without a catalog entry is shown; tests look for
// it in rendered pages.
const Missing = "⟦"

// T returns the message for key in lang, with params interpolated. A key
// missing from the catalog comes back as ⟦key⟧ so that it shows up in tests
// and on screen rather than vanishing.
func T(lang, key string, params map[string]any) string {
	m, ok := catalogs[lang]
	if !ok {
		m = catalogs[ZH]
	}
	msg, ok := m[key]
	if !ok {
		return Missing + key + "⟧"
	}
	if one, ok := m[key+OneSuffix]; ok && fmt.Sprint(params["n"]) == "1" {
		msg = one
	} else {
		for p, v := range params {
			if one, ok := m[key+OneSuffix+"."+p]; ok && fmt.Sprint(v) == "1" {
				msg = one
				break
			}
		}
	}
	if len(params) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	for k, v := range params {
		msg = strings.ReplaceAll(msg, "{"+k+"}", fmt.Sprint(v))
	}
	return msg
}

// OneSuffix marks the singular of a message counting {n}, for languages
// whose nouns have one ("1 recall", "2 recalls"): T picks key+OneSuffix
// when n is 1 and the catalog has it, or key+OneSuffix+"."+p when the
// parameter p counts and is 1 ("licence.days_left#one.days"). Chinese needs
// none.
const OneSuffix = "#one"

// Has reports whether key exists in the default catalog.
func Has(key string) bool {
	_, ok := catalogs[ZH][key]
	return ok
}

// Keys returns the sorted keys of lang's catalog.
func Keys(lang string) []string {
	keys := make([]string, 0, len(catalogs[lang]))
	for k := range catalogs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var matcher = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English})

// Match picks the supported language for an Accept-Language header, Chinese
// when nothing matches.
func Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return ZH
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No || idx == 0 {
		return ZH
	}
	return EN
}

// Normalize maps a stored or requested language to a supported one, or "".
func Normalize(lang string) string {
	switch strings.ToLower(lang) {
	case "zh", "zh-cn", "zh-hans", "zh_cn":
		return ZH
	case "en", "en-us", "en-gb":
		return EN
	}
	return ""
}
