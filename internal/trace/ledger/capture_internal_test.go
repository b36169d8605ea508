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
)

// pending stores an entry of ent as record does, without capturing it.
func pending(t *testing.T, ctx context.Context, db *store.DB, who *auth.User, lot string) Entry {
	t.Helper()
	var e Entry
	err := db.Tx(ctx, func(tx *store.Tx) error {
		ent, err := Enterprise(ctx, tx, who, "", "")
		if err != nil {
			return err
		}
		var errs fielderr.List
		e, errs, err = prepare(ctx, tx, IncomingInput{SupplierName: "个体户王五", ProductName: "羊肉", Lot: lot, Quantity: 8,
			Unit: "KGM", ArrivalDate: Today(), CertNo: "C-9"}.common(), ent, Today(), newLookups())
		if err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		e.ID = store.NewID()
		e.EventID = EventIDOf(e.ID)
		return insert(ctx, tx, []Entry{e}, "create")
	})
	if err != nil {
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

		// A capture that fails takes the entry away again.
		bad := pending(t, ctx, db, who, "B1")
		bad.LotID = "not an identifier"
		if err := capture(ctx, db, []Entry{bad}); err == nil {
			t.Fatal("a bad event was captured")
		}
		if _, err := Get(ctx, db, who, bad.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("the entry outlived its failed capture: %v", err)
		}
		if countEvents(t, db, bad.EventID) != 0 {
			t.Fatal("an event was stored")
		}

		// An entry whose capture never ran is captured by CaptureMissing; one
		// whose event was stored but not marked is marked, not stored twice.
		lost := pending(t, ctx, db, who, "L1")
		half := pending(t, ctx, db, who, "H1")
		if _, err := captureEvents(ctx, db, []Entry{half}); err != nil {
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
