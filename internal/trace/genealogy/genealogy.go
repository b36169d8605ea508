// Package genealogy walks the trace graph that EPCIS capture derives from
// events (trace_edges): forward from a lot to everything it went into and
// every party or place that holds or held it (the recall scope), and
// backward to everything that went into it and who supplied it.
//
// The walk goes tier by tier, one batched indexed query per tier, and is
// time-respecting: forward, an edge is followed only if it happened no
// earlier than the edge that reached the node, and through a container only
// while the goods were inside it; backward mirrors this. Parties and
// locations are leaves. Two baselines with the same meaning are kept beside
// it for tests and benchmarks: a recursive SQL query and a walk over the
// whole graph held in memory.
//
// TraceRows turns a walk into FSMA 204-style rows (one per tracking event
// and lot); TracebackEvents reproduces the IFT OpenTraceability trace-back;
// GenerateNetwork writes a synthetic farm-to-retail supply network as EPCIS
// 2.0 documents for tests and benchmarks.
package genealogy

import (
	"math"
	"time"

	"github.com/hallmark-platform/hallmark/internal/trace"
)

// Kind is the kind of a trace edge, as stored in trace_edges.kind.
type Kind int8

// Edge kinds.
const (
	Transform   Kind = 1 // input -> output of a TransformationEvent
	Aggregate   Kind = 2 // child -> parent, from an AggregationEvent ADD; Until is the DELETE
	CustodyTo   Kind = 3 // object -> the party or location it went to
	CustodyFrom Kind = 4 // source party or location -> object
)

// Role is the part an identifier plays in an event (epcis_event_nodes.role);
// capture defines them.
type Role = trace.Role

// Roles, as stored.
const (
	RoleEPC         = trace.RoleEPC
	RoleParent      = trace.RoleParent
	RoleChild       = trace.RoleChild
	RoleInput       = trace.RoleInput
	RoleOutput      = trace.RoleOutput
	RoleClass       = trace.RoleClass
	RoleChildClass  = trace.RoleChildClass
	RoleInputClass  = trace.RoleInputClass
	RoleOutputClass = trace.RoleOutputClass
	RoleSource      = trace.RoleSource
	RoleDestination = trace.RoleDestination
	RoleReadPoint   = trace.RoleReadPoint
	RoleBizLocation = trace.RoleBizLocation
)

// Direction is which way a walk goes.
type Direction int8

// Directions.
const (
	Downstream Direction = 1 // forward: where did it go
	Upstream   Direction = 2 // backward: where did it come from
)

// MaxDepth is the hard cap on tiers: a walk never goes further, whatever
// Options.Depth says, so that a cyclic or runaway graph still ends.
const MaxDepth = 64

// Options bound a walk.
type Options struct {
	// Depth is the number of tiers (edges away from a start node) to walk;
	// 0 means unlimited up to MaxDepth.
	Depth int
	// From and To bound the time of the edges followed (inclusive); a zero
	// value leaves that side open.
	From, To time.Time
}

func (o Options) depth() int {
	if o.Depth <= 0 || o.Depth > MaxDepth {
		return MaxDepth
	}
	return o.Depth
}

// window is Options in stored milliseconds, open sides as the extremes.
type window struct{ from, to int64 }

func (o Options) window() window {
	w := window{math.MinInt64, math.MaxInt64}
	if !o.From.IsZero() {
		w.from = o.From.UnixMilli()
	}
	if !o.To.IsZero() {
		w.to = o.To.UnixMilli()
	}
	return w
}

// Open is the value of Edge.Until while the child is still inside its parent
// (SQL NULL).
const Open = math.MaxInt64

// Edge is one trace edge. Times are Unix milliseconds, like every stored
// timestamp.
type Edge struct {
	Src, Dst int64
	Kind     Kind
	At       int64
	Until    int64 // aggregation only: when the child left the parent, Open while inside
	Seq      int64 // the event that made the edge
	Qty      float64
	HasQty   bool
	UOM      string
}

// Node is a node a walk reached.
type Node struct {
	ID  int64
	URI string
	// Tier is the number of edges from the nearest start node.
	Tier int
	// Party is true for a party or location (a leaf of the walk), false for
	// goods: lots, items, containers.
	Party bool
	// At is when the walk first reached the node (the time of Via), in Unix
	// milliseconds; 0 for a start node.
	At int64
	// Via is the edge that first reached the node, nil for a start node; the
	// node it came from is the other end of the edge.
	Via *Edge
	// Parties are, for goods, the parties and locations that hold or held
	// them (forward: custody went to them, directly or in a container that
	// carried them) or supplied them (backward: custody came from them).
	Parties []int64
}

// Result is what a walk reached.
type Result struct {
	Direction Direction
	// Nodes: start nodes first, then tier by tier, each tier by ID.
	Nodes []Node
	// Events are the seq of every event whose edge the walk followed,
	// ascending.
	Events []int64
	index  map[int64]int
}

// Node returns the reached node with that ID.
func (r *Result) Node(id int64) (*Node, bool) {
	i, ok := r.index[id]
	if !ok {
		return nil, false
	}
	return &r.Nodes[i], true
}

// Path returns the edges that justify reaching id, from a start node to id
// (empty for a start node or a node not reached).
func (r *Result) Path(id int64) []Edge {
	var path []Edge
	for n, ok := r.Node(id); ok && n.Via != nil; {
		path = append(path, *n.Via)
		n, ok = r.Node(r.prev(n))
		if len(path) > MaxDepth+1 {
			break
		}
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// prev is the node that n was reached from: the other end of Via.
func (r *Result) prev(n *Node) int64 {
	if n.Via.Dst == n.ID {
		return n.Via.Src
	}
	return n.Via.Dst
}

// IDs returns the IDs of the reached nodes, in Nodes order.
func (r *Result) IDs() []int64 {
	out := make([]int64, len(r.Nodes))
	for i, n := range r.Nodes {
		out[i] = n.ID
	}
	return out
}

// Tiers maps every reached node to its tier, the form in which the engines
// are compared.
func (r *Result) Tiers() map[int64]int {
	out := make(map[int64]int, len(r.Nodes))
	for _, n := range r.Nodes {
		out[n.ID] = n.Tier
	}
	return out
}

func (r *Result) reindex() {
	r.index = make(map[int64]int, len(r.Nodes))
	for i, n := range r.Nodes {
		r.index[n.ID] = i
	}
}
