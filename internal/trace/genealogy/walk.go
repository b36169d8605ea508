package genealogy

import (
	"cmp"
	"context"
	"math"
	"slices"
)

// hop is an edge offered to the walk at one of the frontier's nodes: from is
// that node, up marks an aggregation edge climbed from the child to its
// parent on a backward walk (every other backward edge is entered at its
// destination).
type hop struct {
	Edge
	from int64
	up   bool
}

// edgeSource gives the walk the candidate edges of one tier: going forward
// the edges out of nodes (kinds 1–3); going backward the edges into them
// (kinds 1, 2, 4) and the aggregation edges out of them. bound is a
// prefilter on edge time that holds for every node of the tier (forward:
// at >= bound; backward: at <= bound); the walk filters each node exactly.
type edgeSource interface {
	hops(ctx context.Context, dir Direction, nodes []int64, w window, bound int64) ([]hop, error)
}

// state is one way a node was reached. Forward, edges out of it are followed
// when lo <= at < hi; backward, when lo <= at <= hi. owner is 0 when the node
// was reached as goods in its own right, else the goods inside this
// container that the walk is following: a container is walked only for the
// time those goods were inside, backward its other contents are not walked,
// and the parties found on it are credited to the goods as well.
type state struct {
	node   int64
	lo, hi int64
	owner  int64
}

// covers reports whether everything reachable from t is reachable from s.
func (s state) covers(t state) bool {
	return s.owner == t.owner && s.lo <= t.lo && t.hi <= s.hi
}

// reach is what the walk knows about a node.
type reach struct {
	tier    int
	at      int64
	via     *Edge
	party   bool
	states  []state
	parties map[int64]struct{}
}

type walker struct {
	dir     Direction
	w       window
	reached map[int64]*reach
	events  map[int64]struct{}
}

// walk runs a walk over src; it leaves URIs and the party flag of start
// nodes to the caller.
func walk(ctx context.Context, src edgeSource, dir Direction, start []int64, o Options) (*Result, error) {
	k := &walker{dir: dir, w: o.window(), reached: map[int64]*reach{}, events: map[int64]struct{}{}}
	var frontier []state
	for _, id := range start {
		if _, ok := k.reached[id]; ok {
			continue
		}
		s := state{node: id, lo: math.MinInt64, hi: math.MaxInt64}
		k.reached[id] = &reach{states: []state{s}}
		frontier = append(frontier, s)
	}
	depth := o.depth()
	for tier := 0; tier < depth && len(frontier) > 0; tier++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		next, err := k.step(ctx, src, frontier, tier)
		if err != nil {
			return nil, err
		}
		frontier = next
	}
	return k.result(), nil
}

// step expands one tier and returns the states of the next.
func (k *walker) step(ctx context.Context, src edgeSource, frontier []state, tier int) ([]state, error) {
	slices.SortFunc(frontier, func(a, b state) int {
		return cmp.Or(cmp.Compare(a.node, b.node), cmp.Compare(a.lo, b.lo), cmp.Compare(b.hi, a.hi), cmp.Compare(a.owner, b.owner))
	})
	ids := make([]int64, 0, len(frontier))
	bound := frontier[0].lo
	if k.dir == Upstream {
		bound = frontier[0].hi
	}
	for i, s := range frontier {
		if i == 0 || s.node != frontier[i-1].node {
			ids = append(ids, s.node)
		}
		if k.dir == Downstream {
			bound = min(bound, s.lo)
		} else {
			bound = max(bound, s.hi)
		}
	}
	hops, err := src.hops(ctx, k.dir, ids, k.w, bound)
	if err != nil {
		return nil, err
	}
	// Edges in a fixed order, earliest first, so that the edge recorded as
	// having reached a node does not depend on the database's row order.
	slices.SortFunc(hops, func(a, b hop) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.At, b.At), cmp.Compare(a.Seq, b.Seq),
			cmp.Compare(a.Src, b.Src), cmp.Compare(a.Dst, b.Dst), cmp.Compare(a.Kind, b.Kind), boolCmp(a.up, b.up),
			cmp.Compare(a.Until, b.Until), boolCmp(a.HasQty, b.HasQty), cmp.Compare(a.Qty, b.Qty), cmp.Compare(a.UOM, b.UOM))
	})
	var cands []cand
	for i, j := 0, 0; i < len(frontier); i++ {
		s := frontier[i]
		for j < len(hops) && hops[j].from < s.node {
			j++
		}
		for h := j; h < len(hops) && hops[h].from == s.node; h++ {
			cands = k.follow(s, &hops[h], cands)
		}
	}
	return k.admit(cands, tier+1), nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// cand is a state the walk may enter, with the edge that leads there.
type cand struct {
	state
	via *Edge
}

// follow applies the time rules to one edge at one state: it returns cands
// with the state the edge leads to, or records a party reached.
func (k *walker) follow(s state, h *hop, cands []cand) []cand {
	e := &h.Edge
	if e.At < k.w.from || e.At > k.w.to {
		return cands
	}
	if k.dir == Downstream {
		if e.At < s.lo || e.At >= s.hi {
			return cands
		}
		switch e.Kind {
		case Transform:
			cands = append(cands, cand{state{node: e.Dst, lo: e.At, hi: math.MaxInt64}, e})
		case Aggregate:
			cands = append(cands, cand{state{node: e.Dst, lo: e.At, hi: min(s.hi, e.Until), owner: carried(s)}, e})
		case CustodyTo:
			k.party(e.Dst, s, e)
		default:
			return cands
		}
		k.events[e.Seq] = struct{}{}
		return cands
	}
	if e.At < s.lo || e.At > s.hi {
		return cands
	}
	switch {
	case h.up && e.Kind == Aggregate:
		// s.node was packed into e.Dst: the container counts for the time it
		// held s.node, up to when s.node was reached.
		hi := s.hi
		if e.Until != Open {
			hi = min(hi, e.Until-1)
		}
		cands = append(cands, cand{state{node: e.Dst, lo: e.At, hi: hi, owner: carried(s)}, e})
	case e.Kind == Transform:
		cands = append(cands, cand{state{node: e.Src, lo: math.MinInt64, hi: e.At}, e})
	case e.Kind == Aggregate:
		if s.owner != 0 {
			return cands // a container followed for one of its contents: not the others
		}
		cands = append(cands, cand{state{node: e.Src, lo: math.MinInt64, hi: e.At}, e})
	case e.Kind == CustodyFrom:
		k.party(e.Src, s, e)
	default:
		return cands
	}
	k.events[e.Seq] = struct{}{}
	return cands
}

// carried is the goods a container reached from s holds for the walk.
func carried(s state) int64 {
	if s.owner != 0 {
		return s.owner
	}
	return s.node
}

// party records a party or location reached from s over e, and credits it to
// the goods at s (and the goods s was followed for).
func (k *walker) party(p int64, s state, e *Edge) {
	if _, ok := k.reached[p]; !ok {
		k.reached[p] = &reach{tier: k.reached[s.node].tier + 1, at: e.At, via: e, party: true}
	}
	k.credit(s.node, p)
	if s.owner != 0 {
		k.credit(s.owner, p)
	}
}

func (k *walker) credit(obj, p int64) {
	r := k.reached[obj]
	if r.parties == nil {
		r.parties = map[int64]struct{}{}
	}
	r.parties[p] = struct{}{}
}

// admit enters the candidates that nothing already entered covers, the
// widest first, and returns them as the next frontier.
func (k *walker) admit(cands []cand, tier int) []state {
	slices.SortStableFunc(cands, func(a, b cand) int {
		c := cmp.Compare(a.node, b.node)
		if k.dir == Downstream {
			return cmp.Or(c, cmp.Compare(a.lo, b.lo), cmp.Compare(b.hi, a.hi), cmp.Compare(a.owner, b.owner))
		}
		return cmp.Or(c, cmp.Compare(b.hi, a.hi), cmp.Compare(a.lo, b.lo), cmp.Compare(a.owner, b.owner))
	})
	var next []state
	for _, c := range cands {
		r, ok := k.reached[c.node]
		if !ok {
			r = &reach{tier: tier, at: c.via.At, via: c.via}
			k.reached[c.node] = r
		}
		r.party = false
		if slices.ContainsFunc(r.states, func(s state) bool { return s.covers(c.state) }) {
			continue
		}
		r.states = append(r.states, c.state)
		next = append(next, c.state)
	}
	return next
}

func (k *walker) result() *Result {
	res := &Result{Direction: k.dir, Nodes: make([]Node, 0, len(k.reached))}
	for id, r := range k.reached {
		n := Node{ID: id, Tier: r.tier, Party: r.party, At: r.at, Via: r.via}
		for p := range r.parties {
			n.Parties = append(n.Parties, p)
		}
		slices.Sort(n.Parties)
		res.Nodes = append(res.Nodes, n)
	}
	sortNodes(res.Nodes)
	res.Events = make([]int64, 0, len(k.events))
	for s := range k.events {
		res.Events = append(res.Events, s)
	}
	slices.Sort(res.Events)
	res.reindex()
	return res
}

// sortNodes puts nodes in Result order: by tier, then ID.
func sortNodes(nodes []Node) {
	slices.SortFunc(nodes, func(a, b Node) int { return cmp.Or(cmp.Compare(a.Tier, b.Tier), cmp.Compare(a.ID, b.ID)) })
}
