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
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Kinds of supervision flag, each a circumstance 检验检测机构监督管理办法
// (SAMR令第39号) and domain-cn.md §7.3 name as worth a regulator's look.
const (
	FlagOutsideScope        = "outside_scope"        // 超范围: a result for an item outside the CMA scope
	FlagLapsedQualification = "lapsed_qualification" // a report issued outside the certificate's validity
	FlagSlowTurnaround      = "slow_turnaround"      // received → issued far beyond the norm
	FlagAlterationAttempt   = "alteration_attempt"   // an attempt to change an issued report
	// FlagOverturned: a re-test at another institution reached the other
	// conclusion. Not a finding in itself, but a pattern of them is what an
	// inspection for 不实报告 starts from.
	FlagOverturned = "overturned_by_retest"
)

// FlagKinds lists the kinds in display order.
var FlagKinds = []string{FlagOutsideScope, FlagLapsedQualification, FlagSlowTurnaround, FlagAlterationAttempt, FlagOverturned}

// What a flag is about.
const (
	SubjectReport = "report"
	SubjectResult = "result"
)

// Flag is one supervision flag on an institution.
type Flag struct {
	ID              string         `json:"id"`
	RegionCode      string         `json:"region_code"`
	InstitutionID   string         `json:"institution_id"`
	InstitutionName string         `json:"institution_name,omitempty"`
	Kind            string         `json:"kind"`
	SubjectKind     string         `json:"subject_kind"`
	SubjectID       string         `json:"subject_id"`
	Detail          map[string]any `json:"detail"`
	CreatedAt       int64          `json:"created_at"`
	ResolvedAt      int64          `json:"resolved_at,omitempty"`
	ResolvedBy      string         `json:"resolved_by,omitempty"`
	Resolution      string         `json:"resolution,omitempty"`
}

// raiseFlag stores a flag once per kind and subject, or, with a non-empty
// occasion, once per occasion (each alteration attempt counts). It reports
// whether a new flag was stored.
func raiseFlag(ctx context.Context, tx *store.Tx, f Flag, occasion string) (bool, error) {
	key := f.Kind + ":" + f.SubjectKind + ":" + f.SubjectID
	if occasion != "" {
		key += ":" + occasion
	}
	if f.Detail == nil {
		f.Detail = map[string]any{}
	}
	detail, err := json.Marshal(f.Detail)
	if err != nil {
		return false, err
	}
	f.ID, f.CreatedAt = store.NewID(), nowOf(ctx).UnixMilli()
	res, err := tx.Exec(ctx, `INSERT INTO lab_flags (id, key, region_code, institution_id, kind, subject_kind, subject_id, detail,
		created_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING`,
		f.ID, key, f.RegionCode, f.InstitutionID, f.Kind, f.SubjectKind, f.SubjectID, string(detail), f.CreatedAt)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	return true, audit.Write(ctx, tx, audit.Entry{Action: "flag", Entity: "lab_flag", EntityID: f.ID, RegionCode: f.RegionCode,
		After: f})
}

// alteration is an attempt to change an issued report, found inside a
// transaction that must roll back; it is recorded afterwards in a
// transaction of its own, so that the refusal and its record both stand.
type alteration struct {
	report *Report
	action string
	detail any
}

func (a *alteration) Error() string { return "lab: report " + a.report.Number + " is issued" }

// refuseAlteration audits and flags an attempt to change an issued report
// and returns the refusal: rule.lab.report.issued on "report", with the
// report's number, version and status.
func refuseAlteration(ctx context.Context, db *store.DB, who *auth.User, a *alteration) error {
	r := a.report
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := audit.Write(ctx, tx, audit.Entry{Action: "alteration_attempt", Entity: "lab_report", EntityID: r.ID,
			RegionCode: r.RegionCode, After: map[string]any{"action": a.action, "by": who.ID, "status": r.Status,
				"attempted": a.detail}}); err != nil {
			return err
		}
		_, err := raiseFlag(ctx, tx, Flag{RegionCode: r.RegionCode, InstitutionID: r.InstitutionID, Kind: FlagAlterationAttempt,
			SubjectKind: SubjectReport, SubjectID: r.ID, Detail: map[string]any{"number": r.Number, "version": r.Version,
				"status": r.Status, "action": a.action, "user_id": who.ID, "user": firstNonEmpty(who.Name, who.Username)}},
			store.NewID())
		return err
	})
	if err != nil {
		return err
	}
	return fielderr.New("report", "rule.lab.report.issued", "number", r.Number, "version", r.Version, "status", r.Status)
}

const flagCols = `f.id, f.region_code, f.institution_id, COALESCE(i.name, ''), f.kind, f.subject_kind, f.subject_id, f.detail,
	f.created_at, COALESCE(f.resolved_at, 0), f.resolved_by, f.resolution`

func scanFlag(row scanner) (*Flag, error) {
	var f Flag
	var detail string
	if err := row.Scan(&f.ID, &f.RegionCode, &f.InstitutionID, &f.InstitutionName, &f.Kind, &f.SubjectKind, &f.SubjectID,
		&detail, &f.CreatedAt, &f.ResolvedAt, &f.ResolvedBy, &f.Resolution); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(detail), &f.Detail); err != nil {
		return nil, fmt.Errorf("lab flag %s: %w", f.ID, err)
	}
	return &f, nil
}

// FlagFilter selects flags: an institution ("" for every one of the
// region), open ones only, a kind.
type FlagFilter struct {
	InstitutionID string `json:"institution_id"`
	OpenOnly      bool   `json:"open_only"`
	Kind          string `json:"kind"`
}

// Flags lists the supervision flags officials of the region may see,
// newest first. Institutions do not see them: they are the regulator's
// working list.
func Flags(ctx context.Context, q store.Queryer, who *auth.User, f FlagFilter) ([]Flag, error) {
	if !isOfficial(who) {
		return nil, fielderr.ErrForbidden
	}
	cond, args := registry.RegionScopeSQL("f.region_code", who.RegionCode)
	if f.InstitutionID != "" {
		cond += ` AND f.institution_id = ?`
		args = append(args, f.InstitutionID)
	}
	if f.OpenOnly {
		cond += ` AND f.resolved_at IS NULL`
	}
	if f.Kind != "" {
		if !contains(FlagKinds, f.Kind) {
			return nil, fielderr.New("kind", "rule.choice")
		}
		cond += ` AND f.kind = ?`
		args = append(args, f.Kind)
	}
	rows, err := q.Query(ctx, `SELECT `+flagCols+` FROM lab_flags f LEFT JOIN lab_institutions i ON i.id = f.institution_id
		WHERE `+cond+` ORDER BY f.created_at DESC, f.id DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Flag{}
	for rows.Next() {
		fl, err := scanFlag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *fl)
	}
	return out, rows.Err()
}

// FlagCount is one institution's line of the office's summary.
type FlagCount struct {
	InstitutionID   string         `json:"institution_id"`
	InstitutionName string         `json:"institution_name"`
	Open            int            `json:"open"`
	Total           int            `json:"total"`
	ByKind          map[string]int `json:"by_kind"` // open flags per kind
}

// FlagSummary counts the flags of every institution of the region, those
// with the most open flags first.
func FlagSummary(ctx context.Context, q store.Queryer, who *auth.User) ([]FlagCount, error) {
	if !isOfficial(who) {
		return nil, fielderr.ErrForbidden
	}
	cond, args := registry.RegionScopeSQL("i.region_code", who.RegionCode)
	rows, err := q.Query(ctx, `SELECT i.id, i.name, f.kind, COUNT(f.id),
		SUM(CASE WHEN f.id IS NOT NULL AND f.resolved_at IS NULL THEN 1 ELSE 0 END)
		FROM lab_institutions i LEFT JOIN lab_flags f ON f.institution_id = i.id
		WHERE `+cond+` GROUP BY i.id, i.name, f.kind ORDER BY i.name, i.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[string]*FlagCount{}
	var order []string
	for rows.Next() {
		var id, name string
		var kind *string
		var total, open int
		if err := rows.Scan(&id, &name, &kind, &total, &open); err != nil {
			return nil, err
		}
		c := byID[id]
		if c == nil {
			c = &FlagCount{InstitutionID: id, InstitutionName: name, ByKind: map[string]int{}}
			byID[id] = c
			order = append(order, id)
		}
		if kind != nil {
			c.Total += total
			c.Open += open
			c.ByKind[*kind] = open
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]FlagCount, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	// Stable: most open flags first, then by name as the query gave them.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Open > out[j-1].Open; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// ResolveFlag closes a flag with what was found (admin and officers).
func ResolveFlag(ctx context.Context, db *store.DB, who *auth.User, id, resolution string) (*Flag, error) {
	if !isManager(who) {
		return nil, fielderr.ErrForbidden
	}
	resolution = strings.TrimSpace(resolution)
	var errs fielderr.List
	fielderr.CheckText(&errs, "resolution", resolution, true, MaxReason)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var out *Flag
	err := db.Tx(ctx, func(tx *store.Tx) error {
		f, err := scanFlag(tx.QueryRow(ctx, `SELECT `+flagCols+` FROM lab_flags f LEFT JOIN lab_institutions i ON i.id = f.institution_id
			WHERE f.id = ?`, id))
		if err != nil {
			return err
		}
		if !inRegion(who, f.RegionCode) {
			return fielderr.ErrNotFound
		}
		if f.ResolvedAt != 0 {
			return fielderr.New("flag", "rule.lab.flag.resolved")
		}
		before := *f
		f.ResolvedAt, f.ResolvedBy, f.Resolution = nowOf(ctx).UnixMilli(), who.ID, resolution
		res, err := tx.Exec(ctx, `UPDATE lab_flags SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ? AND resolved_at IS NULL`,
			f.ResolvedAt, f.ResolvedBy, f.Resolution, f.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fielderr.New("flag", "rule.lab.flag.resolved"))
		}
		out = f
		return audit.Write(ctx, tx, audit.Entry{Action: "resolve", Entity: "lab_flag", EntityID: f.ID, RegionCode: f.RegionCode,
			Before: before, After: *f})
	})
	return out, err
}
