package judge

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

func TestRoundFollowsGBT8170(t *testing.T) {
	t.Parallel()
	cases := []struct {
		value  string
		places int
		want   string
	}{
		// GB/T 8170-2008 §3.3's own examples.
		{"12.1498", 0, "12"},     // dropped part starts below 5
		{"12.1498", 1, "12.1"},   //
		{"1268", -2, "1300"},     // 13×10² : starts above 5
		{"10.5002", 0, "11"},     // 5 followed by a non-zero digit rounds up
		{"1.050", 1, "1.0"},      // exactly half, kept digit even: drop
		{"0.35", 1, "0.4"},       // exactly half, kept digit odd: up
		{"2500", -3, "2000"},     // 2×10³
		{"3500", -3, "4000"},     // 4×10³
		{"-355", -1, "-360"},     // negatives round their absolute value
		{"-325", -1, "-320"},     //
		{"-0.0365", 3, "-0.036"}, // -36×10⁻³
		// §3.4: once, from the full value, never step by step.
		{"15.4546", 0, "15"},
		{"8.53459", 2, "8.53"},
		// More of the same rules, and padding.
		{"0.0215", 3, "0.022"},
		{"0.0225", 3, "0.022"},
		{"0.02250001", 3, "0.023"},
		{"0.02", 3, "0.020"},
		{"2.5", 0, "2"},
		{"-0.001", 2, "0.00"},
		{"1e-3", 3, "0.001"},
		{"99.95", 1, "100.0"},
	}
	for _, c := range cases {
		got, err := Round(c.value, c.places)
		if err != nil || got != c.want {
			t.Errorf("Round(%q, %d) = %q, %v; want %q", c.value, c.places, got, err, c.want)
		}
	}
	if _, err := Round("1,2", 1); err == nil {
		t.Error("Round accepted 1,2")
	}
}

func TestConvert(t *testing.T) {
	t.Parallel()
	cases := []struct{ value, from, to, want string }{
		{"21", "μg/kg", "mg/kg", "0.021"},
		{"21", "ug/kg", "mg/kg", "0.021"},
		{"21", "µg/kg", "mg/kg", "0.021"}, // the micro sign, not Greek mu
		{"0.021", "mg/kg", "μg/kg", "21"},
		{"0.5", "g/100g", "%", "0.5"},
		{"3.1", "%", "g/100g", "3.1"},
		{"3.1", "g/100g", "mg/kg", "31000"},
		{"2.95", "g/100g", "g/kg", "29.5"},
		{"12", "mg/100g", "mg/kg", "120"},
		{"0.05", "mg/L", "μg/L", "50"},
		{"1.5", "g/L", "mg/L", "1500"},
		{"0.3", "ＭＧ／ＫＧ", "mg/kg", "0.3"},
		{"0.3", "mg/kg（以Pb计）", "mg/kg", "0.3"},
		{"0.3", "毫克/千克", "mg/kg", "0.3"},
	}
	for _, c := range cases {
		got, err := Convert(c.value, c.from, c.to)
		if err != nil || got != c.want {
			t.Errorf("Convert(%q, %q, %q) = %q, %v; want %q", c.value, c.from, c.to, got, err, c.want)
		}
	}
	for _, bad := range [][2]string{{"mg/kg", "mg/L"}, {"%", "%vol"}, {"CFU/g", "CFU/mL"}, {"mg/kg", "furlongs"}} {
		if got, err := Convert("1", bad[0], bad[1]); !errors.Is(err, ErrUnit) {
			t.Errorf("Convert 1 %s → %s = %q, %v; want ErrUnit", bad[0], bad[1], got, err)
		}
	}
}

func TestParseValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in    string
		value string
		nd    bool
	}{
		{"0.012", "0.012", false},
		{" 0.0120 ", "0.0120", false},
		{"０．０１２", "0.012", false},
		{".5", "0.5", false},
		{"1,250.5", "1250.5", false},
		{"1.2e-3", "0.0012", false},
		{"2.0×10⁶", "2000000", false},
		{"2.0x10^6", "2000000", false},
		{"1.5E+03", "1500", false},
		{"3.2×10⁻²", "0.032", false},
		{"<10", "10", true},
		{"ND", "", true},
		{"n.d.", "", true},
		{"未检出", "", true},
		{"未检出。", "", true},
		{"<0.01", "0.01", true},
		{"＜０.01", "0.01", true},
		{"< 0.01", "0.01", true},
		{"小于0.01", "0.01", true},
		{"未检出（<0.01）", "0.01", true},
		{"未检出(检出限0.005)", "0.005", true},
		{"ND (LOD: 0.02)", "0.02", true},
	}
	for _, c := range cases {
		v, nd, err := ParseValue(c.in)
		if err != nil || v != c.value || nd != c.nd {
			t.Errorf("ParseValue(%q) = %q, %v, %v; want %q, %v", c.in, v, nd, err, c.value, c.nd)
		}
	}
	for _, bad := range []string{"", "0.012 mg/kg", "合格", "1,2", "0.01-0.02", "<0", "<-1", "--1", "abc", "1.2.3", "约0.5"} {
		v, nd, err := ParseValue(bad)
		l, ok := fielderr.As(err)
		if !ok || len(l) != 1 || l[0].Field != "value" || l[0].Rule != RuleValue {
			t.Errorf("ParseValue(%q) = %q, %v, %v; want a rule.lab.value error", bad, v, nd, err)
		}
	}
}

// argsMap turns a verdict's name, value pairs into a map.
func argsMap(t *testing.T, v Verdict) map[string]string {
	t.Helper()
	if len(v.Args)%2 != 0 {
		t.Fatalf("odd args %v", v.Args)
	}
	m := map[string]string{}
	for i := 0; i < len(v.Args); i += 2 {
		m[fmt.Sprint(v.Args[i])] = fmt.Sprint(v.Args[i+1])
	}
	return m
}

func chlorpyrifos() *Limit {
	return &Limit{Standard: "GB 2763-2021", Clause: "4.18", Category: "叶菜类蔬菜", Item: "毒死蜱",
		Comparison: AtMost, Max: "0.02", Unit: "mg/kg", LOD: "0.01"}
}

func TestJudgeMaximum(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		limit    *Limit
		m        Measured
		want     string
		compared string
		reason   string
	}{
		{"at the limit", chlorpyrifos(), Measured{Value: "0.02", Unit: "mg/kg"}, Conforming, "0.02", "lab.judge.reason.compared"},
		{"at the limit, more places", chlorpyrifos(), Measured{Value: "0.0200", Unit: "mg/kg"}, Conforming, "0.0200", "lab.judge.reason.compared"},
		{"just above", chlorpyrifos(), Measured{Value: "0.021", Unit: "mg/kg"}, Nonconforming, "0.021", "lab.judge.reason.compared"},
		{"a hair above, full value", chlorpyrifos(), Measured{Value: "0.0201", Unit: "mg/kg"}, Nonconforming, "0.0201", "lab.judge.reason.compared"},
		{"below", chlorpyrifos(), Measured{Value: "0.015", Unit: "mg/kg"}, Conforming, "0.015", "lab.judge.reason.compared"},
		{"μg/kg against mg/kg, above", chlorpyrifos(), Measured{Value: "21", Unit: "μg/kg"}, Nonconforming, "0.021", "lab.judge.reason.compared"},
		{"μg/kg against mg/kg, at", chlorpyrifos(), Measured{Value: "20", Unit: "ug/kg"}, Conforming, "0.020", "lab.judge.reason.compared"},
		{"full-width digits", chlorpyrifos(), Measured{Value: "０．０３", Unit: "mg/kg"}, Nonconforming, "0.03", "lab.judge.reason.compared"},
		{"mg/L cannot meet mg/kg", chlorpyrifos(), Measured{Value: "0.01", Unit: "mg/L"}, NotJudged, "", "lab.judge.reason.unit_mismatch"},
		{"no unit", chlorpyrifos(), Measured{Value: "0.01"}, NotJudged, "", "lab.judge.reason.no_unit"},
		{"no value", chlorpyrifos(), Measured{Unit: "mg/kg"}, NotJudged, "", "lab.judge.reason.no_value"},
		{"unreadable value", chlorpyrifos(), Measured{Value: "合格", Unit: "mg/kg"}, NotJudged, "", "lab.judge.reason.bad_value"},
		{"no limit", nil, Measured{Value: "0.01", Unit: "mg/kg"}, NotJudged, "", "lab.judge.reason.no_limit"},
		{"broken limit", &Limit{Standard: "X", Category: "c", Item: "i", Comparison: AtMost, Max: "abc", Unit: "mg/kg"},
			Measured{Value: "0.01", Unit: "mg/kg"}, NotJudged, "", "lab.judge.reason.bad_limit"},
		{"strict maximum, at it", &Limit{Standard: "X", Category: "c", Item: "i", Comparison: Below, Max: "0.02", Unit: "mg/kg"},
			Measured{Value: "0.020", Unit: "mg/kg"}, Nonconforming, "0.020", "lab.judge.reason.compared"},
		{"strict maximum, below", &Limit{Standard: "X", Category: "c", Item: "i", Comparison: Below, Max: "0.02", Unit: "mg/kg"},
			Measured{Value: "0.0199", Unit: "mg/kg"}, Conforming, "0.0199", "lab.judge.reason.compared"},
	}
	for _, c := range cases {
		v := Judge(c.limit, c.m)
		if v.Conclusion != c.want || v.Compared != c.compared || v.Reason != c.reason {
			t.Errorf("%s: %+v; want %s, compared %q, %s", c.name, v, c.want, c.compared, c.reason)
		}
	}
}

// The institution reads exactly why: the value, the relation, the limit and
// where the limit is printed.
func TestJudgeSaysWhy(t *testing.T) {
	t.Parallel()
	v := Judge(chlorpyrifos(), Measured{Value: "0.021", Unit: "mg/kg"})
	a := argsMap(t, v)
	if a["value"] != "0.021 mg/kg" || a["op"] != ">" || a["limit"] != "0.02 mg/kg" || a["source"] != "GB 2763-2021 4.18" {
		t.Errorf("args %v", a)
	}
	v = Judge(chlorpyrifos(), Measured{Value: "21", Unit: "μg/kg"})
	if a := argsMap(t, v); a["value"] != "21 μg/kg = 0.021 mg/kg" || a["op"] != ">" {
		t.Errorf("converted args %v", a)
	}
	v = Judge(chlorpyrifos(), Measured{Value: "0.02", Unit: "mg/kg"})
	if a := argsMap(t, v); a["op"] != "≤" {
		t.Errorf("at-limit args %v", a)
	}
	v = Judge(chlorpyrifos(), Measured{Value: "0.01", Unit: "mg/L"})
	if a := argsMap(t, v); a["unit"] != "mg/L" || a["limit_unit"] != "mg/kg" {
		t.Errorf("mismatch args %v", a)
	}
}

func TestJudgeNotDetected(t *testing.T) {
	t.Parallel()
	noLOD := chlorpyrifos()
	noLOD.LOD = ""
	forbidden := &Limit{Standard: "农业农村部公告第250号", Category: "畜肉", Item: "氯霉素", Comparison: NotDetected,
		Unit: "μg/kg", LOD: "0.1"}
	forbiddenAny := &Limit{Standard: "GB 29921-2021", Category: "熟肉制品", Item: "沙门氏菌", Comparison: NotDetected}
	protein := &Limit{Standard: "GB 19301-2010", Clause: "表2", Category: "生乳", Item: "蛋白质", Comparison: AtLeast,
		Min: "2.8", Unit: "g/100g"}
	fromZero := &Limit{Standard: "X", Category: "c", Item: "i", Comparison: Within, Min: "0", Max: "0.5", Unit: "mg/kg"}
	cases := []struct {
		name     string
		limit    *Limit
		m        Measured
		want     string
		compared string
		reason   string
	}{
		{"ND, LOD below the maximum", chlorpyrifos(), Measured{NotDetected: true, LOD: "0.005", Unit: "mg/kg"}, Conforming, "<0.005", "lab.judge.reason.nd.max_ok"},
		{"ND, LOD at the maximum", chlorpyrifos(), Measured{NotDetected: true, LOD: "0.02", Unit: "mg/kg"}, Conforming, "<0.02", "lab.judge.reason.nd.max_ok"},
		{"ND, LOD above the maximum", chlorpyrifos(), Measured{NotDetected: true, LOD: "0.05", Unit: "mg/kg"}, NotJudged, "<0.05", "lab.judge.reason.nd.max_lod_high"},
		{"ND, LOD in μg/kg above", chlorpyrifos(), Measured{NotDetected: true, LOD: "30", Unit: "μg/kg"}, NotJudged, "<0.030", "lab.judge.reason.nd.max_lod_high"},
		{"ND typed, the limit's method LOD", chlorpyrifos(), Measured{Value: "未检出"}, Conforming, "<0.01", "lab.judge.reason.nd.max_ok"},
		{"ND with no LOD anywhere", noLOD, Measured{Value: "ND"}, NotJudged, "ND", "lab.judge.reason.nd.no_lod"},
		{"<LOD typed", noLOD, Measured{Value: "<0.01", Unit: "mg/kg"}, Conforming, "<0.01", "lab.judge.reason.nd.max_ok"},
		{"<LOD typed, LOD too high", noLOD, Measured{Value: "<0.05", Unit: "mg/kg"}, NotJudged, "<0.05", "lab.judge.reason.nd.max_lod_high"},
		{"value below its LOD", chlorpyrifos(), Measured{Value: "0.004", LOD: "0.005", Unit: "mg/kg"}, Conforming, "<0.005", "lab.judge.reason.lt_lod.max_ok"},
		{"flag wins over a number", chlorpyrifos(), Measured{Value: "0.03", NotDetected: true, LOD: "0.01", Unit: "mg/kg"}, Conforming, "<0.01", "lab.judge.reason.nd.max_ok"},
		{"value at its LOD is detected", chlorpyrifos(), Measured{Value: "0.005", LOD: "0.005", Unit: "mg/kg"}, Conforming, "0.005", "lab.judge.reason.compared"},
		{"value below an LOD above the limit", chlorpyrifos(), Measured{Value: "0.03", LOD: "0.05", Unit: "mg/kg"}, NotJudged, "<0.05", "lab.judge.reason.lt_lod.max_lod_high"},
		{"forbidden, not detected", forbidden, Measured{NotDetected: true, LOD: "0.1", Unit: "μg/kg"}, Conforming, "<0.1", "lab.judge.reason.nd.forbidden_ok"},
		{"forbidden, not detected, finer method", forbidden, Measured{NotDetected: true, LOD: "0.00005", Unit: "mg/kg"}, Conforming, "<0.05", "lab.judge.reason.nd.forbidden_ok"},
		{"forbidden, coarser method", forbidden, Measured{NotDetected: true, LOD: "0.3", Unit: "μg/kg"}, NotJudged, "<0.3", "lab.judge.reason.nd.forbidden_lod"},
		{"forbidden, detected", forbidden, Measured{Value: "0.12", Unit: "μg/kg"}, Nonconforming, "0.12", "lab.judge.reason.detected_forbidden"},
		{"forbidden, detected in a unit that does not convert", forbidden, Measured{Value: "0.12", Unit: "μg/L"}, Nonconforming, "0.12", "lab.judge.reason.detected_forbidden"},
		{"forbidden, ND without any LOD", forbiddenAny, Measured{Value: "未检出"}, Conforming, "ND", "lab.judge.reason.nd.forbidden_nolod"},
		{"forbidden, ND with its own LOD", forbiddenAny, Measured{Value: "ND", LOD: "1", Unit: "CFU/25g"}, Conforming, "<1", "lab.judge.reason.nd.forbidden_ok"},
		{"forbidden, detected without a unit", forbiddenAny, Measured{Value: "3"}, Nonconforming, "3", "lab.judge.reason.detected_forbidden"},
		{"minimum, ND with a small LOD", protein, Measured{NotDetected: true, LOD: "0.1", Unit: "g/100g"}, Nonconforming, "<0.1", "lab.judge.reason.nd.below_min"},
		{"minimum, ND with no LOD", protein, Measured{NotDetected: true}, NotJudged, "ND", "lab.judge.reason.nd.no_lod"},
		{"minimum, ND with a huge LOD", protein, Measured{NotDetected: true, LOD: "5", Unit: "%"}, NotJudged, "<5", "lab.judge.reason.nd.min_lod_high"},
		{"range from zero, ND", fromZero, Measured{NotDetected: true, LOD: "0.1", Unit: "mg/kg"}, Conforming, "<0.1", "lab.judge.reason.nd.max_ok"},
	}
	for _, c := range cases {
		v := Judge(c.limit, c.m)
		if v.Conclusion != c.want || v.Compared != c.compared || v.Reason != c.reason {
			t.Errorf("%s: %+v; want %s, compared %q, %s", c.name, v, c.want, c.compared, c.reason)
		}
	}
	v := Judge(chlorpyrifos(), Measured{NotDetected: true, LOD: "30", Unit: "μg/kg"})
	if a := argsMap(t, v); a["lod"] != "30 μg/kg = 0.030 mg/kg" || a["limit"] != "0.02 mg/kg" {
		t.Errorf("ND args %v", a)
	}
}

// GB/T 8170-2008 §4.3's table: the same measurements judged by the full
// value and by the value rounded to the limit's places.
func TestJudgeFullAndRoundedComparison(t *testing.T) {
	t.Parallel()
	naoh := Limit{Standard: "GB/T 8170-2008", Clause: "4.3", Category: "NaOH", Item: "质量分数", Comparison: AtLeast, Min: "97.0", Unit: "%"}
	si := Limit{Standard: "GB/T 8170-2008", Clause: "4.3", Category: "中碳钢", Item: "硅", Comparison: AtMost, Max: "0.5", Unit: "%"}
	mn := Limit{Standard: "GB/T 8170-2008", Clause: "4.3", Category: "中碳钢", Item: "锰", Comparison: Within, Min: "1.2", Max: "1.6", Unit: "%"}
	cases := []struct {
		limit        Limit
		value        string
		full         string
		rounded      string
		roundVerdict string
	}{
		{naoh, "97.01", Conforming, "97.0", Conforming},
		{naoh, "97.00", Conforming, "97.0", Conforming},
		{naoh, "96.96", Nonconforming, "97.0", Conforming},
		{naoh, "96.94", Nonconforming, "96.9", Nonconforming},
		{si, "0.452", Conforming, "0.5", Conforming},
		{si, "0.500", Conforming, "0.5", Conforming},
		{si, "0.549", Nonconforming, "0.5", Conforming},
		{si, "0.551", Nonconforming, "0.6", Nonconforming},
		{mn, "1.151", Nonconforming, "1.2", Conforming},
		{mn, "1.200", Conforming, "1.2", Conforming},
		{mn, "1.649", Nonconforming, "1.6", Conforming},
		{mn, "1.651", Nonconforming, "1.7", Nonconforming},
	}
	for _, c := range cases {
		l := c.limit
		m := Measured{Value: c.value, Unit: "%"}
		if v := Judge(&l, m); v.Conclusion != c.full || v.Compared != c.value {
			t.Errorf("%s %s full: %+v; want %s", l.Item, c.value, v, c.full)
		}
		l.Rounded = true
		v := Judge(&l, m)
		if v.Conclusion != c.roundVerdict || v.Compared != c.rounded {
			t.Errorf("%s %s rounded: %+v; want %s at %s", l.Item, c.value, v, c.roundVerdict, c.rounded)
		}
		if !strings.HasSuffix(v.Reason, "_rounded") || argsMap(t, v)["rounded"] != c.rounded+" %" {
			t.Errorf("%s %s rounded reason: %+v", l.Item, c.value, v)
		}
	}
	// Rounding happens after conversion, to the limit's places.
	l := si
	l.Rounded = true
	if v := Judge(&l, Measured{Value: "5490", Unit: "mg/kg"}); v.Compared != "0.5" || v.Conclusion != Conforming {
		t.Errorf("converted then rounded: %+v", v)
	}
}

func TestJudgeRange(t *testing.T) {
	t.Parallel()
	fat := &Limit{Standard: "X", Clause: "表1", Category: "c", Item: "脂肪", Comparison: Within, Min: "3.1", Max: "4.0", Unit: "g/100g"}
	for _, c := range []struct {
		value, unit, want, op string
	}{
		{"3.1", "g/100g", Conforming, ""},
		{"4.0", "%", Conforming, ""},
		{"3.09", "g/100g", Nonconforming, "<"},
		{"4.01", "g/100g", Nonconforming, ">"},
		{"35", "g/kg", Conforming, ""},
		{"41", "g/kg", Nonconforming, ">"},
	} {
		v := Judge(fat, Measured{Value: c.value, Unit: c.unit})
		if v.Conclusion != c.want {
			t.Errorf("%s %s: %+v; want %s", c.value, c.unit, v, c.want)
		}
		a := argsMap(t, v)
		if c.op == "" && (v.Reason != "lab.judge.reason.in_range" || a["min"] != "3.1 g/100g" || a["max"] != "4.0 g/100g") {
			t.Errorf("%s in range: %+v", c.value, v)
		}
		if c.op != "" && a["op"] != c.op {
			t.Errorf("%s out of range: %+v", c.value, v)
		}
	}
	above := &Limit{Standard: "X", Category: "c", Item: "i", Comparison: Above, Min: "2.8", Unit: "g/100g"}
	if v := Judge(above, Measured{Value: "2.8", Unit: "g/100g"}); v.Conclusion != Nonconforming {
		t.Errorf("> at the minimum: %+v", v)
	}
	if v := Judge(above, Measured{Value: "2.81", Unit: "g/100g"}); v.Conclusion != Conforming {
		t.Errorf("> above the minimum: %+v", v)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := *chlorpyrifos()
	if errs := Validate(ok); len(errs) != 0 {
		t.Fatalf("valid limit: %v", errs)
	}
	cases := []struct {
		name  string
		edit  func(l *Limit)
		field string
		rule  string
	}{
		{"no standard", func(l *Limit) { l.Standard = "" }, "standard", "rule.required"},
		{"no item", func(l *Limit) { l.Item = "" }, "item", "rule.required"},
		{"no category", func(l *Limit) { l.Category = "" }, "category", "rule.required"},
		{"unknown comparison", func(l *Limit) { l.Comparison = "about" }, "comparison", RuleComparison},
		{"no max", func(l *Limit) { l.Max = "" }, "max", "rule.required"},
		{"bad max", func(l *Limit) { l.Max = "0,02" }, "max", "rule.number"},
		{"min on a maximum", func(l *Limit) { l.Min = "0.01" }, "min", RuleNotUsed},
		{"min above max", func(l *Limit) { l.Comparison, l.Min, l.Max = Within, "2", "1" }, "min", RuleMinMax},
		{"unknown unit", func(l *Limit) { l.Unit = "ppt" }, "unit", RuleUnit},
		{"no unit", func(l *Limit) { l.Unit = "" }, "unit", "rule.required"},
		{"zero LOD", func(l *Limit) { l.LOD = "0" }, "lod", RuleNegative},
		{"bad LOD", func(l *Limit) { l.LOD = "ND" }, "lod", "rule.number"},
		{"nd with a max", func(l *Limit) { l.Comparison = NotDetected }, "max", RuleNotUsed},
	}
	for _, c := range cases {
		l := ok
		c.edit(&l)
		errs := Validate(l)
		found := false
		for _, e := range errs {
			if e.Field == c.field && e.Rule == c.rule {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: %v; want %s %s", c.name, errs, c.field, c.rule)
		}
	}
	nd := Limit{Standard: "GB 29921-2021", Category: "熟肉制品", Item: "沙门氏菌", Comparison: NotDetected}
	if errs := Validate(nd); len(errs) != 0 {
		t.Errorf("a must-not-be-detected limit needs no unit: %v", errs)
	}
}
