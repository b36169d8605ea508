// Package workday is the official working-day calendar of mainland China,
// against which Hallmark counts statutory clocks ("within 20 working days").
//
// A day is a working day when it is Monday to Friday and not a public-holiday
// day off, or when it is a Saturday or Sunday that the State Council's yearly
// arrangement (国务院办公厅关于部分节假日安排的通知) turns into a make-up
// working day (调休上班). The arrangements for 2021–2027 are built in; an
// administrator can override any single day (table calendar_days), for
// example when a year's notice is published or a local arrangement applies.
//
// Every day is a calendar date in Asia/Shanghai. A time.Time passed in is
// first converted to Asia/Shanghai, and its date there is the day meant: 23:30
// UTC on 9 February is 10 February in Shanghai. Times returned are midnight
// (the start of the day) in Asia/Shanghai.
package workday

import (
	"sort"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on hosts without a zoneinfo database
)

// Kinds of special day, as stored in calendar_days.kind.
const (
	KindHoliday = "holiday" // a day off, even if it is Monday to Friday
	KindWorkday = "workday" // a working day, even if it is Saturday or Sunday
)

// Shanghai is the zone every date is counted in.
var Shanghai = loadShanghai()

func loadShanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// Unreachable with the embedded tzdata; China has kept UTC+8
		// without daylight saving since 1991, so the fixed zone agrees for
		// every date the calendar is used for.
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
}

// Date returns midnight of year-month-day in Asia/Shanghai.
func Date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, Shanghai)
}

// Today returns midnight of the current date in Asia/Shanghai.
func Today() time.Time { return Midnight(time.Now()) }

// Midnight returns the start of t's date in Asia/Shanghai.
func Midnight(t time.Time) time.Time { return fromDayNum(dayNum(t)) }

// ParseDate reads a 'YYYY-MM-DD' date (the storage format of calendar dates)
// as midnight in Asia/Shanghai.
func ParseDate(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, s, Shanghai)
}

// FormatDate writes t's date in Asia/Shanghai as 'YYYY-MM-DD'.
func FormatDate(t time.Time) string { return t.In(Shanghai).Format(time.DateOnly) }

// dayNum is the number of days from 1970-01-01 to t's date in Shanghai. Day
// arithmetic on integers avoids the pitfalls of AddDate around zone
// transitions and keeps the counting loops cheap.
func dayNum(t time.Time) int {
	y, m, d := t.In(Shanghai).Date()
	return civilDayNum(y, m, d)
}

func civilDayNum(y int, m time.Month, d int) int {
	return int(floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400))
}

func fromDayNum(n int) time.Time {
	u := time.Unix(int64(n)*86400, 0).UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, Shanghai)
}

func formatDayNum(n int) string {
	return time.Unix(int64(n)*86400, 0).UTC().Format(time.DateOnly)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// weekend reports whether day number n is a Saturday or Sunday
// (1970-01-01 was a Thursday).
func weekend(n int) bool {
	wd := ((n+4)%7 + 7) % 7
	return wd == int(time.Saturday) || wd == int(time.Sunday)
}

type entry struct {
	workday     bool
	name        string
	source      string
	provisional bool
	override    bool
	updatedAt   int64
}

// Calendar answers working-day questions. It is immutable once built and
// safe for concurrent use.
type Calendar struct {
	special map[int]entry
	days    []int // keys of special, ascending, for counting over long spans
}

func newCalendar(special map[int]entry) *Calendar {
	c := &Calendar{special: special, days: make([]int, 0, len(special))}
	for n := range special {
		c.days = append(c.days, n)
	}
	sort.Ints(c.days)
	return c
}

// Official returns the calendar of the built-in State Council arrangements,
// without any administrator's overrides. Code that has a database uses Load.
func Official() *Calendar { return official }

func (c *Calendar) isWorkday(n int) bool {
	if e, ok := c.special[n]; ok {
		return e.workday
	}
	return !weekend(n)
}

// IsWorkday reports whether day is a working day.
func (c *Calendar) IsWorkday(day time.Time) bool { return c.isWorkday(dayNum(day)) }

// Holiday reports whether day is a public-holiday day off (from the State
// Council's arrangement or an administrator's override) and names the
// holiday. Ordinary weekends are not holidays: ok is false for them.
func (c *Calendar) Holiday(day time.Time) (name string, ok bool) {
	e, found := c.special[dayNum(day)]
	if !found || e.workday {
		return "", false
	}
	return e.name, true
}

// Special returns the calendar's record for day when it is a holiday day off
// or a make-up working day, for showing why a day is or is not counted.
func (c *Calendar) Special(day time.Time) (Day, bool) {
	n := dayNum(day)
	e, ok := c.special[n]
	if !ok {
		return Day{}, false
	}
	return e.day(n), true
}

// AddWorkdays returns the n-th working day after from, the way a statutory
// "within n working days" clock is counted: the day of the event does not
// count, the next working day is day 1, and the deadline is the whole of the
// returned date. With n == 0 it returns from's date; with n < 0, the |n|-th
// working day before from.
func (c *Calendar) AddWorkdays(from time.Time, n int) time.Time {
	d := dayNum(from)
	// Beyond the last special day every 7 days hold exactly 5 working days,
	// so long spans jump by weeks instead of walking (and before the first,
	// going back). At least one day is left for the walk to land on.
	if len(c.days) > 0 {
		if n > 5 && d >= c.days[len(c.days)-1] {
			w := (n - 1) / 5
			d, n = d+7*w, n-5*w
		}
		if n < -5 && d <= c.days[0] {
			w := (-n - 1) / 5
			d, n = d-7*w, n+5*w
		}
	}
	for n > 0 {
		d++
		if c.isWorkday(d) {
			n--
		}
	}
	for n < 0 {
		d--
		if c.isWorkday(d) {
			n++
		}
	}
	return fromDayNum(d)
}

// NextWorkday returns the first working day after day (day itself excluded).
func (c *Calendar) NextWorkday(day time.Time) time.Time { return c.AddWorkdays(day, 1) }

// RollForward returns day itself when it is a working day, otherwise the next
// working day.
func (c *Calendar) RollForward(day time.Time) time.Time {
	d := dayNum(day)
	for !c.isWorkday(d) {
		d++
	}
	return fromDayNum(d)
}

// AddDays counts a period given in calendar days (e.g. the 15 days to object
// to a spot-check result) the way the Civil Code does (民法典 第二百零一条、
// 第二百零三条): the starting day is not counted, and a period whose last day
// is not a working day ends on the next working day instead.
func (c *Calendar) AddDays(from time.Time, n int) time.Time {
	return c.RollForward(fromDayNum(dayNum(from) + n))
}

// CountWorkdays returns the number of working days in (from, to]: from's date
// is not counted, to's date is. It is the inverse of AddWorkdays
// (CountWorkdays(d, AddWorkdays(d, n)) == n for n >= 0), so it tells how many
// working days of a clock have elapsed. When to is before from the result is
// negative: -CountWorkdays(to, from).
func (c *Calendar) CountWorkdays(from, to time.Time) int {
	a, b := dayNum(from), dayNum(to)
	switch {
	case a == b:
		return 0
	case b < a:
		return -c.count(b, a)
	}
	return c.count(a, b)
}

// count counts working days in (a, b] for a < b: weekdays by arithmetic, then
// the special days inside the span adjust the total.
func (c *Calendar) count(a, b int) int {
	total := b - a
	weeks, rest := total/7, total%7
	n := weeks * 5
	for i := 1; i <= rest; i++ {
		if !weekend(a + weeks*7 + i) {
			n++
		}
	}
	i := sort.SearchInts(c.days, a+1)
	for ; i < len(c.days) && c.days[i] <= b; i++ {
		d := c.days[i]
		base := !weekend(d)
		if w := c.special[d].workday; w != base {
			if w {
				n++
			} else {
				n--
			}
		}
	}
	return n
}

// Day is one special day: a holiday day off or a make-up working day.
type Day struct {
	Date        string // 'YYYY-MM-DD'
	Kind        string // KindHoliday or KindWorkday
	Name        string // the holiday, e.g. 春节; for a make-up working day, the holiday it makes up for
	Source      string // the notice the official entry comes from; empty for overrides
	Provisional bool   // official entry derived from the statutory rules before the year's notice was available
	Override    bool   // set by an administrator (calendar_days); it wins over the official entry
	UpdatedAt   int64  // overrides: when last set, Unix ms

	// For an override, what the built-in arrangement says about the same
	// date (empty when it says nothing), so an admin page can show what was
	// replaced.
	OfficialKind string
	OfficialName string
}

func (e entry) day(n int) Day {
	d := Day{Date: formatDayNum(n), Kind: KindHoliday, Name: e.name, Source: e.source,
		Provisional: e.provisional, Override: e.override, UpdatedAt: e.updatedAt}
	if e.workday {
		d.Kind = KindWorkday
	}
	if e.override {
		if o, ok := official.special[n]; ok {
			d.OfficialKind, d.OfficialName = KindHoliday, o.name
			if o.workday {
				d.OfficialKind = KindWorkday
			}
		}
	}
	return d
}

// OfficialYears returns the first and last year whose State Council
// arrangement is built in. Outside them the calendar knows only weekends
// (and overrides), so deadlines that reach past the last year are
// approximate until the next notice is entered.
func OfficialYears() (first, last int) { return officialFirst, officialLast }
