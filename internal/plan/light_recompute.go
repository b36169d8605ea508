package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/measure"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// TopicLightsChanged is the event emitted when lights change (once per
// recompute, or per task refreshed on a report or edit); its payload is
// LightsChangedEvent. The changes themselves, with their causes, are in
// task_lights (LightHistory).
const TopicLightsChanged = "task.lights.changed"

// LightsChangedEvent counts the changes of light by the light changed to
// and names the tasks that turned red, the ones someone must act on.
type LightsChangedEvent struct {
	Day     string         `json:"day"`
	Changes int            `json:"changes"`
	To      map[string]int `json:"to"`
	Red     []string       `json:"red"`
}

// lightRow is what a task's light depends on, as loaded for evaluation.
type lightRow struct {
	id, region, start, deadline, status string
	percent                             float64
	lastReport, published, doneAt       int64
	light, cause                        string
	lightSince                          int64
	streak                              int
	streakPeriod, missed                string
	measureKey                          string
	measureTarget, measureBaseline      float64
	cadence                             string
	reportDay                           int
	rule                                string
	updatedAt                           int64 // the task as read; a write applies only while it is unchanged
}

const lightSelect = `SELECT t.id, t.region_code, t.start_date, t.deadline, t.status, t.percent, COALESCE(t.last_report_at, 0),
	COALESCE(t.published_at, 0), COALESCE(t.done_at, 0), t.light, t.light_cause, COALESCE(t.light_since, 0),
	t.yellow_streak, t.yellow_period, t.missed_period, t.measure_key, t.measure_target, t.measure_baseline,
	p.cadence, p.report_day, p.light_rule, t.updated_at
	FROM tasks t JOIN plans p ON p.id = t.plan_id`

// openCond selects the tasks a recompute looks at: published or signed
// tasks of published plans.
const openCond = `p.status = 'published' AND t.status IN ('published', 'signed')`

func loadLightRows(ctx context.Context, q store.Queryer, cond string, args ...any) ([]lightRow, error) {
	rows, err := q.Query(ctx, lightSelect+` WHERE `+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []lightRow
	for rows.Next() {
		var r lightRow
		if err := rows.Scan(&r.id, &r.region, &r.start, &r.deadline, &r.status, &r.percent, &r.lastReport, &r.published,
			&r.doneAt, &r.light, &r.cause, &r.lightSince, &r.streak, &r.streakPeriod, &r.missed, &r.measureKey,
			&r.measureTarget, &r.measureBaseline, &r.cadence, &r.reportDay, &r.rule, &r.updatedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// lightUpdate is a task's new light state, and the state it replaces (the
// write applies only if the task still has it, so a report that raced the
// recompute wins).
type lightUpdate struct {
	row                  *lightRow
	light, cause         string
	params               map[string]string
	since                int64
	streak               int
	streakPeriod, missed string
	percent              float64
	status               string
	doneAt               int64
	lastReport           int64
	measured             bool // percent changed because the count did
	lightChanged         bool
}

// evaluator evaluates tasks on one day with one calendar, counting each
// measured quantity once.
type evaluator struct {
	cal    *workday.Calendar
	rect   map[string]string // task → its most overdue rectification
	today  time.Time
	day    string
	now    int64
	rules  map[string]Rule
	counts map[string]float64
}

// newEvaluator prepares the evaluation of the tasks of region ("" for every
// region) on today.
func newEvaluator(ctx context.Context, q store.Queryer, region string, today time.Time) (*evaluator, error) {
	cal, err := workday.Load(ctx, q)
	if err != nil {
		return nil, err
	}
	today = workday.Midnight(today)
	rect, err := OverdueRectificationTasks(ctx, q, region, today)
	if err != nil {
		return nil, err
	}
	return &evaluator{cal: cal, rect: rect, today: today, day: workday.FormatDate(today), now: planNowMs(ctx),
		rules: map[string]Rule{}, counts: map[string]float64{}}, nil
}

func (e *evaluator) rule(s string) Rule {
	r, ok := e.rules[s]
	if !ok {
		r = parseRule(s)
		e.rules[s] = r
	}
	return r
}

// measuredPercent is a measured task's progress: how far the count has
// moved from the baseline towards the target, capped at 100 and kept to
// one decimal.
func measuredPercent(count, baseline, target float64) float64 {
	if target <= baseline {
		if count >= target {
			return 100
		}
		return 0
	}
	p := 100 * (count - baseline) / (target - baseline)
	return math.Round(min(max(p, 0), 100)*10) / 10
}

// count asks a measure for a task's count over [start, today].
func (e *evaluator) count(ctx context.Context, q store.Queryer, key, region string, start time.Time) (float64, bool, error) {
	c, ok := measure.Get(key)
	if !ok {
		return 0, false, nil
	}
	k := key + "\x00" + region + "\x00" + workday.FormatDate(start)
	if v, ok := e.counts[k]; ok {
		return v, true, nil
	}
	v, err := c.Count(ctx, q, region, start, e.today.AddDate(0, 0, 1))
	if err != nil {
		return 0, false, fmt.Errorf("measure %s: %w", key, err)
	}
	e.counts[k] = v
	return v, true, nil
}

// assess evaluates one task; ok is false when nothing about it changes.
func (e *evaluator) assess(ctx context.Context, q store.Queryer, r *lightRow) (lightUpdate, bool, error) {
	u := lightUpdate{row: r, percent: r.percent, status: r.status, doneAt: r.doneAt, lastReport: r.lastReport, since: r.lightSince}
	start, err1 := workday.ParseDate(r.start)
	deadline, err2 := workday.ParseDate(r.deadline)
	if err1 != nil || err2 != nil {
		// Published tasks always have both; a row without them is left alone
		// rather than given a light computed from nothing.
		return u, false, nil
	}
	if r.measureKey != "" && r.status != TaskDone {
		n, ok, err := e.count(ctx, q, r.measureKey, r.region, start)
		if err != nil {
			return u, false, err
		}
		if ok {
			if p := measuredPercent(n, r.measureBaseline, r.measureTarget); p != r.percent {
				u.percent, u.measured, u.lastReport = p, true, e.now
			}
			if u.percent >= 100 {
				u.status, u.doneAt = TaskDone, e.now
			}
		}
	}
	st := TaskState{Start: start, Deadline: deadline, Progress: u.percent, Done: u.status == TaskDone,
		Measured: r.measureKey != "", Cadence: r.cadence, ReportDay: r.reportDay, Streak: r.streak, StreakPeriod: r.streakPeriod,
		OverdueRectification: e.rect[r.id]}
	if u.doneAt > 0 {
		st.DoneOn = store.Time(u.doneAt)
	}
	if r.published > 0 {
		st.PublishedOn = store.Time(r.published)
	}
	if u.lastReport > 0 {
		st.LastReport = store.Time(u.lastReport)
	}
	a := Assess(e.rule(r.rule), e.cal, st, e.today)
	u.light, u.cause, u.params = a.Light, a.Cause, a.Params
	u.streak, u.streakPeriod, u.missed = a.Streak, a.StreakPeriod, a.MissedPeriod
	if u.light != r.light {
		u.lightChanged, u.since = true, e.now
	}
	changed := u.lightChanged || u.measured || u.cause != r.cause || u.streak != r.streak ||
		u.streakPeriod != r.streakPeriod || u.missed != r.missed || u.status != r.status
	return u, changed, nil
}

// writeBatch is how many rows one statement writes.
const writeBatch = 500

// Statements writing new light states from a VALUES list, applied only to
// tasks not changed since they were read (updated_at moves with every
// report and edit). Placeholders of later VALUES rows take the types the
// first row casts to (PostgreSQL resolves VALUES columns like a UNION).
// Most updates change the light state only; measured tasks also move their
// progress, and have a statement of their own.
var (
	lightWrite = lightStatement(`light = v.column2, light_cause = v.column3, light_since = v.column4,
		yellow_streak = v.column5, yellow_period = v.column6, missed_period = v.column7`,
		`(?, ?, ?, CAST(? AS BIGINT), CAST(? AS INTEGER), ?, ?, CAST(? AS BIGINT))`, 8)
	measuredWrite = lightStatement(`light = v.column2, light_cause = v.column3, light_since = v.column4,
		yellow_streak = v.column5, yellow_period = v.column6, missed_period = v.column7, percent = v.column9,
		status = v.column10, done_at = v.column11, last_report_at = v.column12`,
		`(?, ?, ?, CAST(? AS BIGINT), CAST(? AS INTEGER), ?, ?, CAST(? AS BIGINT), CAST(? AS DOUBLE PRECISION), ?,
		CAST(? AS BIGINT), CAST(? AS BIGINT))`, 12)
)

type statement struct {
	set, first, row string
	cols            int
}

func lightStatement(set, first string, cols int) statement {
	return statement{set: set, first: first, row: "(" + strings.Repeat("?,", cols-1) + "?)", cols: cols}
}

func (s statement) sql(n int) string {
	var b strings.Builder
	b.WriteString(`UPDATE tasks SET `)
	b.WriteString(s.set)
	b.WriteString(` FROM (VALUES `)
	b.WriteString(s.first)
	for i := 1; i < n; i++ {
		b.WriteByte(',')
		b.WriteString(s.row)
	}
	b.WriteString(`) AS v WHERE tasks.id = v.column1 AND tasks.updated_at = v.column8 RETURNING tasks.id`)
	return b.String()
}

// writeLights applies updates inside tx, batch by batch, and records each
// change of light (task_lights) and each change of a measured task's
// progress (a measured progress report). It returns the updates applied:
// a task changed since it was loaded is skipped, its own change having
// evaluated it already.
func writeLights(ctx context.Context, tx *store.Tx, day string, now int64, us []lightUpdate) ([]lightUpdate, error) {
	var light, measured []lightUpdate
	for _, u := range us {
		if u.measured || u.status != u.row.status {
			measured = append(measured, u)
		} else {
			light = append(light, u)
		}
	}
	var applied []lightUpdate
	for _, set := range []struct {
		st statement
		us []lightUpdate
	}{{lightWrite, light}, {measuredWrite, measured}} {
		for i := 0; i < len(set.us); i += writeBatch {
			part := set.us[i:min(i+writeBatch, len(set.us))]
			args := make([]any, 0, len(part)*set.st.cols)
			for _, u := range part {
				args = append(args, u.row.id, u.light, u.cause, u.since, u.streak, u.streakPeriod, u.missed, u.row.updatedAt)
				if set.st.cols > 8 {
					args = append(args, u.percent, u.status, nullMs(u.doneAt), nullMs(u.lastReport))
				}
			}
			rows, err := tx.Query(ctx, set.st.sql(len(part)), args...)
			if err != nil {
				return nil, fmt.Errorf("write lights: %w", err)
			}
			done := map[string]bool{}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return nil, err
				}
				done[id] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			for _, u := range part {
				if done[u.row.id] {
					applied = append(applied, u)
				}
			}
		}
	}
	if err := recordLights(ctx, tx, day, now, applied); err != nil {
		return nil, err
	}
	return applied, recordMeasured(ctx, tx, now, applied)
}

func nullMs(ms int64) any {
	if ms == 0 {
		return nil
	}
	return ms
}

// recordLights keeps each change of light with its cause and emits them.
func recordLights(ctx context.Context, tx *store.Tx, day string, now int64, us []lightUpdate) error {
	var changes []LightChange
	for _, u := range us {
		if u.lightChanged {
			changes = append(changes, LightChange{TaskID: u.row.id, Light: u.light, Previous: u.row.light,
				Cause: u.cause, Params: u.params, Day: day, At: now})
		}
	}
	for i := 0; i < len(changes); i += writeBatch {
		part := changes[i:min(i+writeBatch, len(changes))]
		args := make([]any, 0, len(part)*8)
		for _, c := range part {
			args = append(args, store.NewID(), c.TaskID, c.Light, c.Previous, c.Cause, encodeParams(c.Params), c.Day, c.At)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO task_lights (id, task_id, light, previous, cause, params, day, at) VALUES `+
			valuesList(len(part), 8), args...); err != nil {
			return fmt.Errorf("record lights: %w", err)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	ev := LightsChangedEvent{Day: day, Changes: len(changes), To: map[string]int{}, Red: []string{}}
	for _, c := range changes {
		ev.To[c.Light]++
		if c.Light == Red {
			ev.Red = append(ev.Red, c.TaskID)
		}
	}
	return jobs.Emit(ctx, tx, TopicLightsChanged, ev)
}

// recordMeasured files a measured progress report for each measured task
// whose count moved its progress.
func recordMeasured(ctx context.Context, tx *store.Tx, now int64, us []lightUpdate) error {
	var args []any
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO progress_reports (id, task_id, region_code, period, percent, note, reason,
			measured, reported_by, reported_at) VALUES `+valuesList(n, 10), args...)
		args, n = args[:0], 0
		return err
	}
	for _, u := range us {
		if !u.measured {
			continue
		}
		args = append(args, store.NewID(), u.row.id, u.row.region, PeriodOf(u.row.cadence, store.Time(now)).Key, u.percent,
			"", "", true, audit.System.ID, now)
		if n++; n == writeBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// valuesList is "(?, …), (?, …)" for n rows of cols placeholders;
// valuesList(1, n) is the list of an IN.
func valuesList(n, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(row+", ", n-1) + row
}

func encodeParams(p map[string]string) string {
	if len(p) == 0 {
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func decodeParams(s string) map[string]string {
	out := map[string]string{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	return out
}

// refreshTask evaluates one task inside tx (after it was published,
// reported on or changed) and stores its light. Unlike Recompute it also
// takes a task just done, whose light turns green.
func refreshTask(ctx context.Context, tx *store.Tx, id string) error {
	rows, err := loadLightRows(ctx, tx, `t.id = ? AND p.status = 'published' AND t.status IN ('published', 'signed', 'done')`, id)
	if err != nil || len(rows) == 0 {
		return err
	}
	e, err := newEvaluator(ctx, tx, rows[0].region, planToday(ctx))
	if err != nil {
		return err
	}
	u, changed, err := e.assess(ctx, tx, &rows[0])
	if err != nil || !changed {
		return err
	}
	_, err = writeLights(ctx, tx, e.day, e.now, []lightUpdate{u})
	return err
}

// RecomputeResult says what a recompute did.
type RecomputeResult struct {
	Tasks    int `json:"tasks"`    // open tasks evaluated
	Changed  int `json:"changed"`  // tasks whose stored state changed
	Lights   int `json:"lights"`   // of those, tasks whose light changed
	Measured int `json:"measured"` // measured tasks whose progress moved
}

// Recompute evaluates every open task of every published plan on today and
// stores what changed: the light and its cause (each change of light is
// kept in task_lights), the run of periods behind schedule, the missed
// report period, and the progress of measured tasks (with a measured
// report when it moves). It reads everything in one query, evaluates in
// memory and writes only the changed rows, in batches, in one transaction.
func Recompute(ctx context.Context, db *store.DB, today time.Time) (RecomputeResult, error) {
	var res RecomputeResult
	e, err := newEvaluator(ctx, db, "", today)
	if err != nil {
		return res, err
	}
	rows, err := loadLightRows(ctx, db, openCond)
	if err != nil {
		return res, err
	}
	res.Tasks = len(rows)
	var us []lightUpdate
	for i := range rows {
		u, changed, err := e.assess(ctx, db, &rows[i])
		if err != nil {
			return res, err
		}
		if changed {
			us = append(us, u)
		}
	}
	if len(us) == 0 {
		return res, nil
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		applied, err := writeLights(ctx, tx, e.day, e.now, us)
		if err != nil {
			return err
		}
		res.Changed = len(applied)
		count := map[string]int{}
		for _, u := range applied {
			if u.lightChanged {
				res.Lights++
				count[u.light]++
			}
			if u.measured {
				res.Measured++
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "recompute", Entity: "task_lights", EntityID: e.day,
			After: map[string]any{"tasks": res.Tasks, "changed": res.Changed, "lights": res.Lights,
				"measured": res.Measured, "to": count}})
	})
	return res, err
}

// RecomputeJob is the daily recompute, for the app to register with
// jobs.Runner.Daily. Register SendReminders as a daily job of its own, at a
// later hour, so that reminders speak of the day's lights.
func RecomputeJob(db *store.DB) func(ctx context.Context, day time.Time) error {
	return func(ctx context.Context, day time.Time) error {
		if _, err := Recompute(ctx, db, day); err != nil {
			return fmt.Errorf("recompute lights: %w", err)
		}
		return nil
	}
}
