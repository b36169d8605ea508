package lab

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Sample kinds: the regime the product falls under decides the objection
// window (domain-cn.md §6.2).
const (
	KindFood    = "food"    // 食品安全法 第八十八条: 7 working days
	KindProduct = "product" // 产品质量法 第十五条: 15 days
)

// Task states.
const (
	TaskOpen   = "open"
	TaskClosed = "closed"
)

// Task is a sampling task (抽检任务): what to sample, where, by whom.
type Task struct {
	ID            string   `json:"id"`
	RegionCode    string   `json:"region_code"`
	Title         string   `json:"title"`
	Category      string   `json:"category"`
	Kind          string   `json:"kind"`
	Items         []string `json:"items"`
	DepartmentID  string   `json:"department_id"`
	InstitutionID string   `json:"institution_id"`
	Institution   string   `json:"institution_name,omitempty"`
	PeriodFrom    string   `json:"period_from"`
	PeriodTo      string   `json:"period_to"`
	PlanTaskID    string   `json:"plan_task_id,omitempty"`
	PlanRef       string   `json:"plan_ref,omitempty"`
	Enterprises   []string `json:"enterprise_ids"`
	Status        string   `json:"status"`
	CreatedBy     string   `json:"created_by"`
	CreatedAt     int64    `json:"created_at"`
	UpdatedAt     int64    `json:"updated_at"`
}

// TaskInput sets a sampling task. The department is the official's own.
// Enterprises, when given, are the targets (drawn by 双随机 or chosen):
// samples of the task come only from them.
type TaskInput struct {
	Title         string   `json:"title"`
	Category      string   `json:"category"`
	Kind          string   `json:"kind"`
	Items         []string `json:"items"`
	InstitutionID string   `json:"institution_id"`
	PeriodFrom    string   `json:"period_from"`
	PeriodTo      string   `json:"period_to"`
	PlanTaskID    string   `json:"plan_task_id"`
	PlanRef       string   `json:"plan_ref"`
	Enterprises   []string `json:"enterprise_ids"`
}

func checkKind(errs *fielderr.List, field, kind string) {
	switch kind {
	case KindFood, KindProduct:
	case "":
		errs.Add(field, "rule.required")
	default:
		errs.Add(field, "rule.choice")
	}
}

// cleanList trims a list of names, drops blanks and repeats (folded).
func cleanList(in []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[fold(s)] {
			continue
		}
		seen[fold(s)] = true
		out = append(out, s)
	}
	return out
}

// CreateSamplingTask sets a task (admin and officers) for the official's
// department. The institution must be registered in the region and active.
func CreateSamplingTask(ctx context.Context, db *store.DB, who *auth.User, in TaskInput) (*Task, error) {
	if !isManager(who) || who.DepartmentID == "" {
		return nil, fielderr.ErrForbidden
	}
	now := nowOf(ctx).UnixMilli()
	t := &Task{ID: store.NewID(), RegionCode: who.RegionCode, Title: strings.TrimSpace(in.Title),
		Category: strings.TrimSpace(in.Category), Kind: strings.TrimSpace(in.Kind), Items: cleanList(in.Items),
		DepartmentID: who.DepartmentID, InstitutionID: strings.TrimSpace(in.InstitutionID),
		PeriodFrom: strings.TrimSpace(in.PeriodFrom), PeriodTo: strings.TrimSpace(in.PeriodTo),
		PlanTaskID: strings.TrimSpace(in.PlanTaskID), PlanRef: strings.TrimSpace(in.PlanRef),
		Enterprises: cleanList(in.Enterprises), Status: TaskOpen, CreatedBy: who.ID, CreatedAt: now, UpdatedAt: now}
	var errs fielderr.List
	fielderr.CheckText(&errs, "title", t.Title, true, MaxName)
	fielderr.CheckText(&errs, "category", t.Category, true, MaxText)
	checkKind(&errs, "kind", t.Kind)
	if len(t.Items) == 0 {
		errs.Add("items", "rule.required")
	} else if len(t.Items) > MaxItems {
		errs.Add("items", "rule.lab.too_many", "max", MaxItems)
	}
	for i, it := range t.Items {
		fielderr.CheckText(&errs, fmt.Sprintf("items[%d]", i), it, true, MaxText)
	}
	checkDate(&errs, "period_from", t.PeriodFrom, true)
	checkDate(&errs, "period_to", t.PeriodTo, true)
	if !errs.Has("period_from") && !errs.Has("period_to") && t.PeriodTo < t.PeriodFrom {
		errs.Add("period_to", "rule.lab.dates")
	}
	fielderr.CheckText(&errs, "plan_ref", t.PlanRef, false, MaxText)
	if t.InstitutionID == "" {
		errs.Add("institution_id", "rule.required")
	} else {
		inst, err := loadInstitution(ctx, db, t.InstitutionID, "")
		switch {
		case errors.Is(err, fielderr.ErrNotFound) || err == nil && !registry.RegionCovers(who.RegionCode, inst.RegionCode):
			errs.Add("institution_id", "rule.lab.institution_unknown")
		case err != nil:
			return nil, err
		case inst.Status != InstitutionActive:
			errs.Add("institution_id", "rule.lab.institution_inactive")
		default:
			t.Institution = inst.Name
		}
	}
	if t.PlanTaskID != "" {
		var region string
		err := db.QueryRow(ctx, `SELECT region_code FROM tasks WHERE id = ?`, t.PlanTaskID).Scan(&region)
		switch {
		case errors.Is(err, sql.ErrNoRows) || err == nil && !registry.RegionCovers(who.RegionCode, region):
			errs.Add("plan_task_id", "rule.task.unknown")
		case err != nil:
			return nil, err
		}
	}
	for i, id := range t.Enterprises {
		var region string
		err := db.QueryRow(ctx, `SELECT region_code FROM enterprises WHERE id = ?`, id).Scan(&region)
		switch {
		case errors.Is(err, sql.ErrNoRows) || err == nil && !registry.RegionCovers(who.RegionCode, region):
			errs.Add(fmt.Sprintf("enterprise_ids[%d]", i), "rule.enterprise.unknown")
		case err != nil:
			return nil, err
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	items, _ := json.Marshal(t.Items)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO lab_tasks (id, region_code, title, category, kind, items, department_id,
			institution_id, period_from, period_to, plan_task_id, plan_ref, status, created_by, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			t.ID, t.RegionCode, t.Title, t.Category, t.Kind, string(items), t.DepartmentID, t.InstitutionID, t.PeriodFrom,
			t.PeriodTo, t.PlanTaskID, t.PlanRef, t.Status, t.CreatedBy, t.CreatedAt, t.UpdatedAt); err != nil {
			return err
		}
		for _, e := range t.Enterprises {
			if _, err := tx.Exec(ctx, `INSERT INTO lab_task_enterprises (task_id, enterprise_id) VALUES (?, ?)`, t.ID, e); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "lab_task", EntityID: t.ID, RegionCode: t.RegionCode,
			After: t})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

const taskCols = `t.id, t.region_code, t.title, t.category, t.kind, t.items, t.department_id, t.institution_id,
	COALESCE(i.name, ''), t.period_from, t.period_to, t.plan_task_id, t.plan_ref, t.status, t.created_by, t.created_at, t.updated_at`

const taskFrom = ` FROM lab_tasks t LEFT JOIN lab_institutions i ON i.id = t.institution_id`

func scanTask(row scanner) (*Task, error) {
	var t Task
	var items string
	if err := row.Scan(&t.ID, &t.RegionCode, &t.Title, &t.Category, &t.Kind, &items, &t.DepartmentID, &t.InstitutionID,
		&t.Institution, &t.PeriodFrom, &t.PeriodTo, &t.PlanTaskID, &t.PlanRef, &t.Status, &t.CreatedBy, &t.CreatedAt,
		&t.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(items), &t.Items); err != nil {
		return nil, fmt.Errorf("lab task %s items: %w", t.ID, err)
	}
	return &t, nil
}

func loadTask(ctx context.Context, q store.Queryer, id string) (*Task, error) {
	t, err := scanTask(q.QueryRow(ctx, `SELECT `+taskCols+taskFrom+` WHERE t.id = ?`, id))
	if err != nil {
		return nil, err
	}
	es, err := store.Column[string](ctx, q, `SELECT enterprise_id FROM lab_task_enterprises WHERE task_id = ? ORDER BY enterprise_id`, id)
	if err != nil {
		return nil, err
	}
	t.Enterprises = append([]string{}, es...)
	return t, nil
}

// canSeeTask: officials of the region and the assigned institution. An
// enterprise never sees a task: a spot check is not announced.
func canSeeTask(who *auth.User, t *Task) bool {
	return inRegion(who, t.RegionCode) || institutionOf(who) != "" && institutionOf(who) == t.InstitutionID
}

// GetSamplingTask returns a task with its target enterprises.
func GetSamplingTask(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Task, error) {
	t, err := loadTask(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if !canSeeTask(who, t) {
		return nil, fielderr.ErrNotFound
	}
	return t, nil
}

// ListSamplingTasks lists the tasks an official's region holds, or those
// assigned to the user's institution, newest first.
func ListSamplingTasks(ctx context.Context, q store.Queryer, who *auth.User) ([]Task, error) {
	var cond string
	var args []any
	switch {
	case isOfficial(who):
		cond, args = registry.RegionScopeSQL("t.region_code", who.RegionCode)
	case institutionOf(who) != "":
		cond, args = "t.institution_id = ?", []any{institutionOf(who)}
	default:
		return nil, fielderr.ErrForbidden
	}
	rows, err := q.Query(ctx, `SELECT `+taskCols+taskFrom+` WHERE `+cond+` ORDER BY t.created_at DESC, t.id DESC LIMIT 500`, args...)
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

// CloseSamplingTask closes a task of the official's region: no more
// samples are recorded under it; those recorded go on to their reports.
func CloseSamplingTask(ctx context.Context, db *store.DB, who *auth.User, id string) (*Task, error) {
	if !isManager(who) {
		return nil, fielderr.ErrForbidden
	}
	var out *Task
	err := db.Tx(ctx, func(tx *store.Tx) error {
		t, err := loadTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if !inRegion(who, t.RegionCode) {
			return fielderr.ErrNotFound
		}
		if t.Status == TaskClosed {
			return fielderr.New("task", "rule.lab.task_closed")
		}
		t.Status, t.UpdatedAt = TaskClosed, nowOf(ctx).UnixMilli()
		res, err := tx.Exec(ctx, `UPDATE lab_tasks SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
			TaskClosed, t.UpdatedAt, t.ID, TaskOpen)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fielderr.New("task", "rule.lab.task_closed"))
		}
		out = t
		return audit.Write(ctx, tx, audit.Entry{Action: "close", Entity: "lab_task", EntityID: t.ID, RegionCode: t.RegionCode,
			Before: TaskOpen, After: TaskClosed})
	})
	return out, err
}
