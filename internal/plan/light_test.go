package plan_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// A February 2024 task spans the Spring Festival: 10–17 February are days
// off and Sundays 4 and 18 February are make-up working days. Of February's
// 21 weekdays 18 are working days; by Monday 19 February 9 of them are
// behind us (1–2, 4–9 and 18 February), so the time-proportional progress
// is 50%, where a weekday count would say 12/21 = 57%.
func TestLightCountsWorkingDaysAcrossTheSpringFestival(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	st := plan.TaskState{Start: pwDay(t, "2024-02-01"), Deadline: pwDay(t, "2024-02-29"), Progress: 42,
		Cadence: plan.Monthly, ReportDay: 5, PublishedOn: pwDay(t, "2024-01-20"), LastReport: pwDay(t, "2024-02-05")}
	a := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-02-19"))
	if a.Expected != 50 || a.Lag != 8 {
		t.Fatalf("expected %v lag %v, want 50 and 8", a.Expected, a.Lag)
	}
	light, cause, params := plan.Evaluate(plan.Rule{}, cal, st, pwDay(t, "2024-02-19"))
	if light != plan.Green || cause != plan.CauseOnTrack || params["expected"] != "50" || params["lag"] != "8" {
		t.Errorf("42%% on 19 Feb = %s %s %v, want green on track (a weekday count would make it 15 points behind, yellow)", light, cause, params)
	}
	// During the holiday no working day passes: the expected progress on
	// the festival's last day equals that on its first.
	fri := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-02-10"))
	sat := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-02-17"))
	if fri.Expected != sat.Expected || fri.Expected != 100*8.0/18 {
		t.Errorf("expected %v on 10 Feb and %v on 17 Feb, want both 8/18", fri.Expected, sat.Expected)
	}
}

// The same rule, with the festival's days made working days by an
// administrator's override, turns the same task yellow: the calendar, not
// the weekday, decides.
func TestHolidayOverrideChangesTheLight(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newPW(t, db)
		w.plan(t, "2024-01-20", plan.Rule{})
		tk := w.task(t, "2024-01-20", "春节期间市场保供稳价检查", "2024-02-01", "2024-02-29")
		w.report(t, "2024-02-05", tk.ID, 42, "")
		w.recompute(t, "2024-02-19")
		if got := w.get(t, tk.ID); got.Light != plan.Green {
			t.Fatalf("with the Spring Festival: %s (%s), want green", got.Light, got.LightCause)
		}
		for _, d := range []string{"2024-02-12", "2024-02-13", "2024-02-14", "2024-02-15", "2024-02-16"} {
			if err := workday.SetDay(ctx, db, d, workday.KindWorkday, "调整"); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range []string{"2024-02-04", "2024-02-18"} {
			if err := workday.SetDay(ctx, db, d, workday.KindHoliday, "调整"); err != nil {
				t.Fatal(err)
			}
		}
		w.recompute(t, "2024-02-19")
		got := w.get(t, tk.ID)
		if got.Light != plan.Yellow || got.LightCause != plan.CauseLag {
			t.Fatalf("without the festival: %s (%s), want yellow by lag", got.Light, got.LightCause)
		}
		hist, err := plan.LightHistory(ctx, db, w.office, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := hist[len(hist)-1]
		if last.Params["expected"] != "57.1" || last.Params["lag"] != "15.1" {
			t.Errorf("cause params %v, want expected 57.1 and lag 15.1 (12 of 21 working days)", last.Params)
		}
	})
}

func TestLightRule(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	// 2024-03-01 (Fri) to 2024-03-29 (Fri): 21 working days.
	base := plan.TaskState{Start: pwDay(t, "2024-03-01"), Deadline: pwDay(t, "2024-03-29"), Cadence: plan.Monthly,
		ReportDay: 5, PublishedOn: pwDay(t, "2024-02-20"), LastReport: pwDay(t, "2024-03-04")}
	mid := pwDay(t, "2024-03-18") // 11 working days behind us: expected 52.4%
	cases := []struct {
		name     string
		progress float64
		mod      func(*plan.TaskState)
		rule     plan.Rule
		today    time.Time
		light    string
		cause    string
	}{
		{"on track", 45, nil, plan.Rule{}, mid, plan.Green, plan.CauseOnTrack},
		{"just under 10 behind", 42.5, nil, plan.Rule{}, mid, plan.Green, plan.CauseOnTrack},
		{"10 behind", 42.3, nil, plan.Rule{}, mid, plan.Yellow, plan.CauseLag},
		{"30 behind", 22.4, nil, plan.Rule{}, mid, plan.Yellow, plan.CauseLag},
		{"over 30 behind", 22.3, nil, plan.Rule{}, mid, plan.Red, plan.CauseLag},
		{"custom rule", 45, nil, plan.Rule{YellowLag: 5, RedLag: 7}, mid, plan.Red, plan.CauseLag},
		{"past the deadline", 99, nil, plan.Rule{}, pwDay(t, "2024-03-30"), plan.Red, plan.CauseOverdue},
		{"done on time", 100, func(s *plan.TaskState) { s.Done, s.DoneOn = true, pwDay(t, "2024-03-20") }, plan.Rule{}, pwDay(t, "2024-04-10"), plan.Green, plan.CauseDone},
		{"done late", 100, func(s *plan.TaskState) { s.Done, s.DoneOn = true, pwDay(t, "2024-04-02") }, plan.Rule{}, pwDay(t, "2024-04-10"), plan.Green, plan.CauseDoneLate},
		{"overdue rectification", 80, func(s *plan.TaskState) { s.OverdueRectification = "r1" }, plan.Rule{}, mid, plan.Red, plan.CauseRectification},
		{"not started yet", 0, func(s *plan.TaskState) { s.Start = pwDay(t, "2024-03-25") }, plan.Rule{}, mid, plan.Green, plan.CauseOnTrack},
	}
	for _, c := range cases {
		st := base
		st.Progress = c.progress
		if c.mod != nil {
			c.mod(&st)
		}
		light, cause, _ := plan.Evaluate(c.rule, cal, st, c.today)
		if light != c.light || cause != c.cause {
			t.Errorf("%s: %s %s, want %s %s", c.name, light, cause, c.light, c.cause)
		}
	}
}

// A report is due by the report day of each period; the latest period
// whose report day has passed must have a report made since it began. In
// April 2024 the 5th is the Qingming holiday and the 6th a Saturday, so the
// report day rolls to Sunday 7 April, a make-up working day.
func TestMissedReport(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	st := plan.TaskState{Start: pwDay(t, "2024-03-15"), Deadline: pwDay(t, "2024-12-31"), Progress: 10,
		Cadence: plan.Monthly, ReportDay: 5, PublishedOn: pwDay(t, "2024-03-15"), LastReport: pwDay(t, "2024-03-20")}
	if a := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-04-07")); a.MissedPeriod != "" || a.Light != plan.Green {
		t.Errorf("on the rolled report day: missed %q, %s", a.MissedPeriod, a.Light)
	}
	a := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-04-08"))
	if a.MissedPeriod != "2024-04" || a.Light != plan.Yellow || a.Cause != plan.CauseMissed ||
		a.Params["period"] != "2024-04" || a.Params["due"] != "2024-04-07" {
		t.Errorf("the day after: %+v, want yellow for the missed April report due 7 April", a)
	}
	if light, _, _ := plan.Evaluate(plan.Rule{IgnoreMissed: true}, cal, st, pwDay(t, "2024-04-08")); light != plan.Green {
		t.Errorf("a rule ignoring missed reports gave %s", light)
	}
	// A task published in the middle of March owes no March report; one
	// published before March does.
	st.LastReport = time.Time{}
	if a := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-03-28")); a.MissedPeriod != "" {
		t.Errorf("a task published on 15 March missed %q", a.MissedPeriod)
	}
	st.PublishedOn, st.Start = pwDay(t, "2024-02-26"), pwDay(t, "2024-02-26")
	if a := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-03-28")); a.MissedPeriod != "2024-03" {
		t.Errorf("a task published in February missed %q, want 2024-03", a.MissedPeriod)
	}
	// Measured tasks follow the data and owe no reports.
	st.Measured = true
	if a := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-03-28")); a.MissedPeriod != "" {
		t.Errorf("a measured task missed %q", a.MissedPeriod)
	}
}

// Two yellows in a row: a task behind schedule in two consecutive report
// periods, with no green between, turns red; a green in between starts the
// run again.
func TestYellowInTwoPeriodsEscalates(t *testing.T) {
	t.Parallel()
	cal := workday.Official()
	st := plan.TaskState{Start: pwDay(t, "2024-03-01"), Deadline: pwDay(t, "2024-06-28"), Progress: 5,
		Cadence: plan.Monthly, ReportDay: 5, PublishedOn: pwDay(t, "2024-02-20"), LastReport: pwDay(t, "2024-03-04")}
	march := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-03-20"))
	if march.Light != plan.Yellow || march.Streak != 1 || march.StreakPeriod != "2024-03" {
		t.Fatalf("March: %+v", march)
	}
	st.Streak, st.StreakPeriod = march.Streak, march.StreakPeriod
	again := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-03-27"))
	if again.Light != plan.Yellow || again.Streak != 1 {
		t.Fatalf("later in March: %s streak %d, want yellow 1 (one period)", again.Light, again.Streak)
	}
	st.Progress, st.LastReport = 15, pwDay(t, "2024-04-03")
	april := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-04-03"))
	if april.Light != plan.Red || april.Cause != plan.CauseEscalated || april.Streak != 2 || april.Params["streak"] != "2" {
		t.Fatalf("April, still behind: %+v, want red escalated", april)
	}
	// A three-period rule waits for a third.
	if l, _, _ := plan.Evaluate(plan.Rule{EscalateYellow: 3}, cal, st, pwDay(t, "2024-04-03")); l != plan.Yellow {
		t.Errorf("escalate_yellow 3 in the second period: %s", l)
	}
	// A gap of a period breaks the run.
	st.StreakPeriod = "2024-02"
	if a := plan.Assess(plan.Rule{}, cal, st, pwDay(t, "2024-04-03")); a.Light != plan.Yellow || a.Streak != 1 {
		t.Errorf("after a period on schedule: %s streak %d", a.Light, a.Streak)
	}
}

func TestPeriods(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cadence, day, key, start, end string
	}{
		{plan.Monthly, "2024-02-29", "2024-02", "2024-02-01", "2024-03-01"},
		{plan.Quarterly, "2024-05-05", "2024-Q2", "2024-04-01", "2024-07-01"},
		// Fortnights run from Monday 5 January 1970 on, whatever the year.
		{plan.Biweekly, "2024-01-07", "2023-W52", "2023-12-25", "2024-01-08"},
		{plan.Biweekly, "2024-01-08", "2024-W02", "2024-01-08", "2024-01-22"},
		{plan.Biweekly, "2024-01-21", "2024-W02", "2024-01-08", "2024-01-22"},
		{plan.Biweekly, "2021-01-03", "2020-W53", "2020-12-28", "2021-01-11"},
		{plan.Biweekly, "1970-01-04", "1969-W52", "1969-12-22", "1970-01-05"},
	}
	for _, c := range cases {
		p := plan.PeriodOf(c.cadence, pwDay(t, c.day))
		if p.Key != c.key || workday.FormatDate(p.Start) != c.start || workday.FormatDate(p.End) != c.end {
			t.Errorf("%s %s: %s %s–%s, want %s %s–%s", c.cadence, c.day, p.Key, workday.FormatDate(p.Start),
				workday.FormatDate(p.End), c.key, c.start, c.end)
		}
	}
	if p := plan.PeriodOf(plan.Quarterly, pwDay(t, "2024-01-10")).Prev(plan.Quarterly); p.Key != "2023-Q4" {
		t.Errorf("quarter before 2024-Q1: %s", p.Key)
	}
}
