package trace_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
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
			"readPoint":          map[string]any{"id": trace.LocationURI(fmt.Sprintf("91152923MA%08d", i%97))},
			"quantityList":       []any{map[string]any{"epcClass": lotOf(gtin, fmt.Sprintf("B%d-%d", batch, i)), "quantity": 12, "uom": "KGM"}},
			"sourceList":         []any{map[string]any{"type": "owning_party", "source": trace.PartyURI(fmt.Sprintf("91152923MA%08d", i%97), "")}},
			"destinationList":    []any{map[string]any{"type": "owning_party", "destination": trace.PartyURI(fmt.Sprintf("91152923MB%08d", i%89), "")}},
			"bizTransactionList": []any{map[string]any{"type": "desadv", "bizTransaction": fmt.Sprintf("urn:hallmark:desadv:%d-%d", batch, i)}},
		}
	}
	b, _ := json.Marshal(map[string]any{"@context": []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"},
		"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z", "epcisBody": map[string]any{"eventList": evs}})
	return b
}

// BenchmarkCapture1000 reports events per second for 1,000-event
// documents captured into a growing store: one after another ("serial"), and
// as a server receives them from several senders at once ("concurrent": two
// documents in flight per core, so that one is checked while another is
// written).
func BenchmarkCapture1000(b *testing.B) {
	run := func(b *testing.B, db *store.DB, inFlight int) {
		ctx := context.Background()
		docs := make([][]byte, b.N)
		for i := range docs {
			docs[i] = shippingDocument(i, 1000)
		}
		var next atomic.Int64
		b.ResetTimer()
		var wg sync.WaitGroup
		for range inFlight {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(docs) {
						return
					}
					if n, err := trace.CaptureJSON(ctx, db, docs[i], ""); err != nil || n != 1000 {
						b.Errorf("capture: %d, %v", n, err)
						return
					}
				}
			})
		}
		wg.Wait()
		b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
	}
	for _, mode := range []struct {
		name     string
		inFlight int
	}{{"serial", 1}, {"concurrent", 2 * runtime.GOMAXPROCS(0)}} {
		b.Run("sqlite/"+mode.name, func(b *testing.B) { run(b, storetest.SQLite(b), mode.inFlight) })
		b.Run("postgres/"+mode.name, func(b *testing.B) {
			if os.Getenv(storetest.PostgresEnv) == "" {
				b.Skip("HALLMARK_TEST_POSTGRES not set")
			}
			run(b, storetest.Postgres(b), mode.inFlight)
		})
	}
}

func lotOf(gtin, lot string) string {
	u, err := trace.LotURI("", gtin, "", lot)
	if err != nil {
		panic(err)
	}
	return u
}
