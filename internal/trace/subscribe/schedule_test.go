package subscribe

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, scheduleZone)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, c := range []struct {
		s          Schedule
		from, want string
	}{
		// The binding's example: every morning at 1.05 (each second of that
		// minute matches, second being omitted).
		{Schedule{Hour: "1", Minute: "5"}, "2026-11-29 00:00:00", "2026-11-29 01:05:00"},
		{Schedule{Hour: "1", Minute: "5"}, "2026-11-29 01:05:00", "2026-11-29 01:05:01"},
		{Schedule{Hour: "1", Minute: "5", Second: "0"}, "2026-11-29 01:05:00", "2026-11-30 01:05:00"},
		{Schedule{Second: "0,30"}, "2026-11-29 10:00:10", "2026-11-29 10:00:30"},
		{Schedule{Second: "0,30"}, "2026-11-29 10:00:30", "2026-11-29 10:01:00"},
		{Schedule{Minute: "[10-12]", Second: "0"}, "2026-11-29 10:12:00", "2026-11-29 11:10:00"},
		// 29 November 2026 is a Sunday: dayOfWeek 1 is Monday.
		{Schedule{DayOfWeek: "1", Hour: "0", Minute: "0", Second: "0"}, "2026-11-29 12:00:00", "2026-11-30 00:00:00"},
		{Schedule{DayOfWeek: "7", Hour: "0", Minute: "0", Second: "0"}, "2026-11-28 12:00:00", "2026-11-29 00:00:00"},
		{Schedule{DayOfMonth: "31", Hour: "0", Minute: "0", Second: "0"}, "2026-11-01 00:00:00", "2026-12-31 00:00:00"},
		{Schedule{Month: "2", DayOfMonth: "29", Second: "0", Minute: "0", Hour: "0"}, "2026-03-01 00:00:00", "2028-02-29 00:00:00"},
		{Schedule{Month: "[1-2]", DayOfMonth: "1", Hour: "3", Minute: "0", Second: "0"}, "2026-11-29 00:00:00", "2027-01-01 03:00:00"},
	} {
		got := c.s.Next(at(c.from))
		if !got.Equal(at(c.want)) {
			t.Errorf("%+v after %s: %s, want %s", c.s, c.from, got.In(scheduleZone).Format(time.DateTime), c.want)
		}
	}
}

func TestScheduleRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s  Schedule
		at string
	}{
		{Schedule{Second: "60"}, "/schedule/second"},
		{Schedule{Hour: "24"}, "/schedule/hour"},
		{Schedule{DayOfMonth: "0"}, "/schedule/dayOfMonth"},
		{Schedule{Month: "13"}, "/schedule/month"},
		{Schedule{DayOfWeek: "0"}, "/schedule/dayOfWeek"},
		{Schedule{Minute: "[30-10]"}, "/schedule/minute"},
		{Schedule{Minute: "0/30"}, "/schedule/minute"}, // cron steps are not the standard's grammar
		{Schedule{Minute: "*"}, "/schedule/minute"},
		{Schedule{Minute: "1, 2"}, "/schedule/minute"},
		{Schedule{Minute: "1,"}, "/schedule/minute"},
		{Schedule{Minute: "[1-2"}, "/schedule/minute"},
		{Schedule{Minute: "-1"}, "/schedule/minute"},
		{Schedule{}, "/schedule"},
		{Schedule{Month: "2", DayOfMonth: "30"}, "/schedule"},
	} {
		c2, problems := c.s.compile()
		if c2 != nil || len(problems) == 0 || problems[0].Pointer != c.at {
			t.Errorf("%+v: %v, want a problem at %s", c.s, problems, c.at)
		}
		if !c.s.Next(time.Now()).IsZero() {
			t.Errorf("%+v: an invalid schedule comes round", c.s)
		}
	}
}
