package lab

import (
	"context"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Topics the testing system emits.
const (
	// TopicNonconforming is the topic internal/trace/recall consumes
	// (recall.TopicNonconforming); its payload is NonconformingEvent.
	TopicNonconforming = "lot.nonconforming"
	// TopicReportIssued: every issue of a report version, whatever its
	// conclusion (payload ReportEvent).
	TopicReportIssued = "lab.report.issued"
	// TopicReportRevoked: a report was revoked (payload ReportEvent), so
	// that whatever acted on it can look again.
	TopicReportRevoked = "lab.report.revoked"
	// TopicResultFinal: a sample's result can no longer be challenged —
	// a re-test's report was issued, or the objection window closed with no
	// objection (payload ReportEvent, Final set). Credit counts these.
	TopicResultFinal = "lab.result.final"
)

// When lot.nonconforming is emitted: once per sample (a re-test counts as
// its original's), at the first issue of a nonconforming report for it —
// the original's, a revision's, or a re-test's that overturns a
// conforming one. Not later: a recall of food may not wait out the
// objection window (食品安全法 第八十八条: a re-test does not suspend
// control measures), and a recall proposal is an officer's to confirm or
// dismiss. Final says whether the result can still be challenged; the
// re-test's outcome follows on TopicResultFinal, so credit and cases act on
// final results only and a proposal can be dismissed when a re-test
// overturns it.

// NonconformingEvent is the payload of TopicNonconforming. Its first five
// fields are recall.Nonconforming's, under the same JSON names. ReportID
// carries the report's number, the identifier people quote and GetReport
// takes (recall shows it in the proposal's reason); ReportRowID is the
// issued version's row.
type NonconformingEvent struct {
	EnterpriseID string      `json:"enterprise_id"`
	Product      string      `json:"product"`
	Lot          string      `json:"lot"` // the lot's trace identifier (canonical), else the lot as written
	Items        []EventItem `json:"items"`
	ReportID     string      `json:"report_id"`

	ReportRowID string `json:"report_row_id"`

	RegionCode        string `json:"region_code"`
	DepartmentID      string `json:"department_id"` // the sampling task's
	TaskID            string `json:"task_id"`
	ReportNumber      string `json:"report_number"`
	ReportVersion     int    `json:"report_version"`
	InstitutionID     string `json:"institution_id"`
	InstitutionName   string `json:"institution_name"`
	SampleID          string `json:"sample_id"` // the original sample (a re-test's original)
	SampleNumber      string `json:"sample_number"`
	LotText           string `json:"lot_text"` // as written on the sampling form
	ProductID         string `json:"product_id,omitempty"`
	Category          string `json:"category"`
	Kind              string `json:"kind"` // food | product
	IssuedAt          int64  `json:"issued_at"`
	ObjectionDeadline string `json:"objection_deadline,omitempty"`
	Final             bool   `json:"final"`
	Retest            bool   `json:"retest"`
}

// EventItem is a failing item: recall reads its name.
type EventItem struct {
	Name       string     `json:"name"`
	Value      string     `json:"value"`
	Unit       string     `json:"unit,omitempty"`
	Method     string     `json:"method,omitempty"`
	Conclusion string     `json:"conclusion"`
	Limit      *LimitCopy `json:"limit,omitempty"`
}

// ReportEvent is the payload of TopicReportIssued and TopicResultFinal.
type ReportEvent struct {
	ReportID          string `json:"report_id"`
	Number            string `json:"number"`
	Version           int    `json:"version"`
	RegionCode        string `json:"region_code"`
	InstitutionID     string `json:"institution_id"`
	EnterpriseID      string `json:"enterprise_id"`
	SampleID          string `json:"sample_id"`
	OriginalSampleID  string `json:"original_sample_id"`
	Conclusion        string `json:"conclusion"`
	Final             bool   `json:"final"`
	Supersedes        string `json:"supersedes,omitempty"`
	RetestOf          string `json:"retest_of,omitempty"`
	Overturned        bool   `json:"overturned,omitempty"` // a re-test reached the other conclusion
	ObjectionDeadline string `json:"objection_deadline,omitempty"`
	IssuedAt          int64  `json:"issued_at"`
}

func reportEvent(r *Report, s *Sample) ReportEvent {
	root := s.ID
	if s.RetestOf != "" {
		root = s.RetestOf
	}
	return ReportEvent{ReportID: r.ID, Number: r.Number, Version: r.Version, RegionCode: r.RegionCode,
		InstitutionID: r.InstitutionID, EnterpriseID: s.EnterpriseID, SampleID: s.ID, OriginalSampleID: root,
		Conclusion: r.Conclusion, Final: r.FinalAt != 0, Supersedes: r.Supersedes, RetestOf: r.RetestOf,
		ObjectionDeadline: r.ObjectionDeadline, IssuedAt: r.IssuedAt}
}

// emitConsequences writes, in the issuing transaction, what an issued
// report sets going: its events and the notices to the enterprise and, for
// a nonconforming or re-test result, the task's department.
func emitConsequences(ctx context.Context, tx *store.Tx, r *Report, s *Sample, inst *Institution, orig *Report) error {
	ev := reportEvent(r, s)
	if orig != nil {
		ev.Overturned = orig.Conclusion != r.Conclusion
	}
	if err := jobs.Emit(ctx, tx, TopicReportIssued, ev); err != nil {
		return err
	}
	if r.FinalAt != 0 {
		if err := jobs.Emit(ctx, tx, TopicResultFinal, ev); err != nil {
			return err
		}
	}
	var dept string
	if err := tx.QueryRow(ctx, `SELECT department_id FROM lab_tasks WHERE id = ?`, s.TaskID).Scan(&dept); err != nil {
		return err
	}
	// The conclusion is part of the kind, so that each reader's catalogue
	// words it.
	params := map[string]string{"deadline": r.ObjectionDeadline}
	kind := "lab.report.issued." + r.Conclusion
	if r.RetestOf != "" {
		kind = "lab.retest.issued." + r.Conclusion
	}
	if err := notifyEnterprise(ctx, tx, r, kind, params); err != nil {
		return err
	}
	if r.Conclusion == Nonconforming || r.RetestOf != "" {
		p := reportParams(r)
		p["enterprise"] = r.Content.Enterprise.Name
		dkind := "lab.report.nonconforming"
		if r.RetestOf != "" {
			dkind = "lab.retest.department." + r.Conclusion
		}
		if _, err := notify.ToDepartment(ctx, tx, dept, notify.Notice{Kind: dkind, Params: p, Link: reportLink(r),
			DedupeKey: dkind + ":" + r.ID}); err != nil {
			return err
		}
	}
	if r.Conclusion != Nonconforming {
		return nil
	}
	root := s.ID
	if s.RetestOf != "" {
		root = s.RetestOf
	}
	// One event per sample, however many versions and re-tests follow.
	res, err := tx.Exec(ctx, `UPDATE lab_samples SET nonconforming_emitted = ? WHERE id = ? AND nonconforming_emitted = ?`,
		true, root, false)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	orig0 := s
	if root != s.ID {
		if orig0, err = loadSample(ctx, tx, root, ""); err != nil {
			return err
		}
	}
	results, err := loadResults(ctx, tx, s.ID)
	if err != nil {
		return err
	}
	items := []EventItem{}
	for _, res := range results {
		if res.Conclusion == Nonconforming {
			items = append(items, EventItem{Name: res.Item, Value: res.Value, Unit: res.Unit, Method: res.Method,
				Conclusion: res.Conclusion, Limit: res.Limit})
		}
	}
	lot := s.LotURI
	if lot == "" {
		lot = s.Lot
	}
	nc := NonconformingEvent{EnterpriseID: s.EnterpriseID, Product: s.ProductName, Lot: lot, Items: items, ReportID: r.Number,
		ReportRowID: r.ID, RegionCode: r.RegionCode, DepartmentID: dept, TaskID: s.TaskID, ReportNumber: r.Number, ReportVersion: r.Version,
		InstitutionID: inst.ID, InstitutionName: inst.Name, SampleID: root, SampleNumber: orig0.Number, LotText: s.Lot,
		ProductID: s.ProductID, Category: s.Category, Kind: s.Kind, IssuedAt: r.IssuedAt,
		ObjectionDeadline: r.ObjectionDeadline, Final: r.FinalAt != 0, Retest: s.RetestOf != ""}
	if err := jobs.Emit(ctx, tx, TopicNonconforming, nc); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Action: "emit", Entity: "lab_sample", EntityID: root, RegionCode: r.RegionCode,
		After: map[string]any{"topic": TopicNonconforming, "report_id": r.ID}})
}

func reportLink(r *Report) string { return "/lab/reports/" + r.Number }

func reportParams(r *Report) map[string]string {
	p := map[string]string{"number": refString(r), "sample": r.SampleNumber}
	if r.Content != nil {
		p["product"], p["lot"] = r.Content.Sample.Product, r.Content.Sample.Lot
	}
	return p
}

// notifyEnterprise tells the users of the enterprise a report concerns.
func notifyEnterprise(ctx context.Context, tx *store.Tx, r *Report, kind string, extra map[string]string) error {
	if r.EnterpriseID == "" {
		return nil
	}
	p := reportParams(r)
	for k, v := range extra {
		p[k] = v
	}
	_, err := notify.ToEnterprise(ctx, tx, r.EnterpriseID, notify.Notice{Kind: kind, Params: p, Link: reportLink(r),
		DedupeKey: kind + ":" + r.ID})
	return err
}

// FinaliseResults marks final the issued original reports whose objection
// window closed on or before the day before day with no objection, and
// emits TopicResultFinal for each. It returns how many it marked; a second
// run on the same day marks nothing.
func FinaliseResults(ctx context.Context, db *store.DB, day time.Time) (int, error) {
	today := workday.FormatDate(day)
	ids, err := store.Column[string](ctx, db, `SELECT r.id FROM lab_reports r WHERE r.status = ? AND r.final_at IS NULL AND r.retest_of = ''
		AND r.objection_deadline <> '' AND r.objection_deadline < ?
		AND NOT EXISTS (SELECT 1 FROM lab_objections o WHERE o.report_id = r.id) ORDER BY r.issued_at, r.id`, StatusIssued, today)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		marked := false
		err := db.Tx(ctx, func(tx *store.Tx) error {
			r, err := lockReport(ctx, tx, id)
			if err != nil || r.FinalAt != 0 || r.Status != StatusIssued {
				return err
			}
			var objections int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM lab_objections WHERE report_id = ?`, id).Scan(&objections); err != nil || objections > 0 {
				return err
			}
			s, err := loadSample(ctx, tx, r.SampleID, "")
			if err != nil {
				return err
			}
			r.FinalAt = day.UnixMilli()
			if _, err := tx.Exec(ctx, `UPDATE lab_reports SET final_at = ? WHERE id = ?`, r.FinalAt, id); err != nil {
				return err
			}
			marked = true
			if err := jobs.Emit(ctx, tx, TopicResultFinal, reportEvent(r, s)); err != nil {
				return err
			}
			return audit.Write(audit.WithActor(ctx, audit.System), tx, audit.Entry{Action: "final", Entity: "lab_report",
				EntityID: id, RegionCode: r.RegionCode, After: map[string]any{"objection_deadline": r.ObjectionDeadline}})
		})
		if err != nil {
			return n, err
		}
		if marked {
			n++
		}
	}
	return n, nil
}

// Register wires the testing system's daily jobs into the runner: at 06:20
// China time the expiry reminders of CMA certificates, and the results
// whose objection window has closed.
func Register(r *jobs.Runner, db *store.DB) {
	r.Daily("lab.daily", 6*time.Hour+20*time.Minute, func(ctx context.Context, day time.Time) error {
		if _, err := RemindExpiring(ctx, db, day); err != nil {
			return err
		}
		_, err := FinaliseResults(ctx, db, day)
		return err
	})
}
