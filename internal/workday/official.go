package workday

import (
	"fmt"
	"time"
)

// period is one holiday of a notice, written as the notice writes it: the
// days off from..to (inclusive), their count ("共N天"), and the Saturdays and
// Sundays worked instead ("…上班").
type period struct {
	name     string
	from, to string
	days     int
	makeup   []string
}

type notice struct {
	year        int
	source      string
	provisional bool
	periods     []period
}

// notices are the State Council's yearly arrangements, transcribed from the
// published texts (新华社 / 中国政府网 copies). Each period's day count is
// checked against its dates when the package loads, and every make-up day
// must fall on a weekend, so a slip in transcription stops the program at
// start-up instead of moving a legal deadline.
var notices = []notice{
	{year: 2021, source: "国办发明电〔2020〕27号", periods: []period{
		{"元旦", "2021-01-01", "2021-01-03", 3, nil},
		{"春节", "2021-02-11", "2021-02-17", 7, []string{"2021-02-07", "2021-02-20"}},
		{"清明节", "2021-04-03", "2021-04-05", 3, nil},
		{"劳动节", "2021-05-01", "2021-05-05", 5, []string{"2021-04-25", "2021-05-08"}},
		{"端午节", "2021-06-12", "2021-06-14", 3, nil},
		{"中秋节", "2021-09-19", "2021-09-21", 3, []string{"2021-09-18"}},
		{"国庆节", "2021-10-01", "2021-10-07", 7, []string{"2021-09-26", "2021-10-09"}},
	}},
	{year: 2022, source: "国办发明电〔2021〕11号", periods: []period{
		{"元旦", "2022-01-01", "2022-01-03", 3, nil},
		{"春节", "2022-01-31", "2022-02-06", 7, []string{"2022-01-29", "2022-01-30"}},
		{"清明节", "2022-04-03", "2022-04-05", 3, []string{"2022-04-02"}},
		{"劳动节", "2022-04-30", "2022-05-04", 5, []string{"2022-04-24", "2022-05-07"}},
		{"端午节", "2022-06-03", "2022-06-05", 3, nil},
		{"中秋节", "2022-09-10", "2022-09-12", 3, nil},
		{"国庆节", "2022-10-01", "2022-10-07", 7, []string{"2022-10-08", "2022-10-09"}},
	}},
	{year: 2023, source: "国办发明电〔2022〕16号", periods: []period{
		{"元旦", "2022-12-31", "2023-01-02", 3, nil},
		{"春节", "2023-01-21", "2023-01-27", 7, []string{"2023-01-28", "2023-01-29"}},
		{"清明节", "2023-04-05", "2023-04-05", 1, nil},
		{"劳动节", "2023-04-29", "2023-05-03", 5, []string{"2023-04-23", "2023-05-06"}},
		{"端午节", "2023-06-22", "2023-06-24", 3, []string{"2023-06-25"}},
		{"中秋节、国庆节", "2023-09-29", "2023-10-06", 8, []string{"2023-10-07", "2023-10-08"}},
	}},
	// 元旦 and 端午节 are "放假，与周末连休": only the weekday itself is
	// listed, the adjoining weekend being a weekend anyway.
	{year: 2024, source: "国办发明电〔2023〕7号", periods: []period{
		{"元旦", "2024-01-01", "2024-01-01", 1, nil},
		{"春节", "2024-02-10", "2024-02-17", 8, []string{"2024-02-04", "2024-02-18"}},
		{"清明节", "2024-04-04", "2024-04-06", 3, []string{"2024-04-07"}},
		{"劳动节", "2024-05-01", "2024-05-05", 5, []string{"2024-04-28", "2024-05-11"}},
		{"端午节", "2024-06-10", "2024-06-10", 1, nil},
		{"中秋节", "2024-09-15", "2024-09-17", 3, []string{"2024-09-14"}},
		{"国庆节", "2024-10-01", "2024-10-07", 7, []string{"2024-09-29", "2024-10-12"}},
	}},
	// The first year under the 2024 revision of 全国年节及纪念日放假办法:
	// 农历除夕 and 5月2日 became statutory holidays.
	{year: 2025, source: "国办发明电〔2024〕12号", periods: []period{
		{"元旦", "2025-01-01", "2025-01-01", 1, nil},
		{"春节", "2025-01-28", "2025-02-04", 8, []string{"2025-01-26", "2025-02-08"}},
		{"清明节", "2025-04-04", "2025-04-06", 3, nil},
		{"劳动节", "2025-05-01", "2025-05-05", 5, []string{"2025-04-27"}},
		{"端午节", "2025-05-31", "2025-06-02", 3, nil},
		{"国庆节、中秋节", "2025-10-01", "2025-10-08", 8, []string{"2025-09-28", "2025-10-11"}},
	}},
	{year: 2026, source: "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）", periods: []period{
		{"元旦", "2026-01-01", "2026-01-03", 3, []string{"2026-01-04"}},
		{"春节", "2026-02-15", "2026-02-23", 9, []string{"2026-02-14", "2026-02-28"}},
		{"清明节", "2026-04-04", "2026-04-06", 3, nil},
		{"劳动节", "2026-05-01", "2026-05-05", 5, []string{"2026-05-09"}},
		{"端午节", "2026-06-19", "2026-06-21", 3, nil},
		{"中秋节", "2026-09-25", "2026-09-27", 3, nil},
		{"国庆节", "2026-10-01", "2026-10-07", 7, []string{"2026-09-20", "2026-10-10"}},
	}},
	// PROVISIONAL. The 2027 notice had not been published when this table
	// was written (it usually appears in November of the year before), so
	// 2027 is derived from the rules the 2025 notice states for every year
	// "除个别特殊情形外": 春节 8 days from 农历除夕 (2027-02-05, a Friday),
	// 国庆节 7 days from 1 October, 劳动节 5 days, 元旦/清明节/端午节/中秋节
	// 3 days but only the day itself when it falls on a Wednesday (端午
	// 2027-06-09 and 中秋 2027-09-15 both do), make-up days on the nearest
	// weekends with at most six working days in a row. The official notice
	// may differ, most likely in the Spring Festival make-up days: when it is
	// out, correct any differing day on the admin calendar page (an override
	// wins) and update this table.
	{year: 2027, source: "按《全国年节及纪念日放假办法》及2025年调休原则推定（待国务院办公厅通知）", provisional: true, periods: []period{
		{"元旦", "2027-01-01", "2027-01-03", 3, nil},
		{"春节", "2027-02-05", "2027-02-12", 8, []string{"2027-01-31", "2027-02-13"}},
		{"清明节", "2027-04-03", "2027-04-05", 3, nil},
		{"劳动节", "2027-05-01", "2027-05-05", 5, []string{"2027-05-08"}},
		{"端午节", "2027-06-09", "2027-06-09", 1, nil},
		{"中秋节", "2027-09-15", "2027-09-15", 1, nil},
		{"国庆节", "2027-10-01", "2027-10-07", 7, []string{"2027-09-26", "2027-10-09"}},
	}},
}

var (
	official                    = mustBuildOfficial()
	officialFirst, officialLast = notices[0].year, notices[len(notices)-1].year
)

func mustBuildOfficial() *Calendar {
	special, err := buildOfficial(notices)
	if err != nil {
		panic("workday: built-in holiday table: " + err.Error())
	}
	return newCalendar(special)
}

func buildOfficial(ns []notice) (map[int]entry, error) {
	special := map[int]entry{}
	put := func(s string, e entry) (int, error) {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return 0, err
		}
		n := civilDayNum(t.Date())
		if _, dup := special[n]; dup {
			return 0, fmt.Errorf("%s listed twice", s)
		}
		special[n] = e
		return n, nil
	}
	for _, no := range ns {
		for _, p := range no.periods {
			e := entry{name: p.name, source: no.source, provisional: no.provisional}
			first, err := put(p.from, e)
			if err != nil {
				return nil, err
			}
			last, err := time.Parse(time.DateOnly, p.to)
			if err != nil {
				return nil, err
			}
			end := civilDayNum(last.Date())
			if end-first+1 != p.days {
				return nil, fmt.Errorf("%d %s: %s to %s is %d days, the notice says %d", no.year, p.name, p.from, p.to, end-first+1, p.days)
			}
			for n := first + 1; n <= end; n++ {
				if _, err := put(formatDayNum(n), e); err != nil {
					return nil, err
				}
			}
			for _, m := range p.makeup {
				w := e
				w.workday = true
				n, err := put(m, w)
				if err != nil {
					return nil, err
				}
				if !weekend(n) {
					return nil, fmt.Errorf("%d %s: make-up day %s is not a Saturday or Sunday", no.year, p.name, m)
				}
			}
		}
	}
	return special, nil
}
