package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/filing"
	"github.com/hallmark-platform/hallmark/internal/trace/genealogy"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

// The demo's supply chains trace: the recalled yoghurt lot goes forward to
// the trading company and on to the shops and the restaurant that got it,
// and backward to the co-operatives whose milk went into it; the
// trading company recorded its delivery to the supermarket of the demo's
// "shop" account as sales records, and the supermarket its receipt as
// incoming checks; key commodities are filed.
func TestDemoSupplyChains(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := demo.Load(ctx, db, t.TempDir(), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		recalled, err := demo.RecalledLot(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := genealogy.NodeIDs(ctx, db, []string{recalled})
		if err != nil || ids[recalled] == 0 {
			t.Fatalf("recalled lot %s not in the store: %v", recalled, err)
		}
		fwd, err := genealogy.Forward(ctx, db, []int64{ids[recalled]}, genealogy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		holders := partiesOf(fwd)
		// dairy -> trader -> shop 1, shop 2, restaurant (the other yoghurt
		// lot's only extra buyer is shop 2, already counted).
		if len(holders) != 4 {
			t.Fatalf("forward trace reaches %d enterprises, want the trader, two shops and a restaurant: %v", len(holders), holders)
		}
		st, err := recall.StateOfLot(ctx, db, recalled)
		if err != nil || st == nil || st.Level != 2 {
			t.Fatalf("the demo's recalled lot has no open level-2 recall: %+v, %v", st, err)
		}
		// Flour from outside the banner: the mill is named by the master
		// data that came with the record, the trading company has its GLN.
		if name, err := trace.MasterName(ctx, db, "urn:epc:id:pgln:6901234.00001"); err != nil || name == "" {
			t.Errorf("the outside mill has no name: %q, %v", name, err)
		}
		var glns int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM enterprises WHERE gln <> ''`).Scan(&glns); err != nil || glns != 1 {
			t.Errorf("%d enterprises with a GLN, want the trading company: %v", glns, err)
		}
		// The "shop" account's supermarket recorded its delivery as
		// incoming checks with the supplier's documents, the recalled lot
		// among them.
		shop, err := auth.UserByUsername(ctx, db, "shop")
		if err != nil {
			t.Fatal(err)
		}
		checks, total, err := ledger.List(ctx, db, shop, ledger.Filter{Kind: ledger.KindIncoming})
		if err != nil || total != 3 {
			t.Fatalf("the shop has %d incoming checks, want 3: %v", total, err)
		}
		var recalledChecked bool
		for _, c := range checks {
			recalledChecked = recalledChecked || c.LotID == recalled
			if c.CertNo == "" || c.InvoiceNo == "" || c.ProductName == "" {
				t.Errorf("incoming check without its documents or product: %+v", c)
			}
		}
		if !recalledChecked {
			t.Errorf("the recalled lot is not among the shop's incoming checks")
		}
		// The trading company's sales records of the same delivery.
		officer, err := auth.UserByUsername(ctx, db, "officer-scj")
		if err != nil {
			t.Fatal(err)
		}
		sales, total, err := ledger.List(ctx, db, officer, ledger.Filter{Kind: ledger.KindSale})
		if err != nil || total != 3 {
			t.Fatalf("%d sales records, want the trading company's 3: %v", total, err)
		}
		for _, s := range sales {
			if s.PartyEnterpriseID != shop.EnterpriseID || s.CertNo == "" {
				t.Errorf("sale not to the shop or without its certificate: %+v", s)
			}
		}
		// Key-commodity filings: one approved, one returned with its
		// reason, one waiting for the office.
		filings, _, err := filing.List(ctx, db, officer, filing.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		byStatus := map[string]int{}
		for _, f := range filings {
			byStatus[f.Status]++
			if f.Status == filing.StatusReturned && f.ReturnReason == "" {
				t.Errorf("returned without a reason: %+v", f)
			}
		}
		if byStatus[filing.StatusApproved] != 1 || byStatus[filing.StatusReturned] != 1 || byStatus[filing.StatusSubmitted] != 1 {
			t.Errorf("filings by status %v, want one of each", byStatus)
		}
		back, err := genealogy.Backward(ctx, db, []int64{ids[recalled]}, genealogy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(partiesOf(back)); n < 2 {
			t.Fatalf("backward trace reaches %d suppliers, want the two co-operatives (and the places)", n)
		}
	})
}

func partiesOf(r *genealogy.Result) map[string]bool {
	out := map[string]bool{}
	for _, n := range r.Nodes {
		if n.Party && usccOf(n.URI) != "" {
			out[usccOf(n.URI)] = true
		}
	}
	return out
}

func usccOf(uri string) string {
	u, _ := trace.USCCOf(uri)
	return u
}
