package recall_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

func ptr(f float64) *float64 { return &f }

// rule returns the rule a field error names for field, "" when none.
func rule(err error, field string) string {
	l, ok := fielderr.As(err)
	if !ok {
		return ""
	}
	for _, e := range l {
		if e.Field == field {
			return e.Rule
		}
	}
	return ""
}

func notices(t *testing.T, db *store.DB, userID string) []notify.Notification {
	t.Helper()
	ns, _, err := notify.List(context.Background(), db, userID, false, 200, 0)
	must(t, err)
	return ns
}

func hasNotice(ns []notify.Notification, kind string) bool {
	return slices.ContainsFunc(ns, func(n notify.Notification) bool { return n.Kind == kind })
}

func TestOpenComputesScopeAndNotifiesHolders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		t0 := shanghai(2026, 9, 1, 8, 0)
		c.capture(t, t0)
		ctx := ctxAt(t0.Add(48 * time.Hour))
		// The officer gives the farm lot as a GS1 Digital Link; the scope
		// is the same lot whatever the spelling.
		r, err := recall.Open(ctx, db, c.officer, recall.OpenInput{EPC: c.farmURI, Level: 2, Reason: "农药残留超标"})
		must(t, err)
		if r.LotURI != c.farmURI || r.Status != recall.StatusOpen || r.Level != 2 {
			t.Fatalf("recall %+v", r)
		}
		got, err := recall.Get(ctx, db, c.officer, r.ID)
		must(t, err)
		lots := map[string]int{}
		for _, l := range got.Scope {
			lots[l.URI] = l.Tier
		}
		if len(lots) != 2 || lots[c.farmURI] != 0 || lots[c.productURI] != 1 {
			t.Fatalf("scope lots %v", lots)
		}
		for _, l := range got.Scope {
			if l.URI == c.productURI {
				if !l.HasQty || l.Quantity != 500 || l.UOM != "EA" {
					t.Errorf("product lot quantity %v %v %q", l.HasQty, l.Quantity, l.UOM)
				}
				if len(l.Path) != 1 || l.Path[0].From != c.farmURI || l.Path[0].To != c.productURI || l.Path[0].Kind != "transformed" {
					t.Errorf("product lot path %+v", l.Path)
				}
			}
		}
		// Holders: the farm (it captured the lot), the processor (custody
		// and capture), both shops, and the unregistered buyer.
		for _, name := range []string{"farm", "processor", "shopA", "shopB"} {
			if holderOf(got, c.ents[name]) == nil {
				t.Errorf("%s is not a holder", name)
			}
		}
		if holderOf(got, c.ents["other"]) != nil {
			t.Error("an enterprise outside the chain is a holder")
		}
		unmapped := holderOf(got, "")
		if unmapped == nil || len(unmapped.Parties) != 1 {
			t.Fatalf("unmapped holder %+v", unmapped)
		}
		if want, _ := codes.CanonicalID(strangerGL); unmapped.Parties[0] != want {
			t.Errorf("unmapped party %q, want %q", unmapped.Parties[0], want)
		}
		if len(got.Parties) != 5 || got.Holders != 5 || got.Lots != 2 {
			t.Errorf("%d holders (%d counted), %d lots", len(got.Parties), got.Holders, got.Lots)
		}
		// Quantities held: shop A 200 (the shipment), shop B 250 (shipped
		// and received: counted once).
		for name, want := range map[string]float64{"shopA": 200, "shopB": 250} {
			h := holderOf(got, c.ents[name])
			if len(h.Holdings) != 1 || h.Holdings[0].Lot != c.productURI || h.Holdings[0].Quantity != want || !h.Holdings[0].HasQty {
				t.Errorf("%s holds %+v, want %v of the product lot", name, h.Holdings, want)
			}
			if !h.Custody {
				t.Errorf("%s: custody not recorded", name)
			}
		}
		if h := holderOf(got, c.ents["farm"]); !h.Handled || h.Custody {
			t.Errorf("farm holder %+v", h)
		}
		// Every holding enterprise and the department heard of it.
		for _, name := range []string{"farm", "processor", "shopA", "shopB"} {
			if !hasNotice(notices(t, db, c.users[name].ID), "recall.opened") {
				t.Errorf("%s was not notified", name)
			}
		}
		if hasNotice(notices(t, db, c.users["other"].ID), "recall.opened") {
			t.Error("an enterprise outside the chain was notified")
		}
		if !hasNotice(notices(t, db, c.officer.ID), "recall.opened.department") {
			t.Error("the department was not notified")
		}
		// The recall covers both lots for the public page, not others.
		for _, lot := range []string{c.farmURI, c.productURI} {
			st, err := recall.StateOfLot(ctx, db, lot)
			must(t, err)
			if st == nil || st.ID != r.ID {
				t.Errorf("StateOfLot(%s) = %+v", lot, st)
			}
		}
		if st, err := recall.StateOfLot(ctx, db, "https://id.gs1.org/01/04012345999991/10/X"); err != nil || st != nil {
			t.Errorf("StateOfLot of an unrelated lot = %+v, %v", st, err)
		}
		// The books ask for several lots at once: only the recalled ones
		// come back, each once.
		unrelated := "https://id.gs1.org/01/04012345999991/10/X"
		states, err := recall.StatesOfLots(ctx, db, []string{c.farmURI, unrelated, c.productURI, c.farmURI, ""})
		must(t, err)
		if len(states) != 2 || states[c.farmURI] == nil || states[c.productURI].ID != r.ID || states[unrelated] != nil {
			t.Errorf("StatesOfLots = %+v", states)
		}
		// A second recall of the same lot while this one is open is refused.
		_, err = recall.Open(ctx, db, c.officer, recall.OpenInput{EPC: farmLot, Level: 1, Reason: "again"})
		if rule(err, "epc") != "rule.recall.already_open" {
			t.Errorf("second open: %v", err)
		}
		// The history says what happened.
		kinds := []string{}
		for _, e := range got.History {
			kinds = append(kinds, e.Kind)
		}
		if !slices.Equal(kinds, []string{"opened", "notified"}) {
			t.Errorf("history %v", kinds)
		}
		var audits int
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'recall' AND entity_id = ?`, r.ID).Scan(&audits))
		if audits != 1 {
			t.Errorf("%d audit records of the opening", audits)
		}
	})
}

func TestOpenRefusalsNameTheField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		c.capture(t, shanghai(2026, 9, 1, 8, 0))
		ctx := ctxAt(shanghai(2026, 9, 3, 8, 0))
		for _, tc := range []struct {
			in          recall.OpenInput
			field, rule string
		}{
			{recall.OpenInput{EPC: farmLot, Level: 4, Reason: "x"}, "level", "rule.recall.level"},
			{recall.OpenInput{EPC: farmLot, Level: 0, Reason: "x"}, "level", "rule.recall.level"},
			{recall.OpenInput{EPC: "not an epc", Level: 1, Reason: "x"}, "epc", "rule.epcis.identifier"},
			{recall.OpenInput{EPC: "urn:epc:id:sgtin:4012345.011111", Level: 1, Reason: "x"}, "epc", "rule.epcis.identifier"},
			{recall.OpenInput{EPC: "urn:epc:idpat:sgtin:4012345.011111.*", Level: 1, Reason: "x"}, "epc", "rule.recall.pattern"},
			{recall.OpenInput{EPC: "urn:epc:class:lgtin:4012345.011111.NOPE", Level: 1, Reason: "x"}, "epc", "rule.recall.no_events"},
			{recall.OpenInput{EPC: shopBGLN, Level: 1, Reason: "x"}, "epc", "rule.recall.not_goods"},
			{recall.OpenInput{EPC: farmLot, Level: 1, Reason: " "}, "reason", "rule.required"},
			{recall.OpenInput{EPC: "", Level: 1, Reason: "x"}, "epc", "rule.required"},
		} {
			_, err := recall.Open(ctx, db, c.officer, tc.in)
			if got := rule(err, tc.field); got != tc.rule {
				t.Errorf("%+v: %s rule %q (err %v), want %q", tc.in, tc.field, got, err, tc.rule)
			}
		}
		// Only officers open recalls.
		for _, who := range []string{"inspector", "shopA"} {
			u := c.inspector
			if who != "inspector" {
				u = c.users[who]
			}
			if _, err := recall.Open(ctx, db, u, recall.OpenInput{EPC: farmLot, Level: 1, Reason: "x"}); !errors.Is(err, fielderr.ErrForbidden) {
				t.Errorf("%s opened a recall: %v", who, err)
			}
		}
		var n int
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM recalls`).Scan(&n))
		if n != 0 {
			t.Errorf("%d recalls stored by refused openings", n)
		}
	})
}

func TestConfirmationsCloseTheRecall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		t0 := shanghai(2026, 9, 1, 8, 0)
		c.capture(t, t0)
		now := t0.Add(48 * time.Hour)
		r, err := recall.Open(ctxAt(now), db, c.officer, recall.OpenInput{EPC: productLot, Level: 1, Reason: "标签虚假"})
		must(t, err)
		// Product lot recall: the processor, both shops, the stranger.
		full, err := recall.Get(ctxAt(now), db, c.officer, r.ID)
		must(t, err)
		if holderOf(full, c.ents["farm"]) != nil {
			t.Error("the farm holds no product lot, yet is a holder")
		}
		if len(full.Parties) != 4 {
			t.Fatalf("%d holders", len(full.Parties))
		}
		step := func(hours int) context.Context { now = now.Add(time.Duration(hours) * time.Hour); return ctxAt(now) }
		// Shop A removes 180 from sale (not yet complete), then destroys
		// them and completes.
		first, err := recall.Confirm(step(1), db, c.users["shopA"], r.ID, recall.ConfirmInput{Action: recall.ActionRemoved,
			Quantity: ptr(180), Note: "下架"})
		must(t, err)
		if first.Lot != c.productURI || first.UOM != "EA" {
			t.Errorf("confirmation %+v", first)
		}
		got, err := recall.Get(ctxAt(now), db, c.users["shopA"], r.ID)
		must(t, err)
		if h := holderOf(got, c.ents["shopA"]); h.Status != recall.HolderStarted || h.StartedAt == 0 {
			t.Errorf("shop A after its first confirmation: %+v", h)
		}
		_, err = recall.Confirm(step(1), db, c.users["shopA"], r.ID, recall.ConfirmInput{Action: recall.ActionDestroyed,
			Quantity: ptr(180), Complete: true})
		must(t, err)
		// A holder that is done cannot confirm again.
		_, err = recall.Confirm(step(1), db, c.users["shopA"], r.ID, recall.ConfirmInput{Action: recall.ActionDestroyed, Quantity: ptr(1)})
		if rule(err, "holder_id") != "rule.recall.holder_done" {
			t.Errorf("confirmation after done: %v", err)
		}
		// Refusals name the field.
		_, err = recall.Confirm(step(0), db, c.users["shopB"], r.ID, recall.ConfirmInput{Action: "eaten", Quantity: ptr(-1), UOM: "kg"})
		for field, want := range map[string]string{"action": "rule.recall.action", "quantity": "rule.recall.quantity", "uom": "rule.recall.uom"} {
			if rule(err, field) != want {
				t.Errorf("%s: %v, want %s", field, err, want)
			}
		}
		_, err = recall.Confirm(step(0), db, c.users["shopB"], r.ID, recall.ConfirmInput{Action: recall.ActionReturned,
			Quantity: ptr(1), Lot: farmLot})
		if rule(err, "lot") != "rule.recall.lot_not_held" {
			t.Errorf("a lot the shop does not hold: %v", err)
		}
		for _, name := range []string{"shopB", "processor"} {
			_, err := recall.Confirm(step(1), db, c.users[name], r.ID, recall.ConfirmInput{Action: recall.ActionReturned,
				Quantity: ptr(10), Complete: true})
			must(t, err)
		}
		mid, err := recall.Get(ctxAt(now), db, c.officer, r.ID)
		must(t, err)
		if mid.Status != recall.StatusOpen || mid.HoldersDone != 3 {
			t.Fatalf("with one holder left: status %s, %d done", mid.Status, mid.HoldersDone)
		}
		// The unregistered buyer cannot confirm for itself: the officer
		// records what it reported on the telephone, which closes the recall.
		stranger := holderOf(mid, "")
		_, err = recall.Confirm(step(1), db, c.officer, r.ID, recall.ConfirmInput{HolderID: stranger.ID,
			Action: recall.ActionReturned, Quantity: ptr(50), Note: "电话确认", Complete: true})
		must(t, err)
		done, err := recall.Get(ctxAt(now), db, c.officer, r.ID)
		must(t, err)
		if done.Status != recall.StatusClosed || done.CloseReason != "" || done.ClosedAt == 0 || done.Light != "" {
			t.Fatalf("after every holder: %+v", done)
		}
		if last := done.History[len(done.History)-1]; last.Kind != "closed_confirmed" {
			t.Errorf("last history line %+v", last)
		}
		// Further confirmations are refused on a closed recall.
		_, err = recall.Confirm(step(1), db, c.officer, r.ID, recall.ConfirmInput{HolderID: stranger.ID,
			Action: recall.ActionReturned, Quantity: ptr(1)})
		if rule(err, "recall") != "rule.recall.closed" {
			t.Errorf("confirmation on a closed recall: %v", err)
		}
		if !hasNotice(notices(t, db, c.officer.ID), "recall.closed") {
			t.Error("the department did not hear of the closing")
		}
		// Every confirmation is an EPCIS event with the holder as owner
		// and the action's disposition and business step.
		want := map[string][3]string{} // event ID → owner, disposition, bizStep
		for _, h := range done.Parties {
			for _, cf := range h.Confirmations {
				disp := map[string][2]string{recall.ActionRemoved: {"recalled", "holding"},
					recall.ActionReturned: {"returned", "receiving"}, recall.ActionDestroyed: {"destroyed", "destroying"}}[cf.Action]
				want[cf.EventID] = [3]string{h.EnterpriseID, disp[0], disp[1]}
			}
		}
		if len(want) != 5 {
			t.Fatalf("%d confirmations", len(want))
		}
		// Each is stored with its event and the refused ones with none: no
		// event without its confirmation.
		var events int
		must(t, db.QueryRow(ctxAt(now), `SELECT COUNT(*) FROM epcis_events WHERE event_id LIKE 'urn:uuid:%'
			AND event_id IN (SELECT 'urn:uuid:' || id FROM recall_confirmations)`).Scan(&events))
		var all int
		must(t, db.QueryRow(ctxAt(now), `SELECT COUNT(*) FROM epcis_events WHERE biz_step IN ('holding', 'destroying')
			OR disposition IN ('recalled', 'returned', 'destroyed')`).Scan(&all))
		if events != 5 || all != 5 {
			t.Errorf("%d confirmation events with a confirmation, %d in all; want 5 and 5", events, all)
		}
		for id, w := range want {
			var owner, disp, stepName string
			must(t, db.QueryRow(ctxAt(now), `SELECT owner_id, disposition, biz_step FROM epcis_events WHERE event_id = ?`, id).
				Scan(&owner, &disp, &stepName))
			if owner != w[0] || trace.BareCBV(disp) != w[1] || trace.BareCBV(stepName) != w[2] {
				t.Errorf("event %s: owner %q disposition %q step %q, want %v", id, owner, disp, stepName, w)
			}
		}
		// The events are found by the lot, as any trace query finds them.
		q, err := trace.ParseQuery(map[string][]string{"MATCH_anyEPCClass": {productLot}, "EQ_disposition": {"recalled"}})
		must(t, err)
		page, err := q.Run(ctxAt(now), db, "")
		must(t, err)
		if len(page.Events) != 1 {
			t.Errorf("%d recalled events on the product lot, want 1", len(page.Events))
		}
		var audits int
		must(t, db.QueryRow(ctxAt(now), `SELECT COUNT(*) FROM audit_log WHERE entity = 'recall_confirmation'`).Scan(&audits))
		if audits != 5 {
			t.Errorf("%d confirmation audit records", audits)
		}
	})
}

func TestOfficerClosesWithReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		t0 := shanghai(2026, 9, 1, 8, 0)
		c.capture(t, t0)
		ctx := ctxAt(t0.Add(48 * time.Hour))
		r, err := recall.Open(ctx, db, c.officer, recall.OpenInput{EPC: productLot, Level: 3, Reason: "标签"})
		must(t, err)
		if _, err := recall.Close(ctx, db, c.users["shopA"], r.ID, "x"); !errors.Is(err, fielderr.ErrForbidden) {
			t.Errorf("an enterprise closed a recall: %v", err)
		}
		if _, err := recall.Close(ctx, db, c.officer, r.ID, ""); rule(err, "reason") != "rule.required" {
			t.Errorf("close without a reason: %v", err)
		}
		closed, err := recall.Close(ctx, db, c.officer, r.ID, "经核查产品已全部销毁")
		must(t, err)
		if closed.Status != recall.StatusClosed || closed.CloseReason != "经核查产品已全部销毁" {
			t.Fatalf("%+v", closed)
		}
		if _, err := recall.Close(ctx, db, c.officer, r.ID, "again"); rule(err, "reason") != "rule.recall.closed" {
			t.Errorf("closing twice: %v", err)
		}
		// Closed, the lot shows no recall any more, and a new one may open.
		if st, err := recall.StateOfLot(ctx, db, c.productURI); err != nil || st != nil {
			t.Errorf("StateOfLot after closing = %+v, %v", st, err)
		}
		if _, err := recall.Open(ctx, db, c.officer, recall.OpenInput{EPC: productLot, Level: 3, Reason: "复发"}); err != nil {
			t.Errorf("reopening after close: %v", err)
		}
	})
}

func TestEnterpriseSeesOnlyItsOwnPart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		t0 := shanghai(2026, 9, 1, 8, 0)
		c.capture(t, t0)
		ctx := ctxAt(t0.Add(48 * time.Hour))
		r, err := recall.Open(ctx, db, c.officer, recall.OpenInput{EPC: farmLot, Level: 1, Reason: "x"})
		must(t, err)
		full, err := recall.Get(ctx, db, c.officer, r.ID)
		must(t, err)
		got, err := recall.Get(ctx, db, c.users["shopA"], r.ID)
		must(t, err)
		if len(got.Parties) != 1 || got.Parties[0].EnterpriseID != c.ents["shopA"] {
			t.Fatalf("shop A sees holders %+v", got.Parties)
		}
		if len(got.History) != 0 {
			t.Error("shop A sees the history")
		}
		if len(got.Scope) != 1 || got.Scope[0].URI != c.productURI || got.Scope[0].Path != nil {
			t.Errorf("shop A sees scope %+v", got.Scope)
		}
		b, _ := json.Marshal(got)
		if containsAny(string(b), usccs["shopB"], c.ents["shopB"], "4012345.00009", c.ents["farm"]) {
			t.Errorf("shop A's view names another holder: %s", b)
		}
		// It cannot confirm another's part, nor pass itself off as it.
		shopB := holderOf(full, c.ents["shopB"])
		_, err = recall.Confirm(ctx, db, c.users["shopA"], r.ID, recall.ConfirmInput{HolderID: shopB.ID,
			Action: recall.ActionRemoved, Quantity: ptr(1)})
		if rule(err, "holder_id") != "rule.recall.holder_unknown" {
			t.Errorf("shop A confirming shop B's part: %v", err)
		}
		// An enterprise outside the recall sees nothing of it.
		if _, err := recall.Get(ctx, db, c.users["other"], r.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Errorf("outsider Get: %v", err)
		}
		if _, err := recall.Confirm(ctx, db, c.users["other"], r.ID, recall.ConfirmInput{Action: recall.ActionRemoved,
			Quantity: ptr(1)}); !errors.Is(err, fielderr.ErrNotFound) {
			t.Errorf("outsider Confirm: %v", err)
		}
		list, total, err := recall.List(ctx, db, c.users["other"], recall.Filter{})
		must(t, err)
		if total != 0 || len(list) != 0 {
			t.Errorf("outsider lists %d recalls", total)
		}
		list, total, err = recall.List(ctx, db, c.users["shopA"], recall.Filter{})
		must(t, err)
		if total != 1 || list[0].ID != r.ID {
			t.Errorf("shop A lists %+v", list)
		}
		// Inspectors read but do not confirm.
		if _, err := recall.Get(ctx, db, c.inspector, r.ID); err != nil {
			t.Errorf("inspector Get: %v", err)
		}
		if _, err := recall.Confirm(ctx, db, c.inspector, r.ID, recall.ConfirmInput{HolderID: shopB.ID,
			Action: recall.ActionRemoved, Quantity: ptr(1)}); !errors.Is(err, fielderr.ErrForbidden) {
			t.Errorf("inspector Confirm: %v", err)
		}
		// Nothing was stored by the refusals.
		var n int
		must(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM recall_confirmations`).Scan(&n))
		if n != 0 {
			t.Errorf("%d confirmations stored", n)
		}
	})
}

func containsAny(s string, subs ...string) bool {
	return slices.ContainsFunc(subs, func(x string) bool { return x != "" && strings.Contains(s, x) })
}

// A buyer known to the chain only by its GLN is the enterprise that
// registered that GLN: it is notified and confirms like any holder, without
// ever having captured an event itself.
func TestRegisteredGLNNamesTheHolder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newWorld(t, db)
		canon, err := codes.CanonicalID(strangerGL)
		must(t, err)
		gln, ok := trace.GLNOf(canon)
		if !ok {
			t.Fatalf("no GLN in %s", canon)
		}
		if _, err := db.Exec(context.Background(), `UPDATE enterprises SET gln = ? WHERE id = ?`, gln, c.ents["other"]); err != nil {
			t.Fatal(err)
		}
		t0 := shanghai(2026, 9, 1, 8, 0)
		c.capture(t, t0)
		now := t0.Add(48 * time.Hour)
		r, err := recall.Open(ctxAt(now), db, c.officer, recall.OpenInput{EPC: productLot, Level: 2, Reason: "标签虚假"})
		must(t, err)
		got, err := recall.Get(ctxAt(now), db, c.officer, r.ID)
		must(t, err)
		h := holderOf(got, c.ents["other"])
		if h == nil || len(h.Parties) != 1 || h.Parties[0] != canon {
			t.Fatalf("the GLN's enterprise as holder: %+v", h)
		}
		if u := holderOf(got, ""); u != nil {
			t.Errorf("an unmapped holder is left: %+v", u)
		}
		if !hasNotice(notices(t, db, c.users["other"].ID), "recall.opened") {
			t.Error("the GLN's enterprise was not told")
		}
		_, err = recall.Confirm(ctxAt(now.Add(time.Hour)), db, c.users["other"], r.ID, recall.ConfirmInput{Action: recall.ActionReturned,
			Quantity: ptr(50), Complete: true})
		must(t, err)
	})
}
