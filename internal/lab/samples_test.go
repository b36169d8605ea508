package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

func TestSamplingTaskAndSample(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.officer, shanghai(2026, 3, 10, 9, 0))
		if _, err := lab.CreateSamplingTask(ctx, db, w.officer, lab.TaskInput{Title: "x", Category: "乳制品", Kind: "drink",
			Items: nil, InstitutionID: "nope", PeriodFrom: "2026-05-01", PeriodTo: "2026-04-01"}); err == nil ||
			rule(err, "kind") != "rule.choice" || rule(err, "items") != "rule.required" ||
			rule(err, "institution_id") != "rule.lab.institution_unknown" || rule(err, "period_to") != "rule.lab.dates" {
			t.Errorf("a bad task: %v", err)
		}
		tk := w.task(ctx, lab.KindFood)
		if tk.DepartmentID != w.dept || tk.Institution != w.instA.Name || len(tk.Enterprises) != 1 {
			t.Errorf("task %+v", tk)
		}
		// The institution sees its task; an enterprise never sees a spot check coming.
		if _, err := lab.GetSamplingTask(ctx, db, w.labA1, tk.ID); err != nil {
			t.Errorf("the institution reads its task: %v", err)
		}
		if _, err := lab.GetSamplingTask(ctx, db, w.entUser, tk.ID); !isNotFound(err) {
			t.Errorf("the enterprise reads the task: %v", err)
		}
		if list, err := lab.ListSamplingTasks(ctx, db, w.labB1); err != nil || len(list) != 0 {
			t.Errorf("another institution lists %d tasks (%v)", len(list), err)
		}

		base := lab.SampleInput{TaskID: tk.ID, EnterpriseID: w.ent, ProductName: "驼奶粉", Lot: "20260105A", Quantity: 6,
			Unit: "袋", SampledOn: "2026-03-09", Samplers: []string{"张三", "李四"}, SealPhotos: []string{w.photo}}

		// Two samplers, two different people.
		one := base
		one.Samplers = []string{"张三", " 张三 "}
		if _, err := lab.CreateSample(ctx, db, w.officer, one); rule(err, "samplers") != "rule.lab.samplers" {
			t.Errorf("one sampler named twice: %v", err)
		}
		noPhoto := base
		noPhoto.SealPhotos = nil
		if _, err := lab.CreateSample(ctx, db, w.officer, noPhoto); rule(err, "seal_photos") != "rule.lab.seal_photo_required" {
			t.Errorf("no seal photo: %v", err)
		}
		notTarget := base
		notTarget.EnterpriseID = w.other
		if _, err := lab.CreateSample(ctx, db, w.officer, notTarget); rule(err, "enterprise_id") != "rule.lab.sample.not_target" {
			t.Errorf("an enterprise the task does not target: %v", err)
		}
		future := base
		future.SampledOn = "2026-03-11"
		if _, err := lab.CreateSample(ctx, db, w.officer, future); rule(err, "sampled_on") != "rule.ledger.date_future" {
			t.Errorf("sampled tomorrow: %v", err)
		}
		if _, err := lab.CreateSample(ctx, db, w.labB1, base); !isForbidden(err) {
			t.Errorf("another institution records a sample: %v", err)
		}
		var n int
		must(t, db.QueryRow(context.Background(), `SELECT COUNT(*) FROM lab_samples`).Scan(&n))
		if n != 0 {
			t.Fatalf("%d samples stored by refused input", n)
		}

		s1, err := lab.CreateSample(ctx, db, w.officer, base)
		must(t, err)
		var uscc string
		must(t, db.QueryRow(context.Background(), `SELECT uscc FROM enterprises WHERE id = ?`, w.ent).Scan(&uscc))
		wantLot, _ := trace.LotURI(uscc, "", "驼奶粉", "20260105A")
		if s1.Number != "CY2026-000001" || s1.Lot != "20260105A" || s1.LotURI != wantLot || s1.Custody != lab.StepSampled {
			t.Errorf("sample %+v (want lot %s)", s1, wantLot)
		}
		// An EPC lot is kept as written and canonicalised for the trace;
		// the institution may record samples of its own task.
		epc := base
		epc.Lot = "urn:epc:class:lgtin:4012345.012345.LOT7"
		s2, err := lab.CreateSample(ctx, db, w.labA1, epc)
		must(t, err)
		want, _ := codes.CanonicalID(epc.Lot)
		if s2.Number != "CY2026-000002" || s2.Lot != epc.Lot || s2.LotURI != want || !strings.HasPrefix(want, "https://") {
			t.Errorf("EPC sample %s lot %q → %q, want %q", s2.Number, s2.Lot, s2.LotURI, want)
		}

		typo := base
		typo.Lot = "urn:epc:class:lgtin:4012345.012345"
		if _, err := lab.CreateSample(ctx, db, w.officer, typo); rule(err, "lot") != "rule.epcis.identifier" {
			t.Errorf("a malformed EPC lot: %v", err)
		}
		// A plain lot code with a colon is a lot code, not a URI.
		colon := base
		colon.Lot = "B:0309"
		s3, err := lab.CreateSample(ctx, db, w.officer, colon)
		must(t, err)
		if want, _ := trace.LotURI(uscc, "", "驼奶粉", "B:0309"); s3.LotURI != want {
			t.Errorf("lot B:0309 → %q, want %q", s3.LotURI, want)
		}

		// Who sees which samples.
		for _, c := range []struct {
			name string
			list func() ([]lab.Sample, int, error)
			want int
		}{
			{"officer", func() ([]lab.Sample, int, error) { return lab.ListSamples(ctx, db, w.officer, lab.SampleFilter{}) }, 3},
			{"institution A", func() ([]lab.Sample, int, error) { return lab.ListSamples(ctx, db, w.labA2, lab.SampleFilter{}) }, 3},
			{"institution B", func() ([]lab.Sample, int, error) { return lab.ListSamples(ctx, db, w.labB1, lab.SampleFilter{}) }, 0},
			{"the enterprise", func() ([]lab.Sample, int, error) { return lab.ListSamples(ctx, db, w.entUser, lab.SampleFilter{}) }, 3},
			{"another enterprise", func() ([]lab.Sample, int, error) {
				return lab.ListSamples(ctx, db, w.otherUser, lab.SampleFilter{})
			}, 0},
		} {
			list, total, err := c.list()
			if err != nil || len(list) != c.want || total != c.want {
				t.Errorf("%s sees %d of %d samples (%v), want %d", c.name, len(list), total, err, c.want)
			}
		}
		if _, err := lab.GetSample(ctx, db, w.otherUser, s1.ID); !isNotFound(err) {
			t.Errorf("another enterprise reads the sample: %v", err)
		}

		// Inspectors take samples on the spot and hand them over.
		byInspector := base
		byInspector.Lot = "20260105B"
		sInsp, err := lab.CreateSample(ctx, db, w.inspector, byInspector)
		must(t, err)
		if _, err := lab.AddCustodyStep(ctx, db, w.inspector, sInsp.ID, lab.CustodyInput{Step: lab.StepSent}); err != nil {
			t.Errorf("the inspector who took the sample sends it: %v", err)
		}

		// A closed task takes no more samples.
		if _, err := lab.CloseSamplingTask(ctx, db, w.labA1, tk.ID); !isForbidden(err) {
			t.Errorf("the institution closes the task: %v", err)
		}
		closed, err := lab.CloseSamplingTask(ctx, db, w.officer, tk.ID)
		must(t, err)
		if closed.Status != lab.TaskClosed {
			t.Errorf("closed task %+v", closed)
		}
		if _, err := lab.CreateSample(ctx, db, w.officer, base); rule(err, "task_id") != "rule.lab.task_closed" {
			t.Errorf("a sample under a closed task: %v", err)
		}
	})
}

func TestCustodyInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 10, 9, 0))
		s := w.sample(ctx, w.task(ctx, lab.KindFood), "2026-03-09")
		// Received before it was sent: refused, naming the step due.
		_, err := lab.AddCustodyStep(ctx, db, w.labA1, s.ID, lab.CustodyInput{Step: lab.StepReceived})
		if rule(err, "step") != "rule.lab.custody.order" {
			t.Fatalf("received before sent: %v", err)
		}
		if l, _ := fieldErr(err, "step"); l["expected"] != lab.StepSent {
			t.Errorf("the refusal names %v as due", l["expected"])
		}
		// Only the institution takes a sample in.
		w.step(ctx, w.officer, s, lab.StepSent)
		if _, err := lab.AddCustodyStep(ctx, db, w.officer, s.ID, lab.CustodyInput{Step: lab.StepReceived}); !isForbidden(err) {
			t.Errorf("an officer records receipt: %v", err)
		}
		if _, err := lab.AddCustodyStep(ctx, db, w.labB1, s.ID, lab.CustodyInput{Step: lab.StepReceived}); !isNotFound(err) {
			t.Errorf("another institution records receipt: %v", err)
		}
		before := shanghai(2026, 3, 8, 9, 0).UnixMilli()
		if _, err := lab.AddCustodyStep(ctx, db, w.labA1, s.ID, lab.CustodyInput{Step: lab.StepReceived, At: before}); rule(err, "at") != "rule.lab.custody.before_previous" {
			t.Errorf("received before sampling: %v", err)
		}
		w.step(ctx, w.labA1, s, lab.StepReceived)
		if _, err := lab.AddCustodyStep(ctx, db, w.labA1, s.ID, lab.CustodyInput{Step: lab.StepDisposed}); rule(err, "step") != "rule.lab.custody.order" {
			t.Errorf("disposed before tested: %v", err)
		}
		w.step(ctx, w.labA2, s, lab.StepTested)
		w.step(ctx, w.labA2, s, lab.StepRetained)
		// The reserve stays until the result is final (see
		// TestResultsBecomeFinalWhenTheWindowCloses for the disposal).
		if _, err := lab.AddCustodyStep(ctx, db, w.labA2, s.ID, lab.CustodyInput{Step: lab.StepDisposed}); rule(err, "step") != "rule.lab.custody.reserve_needed" {
			t.Errorf("disposed of before any report: %v", err)
		}
		if _, err := lab.AddCustodyStep(ctx, db, w.labA1, s.ID, lab.CustodyInput{Step: lab.StepSent}); rule(err, "step") != "rule.lab.custody.order" {
			t.Errorf("sent again after testing: %v", err)
		}
		got, err := lab.GetSample(ctx, db, w.entUser, s.ID)
		must(t, err)
		var steps []string
		for _, st := range got.Steps {
			steps = append(steps, st.Step)
			if st.ActorID == "" || st.At == 0 {
				t.Errorf("step without who or when: %+v", st)
			}
		}
		if strings.Join(steps, ",") != "sent,received,tested,retained" || got.Custody != lab.StepRetained || got.ReceivedAt == 0 {
			t.Errorf("custody %v, now %s, received %d", steps, got.Custody, got.ReceivedAt)
		}
		if got.Steps[0].ActorID != w.officer.ID || got.Steps[1].ActorID != w.labA1.ID {
			t.Errorf("who: %+v", got.Steps)
		}
	})
}

// fieldErr returns the params of field's error in err.
func fieldErr(err error, field string) (map[string]any, bool) {
	l, ok := fielderrAs(err)
	if !ok {
		return nil, false
	}
	for _, e := range l {
		if e.Field == field {
			return e.Params, true
		}
	}
	return nil, false
}
