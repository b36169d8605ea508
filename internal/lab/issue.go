package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// lockReport takes the report's row lock (PostgreSQL; SQLite has one
// writer) and reads it.
func lockReport(ctx context.Context, tx *store.Tx, id string) (*Report, error) {
	var x string
	if err := tx.QueryRow(ctx, `SELECT id FROM lab_reports WHERE id = ?`+tx.ForUpdate(), id).Scan(&x); err != nil {
		return nil, notFound(err)
	}
	return loadReport(ctx, tx, id)
}

// ApproveReport issues a drafted report (or revision). The approver is a
// user of the same institution other than the one who drafted it
// (rule.lab.report.self_approval on "approver"). Issuing fixes the content,
// its fingerprint and a verification code; records the delivery to the
// enterprise (delivered_at, the start of its objection window) and the
// last day to object; supersedes the version it revises; and, for a
// re-test's report, marks the original re-tested and the result final.
// A report issued outside the CMA certificate's validity, or long after the
// sample was received, raises a supervision flag; a nonconforming result
// emits TopicNonconforming (see emitConsequences).
func ApproveReport(ctx context.Context, db *store.DB, who *auth.User, reportID string) (*Report, error) {
	inst, err := actingInstitution(ctx, db, who)
	if err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(ctx, db)
	if err != nil {
		return nil, err
	}
	cal, err := workday.Load(ctx, db)
	if err != nil {
		return nil, err
	}
	now := nowOf(ctx)
	var out *Report
	err = db.Tx(ctx, func(tx *store.Tx) error {
		r, err := lockReport(ctx, tx, reportID)
		if err != nil {
			return err
		}
		if r.InstitutionID != inst.ID {
			return fielderr.ErrNotFound
		}
		if r.Status != StatusDraft {
			return fielderr.New("report", "rule.lab.report.not_draft", "status", r.Status)
		}
		if r.DraftedBy == who.ID {
			return fielderr.New("approver", "rule.lab.report.self_approval")
		}
		s, err := loadSample(ctx, tx, r.SampleID, tx.ForUpdate())
		if err != nil {
			return err
		}
		if err := checkReady(ctx, tx, inst, s); err != nil {
			return err
		}
		c, err := buildContent(ctx, tx, s, inst, r.Number, r.Version)
		if err != nil {
			return err
		}
		c.RetestOf = r.Content.RetestOf
		if !sameStatement(c, r.Content) {
			return fielderr.New("report", "rule.lab.report.stale")
		}
		before := *r
		today := workday.FormatDate(now)
		c.IssuedOn = today
		if r.Fingerprint, err = fingerprint(c); err != nil {
			return err
		}
		r.Content, r.Conclusion, r.Status = c, c.Conclusion, StatusIssued
		r.VerificationCode, r.ApprovedBy = newCode(), who.ID
		r.IssuedAt, r.DeliveredAt, r.UpdatedAt = now.UnixMilli(), now.UnixMilli(), now.UnixMilli()
		if r.RetestOf == "" {
			r.ObjectionDeadline = cfg.ObjectionDeadline(cal, s.Kind, now)
		} else {
			r.FinalAt = now.UnixMilli() // 食品安全法 第八十八条: the re-test's conclusion is final
		}
		if s.ReceivedAt != 0 {
			r.TurnaroundDays = cal.CountWorkdays(time.UnixMilli(s.ReceivedAt), now)
		}
		content, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE lab_reports SET status = ?, conclusion = ?, content = ?, fingerprint = ?,
			verification_code = ?, approved_by = ?, issued_at = ?, delivered_at = ?, objection_deadline = ?, turnaround_days = ?,
			final_at = ?, updated_at = ? WHERE id = ?`,
			r.Status, r.Conclusion, string(content), r.Fingerprint, r.VerificationCode, r.ApprovedBy, r.IssuedAt, r.DeliveredAt,
			r.ObjectionDeadline, r.TurnaroundDays, nullMillis(r.FinalAt), r.UpdatedAt, r.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "issue", Entity: "lab_report", EntityID: r.ID, RegionCode: r.RegionCode,
			Before: before, After: r}); err != nil {
			return err
		}
		if r.Supersedes != "" {
			if err := supersede(ctx, tx, r, now); err != nil {
				return err
			}
		}
		var orig *Report
		if r.RetestOf != "" && r.Supersedes == "" {
			if orig, err = markRetested(ctx, tx, r, s, now); err != nil {
				return err
			}
			if orig.Conclusion != r.Conclusion {
				if _, err := raiseFlag(ctx, tx, Flag{RegionCode: orig.RegionCode, InstitutionID: orig.InstitutionID,
					Kind: FlagOverturned, SubjectKind: SubjectReport, SubjectID: orig.ID, Detail: map[string]any{
						"number": orig.Number, "conclusion": orig.Conclusion, "retest_number": r.Number,
						"retest_conclusion": r.Conclusion, "retest_institution": inst.Name}}, ""); err != nil {
					return err
				}
			}
		}
		if err := flagIssue(ctx, tx, cfg, inst, r, s, today); err != nil {
			return err
		}
		if err := emitConsequences(ctx, tx, r, s, inst, orig); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	v := out.View(who)
	return &v, nil
}

func nullMillis(ms int64) any {
	if ms == 0 {
		return nil
	}
	return ms
}

// sameStatement reports whether two contents state the same results: the
// draft an approver read is the report that is issued.
func sameStatement(a, b *Content) bool {
	if b == nil {
		return false
	}
	x, err1 := json.Marshal(a.Items)
	y, err2 := json.Marshal(b.Items)
	return err1 == nil && err2 == nil && string(x) == string(y) && a.Conclusion == b.Conclusion
}

// supersede marks the version r revises superseded by it.
func supersede(ctx context.Context, tx *store.Tx, r *Report, now time.Time) error {
	old, err := lockReport(ctx, tx, r.Supersedes)
	if err != nil {
		return err
	}
	if old.Status != StatusIssued {
		return fielderr.New("report", "rule.lab.report.not_issued", "status", old.Status)
	}
	if _, err := tx.Exec(ctx, `UPDATE lab_reports SET status = ?, superseded_by = ?, updated_at = ? WHERE id = ?`,
		StatusSuperseded, r.ID, now.UnixMilli(), old.ID); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Action: "supersede", Entity: "lab_report", EntityID: old.ID, RegionCode: old.RegionCode,
		Before: old.Status, After: map[string]any{"status": StatusSuperseded, "superseded_by": r.ID, "version": r.Version,
			"reason": r.RevisionReason}})
}

// markRetested records on the original report that the re-test's report r
// replaces its result, and closes the objection.
func markRetested(ctx context.Context, tx *store.Tx, r *Report, s *Sample, now time.Time) (*Report, error) {
	orig, err := lockReport(ctx, tx, r.RetestOf)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE lab_reports SET retested_by = ?, updated_at = ? WHERE id = ?`, r.ID, now.UnixMilli(), orig.ID); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE lab_objections SET status = ?, closed_at = ? WHERE retest_sample_id = ?`,
		ObjectionClosed, now.UnixMilli(), s.ID); err != nil {
		return nil, err
	}
	return orig, audit.Write(ctx, tx, audit.Entry{Action: "retested", Entity: "lab_report", EntityID: orig.ID,
		RegionCode: orig.RegionCode, After: map[string]any{"retested_by": r.ID, "number": r.Number, "conclusion": r.Conclusion}})
}

// flagIssue raises the flags an issue can: a certificate not valid on the
// day of issue, and a turnaround far beyond the norm (more than the
// configured working days, or more than the configured multiple of the
// median of the institution's earlier reports of the category).
func flagIssue(ctx context.Context, tx *store.Tx, cfg Config, inst *Institution, r *Report, s *Sample, today string) error {
	if today < inst.CMAValidFrom || today > inst.CMAValidTo {
		if _, err := raiseFlag(ctx, tx, Flag{RegionCode: r.RegionCode, InstitutionID: inst.ID, Kind: FlagLapsedQualification,
			SubjectKind: SubjectReport, SubjectID: r.ID, Detail: map[string]any{"number": r.Number, "version": r.Version,
				"issued_on": today, "cma_number": inst.CMANumber, "valid_from": inst.CMAValidFrom, "valid_to": inst.CMAValidTo}}, ""); err != nil {
			return err
		}
	}
	if s.ReceivedAt == 0 || r.Supersedes != "" {
		return nil // a revision's time is the correction's, not the test's
	}
	past, err := store.Column[int](ctx, tx, `SELECT r.turnaround_days FROM lab_reports r JOIN lab_samples s ON s.id = r.sample_id
		WHERE r.institution_id = ? AND s.category = ? AND r.id <> ? AND r.version = 1 AND r.issued_at IS NOT NULL
		AND r.turnaround_days IS NOT NULL`, inst.ID, s.Category, r.ID)
	if err != nil {
		return err
	}
	detail := map[string]any{"number": r.Number, "days": r.TurnaroundDays, "max_days": cfg.MaxTurnaround,
		"category": s.Category}
	slow := r.TurnaroundDays > cfg.MaxTurnaround
	if len(past) >= cfg.MinReports {
		m := median(past)
		detail["median_days"], detail["factor"] = m, cfg.MedianFactor
		// The median of quick reports can be 0 days; a day's work is the
		// least that counts as a norm.
		if float64(r.TurnaroundDays) > float64(cfg.MedianFactor)*max(m, 1) {
			slow = true
		}
	}
	if !slow {
		return nil
	}
	_, err = raiseFlag(ctx, tx, Flag{RegionCode: r.RegionCode, InstitutionID: inst.ID, Kind: FlagSlowTurnaround,
		SubjectKind: SubjectReport, SubjectID: r.ID, Detail: detail}, "")
	return err
}

func median(xs []int) float64 {
	s := append([]int(nil), xs...)
	sort.Ints(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

// ReviseReport opens a revision of an issued report: a new draft version
// of the same number that will supersede it once approved, with the reason
// (更正/替换报告). While it is in draft the sample's results may be
// corrected (EnterResults) and the draft redrawn (DraftReport).
func ReviseReport(ctx context.Context, db *store.DB, who *auth.User, number, reason string) (*Report, error) {
	inst, err := actingInstitution(ctx, db, who)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	var errs fielderr.List
	fielderr.CheckText(&errs, "reason", reason, true, MaxReason)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	now := nowOf(ctx)
	var out *Report
	err = db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := latestByNumber(ctx, tx, number)
		if err != nil {
			return err
		}
		if cur.InstitutionID != inst.ID {
			return fielderr.ErrNotFound
		}
		if cur, err = lockReport(ctx, tx, cur.ID); err != nil {
			return err
		}
		if cur.Status != StatusIssued {
			return fielderr.New("report", "rule.lab.report.not_issued", "status", cur.Status)
		}
		r := &Report{ID: store.NewID(), RegionCode: cur.RegionCode, InstitutionID: cur.InstitutionID,
			InstitutionName: cur.InstitutionName, SampleID: cur.SampleID, SampleNumber: cur.SampleNumber,
			EnterpriseID: cur.EnterpriseID, Number: cur.Number, Version: cur.Version + 1, Status: StatusDraft,
			Conclusion: cur.Conclusion, Supersedes: cur.ID, RevisionReason: reason, RetestOf: cur.RetestOf,
			DraftedBy: who.ID, DraftedAt: now.UnixMilli(), UpdatedAt: now.UnixMilli()}
		c := *cur.Content
		c.Version, c.IssuedOn = r.Version, ""
		r.Content = &c
		content, err := json.Marshal(r.Content)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lab_reports (id, region_code, institution_id, sample_id, number, version, status,
			conclusion, content, drafted_by, drafted_at, supersedes, revision_reason, retest_of, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			r.ID, r.RegionCode, r.InstitutionID, r.SampleID, r.Number, r.Version, r.Status, r.Conclusion, string(content),
			r.DraftedBy, r.DraftedAt, r.Supersedes, r.RevisionReason, r.RetestOf, r.UpdatedAt); err != nil {
			return err
		}
		out = r
		return audit.Write(ctx, tx, audit.Entry{Action: "revise", Entity: "lab_report", EntityID: r.ID, RegionCode: r.RegionCode,
			After: map[string]any{"number": r.Number, "version": r.Version, "supersedes": cur.ID, "reason": reason}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeReport withdraws the version in force of a report with a reason
// (the issuing institution, or admin and officers of the region). The
// enterprise is told; Verify answers "revoked" from then on.
func RevokeReport(ctx context.Context, db *store.DB, who *auth.User, number, reason string) (*Report, error) {
	reason = strings.TrimSpace(reason)
	var errs fielderr.List
	fielderr.CheckText(&errs, "reason", reason, true, MaxReason)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	now := nowOf(ctx)
	var out *Report
	err := db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := reportInForce(ctx, tx, who, number)
		if err != nil {
			return err
		}
		if cur.Status != StatusIssued {
			return fielderr.New("report", "rule.lab.report.not_issued", "status", cur.Status)
		}
		before := *cur
		cur.Status, cur.RevokedBy, cur.RevokedAt, cur.RevokeReason, cur.UpdatedAt = StatusRevoked, who.ID, now.UnixMilli(), reason, now.UnixMilli()
		if _, err := tx.Exec(ctx, `UPDATE lab_reports SET status = ?, revoked_by = ?, revoked_at = ?, revoke_reason = ?, updated_at = ?
			WHERE id = ?`, cur.Status, cur.RevokedBy, cur.RevokedAt, cur.RevokeReason, cur.UpdatedAt, cur.ID); err != nil {
			return err
		}
		// A revision left in draft has nothing left to revise.
		if _, err := tx.Exec(ctx, `DELETE FROM lab_reports WHERE supersedes = ? AND status = ?`, cur.ID, StatusDraft); err != nil {
			return err
		}
		if err := notifyEnterprise(ctx, tx, cur, "lab.report.revoked", map[string]string{"reason": reason}); err != nil {
			return err
		}
		s, err := loadSample(ctx, tx, cur.SampleID, "")
		if err != nil {
			return err
		}
		if err := jobs.Emit(ctx, tx, TopicReportRevoked, reportEvent(cur, s)); err != nil {
			return err
		}
		out = cur
		return audit.Write(ctx, tx, audit.Entry{Action: "revoke", Entity: "lab_report", EntityID: cur.ID, RegionCode: cur.RegionCode,
			Before: before.Status, After: map[string]any{"status": cur.Status, "reason": reason}})
	})
	if err != nil {
		return nil, err
	}
	v := out.View(who)
	return &v, nil
}

// Verification states.
const (
	VerifyValid      = "valid"
	VerifyUnknown    = "unknown" // no such number, or a code that does not match: the two look alike
	VerifySuperseded = "superseded"
	VerifyRevoked    = "revoked"
	VerifyRetested   = "retested" // valid as issued, but a re-test's report replaced its result
)

// Verification is what the public verification page shows.
type Verification struct {
	State       string `json:"state"`
	Number      string `json:"number,omitempty"`
	Version     int    `json:"version,omitempty"`
	Institution string `json:"institution,omitempty"`
	IssuedOn    string `json:"issued_on,omitempty"`
	// Content and Fingerprint: the key content as issued, so a printed
	// report can be compared line by line, and its SHA-256.
	Content     *Content `json:"content,omitempty"`
	Fingerprint string   `json:"fingerprint,omitempty"`
	// SupersededBy names the version that replaces this one.
	SupersededBy *ReportRef `json:"superseded_by,omitempty"`
	// RetestedBy names the re-test's report whose result is final.
	RetestedBy   *ReportRef `json:"retested_by,omitempty"`
	RevokedOn    string     `json:"revoked_on,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
}

// ReportRef points at another report.
type ReportRef struct {
	Number     string `json:"number"`
	Version    int    `json:"version"`
	Conclusion string `json:"conclusion,omitempty"`
	IssuedOn   string `json:"issued_on,omitempty"`
}

// Verify answers the public question "is this report genuine?" for a
// number and the verification code printed on it. A number that does not
// exist and a code that does not match give the same answer (unknown), so
// the page cannot be used to discover numbers. Drafts are unknown.
func Verify(ctx context.Context, q store.Queryer, number, code string) (*Verification, error) {
	number, code = strings.TrimSpace(number), normalizeCode(code)
	if number == "" || len(code) != CodeLength {
		return &Verification{State: VerifyUnknown}, nil
	}
	r, err := scanReport(q.QueryRow(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.number = ? AND r.verification_code = ?
		AND r.status <> ?`, number, code, StatusDraft))
	if errors.Is(err, fielderr.ErrNotFound) {
		return &Verification{State: VerifyUnknown}, nil
	}
	if err != nil {
		return nil, err
	}
	v := &Verification{Number: r.Number, Version: r.Version, Institution: r.InstitutionName,
		IssuedOn: millisDate(r.IssuedAt), Content: r.Content, Fingerprint: r.Fingerprint}
	switch r.Status {
	case StatusIssued:
		v.State = VerifyValid
		if r.RetestedBy != "" {
			v.State = VerifyRetested
			if rt, err := loadReport(ctx, q, r.RetestedBy); err == nil {
				v.RetestedBy = &ReportRef{Number: rt.Number, Version: rt.Version, Conclusion: rt.Conclusion,
					IssuedOn: millisDate(rt.IssuedAt)}
			} else {
				return nil, err
			}
		}
	case StatusSuperseded:
		v.State = VerifySuperseded
		v.Content = nil // the statement no longer stands; the holder asks the institution for the new one
		next, err := loadReport(ctx, q, r.SupersededBy)
		if err != nil {
			return nil, err
		}
		v.SupersededBy = &ReportRef{Number: next.Number, Version: next.Version, IssuedOn: millisDate(next.IssuedAt)}
	case StatusRevoked:
		v.State, v.Content = VerifyRevoked, nil
		v.RevokedOn, v.RevokeReason = millisDate(r.RevokedAt), r.RevokeReason
	default:
		return &Verification{State: VerifyUnknown}, nil
	}
	return v, nil
}

// refString is a report's number with its version when not the first.
func refString(r *Report) string {
	if r.Version > 1 {
		return fmt.Sprintf("%s (v%d)", r.Number, r.Version)
	}
	return r.Number
}

// RecordDelivery records when the enterprise actually received the version
// in force of a report, when that was after its issue (a report served on
// paper or by post): the objection window is counted from receipt, so its
// last day moves with it. Officials of the region (admin, officers) and the
// issuing institution may record it, on a date (YYYY-MM-DD) from the day of
// issue to today, as long as no objection has been filed and the result is
// not final. Refusals on "delivered_on": rule.date.format,
// rule.lab.delivery.range; on "report": rule.lab.report.not_issued,
// rule.lab.objection.filed, rule.lab.delivery.final.
func RecordDelivery(ctx context.Context, db *store.DB, who *auth.User, number, deliveredOn string) (*Report, error) {
	deliveredOn = strings.TrimSpace(deliveredOn)
	var errs fielderr.List
	checkDate(&errs, "delivered_on", deliveredOn, true)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(ctx, db)
	if err != nil {
		return nil, err
	}
	cal, err := workday.Load(ctx, db)
	if err != nil {
		return nil, err
	}
	now := nowOf(ctx)
	var out *Report
	err = db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := reportInForce(ctx, tx, who, number)
		if err != nil {
			return err
		}
		var errs fielderr.List
		var objections int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM lab_objections WHERE report_id = ?`, cur.ID).Scan(&objections); err != nil {
			return err
		}
		switch {
		case cur.Status != StatusIssued:
			errs.Add("report", "rule.lab.report.not_issued", "status", cur.Status)
		case objections > 0:
			errs.Add("report", "rule.lab.objection.filed")
		case cur.FinalAt != 0:
			errs.Add("report", "rule.lab.delivery.final")
		case deliveredOn < millisDate(cur.IssuedAt) || deliveredOn > workday.FormatDate(now):
			errs.Add("delivered_on", "rule.lab.delivery.range", "min", millisDate(cur.IssuedAt), "max", workday.FormatDate(now))
		}
		if err := errs.Err(); err != nil {
			return err
		}
		s, err := loadSample(ctx, tx, cur.SampleID, "")
		if err != nil {
			return err
		}
		day, _ := workday.ParseDate(deliveredOn)
		before := map[string]any{"delivered_at": cur.DeliveredAt, "objection_deadline": cur.ObjectionDeadline}
		cur.DeliveredAt, cur.UpdatedAt = day.UnixMilli(), now.UnixMilli()
		if cur.ObjectionDeadline != "" {
			cur.ObjectionDeadline = cfg.ObjectionDeadline(cal, s.Kind, day)
		}
		if _, err := tx.Exec(ctx, `UPDATE lab_reports SET delivered_at = ?, objection_deadline = ?, updated_at = ? WHERE id = ?`,
			cur.DeliveredAt, cur.ObjectionDeadline, cur.UpdatedAt, cur.ID); err != nil {
			return err
		}
		out = cur
		return audit.Write(ctx, tx, audit.Entry{Action: "deliver", Entity: "lab_report", EntityID: cur.ID, RegionCode: cur.RegionCode,
			Before: before, After: map[string]any{"delivered_at": cur.DeliveredAt, "objection_deadline": cur.ObjectionDeadline}})
	})
	if err != nil {
		return nil, err
	}
	v := out.View(who)
	return &v, nil
}

// reportInForce loads and locks the version in force of report number for
// a change by its institution or the office: a revision still in draft
// leaves the version before it in force.
func reportInForce(ctx context.Context, tx *store.Tx, who *auth.User, number string) (*Report, error) {
	cur, err := latestByNumber(ctx, tx, number)
	if err != nil {
		return nil, err
	}
	if !canSeeReport(who, cur) {
		return nil, fielderr.ErrNotFound
	}
	if !(institutionOf(who) == cur.InstitutionID || isManager(who)) {
		return nil, fielderr.ErrForbidden
	}
	if cur.Status == StatusDraft && cur.Supersedes != "" {
		if cur, err = loadReport(ctx, tx, cur.Supersedes); err != nil {
			return nil, err
		}
	}
	return lockReport(ctx, tx, cur.ID)
}
