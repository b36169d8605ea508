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
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// ResultInput is one item's result as the institution enters it.
type ResultInput struct {
	Item   string `json:"item"`
	Value  string `json:"value"` // "0.012", "ND", "未检出", "<0.01", full-width digits …
	Unit   string `json:"unit"`
	Method string `json:"method"`
	LOD    string `json:"lod"`
}

// EnterResults stores the results of a sample, judging each against the
// limit the catalogue holds for the sample's category and the item
// (internal/lab/limits), and returns every result of the sample. Only the
// users of the institution the sample is assigned to may enter results,
// once it has received the sample. A result for an item already entered
// replaces it until a report is issued; after that, results change only
// through a revision (ReviseReport), and an attempt is refused
// (rule.lab.report.issued), audited and flagged. A result for an item
// outside the institution's CMA scope is accepted and flagged
// (outside_scope).
func EnterResults(ctx context.Context, db *store.DB, who *auth.User, sampleID string, in []ResultInput) ([]Result, error) {
	inst, err := actingInstitution(ctx, db, who)
	if err != nil {
		return nil, err
	}
	var errs fielderr.List
	switch {
	case len(in) == 0:
		errs.Add("results", "rule.required")
	case len(in) > MaxItems:
		errs.Add("results", "rule.lab.too_many", "max", MaxItems)
	}
	type entry struct {
		in      ResultInput
		value   string
		nd      bool
		key     string
		limit   *judge.Limit
		verdict judge.Verdict
	}
	entries := make([]entry, 0, len(in))
	seen := map[string]bool{}
	for i, r := range in {
		f := fmt.Sprintf("results[%d].", i)
		r.Item, r.Value, r.Unit = strings.TrimSpace(r.Item), strings.TrimSpace(r.Value), strings.TrimSpace(r.Unit)
		r.Method, r.LOD = strings.TrimSpace(r.Method), strings.TrimSpace(r.LOD)
		fielderr.CheckText(&errs, f+"item", r.Item, true, MaxText)
		fielderr.CheckText(&errs, f+"value", r.Value, true, 50)
		fielderr.CheckText(&errs, f+"unit", r.Unit, false, 20)
		fielderr.CheckText(&errs, f+"method", r.Method, false, MaxText)
		fielderr.CheckText(&errs, f+"lod", r.LOD, false, 50)
		e := entry{in: r, key: fold(r.Item)}
		if r.Item != "" {
			if seen[e.key] {
				errs.Add(f+"item", "rule.lab.result.duplicate")
			}
			seen[e.key] = true
		}
		if r.Value != "" {
			v, nd, err := judge.ParseValue(r.Value)
			if err != nil {
				errs.Add(f+"value", judge.RuleValue)
			}
			e.value, e.nd = v, nd
		}
		if r.LOD != "" {
			if v, nd, err := judge.ParseValue(r.LOD); err != nil || nd {
				errs.Add(f+"lod", judge.RuleValue)
			} else {
				e.in.LOD = v
			}
		}
		entries = append(entries, e)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	s, err := loadSample(ctx, db, sampleID, "")
	if err != nil {
		return nil, err
	}
	if s.InstitutionID != inst.ID {
		return nil, fielderr.ErrNotFound
	}
	for i := range entries {
		e := &entries[i]
		ls, err := limits.Applicable(ctx, db, s.Category, e.in.Item)
		if err != nil {
			return nil, err
		}
		e.limit = limits.Pick(ls)
		m := judge.Measured{Value: e.value, NotDetected: e.nd, Unit: e.in.Unit, LOD: e.in.LOD, Method: e.in.Method}
		if e.nd {
			// "<0.01" reads as not detected with the limit of detection given.
			m.Value = ""
			if m.LOD == "" {
				m.LOD = e.value
			}
		}
		e.verdict = judge.Judge(e.limit, m)
	}
	now := nowOf(ctx).UnixMilli()
	var attempt *alteration
	err = db.Tx(ctx, func(tx *store.Tx) error {
		s, err := loadSample(ctx, tx, sampleID, tx.ForUpdate())
		if err != nil {
			return err
		}
		var errs fielderr.List
		if inst.Status != InstitutionActive {
			errs.Add("sample", "rule.lab.institution_inactive")
		}
		if stepIndex(s.Custody) < stepIndex(StepReceived) {
			errs.Add("sample", "rule.lab.result.not_received")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		latest, err := latestReport(ctx, tx, s.ID)
		if err != nil {
			return err
		}
		if latest != nil && latest.Status != StatusDraft {
			attempt = &alteration{report: latest, action: "enter_results", detail: in}
			return attempt
		}
		var seq int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM lab_results WHERE sample_id = ?`, s.ID).Scan(&seq); err != nil {
			return err
		}
		for _, e := range entries {
			args, err := json.Marshal(e.verdict.Args)
			if err != nil {
				return err
			}
			if e.verdict.Args == nil {
				args = []byte("[]")
			}
			lc := copyLimit(e.limit)
			if lc == nil {
				lc = &LimitCopy{}
			}
			r := Result{ID: store.NewID(), SampleID: s.ID, InstitutionID: inst.ID, Item: e.in.Item, Value: e.in.Value,
				NotDetected: e.nd, Unit: e.in.Unit, Method: e.in.Method, LOD: e.in.LOD, Conclusion: e.verdict.Conclusion,
				Compared: e.verdict.Compared, ComparedUnit: e.verdict.Unit, Reason: e.verdict.Reason, ReasonArgs: e.verdict.Args,
				Limit: copyLimit(e.limit), OutsideScope: !inst.Covers(s.Category, e.in.Item), EnteredBy: who.ID, EnteredAt: now}
			before, err := scanResult(tx.QueryRow(ctx, `SELECT `+resultCols+` FROM lab_results WHERE sample_id = ? AND item_key = ?`,
				s.ID, e.key))
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			action := "create"
			if before != nil {
				action, r.ID = "update", before.ID
				if _, err := tx.Exec(ctx, `UPDATE lab_results SET item = ?, value = ?, not_detected = ?, unit = ?, method = ?,
					lod = ?, conclusion = ?, compared = ?, compared_unit = ?, reason = ?, reason_args = ?, limit_id = ?,
					limit_standard = ?, limit_clause = ?, limit_comparison = ?, limit_min = ?, limit_max = ?, limit_unit = ?,
					outside_scope = ?, entered_by = ?, entered_at = ? WHERE id = ?`,
					r.Item, r.Value, r.NotDetected, r.Unit, r.Method, r.LOD, r.Conclusion, r.Compared, r.ComparedUnit, r.Reason,
					string(args), lc.ID, lc.Standard, lc.Clause, lc.Comparison, lc.Min, lc.Max, lc.Unit, r.OutsideScope,
					r.EnteredBy, r.EnteredAt, r.ID); err != nil {
					return err
				}
			} else {
				seq++
				if _, err := tx.Exec(ctx, `INSERT INTO lab_results (id, sample_id, institution_id, seq, item, item_key, value,
					not_detected, unit, method, lod, conclusion, compared, compared_unit, reason, reason_args, limit_id,
					limit_standard, limit_clause, limit_comparison, limit_min, limit_max, limit_unit, outside_scope, entered_by,
					entered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
					r.ID, r.SampleID, r.InstitutionID, seq, r.Item, e.key, r.Value, r.NotDetected, r.Unit, r.Method, r.LOD,
					r.Conclusion, r.Compared, r.ComparedUnit, r.Reason, string(args), lc.ID, lc.Standard, lc.Clause,
					lc.Comparison, lc.Min, lc.Max, lc.Unit, r.OutsideScope, r.EnteredBy, r.EnteredAt); err != nil {
					return err
				}
			}
			if r.OutsideScope {
				if _, err := raiseFlag(ctx, tx, Flag{RegionCode: s.RegionCode, InstitutionID: inst.ID, Kind: FlagOutsideScope,
					SubjectKind: SubjectResult, SubjectID: r.ID, Detail: map[string]any{"sample": s.Number,
						"category": s.Category, "item": r.Item}}, ""); err != nil {
					return err
				}
			}
			entry := audit.Entry{Action: action, Entity: "lab_result", EntityID: r.ID, RegionCode: s.RegionCode, After: r}
			if before != nil {
				entry.Before = before
			}
			if err := audit.Write(ctx, tx, entry); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE lab_samples SET updated_at = ? WHERE id = ?`, now, s.ID)
		return err
	})
	if attempt != nil {
		return nil, refuseAlteration(ctx, db, who, attempt)
	}
	if err != nil {
		return nil, err
	}
	return loadResults(ctx, db, sampleID)
}
