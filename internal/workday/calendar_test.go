package workday_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/workday"
)

func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := workday.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// expectDays checks every date from..to against the expected working-day
// string: 'W' working day, '-' day off.
func expectDays(t *testing.T, cal *workday.Calendar, from string, want string) {
	t.Helper()
	d := day(t, from)
	for _, c := range want {
		got := cal.IsWorkday(d)
		if got != (c == 'W') {
			t.Errorf("%s (%s): working day = %v, want %v", workday.FormatDate(d), d.Weekday(), got, c == 'W')
		}
		d = d.AddDate(0, 0, 1)
	}
}

func TestSpringFestival2024(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	// 国办发明电〔2023〕7号: 2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班。
	// Feb 3 (Sat) is an ordinary weekend; Feb 4 (Sun) and Feb 18 (Sun) are worked.
	expectDays(t, cal, "2024-02-03", "-WWWWWW--------WWWWWW--")
	for _, s := range []string{"2024-02-10", "2024-02-13", "2024-02-17"} {
		if name, ok := cal.Holiday(day(t, s)); !ok || name != "春节" {
			t.Errorf("Holiday(%s) = %q, %v; want 春节", s, name, ok)
		}
	}
	if _, ok := cal.Holiday(day(t, "2024-02-04")); ok {
		t.Error("the make-up Sunday 2024-02-04 is reported as a holiday")
	}
	if _, ok := cal.Holiday(day(t, "2024-02-24")); ok {
		t.Error("an ordinary Saturday is reported as a holiday")
	}
	sp, ok := cal.Special(day(t, "2024-02-18"))
	if !ok || sp.Kind != workday.KindWorkday || sp.Name != "春节" || sp.Source != "国办发明电〔2023〕7号" || sp.Override {
		t.Errorf("Special(2024-02-18) = %+v, %v", sp, ok)
	}
	// 除夕 (Feb 9) was only "encouraged" as a day off in 2024, not granted.
	if !cal.IsWorkday(day(t, "2024-02-09")) {
		t.Error("2024-02-09 (除夕) must be a working day: the 2024 notice did not make it a holiday")
	}
}

func TestNationalDayAndMidAutumn2025(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	// 国办发明电〔2024〕12号: 10月1日至8日放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
	expectDays(t, cal, "2025-09-27", "-WWW--------WWW-W")
	if name, ok := cal.Holiday(day(t, "2025-10-06")); !ok || name != "国庆节、中秋节" {
		t.Errorf("Holiday(2025-10-06) = %q, %v", name, ok)
	}
	// From Monday 22 September, 10 working days: 23–26 Sep, 28 Sep (Sun),
	// 29–30 Sep, then after the holiday 9, 10 and 11 Oct (Sat).
	if got := workday.FormatDate(cal.AddWorkdays(day(t, "2025-09-22"), 10)); got != "2025-10-11" {
		t.Errorf("10 working days after 2025-09-22 = %s, want 2025-10-11", got)
	}
}

func TestTwentyWorkingDaysAcrossSpringFestival(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	// A penalty decided on Monday 29 January 2024 must be on GSXT within 20
	// working days: 30 Jan–2 Feb (4), Sun 4 Feb (5), 5–9 Feb (10), holiday
	// 10–17 Feb, Sun 18 Feb (11), 19–23 Feb (16), 26–29 Feb (20). Plain
	// Monday-to-Friday counting would say 26 February.
	from := day(t, "2024-01-29")
	got := cal.AddWorkdays(from, 20)
	if workday.FormatDate(got) != "2024-02-29" {
		t.Fatalf("20 working days after 2024-01-29 = %s, want 2024-02-29", workday.FormatDate(got))
	}
	if n := cal.CountWorkdays(from, got); n != 20 {
		t.Errorf("CountWorkdays = %d, want 20", n)
	}
	if n := cal.CountWorkdays(from, day(t, "2024-02-17")); n != 10 {
		t.Errorf("working days elapsed by the end of the holiday = %d, want 10", n)
	}
	if n := cal.CountWorkdays(got, from); n != -20 {
		t.Errorf("CountWorkdays backwards = %d, want -20", n)
	}
}

func TestNewStatutoryHolidaysFrom2025(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	// The 2024 revision made 农历除夕 and 2 May holidays from 2025 on.
	for _, s := range []string{"2025-01-28", "2025-05-02", "2026-02-16", "2026-05-04"} {
		if cal.IsWorkday(day(t, s)) {
			t.Errorf("%s should be a day off", s)
		}
	}
	// 2023-04-05 Qingming was a single day, 2023-06-25 a make-up Sunday.
	expectDays(t, cal, "2023-04-04", "W-W")
	expectDays(t, cal, "2023-06-21", "W---W")
	// New Year 2023 began on 2022-12-31 (Saturday) and ran to Monday 2 January.
	expectDays(t, cal, "2022-12-30", "W---W")
	if name, _ := cal.Holiday(day(t, "2022-12-31")); name != "元旦" {
		t.Errorf("2022-12-31 holiday name = %q, want 元旦", name)
	}
}

func TestProvisional2027(t *testing.T) {
	t.Parallel()
	first, last := workday.OfficialYears()
	if first != 2021 || last != 2027 {
		t.Fatalf("OfficialYears = %d..%d", first, last)
	}
	days := workday.Official().Year(2027)
	if len(days) == 0 {
		t.Fatal("no 2027 data")
	}
	for _, d := range days {
		if !d.Provisional {
			t.Errorf("2027 entry %s is not marked provisional", d.Date)
		}
	}
	for _, d := range workday.Official().Year(2026) {
		if d.Provisional || d.Source == "" {
			t.Errorf("2026 entry %+v: published notices are not provisional and name their source", d)
		}
	}
}

func TestDataShape(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	for y := 2021; y <= 2027; y++ {
		var holidays, makeups int
		names := map[string]bool{}
		for _, d := range cal.Year(y) {
			dt := day(t, d.Date)
			wd := dt.Weekday()
			switch d.Kind {
			case workday.KindWorkday:
				makeups++
				if wd != time.Saturday && wd != time.Sunday {
					t.Errorf("%s: make-up day on a %s", d.Date, wd)
				}
			case workday.KindHoliday:
				holidays++
				names[d.Name] = true
			default:
				t.Errorf("%s: kind %q", d.Date, d.Kind)
			}
		}
		// Every year has New Year, Spring Festival, Qingming, Labour Day,
		// Dragon Boat, Mid-Autumn and National Day (the last two sometimes
		// merged).
		for _, n := range []string{"春节", "清明节", "劳动节", "端午节"} {
			if !names[n] {
				t.Errorf("%d has no %s", y, n)
			}
		}
		if holidays < 20 || makeups > 8 {
			t.Errorf("%d: %d holiday days, %d make-up days", y, holidays, makeups)
		}
	}
}

func TestZoneConversion(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	// 2024-02-09 20:00 in New York is 2024-02-10 09:00 in Shanghai: a holiday.
	ny := time.FixedZone("EST", -5*3600)
	evening := time.Date(2024, 2, 9, 20, 0, 0, 0, ny)
	if cal.IsWorkday(evening) {
		t.Error("a New York evening on 9 February is 10 February in Shanghai, a holiday")
	}
	// 2024-02-09 15:59 UTC is 23:59 in Shanghai, still the working 9th.
	if !cal.IsWorkday(time.Date(2024, 2, 9, 15, 59, 0, 0, time.UTC)) {
		t.Error("2024-02-09 15:59 UTC is 23:59 on the 9th in Shanghai, a working day")
	}
	got := cal.NextWorkday(evening)
	if got.Location() != workday.Shanghai || got.Hour() != 0 || workday.FormatDate(got) != "2024-02-18" {
		t.Errorf("NextWorkday = %v, want midnight 2024-02-18 in Shanghai", got)
	}
	if workday.Shanghai.String() != "Asia/Shanghai" {
		t.Errorf("zone = %s, want Asia/Shanghai from the embedded tzdata", workday.Shanghai)
	}
}

func TestRollForwardAndAddDays(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	if got := workday.FormatDate(cal.RollForward(day(t, "2025-10-03"))); got != "2025-10-09" {
		t.Errorf("RollForward(2025-10-03) = %s", got)
	}
	if got := workday.FormatDate(cal.RollForward(day(t, "2025-09-28"))); got != "2025-09-28" {
		t.Errorf("RollForward of a make-up Sunday = %s, want the day itself", got)
	}
	// 15 days after 2025-09-16 is 1 October, inside the holiday: the period
	// runs to the first working day after it.
	if got := workday.FormatDate(cal.AddDays(day(t, "2025-09-16"), 15)); got != "2025-10-09" {
		t.Errorf("AddDays = %s, want 2025-10-09", got)
	}
	if got := workday.FormatDate(cal.AddDays(day(t, "2025-09-01"), 15)); got != "2025-09-16" {
		t.Errorf("AddDays = %s, want 2025-09-16", got)
	}
}

func TestOutsideOfficialYearsWeekendsOnly(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	expectDays(t, cal, "2030-10-01", "WWWW--W") // no data for 2030: Tue..Mon by weekday only
	if got := cal.CountWorkdays(day(t, "2030-01-06"), day(t, "2030-02-03")); got != 20 {
		t.Errorf("4 plain weeks = %d working days, want 20", got)
	}
}

// CountWorkdays and AddWorkdays are inverses, and CountWorkdays agrees with
// counting day by day, from 2020 to 2028 (across every built-in year's edges).
func TestCountAddConsistency(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	r := rand.New(rand.NewPCG(1, 2))
	start := workday.Date(2020, 1, 1)
	for i := 0; i < 3000; i++ {
		d := start.AddDate(0, 0, r.IntN(9*365)).Add(time.Duration(r.IntN(24*60)) * time.Minute)
		n := r.IntN(300)
		end := cal.AddWorkdays(d, n)
		if got := cal.CountWorkdays(d, end); got != n {
			t.Fatalf("CountWorkdays(%v, AddWorkdays(.., %d)=%v) = %d", d, n, end, got)
		}
		if n > 0 && !cal.IsWorkday(end) {
			t.Fatalf("AddWorkdays(%v, %d) = %v is not a working day", d, n, end)
		}
		if n > 0 && cal.CountWorkdays(d, end.AddDate(0, 0, -1)) != n-1 {
			t.Fatalf("AddWorkdays(%v, %d) = %v is not the earliest such day", d, n, end)
		}
		// Backwards from a working day returns to it.
		if n > 0 && cal.IsWorkday(d) {
			if back := cal.AddWorkdays(end, -n); !back.Equal(workday.Midnight(d)) {
				t.Fatalf("AddWorkdays(AddWorkdays(%v, %d), -%d) = %v", d, n, n, back)
			}
		}
		// Against a day-by-day count over an arbitrary span.
		to := d.AddDate(0, 0, r.IntN(800)-400)
		slow := 0
		lo, hi, sign := workday.Midnight(d), workday.Midnight(to), 1
		if hi.Before(lo) {
			lo, hi, sign = hi, lo, -1
		}
		for x := lo.AddDate(0, 0, 1); !x.After(hi); x = x.AddDate(0, 0, 1) {
			if cal.IsWorkday(x) {
				slow++
			}
		}
		if got := cal.CountWorkdays(d, to); got != sign*slow {
			t.Fatalf("CountWorkdays(%v, %v) = %d, day by day %d", d, to, got, sign*slow)
		}
	}
}

// Long clocks far from the holiday data take the week-jumping path; they
// must land where walking day by day would.
func TestLongSpans(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	for _, s := range []string{"2029-03-07", "2029-03-09", "2029-03-10", "2029-03-11", "2019-06-01", "2019-06-02"} {
		d := day(t, s)
		for _, n := range []int{6, 7, 10, 11, 250, 5001, -6, -7, -11, -5001} {
			got := cal.AddWorkdays(d, n)
			if n > 0 {
				if cal.CountWorkdays(d, got) != n || !cal.IsWorkday(got) || cal.CountWorkdays(d, got.AddDate(0, 0, -1)) != n-1 {
					t.Errorf("AddWorkdays(%s, %d) = %s", s, n, workday.FormatDate(got))
				}
				continue
			}
			// Backwards: got is the |n|-th working day before d.
			if !cal.IsWorkday(got) || cal.CountWorkdays(got, d.AddDate(0, 0, -1)) != -n-1 {
				t.Errorf("AddWorkdays(%s, %d) = %s", s, n, workday.FormatDate(got))
			}
		}
	}
}

func TestDateHelpers(t *testing.T) {
	t.Parallel()
	if _, err := workday.ParseDate("2025-02-30"); err == nil {
		t.Error("ParseDate accepted 2025-02-30")
	}
	d := workday.Date(2025, 1, 28)
	if workday.FormatDate(d) != "2025-01-28" || workday.Midnight(d.Add(23*time.Hour)) != d {
		t.Errorf("Date/Midnight/FormatDate disagree: %v", d)
	}
	if !workday.Today().Equal(workday.Midnight(time.Now())) {
		t.Error("Today is not midnight of now in Shanghai")
	}
}
