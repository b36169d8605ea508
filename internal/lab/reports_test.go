package lab_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// tested is a received sample with its two items entered (lead at the
// value given, the colony count well within its limit) and the testing
// step recorded.
func (w *world) tested(ctx context.Context, kind, sampledOn, lead string) *lab.Sample {
	w.t.Helper()
	s := w.received(ctx, kind, sampledOn)
	_, err := lab.EnterResults(ctx, w.db, w.labA1, s.ID, []lab.ResultInput{
		{Item: "铅", Value: lead, Unit: "mg/kg", Method: "GB 5009.12-2023"},
		{Item: "菌落总数", Value: "2100", Unit: "CFU/g"},
	})
	must(w.t, err)
	w.step(ctx, w.labA1, s, lab.StepTested)
	return s
}

// issue drafts the sample's report as drafter and approves it as approver.
func (w *world) issue(ctx context.Context, s *lab.Sample, drafter, approver *auth.User) *lab.Report {
	w.t.Helper()
	d, err := lab.DraftReport(ctx, w.db, drafter, s.ID)
	must(w.t, err)
	r, err := lab.ApproveReport(ctx, w.db, approver, d.ID)
	must(w.t, err)
	return r
}

func countAudit(t *testing.T, db *store.DB, action, entityID string) int {
	t.Helper()
	var n int
	must(t, db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = ? AND entity_id = ?`, action, entityID).Scan(&n))
	return n
}

var codePattern = regexp.MustCompile(`^[34679ACDEFGHJKMNPQRTWXY]{8}$`)

func TestReportIssueNeedsTwoPeopleAndThenStaysAsIssued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 10, 9, 0))
		w.catalogue(ctx)
		s := w.received(ctx, lab.KindProduct, "2026-03-09")
		_, err := lab.EnterResults(ctx, db, w.labA1, s.ID, []lab.ResultInput{{Item: "铅", Value: "0.35", Unit: "mg/kg"}})
		must(t, err)
		if _, err := lab.DraftReport(ctx, db, w.labA1, s.ID); rule(err, "sample") != "rule.lab.report.not_tested" {
			t.Errorf("a report before testing: %v", err)
		}
		w.step(ctx, w.labA1, s, lab.StepTested)
		if _, err := lab.DraftReport(ctx, db, w.labA1, s.ID); rule(err, "sample") != "rule.lab.report.missing_items" {
			t.Errorf("a report without the colony count the task asks for: %v", err)
		}
		_, err = lab.EnterResults(ctx, db, w.labA1, s.ID, []lab.ResultInput{{Item: "菌落总数", Value: "2100", Unit: "CFU/g"}})
		must(t, err)
		d, err := lab.DraftReport(ctx, db, w.labA1, s.ID)
		must(t, err)
		if d.Number != "ALS-2026-0001" || d.Version != 1 || d.Status != lab.StatusDraft || d.Conclusion != lab.Nonconforming {
			t.Errorf("draft %+v", d)
		}
		// The enterprise does not see a draft.
		if _, err := lab.GetReport(ctx, db, w.entUser, d.Number); !isNotFound(err) {
			t.Errorf("the enterprise reads a draft: %v", err)
		}
		// The drafter may not approve their own draft.
		if _, err := lab.ApproveReport(ctx, db, w.labA1, d.ID); rule(err, "approver") != "rule.lab.report.self_approval" {
			t.Errorf("self-approval: %v", err)
		}
		if _, err := lab.ApproveReport(ctx, db, w.labB1, d.ID); !isNotFound(err) {
			t.Errorf("another institution approves: %v", err)
		}
		issueCtx := at(w.labA2, shanghai(2026, 3, 12, 15, 0))
		r, err := lab.ApproveReport(issueCtx, db, w.labA2, d.ID)
		must(t, err)
		if r.Status != lab.StatusIssued || r.ApprovedBy != w.labA2.ID || r.DraftedBy != w.labA1.ID || !codePattern.MatchString(r.VerificationCode) ||
			r.DeliveredAt == 0 || r.IssuedAt != r.DeliveredAt || r.Content.IssuedOn != "2026-03-12" || r.TurnaroundDays != 2 {
			t.Errorf("issued %+v", r)
		}
		b, _ := json.Marshal(r.Content)
		sum := sha256.Sum256(b)
		if r.Fingerprint != hex.EncodeToString(sum[:]) {
			t.Errorf("fingerprint %s is not the SHA-256 of the content", r.Fingerprint)
		}
		// Product: 15 days from 12 March is 27 March, a Friday.
		if r.ObjectionDeadline != "2026-03-27" {
			t.Errorf("objection deadline %s", r.ObjectionDeadline)
		}
		got, err := lab.GetReport(ctx, db, w.entUser, r.Number)
		must(t, err)
		if got.VerificationCode != r.VerificationCode || got.Conclusion != lab.Nonconforming {
			t.Errorf("the enterprise sees %+v", got)
		}
		if _, err := lab.GetReport(ctx, db, w.otherUser, r.Number); !isNotFound(err) {
			t.Errorf("another enterprise reads the report: %v", err)
		}
		if list, total, err := lab.ListReports(ctx, db, w.inspector, lab.ReportFilter{Conclusion: lab.Nonconforming}); err != nil ||
			total != 1 || list[0].VerificationCode == "" {
			t.Errorf("the inspector lists %+v (%d, %v)", list, total, err)
		}

		// Changing the issued report is refused, audited and flagged; the
		// results stay as issued.
		_, err = lab.EnterResults(ctx, db, w.labA1, s.ID, []lab.ResultInput{{Item: "铅", Value: "0.05", Unit: "mg/kg"}})
		if rule(err, "report") != "rule.lab.report.issued" {
			t.Fatalf("results changed after issue: %v", err)
		}
		if _, err := lab.DraftReport(ctx, db, w.labA2, s.ID); rule(err, "report") != "rule.lab.report.issued" {
			t.Errorf("a new draft over the issued report: %v", err)
		}
		if n := countAudit(t, db, "alteration_attempt", r.ID); n != 2 {
			t.Errorf("%d alteration attempts audited", n)
		}
		flags, err := lab.Flags(ctx, db, w.officer, lab.FlagFilter{Kind: lab.FlagAlterationAttempt})
		must(t, err)
		if len(flags) != 2 || flags[0].SubjectID != r.ID || flags[0].InstitutionID != w.instA.ID {
			t.Errorf("alteration flags %+v", flags)
		}
		sample, err := lab.GetSample(ctx, db, w.officer, s.ID)
		must(t, err)
		for _, res := range sample.Results {
			if res.Item == "铅" && res.Value != "0.35" {
				t.Errorf("the issued lead result became %s", res.Value)
			}
		}
		again, err := lab.GetReport(ctx, db, w.officer, r.Number)
		must(t, err)
		if again.Fingerprint != r.Fingerprint || again.Status != lab.StatusIssued {
			t.Errorf("the report changed: %+v", again)
		}
	})
}

func TestRevisionSupersedesAndVerifyTellsEachState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 10, 9, 0))
		w.catalogue(ctx)
		s := w.tested(ctx, lab.KindProduct, "2026-03-09", "0.35")
		v1 := w.issue(ctx, s, w.labA1, w.labA2)

		ok, err := lab.Verify(ctx, db, v1.Number, v1.VerificationCode)
		must(t, err)
		if ok.State != lab.VerifyValid || ok.Fingerprint != v1.Fingerprint || ok.Content == nil ||
			ok.Content.Conclusion != lab.Nonconforming || ok.Institution != w.instA.Name {
			t.Errorf("verify the issued report: %+v", ok)
		}
		// Typed in lower case with a dash, the code still matches.
		lower := []byte(v1.VerificationCode)
		for i := range lower {
			if lower[i] >= 'A' && lower[i] <= 'Z' {
				lower[i] += 'a' - 'A'
			}
		}
		if v, _ := lab.Verify(ctx, db, v1.Number, string(lower[:4])+"-"+string(lower[4:])); v.State != lab.VerifyValid {
			t.Errorf("a code typed in lower case: %s", v.State)
		}
		for _, c := range []struct{ number, code string }{
			{"ALS-2026-9999", v1.VerificationCode}, // no such number
			{v1.Number, "34679ACD"},                // wrong code
			{v1.Number, ""},
		} {
			v, err := lab.Verify(ctx, db, c.number, c.code)
			must(t, err)
			if v.State != lab.VerifyUnknown || v.Content != nil || v.Number != "" {
				t.Errorf("verify %s/%s: %+v", c.number, c.code, v)
			}
		}

		// A revision: a reason is needed; the revision is a draft until a
		// second user approves it; results can be corrected meanwhile.
		if _, err := lab.ReviseReport(ctx, db, w.labA1, v1.Number, " "); rule(err, "reason") != "rule.required" {
			t.Errorf("a revision without a reason: %v", err)
		}
		rev, err := lab.ReviseReport(ctx, db, w.labA1, v1.Number, "铅的单位录入错误")
		must(t, err)
		if rev.Version != 2 || rev.Status != lab.StatusDraft || rev.Supersedes != v1.ID {
			t.Errorf("revision %+v", rev)
		}
		// While the revision is in draft the enterprise still sees version 1.
		if cur, err := lab.GetReport(ctx, db, w.entUser, v1.Number); err != nil || cur.Version != 1 {
			t.Errorf("the enterprise during the revision: %+v %v", cur, err)
		}
		_, err = lab.EnterResults(ctx, db, w.labA1, s.ID, []lab.ResultInput{{Item: "铅", Value: "0.035", Unit: "mg/kg"}})
		must(t, err)
		// The draft no longer states the results: approving it is refused.
		if _, err := lab.ApproveReport(ctx, db, w.labA2, rev.ID); rule(err, "report") != "rule.lab.report.stale" {
			t.Errorf("approving a stale draft: %v", err)
		}
		redrawn, err := lab.DraftReport(ctx, db, w.labA1, s.ID)
		must(t, err)
		if redrawn.ID != rev.ID || redrawn.Conclusion != lab.Conforming {
			t.Errorf("redrawn %+v", redrawn)
		}
		v2, err := lab.ApproveReport(at(w.labA2, shanghai(2026, 3, 13, 9, 0)), db, w.labA2, rev.ID)
		must(t, err)
		if v2.Number != v1.Number || v2.Version != 2 || v2.Conclusion != lab.Conforming || v2.VerificationCode == v1.VerificationCode {
			t.Errorf("v2 %+v", v2)
		}
		old, err := lab.GetReportVersion(ctx, db, w.officer, v1.Number, 1)
		must(t, err)
		if old.Status != lab.StatusSuperseded || old.SupersededBy != v2.ID || old.Fingerprint != v1.Fingerprint {
			t.Errorf("v1 after the revision %+v", old)
		}
		cur, err := lab.GetReport(ctx, db, w.entUser, v1.Number)
		must(t, err)
		if cur.Version != 2 || cur.RevisionReason != "铅的单位录入错误" {
			t.Errorf("the report in force %+v", cur)
		}
		sup, err := lab.Verify(ctx, db, v1.Number, v1.VerificationCode)
		must(t, err)
		if sup.State != lab.VerifySuperseded || sup.SupersededBy == nil || sup.SupersededBy.Version != 2 || sup.Content != nil {
			t.Errorf("verify version 1: %+v", sup)
		}
		if v, _ := lab.Verify(ctx, db, v2.Number, v2.VerificationCode); v.State != lab.VerifyValid || v.Version != 2 {
			t.Errorf("verify version 2: %+v", v)
		}

		// Revocation, with a reason, by the officials or the institution.
		if _, err := lab.RevokeReport(ctx, db, w.entUser, v2.Number, "x"); !isForbidden(err) {
			t.Errorf("the enterprise revokes: %v", err)
		}
		rv, err := lab.RevokeReport(at(w.officer, shanghai(2026, 3, 20, 9, 0)), db, w.officer, v2.Number, "样品标识与抽样单不符")
		must(t, err)
		if rv.Status != lab.StatusRevoked || rv.RevokeReason == "" {
			t.Errorf("revoked %+v", rv)
		}
		if evs := events(t, db, lab.TopicReportRevoked); len(evs) != 1 || evs[0]["report_id"] != v2.ID {
			t.Errorf("revocation events %v", evs)
		}
		v, err := lab.Verify(ctx, db, v2.Number, v2.VerificationCode)
		must(t, err)
		if v.State != lab.VerifyRevoked || v.RevokedOn != "2026-03-20" || v.RevokeReason != "样品标识与抽样单不符" || v.Content != nil {
			t.Errorf("verify the revoked report: %+v", v)
		}
		if _, err := lab.ReviseReport(ctx, db, w.labA1, v2.Number, "x"); rule(err, "report") != "rule.lab.report.not_issued" {
			t.Errorf("revising a revoked report: %v", err)
		}
	})
}

func TestNoReportWithoutAJudgedItem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 10, 9, 0))
		// No limits in the catalogue: every item is entered but none judged.
		s := w.tested(ctx, lab.KindFood, "2026-03-09", "0.35")
		if _, err := lab.DraftReport(ctx, db, w.labA1, s.ID); rule(err, "sample") != "rule.lab.report.nothing_judged" {
			t.Errorf("a report of nothing judged: %v", err)
		}
		w.catalogue(ctx)
		_, err := lab.EnterResults(ctx, db, w.labA1, s.ID, []lab.ResultInput{{Item: "铅", Value: "0.35", Unit: "mg/kg"}})
		must(t, err)
		d, err := lab.DraftReport(ctx, db, w.labA1, s.ID)
		must(t, err)
		if d.Conclusion != lab.Nonconforming {
			t.Errorf("conclusion %s", d.Conclusion)
		}
	})
}
