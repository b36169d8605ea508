package plan

import "testing"

func TestParseDeadline(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":            "",
		"2024-06-30":  "2024-06-30",
		"2024/6/3":    "2024-06-03",
		"２０２４．６．３０":   "2024-06-30",
		"2024年6月30日":  "2024-06-30",
		"2024年6月30日前": "2024-06-30",
		"6月30日前":      "2024-06-30",
		"6月底":         "2024-06-30",
		"2月底":         "2024-02-29",
		"2025年3月":     "2025-03-31",
		"11月底前":       "2024-11-30",
		"第二季度":        "2024-06-30",
		"3季度末":        "2024-09-30",
		"上半年":         "2024-06-30",
		"年底前":         "2024-12-31",
		"2024年底":      "2024-12-31",
		"长期坚持":        "2024-12-31",
		"持续推进":        "2024-12-31",
		"45473":       "2024-06-30", // an Excel date
	} {
		got, ok := parseDeadline(in, 2024)
		if !ok || got != want {
			t.Errorf("%q → %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"明年", "2024-02-30", "13月底", "2024年0月", "第五季度", "尽快"} {
		if got, ok := parseDeadline(in, 2024); ok {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

func TestLabelRanks(t *testing.T) {
	t.Parallel()
	order := []string{"一、", "（一）", "1.", "1.1", "(1)", "①"}
	for i := 1; i < len(order); i++ {
		if labelRank(order[i-1]) >= labelRank(order[i]) {
			t.Errorf("%s ranks %d, not above %s (%d)", order[i-1], labelRank(order[i-1]), order[i], labelRank(order[i]))
		}
	}
	if labelRank("十二、") != 1 || labelRank("（十）") != 2 || labelRank("12、") != 3 {
		t.Errorf("ranks %d %d %d", labelRank("十二、"), labelRank("（十）"), labelRank("12、"))
	}
}
