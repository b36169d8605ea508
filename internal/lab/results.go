package lab

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Result is one test item's result, judged when it was entered. The limit
// it was judged by is copied into it, so a later edit of the catalogue
// never changes a judgement already made.
type Result struct {
	ID            string `json:"id"`
	SampleID      string `json:"sample_id"`
	InstitutionID string `json:"institution_id"`
	Item          string `json:"item"`
	Value         string `json:"value"` // as the institution typed it: "0.012", "ND", "未检出", "<0.01"
	NotDetected   bool   `json:"not_detected"`
	Unit          string `json:"unit,omitempty"`
	Method        string `json:"method,omitempty"`
	LOD           string `json:"lod,omitempty"`
	// Conclusion is judge.Conforming, judge.Nonconforming or judge.NotJudged;
	// Reason (a locale key) and ReasonArgs say why, Compared and
	// ComparedUnit what was compared.
	Conclusion   string     `json:"conclusion"`
	Compared     string     `json:"compared,omitempty"`
	ComparedUnit string     `json:"compared_unit,omitempty"`
	Reason       string     `json:"reason"`
	ReasonArgs   []any      `json:"reason_args,omitempty"`
	Limit        *LimitCopy `json:"limit,omitempty"`
	// OutsideScope: the institution's CMA scope does not hold the
	// sample's category × this item (accepted, and flagged).
	OutsideScope bool   `json:"outside_scope"`
	EnteredBy    string `json:"entered_by"`
	EnteredAt    int64  `json:"entered_at"`
}

// LimitCopy is what a result keeps of the limit that judged it.
type LimitCopy struct {
	ID         string `json:"id,omitempty"`
	Standard   string `json:"standard"`
	Clause     string `json:"clause,omitempty"`
	Comparison string `json:"comparison"`
	Min        string `json:"min,omitempty"`
	Max        string `json:"max,omitempty"`
	Unit       string `json:"unit,omitempty"`
}

func copyLimit(l *judge.Limit) *LimitCopy {
	if l == nil {
		return nil
	}
	return &LimitCopy{ID: l.ID, Standard: l.Standard, Clause: l.Clause, Comparison: string(l.Comparison), Min: l.Min,
		Max: l.Max, Unit: l.Unit}
}

const resultCols = `id, sample_id, institution_id, item, value, not_detected, unit, method, lod, conclusion, compared,
	compared_unit, reason, reason_args, limit_id, limit_standard, limit_clause, limit_comparison, limit_min, limit_max,
	limit_unit, outside_scope, entered_by, entered_at`

func scanResult(row scanner) (*Result, error) {
	var r Result
	var args string
	var l LimitCopy
	if err := row.Scan(&r.ID, &r.SampleID, &r.InstitutionID, &r.Item, &r.Value, &r.NotDetected, &r.Unit, &r.Method, &r.LOD,
		&r.Conclusion, &r.Compared, &r.ComparedUnit, &r.Reason, &args, &l.ID, &l.Standard, &l.Clause, &l.Comparison, &l.Min,
		&l.Max, &l.Unit, &r.OutsideScope, &r.EnteredBy, &r.EnteredAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(args), &r.ReasonArgs); err != nil {
		return nil, fmt.Errorf("lab result %s reason args: %w", r.ID, err)
	}
	if l.Standard != "" || l.Comparison != "" {
		r.Limit = &l
	}
	return &r, nil
}

func loadResults(ctx context.Context, q store.Queryer, sampleID string) ([]Result, error) {
	rows, err := q.Query(ctx, `SELECT `+resultCols+` FROM lab_results WHERE sample_id = ? ORDER BY seq, id`, sampleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Result{}
	for rows.Next() {
		r, err := scanResult(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}
