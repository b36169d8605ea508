package plan

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Kinds and statuses of the office's inspections of the work (督查).
const (
	InspectionScheduled   = "scheduled"   // announced in the plan's calendar
	InspectionUnscheduled = "unscheduled" // 不定期, unannounced
	InspectionPlanned     = "planned"
	InspectionDone        = "done"
)

// Severities of a finding.
const (
	SeverityMinor   = "minor"
	SeverityNormal  = "normal"
	SeveritySerious = "serious"
)

// Rectification statuses: the office demands it (open), the department
// reports it done (reported), the office checks and closes it (closed) or
// returns it (open again).
const (
	RectificationOpen     = "open"
	RectificationReported = "reported"
	RectificationClosed   = "closed"
)

// Kinds of rectification update.
const (
	UpdateNote     = "note"     // a follow-up note by the department or the office
	UpdateDone     = "done"     // the department reports the rectification done
	UpdateReturned = "returned" // the office finds the report wanting and reopens it
	UpdateClosed   = "closed"   // the office closes it (written by CloseRectification)
)

// Limits on inspection input.
const (
	InspectionTitleMax   = 200
	InspectionNotesMax   = 4000
	FindingContentMax    = 4000
	RectificationTextMax = 4000
	MaxInspectionTasks   = 200 // tasks picked or drawn for one visit
	// RectificationDueSoonWorkdays is how many working days before its
	// deadline the department is reminded of an open rectification.
	RectificationDueSoonWorkdays = 3
)

// Inspection is one visit of the office to a department (督查).
type Inspection struct {
	ID             string           `json:"id"`
	PlanID         string           `json:"plan_id"`
	RegionCode     string           `json:"region_code"`
	Title          string           `json:"title"`
	Kind           string           `json:"kind"`
	DepartmentID   string           `json:"department_id"`
	DepartmentName string           `json:"department_name"`
	VisitDate      string           `json:"visit_date"`
	Status         string           `json:"status"`
	Notes          string           `json:"notes"`
	CreatedBy      string           `json:"created_by"`
	CreatedAt      int64            `json:"created_at"`
	UpdatedAt      int64            `json:"updated_at"`
	Tasks          []InspectionTask `json:"tasks"`
	Draws          []InspectionDraw `json:"draws"`
	Findings       []Finding        `json:"findings"`
	Rectifications []Rectification  `json:"rectifications"`
	// Counts are filled by ListInspections, which does not load the lists.
	TaskCount    int `json:"task_count"`
	FindingCount int `json:"finding_count"`
	OpenCount    int `json:"open_rectifications"`
}

// InspectionTask is a task checked on a visit.
type InspectionTask struct {
	TaskID           string  `json:"task_id"`
	Title            string  `json:"title"`
	LeadDepartmentID string  `json:"lead_department"`
	Deadline         string  `json:"deadline"`
	Status           string  `json:"status"`
	Progress         float64 `json:"progress"`
	Light            string  `json:"light"`
	Drawn            bool    `json:"drawn"`
	DrawID           string  `json:"draw_id,omitempty"`
	AddedBy          string  `json:"added_by"`
	AddedAt          int64   `json:"added_at"`
}

// InspectionDraw records one random draw of tasks: the seed, the candidate
// pool (the department's open tasks not yet on the visit, sorted) and the
// result, so that DrawTasks(Seed, Pool, N) reproduces Drawn exactly.
type InspectionDraw struct {
	ID           string   `json:"id"`
	InspectionID string   `json:"inspection_id"`
	Seed         string   `json:"seed"`
	N            int      `json:"n"`
	Pool         []string `json:"pool"`
	Drawn        []string `json:"drawn"`
	DrawnBy      string   `json:"drawn_by"`
	At           int64    `json:"at"`
}

// Finding is what the office found on a visit, about one checked task or
// about the visit in general (TaskID empty).
type Finding struct {
	ID           string `json:"id"`
	InspectionID string `json:"inspection_id"`
	TaskID       string `json:"task_id,omitempty"`
	TaskTitle    string `json:"task_title,omitempty"`
	Content      string `json:"content"`
	Severity     string `json:"severity"`
	CreatedBy    string `json:"created_by"`
	CreatedAt    int64  `json:"created_at"`
}

// Rectification is a demand to a department to put a finding right by a
// deadline (a calendar date in Asia/Shanghai).
type Rectification struct {
	ID             string `json:"id"`
	FindingID      string `json:"finding_id"`
	InspectionID   string `json:"inspection_id"`
	PlanID         string `json:"plan_id"`
	RegionCode     string `json:"region_code"`
	TaskID         string `json:"task_id,omitempty"`
	TaskTitle      string `json:"task_title,omitempty"`
	DepartmentID   string `json:"department_id"`
	DepartmentName string `json:"department_name"`
	Finding        string `json:"finding"`
	Severity       string `json:"severity"`
	Demand         string `json:"demand"`
	Deadline       string `json:"deadline"`
	Status         string `json:"status"`
	// Overdue: past its deadline and neither closed nor reported done by
	// the deadline (see RectificationOverdue). Computed for the day the
	// list was asked for.
	Overdue    bool                  `json:"overdue"`
	ReportedAt int64                 `json:"reported_at,omitempty"`
	ReportedBy string                `json:"reported_by,omitempty"`
	ClosedAt   int64                 `json:"closed_at,omitempty"`
	ClosedBy   string                `json:"closed_by,omitempty"`
	CreatedBy  string                `json:"created_by"`
	CreatedAt  int64                 `json:"created_at"`
	UpdatedAt  int64                 `json:"updated_at"`
	Updates    []RectificationUpdate `json:"updates,omitempty"`
}

// RectificationUpdate is one follow-up on a rectification.
type RectificationUpdate struct {
	ID              string `json:"id"`
	RectificationID string `json:"rectification_id"`
	Kind            string `json:"kind"`
	Note            string `json:"note"`
	ActorID         string `json:"actor_id"`
	At              int64  `json:"at"`
}

// InspectionInput creates an inspection.
type InspectionInput struct {
	PlanID       string `json:"plan_id"`
	Title        string `json:"title"`
	Kind         string `json:"kind"` // scheduled or unscheduled
	DepartmentID string `json:"department_id"`
	VisitDate    string `json:"visit_date"` // YYYY-MM-DD
	Notes        string `json:"notes"`
}

// FindingInput records a finding; TaskID empty for the visit in general.
type FindingInput struct {
	TaskID   string `json:"task_id"`
	Content  string `json:"content"`
	Severity string `json:"severity"` // minor, normal (default), serious
}

// RectificationInput demands a rectification. DepartmentID defaults to the
// lead department of the finding's task, else the department visited.
type RectificationInput struct {
	DepartmentID string `json:"department_id"`
	Demand       string `json:"demand"`
	Deadline     string `json:"deadline"` // YYYY-MM-DD, not before the visit
}

// RectificationUpdateInput is a follow-up: Kind "note" (default) by the
// department or the office, "done" by the department, "returned" by the
// office on a rectification reported done.
type RectificationUpdateInput struct {
	Kind string `json:"kind"`
	Note string `json:"note"`
}

// InspectionFilter selects inspections; empty fields do not filter.
type InspectionFilter struct {
	PlanID       string
	DepartmentID string
	Status       string
	Limit        int // default 100, at most 1000
	Offset       int
}

// RectificationFilter selects rectifications; empty fields do not filter.
type RectificationFilter struct {
	PlanID       string
	InspectionID string
	DepartmentID string
	Open         bool      // not closed
	Overdue      bool      // overdue on Today
	Today        time.Time // the day Overdue is judged on; zero means today
	Limit        int       // default 200, at most 2000
	Offset       int
}

// cleanLines keeps line breaks of a longer text but trims each line
// (cleanNote trims only the whole).
func cleanLines(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// checkDay checks a 'YYYY-MM-DD' field and returns it in canonical form, or
// "" when it is bad. Unlike checkDate it may be required and bounds no year.
func checkDay(errs *fielderr.List, field, v string, required bool) string {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			errs.Add(field, "rule.required")
		}
		return ""
	}
	d, err := workday.ParseDate(v)
	if err != nil {
		errs.Add(field, "rule.date.format")
		return ""
	}
	return workday.FormatDate(d)
}

// departmentIn reports whether a department exists in region and returns
// its name.
func departmentIn(ctx context.Context, q store.Queryer, id, region string) (string, bool, error) {
	var name, r string
	err := q.QueryRow(ctx, `SELECT name, region_code FROM departments WHERE id = ?`, id).Scan(&name, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return name, r == region, nil
}

const inspectionCols = `i.id, i.plan_id, i.region_code, i.title, i.kind, COALESCE(i.department_id, ''), COALESCE(d.name, ''),
	i.visit_date, i.status, i.notes, i.created_by, i.created_at, i.updated_at`

const inspectionFrom = ` FROM inspections i LEFT JOIN departments d ON d.id = i.department_id`

func scanInspection(r interface{ Scan(...any) error }, extra ...any) (*Inspection, error) {
	var in Inspection
	dest := append([]any{&in.ID, &in.PlanID, &in.RegionCode, &in.Title, &in.Kind, &in.DepartmentID, &in.DepartmentName,
		&in.VisitDate, &in.Status, &in.Notes, &in.CreatedBy, &in.CreatedAt, &in.UpdatedAt}, extra...)
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fielderr.ErrNotFound
		}
		return nil, err
	}
	in.Tasks, in.Draws, in.Findings, in.Rectifications = []InspectionTask{}, []InspectionDraw{}, []Finding{}, []Rectification{}
	return &in, nil
}

// lockInspection reads an inspection for a write by the office.
func lockInspection(ctx context.Context, tx *store.Tx, who *auth.User, id string) (*Inspection, error) {
	// The row lock is taken on the table alone: PostgreSQL refuses FOR
	// UPDATE on the nullable side of an outer join.
	var locked string
	if err := tx.QueryRow(ctx, `SELECT id FROM inspections WHERE id = ?`+tx.ForUpdate(), id).Scan(&locked); errors.Is(err, sql.ErrNoRows) {
		return nil, fielderr.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	in, err := scanInspection(tx.QueryRow(ctx, `SELECT `+inspectionCols+inspectionFrom+` WHERE i.id = ?`, id))
	if err != nil {
		return nil, err
	}
	if !officeOf(who, in.RegionCode) {
		if staffOf(who, in.RegionCode, in.DepartmentID) {
			return nil, fielderr.ErrForbidden
		}
		return nil, fielderr.ErrNotFound
	}
	return in, nil
}

// CreateInspection plans a visit of the office to a department. Only the
// office of the plan's region may.
func CreateInspection(ctx context.Context, db *store.DB, who *auth.User, in InspectionInput) (*Inspection, error) {
	if who == nil || who.Role != auth.RoleAdmin {
		return nil, fielderr.ErrForbidden
	}
	now := planNowMs(ctx)
	ins := Inspection{ID: store.NewID(), PlanID: strings.TrimSpace(in.PlanID), Title: cleanText(in.Title),
		Kind: strings.TrimSpace(in.Kind), DepartmentID: strings.TrimSpace(in.DepartmentID), Notes: cleanLines(in.Notes),
		Status: InspectionPlanned, CreatedBy: who.ID, CreatedAt: now, UpdatedAt: now,
		Tasks: []InspectionTask{}, Draws: []InspectionDraw{}, Findings: []Finding{}, Rectifications: []Rectification{}}
	var errs fielderr.List
	fielderr.CheckText(&errs, "title", ins.Title, true, InspectionTitleMax)
	fielderr.CheckText(&errs, "notes", ins.Notes, false, InspectionNotesMax)
	if ins.Kind == "" {
		ins.Kind = InspectionScheduled
	}
	if ins.Kind != InspectionScheduled && ins.Kind != InspectionUnscheduled {
		errs.Add("kind", "rule.inspection.kind")
	}
	ins.VisitDate = checkDay(&errs, "visit_date", in.VisitDate, true)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		p, err := getPlan(ctx, tx, ins.PlanID, "")
		switch {
		case errors.Is(err, fielderr.ErrNotFound) || (err == nil && !registry.RegionCovers(who.RegionCode, p.RegionCode)):
			errs.Add("plan_id", "rule.plan.unknown")
		case err != nil:
			return err
		case !officeOf(who, p.RegionCode):
			return fielderr.ErrForbidden
		default:
			ins.RegionCode = p.RegionCode
		}
		if ins.DepartmentID == "" {
			errs.Add("department_id", "rule.required")
		} else if p != nil {
			name, ok, err := departmentIn(ctx, tx, ins.DepartmentID, p.RegionCode)
			if err != nil {
				return err
			}
			if !ok {
				errs.Add("department_id", "rule.department.unknown")
			}
			ins.DepartmentName = name
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO inspections (id, plan_id, region_code, title, kind, department_id, visit_date,
			status, notes, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
			ins.ID, ins.PlanID, ins.RegionCode, ins.Title, ins.Kind, ins.DepartmentID, ins.VisitDate, ins.Status,
			ins.Notes, ins.CreatedBy, ins.CreatedAt, ins.UpdatedAt); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "inspection", EntityID: ins.ID,
			RegionCode: ins.RegionCode, After: ins}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "inspection.created", map[string]any{"id": ins.ID, "plan_id": ins.PlanID,
			"region_code": ins.RegionCode, "department_id": ins.DepartmentID, "kind": ins.Kind, "visit_date": ins.VisitDate})
	})
	if err != nil {
		return nil, err
	}
	return &ins, nil
}

// CompleteInspection marks a visit done: no more tasks can be picked or
// drawn for it (findings and rectifications may still be written up).
func CompleteInspection(ctx context.Context, db *store.DB, who *auth.User, id string) (*Inspection, error) {
	var out *Inspection
	err := db.Tx(ctx, func(tx *store.Tx) error {
		in, err := lockInspection(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if in.Status == InspectionDone {
			out = in
			return nil
		}
		before := *in
		in.Status, in.UpdatedAt = InspectionDone, planNowMs(ctx)
		if _, err := tx.Exec(ctx, `UPDATE inspections SET status = ?, updated_at = ? WHERE id = ?`, in.Status, in.UpdatedAt, in.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "complete", Entity: "inspection", EntityID: in.ID,
			RegionCode: in.RegionCode, Before: before, After: in}); err != nil {
			return err
		}
		out = in
		return jobs.Emit(ctx, tx, "inspection.completed", map[string]any{"id": in.ID, "plan_id": in.PlanID, "region_code": in.RegionCode})
	})
	return out, err
}

// AddInspectionTasks picks tasks to check on a visit: tasks of the
// inspection's plan, led by the department visited, and published. Tasks
// already on the visit are left as they are.
func AddInspectionTasks(ctx context.Context, db *store.DB, who *auth.User, inspectionID string, taskIDs []string) (*Inspection, error) {
	err := db.Tx(ctx, func(tx *store.Tx) error {
		in, err := lockInspection(ctx, tx, who, inspectionID)
		if err != nil {
			return err
		}
		var errs fielderr.List
		if in.Status == InspectionDone {
			errs.Add("task_ids", "rule.inspection.done")
			return errs.Err()
		}
		have, err := inspectionTaskSet(ctx, tx, in.ID)
		if err != nil {
			return err
		}
		var add []string
		seen := map[string]bool{}
		for _, id := range taskIDs {
			id = strings.TrimSpace(id)
			if id == "" || seen[id] || have[id] {
				continue
			}
			seen[id] = true
			var planID, dept, status string
			err := tx.QueryRow(ctx, `SELECT plan_id, COALESCE(lead_department_id, ''), status FROM tasks WHERE id = ?`, id).Scan(&planID, &dept, &status)
			switch {
			case errors.Is(err, sql.ErrNoRows) || (err == nil && planID != in.PlanID):
				errs.Add("task_ids", "rule.inspection.task_unknown", "task", id)
			case err != nil:
				return err
			case status == TaskDraft:
				errs.Add("task_ids", "rule.inspection.task_draft", "task", id)
			case dept != in.DepartmentID:
				errs.Add("task_ids", "rule.inspection.task_department", "task", id)
			default:
				add = append(add, id)
			}
		}
		if len(taskIDs) == 0 {
			errs.Add("task_ids", "rule.required")
		}
		if len(have)+len(add) > MaxInspectionTasks {
			errs.Add("task_ids", "rule.inspection.too_many", "max", MaxInspectionTasks)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if len(add) == 0 {
			return nil
		}
		now := planNowMs(ctx)
		for _, id := range add {
			if _, err := tx.Exec(ctx, `INSERT INTO inspection_tasks (inspection_id, task_id, drawn, added_by, added_at) VALUES (?,?,?,?,?)`,
				in.ID, id, false, who.ID, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE inspections SET updated_at = ? WHERE id = ?`, now, in.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "add-tasks", Entity: "inspection", EntityID: in.ID,
			RegionCode: in.RegionCode, After: map[string]any{"tasks": add}}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "inspection.tasks_added", map[string]any{"id": in.ID, "plan_id": in.PlanID,
			"region_code": in.RegionCode, "tasks": add, "drawn": false})
	})
	if err != nil {
		return nil, err
	}
	return GetInspection(ctx, db, who, inspectionID)
}

func inspectionTaskSet(ctx context.Context, q store.Queryer, inspectionID string) (map[string]bool, error) {
	ids, err := store.Column[string](ctx, q, `SELECT task_id FROM inspection_tasks WHERE inspection_id = ?`, inspectionID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// DrawTasks is the draw rule, kept pure so that anyone holding a recorded
// draw can check it: each candidate is ranked by SHA-256 of seed ":" task ID
// and the n lowest are drawn, in rank order. The result depends neither on
// the order of pool nor on the Go version, only on the seed and the set of
// candidates.
func DrawTasks(seed string, pool []string, n int) []string {
	type ranked struct{ id, key string }
	rs := make([]ranked, 0, len(pool))
	for _, id := range pool {
		h := sha256.Sum256([]byte(seed + ":" + id))
		rs = append(rs, ranked{id, hex.EncodeToString(h[:])})
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].key != rs[j].key {
			return rs[i].key < rs[j].key
		}
		return rs[i].id < rs[j].id
	})
	n = max(0, min(n, len(rs)))
	out := make([]string, n)
	for i := range out {
		out[i] = rs[i].id
	}
	return out
}

// DrawInspectionTasks draws n tasks at random among the visited
// department's open tasks (published or signed for) of the plan that are
// not yet on the visit, and adds them marked drawn. The seed comes from the
// system's random source and is stored with the candidate pool, so the draw
// can be replayed with DrawTasks and shown to the department.
func DrawInspectionTasks(ctx context.Context, db *store.DB, who *auth.User, inspectionID string, n int) (*InspectionDraw, error) {
	var out *InspectionDraw
	err := db.Tx(ctx, func(tx *store.Tx) error {
		in, err := lockInspection(ctx, tx, who, inspectionID)
		if err != nil {
			return err
		}
		if in.Status == InspectionDone {
			return fielderr.New("n", "rule.inspection.done")
		}
		pool, err := store.Column[string](ctx, tx, `SELECT id FROM tasks WHERE plan_id = ? AND lead_department_id = ? AND status IN (?, ?)
			AND id NOT IN (SELECT task_id FROM inspection_tasks WHERE inspection_id = ?) ORDER BY id`,
			in.PlanID, in.DepartmentID, TaskPublished, TaskSigned, in.ID)
		if err != nil {
			return err
		}
		have, err := inspectionTaskSet(ctx, tx, in.ID)
		if err != nil {
			return err
		}
		limit := min(len(pool), MaxInspectionTasks-len(have))
		switch {
		case len(pool) == 0:
			return fielderr.New("n", "rule.inspection.draw_empty")
		case n < 1 || n > limit:
			return fielderr.New("n", "rule.range", "min", 1, "max", max(limit, 0))
		}
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		d := InspectionDraw{ID: store.NewID(), InspectionID: in.ID, Seed: hex.EncodeToString(b[:]), N: n, Pool: pool,
			DrawnBy: who.ID, At: planNowMs(ctx)}
		d.Drawn = DrawTasks(d.Seed, pool, n)
		if _, err := tx.Exec(ctx, `INSERT INTO inspection_draws (id, inspection_id, seed, n, pool, drawn, drawn_by, at)
			VALUES (?,?,?,?,?,?,?,?)`, d.ID, d.InspectionID, d.Seed, d.N, strings.Join(d.Pool, ","),
			strings.Join(d.Drawn, ","), d.DrawnBy, d.At); err != nil {
			return err
		}
		for _, id := range d.Drawn {
			if _, err := tx.Exec(ctx, `INSERT INTO inspection_tasks (inspection_id, task_id, drawn, draw_id, added_by, added_at)
				VALUES (?,?,?,?,?,?)`, in.ID, id, true, d.ID, who.ID, d.At); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE inspections SET updated_at = ? WHERE id = ?`, d.At, in.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "draw", Entity: "inspection", EntityID: in.ID,
			RegionCode: in.RegionCode, After: d}); err != nil {
			return err
		}
		out = &d
		return jobs.Emit(ctx, tx, "inspection.drawn", map[string]any{"id": in.ID, "plan_id": in.PlanID,
			"region_code": in.RegionCode, "draw_id": d.ID, "seed": d.Seed, "tasks": d.Drawn})
	})
	return out, err
}

// RecordFinding writes down what the office found on a visit, about one of
// the tasks checked or (TaskID empty) the visit in general.
func RecordFinding(ctx context.Context, db *store.DB, who *auth.User, inspectionID string, in FindingInput) (*Finding, error) {
	f := Finding{ID: store.NewID(), InspectionID: inspectionID, TaskID: strings.TrimSpace(in.TaskID),
		Content: cleanLines(in.Content), Severity: strings.TrimSpace(in.Severity), CreatedAt: planNowMs(ctx)}
	var errs fielderr.List
	fielderr.CheckText(&errs, "content", f.Content, true, FindingContentMax)
	if f.Severity == "" {
		f.Severity = SeverityNormal
	}
	if f.Severity != SeverityMinor && f.Severity != SeverityNormal && f.Severity != SeveritySerious {
		errs.Add("severity", "rule.finding.severity")
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		ins, err := lockInspection(ctx, tx, who, inspectionID)
		if err != nil {
			return err
		}
		if f.TaskID != "" {
			err := tx.QueryRow(ctx, `SELECT t.title FROM inspection_tasks it JOIN tasks t ON t.id = it.task_id
				WHERE it.inspection_id = ? AND it.task_id = ?`, ins.ID, f.TaskID).Scan(&f.TaskTitle)
			if errors.Is(err, sql.ErrNoRows) {
				errs.Add("task_id", "rule.inspection.task_not_checked")
			} else if err != nil {
				return err
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		f.CreatedBy = who.ID
		if _, err := tx.Exec(ctx, `INSERT INTO findings (id, inspection_id, task_id, region_code, content, severity, created_by, created_at)
			VALUES (?,?,?,?,?,?,?,?)`, f.ID, f.InspectionID, nullable(f.TaskID), ins.RegionCode, f.Content, f.Severity,
			f.CreatedBy, f.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE inspections SET updated_at = ? WHERE id = ?`, f.CreatedAt, ins.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "finding", EntityID: f.ID,
			RegionCode: ins.RegionCode, After: f}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "inspection.finding_recorded", map[string]any{"id": f.ID, "inspection_id": ins.ID,
			"plan_id": ins.PlanID, "region_code": ins.RegionCode, "task_id": f.TaskID, "severity": f.Severity})
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

const rectificationCols = `r.id, r.finding_id, f.inspection_id, i.plan_id, r.region_code, COALESCE(f.task_id, ''),
	COALESCE(t.title, ''), COALESCE(r.department_id, ''), COALESCE(d.name, ''), f.content, f.severity, r.demand,
	r.deadline, r.status, COALESCE(r.reported_at, 0), COALESCE(r.reported_by, ''), COALESCE(r.closed_at, 0),
	COALESCE(r.closed_by, ''), r.created_by, r.created_at, r.updated_at`

const rectificationFrom = ` FROM rectifications r JOIN findings f ON f.id = r.finding_id
	JOIN inspections i ON i.id = f.inspection_id LEFT JOIN tasks t ON t.id = f.task_id
	LEFT JOIN departments d ON d.id = r.department_id`

func scanRectification(r interface{ Scan(...any) error }) (*Rectification, error) {
	var x Rectification
	if err := r.Scan(&x.ID, &x.FindingID, &x.InspectionID, &x.PlanID, &x.RegionCode, &x.TaskID, &x.TaskTitle,
		&x.DepartmentID, &x.DepartmentName, &x.Finding, &x.Severity, &x.Demand, &x.Deadline, &x.Status,
		&x.ReportedAt, &x.ReportedBy, &x.ClosedAt, &x.ClosedBy, &x.CreatedBy, &x.CreatedAt, &x.UpdatedAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fielderr.ErrNotFound
		}
		return nil, err
	}
	return &x, nil
}

// RectificationOverdue is the rule for an overdue rectification on today (a
// calendar date in Asia/Shanghai, 'YYYY-MM-DD'): its deadline has passed,
// it is not closed, and the department did not report it done by the
// deadline. A rectification reported done on time waits for the office's
// check without counting against the department.
func RectificationOverdue(status, deadline string, reportedAt int64, today string) bool {
	if status == RectificationClosed || deadline == "" || deadline >= today {
		return false
	}
	if status == RectificationReported && reportedAt > 0 && workday.FormatDate(store.Time(reportedAt)) <= deadline {
		return false
	}
	return true
}

func (r *Rectification) judge(today string) {
	r.Overdue = RectificationOverdue(r.Status, r.Deadline, r.ReportedAt, today)
}

// DemandRectification demands that a department put a finding right by a
// deadline, and tells the department's users.
func DemandRectification(ctx context.Context, db *store.DB, who *auth.User, findingID string, in RectificationInput) (*Rectification, error) {
	var out *Rectification
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var inspectionID, taskID, taskDept string
		err := tx.QueryRow(ctx, `SELECT f.inspection_id, COALESCE(f.task_id, ''), COALESCE(t.lead_department_id, '')
			FROM findings f LEFT JOIN tasks t ON t.id = f.task_id WHERE f.id = ?`, findingID).Scan(&inspectionID, &taskID, &taskDept)
		if errors.Is(err, sql.ErrNoRows) {
			return fielderr.ErrNotFound
		}
		if err != nil {
			return err
		}
		ins, err := lockInspection(ctx, tx, who, inspectionID)
		if err != nil {
			return err
		}
		var errs fielderr.List
		demand := cleanLines(in.Demand)
		fielderr.CheckText(&errs, "demand", demand, true, RectificationTextMax)
		deadline := checkDay(&errs, "deadline", in.Deadline, true)
		if deadline != "" && deadline < ins.VisitDate {
			errs.Add("deadline", "rule.date.min", "min", ins.VisitDate)
		}
		dept := strings.TrimSpace(in.DepartmentID)
		if dept == "" {
			dept = taskDept
		}
		if dept == "" {
			dept = ins.DepartmentID
		}
		if dept == "" {
			errs.Add("department_id", "rule.required")
		} else if _, ok, err := departmentIn(ctx, tx, dept, ins.RegionCode); err != nil {
			return err
		} else if !ok {
			errs.Add("department_id", "rule.department.unknown")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		now := planNowMs(ctx)
		id := store.NewID()
		if _, err := tx.Exec(ctx, `INSERT INTO rectifications (id, finding_id, region_code, department_id, demand, deadline,
			status, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			id, findingID, ins.RegionCode, dept, demand, deadline, RectificationOpen, who.ID, now, now); err != nil {
			return err
		}
		r, err := scanRectification(tx.QueryRow(ctx, `SELECT `+rectificationCols+rectificationFrom+` WHERE r.id = ?`, id))
		if err != nil {
			return err
		}
		r.judge(workday.FormatDate(planNow(ctx)))
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "rectification", EntityID: id,
			RegionCode: ins.RegionCode, After: r}); err != nil {
			return err
		}
		if _, err := notify.ToDepartment(ctx, tx, dept, notify.Notice{Kind: "rectification.demanded",
			Params: rectificationParams(r, ins.Title), Link: "/rectifications/" + id,
			DedupeKey: "rectification.demanded:" + id}); err != nil {
			return err
		}
		out = r
		return jobs.Emit(ctx, tx, "rectification.demanded", rectificationEvent(r))
	})
	return out, err
}

func rectificationParams(r *Rectification, inspection string) map[string]string {
	return map[string]string{"demand": shorten(cleanText(r.Demand), 60), "deadline": r.Deadline, "department": r.DepartmentName,
		"task": r.TaskTitle, "inspection": inspection}
}

func rectificationEvent(r *Rectification) map[string]any {
	return map[string]any{"id": r.ID, "finding_id": r.FindingID, "inspection_id": r.InspectionID, "plan_id": r.PlanID,
		"region_code": r.RegionCode, "task_id": r.TaskID, "department_id": r.DepartmentID, "deadline": r.Deadline,
		"status": r.Status}
}

// lockRectification reads a rectification for a write; who must be the
// office of its region or (when dept is true) staff of its department.
func lockRectification(ctx context.Context, tx *store.Tx, who *auth.User, id string, dept bool) (*Rectification, bool, error) {
	var locked string
	if err := tx.QueryRow(ctx, `SELECT id FROM rectifications WHERE id = ?`+tx.ForUpdate(), id).Scan(&locked); errors.Is(err, sql.ErrNoRows) {
		return nil, false, fielderr.ErrNotFound
	} else if err != nil {
		return nil, false, err
	}
	r, err := scanRectification(tx.QueryRow(ctx, `SELECT `+rectificationCols+rectificationFrom+` WHERE r.id = ?`, id))
	if err != nil {
		return nil, false, err
	}
	office := officeOf(who, r.RegionCode)
	own := staffOf(who, r.RegionCode, r.DepartmentID)
	switch {
	case office:
	case own && dept:
	case own:
		return nil, false, fielderr.ErrForbidden
	default:
		return nil, false, fielderr.ErrNotFound
	}
	return r, office, nil
}

// AddRectificationUpdate adds a follow-up to a rectification. The
// department's own staff may add notes and report it done ("done"); the
// office may add notes and return a reported rectification ("returned"),
// which opens it again. A closed rectification takes no updates.
func AddRectificationUpdate(ctx context.Context, db *store.DB, who *auth.User, rectificationID string, in RectificationUpdateInput) (*Rectification, error) {
	var out *Rectification
	err := db.Tx(ctx, func(tx *store.Tx) error {
		r, office, err := lockRectification(ctx, tx, who, rectificationID, true)
		if err != nil {
			return err
		}
		kind := strings.TrimSpace(in.Kind)
		if kind == "" {
			kind = UpdateNote
		}
		note := cleanLines(in.Note)
		var errs fielderr.List
		own := staffOf(who, r.RegionCode, r.DepartmentID)
		switch kind {
		case UpdateNote:
			fielderr.CheckText(&errs, "note", note, true, RectificationTextMax)
		case UpdateDone:
			if !own {
				return fielderr.ErrForbidden
			}
			fielderr.CheckText(&errs, "note", note, true, RectificationTextMax)
			if r.Status == RectificationReported {
				errs.Add("kind", "rule.rectification.reported")
			}
		case UpdateReturned:
			if !office {
				return fielderr.ErrForbidden
			}
			fielderr.CheckText(&errs, "note", note, true, RectificationTextMax)
			if r.Status != RectificationReported {
				errs.Add("kind", "rule.rectification.not_reported")
			}
		default:
			errs.Add("kind", "rule.rectification.kind")
		}
		if r.Status == RectificationClosed {
			errs = fielderr.List{}
			errs.Add("kind", "rule.rectification.closed")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		before := *r
		now := planNowMs(ctx)
		switch kind {
		case UpdateDone:
			r.Status, r.ReportedAt, r.ReportedBy = RectificationReported, now, who.ID
		case UpdateReturned:
			r.Status, r.ReportedAt, r.ReportedBy = RectificationOpen, 0, ""
		}
		r.UpdatedAt = now
		if _, err := tx.Exec(ctx, `UPDATE rectifications SET status = ?, reported_at = ?, reported_by = ?, updated_at = ? WHERE id = ?`,
			r.Status, nullMs(r.ReportedAt), nullable(r.ReportedBy), r.UpdatedAt, r.ID); err != nil {
			return err
		}
		u := RectificationUpdate{ID: store.NewID(), RectificationID: r.ID, Kind: kind, Note: note, ActorID: who.ID, At: now}
		if _, err := tx.Exec(ctx, `INSERT INTO rectification_updates (id, rectification_id, kind, note, actor_id, at) VALUES (?,?,?,?,?,?)`,
			u.ID, u.RectificationID, u.Kind, u.Note, u.ActorID, u.At); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update:" + kind, Entity: "rectification", EntityID: r.ID,
			RegionCode: r.RegionCode, Before: before, After: map[string]any{"rectification": r, "update": u}}); err != nil {
			return err
		}
		r.judge(workday.FormatDate(planNow(ctx)))
		out = r
		ev := rectificationEvent(r)
		ev["update"] = kind
		return jobs.Emit(ctx, tx, "rectification.updated", ev)
	})
	return out, err
}

// CloseRectification closes a rectification the department reported done.
// Only the office may, and only after that report.
func CloseRectification(ctx context.Context, db *store.DB, who *auth.User, rectificationID, note string) (*Rectification, error) {
	var out *Rectification
	err := db.Tx(ctx, func(tx *store.Tx) error {
		r, office, err := lockRectification(ctx, tx, who, rectificationID, false)
		if err != nil {
			return err
		}
		if !office {
			return fielderr.ErrForbidden
		}
		note = cleanLines(note)
		var errs fielderr.List
		fielderr.CheckText(&errs, "note", note, false, RectificationTextMax)
		switch r.Status {
		case RectificationClosed:
			errs.Add("status", "rule.rectification.closed")
		case RectificationOpen:
			errs.Add("status", "rule.rectification.not_reported")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		before := *r
		now := planNowMs(ctx)
		r.Status, r.ClosedAt, r.ClosedBy, r.UpdatedAt = RectificationClosed, now, who.ID, now
		if _, err := tx.Exec(ctx, `UPDATE rectifications SET status = ?, closed_at = ?, closed_by = ?, updated_at = ? WHERE id = ?`,
			r.Status, r.ClosedAt, r.ClosedBy, r.UpdatedAt, r.ID); err != nil {
			return err
		}
		u := RectificationUpdate{ID: store.NewID(), RectificationID: r.ID, Kind: UpdateClosed, Note: note, ActorID: who.ID, At: now}
		if _, err := tx.Exec(ctx, `INSERT INTO rectification_updates (id, rectification_id, kind, note, actor_id, at) VALUES (?,?,?,?,?,?)`,
			u.ID, u.RectificationID, u.Kind, u.Note, u.ActorID, u.At); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "close", Entity: "rectification", EntityID: r.ID,
			RegionCode: r.RegionCode, Before: before, After: r}); err != nil {
			return err
		}
		r.judge(workday.FormatDate(planNow(ctx)))
		out = r
		return jobs.Emit(ctx, tx, "rectification.closed", rectificationEvent(r))
	})
	return out, err
}

// GetInspection returns a visit with its tasks, draws, findings and
// rectifications (each with its updates; Overdue judged on today). The
// office of the region sees every visit; a department's staff see visits to
// their department.
func GetInspection(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Inspection, error) {
	in, err := scanInspection(q.QueryRow(ctx, `SELECT `+inspectionCols+inspectionFrom+` WHERE i.id = ?`, id))
	if err != nil {
		return nil, err
	}
	if !officeOf(who, in.RegionCode) && !staffOf(who, in.RegionCode, in.DepartmentID) {
		return nil, fielderr.ErrNotFound
	}
	rows, err := q.Query(ctx, `SELECT it.task_id, t.title, COALESCE(t.lead_department_id, ''), t.deadline, t.status, t.percent,
		t.light, it.drawn, COALESCE(it.draw_id, ''), it.added_by, it.added_at
		FROM inspection_tasks it JOIN tasks t ON t.id = it.task_id WHERE it.inspection_id = ? ORDER BY it.added_at, t.seq, t.id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var x InspectionTask
		if err := rows.Scan(&x.TaskID, &x.Title, &x.LeadDepartmentID, &x.Deadline, &x.Status, &x.Progress, &x.Light,
			&x.Drawn, &x.DrawID, &x.AddedBy, &x.AddedAt); err != nil {
			rows.Close()
			return nil, err
		}
		in.Tasks = append(in.Tasks, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT id, seed, n, pool, drawn, drawn_by, at FROM inspection_draws WHERE inspection_id = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		d := InspectionDraw{InspectionID: id}
		var pool, drawn string
		if err := rows.Scan(&d.ID, &d.Seed, &d.N, &pool, &drawn, &d.DrawnBy, &d.At); err != nil {
			rows.Close()
			return nil, err
		}
		d.Pool, d.Drawn = registry.SplitList(pool), registry.SplitList(drawn)
		in.Draws = append(in.Draws, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT f.id, f.inspection_id, COALESCE(f.task_id, ''), COALESCE(t.title, ''), f.content, f.severity,
		f.created_by, f.created_at FROM findings f LEFT JOIN tasks t ON t.id = f.task_id WHERE f.inspection_id = ?
		ORDER BY f.created_at, f.id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var f Finding
		if err := rows.Scan(&f.ID, &f.InspectionID, &f.TaskID, &f.TaskTitle, &f.Content, &f.Severity, &f.CreatedBy, &f.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		in.Findings = append(in.Findings, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	in.Rectifications, err = ListRectifications(ctx, q, who, RectificationFilter{InspectionID: id, Limit: 2000})
	if err != nil {
		return nil, err
	}
	if err := loadRectificationUpdates(ctx, q, in.Rectifications); err != nil {
		return nil, err
	}
	in.TaskCount, in.FindingCount = len(in.Tasks), len(in.Findings)
	for _, r := range in.Rectifications {
		if r.Status != RectificationClosed {
			in.OpenCount++
		}
	}
	return in, nil
}

func loadRectificationUpdates(ctx context.Context, q store.Queryer, rs []Rectification) error {
	if len(rs) == 0 {
		return nil
	}
	idx := map[string]int{}
	ids := make([]any, len(rs))
	for i := range rs {
		idx[rs[i].ID] = i
		ids[i] = rs[i].ID
		rs[i].Updates = []RectificationUpdate{}
	}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(len(ids), start+500)]
		rows, err := q.Query(ctx, `SELECT id, rectification_id, kind, note, actor_id, at FROM rectification_updates
			WHERE rectification_id IN `+valuesList(1, len(part))+` ORDER BY at, id`, part...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var u RectificationUpdate
			if err := rows.Scan(&u.ID, &u.RectificationID, &u.Kind, &u.Note, &u.ActorID, &u.At); err != nil {
				rows.Close()
				return err
			}
			r := &rs[idx[u.RectificationID]]
			r.Updates = append(r.Updates, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// GetRectification returns one rectification with its updates, to the
// office of its region or its department's staff; Overdue is judged on
// today.
func GetRectification(ctx context.Context, q store.Queryer, who *auth.User, id string, today time.Time) (*Rectification, error) {
	r, err := scanRectification(q.QueryRow(ctx, `SELECT `+rectificationCols+rectificationFrom+` WHERE r.id = ?`, id))
	if err != nil {
		return nil, err
	}
	if !officeOf(who, r.RegionCode) && !staffOf(who, r.RegionCode, r.DepartmentID) {
		return nil, fielderr.ErrNotFound
	}
	if today.IsZero() {
		today = planNow(ctx)
	}
	r.judge(workday.FormatDate(today))
	list := []Rectification{*r}
	if err := loadRectificationUpdates(ctx, q, list); err != nil {
		return nil, err
	}
	return &list[0], nil
}

// ListInspections lists visits, newest visit first, with their counts of
// tasks, findings and open rectifications. The office sees its region's;
// a department's staff see the visits to their department.
func ListInspections(ctx context.Context, q store.Queryer, who *auth.User, f InspectionFilter) ([]Inspection, error) {
	cond, args, ok := deptScope(who, "i.region_code", "i.department_id")
	if !ok {
		return nil, fielderr.ErrForbidden
	}
	if f.PlanID != "" {
		cond += ` AND i.plan_id = ?`
		args = append(args, f.PlanID)
	}
	if f.DepartmentID != "" {
		cond += ` AND i.department_id = ?`
		args = append(args, f.DepartmentID)
	}
	if f.Status != "" {
		cond += ` AND i.status = ?`
		args = append(args, f.Status)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	args = append([]any{RectificationClosed}, args...)
	args = append(args, f.Limit, max(0, f.Offset))
	rows, err := q.Query(ctx, `SELECT `+inspectionCols+`,
		(SELECT COUNT(*) FROM inspection_tasks it WHERE it.inspection_id = i.id),
		(SELECT COUNT(*) FROM findings fx WHERE fx.inspection_id = i.id),
		(SELECT COUNT(*) FROM rectifications rx JOIN findings fy ON fy.id = rx.finding_id WHERE fy.inspection_id = i.id AND rx.status <> ?)`+
		inspectionFrom+` WHERE `+cond+` ORDER BY i.visit_date DESC, i.created_at DESC, i.id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Inspection{}
	for rows.Next() {
		var tc, fc, oc int
		in, err := scanInspection(rows, &tc, &fc, &oc)
		if err != nil {
			return nil, err
		}
		in.TaskCount, in.FindingCount, in.OpenCount = tc, fc, oc
		out = append(out, *in)
	}
	return out, rows.Err()
}

// deptScope is the condition on a region-scoped, department-owned table for
// who: the office sees its region (and those under it), staff their own
// department. ok is false for users who see none.
func deptScope(who *auth.User, regionCol, deptCol string) (string, []any, bool) {
	if !active(who) {
		return "", nil, false
	}
	cond, args := regionCol+` LIKE ?`, []any{registry.RegionPrefix(who.RegionCode) + "%"}
	if isOffice(who) {
		return cond, args, true
	}
	if who.DepartmentID == "" {
		return "", nil, false
	}
	return cond + ` AND ` + deptCol + ` = ?`, append(args, who.DepartmentID), true
}

// ListRectifications lists rectifications by deadline, with Overdue judged
// on f.Today. The office sees its region's; a department's staff their own
// department's.
func ListRectifications(ctx context.Context, q store.Queryer, who *auth.User, f RectificationFilter) ([]Rectification, error) {
	cond, args, ok := deptScope(who, "r.region_code", "r.department_id")
	if !ok {
		return nil, fielderr.ErrForbidden
	}
	today := f.Today
	if today.IsZero() {
		today = planNow(ctx)
	}
	day := workday.FormatDate(today)
	if f.PlanID != "" {
		cond += ` AND i.plan_id = ?`
		args = append(args, f.PlanID)
	}
	if f.InspectionID != "" {
		cond += ` AND f.inspection_id = ?`
		args = append(args, f.InspectionID)
	}
	if f.DepartmentID != "" {
		cond += ` AND r.department_id = ?`
		args = append(args, f.DepartmentID)
	}
	if f.Open || f.Overdue {
		cond += ` AND r.status <> ?`
		args = append(args, RectificationClosed)
	}
	if f.Overdue {
		cond += ` AND r.deadline < ?`
		args = append(args, day)
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	f.Limit = min(f.Limit, 2000)
	rows, err := q.Query(ctx, `SELECT `+rectificationCols+rectificationFrom+` WHERE `+cond+
		` ORDER BY r.deadline, r.created_at, r.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Rectification{}
	skip := max(0, f.Offset)
	for rows.Next() {
		r, err := scanRectification(rows)
		if err != nil {
			return nil, err
		}
		r.judge(day)
		// Overdue depends on the report date against the deadline, which
		// is a judgement on dates in Shanghai: filtered here, not in SQL,
		// and so are the page limits.
		if f.Overdue && !r.Overdue {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(out) >= f.Limit {
			break
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// OverdueRectificationTasks returns, for the tasks in region ("" for every
// region) that have an overdue rectification on today, the ID of the most
// overdue one. The light recompute turns those tasks red.
func OverdueRectificationTasks(ctx context.Context, q store.Queryer, region string, today time.Time) (map[string]string, error) {
	day := workday.FormatDate(today)
	query := `SELECT r.id, f.task_id, r.deadline, r.status, COALESCE(r.reported_at, 0) FROM rectifications r
		JOIN findings f ON f.id = r.finding_id WHERE r.status <> ? AND r.deadline < ? AND f.task_id IS NOT NULL`
	args := []any{RectificationClosed, day}
	if region != "" {
		query += ` AND r.region_code = ?`
		args = append(args, region)
	}
	rows, err := q.Query(ctx, query+` ORDER BY r.deadline, r.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, task, deadline, status string
		var reported int64
		if err := rows.Scan(&id, &task, &deadline, &status, &reported); err != nil {
			return nil, err
		}
		if _, have := out[task]; have || !RectificationOverdue(status, deadline, reported, day) {
			continue
		}
		out[task] = id
	}
	return out, rows.Err()
}
