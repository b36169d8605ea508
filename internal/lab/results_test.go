package lab_test

import (
	"context"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// catalogue puts the dairy limits the tests judge by into the catalogue
// and returns the one for lead.
func (w *world) catalogue(ctx context.Context) judge.Limit {
	w.t.Helper()
	lead, err := limits.Create(ctx, w.db, judge.Limit{Standard: "GB 2762-2022", Clause: "4.1 表1", Category: "乳制品",
		Item: "铅（以Pb计）", Comparison: judge.AtMost, Max: "0.2", Unit: "mg/kg"})
	must(w.t, err)
	_, err = limits.Create(ctx, w.db, judge.Limit{Standard: "GB 19644-2024", Clause: "4.3", Category: "乳制品",
		Item: "菌落总数", Comparison: judge.AtMost, Max: "100000", Unit: "CFU/g"})
	must(w.t, err)
	return lead
}

// received is a sample of a dairy task that institution A has received.
func (w *world) received(ctx context.Context, kind, sampledOn string) *lab.Sample {
	w.t.Helper()
	s := w.sample(ctx, w.task(ctx, kind), sampledOn)
	w.step(ctx, w.officer, s, lab.StepSent)
	w.step(ctx, w.labA1, s, lab.StepReceived)
	return s
}

func TestResultsJudgedAtEntryWithTheLimitCopied(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 10, 9, 0))
		lead := w.catalogue(ctx)
		s := w.sample(ctx, w.task(ctx, lab.KindFood), "2026-03-09")
		in := []lab.ResultInput{{Item: "铅", Value: "0.35", Unit: "mg/kg", Method: "GB 5009.12-2023"}}
		if _, err := lab.EnterResults(ctx, db, w.labA1, s.ID, in); rule(err, "sample") != "rule.lab.result.not_received" {
			t.Errorf("results before the sample arrived: %v", err)
		}
		w.step(ctx, w.officer, s, lab.StepSent)
		w.step(ctx, w.labA1, s, lab.StepReceived)
		if _, err := lab.EnterResults(ctx, db, w.labB1, s.ID, in); !isNotFound(err) {
			t.Errorf("another institution enters results: %v", err)
		}
		if _, err := lab.EnterResults(ctx, db, w.officer, s.ID, in); !isForbidden(err) {
			t.Errorf("an officer enters results: %v", err)
		}
		if _, err := lab.EnterResults(ctx, db, w.labA1, s.ID, []lab.ResultInput{{Item: "铅", Value: "about 0.3"}}); rule(err, "results[0].value") != judge.RuleValue {
			t.Errorf("an unreadable value: %v", err)
		}
		results, err := lab.EnterResults(ctx, db, w.labA1, s.ID, append(in,
			lab.ResultInput{Item: "菌落总数", Value: "<10", Unit: "CFU/g"},
			lab.ResultInput{Item: "蛋白质", Value: "3.1", Unit: "g/100g"},
			lab.ResultInput{Item: "黄曲霉毒素M1", Value: "ND", Unit: "μg/kg"}))
		must(t, err)
		if len(results) != 4 {
			t.Fatalf("%d results", len(results))
		}
		got := map[string]lab.Result{}
		for _, r := range results {
			got[r.Item] = r
		}
		pb := got["铅"]
		if pb.Conclusion != judge.Nonconforming || pb.Value != "0.35" || pb.Reason == "" || pb.Limit == nil ||
			pb.Limit.ID != lead.ID || pb.Limit.Standard != "GB 2762-2022" || pb.Limit.Clause != "4.1 表1" ||
			pb.Limit.Comparison != "le" || pb.Limit.Max != "0.2" || pb.Limit.Unit != "mg/kg" || pb.OutsideScope {
			t.Errorf("lead %+v limit %+v", pb, pb.Limit)
		}
		if c := got["菌落总数"]; c.Conclusion != judge.Conforming || !c.NotDetected || c.Value != "<10" {
			t.Errorf("colony count below its LOD %+v", c)
		}
		if p := got["蛋白质"]; p.Conclusion != judge.NotJudged || p.Reason != "lab.judge.reason.no_limit" || p.Limit != nil {
			t.Errorf("protein without a limit %+v", p)
		}
		// Outside the CMA scope: accepted, and flagged for the regulator.
		if a := got["黄曲霉毒素M1"]; !a.OutsideScope {
			t.Errorf("aflatoxin is outside institution A's scope: %+v", a)
		}
		flags, err := lab.Flags(ctx, db, w.officer, lab.FlagFilter{InstitutionID: w.instA.ID})
		must(t, err)
		if len(flags) != 1 || flags[0].Kind != lab.FlagOutsideScope || flags[0].SubjectID != got["黄曲霉毒素M1"].ID ||
			flags[0].Detail["item"] != "黄曲霉毒素M1" {
			t.Errorf("flags %+v", flags)
		}

		// A later edit of the catalogue leaves the judgement as it was.
		lead.Max = "0.5"
		if _, err := limits.Update(ctx, db, lead); err != nil {
			t.Fatal(err)
		}
		sample, err := lab.GetSample(ctx, db, w.entUser, s.ID)
		must(t, err)
		for _, r := range sample.Results {
			if r.Item == "铅" && (r.Limit.Max != "0.2" || r.Conclusion != judge.Nonconforming) {
				t.Errorf("the stored judgement moved with the catalogue: %+v %+v", r, r.Limit)
			}
		}
		// Entering the item again replaces its result and judges it anew.
		again, err := lab.EnterResults(ctx, db, w.labA2, s.ID, []lab.ResultInput{{Item: "铅（以Pb计）", Value: "0.15", Unit: "mg/kg"}})
		must(t, err)
		if len(again) != 4 || again[0].ID != pb.ID || again[0].Conclusion != judge.Conforming || again[0].Limit.Max != "0.5" ||
			again[0].EnteredBy != w.labA2.ID {
			t.Errorf("re-entered %+v", again[0])
		}
		var audits int
		must(t, db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE entity = 'lab_result' AND entity_id = ?`, pb.ID).Scan(&audits))
		if audits != 2 {
			t.Errorf("%d audit records of the lead result", audits)
		}
	})
}
