package trace_test

import (
	"context"
	"sync"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// Senders capture at the same time into a new store, their documents naming
// the same parties and places for the first time: every capture succeeds
// (on PostgreSQL, two transactions adding the same new nodes in different
// orders would deadlock), and each identifier is stored once.
func TestConcurrentCapturesAddingTheSameNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const senders, rounds = 4, 3
		var wg sync.WaitGroup
		errs := make(chan error, senders*rounds)
		for s := range senders {
			wg.Go(func() {
				for r := range rounds {
					if _, err := trace.CaptureJSON(ctx, db, trace.ShippingDocument(100*r+s, 200), ""); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("capture: %v", err)
		}
		var events, dup int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM epcis_events`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT uri FROM trace_nodes GROUP BY uri HAVING COUNT(*) > 1) d`).Scan(&dup); err != nil {
			t.Fatal(err)
		}
		if events != senders*rounds*200 || dup != 0 {
			t.Fatalf("%d events stored (want %d), %d identifiers stored twice", events, senders*rounds*200, dup)
		}
	})
}
