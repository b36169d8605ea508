package plan

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"sort"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// MaxItemLevel is the deepest level of a plan document's hierarchy
// (一、 (一) 1. (1) ①).
const MaxItemLevel = 5

// ItemInput adds a work point. Level follows from the parent (1 without
// one); Seq places it among its siblings (0: after the last).
type ItemInput struct {
	ParentID         string   `json:"parent_id"`
	Seq              int      `json:"seq"`
	Label            string   `json:"label"`
	Content          string   `json:"content"`
	LeadDepartmentID string   `json:"lead_department_id"`
	Supporting       []string `json:"supporting"`
	Leader           string   `json:"leader"`
	Deadline         string   `json:"deadline"`
	Target           string   `json:"target"`
	Weight           float64  `json:"weight"`
}

// ItemPatch changes the fields that are not nil.
type ItemPatch struct {
	Seq              *int      `json:"seq,omitempty"`
	Label            *string   `json:"label,omitempty"`
	Content          *string   `json:"content,omitempty"`
	LeadDepartmentID *string   `json:"lead_department_id,omitempty"`
	Supporting       *[]string `json:"supporting,omitempty"`
	Leader           *string   `json:"leader,omitempty"`
	Deadline         *string   `json:"deadline,omitempty"`
	Target           *string   `json:"target,omitempty"`
	Weight           *float64  `json:"weight,omitempty"`
}

const itemCols = `id, plan_id, COALESCE(parent_id, ''), seq, label, level, content, COALESCE(lead_department_id, ''),
	supporting, leader, deadline, target, weight`

func scanItem(row interface{ Scan(...any) error }) (*Item, error) {
	var it Item
	var supporting string
	if err := row.Scan(&it.ID, &it.PlanID, &it.ParentID, &it.Seq, &it.Label, &it.Level, &it.Content,
		&it.LeadDepartmentID, &supporting, &it.Leader, &it.Deadline, &it.Target, &it.Weight); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fielderr.ErrNotFound
		}
		return nil, err
	}
	it.Supporting = registry.SplitList(supporting)
	return &it, nil
}

// checkDepartments validates a lead department and supporting departments
// against the plan's region. It returns the supporting list without
// repeats and without the lead.
func checkDepartments(ctx context.Context, q store.Queryer, errs *fielderr.List, region, leadField, lead string, supporting []string) ([]string, error) {
	ids := append([]string{}, supporting...)
	if lead != "" {
		ids = append(ids, lead)
	}
	known := map[string]bool{}
	if len(ids) > 0 {
		rows, err := q.Query(ctx, `SELECT id FROM departments WHERE region_code = ? AND id IN `+
			valuesList(1, len(ids)), append([]any{region}, store.Args(ids)...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			known[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if lead != "" && !known[lead] {
		errs.Add(leadField, "rule.department.unknown")
	}
	out := []string{}
	seen := map[string]bool{lead: true}
	for _, id := range supporting {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if !known[id] {
			errs.Add("supporting", "rule.department.unknown", "value", id)
			continue
		}
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

func checkWeight(errs *fielderr.List, w float64) {
	if w < 0 || w > 1000 || math.IsNaN(w) {
		errs.Add("weight", "rule.range", "min", 0, "max", 1000)
	}
}

func validateItem(ctx context.Context, q store.Queryer, p *Plan, it *Item, errs *fielderr.List) error {
	fielderr.CheckText(errs, "label", it.Label, false, 20)
	fielderr.CheckText(errs, "content", it.Content, true, 2000)
	fielderr.CheckText(errs, "leader", it.Leader, false, 100)
	fielderr.CheckText(errs, "target", it.Target, false, 1000)
	it.Deadline = checkDate(errs, "deadline", it.Deadline)
	checkWeight(errs, it.Weight)
	sup, err := checkDepartments(ctx, q, errs, p.RegionCode, "lead_department_id", it.LeadDepartmentID, it.Supporting)
	it.Supporting = sup
	return err
}

func getItem(ctx context.Context, q store.Queryer, id, lock string) (*Item, error) {
	return scanItem(q.QueryRow(ctx, `SELECT `+itemCols+` FROM plan_items WHERE id = ?`+lock, id))
}

// AddItem adds a work point to a plan, under in.ParentID when given. Only
// the office may.
func AddItem(ctx context.Context, db *store.DB, who *auth.User, planID string, in ItemInput) (*Item, error) {
	var out *Item
	err := db.Tx(ctx, func(tx *store.Tx) error {
		p, err := writablePlan(ctx, tx, who, planID)
		if err != nil {
			return err
		}
		it, err := newItem(ctx, tx, p, in)
		if err != nil {
			return err
		}
		if err := insertItem(ctx, tx, p, it); err != nil {
			return err
		}
		out = it
		return nil
	})
	return out, err
}

// newItem validates in as a new item of plan p.
func newItem(ctx context.Context, tx *store.Tx, p *Plan, in ItemInput) (*Item, error) {
	it := &Item{ID: store.NewID(), PlanID: p.ID, ParentID: strings.TrimSpace(in.ParentID), Seq: in.Seq,
		Label: cleanText(in.Label), Level: 1, Content: cleanNote(in.Content), LeadDepartmentID: strings.TrimSpace(in.LeadDepartmentID),
		Supporting: in.Supporting, Leader: cleanText(in.Leader), Deadline: in.Deadline, Target: cleanNote(in.Target), Weight: in.Weight}
	var errs fielderr.List
	if it.ParentID != "" {
		parent, err := getItem(ctx, tx, it.ParentID, "")
		switch {
		case errors.Is(err, fielderr.ErrNotFound) || err == nil && parent.PlanID != p.ID:
			errs.Add("parent_id", "rule.item.unknown")
		case err != nil:
			return nil, err
		case parent.Level >= MaxItemLevel:
			errs.Add("parent_id", "rule.item.too_deep", "max", MaxItemLevel)
		default:
			it.Level = parent.Level + 1
		}
	}
	if err := validateItem(ctx, tx, p, it, &errs); err != nil {
		return nil, err
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if it.Seq <= 0 {
		var last int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM plan_items WHERE plan_id = ? AND COALESCE(parent_id, '') = ?`,
			p.ID, it.ParentID).Scan(&last); err != nil {
			return nil, err
		}
		it.Seq = last + 1
	}
	return it, nil
}

// storeItem writes the row of a new work point of p, created at now.
func storeItem(ctx context.Context, tx *store.Tx, p *Plan, it *Item, now int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO plan_items (id, plan_id, parent_id, region_code, seq, label, level, content,
		lead_department_id, supporting, leader, deadline, target, weight, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		it.ID, it.PlanID, nullable(it.ParentID), p.RegionCode, it.Seq, it.Label, it.Level, it.Content,
		nullable(it.LeadDepartmentID), strings.Join(it.Supporting, ","), it.Leader, it.Deadline, it.Target, it.Weight,
		now, now)
	return err
}

func insertItem(ctx context.Context, tx *store.Tx, p *Plan, it *Item) error {
	if err := storeItem(ctx, tx, p, it, planNowMs(ctx)); err != nil {
		return err
	}
	if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "plan_item", EntityID: it.ID,
		RegionCode: p.RegionCode, After: it}); err != nil {
		return err
	}
	return jobs.Emit(ctx, tx, "plan.item.created", map[string]any{"id": it.ID, "plan_id": p.ID, "region_code": p.RegionCode})
}

// UpdateItem changes the fields of a work point given in patch. Only the
// office may. Tasks already made from the item keep their own copies.
func UpdateItem(ctx context.Context, db *store.DB, who *auth.User, id string, patch ItemPatch) (*Item, error) {
	if !isOffice(who) {
		return nil, fielderr.ErrForbidden
	}
	var out *Item
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := getItem(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		p, err := writablePlan(ctx, tx, who, before.PlanID)
		if err != nil {
			return err
		}
		it := *before
		if patch.Seq != nil {
			it.Seq = *patch.Seq
		}
		if patch.Label != nil {
			it.Label = cleanText(*patch.Label)
		}
		if patch.Content != nil {
			it.Content = cleanNote(*patch.Content)
		}
		if patch.LeadDepartmentID != nil {
			it.LeadDepartmentID = strings.TrimSpace(*patch.LeadDepartmentID)
		}
		if patch.Supporting != nil {
			it.Supporting = *patch.Supporting
		}
		if patch.Leader != nil {
			it.Leader = cleanText(*patch.Leader)
		}
		if patch.Deadline != nil {
			it.Deadline = *patch.Deadline
		}
		if patch.Target != nil {
			it.Target = cleanNote(*patch.Target)
		}
		if patch.Weight != nil {
			it.Weight = *patch.Weight
		}
		var errs fielderr.List
		if it.Seq < 1 {
			errs.Add("seq", "rule.range", "min", 1, "max", 100000)
		}
		if err := validateItem(ctx, tx, p, &it, &errs); err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		out = &it
		if sameItem(before, &it) {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE plan_items SET seq = ?, label = ?, content = ?, lead_department_id = ?,
			supporting = ?, leader = ?, deadline = ?, target = ?, weight = ?, updated_at = ? WHERE id = ?`,
			it.Seq, it.Label, it.Content, nullable(it.LeadDepartmentID), strings.Join(it.Supporting, ","), it.Leader,
			it.Deadline, it.Target, it.Weight, planNowMs(ctx), it.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "plan_item", EntityID: it.ID,
			RegionCode: p.RegionCode, Before: before, After: it}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "plan.item.updated", map[string]any{"id": it.ID, "plan_id": p.ID, "region_code": p.RegionCode})
	})
	return out, err
}

func sameItem(a, b *Item) bool {
	return a.Seq == b.Seq && a.Label == b.Label && a.Content == b.Content && a.LeadDepartmentID == b.LeadDepartmentID &&
		strings.Join(a.Supporting, ",") == strings.Join(b.Supporting, ",") && a.Leader == b.Leader &&
		a.Deadline == b.Deadline && a.Target == b.Target && a.Weight == b.Weight
}

// ListItems returns a plan's work points in document order: each item
// followed by its children, siblings by Seq.
func ListItems(ctx context.Context, q store.Queryer, who *auth.User, planID string) ([]Item, error) {
	if _, err := GetPlan(ctx, q, who, planID); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+itemCols+` FROM plan_items WHERE plan_id = ? ORDER BY seq, id`, planID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	children := map[string][]Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		children[it.ParentID] = append(children[it.ParentID], *it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(children))
	var walk func(parent string)
	walk = func(parent string) {
		for _, it := range children[parent] {
			out = append(out, it)
			walk(it.ID)
		}
	}
	walk("")
	return out, nil
}
