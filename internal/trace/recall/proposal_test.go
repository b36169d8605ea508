package recall_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

// emit writes a lot.nonconforming event as a failed result would.
func emit(t *testing.T, db *store.DB, p recall.Nonconforming) {
	t.Helper()
	must(t, db.Tx(context.Background(), func(tx *store.Tx) error {
		return jobs.Emit(context.Background(), tx, recall.TopicNonconforming, p)
	}))
}

func countProposals(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	must(t, db.QueryRow(context.Background(), `SELECT COUNT(*) FROM recall_proposals`).Scan(&n))
	return n
}

func TestNonconformingEventProposesOnceAndOfficerDecides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		c.capture(t, shanghai(2026, 9, 1, 8, 0))
		// The processor's supervising department is the officer's.
		_, err := db.Exec(context.Background(), `UPDATE enterprises SET department_id = ? WHERE id = ?`, c.dept, c.ents["processor"])
		must(t, err)
		r := jobs.NewRunner(db, nil)
		recall.Register(r, db)
		emit(t, db, recall.Nonconforming{EnterpriseID: c.ents["processor"], Product: "风干牛肉", Lot: productLot,
			Items: []byte(`["菌落总数", {"name": "大肠菌群", "result": "120"}]`), ReportID: "R-2026-001"})
		if _, err := r.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := countProposals(t, db); n != 1 {
			t.Fatalf("%d proposals after one event", n)
		}
		// The same event delivered again (a retry after a lost commit
		// acknowledgement) proposes nothing more.
		var ev jobs.Event
		var payload string
		must(t, db.QueryRow(context.Background(), `SELECT id, topic, payload, created_at FROM events WHERE topic = ?`,
			recall.TopicNonconforming).Scan(&ev.ID, &ev.Topic, &payload, &ev.CreatedAt))
		ev.Payload = []byte(payload)
		must(t, db.Tx(context.Background(), func(tx *store.Tx) error {
			added, err := recall.Propose(context.Background(), tx, ev)
			if added {
				t.Error("a second delivery added a proposal")
			}
			return err
		}))
		if n := countProposals(t, db); n != 1 {
			t.Fatalf("%d proposals after a repeated delivery", n)
		}
		if !hasNotice(notices(t, db, c.officer.ID), "recall.proposed") {
			t.Error("the supervising department was not told")
		}
		ctx := ctxAt(shanghai(2026, 9, 3, 9, 0))
		list, err := recall.ListProposals(ctx, db, c.officer, recall.ProposalPending)
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("%d pending proposals", len(list))
		}
		p := list[0]
		if p.EnterpriseName != "processor" || p.Product != "风干牛肉" || len(p.Items) != 2 || p.Items[1] != "大肠菌群" || p.RegionCode != "152921" {
			t.Errorf("proposal %+v", p)
		}
		if _, err := recall.ListProposals(ctx, db, c.users["processor"], ""); !errors.Is(err, fielderr.ErrForbidden) {
			t.Errorf("an enterprise lists proposals: %v", err)
		}
		// A level out of range is refused and the proposal stays pending.
		if _, err := recall.ConfirmProposal(ctx, db, c.officer, p.ID, 9, p.DefaultReason()); rule(err, "level") != "rule.recall.level" {
			t.Errorf("confirm at level 9: %v", err)
		}
		rec, err := recall.ConfirmProposal(ctx, db, c.officer, p.ID, 2, p.DefaultReason())
		must(t, err)
		if rec.ProposalID != p.ID || rec.Product != "风干牛肉" || rec.LotURI != c.productURI || rec.Holders != 4 {
			t.Errorf("recall from proposal %+v", rec)
		}
		got, err := recall.GetProposal(ctx, db, c.officer, p.ID)
		must(t, err)
		if got.Status != recall.ProposalConfirmed || got.RecallID != rec.ID || got.DecidedBy != c.officer.ID {
			t.Errorf("proposal after confirming %+v", got)
		}
		if _, err := recall.ConfirmProposal(ctx, db, c.officer, p.ID, 2, "x"); rule(err, "proposal") != "rule.recall.proposal_decided" {
			t.Errorf("confirming twice: %v", err)
		}
		if _, err := recall.DismissProposal(ctx, db, c.officer, p.ID, "x"); rule(err, "proposal") != "rule.recall.proposal_decided" {
			t.Errorf("dismissing a confirmed proposal: %v", err)
		}
		var audits int
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'recall_proposal' AND entity_id = ?`, p.ID).Scan(&audits))
		if audits != 2 {
			t.Errorf("%d audit records of the proposal", audits)
		}
	})
}

func TestDismissProposalNeedsReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		r := jobs.NewRunner(db, nil)
		recall.Register(r, db)
		emit(t, db, recall.Nonconforming{EnterpriseID: c.ents["shopB"], Product: "奶茶粉", Lot: "urn:epc:class:lgtin:4012345.011111.Q9",
			Items: []byte(`"蛋白质"`)})
		_, err := r.RunOnce(context.Background())
		must(t, err)
		ctx := audit.WithActor(recall.WithClock(context.Background(), func() time.Time { return shanghai(2026, 9, 3, 9, 0) }),
			audit.Actor{ID: c.officer.ID, Name: "officer"})
		list, err := recall.ListProposals(ctx, db, c.officer, "")
		must(t, err)
		if len(list) != 1 || len(list[0].Items) != 1 || list[0].Items[0] != "蛋白质" {
			t.Fatalf("proposals %+v", list)
		}
		// Nothing was ever captured for this lot: confirming it names the lot.
		if _, err := recall.ConfirmProposal(ctx, db, c.officer, list[0].ID, 1, "x"); rule(err, "epc") != "rule.recall.no_events" {
			t.Errorf("confirming a lot without events: %v", err)
		}
		if _, err := recall.DismissProposal(ctx, db, c.officer, list[0].ID, " "); rule(err, "reason") != "rule.required" {
			t.Errorf("dismiss without reason: %v", err)
		}
		p, err := recall.DismissProposal(ctx, db, c.officer, list[0].ID, "复检合格")
		must(t, err)
		if p.Status != recall.ProposalDismissed || p.DecisionReason != "复检合格" {
			t.Errorf("%+v", p)
		}
		var recalls int
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM recalls`).Scan(&recalls))
		if recalls != 0 {
			t.Errorf("%d recalls", recalls)
		}
	})
}
