package plan

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
	"github.com/hallmark-platform/hallmark/locales"
)

// Where a task stands in a bulletin: done, or not done and on schedule
// (green), behind (yellow), or overdue or far behind (red).
const (
	StandingDone   = "done"
	StandingGreen  = Green
	StandingYellow = Yellow
	StandingRed    = Red
)

// Sizes of the bulletin's short lists.
const (
	BulletinGoodExamples = 5
	// RepeatedYellows is how many times a task must have turned yellow in
	// the period (or be on a yellow streak that long) to name its
	// department among the laggards.
	RepeatedYellows = 2
)

// BulletinData is what a bulletin reports, computed from the data as of the
// end of its period and stored with it, so that a published bulletin says
// forever what it said on the day.
type BulletinData struct {
	PlanID         string                  `json:"plan_id"`
	PlanTitle      string                  `json:"plan_title"`
	PlanYear       int                     `json:"plan_year"`
	From           string                  `json:"from"`
	To             string                  `json:"to"`
	AsOf           int64                   `json:"as_of"`       // Unix ms: the last moment of To in Asia/Shanghai
	ComputedAt     int64                   `json:"computed_at"` // Unix ms
	Summary        BulletinSummary         `json:"summary"`
	Departments    []BulletinDepartment    `json:"departments"`
	GoodExamples   []BulletinExample       `json:"good_examples"`
	Laggards       []BulletinLaggard       `json:"laggards"`
	Rectifications []BulletinRectification `json:"rectifications"`
	Trend          []BulletinTrendPoint    `json:"trend"`
}

// BulletinSummary is the overall completion: every task counted once, as
// done or by its light.
type BulletinSummary struct {
	Total    int     `json:"total"`
	Done     int     `json:"done"`
	Green    int     `json:"green"`     // not done, on schedule
	Yellow   int     `json:"yellow"`    // not done, behind
	Red      int     `json:"red"`       // not done, overdue or far behind
	Progress float64 `json:"progress"`  // mean progress of the tasks, percent (done counts 100)
	DoneRate float64 `json:"done_rate"` // done / total, percent
	// Measured tasks follow a count the platform keeps; the others'
	// progress is what their departments reported.
	Measured              int `json:"measured"`
	Reported              int `json:"reported"`
	Rectifications        int `json:"rectifications"`
	RectificationsOpen    int `json:"rectifications_open"`
	RectificationsOverdue int `json:"rectifications_overdue"`
}

// BulletinDepartment is one lead department's part of the table.
type BulletinDepartment struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	NameEn   string        `json:"name_en"`
	Total    int           `json:"total"`
	Done     int           `json:"done"`
	Green    int           `json:"green"`
	Yellow   int           `json:"yellow"`
	Red      int           `json:"red"`
	Progress float64       `json:"progress"` // mean progress, percent: the bar of the chart
	DoneRate float64       `json:"done_rate"`
	Rows     []BulletinRow `json:"rows"`
}

// DisplayName is the department's name in lang.
func (d BulletinDepartment) DisplayName(lang string) string {
	if isEn(lang) && d.NameEn != "" {
		return d.NameEn
	}
	if d.Name == "" {
		if isEn(lang) {
			return "(no lead department)"
		}
		return "（未定牵头单位）"
	}
	return d.Name
}

// BulletinRow is one task in the table.
type BulletinRow struct {
	TaskID       string            `json:"task_id"`
	Label        string            `json:"label"` // the work point's label in the plan document
	Title        string            `json:"title"`
	DepartmentID string            `json:"department_id"`
	Department   string            `json:"department"`
	Owner        string            `json:"owner"`
	Deadline     string            `json:"deadline"`
	Progress     float64           `json:"progress"`
	Standing     string            `json:"standing"` // done, green, yellow, red
	Light        string            `json:"light"`
	DoneOn       string            `json:"done_on,omitempty"`
	Measured     bool              `json:"measured"`
	MeasureKey   string            `json:"measure_key,omitempty"`
	Note         string            `json:"note,omitempty"`  // the last report's note before the period's end
	Cause        string            `json:"cause,omitempty"` // the light's cause, a message key
	CauseParams  map[string]string `json:"cause_params,omitempty"`
	LastReport   string            `json:"last_report,omitempty"` // date of the last report
	YellowCount  int               `json:"yellow_count"`          // times turned yellow in the period
	Rectify      string            `json:"rectification,omitempty"`
}

// Explanation is the row's explanation in lang: the last report's note, or
// else the light's cause.
func (r BulletinRow) Explanation(lang string) string {
	if r.Note != "" {
		return r.Note
	}
	if r.Cause == "" {
		return ""
	}
	if !locales.Has(r.Cause) {
		return r.Cause
	}
	params := map[string]any{}
	for k, v := range r.CauseParams {
		params[k] = v
	}
	l := locales.ZH
	if isEn(lang) {
		l = locales.EN
	}
	return locales.T(l, r.Cause, params)
}

// BulletinExample is a task named as a good example: done before its
// deadline (Reason "early") or green and furthest ahead ("ahead").
type BulletinExample struct {
	BulletinRow
	Reason    string `json:"reason"`
	DaysEarly int    `json:"days_early,omitempty"`
}

// BulletinLaggard is a department named for red tasks or repeated yellows,
// with those items.
type BulletinLaggard struct {
	DepartmentID   string        `json:"department_id"`
	Department     string        `json:"department"`
	DepartmentEn   string        `json:"department_en"`
	Red            int           `json:"red"`
	RepeatedYellow int           `json:"repeated_yellow"`
	Items          []BulletinRow `json:"items"`
}

// BulletinRectification is a rectification the bulletin lists: open at the
// period's end, or closed during the period.
type BulletinRectification struct {
	ID           string `json:"id"`
	InspectionID string `json:"inspection_id"`
	Inspection   string `json:"inspection"`
	VisitDate    string `json:"visit_date"`
	TaskID       string `json:"task_id,omitempty"`
	TaskTitle    string `json:"task_title,omitempty"`
	DepartmentID string `json:"department_id"`
	Department   string `json:"department"`
	DepartmentEn string `json:"department_en"`
	Finding      string `json:"finding"`
	Demand       string `json:"demand"`
	Deadline     string `json:"deadline"`
	Status       string `json:"status"`
	Overdue      bool   `json:"overdue"`
}

// BulletinTrendPoint is the programme's completion at a month's end (the
// last point is the period's end).
type BulletinTrendPoint struct {
	Day      string  `json:"day"`
	Total    int     `json:"total"`
	Done     int     `json:"done"`
	Progress float64 `json:"progress"`
	DoneRate float64 `json:"done_rate"`
}

func isEn(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "en") }

// bTask is a task as the computation holds it.
type bTask struct {
	id, label, title, dept, owner, deadline, measure, status string
	itemSeq, seq                                             int
	percent                                                  float64
	lastReportAt, lightSince, doneAt, closedAt, publishedAt  int64
	light, cause                                             string
	yellowStreak                                             int
	reports                                                  []bReport
	lights                                                   []bLight
}

type bReport struct {
	id      string
	at      int64
	percent float64
	note    string
}

type bLight struct {
	id           string
	at           int64
	light, cause string
	params       string
}

func (t *bTask) doneBy(ms, end int64) bool {
	switch {
	case t.doneAt > 0 && t.doneAt <= ms, t.closedAt > 0 && t.closedAt <= ms:
		return true
	case t.doneAt == 0 && t.closedAt == 0 && (t.status == TaskDone || t.status == TaskClosed):
		// A task marked done without a time: trust it from the end of the
		// period on, the moment the bulletin speaks of.
		return ms >= end
	}
	return false
}

// progressAt is the task's progress at ms: 100 when done, else its last
// report by then. A task that never had a report row (a count it follows
// but no history) shows its stored percent from its last update on.
func (t *bTask) progressAt(ms, end int64) float64 {
	if t.doneBy(ms, end) {
		return 100
	}
	i := sort.Search(len(t.reports), func(i int) bool { return t.reports[i].at > ms })
	if i > 0 {
		return t.reports[i-1].percent
	}
	if len(t.reports) == 0 && ((t.lastReportAt > 0 && t.lastReportAt <= ms) || (t.lastReportAt == 0 && ms >= end)) {
		return t.percent
	}
	return 0
}

// endOfDay is the last millisecond of a 'YYYY-MM-DD' day in Asia/Shanghai.
func endOfDay(day string) (int64, error) {
	d, err := workday.ParseDate(day)
	if err != nil {
		return 0, err
	}
	return store.Millis(d.AddDate(0, 0, 1)) - 1, nil
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// computeBulletin gathers the plan's top-level published tasks, their
// reports and lights up to the end of to, and the plan's rectifications, in
// five queries, and aggregates them here.
func computeBulletin(ctx context.Context, q store.Queryer, p *Plan, from, to string) (*BulletinData, error) {
	end, err := endOfDay(to)
	if err != nil {
		return nil, err
	}
	start, err := endOfDay(from)
	if err != nil {
		return nil, err
	}
	start -= 24*60*60*1000 - 1 // the first millisecond of from
	data := &BulletinData{PlanID: p.ID, PlanTitle: p.Title, PlanYear: p.Year, From: from, To: to, AsOf: end,
		ComputedAt: planNowMs(ctx), Departments: []BulletinDepartment{}, GoodExamples: []BulletinExample{},
		Laggards: []BulletinLaggard{}, Rectifications: []BulletinRectification{}, Trend: []BulletinTrendPoint{}}

	type deptInfo struct{ name, nameEn string }
	depts := map[string]deptInfo{}
	rows, err := q.Query(ctx, `SELECT id, name, name_en FROM departments WHERE region_code = ?`, p.RegionCode)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var d deptInfo
		if err := rows.Scan(&id, &d.name, &d.nameEn); err != nil {
			rows.Close()
			return nil, err
		}
		depts[id] = d
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	taskCond := ` t.plan_id = ? AND t.parent_task_id IS NULL AND t.status <> ?`
	rows, err = q.Query(ctx, `SELECT t.id, COALESCE(pi.label, ''), t.title, COALESCE(t.lead_department_id, ''),
		COALESCE(u.name, ''), t.deadline, t.measure_key, t.status, COALESCE(pi.seq, 0), t.seq, t.percent,
		COALESCE(t.last_report_at, 0), COALESCE(t.light_since, 0), COALESCE(t.done_at, 0), COALESCE(t.closed_at, 0),
		COALESCE(t.published_at, 0), t.light, t.light_cause, t.yellow_streak
		FROM tasks t LEFT JOIN plan_items pi ON pi.id = t.item_id LEFT JOIN users u ON u.id = t.owner_id
		WHERE`+taskCond, p.ID, TaskDraft)
	if err != nil {
		return nil, err
	}
	tasks := map[string]*bTask{}
	var order []*bTask
	for rows.Next() {
		var t bTask
		if err := rows.Scan(&t.id, &t.label, &t.title, &t.dept, &t.owner, &t.deadline, &t.measure, &t.status,
			&t.itemSeq, &t.seq, &t.percent, &t.lastReportAt, &t.lightSince, &t.doneAt, &t.closedAt, &t.publishedAt,
			&t.light, &t.cause, &t.yellowStreak); err != nil {
			rows.Close()
			return nil, err
		}
		if t.publishedAt > end {
			continue // not yet part of the programme at the period's end
		}
		tasks[t.id] = &t
		order = append(order, &t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// History rows come unsorted and are put in order per task below:
	// sorting tens of thousands of rows in SQL costs more than many tiny
	// sorts here.
	rows, err = q.Query(ctx, `SELECT pr.task_id, pr.id, pr.percent, pr.note, pr.reported_at FROM progress_reports pr
		JOIN tasks t ON t.id = pr.task_id WHERE`+taskCond+` AND pr.reported_at <= ?`,
		p.ID, TaskDraft, end)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var r bReport
		if err := rows.Scan(&id, &r.id, &r.percent, &r.note, &r.at); err != nil {
			rows.Close()
			return nil, err
		}
		if t := tasks[id]; t != nil {
			t.reports = append(t.reports, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = q.Query(ctx, `SELECT tl.task_id, tl.id, tl.light, tl.cause, tl.params, tl.at FROM task_lights tl
		JOIN tasks t ON t.id = tl.task_id WHERE`+taskCond+` AND tl.at <= ?`,
		p.ID, TaskDraft, end)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var l bLight
		if err := rows.Scan(&id, &l.id, &l.light, &l.cause, &l.params, &l.at); err != nil {
			rows.Close()
			return nil, err
		}
		if t := tasks[id]; t != nil {
			t.lights = append(t.lights, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	for _, t := range order {
		sort.Slice(t.reports, func(i, j int) bool {
			a, b := t.reports[i], t.reports[j]
			return a.at < b.at || (a.at == b.at && a.id < b.id)
		})
		sort.Slice(t.lights, func(i, j int) bool {
			a, b := t.lights[i], t.lights[j]
			return a.at < b.at || (a.at == b.at && a.id < b.id)
		})
	}

	// Rows, departments and the summary.
	byDept := map[string]*BulletinDepartment{}
	var rowsAll []*BulletinRow
	rowOf := map[string]*BulletinRow{}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.itemSeq != b.itemSeq {
			return a.itemSeq < b.itemSeq
		}
		if a.seq != b.seq {
			return a.seq < b.seq
		}
		return a.id < b.id
	})
	var progressSum float64
	for _, t := range order {
		r := BulletinRow{TaskID: t.id, Label: t.label, Title: t.title, DepartmentID: t.dept, Owner: t.owner,
			Deadline: t.deadline, Measured: t.measure != "", MeasureKey: t.measure}
		r.Department = depts[t.dept].name
		r.Progress = round1(t.progressAt(end, end))
		if n := len(t.reports); n > 0 {
			r.Note = t.reports[n-1].note
			r.LastReport = workday.FormatDate(store.Time(t.reports[n-1].at))
		}
		// The light at the period's end: the last change before it; a
		// task whose history is not kept shows its stored light when that
		// held at the end; failing both, past its deadline means red.
		if n := len(t.lights); n > 0 {
			l := t.lights[n-1]
			r.Light, r.Cause, r.CauseParams = l.light, l.cause, causeParams(l.params)
		} else if t.light != "" && (t.lightSince == 0 || t.lightSince <= end) {
			r.Light, r.Cause = t.light, t.cause
		} else if t.deadline != "" && t.deadline < to {
			r.Light = Red
		} else {
			r.Light = Green
		}
		for _, l := range t.lights {
			if l.light == Yellow && l.at >= start {
				r.YellowCount++
			}
		}
		if r.Light == Yellow && t.yellowStreak > r.YellowCount && t.lightSince <= end {
			r.YellowCount = t.yellowStreak
		}
		if t.doneBy(end, end) {
			r.Standing = StandingDone
			at := t.doneAt
			if at == 0 || (t.closedAt > 0 && t.closedAt < at) {
				at = t.closedAt
			}
			if at > 0 {
				r.DoneOn = workday.FormatDate(store.Time(at))
			}
		} else {
			switch r.Light {
			case Red:
				r.Standing = StandingRed
			case Yellow:
				r.Standing = StandingYellow
			default:
				r.Standing = StandingGreen
			}
		}
		d := byDept[t.dept]
		if d == nil {
			d = &BulletinDepartment{ID: t.dept, Name: depts[t.dept].name, NameEn: depts[t.dept].nameEn, Rows: []BulletinRow{}}
			byDept[t.dept] = d
		}
		d.Total++
		data.Summary.Total++
		d.Progress += r.Progress
		progressSum += r.Progress
		switch r.Standing {
		case StandingDone:
			d.Done++
			data.Summary.Done++
		case StandingGreen:
			d.Green++
			data.Summary.Green++
		case StandingYellow:
			d.Yellow++
			data.Summary.Yellow++
		case StandingRed:
			d.Red++
			data.Summary.Red++
		}
		if r.Measured {
			data.Summary.Measured++
		} else {
			data.Summary.Reported++
		}
		row := r
		rowsAll = append(rowsAll, &row)
		rowOf[t.id] = &row
	}
	if data.Summary.Total > 0 {
		data.Summary.Progress = round1(progressSum / float64(data.Summary.Total))
		data.Summary.DoneRate = round1(100 * float64(data.Summary.Done) / float64(data.Summary.Total))
	}

	// Rectifications: open at the end, or closed during the period.
	rows, err = q.Query(ctx, `SELECT r.id, f.inspection_id, i.title, i.visit_date, COALESCE(f.task_id, ''),
		COALESCE(t.title, ''), COALESCE(r.department_id, ''), f.content, r.demand, r.deadline, r.status,
		COALESCE(r.reported_at, 0), COALESCE(r.closed_at, 0)
		FROM rectifications r JOIN findings f ON f.id = r.finding_id JOIN inspections i ON i.id = f.inspection_id
		LEFT JOIN tasks t ON t.id = f.task_id WHERE i.plan_id = ? AND r.created_at <= ? ORDER BY r.deadline, r.created_at, r.id`,
		p.ID, end)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var x BulletinRectification
		var reported, closed int64
		if err := rows.Scan(&x.ID, &x.InspectionID, &x.Inspection, &x.VisitDate, &x.TaskID, &x.TaskTitle, &x.DepartmentID,
			&x.Finding, &x.Demand, &x.Deadline, &x.Status, &reported, &closed); err != nil {
			rows.Close()
			return nil, err
		}
		// The status as it stood at the end of the period.
		switch {
		case closed > 0 && closed <= end:
			if closed < start {
				continue // put right before this period: old news
			}
			x.Status = RectificationClosed
		case reported > 0 && reported <= end:
			x.Status = RectificationReported
		default:
			x.Status, reported = RectificationOpen, 0
		}
		x.Department, x.DepartmentEn = depts[x.DepartmentID].name, depts[x.DepartmentID].nameEn
		x.Overdue = RectificationOverdue(x.Status, x.Deadline, reported, to)
		data.Summary.Rectifications++
		if x.Status != RectificationClosed {
			data.Summary.RectificationsOpen++
		}
		if x.Overdue {
			data.Summary.RectificationsOverdue++
			if r := rowOf[x.TaskID]; r != nil && r.Rectify == "" {
				r.Rectify = x.ID
			}
		}
		data.Rectifications = append(data.Rectifications, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	for _, r := range rowsAll {
		byDept[r.DepartmentID].Rows = append(byDept[r.DepartmentID].Rows, *r)
	}
	for _, d := range byDept {
		if d.Total > 0 {
			d.Progress = round1(d.Progress / float64(d.Total))
			d.DoneRate = round1(100 * float64(d.Done) / float64(d.Total))
		}
		data.Departments = append(data.Departments, *d)
	}
	sort.Slice(data.Departments, func(i, j int) bool {
		a, b := data.Departments[i], data.Departments[j]
		if (a.ID == "") != (b.ID == "") {
			return b.ID == ""
		}
		ka, kb := registry.PinyinInitials(a.Name), registry.PinyinInitials(b.Name)
		if ka != kb {
			return ka < kb
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})

	data.GoodExamples = goodExamples(rowsAll)
	for _, d := range data.Departments {
		l := BulletinLaggard{DepartmentID: d.ID, Department: d.Name, DepartmentEn: d.NameEn, Items: []BulletinRow{}}
		for _, r := range d.Rows {
			switch {
			case r.Standing == StandingRed:
				l.Red++
				l.Items = append(l.Items, r)
			case r.Standing == StandingYellow && r.YellowCount >= RepeatedYellows:
				l.RepeatedYellow++
				l.Items = append(l.Items, r)
			}
		}
		if len(l.Items) > 0 {
			data.Laggards = append(data.Laggards, l)
		}
	}
	sort.SliceStable(data.Laggards, func(i, j int) bool {
		a, b := data.Laggards[i], data.Laggards[j]
		if a.Red != b.Red {
			return a.Red > b.Red
		}
		return a.RepeatedYellow > b.RepeatedYellow
	})

	data.Trend = trend(order, p.Year, to, end)
	return data, nil
}

// causeParams reads a light's stored cause parameters for a bulletin:
// unlike decodeParams, none is nil and a value that is not a string is
// kept as its JSON.
func causeParams(s string) map[string]string {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return nil
	}
	var raw map[string]any
	if json.Unmarshal([]byte(s), &raw) != nil || len(raw) == 0 {
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			out[k] = x
		default:
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out
}

// goodExamples names the tasks done furthest ahead of their deadlines, then
// the green tasks with the most progress.
func goodExamples(rows []*BulletinRow) []BulletinExample {
	var early, ahead []BulletinExample
	for _, r := range rows {
		switch {
		case r.Standing == StandingDone && r.DoneOn != "" && r.Deadline != "" && r.DoneOn < r.Deadline:
			a, err1 := workday.ParseDate(r.DoneOn)
			b, err2 := workday.ParseDate(r.Deadline)
			if err1 != nil || err2 != nil {
				continue
			}
			days := int(math.Round(b.Sub(a).Hours() / 24))
			early = append(early, BulletinExample{BulletinRow: *r, Reason: "early", DaysEarly: days})
		case r.Standing == StandingGreen && r.Progress > 0:
			ahead = append(ahead, BulletinExample{BulletinRow: *r, Reason: "ahead"})
		}
	}
	sort.SliceStable(early, func(i, j int) bool { return early[i].DaysEarly > early[j].DaysEarly })
	sort.SliceStable(ahead, func(i, j int) bool { return ahead[i].Progress > ahead[j].Progress })
	out := append(early, ahead...)
	if len(out) > BulletinGoodExamples {
		out = out[:BulletinGoodExamples]
	}
	if out == nil {
		out = []BulletinExample{}
	}
	return out
}

// trend is the completion at each month's end of the plan's year up to the
// period's end, and at the period's end itself.
func trend(tasks []*bTask, year int, to string, end int64) []BulletinTrendPoint {
	toDay, err := workday.ParseDate(to)
	if err != nil {
		return []BulletinTrendPoint{}
	}
	var days []string
	for m := time.January; len(days) < 24; m++ {
		last := workday.Date(year, m+1, 0) // day 0 of the next month: this month's last
		if last.After(toDay) {
			break
		}
		days = append(days, workday.FormatDate(last))
	}
	if len(days) == 0 || days[len(days)-1] != to {
		if toDay.Year() >= year {
			days = append(days, to)
		}
	}
	out := make([]BulletinTrendPoint, 0, len(days))
	for _, day := range days {
		ms, _ := endOfDay(day)
		p := BulletinTrendPoint{Day: day}
		var sum float64
		for _, t := range tasks {
			if t.publishedAt > ms {
				continue
			}
			p.Total++
			v := t.progressAt(ms, end)
			sum += v
			if t.doneBy(ms, end) {
				p.Done++
			}
		}
		if p.Total > 0 {
			p.Progress = round1(sum / float64(p.Total))
			p.DoneRate = round1(100 * float64(p.Done) / float64(p.Total))
		}
		out = append(out, p)
	}
	return out
}

// narrative drafts the bulletin's opening paragraph from its figures; the
// office edits it before publishing.
func narrative(d *BulletinData, lang string) string {
	s := d.Summary
	var b strings.Builder
	if isEn(lang) {
		b.WriteString("As of " + d.To + ", " + d.PlanTitle + " comprises " + bItoa(s.Total) + " tasks: " + bItoa(s.Done) +
			" done, " + bItoa(s.Green) + " on schedule, " + bItoa(s.Yellow) + " behind and " + bItoa(s.Red) +
			" overdue or far behind; overall progress " + bFtoa(s.Progress) + "%.")
		if len(d.Laggards) > 0 {
			b.WriteString(" Departments with red or repeatedly yellow tasks: " + laggardNames(d, lang, ", ") +
				"; they are to catch up without delay.")
		}
		if s.Rectifications > 0 {
			b.WriteString(" Inspections required " + bItoa(s.Rectifications) + " rectifications, " +
				bItoa(s.RectificationsOverdue) + " of them overdue.")
		}
		return b.String()
	}
	b.WriteString("截至" + d.To + "，" + d.PlanTitle + "共安排任务" + bItoa(s.Total) + "项，已完成" + bItoa(s.Done) +
		"项，按序时进度推进" + bItoa(s.Green) + "项，进度滞后" + bItoa(s.Yellow) + "项，逾期或严重滞后" + bItoa(s.Red) +
		"项，总体完成进度" + bFtoa(s.Progress) + "%。")
	if len(d.Laggards) > 0 {
		b.WriteString(laggardNames(d, lang, "、") + "存在红灯或多次黄灯任务，请加快推进。")
	}
	if s.Rectifications > 0 {
		b.WriteString("督查发现问题需整改" + bItoa(s.Rectifications) + "项，其中逾期未整改" + bItoa(s.RectificationsOverdue) + "项。")
	}
	return b.String()
}

func laggardNames(d *BulletinData, lang, sep string) string {
	names := make([]string, 0, len(d.Laggards))
	for _, l := range d.Laggards {
		name := l.Department
		if isEn(lang) && l.DepartmentEn != "" {
			name = l.DepartmentEn
		}
		if name != "" {
			names = append(names, name)
		}
	}
	return strings.Join(names, sep)
}

func bItoa(n int) string { return strconv.Itoa(n) }

func bFtoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
