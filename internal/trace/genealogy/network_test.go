package genealogy

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// loadNetwork generates a network and captures it document by document, as
// a partner system would send it; it returns the documents.
func loadNetwork(t testing.TB, db *store.DB, spec NetworkSpec) [][]byte {
	t.Helper()
	docs := generate(t, spec)
	for i, d := range docs {
		if _, err := trace.CaptureJSON(context.Background(), db, d, ""); err != nil {
			t.Fatalf("capture document %d: %v", i, err)
		}
	}
	return docs
}

// nodesLike returns the IDs and URIs of the nodes whose URI contains part,
// in ID order.
func nodesLike(t testing.TB, db *store.DB, part string) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	if err := scanAll(context.Background(), db, `SELECT id, uri FROM trace_nodes WHERE uri LIKE ?`, []any{"%" + part + "%"},
		func(rows *sql.Rows) error {
			var id int64
			var uri string
			if err := rows.Scan(&id, &uri); err != nil {
				return err
			}
			out[id] = uri
			return nil
		}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEnginesAgreeOnGeneratedNetworks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadNetwork(t, db, NetworkSpec{Lots: 300, Seed: 5})
		harvests := slices.Sorted(maps.Keys(nodesLike(t, db, "/10/H")))
		retail := slices.Sorted(maps.Keys(nodesLike(t, db, "/10/R")))
		if len(harvests) != 300 || len(retail) == 0 {
			t.Fatalf("%d harvest lots, %d retail lots", len(harvests), len(retail))
		}
		g := loadGraph(t, db)
		deepest := 0
		for i := 0; i < len(harvests); i += 7 {
			res := agreeOn(t, db, g, Downstream, harvests[i:i+1], Options{})
			for _, n := range res.Nodes {
				if n.Party && strings.Contains(n.URI, "/417/694") { // a retailer's party GLN
					deepest = max(deepest, n.Tier)
				}
			}
		}
		if deepest != 5 {
			t.Errorf("the furthest retailer is tier %d from a harvest lot, want 5 (six tiers)", deepest)
		}
		for i := 0; i < len(retail); i += 5 {
			res := agreeOn(t, db, g, Upstream, retail[i:i+1], Options{})
			// A retail lot comes from a product lot made of packed farm lots
			// of harvests: tier 3 holds a harvest lot.
			if !slices.ContainsFunc(res.Nodes, func(n Node) bool { return n.Tier == 3 && strings.Contains(n.URI, "/10/H") }) {
				t.Errorf("backward from %d reaches no harvest lot at tier 3", retail[i])
			}
		}
		// Several starts at once, a depth limit and a time window.
		agreeOn(t, db, g, Downstream, harvests[:20], Options{Depth: 3})
		agreeOn(t, db, g, Upstream, retail[:10], Options{From: time.Date(2025, 1, 1, 12, 0, 0, 0, shanghai)})
	})
}
