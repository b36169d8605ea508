package plan

import (
	"math"
	"strconv"
	"time"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Defaults of the light rule (domain-cn.md §10).
const (
	DefaultYellowLag      = 10
	DefaultRedLag         = 30
	DefaultDueSoonDays    = 5
	DefaultEscalateYellow = 2
)

// Causes of a light, as message keys; Evaluate's params fill them.
const (
	CauseOnTrack   = "light.cause.on_track"  // {expected} {progress}
	CauseLag       = "light.cause.lag"       // {expected} {progress} {lag}
	CauseMissed    = "light.cause.missed"    // {period} {due}
	CauseOverdue   = "light.cause.overdue"   // {deadline} {days}
	CauseEscalated = "light.cause.escalated" // {streak} {expected} {progress} {lag}
	CauseDone      = "light.cause.done"      // {done_on}
	CauseDoneLate  = "light.cause.done_late" // {done_on} {deadline}
	// CauseRectification: an inspection's rectification demand on the task
	// is past its deadline (督查整改逾期).
	CauseRectification = "light.cause.rectification_overdue" // {rectification}
)

// Normalize fills the fields left zero with their defaults.
func (r Rule) Normalize() Rule {
	if r.YellowLag == 0 {
		r.YellowLag = DefaultYellowLag
	}
	if r.RedLag == 0 {
		r.RedLag = DefaultRedLag
	}
	if r.DueSoonDays == 0 {
		r.DueSoonDays = DefaultDueSoonDays
	}
	if r.EscalateYellow == 0 {
		r.EscalateYellow = DefaultEscalateYellow
	}
	return r
}

func (r Rule) validate(errs *fielderr.List) {
	if r.YellowLag < 0 || r.YellowLag > 100 || math.IsNaN(r.YellowLag) {
		errs.Add("light_rule.yellow_lag", "rule.range", "min", 0, "max", 100)
	}
	if r.RedLag < 0 || r.RedLag > 100 || math.IsNaN(r.RedLag) {
		errs.Add("light_rule.red_lag", "rule.range", "min", 0, "max", 100)
	}
	if n := r.Normalize(); !errs.Has("light_rule.yellow_lag") && !errs.Has("light_rule.red_lag") && n.YellowLag >= n.RedLag {
		errs.Add("light_rule.red_lag", "rule.plan.rule_order")
	}
	if r.DueSoonDays < 0 || r.DueSoonDays > 60 {
		errs.Add("light_rule.due_soon_days", "rule.range", "min", 1, "max", 60)
	}
	if r.EscalateYellow != 0 && (r.EscalateYellow < 2 || r.EscalateYellow > 12) {
		errs.Add("light_rule.escalate_yellow", "rule.range", "min", 2, "max", 12)
	}
}

// Period is one reporting period of a plan's cadence: [Start, End).
type Period struct {
	Key   string    `json:"key"` // "2021-03", "2021-Q1", "2021-W05" (biweekly: the ISO week it starts in)
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// biweeklyAnchor is the Monday from which fortnights are counted, so that
// every plan's fortnights fall on the same days.
var biweeklyAnchor = workday.Date(1970, time.January, 5)

// PeriodOf returns the period of cadence that day falls in (an unknown
// cadence counts as monthly).
func PeriodOf(cadence string, day time.Time) Period {
	d := workday.Midnight(day)
	y, m, _ := d.Date()
	switch cadence {
	case Quarterly:
		q := (int(m) - 1) / 3
		start := workday.Date(y, time.Month(q*3+1), 1)
		return Period{Key: strconv.Itoa(y) + "-Q" + strconv.Itoa(q+1), Start: start, End: start.AddDate(0, 3, 0)}
	case Biweekly:
		days := int(math.Floor(d.Sub(biweeklyAnchor).Hours()/24 + 0.5))
		idx := days / 14
		if days < 0 && days%14 != 0 {
			idx--
		}
		start := biweeklyAnchor.AddDate(0, 0, idx*14)
		iy, iw := start.ISOWeek()
		return Period{Key: strconv.Itoa(iy) + "-W" + twoDigits(iw), Start: start, End: start.AddDate(0, 0, 14)}
	}
	start := workday.Date(y, m, 1)
	return Period{Key: strconv.Itoa(y) + "-" + twoDigits(int(m)), Start: start, End: start.AddDate(0, 1, 0)}
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Prev is the period before p.
func (p Period) Prev(cadence string) Period { return PeriodOf(cadence, p.Start.AddDate(0, 0, -1)) }

// Due is the last day for the period's report: its reportDay-th day, or the
// next working day when that is a holiday or weekend.
func (p Period) Due(reportDay int, cal *workday.Calendar) time.Time {
	return cal.RollForward(p.Start.AddDate(0, 0, max(reportDay, 1)-1))
}

// TaskState is what the light of a task depends on. Days are dates in
// Asia/Shanghai; times are compared by their date there.
type TaskState struct {
	Start       time.Time // first day of the work (the day it was published unless set)
	Deadline    time.Time // last day of the work
	Progress    float64   // percent done, 0–100
	Done        bool
	DoneOn      time.Time // when Done: the day it was done
	Measured    bool      // progress follows a platform count, so no reports are expected
	Cadence     string    // the plan's reporting cadence
	ReportDay   int       // the plan's report day
	PublishedOn time.Time // the day the task was published
	LastReport  time.Time // the last progress report (zero: none)
	// OverdueRectification is the ID of a rectification demanded of the
	// task by an inspection and now past its deadline ("" for none).
	OverdueRectification string

	// The run of report periods in which the task was behind schedule
	// (yellow or red) up to the last evaluation, and the last period counted.
	Streak       int
	StreakPeriod string
}

// Assessment is the full outcome of evaluating a task on a day.
type Assessment struct {
	Light        string
	Cause        string
	Params       map[string]string
	Expected     float64 // time-proportional progress, percent
	Lag          float64 // Expected − Progress, points
	MissedPeriod string  // the period whose report is missing, or ""
	Streak       int     // the run of periods behind schedule, this one included
	StreakPeriod string
}

// Evaluate computes a task's light on today by rule (domain-cn.md §10):
//
//   - expected progress = working days elapsed since the start (today not
//     counted, as it is not over) ÷ working days from the start to the
//     deadline (both counted), on the working-day calendar cal, so holidays
//     and make-up working days move it; lag = expected − progress, in points;
//   - green when done (on time or late, told apart by the cause), or when the
//     lag is under rule.YellowLag and no report is missed;
//   - yellow when rule.YellowLag ≤ lag ≤ rule.RedLag, or when a report is
//     missed (unless rule.IgnoreMissed); a report is missed when the latest
//     period whose report day has passed has no report since it began
//     (periods that began before the task was published or started are not
//     counted, nor are measured tasks, whose progress follows the data);
//   - red when lag > rule.RedLag, or past the deadline and not done, or when
//     a rectification demanded by an inspection (督查) is overdue;
//   - "two yellows in a row": a task behind schedule (yellow or red) in
//     rule.EscalateYellow consecutive report periods of the plan's cadence
//     is escalated from yellow to red. Consecutive means the periods follow
//     each other with no green evaluation between them; how often the task
//     is evaluated within a period does not matter, so a daily recompute and
//     a recompute on every report count alike.
//
// It returns the light, its cause (a light.cause.* message key) and the
// parameters of the cause's message.
func Evaluate(rule Rule, cal *workday.Calendar, t TaskState, today time.Time) (light, cause string, params map[string]string) {
	a := Assess(rule, cal, t, today)
	return a.Light, a.Cause, a.Params
}

// Assess is Evaluate with everything it found: the expected progress, the
// lag, the missed period and the run of periods behind schedule that the
// caller keeps for the next evaluation.
func Assess(rule Rule, cal *workday.Calendar, t TaskState, today time.Time) Assessment {
	rule = rule.Normalize()
	today = workday.Midnight(today)
	start, deadline := workday.Midnight(t.Start), workday.Midnight(t.Deadline)
	a := Assessment{Params: map[string]string{}}
	if t.Done {
		a.Light, a.Cause = Green, CauseDone
		done := workday.Midnight(t.DoneOn)
		a.Params["done_on"] = workday.FormatDate(done)
		if done.After(deadline) {
			a.Cause = CauseDoneLate
			a.Params["deadline"] = workday.FormatDate(deadline)
		}
		a.Expected = 100
		a.Lag = 100 - t.Progress
		return a
	}

	before := start.AddDate(0, 0, -1)
	total := cal.CountWorkdays(before, deadline)
	elapsed := min(max(cal.CountWorkdays(before, today.AddDate(0, 0, -1)), 0), max(total, 0))
	switch {
	case total > 0:
		a.Expected = 100 * float64(elapsed) / float64(total)
	case today.After(deadline):
		a.Expected = 100
	}
	a.Lag = a.Expected - t.Progress
	progress := map[string]string{"expected": pct(a.Expected), "progress": pct(t.Progress), "lag": pct(a.Lag)}

	cur := PeriodOf(t.Cadence, today)
	if !t.Measured {
		check := cur
		due := cur.Due(t.ReportDay, cal)
		if !today.After(due) {
			check = cur.Prev(t.Cadence)
			due = check.Due(t.ReportDay, cal)
		}
		expected := !t.PublishedOn.IsZero() && workday.Midnight(t.PublishedOn).Before(check.Start) && !start.After(check.Start)
		if expected && (t.LastReport.IsZero() || workday.Midnight(t.LastReport).Before(check.Start)) {
			a.MissedPeriod = check.Key
			a.Params["period"], a.Params["due"] = check.Key, workday.FormatDate(due)
		}
	}

	switch {
	case today.After(deadline):
		a.Light, a.Cause = Red, CauseOverdue
		a.Params = map[string]string{"deadline": workday.FormatDate(deadline),
			"days": strconv.Itoa(cal.CountWorkdays(deadline, today))}
	case t.OverdueRectification != "":
		a.Light, a.Cause = Red, CauseRectification
		a.Params = map[string]string{"rectification": t.OverdueRectification}
	case a.Lag > rule.RedLag:
		a.Light, a.Cause, a.Params = Red, CauseLag, progress
	case a.Lag >= rule.YellowLag:
		a.Light, a.Cause, a.Params = Yellow, CauseLag, progress
	case a.MissedPeriod != "" && !rule.IgnoreMissed:
		a.Light, a.Cause = Yellow, CauseMissed
	default:
		a.Light, a.Cause, a.Params = Green, CauseOnTrack, progress
	}

	if a.Light == Green {
		return a
	}
	switch t.StreakPeriod {
	case cur.Key:
		a.Streak = max(t.Streak, 1)
	case cur.Prev(t.Cadence).Key:
		a.Streak = t.Streak + 1
	default:
		a.Streak = 1
	}
	a.StreakPeriod = cur.Key
	if a.Light == Yellow && a.Streak >= rule.EscalateYellow {
		a.Light, a.Cause = Red, CauseEscalated
		a.Params = progress
		a.Params["streak"] = strconv.Itoa(a.Streak)
	}
	return a
}

// pct writes a percentage with at most one decimal.
func pct(x float64) string {
	return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64)
}
