package plan

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/measure"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// TaskInput creates a task under a work point (ItemID) or under another
// task as a sub-task (ParentTaskID, whose item it shares). Fields left empty
// are taken from the parent task, or else from the item: lead and
// supporting departments, responsible leader, deadline, target, weight; an
// empty title takes the item's content.
type TaskInput struct {
	ItemID           string   `json:"item_id"`
	ParentTaskID     string   `json:"parent_task_id"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	LeadDepartmentID string   `json:"lead_department"`
	Supporting       []string `json:"supporting"`
	OwnerID          string   `json:"owner"`
	Leader           string   `json:"leader"`
	StartDate        string   `json:"start_date"`
	Deadline         string   `json:"deadline"`
	Target           string   `json:"target"`
	Weight           float64  `json:"weight"`
	MeasureKey       string   `json:"measure"`
	MeasureTarget    float64  `json:"measure_target"`
	MeasureBaseline  float64  `json:"measure_baseline"`
}

// TaskPatch changes the fields that are not nil. Changing the deadline,
// owner or lead department of a published task needs Reason, and each such
// change is kept in the task's history.
type TaskPatch struct {
	Title            *string   `json:"title,omitempty"`
	Description      *string   `json:"description,omitempty"`
	LeadDepartmentID *string   `json:"lead_department,omitempty"`
	Supporting       *[]string `json:"supporting,omitempty"`
	OwnerID          *string   `json:"owner,omitempty"`
	Leader           *string   `json:"leader,omitempty"`
	StartDate        *string   `json:"start_date,omitempty"`
	Deadline         *string   `json:"deadline,omitempty"`
	Target           *string   `json:"target,omitempty"`
	Weight           *float64  `json:"weight,omitempty"`
	MeasureKey       *string   `json:"measure,omitempty"`
	MeasureTarget    *float64  `json:"measure_target,omitempty"`
	MeasureBaseline  *float64  `json:"measure_baseline,omitempty"`
	Reason           string    `json:"reason,omitempty"`
}

// open reports whether a task is live: published or signed, not yet done.
func (t *Task) open() bool { return t.Status == TaskPublished || t.Status == TaskSigned }

const taskSelect = `SELECT t.id, t.plan_id, t.item_id, COALESCE(t.parent_task_id, ''), t.region_code, t.seq, t.title,
	t.description, COALESCE(t.lead_department_id, ''), COALESCE(d.name, ''), t.supporting, COALESCE(t.owner_id, ''),
	COALESCE(NULLIF(u.name, ''), u.username, ''), t.leader, t.start_date, t.deadline, t.target, t.weight,
	t.measure_key, t.measure_target, t.measure_baseline, t.status, t.percent, COALESCE(t.last_report_at, 0), t.light,
	t.light_cause, COALESCE(t.light_since, 0), t.yellow_streak, t.yellow_period, t.missed_period,
	COALESCE(t.published_at, 0), COALESCE(t.signed_at, 0), COALESCE(t.signed_by, ''), COALESCE(t.done_at, 0),
	COALESCE(t.closed_at, 0), t.created_at, t.updated_at
	FROM tasks t LEFT JOIN departments d ON d.id = t.lead_department_id LEFT JOIN users u ON u.id = t.owner_id`

func scanTask(row interface{ Scan(...any) error }) (*Task, error) {
	var t Task
	var supporting string
	if err := row.Scan(&t.ID, &t.PlanID, &t.ItemID, &t.ParentTaskID, &t.RegionCode, &t.Seq, &t.Title, &t.Description,
		&t.LeadDepartmentID, &t.LeadDepartment, &supporting, &t.OwnerID, &t.OwnerName, &t.Leader, &t.StartDate,
		&t.Deadline, &t.Target, &t.Weight, &t.MeasureKey, &t.MeasureTarget, &t.MeasureBaseline, &t.Status, &t.Progress,
		&t.LastReportAt, &t.Light, &t.LightCause, &t.LightSince, &t.YellowStreak, &t.YellowPeriod, &t.MissedPeriod,
		&t.PublishedAt, &t.SignedAt, &t.SignedBy, &t.DoneAt, &t.ClosedAt, &t.CreatedAt, &t.UpdatedAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fielderr.ErrNotFound
		}
		return nil, err
	}
	t.Supporting = registry.SplitList(supporting)
	return &t, nil
}

// loadTasks runs taskSelect with a condition, order and page (limit 0: all).
func loadTasks(ctx context.Context, q store.Queryer, cond string, args []any, order string, limit, offset int) ([]Task, error) {
	query := taskSelect + ` WHERE ` + cond + ` ORDER BY ` + order
	if limit > 0 {
		query += ` LIMIT ? OFFSET ?`
		args = append(args, limit, max(offset, 0))
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

func getTask(ctx context.Context, q store.Queryer, id string) (*Task, error) {
	return scanTask(q.QueryRow(ctx, taskSelect+` WHERE t.id = ?`, id))
}

// lockTask reads a task for change inside tx.
func lockTask(ctx context.Context, tx *store.Tx, id string) (*Task, error) {
	if tx.Dialect == store.Postgres {
		var x string
		err := tx.QueryRow(ctx, `SELECT id FROM tasks WHERE id = ? FOR UPDATE`, id).Scan(&x)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fielderr.ErrNotFound
		}
		if err != nil {
			return nil, err
		}
	}
	return getTask(ctx, tx, id)
}

// involves reports whether the department leads or supports t.
func (t *Task) involves(dept string) bool {
	return dept != "" && (t.LeadDepartmentID == dept || slices.Contains(t.Supporting, dept))
}

// taskVisible: the office sees every task of its region; a department (its
// officers and inspectors) the published tasks it leads or supports.
func taskVisible(who *auth.User, t *Task) bool {
	if !active(who) || !registry.RegionCovers(who.RegionCode, t.RegionCode) {
		return false
	}
	if isOffice(who) {
		return true
	}
	return t.Status != TaskDraft && t.involves(who.DepartmentID)
}

// GetTask returns a task who may see, or fielderr.ErrNotFound.
func GetTask(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Task, error) {
	t, err := getTask(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if !taskVisible(who, t) {
		return nil, fielderr.ErrNotFound
	}
	return t, nil
}

// checkOwner adds the owner rules: a user, enabled, of the lead department.
func checkOwner(ctx context.Context, q store.Queryer, errs *fielderr.List, owner, lead string) error {
	if owner == "" {
		return nil
	}
	var dept string
	var disabled bool
	err := q.QueryRow(ctx, `SELECT COALESCE(department_id, ''), disabled FROM users WHERE id = ?`, owner).Scan(&dept, &disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		errs.Add("owner", "rule.task.owner_department")
	case err != nil:
		return err
	case lead != "" && dept != lead:
		errs.Add("owner", "rule.task.owner_department")
	case disabled:
		errs.Add("owner", "rule.task.owner_disabled")
	}
	return nil
}

func checkMeasure(errs *fielderr.List, t *Task) {
	if t.MeasureKey == "" {
		t.MeasureTarget, t.MeasureBaseline = 0, 0
		return
	}
	if _, ok := measure.Get(t.MeasureKey); !ok {
		errs.Add("measure", "rule.task.measure_unknown")
	}
	switch {
	case math.IsNaN(t.MeasureBaseline) || t.MeasureBaseline < 0:
		errs.Add("measure_baseline", "rule.range", "min", 0, "max", 1e9)
	case math.IsNaN(t.MeasureTarget) || t.MeasureTarget <= t.MeasureBaseline || t.MeasureTarget > 1e9:
		errs.Add("measure_target", "rule.task.measure_target")
	}
}

// validateTask checks a task's fields against its plan and parent.
func validateTask(ctx context.Context, q store.Queryer, p *Plan, parent *Task, t *Task, errs *fielderr.List) error {
	fielderr.CheckText(errs, "title", t.Title, true, 500)
	fielderr.CheckText(errs, "description", t.Description, false, 5000)
	fielderr.CheckText(errs, "leader", t.Leader, false, 100)
	fielderr.CheckText(errs, "target", t.Target, false, 1000)
	t.StartDate = checkDate(errs, "start_date", t.StartDate)
	t.Deadline = checkDate(errs, "deadline", t.Deadline)
	if t.StartDate != "" && t.Deadline != "" && !errs.Has("start_date") && !errs.Has("deadline") && t.StartDate > t.Deadline {
		errs.Add("start_date", "rule.task.start_after_deadline")
	}
	if parent != nil && parent.Deadline != "" && t.Deadline > parent.Deadline && !errs.Has("deadline") {
		errs.Add("deadline", "rule.task.after_parent", "deadline", parent.Deadline)
	}
	checkWeight(errs, t.Weight)
	checkMeasure(errs, t)
	sup, err := checkDepartments(ctx, q, errs, p.RegionCode, "lead_department", t.LeadDepartmentID, t.Supporting)
	if err != nil {
		return err
	}
	t.Supporting = sup
	if !errs.Has("lead_department") {
		return checkOwner(ctx, q, errs, t.OwnerID, t.LeadDepartmentID)
	}
	return nil
}

// readyToPublish lists what keeps t from being published: exactly one owner
// who is an enabled user of the lead department, and a deadline.
func readyToPublish(ctx context.Context, q store.Queryer, t *Task) (fielderr.List, error) {
	var errs fielderr.List
	if t.LeadDepartmentID == "" {
		errs.Add("lead_department", "rule.required")
	}
	if t.OwnerID == "" {
		errs.Add("owner", "rule.task.owner_required")
	} else if err := checkOwner(ctx, q, &errs, t.OwnerID, t.LeadDepartmentID); err != nil {
		return nil, err
	}
	if t.Deadline == "" {
		errs.Add("deadline", "rule.required")
	}
	return errs, nil
}

func taskSearchKey(t *Task) string { return registry.SearchKey(t.Title + " " + t.Description) }

// setSupporting replaces the task's supporting departments.
func setSupporting(ctx context.Context, tx *store.Tx, t *Task, replace bool) error {
	if replace {
		if _, err := tx.Exec(ctx, `DELETE FROM task_supporting WHERE task_id = ?`, t.ID); err != nil {
			return err
		}
	}
	for _, d := range t.Supporting {
		if _, err := tx.Exec(ctx, `INSERT INTO task_supporting (task_id, department_id) VALUES (?, ?)`, t.ID, d); err != nil {
			return err
		}
	}
	return nil
}

// stored is the part of a task the office edits, as audit records show it.
type storedTask struct {
	Title, Description, LeadDepartmentID, OwnerID, Leader, StartDate, Deadline, Target string
	Supporting                                                                         []string
	Weight, MeasureTarget, MeasureBaseline                                             float64
	MeasureKey, Status                                                                 string
}

func (t *Task) stored() storedTask {
	return storedTask{Title: t.Title, Description: t.Description, LeadDepartmentID: t.LeadDepartmentID, OwnerID: t.OwnerID,
		Leader: t.Leader, StartDate: t.StartDate, Deadline: t.Deadline, Target: t.Target, Supporting: t.Supporting,
		Weight: t.Weight, MeasureKey: t.MeasureKey, MeasureTarget: t.MeasureTarget, MeasureBaseline: t.MeasureBaseline,
		Status: t.Status}
}

func taskEvent(t *Task) map[string]any {
	return map[string]any{"id": t.ID, "plan_id": t.PlanID, "region_code": t.RegionCode,
		"lead_department": t.LeadDepartmentID, "owner": t.OwnerID, "status": t.Status, "deadline": t.Deadline}
}

// CreateTask adds a draft task. Only the office may.
func CreateTask(ctx context.Context, db *store.DB, who *auth.User, in TaskInput) (*Task, error) {
	if !isOffice(who) {
		return nil, fielderr.ErrForbidden
	}
	var id string
	err := db.Tx(ctx, func(tx *store.Tx) error {
		t, err := newTask(ctx, tx, who, in)
		if err != nil {
			return err
		}
		id = t.ID
		return insertTask(ctx, tx, t)
	})
	if err != nil {
		return nil, err
	}
	return getTask(ctx, db, id)
}

// newTask validates in as a new draft task, filling what it leaves empty
// from the parent task or the item.
func newTask(ctx context.Context, tx *store.Tx, who *auth.User, in TaskInput) (*Task, error) {
	var errs fielderr.List
	var parent *Task
	itemID := strings.TrimSpace(in.ItemID)
	if pid := strings.TrimSpace(in.ParentTaskID); pid != "" {
		pt, err := getTask(ctx, tx, pid)
		switch {
		case errors.Is(err, fielderr.ErrNotFound) || err == nil && !registry.RegionCovers(who.RegionCode, pt.RegionCode):
			return nil, fielderr.New("parent_task_id", "rule.task.unknown")
		case err != nil:
			return nil, err
		}
		if itemID != "" && itemID != pt.ItemID {
			errs.Add("item_id", "rule.task.item_mismatch")
		}
		parent, itemID = pt, pt.ItemID
	}
	if itemID == "" {
		return nil, fielderr.New("item_id", "rule.required")
	}
	item, err := getItem(ctx, tx, itemID, "")
	if errors.Is(err, fielderr.ErrNotFound) {
		return nil, fielderr.New("item_id", "rule.item.unknown")
	} else if err != nil {
		return nil, err
	}
	p, err := writablePlan(ctx, tx, who, item.PlanID)
	if errors.Is(err, fielderr.ErrNotFound) {
		return nil, fielderr.New("item_id", "rule.item.unknown")
	} else if err != nil {
		return nil, err
	}
	now := planNowMs(ctx)
	t := &Task{ID: store.NewID(), PlanID: p.ID, ItemID: item.ID, RegionCode: p.RegionCode, Title: cleanText(in.Title),
		Description: cleanNote(in.Description), LeadDepartmentID: strings.TrimSpace(in.LeadDepartmentID),
		Supporting: in.Supporting, OwnerID: strings.TrimSpace(in.OwnerID), Leader: cleanText(in.Leader),
		StartDate: in.StartDate, Deadline: strings.TrimSpace(in.Deadline), Target: cleanNote(in.Target), Weight: in.Weight,
		MeasureKey: strings.TrimSpace(in.MeasureKey), MeasureTarget: in.MeasureTarget, MeasureBaseline: in.MeasureBaseline,
		Status: TaskDraft, CreatedAt: now, UpdatedAt: now}
	// Inherit from the parent task, or else the item.
	from := struct {
		title, lead, leader, deadline, target string
		supporting                            []string
		weight                                float64
	}{item.Content, item.LeadDepartmentID, item.Leader, item.Deadline, item.Target, item.Supporting, item.Weight}
	if parent != nil {
		t.ParentTaskID = parent.ID
		from.title, from.lead, from.leader, from.deadline, from.target = parent.Title, parent.LeadDepartmentID, parent.Leader, parent.Deadline, parent.Target
		from.supporting, from.weight = parent.Supporting, 0
	}
	if t.Title == "" {
		t.Title = cleanText(from.title)
		if r := []rune(t.Title); len(r) > 500 {
			t.Title = string(r[:500])
		}
	}
	if t.LeadDepartmentID == "" {
		t.LeadDepartmentID = from.lead
		if in.Supporting == nil {
			t.Supporting = from.supporting
		}
	}
	if t.Leader == "" {
		t.Leader = from.leader
	}
	if t.Deadline == "" {
		t.Deadline = from.deadline
	}
	if t.Target == "" {
		t.Target = from.target
	}
	if t.Weight == 0 {
		t.Weight = from.weight
	}
	if err := validateTask(ctx, tx, p, parent, t, &errs); err != nil {
		return nil, err
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks WHERE plan_id = ?`, p.ID).Scan(&t.Seq); err != nil {
		return nil, err
	}
	return t, nil
}

func insertTask(ctx context.Context, tx *store.Tx, t *Task) error {
	if _, err := tx.Exec(ctx, `INSERT INTO tasks (id, plan_id, item_id, parent_task_id, region_code, seq, title, description,
		lead_department_id, supporting, owner_id, leader, start_date, deadline, target, weight, measure_key,
		measure_target, measure_baseline, status, search_key, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.PlanID, t.ItemID, nullable(t.ParentTaskID), t.RegionCode, t.Seq, t.Title, t.Description,
		nullable(t.LeadDepartmentID), strings.Join(t.Supporting, ","), nullable(t.OwnerID), t.Leader, t.StartDate,
		t.Deadline, t.Target, t.Weight, t.MeasureKey, t.MeasureTarget, t.MeasureBaseline, t.Status, taskSearchKey(t),
		t.CreatedAt, t.UpdatedAt); err != nil {
		return err
	}
	if err := setSupporting(ctx, tx, t, false); err != nil {
		return err
	}
	if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "task", EntityID: t.ID,
		RegionCode: t.RegionCode, After: t.stored()}); err != nil {
		return err
	}
	return jobs.Emit(ctx, tx, "task.created", taskEvent(t))
}

// writableTask loads a task for change by the office inside tx.
func writableTask(ctx context.Context, tx *store.Tx, who *auth.User, id string) (*Task, *Plan, error) {
	if !isOffice(who) {
		return nil, nil, fielderr.ErrForbidden
	}
	t, err := lockTask(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	if !registry.RegionCovers(who.RegionCode, t.RegionCode) {
		return nil, nil, fielderr.ErrNotFound
	}
	if t.Status == TaskClosed {
		return nil, nil, fielderr.New("task", "rule.task.closed")
	}
	p, err := writablePlan(ctx, tx, who, t.PlanID)
	if err != nil {
		return nil, nil, err
	}
	return t, p, nil
}

// UpdateTask changes the fields given in patch. Only the office may. On a
// published task the owner and deadline must stay set, and a change of
// deadline, owner or lead department needs patch.Reason; each is recorded
// in the task's history (TaskHistory) and the light is evaluated again.
func UpdateTask(ctx context.Context, db *store.DB, who *auth.User, id string, patch TaskPatch) (*Task, error) {
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, p, err := writableTask(ctx, tx, who, id)
		if err != nil {
			return err
		}
		t := *before
		set := func(dst *string, src *string, clean func(string) string) {
			if src != nil {
				*dst = clean(*src)
			}
		}
		set(&t.Title, patch.Title, cleanText)
		set(&t.Description, patch.Description, cleanNote)
		set(&t.LeadDepartmentID, patch.LeadDepartmentID, strings.TrimSpace)
		set(&t.OwnerID, patch.OwnerID, strings.TrimSpace)
		set(&t.Leader, patch.Leader, cleanText)
		set(&t.StartDate, patch.StartDate, strings.TrimSpace)
		set(&t.Deadline, patch.Deadline, strings.TrimSpace)
		set(&t.Target, patch.Target, cleanNote)
		set(&t.MeasureKey, patch.MeasureKey, strings.TrimSpace)
		if patch.Supporting != nil {
			t.Supporting = *patch.Supporting
		}
		if patch.Weight != nil {
			t.Weight = *patch.Weight
		}
		if patch.MeasureTarget != nil {
			t.MeasureTarget = *patch.MeasureTarget
		}
		if patch.MeasureBaseline != nil {
			t.MeasureBaseline = *patch.MeasureBaseline
		}
		var parent *Task
		if t.ParentTaskID != "" {
			if parent, err = getTask(ctx, tx, t.ParentTaskID); err != nil {
				return err
			}
		}
		var errs fielderr.List
		if err := validateTask(ctx, tx, p, parent, &t, &errs); err != nil {
			return err
		}
		published := before.Status != TaskDraft
		reason := cleanNote(patch.Reason)
		type change struct{ field, old, new string }
		var changes []change
		if published {
			if t.OwnerID == "" {
				errs.Add("owner", "rule.task.owner_required")
			}
			if t.Deadline == "" && !errs.Has("deadline") {
				errs.Add("deadline", "rule.required")
			}
			if t.LeadDepartmentID == "" && !errs.Has("lead_department") {
				errs.Add("lead_department", "rule.required")
			}
			for _, c := range []change{{"deadline", before.Deadline, t.Deadline}, {"owner", before.OwnerID, t.OwnerID},
				{"lead_department", before.LeadDepartmentID, t.LeadDepartmentID}} {
				if c.old != c.new {
					changes = append(changes, c)
				}
			}
			if len(changes) > 0 && reason == "" {
				errs.Add("reason", "rule.task.change_reason")
			}
			fielderr.CheckText(&errs, "reason", reason, false, 1000)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if sameStored(before.stored(), t.stored()) {
			return nil
		}
		now := planNowMs(ctx)
		t.UpdatedAt = now
		if _, err := tx.Exec(ctx, `UPDATE tasks SET title = ?, description = ?, lead_department_id = ?, supporting = ?,
			owner_id = ?, leader = ?, start_date = ?, deadline = ?, target = ?, weight = ?, measure_key = ?,
			measure_target = ?, measure_baseline = ?, search_key = ?, updated_at = ? WHERE id = ?`,
			t.Title, t.Description, nullable(t.LeadDepartmentID), strings.Join(t.Supporting, ","), nullable(t.OwnerID),
			t.Leader, t.StartDate, t.Deadline, t.Target, t.Weight, t.MeasureKey, t.MeasureTarget, t.MeasureBaseline,
			taskSearchKey(&t), t.UpdatedAt, t.ID); err != nil {
			return err
		}
		if strings.Join(before.Supporting, ",") != strings.Join(t.Supporting, ",") {
			if err := setSupporting(ctx, tx, &t, true); err != nil {
				return err
			}
		}
		actor := audit.ActorFrom(ctx)
		for _, c := range changes {
			if _, err := tx.Exec(ctx, `INSERT INTO task_changes (id, task_id, field, old_value, new_value, reason, actor_id, at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, store.NewID(), t.ID, c.field, c.old, c.new, reason, actorID(who, actor), now); err != nil {
				return err
			}
		}
		after := struct {
			storedTask
			Reason string `json:",omitempty"`
		}{t.stored(), reason}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "task", EntityID: t.ID,
			RegionCode: t.RegionCode, Before: before.stored(), After: after}); err != nil {
			return err
		}
		ev := taskEvent(&t)
		if len(changes) > 0 {
			fields := make([]string, len(changes))
			for i, c := range changes {
				fields[i] = c.field
			}
			ev["changed"] = fields
		}
		if err := jobs.Emit(ctx, tx, "task.updated", ev); err != nil {
			return err
		}
		if t.open() {
			return refreshTask(ctx, tx, t.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return getTask(ctx, db, id)
}

func sameStored(a, b storedTask) bool {
	return a.Title == b.Title && a.Description == b.Description && a.LeadDepartmentID == b.LeadDepartmentID &&
		a.OwnerID == b.OwnerID && a.Leader == b.Leader && a.StartDate == b.StartDate && a.Deadline == b.Deadline &&
		a.Target == b.Target && slices.Equal(a.Supporting, b.Supporting) && a.Weight == b.Weight &&
		a.MeasureKey == b.MeasureKey && a.MeasureTarget == b.MeasureTarget && a.MeasureBaseline == b.MeasureBaseline &&
		a.Status == b.Status
}

// actorID names who made a change: the signed-in user, else the context's
// actor (a job).
func actorID(who *auth.User, a audit.Actor) string {
	if who != nil && who.ID != "" {
		return who.ID
	}
	return a.ID
}

// publisher publishes tasks of one plan inside a transaction.
type publisher struct {
	plan  *Plan
	today string
}

func newPublisher(ctx context.Context, p *Plan) *publisher {
	return &publisher{plan: p, today: workday.FormatDate(planToday(ctx))}
}

// publish sends a ready draft task out: it starts today unless it has a
// start date, and gets its first light at once.
func (pb *publisher) publish(ctx context.Context, tx *store.Tx, t *Task) error {
	before := t.stored()
	now := planNowMs(ctx)
	t.Status, t.PublishedAt, t.UpdatedAt = TaskPublished, now, now
	if t.StartDate == "" {
		t.StartDate = pb.today
		if t.Deadline != "" && t.StartDate > t.Deadline {
			t.StartDate = t.Deadline
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE tasks SET status = ?, published_at = ?, start_date = ?, updated_at = ? WHERE id = ?`,
		t.Status, t.PublishedAt, t.StartDate, t.UpdatedAt, t.ID); err != nil {
		return err
	}
	if err := audit.Write(ctx, tx, audit.Entry{Action: "publish", Entity: "task", EntityID: t.ID,
		RegionCode: t.RegionCode, Before: before, After: t.stored()}); err != nil {
		return err
	}
	if err := jobs.Emit(ctx, tx, "task.published", taskEvent(t)); err != nil {
		return err
	}
	return refreshTask(ctx, tx, t.ID)
}

// PublishTask publishes a draft task of a published plan. It is refused
// (fielderr on "owner", "deadline", "lead_department") unless the task has
// exactly one owner who is an enabled user of its lead department, and a
// deadline. Publishing a published task again changes nothing.
func PublishTask(ctx context.Context, db *store.DB, who *auth.User, id string) (*Task, error) {
	err := db.Tx(ctx, func(tx *store.Tx) error {
		t, p, err := writableTask(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if t.Status != TaskDraft {
			return nil
		}
		errs, err := readyToPublish(ctx, tx, t)
		if err != nil {
			return err
		}
		if p.Status != PlanPublished {
			errs.Add("plan", "rule.plan.draft")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		return newPublisher(ctx, p).publish(ctx, tx, t)
	})
	if err != nil {
		return nil, err
	}
	return getTask(ctx, db, id)
}

// departmentTask loads a task for an action of its lead department (signing,
// reporting): a task who cannot see is fielderr.ErrNotFound; one who sees
// but does not lead is refused on "task" with rule.task.other_department, as
// are tasks of another department of the same region.
func departmentTask(ctx context.Context, tx *store.Tx, who *auth.User, id string) (*Task, error) {
	if !active(who) {
		return nil, fielderr.ErrForbidden
	}
	t, err := lockTask(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !registry.RegionCovers(who.RegionCode, t.RegionCode) || (t.Status == TaskDraft && !isOffice(who)) {
		return nil, fielderr.ErrNotFound
	}
	if who.DepartmentID == "" || t.LeadDepartmentID != who.DepartmentID {
		return nil, fielderr.New("task", "rule.task.other_department")
	}
	switch t.Status {
	case TaskDraft:
		return nil, fielderr.New("task", "rule.task.not_published")
	case TaskClosed:
		return nil, fielderr.New("task", "rule.task.closed")
	}
	return t, nil
}

// SignTask records that the lead department has received the task (签收).
// Only a user of the lead department may; signing a task signed already, or
// done, changes nothing.
func SignTask(ctx context.Context, db *store.DB, who *auth.User, id string) (*Task, error) {
	err := db.Tx(ctx, func(tx *store.Tx) error {
		t, err := departmentTask(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if t.Status != TaskPublished {
			return nil
		}
		return sign(ctx, tx, who, t)
	})
	if err != nil {
		return nil, err
	}
	return getTask(ctx, db, id)
}

func sign(ctx context.Context, tx *store.Tx, who *auth.User, t *Task) error {
	now := planNowMs(ctx)
	if _, err := tx.Exec(ctx, `UPDATE tasks SET status = ?, signed_at = ?, signed_by = ?, updated_at = ? WHERE id = ?`,
		TaskSigned, now, who.ID, now, t.ID); err != nil {
		return err
	}
	before := t.stored()
	t.Status, t.SignedAt, t.SignedBy = TaskSigned, now, who.ID
	if err := audit.Write(ctx, tx, audit.Entry{Action: "sign", Entity: "task", EntityID: t.ID,
		RegionCode: t.RegionCode, Before: before, After: t.stored()}); err != nil {
		return err
	}
	return jobs.Emit(ctx, tx, "task.signed", taskEvent(t))
}

// CloseTask closes a done task (办结) after the office has checked it. Only
// the office may; a task not done yet is refused on "task".
func CloseTask(ctx context.Context, db *store.DB, who *auth.User, id string) (*Task, error) {
	err := db.Tx(ctx, func(tx *store.Tx) error {
		t, _, err := writableTask(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if t.Status != TaskDone {
			return fielderr.New("task", "rule.task.not_done")
		}
		before := t.stored()
		now := planNowMs(ctx)
		if _, err := tx.Exec(ctx, `UPDATE tasks SET status = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
			TaskClosed, now, now, t.ID); err != nil {
			return err
		}
		t.Status, t.ClosedAt = TaskClosed, now
		if err := audit.Write(ctx, tx, audit.Entry{Action: "close", Entity: "task", EntityID: t.ID,
			RegionCode: t.RegionCode, Before: before, After: t.stored()}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "task.closed", taskEvent(t))
	})
	if err != nil {
		return nil, err
	}
	return getTask(ctx, db, id)
}

// TaskHistory lists the recorded changes of a task's deadline, owner and
// lead department, oldest first, with the names of the people and
// departments involved.
func TaskHistory(ctx context.Context, q store.Queryer, who *auth.User, taskID string) ([]Change, error) {
	if _, err := GetTask(ctx, q, who, taskID); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT c.id, c.task_id, c.field, c.old_value, c.new_value, c.reason, c.actor_id,
		COALESCE(NULLIF(u.name, ''), u.username, ''),
		COALESCE(CASE c.field WHEN 'owner' THEN (SELECT COALESCE(NULLIF(x.name, ''), x.username) FROM users x WHERE x.id = c.old_value)
			WHEN 'lead_department' THEN (SELECT x.name FROM departments x WHERE x.id = c.old_value) END, ''),
		COALESCE(CASE c.field WHEN 'owner' THEN (SELECT COALESCE(NULLIF(x.name, ''), x.username) FROM users x WHERE x.id = c.new_value)
			WHEN 'lead_department' THEN (SELECT x.name FROM departments x WHERE x.id = c.new_value) END, ''),
		c.at
		FROM task_changes c LEFT JOIN users u ON u.id = c.actor_id WHERE c.task_id = ? ORDER BY c.at, c.id`, taskID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.ID, &c.TaskID, &c.Field, &c.Old, &c.New, &c.Reason, &c.ActorID, &c.ActorName, &c.OldName, &c.NewName, &c.At); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LightHistory lists every change of a task's light with its cause, oldest
// first.
func LightHistory(ctx context.Context, q store.Queryer, who *auth.User, taskID string) ([]LightChange, error) {
	if _, err := GetTask(ctx, q, who, taskID); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT task_id, light, previous, cause, params, day, at FROM task_lights
		WHERE task_id = ? ORDER BY at, id`, taskID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LightChange{}
	for rows.Next() {
		var c LightChange
		var params string
		if err := rows.Scan(&c.TaskID, &c.Light, &c.Previous, &c.Cause, &params, &c.Day, &c.At); err != nil {
			return nil, err
		}
		c.Params = decodeParams(params)
		out = append(out, c)
	}
	return out, rows.Err()
}
