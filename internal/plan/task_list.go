package plan

import (
	"context"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Filter selects tasks. Empty fields do not filter.
type Filter struct {
	PlanID       string
	DepartmentID string // the lead department
	Light        string // green, yellow, red
	Status       string // draft, published, signed, done, closed; "open" for published or signed
	OwnerID      string
	Q            string // words of the title or description, or their pinyin initials
	// DueWithinWorkdays > 0 keeps open tasks whose deadline is today or
	// within that many working days after it.
	DueWithinWorkdays int
	Overdue           bool // open tasks past their deadline
	Missed            bool // tasks whose last period's report is missing
	Today             time.Time
	Limit             int // default 50, at most 500
	Offset            int
}

// scope is the condition limiting tasks to those who may see: the office
// all of its region's, a department the published ones it leads or
// supports.
func scope(who *auth.User) (string, []any, bool) {
	if !active(who) {
		return "", nil, false
	}
	if isOffice(who) {
		cond, args := registry.RegionScopeSQL("t.region_code", who.RegionCode)
		return cond, args, true
	}
	if who.DepartmentID == "" {
		return "", nil, false
	}
	return `t.status <> 'draft' AND (t.lead_department_id = ? OR t.id IN (SELECT s.task_id FROM task_supporting s
		WHERE s.department_id = ?))`, []any{who.DepartmentID, who.DepartmentID}, true
}

func (f Filter) where(ctx context.Context, q store.Queryer, who *auth.User) (string, []any, error) {
	cond, args, ok := scope(who)
	if !ok {
		return "", nil, fielderr.ErrForbidden
	}
	conds := []string{cond}
	add := func(c string, a ...any) {
		conds = append(conds, c)
		args = append(args, a...)
	}
	if f.PlanID != "" {
		add(`t.plan_id = ?`, f.PlanID)
	}
	if f.DepartmentID != "" {
		add(`t.lead_department_id = ?`, f.DepartmentID)
	}
	if f.Light != "" {
		add(`t.light = ?`, f.Light)
	}
	switch f.Status {
	case "":
	case "open":
		add(`t.status IN ('published', 'signed')`)
	default:
		add(`t.status = ?`, f.Status)
	}
	if f.OwnerID != "" {
		add(`t.owner_id = ?`, f.OwnerID)
	}
	if p := searchPattern(f.Q); p != "" {
		add(`t.search_key LIKE ? ESCAPE '\'`, p)
	}
	today := f.Today
	if today.IsZero() {
		today = planToday(ctx)
	}
	day := workday.FormatDate(today)
	if f.Overdue {
		add(`t.status IN ('published', 'signed') AND t.deadline < ?`, day)
	}
	if f.DueWithinWorkdays > 0 {
		cal, err := workday.Load(ctx, q)
		if err != nil {
			return "", nil, err
		}
		add(`t.status IN ('published', 'signed') AND t.deadline >= ? AND t.deadline <= ?`, day,
			workday.FormatDate(cal.AddWorkdays(today, f.DueWithinWorkdays)))
	}
	if f.Missed {
		add(`t.missed_period <> '' AND t.status IN ('published', 'signed')`)
	}
	return strings.Join(conds, " AND "), args, nil
}

// searchPattern turns a query into a LIKE pattern on search keys.
func searchPattern(q string) string {
	q = strings.TrimSpace(q)
	if q == "" {
		return ""
	}
	k := registry.SearchKey(q)
	if i := strings.Index(k, "|"); i >= 0 {
		k = k[i+1:]
	}
	k = strings.TrimSpace(strings.ReplaceAll(k, "|", " "))
	if k == "" {
		return ""
	}
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(k) + "%"
}

// ListTasks returns a page of the tasks who may see that match f, by
// deadline, and how many match in all.
func ListTasks(ctx context.Context, q store.Queryer, who *auth.User, f Filter) ([]Task, int, error) {
	cond, args, err := f.where(ctx, q, who)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM tasks t WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	tasks, err := loadTasks(ctx, q, cond, args, `t.deadline, t.seq, t.id`, limit, f.Offset)
	return tasks, total, err
}

// Summary is a department's tasks at a glance.
type Summary struct {
	Mine     int `json:"mine"`     // open tasks the user owns
	Open     int `json:"open"`     // published or signed
	Unsigned int `json:"unsigned"` // published, not yet signed for
	DueSoon  int `json:"due_soon"` // open, deadline within the plan's due-soon working days
	Overdue  int `json:"overdue"`  // open, past the deadline
	Missed   int `json:"missed"`   // open, a report missing
	Green    int `json:"green"`    // open tasks by light
	Yellow   int `json:"yellow"`
	Red      int `json:"red"`
	Done     int `json:"done"` // done or closed
}

// Summarize counts the tasks of a department (its lead and supporting
// tasks) on today: departmentID "" means who's own department, or, for the
// office, its whole region. A department user may ask only for its own.
func Summarize(ctx context.Context, q store.Queryer, who *auth.User, departmentID string, today time.Time) (Summary, error) {
	var s Summary
	cond, args, ok := scope(who)
	if !ok {
		return s, fielderr.ErrForbidden
	}
	if departmentID != "" {
		if !isOffice(who) && departmentID != who.DepartmentID {
			return s, fielderr.ErrForbidden
		}
		cond += ` AND (t.lead_department_id = ? OR t.id IN (SELECT s.task_id FROM task_supporting s WHERE s.department_id = ?))`
		args = append(args, departmentID, departmentID)
	}
	cal, err := workday.Load(ctx, q)
	if err != nil {
		return s, err
	}
	today = workday.Midnight(today)
	day := workday.FormatDate(today)
	rows, err := q.Query(ctx, `SELECT t.status, t.deadline, t.light, t.missed_period, COALESCE(t.owner_id, ''), p.light_rule
		FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE p.status <> 'draft' AND t.status <> 'draft' AND `+cond, args...)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	soon := map[string]string{} // rule → last due-soon day
	for rows.Next() {
		var status, deadline, light, missed, owner, rule string
		if err := rows.Scan(&status, &deadline, &light, &missed, &owner, &rule); err != nil {
			return s, err
		}
		if status == TaskDone || status == TaskClosed {
			s.Done++
			continue
		}
		s.Open++
		if owner == who.ID {
			s.Mine++
		}
		if status == TaskPublished {
			s.Unsigned++
		}
		last, ok := soon[rule]
		if !ok {
			last = workday.FormatDate(cal.AddWorkdays(today, parseRule(rule).DueSoonDays))
			soon[rule] = last
		}
		switch {
		case deadline < day:
			s.Overdue++
		case deadline <= last:
			s.DueSoon++
		}
		if missed != "" {
			s.Missed++
		}
		switch light {
		case Green:
			s.Green++
		case Yellow:
			s.Yellow++
		case Red:
			s.Red++
		}
	}
	return s, rows.Err()
}
