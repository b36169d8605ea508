package locales

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every key must exist in every catalog, and carry the same placeholders.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	t.Parallel()
	placeholder := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, key := range Keys(ZH) {
		en, ok := catalogs[EN][key]
		if !ok {
			t.Errorf("%q is missing from en.json", key)
			continue
		}
		zh := catalogs[ZH][key]
		if strings.TrimSpace(en) == "" || strings.TrimSpace(zh) == "" {
			t.Errorf("%q is empty", key)
		}
		a, b := placeholder.FindAllString(zh, -1), placeholder.FindAllString(en, -1)
		if strings.Join(sortStrings(a), ",") != strings.Join(sortStrings(b), ",") {
			t.Errorf("%q: placeholders differ: zh %v, en %v", key, a, b)
		}
	}
	for _, key := range Keys(EN) {
		if _, ok := catalogs[ZH][key]; !ok {
			t.Errorf("%q is missing from zh-CN.json", key)
		}
	}
}

func sortStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestLanguageChoice(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                        ZH,
		"en-US,en;q=0.9":          EN,
		"zh-CN,zh;q=0.9,en;q=0.8": ZH,
		"fr-FR":                   ZH,
		"fr-FR,en;q=0.5":          EN,
		"zh-TW":                   ZH,
	}
	for header, want := range cases {
		if got := Match(header); got != want {
			t.Errorf("Match(%q) = %s, want %s", header, got, want)
		}
	}
	if got := T(EN, "no.such.key", nil); !strings.HasPrefix(got, Missing) {
		t.Errorf("missing key rendered as %q", got)
	}
}
