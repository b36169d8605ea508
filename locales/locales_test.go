package locales

import (
	"cmp"
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
		if base, count, ok := strings.Cut(key, OneSuffix); ok {
			// A singular stands beside its message, with its placeholders,
			// one of which it counts ({n} unless it names another).
			count = "{" + strings.TrimPrefix(cmp.Or(count, ".n"), ".") + "}"
			a, b := placeholder.FindAllString(catalogs[EN][base], -1), placeholder.FindAllString(catalogs[EN][key], -1)
			if _, ok := catalogs[EN][base]; !ok || !slices.Contains(a, count) || strings.Join(sortStrings(a), ",") != strings.Join(sortStrings(b), ",") {
				t.Errorf("%q: no message %q counting %s with the same placeholders", key, base, count)
			}
			continue
		}
		if _, ok := catalogs[ZH][key]; !ok {
			t.Errorf("%q is missing from zh-CN.json", key)
		}
	}
}

// English counts say "1 recall" and "2 recalls"; Chinese has one form.
func TestSingular(t *testing.T) {
	t.Parallel()
	for n, want := range map[any]string{1: "1 recall", int64(1): "1 recall", 2: "2 recalls", 0: "0 recalls"} {
		if got := T(EN, "recall.count", map[string]any{"n": n}); got != want {
			t.Errorf("n=%v: %q, want %q", n, got, want)
		}
	}
	if got := T(EN, "licence.days_left", map[string]any{"days": 1}); got != "1 day left" {
		t.Errorf("a singular by parameter: %q", got)
	}
	if got := T(EN, "licence.days_left", map[string]any{"days": 3}); got != "3 days left" {
		t.Errorf("a plural by parameter: %q", got)
	}
	if got, want := T(ZH, "recall.count", map[string]any{"n": 1}), T(ZH, "recall.count", map[string]any{"n": 2}); strings.Replace(want, "2", "1", 1) != got {
		t.Errorf("zh: %q and %q differ beyond the number", got, want)
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
