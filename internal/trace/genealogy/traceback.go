package genealogy

import (
	"cmp"
	"context"
	"slices"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// tracebackRounds is IFT's bound on each of its two loops.
const tracebackRounds = 100

// TracebackEvents returns the eventIDs that IFT OpenTraceability's
// Traceback (EPCISTraceabilityResolver.Traceback) gathers for the canonical
// identifier uri, in the order it gathers them:
//
//  1. the events naming uri as goods (MATCH_anyEPC / MATCH_anyEPCClass);
//  2. repeatedly, the events naming any child (childEPCs, childQuantityList)
//     or input (inputEPCList, inputQuantityList) of the last round's events
//     not asked about yet, up to 100 rounds;
//  3. repeatedly, for each AggregationEvent ADD gathered whose parentID was
//     not asked about yet, the events naming the parent up to the time of the
//     next gathered event that names one of its children (or the latest
//     gathered event), up to 100 rounds.
//
// Events are kept once each, superseded ones included, as an EPCIS query
// returns them. Each round is one batched query over epcis_event_nodes, the
// walk's tier-by-tier pattern; the time rules are IFT's own, not the walk's.
func TracebackEvents(ctx context.Context, db *store.DB, uri string) ([]string, error) {
	ids, err := NodeIDs(ctx, db, []string{uri})
	if err != nil {
		return nil, err
	}
	start, ok := ids[uri]
	if !ok {
		return nil, nil
	}
	tb := &traceback{db: db, seen: map[int64]*tbEvent{}, asked: map[int64]bool{start: true}}
	round, err := tb.ask(ctx, []int64{start}, noLimit)
	if err != nil {
		return nil, err
	}
	for i := 0; i < tracebackRounds; i++ {
		var next []int64
		for _, e := range round {
			for _, r := range e.refs {
				if (r.role == RoleChild || r.role == RoleChildClass || r.role == RoleInput || r.role == RoleInputClass) && !tb.asked[r.node] {
					tb.asked[r.node] = true
					next = append(next, r.node)
				}
			}
		}
		if len(next) == 0 {
			break
		}
		if round, err = tb.ask(ctx, next, noLimit); err != nil {
			return nil, err
		}
	}
	for i := 0; i < tracebackRounds; i++ {
		var adds []*tbEvent
		for _, e := range tb.all {
			if e.typ == "AggregationEvent" && e.action == "ADD" && e.parent() != 0 && !tb.asked[e.parent()] {
				adds = append(adds, e)
			}
		}
		if len(adds) == 0 {
			break
		}
		for _, a := range adds {
			if _, err := tb.ask(ctx, []int64{a.parent()}, tb.nextTime(a)); err != nil {
				return nil, err
			}
			tb.asked[a.parent()] = true
		}
	}
	out := make([]string, len(tb.all))
	for i, e := range tb.all {
		out[i] = e.eventID
	}
	return out, nil
}

const noLimit = int64(1<<63 - 1)

type tbRef struct {
	node int64
	role Role
}

type tbEvent struct {
	seq         int64
	eventID     string
	typ, action string
	at          int64
	refs        []tbRef
}

func (e *tbEvent) parent() int64 {
	for _, r := range e.refs {
		if r.role == RoleParent {
			return r.node
		}
	}
	return 0
}

func (e *tbEvent) names(nodes map[int64]bool) bool {
	return slices.ContainsFunc(e.refs, func(r tbRef) bool { return r.role.IsObject() && nodes[r.node] })
}

type traceback struct {
	db    *store.DB
	all   []*tbEvent // gathered, in order
	seen  map[int64]*tbEvent
	asked map[int64]bool
}

// nextTime is when a's children were next seen after a, else the latest
// time gathered.
func (tb *traceback) nextTime(a *tbEvent) int64 {
	kids := map[int64]bool{}
	for _, r := range a.refs {
		if r.role == RoleChild || r.role == RoleChildClass {
			kids[r.node] = true
		}
	}
	next, latest, found := int64(0), int64(-1<<63), false
	for _, e := range tb.all {
		latest = max(latest, e.at)
		if e.at > a.at && e.names(kids) && (!found || e.at < next) {
			next, found = e.at, true
		}
	}
	if found {
		return next
	}
	return latest
}

// ask gathers the events naming any of nodes as goods, no later than le, and
// returns them all (new or not) in seq order.
func (tb *traceback) ask(ctx context.Context, nodes []int64, le int64) ([]*tbEvent, error) {
	var round []*tbEvent
	for start := 0; start < len(nodes); start += chunk {
		part := nodes[start:min(start+chunk, len(nodes))]
		q := `SELECT e.seq, e.event_id, e.event_type, e.action, e.event_time, n.node, n.role
			FROM epcis_events e JOIN epcis_event_nodes n ON n.seq = e.seq
			WHERE e.seq IN (SELECT x.seq FROM epcis_event_nodes x WHERE x.node IN (` + placeholders(len(part)) + `) AND x.role BETWEEN 1 AND 9)`
		args := appendIDs(nil, part)
		if le != noLimit {
			q += ` AND e.event_time <= ?`
			args = append(args, le)
		}
		rows, err := tb.db.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		got := map[int64]*tbEvent{}
		for rows.Next() {
			var e tbEvent
			var r tbRef
			if err := rows.Scan(&e.seq, &e.eventID, &e.typ, &e.action, &e.at, &r.node, &r.role); err != nil {
				rows.Close()
				return nil, err
			}
			g, ok := got[e.seq]
			if !ok {
				g = &e
				got[e.seq] = g
			}
			g.refs = append(g.refs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, e := range got {
			slices.SortFunc(e.refs, func(a, b tbRef) int { return cmp.Or(cmp.Compare(a.role, b.role), cmp.Compare(a.node, b.node)) })
			round = append(round, e)
		}
	}
	slices.SortFunc(round, func(a, b *tbEvent) int { return cmp.Compare(a.seq, b.seq) })
	round = slices.CompactFunc(round, func(a, b *tbEvent) bool { return a.seq == b.seq })
	for i, e := range round {
		if old, ok := tb.seen[e.seq]; ok {
			round[i] = old
			continue
		}
		tb.seen[e.seq] = e
		tb.all = append(tb.all, e)
	}
	return round, nil
}
