package trace

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// For the tests outside the package.
var (
	ShippingDocument = shippingDocument
	LotOf            = lotOf
)

// shippingDocument is n shipping events of distinct lots from one party to
// another, the commonest event a county records.
func shippingDocument(batch, n int) []byte {
	evs := make([]any, n)
	for i := range evs {
		gtin := codes.GTIN14(codes.GTIN13FromSerial("6970", uint64(i%500)))
		evs[i] = map[string]any{
			"type": "ObjectEvent", "eventTime": fmt.Sprintf("2026-10-%02dT%02d:%02d:00+08:00", 1+i%28, i%24, i%60),
			"eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
			"readPoint":          map[string]any{"id": LocationURI(fmt.Sprintf("91152923MA%08d", i%97))},
			"quantityList":       []any{map[string]any{"epcClass": lotOf(gtin, fmt.Sprintf("B%d-%d", batch, i)), "quantity": 12, "uom": "KGM"}},
			"sourceList":         []any{map[string]any{"type": "owning_party", "source": PartyURI(fmt.Sprintf("91152923MA%08d", i%97), "")}},
			"destinationList":    []any{map[string]any{"type": "owning_party", "destination": PartyURI(fmt.Sprintf("91152923MB%08d", i%89), "")}},
			"bizTransactionList": []any{map[string]any{"type": "desadv", "bizTransaction": fmt.Sprintf("urn:hallmark:desadv:%d-%d", batch, i)}},
		}
	}
	b, _ := json.Marshal(map[string]any{"@context": []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"},
		"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z", "epcisBody": map[string]any{"eventList": evs}})
	return b
}

func lotOf(gtin, lot string) string {
	u, err := LotURI("", gtin, "", lot)
	if err != nil {
		panic(err)
	}
	return u
}

// BenchmarkCaptureWrite reports events per second for the writing alone:
// each 1,000-event document is decoded and checked before the clock runs,
// and the clock covers the transaction that stores it (events, nodes,
// edges, fields, job, audit record, commit). No capture can be faster than
// this on SQLite, whose writer is one at a time; BenchmarkCapture1000 is
// the whole capture.
func BenchmarkCaptureWrite(b *testing.B) {
	run := func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			doc, err := Decode(shippingDocument(i, 1000))
			if err != nil {
				b.Fatal(err)
			}
			c, o, err := beginCapture(doc, Options{})
			if err != nil {
				b.Fatal(err)
			}
			for k := range c.chunks {
				if _, bad := c.chunk(k); bad != nil {
					b.Fatal(bad)
				}
			}
			b.StartTimer()
			err = db.Tx(ctx, func(tx *store.Tx) error {
				job, err := c.write(ctx, tx, o)
				if err == nil && job.Events != 1000 {
					err = fmt.Errorf("%d events stored", job.Events)
				}
				return err
			})
			c.stop()
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("sqlite", func(b *testing.B) { run(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv(storetest.PostgresEnv) == "" {
			b.Skip("HALLMARK_TEST_POSTGRES not set")
		}
		run(b, storetest.Postgres(b))
	})
}
