package lab_test

import (
	"context"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

func TestObjectionWindowCountsTheOfficialCalendar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// 劳动节 2026: 1–5 May off, Saturday 9 May worked instead.
		if name, ok := workday.Official().Holiday(workday.Date(2026, 5, 1)); !ok || name != "劳动节" {
			t.Fatalf("1 May 2026 is not 劳动节 in the calendar (%q)", name)
		}
		ctx := at(w.labA1, shanghai(2026, 4, 27, 9, 0))
		w.catalogue(ctx)
		food := w.issue(at(w.labA2, shanghai(2026, 4, 29, 10, 0)), w.tested(ctx, lab.KindFood, "2026-04-24", "0.35"), w.labA1, w.labA2)
		// 7 working days from Wednesday 29 April: 30 Apr, 6, 7, 8, 9 (the
		// make-up Saturday), 11, 12 May.
		if food.ObjectionDeadline != "2026-05-12" {
			t.Errorf("food deadline %s, want 2026-05-12", food.ObjectionDeadline)
		}
		// 15 days from Wednesday 16 September is 1 October, the first day
		// of 国庆节: the period ends on the next working day, 8 October.
		pctx := at(w.labA1, shanghai(2026, 9, 14, 9, 0))
		product := w.issue(at(w.labA2, shanghai(2026, 9, 16, 10, 0)), w.tested(pctx, lab.KindProduct, "2026-09-11", "0.35"), w.labA1, w.labA2)
		if product.ObjectionDeadline != "2026-10-08" {
			t.Errorf("product deadline %s, want 2026-10-08", product.ObjectionDeadline)
		}

		in := lab.ObjectionInput{Reason: "对铅的检测结果有异议，申请复检"}
		late := at(w.entUser, shanghai(2026, 5, 13, 9, 0))
		_, err := lab.Object(late, db, w.entUser, food.Number, in)
		if rule(err, "report") != "rule.lab.objection.late.food" {
			t.Fatalf("an objection on the 8th working day: %v", err)
		}
		if p, _ := fieldErr(err, "report"); p["deadline"] != "2026-05-12" || p["days"] != 7 {
			t.Errorf("the refusal says %v", p)
		}
		if _, err := lab.Object(at(w.entUser, shanghai(2026, 10, 9, 9, 0)), db, w.entUser, product.Number, in); rule(err, "report") != "rule.lab.objection.late.product" {
			t.Errorf("a product objection on 9 October: %v", err)
		}
		lastDay := at(w.entUser, shanghai(2026, 5, 12, 17, 30))
		if _, err := lab.Object(lastDay, db, w.otherUser, food.Number, in); !isNotFound(err) {
			t.Errorf("another enterprise objects: %v", err)
		}
		if _, err := lab.Object(lastDay, db, w.officer, food.Number, in); !isForbidden(err) {
			t.Errorf("an officer objects: %v", err)
		}
		if _, err := lab.Object(lastDay, db, w.entUser, food.Number, lab.ObjectionInput{Items: []string{"汞"}, Reason: "x"}); rule(err, "items[0]") != "rule.lab.objection.item" {
			t.Errorf("an objection to an item the report lacks: %v", err)
		}
		o, err := lab.Object(lastDay, db, w.entUser, food.Number, in)
		must(t, err)
		if o.Status != lab.ObjectionOpen || len(o.Items) != 1 || o.Items[0] != "铅" || o.Deadline != "2026-05-12" {
			t.Errorf("objection %+v", o)
		}
		if _, err := lab.Object(lastDay, db, w.entUser, food.Number, in); rule(err, "report") != "rule.lab.objection.filed" {
			t.Errorf("a second objection: %v", err)
		}
		if !hasNotice(t, db, w.officer.ID, "lab.objection.filed") {
			t.Error("the task's department was not told of the objection")
		}
		if !hasNotice(t, db, w.labA2.ID, "lab.objection.filed.institution") {
			t.Error("the institution keeping the reserve was not told")
		}
	})
}

func TestRetestGoesToAnotherQualifiedInstitutionAndIsFinal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 10, 9, 0))
		w.catalogue(ctx)
		s := w.tested(ctx, lab.KindFood, "2026-03-09", "0.35")
		orig := w.issue(ctx, s, w.labA1, w.labA2)
		if _, err := lab.Object(ctx, db, w.entUser, orig.Number, lab.ObjectionInput{Reason: "申请复检"}); err != nil {
			t.Fatal(err)
		}
		objs, err := lab.ListObjections(ctx, db, w.officer, lab.ObjectionOpen)
		must(t, err)
		if len(objs) != 1 {
			t.Fatalf("%d open objections", len(objs))
		}
		o := objs[0]

		// Institution C tests dairy for protein only; D's certificate has ended.
		octx := at(w.officer, shanghai(2026, 3, 12, 9, 0))
		instC, err := lab.CreateInstitution(octx, db, w.officer, lab.InstitutionInput{Name: "某食品检测公司",
			USCC: codes.USCCFromSerial(region, 903), ReportPrefix: "SP", CMANumber: "230512340003", CMAValidFrom: "2024-01-01",
			CMAValidTo: "2029-12-31", Scope: []lab.ScopeEntry{{Category: "乳制品", Item: "蛋白质"}}})
		must(t, err)
		instD, err := lab.CreateInstitution(octx, db, w.officer, lab.InstitutionInput{Name: "某过期检测站",
			USCC: codes.USCCFromSerial(region, 904), ReportPrefix: "GQ", CMANumber: "200512340004", CMAValidFrom: "2020-01-01",
			CMAValidTo: "2025-12-31", Scope: []lab.ScopeEntry{{Category: "乳制品", Item: "铅"}}})
		must(t, err)
		for name, c := range map[string]struct{ inst, rule string }{
			"the first institution":     {w.instA.ID, "rule.lab.retest.same_institution"},
			"one without lead in scope": {instC.ID, "rule.lab.retest.not_qualified"},
			"one whose CMA ended":       {instD.ID, "rule.lab.retest.not_qualified"},
			"an unknown one":            {"nope", "rule.lab.institution_unknown"},
		} {
			if _, err := lab.AssignRetest(octx, db, w.officer, o.ID, c.inst); rule(err, "institution_id") != c.rule {
				t.Errorf("re-test at %s: %v", name, err)
			}
		}
		if _, err := lab.AssignRetest(octx, db, w.inspector, o.ID, w.instB.ID); !isForbidden(err) {
			t.Errorf("an inspector assigns: %v", err)
		}
		rt, err := lab.AssignRetest(octx, db, w.officer, o.ID, w.instB.ID)
		must(t, err)
		if rt.Number != s.Number+"-R" || rt.InstitutionID != w.instB.ID || rt.RetestOf != s.ID || rt.Lot != s.Lot || rt.LotURI != s.LotURI {
			t.Errorf("re-test sample %+v", rt)
		}
		if _, err := lab.AssignRetest(octx, db, w.officer, o.ID, w.instB.ID); rule(err, "objection") != "rule.lab.objection.assigned" {
			t.Errorf("assigning twice: %v", err)
		}
		if !hasNotice(t, db, w.labB1.ID, "lab.retest.assigned") {
			t.Error("institution B was not told")
		}

		labB2, err := auth.CreateUser(audit.WithActor(context.Background(), audit.System), db, auth.NewUser{Username: "lab-b2",
			Name: "lab-b2", Password: "correct-horse-9", Role: auth.RoleInstitution, RegionCode: region, InstitutionID: w.instB.ID})
		must(t, err)
		bctx := at(w.labB1, shanghai(2026, 3, 16, 9, 0))
		w.step(bctx, w.officer, rt, lab.StepSent)
		w.step(bctx, w.labB1, rt, lab.StepReceived)
		// Only the disputed item is re-tested.
		_, err = lab.EnterResults(bctx, db, w.labB1, rt.ID, []lab.ResultInput{{Item: "铅", Value: "0.12", Unit: "mg/kg"}})
		must(t, err)
		w.step(bctx, w.labB1, rt, lab.StepTested)
		final := w.issue(at(labB2, shanghai(2026, 3, 18, 9, 0)), rt, w.labB1, labB2)
		if final.Number != "ALM-2026-0001" || final.RetestOf != orig.ID || final.Conclusion != lab.Conforming ||
			final.FinalAt == 0 || final.ObjectionDeadline != "" {
			t.Errorf("the re-test's report %+v", final)
		}
		back, err := lab.GetReport(ctx, db, w.officer, orig.Number)
		must(t, err)
		if back.RetestedBy != final.ID || back.Status != lab.StatusIssued {
			t.Errorf("the original after the re-test %+v", back)
		}
		v, err := lab.Verify(ctx, db, orig.Number, orig.VerificationCode)
		must(t, err)
		if v.State != lab.VerifyRetested || v.RetestedBy == nil || v.RetestedBy.Number != final.Number || v.RetestedBy.Conclusion != lab.Conforming {
			t.Errorf("verify the re-tested original %+v", v)
		}
		closed, err := lab.GetObjection(ctx, db, w.entUser, o.ID)
		must(t, err)
		if closed.Status != lab.ObjectionClosed || closed.RetestSampleID != rt.ID {
			t.Errorf("objection after the re-test %+v", closed)
		}
		if _, err := lab.Object(ctx, db, w.entUser, final.Number, lab.ObjectionInput{Reason: "x"}); err == nil {
			t.Error("an objection to the re-test's (conforming, final) report was accepted")
		}
		// The first institution's result was overturned: the regulator sees it.
		flags, err := lab.Flags(ctx, db, w.officer, lab.FlagFilter{Kind: lab.FlagOverturned})
		must(t, err)
		if len(flags) != 1 || flags[0].InstitutionID != w.instA.ID || flags[0].SubjectID != orig.ID || flags[0].Detail["retest_number"] != final.Number {
			t.Errorf("overturned flags %+v", flags)
		}
		// The re-test's result is final: its event says so, overturned.
		evs := events(t, db, lab.TopicResultFinal)
		if len(evs) != 1 || evs[0]["report_id"] != final.ID || evs[0]["overturned"] != true || evs[0]["original_sample_id"] != s.ID {
			t.Errorf("final events %v", evs)
		}
	})
}

func hasNotice(t *testing.T, db *store.DB, userID, kind string) bool {
	t.Helper()
	var n int
	must(t, db.QueryRow(context.Background(), `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ?`, userID, kind).Scan(&n))
	return n > 0
}

func TestLaterDeliveryMovesTheWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 10, 9, 0))
		w.catalogue(ctx)
		r := w.issue(at(w.labA2, shanghai(2026, 3, 12, 9, 0)), w.tested(ctx, lab.KindProduct, "2026-03-09", "0.35"), w.labA1, w.labA2)
		if r.ObjectionDeadline != "2026-03-27" {
			t.Fatalf("deadline at issue %s", r.ObjectionDeadline)
		}
		octx := at(w.officer, shanghai(2026, 3, 17, 9, 0))
		if _, err := lab.RecordDelivery(octx, db, w.officer, r.Number, "2026-03-11"); rule(err, "delivered_on") != "rule.lab.delivery.range" {
			t.Errorf("delivered before issue: %v", err)
		}
		if _, err := lab.RecordDelivery(octx, db, w.entUser, r.Number, "2026-03-16"); !isForbidden(err) {
			t.Errorf("the enterprise records its own delivery: %v", err)
		}
		// Served on Monday 16 March: 15 days later is Tuesday 31 March.
		d, err := lab.RecordDelivery(octx, db, w.officer, r.Number, "2026-03-16")
		must(t, err)
		if d.ObjectionDeadline != "2026-03-31" || d.Fingerprint != r.Fingerprint {
			t.Errorf("after delivery %+v", d)
		}
		if _, err := lab.Object(at(w.entUser, shanghai(2026, 3, 30, 9, 0)), db, w.entUser, r.Number, lab.ObjectionInput{Reason: "申请复检"}); err != nil {
			t.Errorf("an objection within the moved window: %v", err)
		}
		if _, err := lab.RecordDelivery(octx, db, w.officer, r.Number, "2026-03-17"); rule(err, "report") != "rule.lab.objection.filed" {
			t.Errorf("moving the delivery after an objection: %v", err)
		}
	})
}
