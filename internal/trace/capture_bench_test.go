package trace_test

import (
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

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
			docs[i] = trace.ShippingDocument(i, 1000)
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
