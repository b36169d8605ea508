package genealogy

import (
	"context"
	"database/sql"
	"math"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// chunk is the most node IDs one statement carries: well under both
// databases' parameter limits (a backward query names them twice) while a
// tier rarely needs a second statement.
const chunk = 500

// Forward walks from the start nodes (trace_nodes IDs) to everything they
// went into and every party or location that holds or held them: the recall
// scope.
func Forward(ctx context.Context, db *store.DB, start []int64, o Options) (*Result, error) {
	return walkDB(ctx, db, Downstream, start, o)
}

// Backward walks from the start nodes to everything that went into them and
// every party or location that supplied them.
func Backward(ctx context.Context, db *store.DB, start []int64, o Options) (*Result, error) {
	return walkDB(ctx, db, Upstream, start, o)
}

func walkDB(ctx context.Context, db *store.DB, dir Direction, start []int64, o Options) (*Result, error) {
	res, err := walk(ctx, dbSource{db}, dir, start, o)
	if err != nil {
		return nil, err
	}
	return res, resolve(ctx, db, res)
}

// dbSource reads the edges of a tier with one statement per chunk of nodes,
// through the (src, at, …) key and the (dst, at, …) index.
//
// Edges of an event that an error declaration superseded are not followed.
// Capture deletes an event's edges when a declaration about it arrives, and
// writes none for an event that comes with its declaration, so the filter is
// a guard that keeps the trace right whatever wrote the edges. It excludes
// the events epcis_error_declarations names (superseded, below), a set read
// once per statement through that table's event_id index. Joining each
// candidate edge to epcis_events to test error_time says the same for every
// event capture writes, but reads a page of that wide table per edge: about
// a third of a forward walk's time on a 1-million-event SQLite database.
type dbSource struct{ db *store.DB }

const edgeCols = `t.src, t.dst, t.kind, t.at, t.until, t.seq, t.qty, t.uom`

// superseded is the set of events whose edges a walk must not follow (see
// dbSource).
const superseded = `(SELECT x.seq FROM epcis_error_declarations d JOIN epcis_events x ON x.event_id = d.event_id)`

func (s dbSource) hops(ctx context.Context, dir Direction, nodes []int64, w window, bound int64) ([]hop, error) {
	var out []hop
	for start := 0; start < len(nodes); start += chunk {
		part := nodes[start:min(start+chunk, len(nodes))]
		q, args := tierQuery(s.db.Dialect, dir, part, w, bound)
		rows, err := s.db.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var h hop
			if err := scanEdge(rows, &h.Edge, &h.up); err != nil {
				rows.Close()
				return nil, err
			}
			h.from = h.Src
			if dir == Upstream && !h.up {
				h.from = h.Dst
			}
			out = append(out, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tierQuery builds the statement for one chunk of a tier.
func tierQuery(d store.Dialect, dir Direction, nodes []int64, w window, bound int64) (string, []any) {
	var args []any
	// cond adds the time conditions shared by every branch.
	cond := func(b *strings.Builder) {
		b.WriteString(` AND t.seq NOT IN ` + superseded)
		lo, hi := w.from, w.to
		if dir == Downstream {
			lo = max(lo, bound)
		} else {
			hi = min(hi, bound)
		}
		if lo != math.MinInt64 {
			b.WriteString(` AND t.at >= ?`)
			args = append(args, lo)
		}
		if hi != math.MaxInt64 {
			b.WriteString(` AND t.at <= ?`)
			args = append(args, hi)
		}
	}
	var b strings.Builder
	if dir == Downstream {
		b.WriteString(`SELECT ` + edgeCols + `, 0 FROM trace_edges t WHERE ` + in(d, "t.src", nodes, &args) + ` AND t.kind IN (1, 2, 3)`)
		cond(&b)
		return b.String(), args
	}
	b.WriteString(`SELECT ` + edgeCols + `, 0 FROM trace_edges t WHERE ` + in(d, "t.dst", nodes, &args) + ` AND t.kind IN (1, 2, 4)`)
	cond(&b)
	b.WriteString(` UNION ALL SELECT ` + edgeCols + `, 1 FROM trace_edges t WHERE ` + in(d, "t.src", nodes, &args) + ` AND t.kind = 2`)
	cond(&b)
	return b.String(), args
}

// in is the condition "col is one of ids", adding its arguments: an IN list
// on SQLite, = ANY(array) on PostgreSQL, where one statement text for every
// number of IDs lets the driver prepare it once per connection.
func in(d store.Dialect, col string, ids []int64, args *[]any) string {
	if d == store.Postgres {
		*args = append(*args, ids)
		return col + " = ANY(?)"
	}
	*args = appendIDs(*args, ids)
	return col + " IN (" + placeholders(len(ids)) + ")"
}

func appendIDs(args []any, ids []int64) []any {
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// scanEdge reads the edge columns (and, when up is not nil, the branch flag
// after them).
func scanEdge(rows *sql.Rows, e *Edge, up *bool) error {
	var until sql.NullInt64
	var qty sql.NullFloat64
	var kind int64
	var upFlag int64
	dest := []any{&e.Src, &e.Dst, &kind, &e.At, &until, &e.Seq, &qty, &e.UOM}
	if up != nil {
		dest = append(dest, &upFlag)
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	e.Kind = Kind(kind)
	e.Until = Open
	if until.Valid {
		e.Until = until.Int64
	}
	e.Qty, e.HasQty = qty.Float64, qty.Valid
	if up != nil {
		*up = upFlag == 1
	}
	return nil
}

// NodeIDs looks up the trace_nodes ID of each canonical URI; URIs that no
// event mentions are missing from the map.
func NodeIDs(ctx context.Context, db *store.DB, uris []string) (map[string]int64, error) {
	out := make(map[string]int64, len(uris))
	for start := 0; start < len(uris); start += chunk {
		part := uris[start:min(start+chunk, len(uris))]
		args := make([]any, len(part))
		for i, u := range part {
			args[i] = u
		}
		rows, err := db.Query(ctx, `SELECT id, uri FROM trace_nodes WHERE uri IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var uri string
			if err := rows.Scan(&id, &uri); err != nil {
				rows.Close()
				return nil, err
			}
			out[uri] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// resolve fills in the URIs of a result, and tells whether each start node is
// goods: a node that no event names in a goods role (epcList, parentID,
// childEPCs, input/output lists, quantity lists) is a party or location.
//
// Only start nodes are looked up in epcis_event_nodes: the walk knows what
// every other node is from the edge that reached it.
func resolve(ctx context.Context, db *store.DB, res *Result) error {
	ids := res.IDs()
	var starts []int64
	for _, n := range res.Nodes {
		if n.Via == nil {
			starts = append(starts, n.ID)
		}
	}
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		var args []any
		rows, err := db.Query(ctx, `SELECT n.id, n.uri, CASE WHEN `+in(db.Dialect, "n.id", starts, &args)+` THEN
			(CASE WHEN EXISTS (SELECT 1 FROM epcis_event_nodes x WHERE x.node = n.id AND x.role BETWEEN 1 AND 9) THEN 1 ELSE 0 END)
			ELSE 1 END FROM trace_nodes n WHERE `+in(db.Dialect, "n.id", part, &args), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, goods int64
			var uri string
			if err := rows.Scan(&id, &uri, &goods); err != nil {
				rows.Close()
				return err
			}
			n, _ := res.Node(id)
			n.URI = uri
			if n.Via == nil {
				n.Party = goods == 0
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
