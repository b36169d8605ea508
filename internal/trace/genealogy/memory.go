package genealogy

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// Graph is the whole trace graph held in memory, for the in-memory baseline:
// every edge once, sorted by source, with an index sorted by destination.
// Node IDs index the offset tables directly (trace_nodes IDs are dense).
type Graph struct {
	edges  []memEdge // by src, then at
	outOff []uint32  // edges[outOff[n]:outOff[n+1]] leave n
	in     []uint32  // edge indexes, by dst then at
	inOff  []uint32  // in[inOff[n]:inOff[n+1]] enter n
	uoms   []string  // uom texts, indexed by memEdge.uom
}

// memEdge is an edge in 56 bytes; qty is NaN when the event gave none.
type memEdge struct {
	src, dst, at, until, seq int64
	qty                      float64
	kind                     Kind
	uom                      uint8
}

// LoadGraph reads every edge that the walk may follow (those of events no
// error declaration superseded) into memory.
func LoadGraph(ctx context.Context, db *store.DB) (*Graph, error) {
	rows, err := db.Query(ctx, `SELECT `+edgeCols+` FROM trace_edges t WHERE t.seq NOT IN `+superseded)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	g := &Graph{}
	uomIndex := map[string]uint8{}
	var maxID int64
	for rows.Next() {
		var e Edge
		if err := scanEdge(rows, &e, nil); err != nil {
			return nil, err
		}
		u, ok := uomIndex[e.UOM]
		if !ok {
			if len(g.uoms) == math.MaxUint8 {
				u = 0 // more units than a food network uses; keep the first
			} else {
				u = uint8(len(g.uoms))
				uomIndex[e.UOM] = u
				g.uoms = append(g.uoms, e.UOM)
			}
		}
		q := math.NaN()
		if e.HasQty {
			q = e.Qty
		}
		g.edges = append(g.edges, memEdge{src: e.Src, dst: e.Dst, at: e.At, until: e.Until, seq: e.Seq, qty: q, kind: e.Kind, uom: u})
		maxID = max(maxID, e.Src, e.Dst)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(g.edges) >= math.MaxUint32 {
		return nil, errors.New("genealogy: too many edges to hold in memory")
	}
	slices.SortFunc(g.edges, func(a, b memEdge) int {
		return cmp.Or(cmp.Compare(a.src, b.src), cmp.Compare(a.at, b.at))
	})
	n := maxID + 2
	g.outOff = make([]uint32, n)
	g.inOff = make([]uint32, n)
	for _, e := range g.edges {
		g.outOff[e.src+1]++
		g.inOff[e.dst+1]++
	}
	for i := int64(1); i < n; i++ {
		g.outOff[i] += g.outOff[i-1]
		g.inOff[i] += g.inOff[i-1]
	}
	g.in = make([]uint32, len(g.edges))
	fill := slices.Clone(g.inOff)
	for i, e := range g.edges {
		g.in[fill[e.dst]] = uint32(i)
		fill[e.dst]++
	}
	return g, nil
}

// Edges is the number of edges held.
func (g *Graph) Edges() int { return len(g.edges) }

// ForwardInMemory is Forward over the graph in memory. URIs are not looked
// up, and a start node counts as goods.
func ForwardInMemory(ctx context.Context, g *Graph, start []int64, o Options) (*Result, error) {
	return walk(ctx, g, Downstream, start, o)
}

// BackwardInMemory is Backward over the graph in memory. URIs are not looked
// up, and a start node counts as goods.
func BackwardInMemory(ctx context.Context, g *Graph, start []int64, o Options) (*Result, error) {
	return walk(ctx, g, Upstream, start, o)
}

func (g *Graph) edge(i uint32) Edge {
	m := &g.edges[i]
	e := Edge{Src: m.src, Dst: m.dst, Kind: m.kind, At: m.at, Until: m.until, Seq: m.seq, UOM: g.uoms[m.uom]}
	if !math.IsNaN(m.qty) {
		e.Qty, e.HasQty = m.qty, true
	}
	return e
}

func (g *Graph) hops(_ context.Context, dir Direction, nodes []int64, w window, bound int64) ([]hop, error) {
	var out []hop
	within := func(at int64) bool {
		if dir == Downstream {
			return at >= max(w.from, bound) && at <= w.to
		}
		return at >= w.from && at <= min(w.to, bound)
	}
	for _, n := range nodes {
		if n < 0 || n+1 >= int64(len(g.outOff)) {
			continue
		}
		for i := g.outOff[n]; i < g.outOff[n+1]; i++ {
			m := &g.edges[i]
			if !within(m.at) {
				continue
			}
			switch {
			case dir == Downstream && m.kind != CustodyFrom:
				out = append(out, hop{Edge: g.edge(i), from: n})
			case dir == Upstream && m.kind == Aggregate:
				out = append(out, hop{Edge: g.edge(i), from: n, up: true})
			}
		}
		if dir == Upstream {
			for _, i := range g.in[g.inOff[n]:g.inOff[n+1]] {
				m := &g.edges[i]
				if m.kind != CustodyTo && within(m.at) {
					out = append(out, hop{Edge: g.edge(i), from: n})
				}
			}
		}
	}
	return out, nil
}
