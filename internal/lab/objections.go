package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Objection states.
const (
	ObjectionOpen     = "open"     // filed, waiting for a re-test to be assigned
	ObjectionAssigned = "assigned" // a re-test institution has the reserve sample
	ObjectionClosed   = "closed"   // the re-test's report is issued: its result is final
)

// Objection is an enterprise's objection to a result (异议/复检申请).
type Objection struct {
	ID                  string   `json:"id"`
	RegionCode          string   `json:"region_code"`
	ReportID            string   `json:"report_id"`
	ReportNumber        string   `json:"report_number,omitempty"`
	SampleID            string   `json:"sample_id"`
	EnterpriseID        string   `json:"enterprise_id"`
	Items               []string `json:"items"`
	Reason              string   `json:"reason"`
	Deadline            string   `json:"deadline"` // the last day it could be filed
	Status              string   `json:"status"`
	FiledBy             string   `json:"filed_by"`
	FiledAt             int64    `json:"filed_at"`
	RetestSampleID      string   `json:"retest_sample_id,omitempty"`
	RetestInstitutionID string   `json:"retest_institution_id,omitempty"`
	AssignedBy          string   `json:"assigned_by,omitempty"`
	AssignedAt          int64    `json:"assigned_at,omitempty"`
	ClosedAt            int64    `json:"closed_at,omitempty"`
}

// ObjectionInput files an objection: the items disputed (all the
// nonconforming ones when empty) and why.
type ObjectionInput struct {
	Items  []string `json:"items"`
	Reason string   `json:"reason"`
}

// Object files the enterprise's objection to the report in force of a
// number (an enterprise user, its own samples only). The window is counted
// from delivery: 7 working days for food (食品安全法 第八十八条), 15 days for
// other products (产品质量法 第十五条), both settings. Refusals on "report":
// rule.lab.objection.late.food or .product (params deadline, days and
// delivered), rule.lab.objection.conforming, rule.lab.objection.final (a
// re-test's report), rule.lab.objection.filed, rule.lab.report.not_issued;
// on "items": rule.lab.objection.item.
func Object(ctx context.Context, db *store.DB, who *auth.User, number string, in ObjectionInput) (*Objection, error) {
	ent := enterpriseOf(who)
	if ent == "" {
		return nil, fielderr.ErrForbidden
	}
	cfg, err := LoadConfig(ctx, db)
	if err != nil {
		return nil, err
	}
	now := nowOf(ctx)
	in.Reason = strings.TrimSpace(in.Reason)
	var out *Objection
	err = db.Tx(ctx, func(tx *store.Tx) error {
		r, err := latestByNumber(ctx, tx, number)
		if err != nil {
			return err
		}
		if r.EnterpriseID != ent {
			return fielderr.ErrNotFound
		}
		if r.Status == StatusDraft {
			if r.Supersedes == "" {
				return fielderr.ErrNotFound // never issued: the enterprise has not seen it
			}
			// A revision in draft: the version in force is the one before.
			if r, err = loadReport(ctx, tx, r.Supersedes); err != nil {
				return err
			}
		}
		if r, err = lockReport(ctx, tx, r.ID); err != nil {
			return err
		}
		s, err := loadSample(ctx, tx, r.SampleID, "")
		if err != nil {
			return err
		}
		var errs fielderr.List
		switch {
		case r.Status != StatusIssued:
			errs.Add("report", "rule.lab.report.not_issued", "status", r.Status)
		case r.RetestOf != "":
			errs.Add("report", "rule.lab.objection.final")
		case r.Conclusion != Nonconforming:
			errs.Add("report", "rule.lab.objection.conforming")
		case workday.FormatDate(now) > r.ObjectionDeadline:
			if s.Kind == KindFood {
				errs.Add("report", "rule.lab.objection.late.food", "deadline", r.ObjectionDeadline, "days", cfg.FoodWorkdays,
					"delivered", millisDate(r.DeliveredAt))
			} else {
				errs.Add("report", "rule.lab.objection.late.product", "deadline", r.ObjectionDeadline, "days", cfg.ProductDays,
					"delivered", millisDate(r.DeliveredAt))
			}
		}
		fielderr.CheckText(&errs, "reason", in.Reason, true, MaxReason)
		items, err := objectedItems(ctx, tx, &errs, r, in.Items)
		if err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		var filed int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM lab_objections WHERE report_id = ?`, r.ID).Scan(&filed); err != nil {
			return err
		}
		if filed > 0 {
			return fielderr.New("report", "rule.lab.objection.filed")
		}
		o := &Objection{ID: store.NewID(), RegionCode: r.RegionCode, ReportID: r.ID, ReportNumber: r.Number, SampleID: s.ID,
			EnterpriseID: ent, Items: items, Reason: in.Reason, Deadline: r.ObjectionDeadline, Status: ObjectionOpen,
			FiledBy: who.ID, FiledAt: now.UnixMilli()}
		itemsJSON, _ := json.Marshal(items)
		if _, err := tx.Exec(ctx, `INSERT INTO lab_objections (id, region_code, report_id, sample_id, enterprise_id, items, reason,
			deadline, status, filed_by, filed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			o.ID, o.RegionCode, o.ReportID, o.SampleID, o.EnterpriseID, string(itemsJSON), o.Reason, o.Deadline, o.Status,
			o.FiledBy, o.FiledAt); err != nil {
			if store.IsUniqueViolation(err) {
				return fielderr.New("report", "rule.lab.objection.filed")
			}
			return err
		}
		var dept string
		if err := tx.QueryRow(ctx, `SELECT department_id FROM lab_tasks WHERE id = ?`, s.TaskID).Scan(&dept); err != nil {
			return err
		}
		p := reportParams(r)
		p["items"], p["reason"] = strings.Join(items, "、"), o.Reason
		if _, err := notify.ToDepartment(ctx, tx, dept, notify.Notice{Kind: "lab.objection.filed", Params: p,
			Link: "/lab/objections/" + o.ID, DedupeKey: "lab.objection.filed:" + o.ID}); err != nil {
			return err
		}
		// The institution keeps the reserve the re-test will need.
		if _, err := notify.ToInstitution(ctx, tx, r.InstitutionID, notify.Notice{Kind: "lab.objection.filed.institution", Params: p,
			Link: reportLink(r), DedupeKey: "lab.objection.filed:" + o.ID}); err != nil {
			return err
		}
		out = o
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "lab_objection", EntityID: o.ID, RegionCode: o.RegionCode,
			After: o})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// objectedItems resolves the items of an objection against the report.
func objectedItems(ctx context.Context, q store.Queryer, errs *fielderr.List, r *Report, asked []string) ([]string, error) {
	if r.Content == nil {
		return nil, nil
	}
	byKey := map[string]ContentItem{}
	for _, it := range r.Content.Items {
		byKey[fold(it.Item)] = it
	}
	asked = cleanList(asked)
	if len(asked) == 0 {
		out := []string{}
		for _, it := range r.Content.Items {
			if it.Conclusion == Nonconforming {
				out = append(out, it.Item)
			}
		}
		return out, nil
	}
	out := []string{}
	for i, a := range asked {
		it, ok := byKey[fold(a)]
		if !ok {
			errs.Add(fmt.Sprintf("items[%d]", i), "rule.lab.objection.item", "item", a)
			continue
		}
		out = append(out, it.Item)
	}
	return out, nil
}

const objectionCols = `o.id, o.region_code, o.report_id, COALESCE(r.number, ''), o.sample_id, o.enterprise_id, o.items, o.reason,
	o.deadline, o.status, o.filed_by, o.filed_at, o.retest_sample_id, o.retest_institution_id, o.assigned_by,
	COALESCE(o.assigned_at, 0), COALESCE(o.closed_at, 0)`

const objectionFrom = ` FROM lab_objections o LEFT JOIN lab_reports r ON r.id = o.report_id`

func scanObjection(row scanner) (*Objection, error) {
	var o Objection
	var items string
	if err := row.Scan(&o.ID, &o.RegionCode, &o.ReportID, &o.ReportNumber, &o.SampleID, &o.EnterpriseID, &items, &o.Reason,
		&o.Deadline, &o.Status, &o.FiledBy, &o.FiledAt, &o.RetestSampleID, &o.RetestInstitutionID, &o.AssignedBy, &o.AssignedAt,
		&o.ClosedAt); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(items), &o.Items); err != nil {
		return nil, fmt.Errorf("lab objection %s: %w", o.ID, err)
	}
	return &o, nil
}

// GetObjection returns an objection to officials of its region and the
// enterprise that filed it.
func GetObjection(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Objection, error) {
	o, err := scanObjection(q.QueryRow(ctx, `SELECT `+objectionCols+objectionFrom+` WHERE o.id = ?`, id))
	if err != nil {
		return nil, err
	}
	if !inRegion(who, o.RegionCode) && enterpriseOf(who) != o.EnterpriseID {
		return nil, fielderr.ErrNotFound
	}
	return o, nil
}

// ListObjections lists objections, newest first: officials those of their
// region, an enterprise its own; status "" for every state.
func ListObjections(ctx context.Context, q store.Queryer, who *auth.User, status string) ([]Objection, error) {
	var cond string
	var args []any
	switch {
	case isOfficial(who):
		cond, args = registry.RegionScopeSQL("o.region_code", who.RegionCode)
	case enterpriseOf(who) != "":
		cond, args = "o.enterprise_id = ?", []any{enterpriseOf(who)}
	default:
		return nil, fielderr.ErrForbidden
	}
	if status != "" {
		if !contains([]string{ObjectionOpen, ObjectionAssigned, ObjectionClosed}, status) {
			return nil, fielderr.New("status", "rule.choice")
		}
		cond += ` AND o.status = ?`
		args = append(args, status)
	}
	rows, err := q.Query(ctx, `SELECT `+objectionCols+objectionFrom+` WHERE `+cond+` ORDER BY o.filed_at DESC, o.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Objection{}
	for rows.Next() {
		o, err := scanObjection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, rows.Err()
}

// AssignRetest sends an open objection's re-test to another institution
// (admin and officers of the region): one that is not the original's
// (rule.lab.retest.same_institution), is active with its CMA certificate
// valid today (rule.lab.retest.not_qualified) and whose scope holds the
// sample's category × every disputed item (rule.lab.retest.not_qualified,
// param item). It records the re-test as a sample of its own, numbered
// after the original ("CY2026-000123-R"), taken from the reserve, and tells
// the institution and the enterprise.
func AssignRetest(ctx context.Context, db *store.DB, who *auth.User, objectionID, institutionID string) (*Sample, error) {
	if !isManager(who) {
		return nil, fielderr.ErrForbidden
	}
	now := nowOf(ctx)
	var out *Sample
	err := db.Tx(ctx, func(tx *store.Tx) error {
		o, err := scanObjection(tx.QueryRow(ctx, `SELECT `+objectionCols+objectionFrom+` WHERE o.id = ?`, objectionID))
		if err != nil {
			return err
		}
		if !inRegion(who, o.RegionCode) {
			return fielderr.ErrNotFound
		}
		if o.Status != ObjectionOpen {
			return fielderr.New("objection", "rule.lab.objection.assigned")
		}
		orig, err := loadSample(ctx, tx, o.SampleID, tx.ForUpdate())
		if err != nil {
			return err
		}
		var errs fielderr.List
		if orig.Custody == StepDisposed {
			errs.Add("objection", "rule.lab.retest.no_reserve")
		}
		inst, err := loadInstitution(ctx, tx, strings.TrimSpace(institutionID), "")
		switch {
		case errors.Is(err, fielderr.ErrNotFound) || err == nil && !registry.RegionCovers(who.RegionCode, inst.RegionCode):
			errs.Add("institution_id", "rule.lab.institution_unknown")
		case err != nil:
			return err
		case inst.ID == orig.InstitutionID:
			errs.Add("institution_id", "rule.lab.retest.same_institution")
		case !inst.QualifiedOn(workday.FormatDate(now)):
			errs.Add("institution_id", "rule.lab.retest.not_qualified", "item", "")
		default:
			for _, it := range o.Items {
				if !inst.Covers(orig.Category, it) {
					errs.Add("institution_id", "rule.lab.retest.not_qualified", "item", it, "category", orig.Category)
					break
				}
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		rt := *orig
		rt.ID, rt.Number, rt.InstitutionID, rt.Institution = store.NewID(), orig.Number+"-R", inst.ID, inst.Name
		rt.Custody, rt.ReceivedAt, rt.RetestOf, rt.ObjectionID = StepSampled, 0, orig.ID, o.ID
		rt.CreatedBy, rt.CreatedAt, rt.UpdatedAt = who.ID, now.UnixMilli(), now.UnixMilli()
		rt.Steps, rt.Results = nil, nil
		if err := insertSample(ctx, tx, &rt, ""); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE lab_objections SET status = ?, retest_sample_id = ?, retest_institution_id = ?,
			assigned_by = ?, assigned_at = ? WHERE id = ? AND status = ?`,
			ObjectionAssigned, rt.ID, inst.ID, who.ID, now.UnixMilli(), o.ID, ObjectionOpen); err != nil {
			return err
		}
		p := map[string]string{"sample": rt.Number, "product": rt.ProductName, "lot": rt.Lot, "items": strings.Join(o.Items, "、"),
			"institution": inst.Name, "report": o.ReportNumber}
		if _, err := notify.ToInstitution(ctx, tx, inst.ID, notify.Notice{Kind: "lab.retest.assigned", Params: p,
			Link: "/lab/samples/" + rt.ID, DedupeKey: "lab.retest.assigned:" + rt.ID}); err != nil {
			return err
		}
		if _, err := notify.ToEnterprise(ctx, tx, o.EnterpriseID, notify.Notice{Kind: "lab.retest.assigned.enterprise", Params: p,
			Link: "/lab/objections/" + o.ID, DedupeKey: "lab.retest.assigned:" + rt.ID}); err != nil {
			return err
		}
		out = &rt
		return audit.Write(ctx, tx, audit.Entry{Action: "assign_retest", Entity: "lab_objection", EntityID: o.ID,
			RegionCode: o.RegionCode, Before: o.Status, After: map[string]any{"status": ObjectionAssigned,
				"retest_sample_id": rt.ID, "institution_id": inst.ID}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
