package subscribe

import (
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// scheduleZone is the zone schedules are read in.
var scheduleZone = jobs.Shanghai

// Schedule is a query schedule (EPCIS §8.2.5.3, the REST binding's
// QueryScheduleSubscription, query-schedule.json). Each field is a
// comma-separated list of numbers and [low-high] ranges, e.g. "0,30" or
// "[9-17]"; an omitted field matches every value. Times are read in the
// county's zone (jobs.Shanghai); dayOfWeek counts Monday as 1 and Sunday
// as 7.
type Schedule struct {
	Second     string `json:"second,omitempty"`
	Minute     string `json:"minute,omitempty"`
	Hour       string `json:"hour,omitempty"`
	DayOfMonth string `json:"dayOfMonth,omitempty"`
	Month      string `json:"month,omitempty"`
	DayOfWeek  string `json:"dayOfWeek,omitempty"`
}

// bits holds the matching values of one field, bit i for value i.
type bits uint64

func (b bits) has(v int) bool { return b&(1<<uint(v)) != 0 }

// compiledSchedule is a checked Schedule.
type compiledSchedule struct {
	second, minute, hour, dayOfMonth, month, dayOfWeek bits
}

func (s Schedule) fields() []struct {
	name, value string
	lo, hi      int
} {
	return []struct {
		name, value string
		lo, hi      int
	}{
		{"second", s.Second, 0, 59}, {"minute", s.Minute, 0, 59}, {"hour", s.Hour, 0, 23},
		{"dayOfMonth", s.DayOfMonth, 1, 31}, {"month", s.Month, 1, 12}, {"dayOfWeek", s.DayOfWeek, 1, 7},
	}
}

// compile checks the schedule against the grammar and ranges of §8.2.5.3:
// a number outside its field's range, a range whose first number exceeds
// the second, or anything else is a problem at /schedule/<field>. A
// schedule with every field omitted (which would fire each second) and one
// that can never come round (dayOfMonth 31 in February only) are refused
// too.
func (s Schedule) compile() (*compiledSchedule, []trace.Problem) {
	var c compiledSchedule
	dst := []*bits{&c.second, &c.minute, &c.hour, &c.dayOfMonth, &c.month, &c.dayOfWeek}
	var problems []trace.Problem
	given := false
	for i, f := range s.fields() {
		if f.value == "" {
			*dst[i] = ^bits(0)
			continue
		}
		given = true
		b, ok := parseField(f.value, f.lo, f.hi)
		if !ok {
			problems = append(problems, trace.Problem{Pointer: "/schedule/" + f.name, Rule: "rule.epcis.schedule.field",
				Detail: f.value + " (" + strconv.Itoa(f.lo) + "–" + strconv.Itoa(f.hi) + ")"})
		}
		*dst[i] = b
	}
	if !given {
		return nil, []trace.Problem{{Pointer: "/schedule", Rule: "rule.epcis.schedule.empty"}}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if c.next(time.Date(2000, 1, 1, 0, 0, 0, 0, scheduleZone)).IsZero() {
		return nil, []trace.Problem{{Pointer: "/schedule", Rule: "rule.epcis.schedule.never"}}
	}
	return &c, nil
}

// parseField reads Element ("," Element)* where Element is Number or
// "[" Number "-" Number "]".
func parseField(s string, lo, hi int) (bits, bool) {
	var b bits
	for _, el := range strings.Split(s, ",") {
		from, to := el, el
		if inner, ok := strings.CutPrefix(el, "["); ok {
			inner, ok = strings.CutSuffix(inner, "]")
			if !ok {
				return 0, false
			}
			if from, to, ok = strings.Cut(inner, "-"); !ok {
				return 0, false
			}
		}
		a, okA := number(from, lo, hi)
		z, okZ := number(to, lo, hi)
		if !okA || !okZ || a > z {
			return 0, false
		}
		for v := a; v <= z; v++ {
			b |= 1 << uint(v)
		}
	}
	return b, true
}

func number(s string, lo, hi int) (int, bool) {
	if s == "" || len(s) > 2 {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(s)
	return n, n >= lo && n <= hi
}

// horizon bounds the search for the next match: every satisfiable schedule
// (29 February on a Monday included) comes round within 28 years.
const horizon = 30

// next returns the first whole second after t that matches, in t's
// location's wall clock, or the zero time when none comes within the
// horizon. Each unmatched field skips to the start of its next unit, so the
// search takes at most a few thousand steps.
func (c *compiledSchedule) next(t time.Time) time.Time {
	loc := t.Location()
	t = t.Truncate(time.Second).Add(time.Second)
	end := t.AddDate(horizon, 0, 0)
	for t.Before(end) {
		y, mo, d := t.Date()
		switch {
		case !c.month.has(int(mo)):
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, loc)
		case !c.dayOfMonth.has(d) || !c.dayOfWeek.has(isoWeekday(t)):
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
		case !c.hour.has(t.Hour()):
			t = time.Date(y, mo, d, t.Hour()+1, 0, 0, 0, loc)
		case !c.minute.has(t.Minute()):
			t = time.Date(y, mo, d, t.Hour(), t.Minute()+1, 0, 0, loc)
		case !c.second.has(t.Second()):
			t = t.Add(time.Second)
		default:
			return t
		}
	}
	return time.Time{}
}

func isoWeekday(t time.Time) int {
	if wd := int(t.Weekday()); wd != 0 {
		return wd
	}
	return 7
}

// Next returns the first time after t at which the schedule fires, read in
// the county's zone, or the zero time for an invalid schedule.
func (s Schedule) Next(t time.Time) time.Time {
	c, problems := s.compile()
	if len(problems) > 0 {
		return time.Time{}
	}
	return c.next(t.In(scheduleZone))
}
