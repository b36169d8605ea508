package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// prepared is an entry of ent as record checks it, not yet stored.
func prepared(t *testing.T, ctx context.Context, db *store.DB, who *auth.User, lot string) Entry {
	t.Helper()
	var e Entry
	err := db.Tx(ctx, func(tx *store.Tx) error {
		ent, err := Enterprise(ctx, tx, who, "", "")
		if err != nil {
			return err
		}
		var errs fielderr.List
		e, errs, err = prepare(ctx, tx, IncomingInput{SupplierName: "个体户王五", ProductName: "羊肉", Lot: lot, Quantity: 8,
			Unit: "KGM", ArrivalDate: Today(ctx), CertNo: "C-9"}.common(), ent, Today(ctx), newLookups())
		if err != nil {
			return err
		}
		e.ID = store.NewID()
		e.EventID = EventIDOf(e.ID)
		return errs.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// pending stores an entry without its event, as stores from before entries
// and events shared a transaction could be left by a stop between the two.
func pending(t *testing.T, ctx context.Context, db *store.DB, who *auth.User, lot string) Entry {
	t.Helper()
	e := prepared(t, ctx, db, who, lot)
	if err := db.Tx(ctx, func(tx *store.Tx) error { return insert(ctx, tx, []Entry{e}, "create") }); err != nil {
		t.Fatal(err)
	}
	return e
}

func countEvents(t *testing.T, db *store.DB, eventID string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM epcis_events WHERE event_id = ?`, eventID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNoEntryWithoutItsEvent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
		if err := registry.SeedRegions(ctx, db); err != nil {
			t.Fatal(err)
		}
		officer := &auth.User{ID: "o", Role: auth.RoleOfficer, RegionCode: "152921"}
		ent, err := registry.CreateEnterprise(ctx, db, officer, registry.EnterpriseInput{USCC: "91152201078371135X",
			Name: "巴彦浩特肉店", RegionCode: "152921"})
		if err != nil {
			t.Fatal(err)
		}
		who := &auth.User{ID: "u", Role: auth.RoleEnterprise, RegionCode: "152921", EnterpriseID: ent.ID}

		// An entry whose event is refused is not stored either.
		bad := prepared(t, ctx, db, who, "B1")
		bad.LotID = "not an identifier"
		if err := db.Tx(ctx, func(tx *store.Tx) error { return storeWithEvents(ctx, tx, []Entry{bad}, "create") }); err == nil {
			t.Fatal("a bad event was captured")
		}
		if _, err := Get(ctx, db, who, bad.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("the entry was stored without its event: %v", err)
		}
		if countEvents(t, db, bad.EventID) != 0 {
			t.Fatal("an event was stored")
		}
		good := prepared(t, ctx, db, who, "G1")
		if err := db.Tx(ctx, func(tx *store.Tx) error { return storeWithEvents(ctx, tx, []Entry{good}, "create") }); err != nil {
			t.Fatal(err)
		}
		if got, err := Get(ctx, db, who, good.ID); err != nil || got.CapturedAt == 0 || countEvents(t, db, good.EventID) != 1 {
			t.Fatalf("entry with its event: %+v %v", got, err)
		}

		// An entry left without its event by an earlier store is captured by
		// CaptureMissing; one whose event was stored but not marked is
		// marked, not stored twice.
		lost := pending(t, ctx, db, who, "L1")
		half := pending(t, ctx, db, who, "H1")
		doc, err := document([]Entry{half})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := trace.CaptureTx(ctx, tx, doc, trace.Options{Owner: half.EnterpriseID})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		n, err := CaptureMissing(ctx, db, 0)
		if err != nil || n != 2 {
			t.Fatalf("CaptureMissing: %d %v", n, err)
		}
		for _, e := range []Entry{lost, half} {
			got, err := Get(ctx, db, who, e.ID)
			if err != nil || got.CapturedAt == 0 || got.CaptureID == "" {
				t.Fatalf("%s: %+v %v", e.Lot, got, err)
			}
			if c := countEvents(t, db, e.EventID); c != 1 {
				t.Fatalf("%s: %d events", e.Lot, c)
			}
		}
		if n, err := CaptureMissing(ctx, db, 0); err != nil || n != 0 {
			t.Fatalf("second run: %d %v", n, err)
		}
	})
}
