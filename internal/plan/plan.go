package plan

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/clock"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Cadences: how often the lead department reports progress.
const (
	Monthly   = "monthly"
	Quarterly = "quarterly"
	Biweekly  = "biweekly"
)

// Cadences lists the cadences a plan may have.
var Cadences = []string{Monthly, Quarterly, Biweekly}

// DefaultReportDay is the day of the period by which its report is due
// unless the plan says otherwise (每月5日前).
const DefaultReportDay = 5

// Limits on list pages.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// WithClock returns a context whose plan operations read the current time
// from now: a report's period, the day a task is published or done, and the
// day a light is evaluated on all follow it. Tests move it instead of
// waiting for the calendar.
func WithClock(ctx context.Context, now func() time.Time) context.Context {
	return clock.With(ctx, now)
}

func planNow(ctx context.Context) time.Time { return clock.Now(ctx) }

// planToday is the current date in Asia/Shanghai.
func planToday(ctx context.Context) time.Time { return workday.Midnight(planNow(ctx)) }

func planNowMs(ctx context.Context) int64 { return store.Millis(planNow(ctx)) }

// active: a signed-in staff member of a region.
func active(who *auth.User) bool {
	if who == nil || who.Disabled || who.RegionCode == "" {
		return false
	}
	switch who.Role {
	case auth.RoleAdmin, auth.RoleOfficer, auth.RoleInspector:
		return true
	}
	return false
}

// isOffice: the leading-group office, which alone writes plans and tasks.
func isOffice(who *auth.User) bool { return active(who) && who.Role == auth.RoleAdmin }

// officeOf: the office of region or of one above it, which runs the
// inspections and issues the bulletins.
func officeOf(who *auth.User, region string) bool {
	return isOffice(who) && registry.RegionCovers(who.RegionCode, region)
}

// staffOf: a department's own officers, inspectors and office staff, in
// region or one above it.
func staffOf(who *auth.User, region, departmentID string) bool {
	return active(who) && departmentID != "" && who.DepartmentID == departmentID &&
		registry.RegionCovers(who.RegionCode, region)
}

// planVisible: region staff see published plans; drafts only the office.
func planVisible(who *auth.User, p *Plan) bool {
	if !active(who) || !registry.RegionCovers(who.RegionCode, p.RegionCode) {
		return false
	}
	return p.Status != PlanDraft || isOffice(who)
}

// cleanText trims a one-line field and folds runs of white space.
func cleanText(s string) string { return strings.Join(strings.Fields(s), " ") }

// cleanNote trims a multi-line field, keeping its line breaks.
func cleanNote(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n")
	return s
}

// checkDate validates an optional 'YYYY-MM-DD' date and returns it in
// canonical form.
func checkDate(errs *fielderr.List, field, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	t, err := workday.ParseDate(v)
	if err != nil {
		errs.Add(field, "rule.date.format")
		return v
	}
	if y := t.Year(); y < 2000 || y > 2100 {
		errs.Add(field, "rule.date.range", "min", 2000, "max", 2100)
	}
	return workday.FormatDate(t)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// PlanInput creates a plan. RegionCode defaults to the creator's region,
// Cadence to monthly and ReportDay to 5.
type PlanInput struct {
	RegionCode string `json:"region_code"`
	Year       int    `json:"year"`
	Title      string `json:"title"`
	DocNumber  string `json:"doc_number"`
	Cadence    string `json:"cadence"`
	ReportDay  int    `json:"report_day"`
	LightRule  Rule   `json:"light_rule"`
}

// PlanPatch changes the fields that are not nil.
type PlanPatch struct {
	Year      *int    `json:"year,omitempty"`
	Title     *string `json:"title,omitempty"`
	DocNumber *string `json:"doc_number,omitempty"`
	Cadence   *string `json:"cadence,omitempty"`
	ReportDay *int    `json:"report_day,omitempty"`
	LightRule *Rule   `json:"light_rule,omitempty"`
}

const planCols = `id, region_code, year, title, doc_number, cadence, report_day, light_rule, status,
	COALESCE(published_at, 0), created_at, updated_at`

func scanPlan(row interface{ Scan(...any) error }) (*Plan, error) {
	var p Plan
	var rule string
	if err := row.Scan(&p.ID, &p.RegionCode, &p.Year, &p.Title, &p.DocNumber, &p.Cadence, &p.ReportDay, &rule,
		&p.Status, &p.PublishedAt, &p.CreatedAt, &p.UpdatedAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fielderr.ErrNotFound
		}
		return nil, err
	}
	p.LightRule = parseRule(rule)
	return &p, nil
}

// parseRule reads a stored rule; an empty or unreadable one is the default.
func parseRule(s string) Rule {
	var r Rule
	if s != "" {
		_ = json.Unmarshal([]byte(s), &r)
	}
	return r.Normalize()
}

func encodeRule(r Rule) string {
	b, _ := json.Marshal(r.Normalize())
	return string(b)
}

// validatePlan checks p (a fielderr.List names every bad field) and, when
// it is good, normalises its light rule.
func validatePlan(ctx context.Context, q store.Queryer, who *auth.User, p *Plan) error {
	var errs fielderr.List
	if _, err := registry.GetRegion(ctx, q, p.RegionCode); errors.Is(err, fielderr.ErrNotFound) {
		errs.Add("region_code", "rule.region.unknown")
	} else if err != nil {
		return err
	} else if !registry.RegionCovers(who.RegionCode, p.RegionCode) {
		errs.Add("region_code", "rule.region.out_of_scope")
	}
	if p.Year < 2000 || p.Year > 2100 {
		errs.Add("year", "rule.range", "min", 2000, "max", 2100)
	}
	fielderr.CheckText(&errs, "title", p.Title, true, 200)
	fielderr.CheckText(&errs, "doc_number", p.DocNumber, false, 100)
	switch p.Cadence {
	case Monthly, Quarterly:
		if p.ReportDay < 1 || p.ReportDay > 28 {
			errs.Add("report_day", "rule.range", "min", 1, "max", 28)
		}
	case Biweekly:
		if p.ReportDay < 1 || p.ReportDay > 14 {
			errs.Add("report_day", "rule.range", "min", 1, "max", 14)
		}
	default:
		errs.Add("cadence", "rule.plan.cadence")
	}
	p.LightRule.validate(&errs)
	if err := errs.Err(); err != nil {
		return err
	}
	p.LightRule = p.LightRule.Normalize()
	return nil
}

// CreatePlan adds a draft plan. Only the office may, for its region or one
// under it.
func CreatePlan(ctx context.Context, db *store.DB, who *auth.User, in PlanInput) (*Plan, error) {
	if !isOffice(who) {
		return nil, fielderr.ErrForbidden
	}
	now := planNowMs(ctx)
	p := Plan{ID: store.NewID(), RegionCode: strings.TrimSpace(in.RegionCode), Year: in.Year, Title: cleanText(in.Title),
		DocNumber: cleanText(in.DocNumber), Cadence: strings.TrimSpace(in.Cadence), ReportDay: in.ReportDay,
		LightRule: in.LightRule, Status: PlanDraft, CreatedAt: now, UpdatedAt: now}
	if p.RegionCode == "" {
		p.RegionCode = who.RegionCode
	}
	if p.Cadence == "" {
		p.Cadence = Monthly
	}
	if p.ReportDay == 0 {
		p.ReportDay = DefaultReportDay
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := validatePlan(ctx, tx, who, &p); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO plans (id, region_code, year, title, doc_number, cadence, report_day,
			light_rule, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.RegionCode, p.Year, p.Title, p.DocNumber, p.Cadence, p.ReportDay, encodeRule(p.LightRule),
			p.Status, p.CreatedAt, p.UpdatedAt); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "plan", EntityID: p.ID,
			RegionCode: p.RegionCode, After: p}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "plan.created", planEvent(&p))
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func planEvent(p *Plan) map[string]any {
	return map[string]any{"id": p.ID, "region_code": p.RegionCode, "year": p.Year, "status": p.Status}
}

func getPlan(ctx context.Context, q store.Queryer, id, lock string) (*Plan, error) {
	return scanPlan(q.QueryRow(ctx, `SELECT `+planCols+` FROM plans WHERE id = ?`+lock, id))
}

// GetPlan returns a plan who may see, or fielderr.ErrNotFound.
func GetPlan(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Plan, error) {
	p, err := getPlan(ctx, q, id, "")
	if err != nil {
		return nil, err
	}
	if !planVisible(who, p) {
		return nil, fielderr.ErrNotFound
	}
	return p, nil
}

// ListPlans lists the plans who may see in region ("" for who's own region
// and those under it) and year (0 for every year), newest year first.
func ListPlans(ctx context.Context, q store.Queryer, who *auth.User, region string, year int) ([]Plan, error) {
	if !active(who) {
		return nil, fielderr.ErrForbidden
	}
	if region == "" {
		region = who.RegionCode
	}
	if !registry.RegionCovers(who.RegionCode, region) {
		return []Plan{}, nil
	}
	cond, args := registry.RegionScopeSQL("region_code", region)
	if year != 0 {
		cond += ` AND year = ?`
		args = append(args, year)
	}
	if !isOffice(who) {
		cond += ` AND status <> ?`
		args = append(args, PlanDraft)
	}
	rows, err := q.Query(ctx, `SELECT `+planCols+` FROM plans WHERE `+cond+` ORDER BY year DESC, created_at DESC, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Plan{}
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// writablePlan loads a plan for change inside tx: the office of its region
// only, and not once it is closed.
func writablePlan(ctx context.Context, tx *store.Tx, who *auth.User, id string) (*Plan, error) {
	if !isOffice(who) {
		return nil, fielderr.ErrForbidden
	}
	p, err := getPlan(ctx, tx, id, tx.ForUpdate())
	if err != nil {
		return nil, err
	}
	if !registry.RegionCovers(who.RegionCode, p.RegionCode) {
		return nil, fielderr.ErrNotFound
	}
	if p.Status == PlanClosed {
		return nil, fielderr.New("plan", "rule.plan.closed")
	}
	return p, nil
}

// UpdatePlan changes the fields given in patch. Only the office may. A
// changed light rule applies from the next evaluation.
func UpdatePlan(ctx context.Context, db *store.DB, who *auth.User, id string, patch PlanPatch) (*Plan, error) {
	var out *Plan
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := writablePlan(ctx, tx, who, id)
		if err != nil {
			return err
		}
		p := *before
		if patch.Year != nil {
			p.Year = *patch.Year
		}
		if patch.Title != nil {
			p.Title = cleanText(*patch.Title)
		}
		if patch.DocNumber != nil {
			p.DocNumber = cleanText(*patch.DocNumber)
		}
		if patch.Cadence != nil {
			p.Cadence = strings.TrimSpace(*patch.Cadence)
		}
		if patch.ReportDay != nil {
			p.ReportDay = *patch.ReportDay
		}
		if patch.LightRule != nil {
			p.LightRule = *patch.LightRule
		}
		if err := validatePlan(ctx, tx, who, &p); err != nil {
			return err
		}
		out = &p
		if p == *before {
			return nil
		}
		p.UpdatedAt = planNowMs(ctx)
		if _, err := tx.Exec(ctx, `UPDATE plans SET year = ?, title = ?, doc_number = ?, cadence = ?, report_day = ?,
			light_rule = ?, updated_at = ? WHERE id = ?`, p.Year, p.Title, p.DocNumber, p.Cadence, p.ReportDay,
			encodeRule(p.LightRule), p.UpdatedAt, p.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "plan", EntityID: p.ID,
			RegionCode: p.RegionCode, Before: before, After: p}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "plan.updated", planEvent(&p))
	})
	return out, err
}

// PublishReport says what publishing a plan did to its draft tasks: those
// ready (one owner of the lead department, a deadline) went out with it; the
// others stay drafts, each with what it lacks.
type PublishReport struct {
	Published int            `json:"published"`
	NotReady  []TaskProblems `json:"not_ready"`
}

// TaskProblems names a task and what keeps it from being published.
type TaskProblems struct {
	TaskID string        `json:"task_id"`
	Title  string        `json:"title"`
	Errors fielderr.List `json:"errors"`
}

// PublishPlan makes a draft plan visible to the member departments and
// publishes every draft task of it that is ready; tasks that are not stay
// drafts and are listed in the report. Publishing a published plan again
// publishes the tasks that have become ready since.
func PublishPlan(ctx context.Context, db *store.DB, who *auth.User, id string) (*Plan, PublishReport, error) {
	rep := PublishReport{NotReady: []TaskProblems{}}
	var out *Plan
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := writablePlan(ctx, tx, who, id)
		if err != nil {
			return err
		}
		p := *before
		now := planNowMs(ctx)
		if p.Status == PlanDraft {
			p.Status, p.PublishedAt, p.UpdatedAt = PlanPublished, now, now
			if _, err := tx.Exec(ctx, `UPDATE plans SET status = ?, published_at = ?, updated_at = ? WHERE id = ?`,
				p.Status, p.PublishedAt, p.UpdatedAt, p.ID); err != nil {
				return err
			}
			if err := audit.Write(ctx, tx, audit.Entry{Action: "publish", Entity: "plan", EntityID: p.ID,
				RegionCode: p.RegionCode, Before: before, After: p}); err != nil {
				return err
			}
			if err := jobs.Emit(ctx, tx, "plan.published", planEvent(&p)); err != nil {
				return err
			}
		}
		out = &p
		drafts, err := loadTasks(ctx, tx, `t.plan_id = ? AND t.status = ?`, []any{p.ID, TaskDraft}, "t.seq, t.id", 0, 0)
		if err != nil {
			return err
		}
		pub := newPublisher(ctx, &p)
		for i := range drafts {
			t := &drafts[i]
			errs, err := readyToPublish(ctx, tx, t)
			if err != nil {
				return err
			}
			if len(errs) > 0 {
				rep.NotReady = append(rep.NotReady, TaskProblems{TaskID: t.ID, Title: t.Title, Errors: errs})
				continue
			}
			if err := pub.publish(ctx, tx, t); err != nil {
				return err
			}
			rep.Published++
		}
		return nil
	})
	if err != nil {
		return nil, rep, err
	}
	return out, rep, nil
}
