package genealogy

import (
	"context"
	"math"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// ForwardRecursiveSQL is the baseline for Forward: a single WITH RECURSIVE
// query over trace_edges with the same time rules. It differs from Forward
// where SQL cannot follow it:
//   - a recursive query cannot keep per node only the earliest reach, so it
//     walks every distinct (node, time window) it meets — the same nodes, at
//     the same smallest tiers, with more work where paths multiply;
//   - it returns nodes, tiers, URIs and the party flag (a node reached as a
//     custody end), not the edges, events or credited parties.
func ForwardRecursiveSQL(ctx context.Context, db *store.DB, start []int64, o Options) (*Result, error) {
	return recursive(ctx, db, Downstream, start, o)
}

// BackwardRecursiveSQL is the baseline for Backward, with the differences
// told at ForwardRecursiveSQL. On PostgreSQL, whose recursive term may name
// the walk only once, the two ways out of a node (into it, and up to its
// container) are one LATERAL union; SQLite takes them as two recursive terms.
func BackwardRecursiveSQL(ctx context.Context, db *store.DB, start []int64, o Options) (*Result, error) {
	return recursive(ctx, db, Upstream, start, o)
}

// The walk table: node, the window [lo, hi] (forward hi exclusive), whole = 1
// unless a container followed for one of its contents, depth, leaf = 1 for a
// party or location.
const (
	recursiveForward = `
WITH RECURSIVE walk(node, lo, hi, depth, leaf) AS (
  SELECT id, CAST(? AS BIGINT), CAST(? AS BIGINT), 0, 0 FROM trace_nodes WHERE id IN (%START%)
  UNION
  SELECT t.dst, t.at,
         CASE WHEN t.kind = 2 AND t.until IS NOT NULL AND t.until < w.hi THEN t.until
              WHEN t.kind = 2 THEN w.hi ELSE CAST(? AS BIGINT) END,
         w.depth + 1, CASE WHEN t.kind = 3 THEN 1 ELSE 0 END
  FROM walk w JOIN trace_edges t ON t.src = w.node
  WHERE w.leaf = 0 AND w.depth < ? AND t.kind IN (1, 2, 3) AND t.at >= w.lo AND t.at < w.hi
    AND t.at >= ? AND t.at <= ?
    AND t.seq NOT IN ` + superseded + `
)
SELECT w.node, MIN(w.depth), MIN(w.leaf), n.uri FROM walk w JOIN trace_nodes n ON n.id = w.node GROUP BY w.node, n.uri`

	// into: inputs, supplier parties and its contents (not when it is a
	// container followed for some of them).
	recursiveInto = `
  SELECT t.src AS node, CAST(? AS BIGINT) AS lo, t.at AS hi, 1 AS whole, w.depth + 1 AS depth,
         CASE WHEN t.kind = 4 THEN 1 ELSE 0 END AS leaf
  FROM %FROM% JOIN trace_edges t ON t.dst = w.node
  WHERE %W% (t.kind IN (1, 4) OR (t.kind = 2 AND w.whole = 1)) AND t.at >= w.lo AND t.at <= w.hi
    AND t.at >= ? AND t.at <= ?
    AND t.seq NOT IN ` + superseded + ``

	// up: the containers it was packed into, for the time it was inside.
	recursiveUp = `
  SELECT t.dst AS node, t.at AS lo,
         CASE WHEN t.until IS NOT NULL AND t.until - 1 < w.hi THEN t.until - 1 ELSE w.hi END AS hi,
         0 AS whole, w.depth + 1 AS depth, 0 AS leaf
  FROM %FROM% JOIN trace_edges t ON t.src = w.node
  WHERE %W% t.kind = 2 AND t.at >= w.lo AND t.at <= w.hi
    AND t.at >= ? AND t.at <= ?
    AND t.seq NOT IN ` + superseded + ``

	recursiveBackwardHead = `
WITH RECURSIVE walk(node, lo, hi, whole, depth, leaf) AS (
  SELECT id, CAST(? AS BIGINT), CAST(? AS BIGINT), 1, 0, 0 FROM trace_nodes WHERE id IN (%START%)
  UNION`

	recursiveTail = `
)
SELECT w.node, MIN(w.depth), MIN(w.leaf), n.uri FROM walk w JOIN trace_nodes n ON n.id = w.node GROUP BY w.node, n.uri`
)

func recursive(ctx context.Context, db *store.DB, dir Direction, start []int64, o Options) (*Result, error) {
	w := o.window()
	depth := o.depth()
	var q string
	var args []any
	args = append(args, int64(math.MinInt64), int64(math.MaxInt64))
	args = appendIDs(args, start)
	if dir == Downstream {
		q = recursiveForward
		args = append(args, int64(math.MaxInt64), depth, w.from, w.to)
	} else if db.Dialect == store.Postgres {
		q = recursiveBackwardHead + `
  SELECT x.node, x.lo, x.hi, x.whole, x.depth, x.leaf FROM walk w CROSS JOIN LATERAL (` +
			lateral(recursiveInto) + ` UNION ALL` + lateral(recursiveUp) + `) x
  WHERE w.leaf = 0 AND w.depth < ?` + recursiveTail
		args = append(args, int64(math.MinInt64), w.from, w.to, w.from, w.to, depth)
	} else {
		term := func(s string) string {
			return strings.NewReplacer("%FROM%", "walk w", "%W%", "w.leaf = 0 AND w.depth < ? AND").Replace(s)
		}
		q = recursiveBackwardHead + term(recursiveInto) + `
  UNION` + term(recursiveUp) + recursiveTail
		args = append(args, int64(math.MinInt64), depth, w.from, w.to, depth, w.from, w.to)
	}
	q = strings.Replace(q, "%START%", placeholders(len(start)), 1)
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &Result{Direction: dir}
	for rows.Next() {
		var n Node
		var leaf int64
		if err := rows.Scan(&n.ID, &n.Tier, &leaf, &n.URI); err != nil {
			return nil, err
		}
		n.Party = leaf == 1
		res.Nodes = append(res.Nodes, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortNodes(res.Nodes)
	res.reindex()
	return res, nil
}

// lateral turns a recursive term into the body of a LATERAL subquery: the
// walk row comes from outside, so its own FROM is just the edges.
func lateral(term string) string {
	return strings.NewReplacer("FROM %FROM% JOIN trace_edges t ON", "FROM trace_edges t WHERE", "WHERE %W%", "AND").Replace(term)
}
