package genealogy

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// Benchmarks build their network inside the benchmark, once per process and
// database. Environment:
//
//	HALLMARK_BENCH_LOTS  harvest lots (default 2000, about 19,000 events)
//	HALLMARK_BENCH_DIR   keep the SQLite database there and reuse it when
//	                     a complete one of the same size exists
//	HALLMARK_TEST_POSTGRES  also run on PostgreSQL (a schema named after
//	                     the size, kept and reused when complete)
//
// Example, 100,000 lots on both databases:
//
//	HALLMARK_BENCH_LOTS=100000 HALLMARK_BENCH_DIR=/var/tmp go test ./internal/trace/genealogy \
//	  -run '^$' -bench 'Forward|Backward' -benchtime 1000x -timeout 6h
//
// The same database can be built beforehand, with progress shown, by
// hallmark gen: --db $HALLMARK_BENCH_DIR/genealogy_bench_<lots>_42.db
// --trace-lots <lots> --seed 42, then a file of that name plus ".complete"
// beside it (on PostgreSQL: the schema genealogy_bench_<lots>_42 in the
// DSN's search_path, ANALYZE, and COMMENT ON SCHEMA … IS 'complete').
const (
	benchSeed    = 42
	benchSamples = 1000 // start nodes drawn for the walks
)

func benchLots(b *testing.B) int {
	if s := os.Getenv("HALLMARK_BENCH_LOTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("HALLMARK_BENCH_LOTS=%q", s)
		}
		return n
	}
	return 2000
}

// benchData is a loaded network and the start nodes drawn from it.
type benchData struct {
	db       *store.DB
	harvests []int64 // forward starts: harvest lots
	retail   []int64 // backward starts: retail lots and retailer-bound loads
	graph    *Graph
	once     sync.Once
}

var (
	benchMu    sync.Mutex
	benchCache = map[store.Dialect]*benchData{}
)

// benchDialects are the databases the benchmarks run on.
func benchDialects() []store.Dialect {
	d := []store.Dialect{store.SQLite}
	if os.Getenv(storetest.PostgresEnv) != "" {
		d = append(d, store.Postgres)
	}
	return d
}

// buildBench loads the benchmark network into db and reports how long it
// took.
func buildBench(b *testing.B, db *store.DB, lots int) {
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	events, err := LoadNetwork(ctx, db, NetworkSpec{Lots: lots, Seed: benchSeed}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if db.Dialect == store.Postgres {
		_, err = db.Exec(ctx, `ANALYZE`)
	} else {
		err = db.Maintain(ctx)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: built %d lots, %d events in %v (%.0f events/s), peak RSS %s", db.Dialect, lots, events,
		time.Since(start).Round(time.Second), float64(events)/time.Since(start).Seconds(), peakRSS())
}

func loadBench(b *testing.B, dialect store.Dialect) *benchData {
	benchMu.Lock()
	defer benchMu.Unlock()
	if d, ok := benchCache[dialect]; ok {
		return d
	}
	lots := benchLots(b)
	ctx := context.Background()
	var db *store.DB
	var complete func() bool
	var markComplete, build func()
	var size func() string
	name := fmt.Sprintf("genealogy_bench_%d_%d", lots, benchSeed)
	switch dialect {
	case store.SQLite:
		dir := os.Getenv("HALLMARK_BENCH_DIR")
		keep := dir != ""
		if !keep {
			dir = b.TempDir()
		}
		path := filepath.Join(dir, name+".db")
		marker := path + ".complete"
		if _, err := os.Stat(marker); err != nil {
			os.Remove(path)
			os.Remove(path + "-wal")
			os.Remove(path + "-shm")
			// Built the way hallmark gen builds it, then walked on a
			// database opened as the server opens it.
			bulk, err := store.OpenBulk(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			buildBench(b, bulk, lots)
			if err := bulk.Close(); err != nil {
				b.Fatal(err)
			}
			os.WriteFile(marker, []byte(time.Now().String()), 0o644)
		}
		var err error
		if db, err = store.Open(ctx, path); err != nil {
			b.Fatal(err)
		}
		complete = func() bool { _, err := os.Stat(marker); return err == nil }
		markComplete = func() { os.WriteFile(marker, []byte(time.Now().String()), 0o644) }
		size = func() string {
			var total int64
			for _, p := range []string{path, path + "-wal"} {
				if st, err := os.Stat(p); err == nil {
					total += st.Size()
				}
			}
			return fmt.Sprintf("%.0f MB", float64(total)/1e6)
		}
	case store.Postgres:
		dsn := benchPostgres(b, name)
		var err error
		if db, err = store.Open(ctx, dsn); err != nil {
			b.Fatal(err)
		}
		build = func() {
			bulk, err := store.OpenBulk(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer bulk.Close()
			buildBench(b, bulk, lots)
		}
		complete = func() bool {
			var c sql.NullString
			_ = db.QueryRow(ctx, `SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = ?`, name).Scan(&c)
			return c.String == "complete"
		}
		markComplete = func() {
			if _, err := db.Exec(ctx, `COMMENT ON SCHEMA `+name+` IS 'complete'`); err != nil {
				b.Fatal(err)
			}
		}
		size = func() string {
			var n int64
			_ = db.QueryRow(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
				WHERE s.nspname = ? AND c.relkind = 'r'`, name).Scan(&n)
			return fmt.Sprintf("%.0f MB", float64(n)/1e6)
		}
	}
	if !complete() {
		build()
		markComplete()
	}
	b.Logf("%s: %d lots, %s", dialect, lots, size())
	d := &benchData{db: db, harvests: sampleNodes(b, db, "/10/H"), retail: sampleNodes(b, db, "/10/R")}
	benchCache[dialect] = d
	return d
}

// benchPostgres creates when needed the benchmark's own schema on the test
// server (it is kept between runs) and returns the DSN that selects it.
func benchPostgres(b *testing.B, schema string) string {
	ctx := context.Background()
	base := os.Getenv(storetest.PostgresEnv)
	admin, err := store.Open(ctx, base)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
		b.Fatal(err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// sampleNodes draws benchSamples nodes whose URI contains part, the same
// ones on every run.
func sampleNodes(b *testing.B, db *store.DB, part string) []int64 {
	var ids []int64
	if err := scanAll(context.Background(), db, `SELECT id FROM trace_nodes WHERE uri LIKE ? ORDER BY id`, []any{"%" + part + "%"},
		func(rows *sql.Rows) error {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		}); err != nil {
		b.Fatal(err)
	}
	if len(ids) == 0 {
		b.Fatalf("no nodes like %s", part)
	}
	r := rand.New(rand.NewPCG(benchSeed, 1))
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids[:min(benchSamples, len(ids))]
}

// peakRSS is the process's peak resident set, from /proc (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

type walkFunc func(ctx context.Context, d *benchData, start []int64) (*Result, error)

// The engines compared: the walk, the recursive query, the graph in memory.
var benchEngines = []struct {
	name          string
	forward, back walkFunc
}{
	{"engine",
		func(ctx context.Context, d *benchData, s []int64) (*Result, error) {
			return Forward(ctx, d.db, s, Options{})
		},
		func(ctx context.Context, d *benchData, s []int64) (*Result, error) {
			return Backward(ctx, d.db, s, Options{})
		}},
	{"recursive-sql",
		func(ctx context.Context, d *benchData, s []int64) (*Result, error) {
			return ForwardRecursiveSQL(ctx, d.db, s, Options{})
		},
		func(ctx context.Context, d *benchData, s []int64) (*Result, error) {
			return BackwardRecursiveSQL(ctx, d.db, s, Options{})
		}},
	{"in-memory",
		func(ctx context.Context, d *benchData, s []int64) (*Result, error) {
			return ForwardInMemory(ctx, d.graph, s, Options{})
		},
		func(ctx context.Context, d *benchData, s []int64) (*Result, error) {
			return BackwardInMemory(ctx, d.graph, s, Options{})
		}},
}

// BenchmarkForward traces a harvest lot forward to its recall scope (six
// tiers: harvest lot, packed lot, product lot, pallet, load, retailer).
func BenchmarkForward(b *testing.B) { benchWalk(b, true) }

// BenchmarkBackward traces a retail lot back to the harvests and farms.
func BenchmarkBackward(b *testing.B) { benchWalk(b, false) }

func benchWalk(b *testing.B, forward bool) {
	for _, dialect := range benchDialects() {
		b.Run(string(dialect), func(b *testing.B) {
			d := loadBench(b, dialect)
			for _, eng := range benchEngines {
				b.Run(eng.name, func(b *testing.B) {
					if eng.name == "in-memory" {
						d.loadGraph(b)
					}
					walk, starts := eng.back, d.retail
					if forward {
						walk, starts = eng.forward, d.harvests
					}
					ctx := context.Background()
					// One untimed walk from every start first, so that no
					// engine pays for pages another engine's run left cold
					// or warm: the figures are for a warm database.
					for i := range starts {
						if _, err := walk(ctx, d, starts[i:i+1]); err != nil {
							b.Fatal(err)
						}
					}
					times := make([]time.Duration, 0, b.N)
					nodes, tiers := 0, 0
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						t0 := time.Now()
						res, err := walk(ctx, d, starts[i%len(starts):i%len(starts)+1])
						times = append(times, time.Since(t0))
						if err != nil {
							b.Fatal(err)
						}
						nodes += len(res.Nodes)
						tiers += res.Nodes[len(res.Nodes)-1].Tier
					}
					b.StopTimer()
					slices.Sort(times)
					b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
					b.ReportMetric(ms(times[min(len(times)-1, len(times)*99/100)]), "p99-ms")
					b.ReportMetric(float64(nodes)/float64(b.N), "nodes/op")
					b.ReportMetric(float64(tiers)/float64(b.N), "tiers/op")
				})
			}
		})
	}
}

func (d *benchData) loadGraph(b *testing.B) {
	d.once.Do(func() {
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		t0 := time.Now()
		g, err := LoadGraph(context.Background(), d.db)
		if err != nil {
			b.Fatal(err)
		}
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.Logf("graph: %d edges loaded in %v, %.0f MB held, peak RSS %s", g.Edges(), time.Since(t0).Round(time.Millisecond),
			float64(after.HeapAlloc-before.HeapAlloc)/1e6, peakRSS())
		d.graph = g
	})
	if d.graph == nil {
		b.Fatal("no graph")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkCapture measures capture of the generated network's 1000-event
// documents through CaptureJSON into an empty database, one document per op.
func BenchmarkCapture(b *testing.B) {
	for _, dialect := range benchDialects() {
		b.Run(string(dialect), func(b *testing.B) {
			var db *store.DB
			if dialect == store.Postgres {
				db = storetest.Postgres(b)
			} else {
				db = storetest.SQLite(b)
			}
			// Enough documents for b.N, about ten events per lot.
			var docs [][]byte
			if err := GenerateNetwork(NetworkSpec{Lots: b.N*100 + 100, Seed: benchSeed}, func(d []byte) error {
				docs = append(docs, d)
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			events := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n, err := trace.CaptureJSON(ctx, db, docs[i%len(docs)], "")
				if err != nil {
					b.Fatal(err)
				}
				events += n
			}
			b.StopTimer()
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
