package genealogy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// base is minute 0 of the hand-built graphs.
var base = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func minute(m int) int64 { return base.Add(time.Duration(m) * time.Minute).UnixMilli() }

// graph writes trace rows directly, the way capture lays them out: one event
// per edge, with the roles its two ends play in it.
type graph struct {
	t    testing.TB
	db   *store.DB
	ctx  context.Context
	ids  map[string]int64
	seqs []int64
}

func newGraph(t testing.TB, db *store.DB) *graph {
	return &graph{t: t, db: db, ctx: context.Background(), ids: map[string]int64{}}
}

func (g *graph) exec(q string, args ...any) {
	g.t.Helper()
	if _, err := g.db.Exec(g.ctx, q, args...); err != nil {
		g.t.Fatalf("%s: %v", q, err)
	}
}

// id returns the node of a name, creating it.
func (g *graph) id(name string) int64 {
	if id, ok := g.ids[name]; ok {
		return id
	}
	id := int64(len(g.ids) + 1)
	g.exec(`INSERT INTO trace_nodes (id, uri) VALUES (?, ?)`, id, "urn:test:"+name)
	g.ids[name] = id
	return id
}

func (g *graph) idsOf(names ...string) []int64 {
	out := make([]int64, len(names))
	for i, n := range names {
		out[i] = g.id(n)
	}
	return out
}

// linkRoles are the event type and the roles of an edge's ends.
var linkRoles = map[Kind]struct {
	typ      string
	src, dst Role
}{
	Transform:   {"TransformationEvent", RoleInputClass, RoleOutputClass},
	Aggregate:   {"AggregationEvent", RoleChildClass, RoleParent},
	CustodyTo:   {"ObjectEvent", RoleClass, RoleDestination},
	CustodyFrom: {"ObjectEvent", RoleSource, RoleClass},
}

// link records an event at minute m with one edge of kind from src to dst
// and returns the event's seq.
func (g *graph) link(kind Kind, src, dst string, m int) int64 {
	g.t.Helper()
	seq := int64(len(g.seqs) + 1)
	g.seqs = append(g.seqs, seq)
	r := linkRoles[kind]
	g.exec(`INSERT INTO epcis_events (seq, event_id, hash_id, event_type, event_time, record_time, body) VALUES (?, ?, '', ?, ?, ?, '{}')`,
		seq, fmt.Sprintf("urn:uuid:test-%d", seq), r.typ, minute(m), minute(m))
	s, d := g.id(src), g.id(dst)
	g.exec(`INSERT INTO epcis_event_nodes (node, role, seq) VALUES (?, ?, ?), (?, ?, ?)`, s, int(r.src), seq, d, int(r.dst), seq)
	g.exec(`INSERT INTO trace_edges (src, dst, kind, at, seq, qty, uom) VALUES (?, ?, ?, ?, ?, ?, 'KGM')`, s, d, int(kind), minute(m), seq, float64(seq))
	return seq
}

// unpack closes the aggregation of child into parent at minute m.
func (g *graph) unpack(child, parent string, m int) {
	g.exec(`UPDATE trace_edges SET until = ? WHERE src = ? AND dst = ? AND kind = 2 AND until IS NULL`, minute(m), g.id(child), g.id(parent))
}

// supersede records an error declaration about an event the way capture
// does, but leaves the event's edges in place, so that only the walk's own
// filter keeps them out.
func (g *graph) supersede(seq int64, m int) {
	g.exec(`UPDATE epcis_events SET error_time = ? WHERE seq = ?`, minute(m), seq)
	g.exec(`INSERT INTO epcis_error_declarations (event_id, declaration_time, body, record_time)
		SELECT event_id, error_time, '{}', error_time FROM epcis_events WHERE seq = ?`, seq)
}

// names maps a result's tiers back to node names.
func (g *graph) names(r *Result) map[string]int {
	byID := map[int64]string{}
	for n, id := range g.ids {
		byID[id] = n
	}
	out := map[string]int{}
	for _, n := range r.Nodes {
		out[byID[n.ID]] = n.Tier
	}
	return out
}

func (g *graph) nameList(ids []int64) []string {
	byID := map[int64]string{}
	for n, id := range g.ids {
		byID[id] = n
	}
	var out []string
	for _, id := range ids {
		out = append(out, byID[id])
	}
	slices.Sort(out)
	return out
}

// agree runs the engine and both baselines and fails unless they reach the
// same nodes at the same tiers, with the same party flags; it returns the
// engine's result.
func agree(t testing.TB, db *store.DB, dir Direction, start []int64, o Options) *Result {
	t.Helper()
	return agreeOn(t, db, loadGraph(t, db), dir, start, o)
}

func loadGraph(t testing.TB, db *store.DB) *Graph {
	t.Helper()
	g, err := LoadGraph(context.Background(), db)
	if err != nil {
		t.Fatalf("load graph: %v", err)
	}
	return g
}

// agreeOn is agree with the graph already in memory.
func agreeOn(t testing.TB, db *store.DB, g *Graph, dir Direction, start []int64, o Options) *Result {
	t.Helper()
	ctx := context.Background()
	eng, rec := Forward, ForwardRecursiveSQL
	mem := ForwardInMemory
	if dir == Upstream {
		eng, rec, mem = Backward, BackwardRecursiveSQL, BackwardInMemory
	}
	res, err := eng(ctx, db, start, o)
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	base, err := rec(ctx, db, start, o)
	if err != nil {
		t.Fatalf("recursive SQL: %v", err)
	}
	inMem, err := mem(ctx, g, start, o)
	if err != nil {
		t.Fatalf("in memory: %v", err)
	}
	want := res.Tiers()
	if got := base.Tiers(); !maps.Equal(got, want) {
		t.Fatalf("recursive SQL reached %v, engine %v", got, want)
	}
	if got := inMem.Tiers(); !maps.Equal(got, want) {
		t.Fatalf("in memory reached %v, engine %v", got, want)
	}
	for _, n := range res.Nodes {
		if n.Via == nil {
			continue
		}
		if b, _ := base.Node(n.ID); b.Party != n.Party {
			t.Fatalf("node %d: party %v in the engine, %v in recursive SQL", n.ID, n.Party, b.Party)
		}
		if m, _ := inMem.Node(n.ID); m.Party != n.Party || !slices.Equal(m.Parties, n.Parties) || *m.Via != *n.Via {
			t.Fatalf("node %d: in memory %+v via %+v, engine %+v via %+v", n.ID, m, *m.Via, n, *n.Via)
		}
	}
	if !slices.Equal(res.Events, inMem.Events) {
		t.Fatalf("events: in memory %v, engine %v", inMem.Events, res.Events)
	}
	return res
}
