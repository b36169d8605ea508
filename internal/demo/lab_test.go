package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

// The demo's testing system: two institutions, the quality month's
// vegetable round with one nonconforming sample (its recall proposal waits
// for the officer) and an item outside the centre's scope (flagged), and
// the dairy round whose nonconforming report on the recalled yoghurt lot is
// what the recall was opened from.
func TestDemoLab(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		if err := demo.Load(ctx, db, t.TempDir(), nil, now); err != nil {
			t.Fatal(err)
		}
		recalled, err := demo.RecalledLot(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		office, err := auth.UserByUsername(ctx, db, "office")
		if err != nil {
			t.Fatal(err)
		}
		insts, err := lab.ListInstitutions(ctx, db, office, lab.InstitutionFilter{})
		if err != nil || len(insts) != 2 {
			t.Fatalf("institutions: %d, %v", len(insts), err)
		}
		reports, _, err := lab.ListReports(ctx, db, office, lab.ReportFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var bad []lab.Report
		for _, r := range reports {
			if r.Status != "issued" {
				t.Errorf("report %s is %s, want issued", r.Number, r.Status)
			}
			if r.Conclusion == lab.Nonconforming {
				bad = append(bad, r)
			}
		}
		if len(reports) != 5 || len(bad) != 2 {
			t.Fatalf("%d reports, %d nonconforming; want 5 and 2 (the rape and the recalled yoghurt)", len(reports), len(bad))
		}
		var september, yoghurt bool
		for _, r := range bad {
			full, err := lab.GetReport(ctx, db, office, r.Number)
			if err != nil {
				t.Fatal(err)
			}
			switch full.Content.Sample.Lot {
			case recalled:
				yoghurt = true
			default:
				september = full.Content.Sample.SampledOn[5:7] == "09"
			}
		}
		if !yoghurt || !september {
			t.Fatalf("nonconforming reports: yoghurt lot %v, quality-month sample %v", yoghurt, september)
		}
		// The recalled lot's public page lists the report on it.
		pub, err := lab.PublicReportsForLot(ctx, db, recalled)
		if err != nil || len(pub) != 1 || pub[0].Conclusion != lab.Nonconforming || pub[0].Institution == "" {
			t.Fatalf("public reports on the recalled lot: %+v, %v", pub, err)
		}
		officer, err := auth.UserByUsername(ctx, db, "officer-scj")
		if err != nil {
			t.Fatal(err)
		}
		props, err := recall.ListProposals(ctx, db, officer, "")
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]string{}
		for _, p := range props {
			states[p.EPC] = p.Status
		}
		if len(props) != 2 || states[recalled] != recall.ProposalConfirmed {
			t.Fatalf("proposals %v: want the yoghurt's confirmed (its recall) and the rape's pending", states)
		}
		flags, err := lab.Flags(ctx, db, office, lab.FlagFilter{})
		if err != nil {
			t.Fatal(err)
		}
		outside := false
		for _, f := range flags {
			outside = outside || f.Kind == "outside_scope"
		}
		if !outside {
			t.Fatalf("no outside-scope flag among %+v", flags)
		}
		// Camel milk takes raw milk's limits through the office's links.
		ls, err := limits.Applicable(ctx, db, "驼奶", "铅")
		if l := limits.Pick(ls); err != nil || l == nil || l.Category != "生乳" {
			t.Fatalf("驼奶 铅: %+v, %v; want raw milk's limit", l, err)
		}
	})
}
