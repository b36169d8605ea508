package trace

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/store"
)

var errNoRows = sql.ErrNoRows

// chunk sizes keep every statement well under both databases' parameter
// limits while sending few statements.
const (
	chunkIDs    = 500
	chunkEvents = 200
	chunkNodes  = 1000
	chunkEdges  = 400
)

// writer stores one capture's events, a chunk at a time, in one transaction.
type writer struct {
	tx     *store.Tx
	job    *Job
	single bool
	now    int64
	// inDoc holds the hash of every event ID written so far in this capture.
	inDoc map[string]string
	// nodes holds the ID and whether an EPC URN alias is on record, of every
	// node this capture has looked up or added: a document names the same
	// parties and places again and again.
	nodes map[string]knownNode
	stmts map[string]*sql.Stmt
}

type knownNode struct {
	id       int64
	hasAlias bool
}

func newWriter(tx *store.Tx, job *Job, single bool, now int64) *writer {
	return &writer{tx: tx, job: job, single: single, now: now, inDoc: map[string]string{},
		nodes: map[string]knownNode{}, stmts: map[string]*sql.Stmt{}}
}

// exec runs q, prepared once per capture: the multi-row statements repeat
// with the same shape chunk after chunk.
func (w *writer) exec(ctx context.Context, q string, args ...any) error {
	st, ok := w.stmts[q]
	if !ok {
		var err error
		if st, err = w.tx.Prepare(ctx, q); err != nil {
			return err
		}
		w.stmts[q] = st
	}
	_, err := st.ExecContext(ctx, args...)
	return err
}

// marshal renders the event as it is stored: with its eventID (the hash ID
// when it came without one) and its record time.
func (e *event) marshal(recordTime string) error {
	if _, ok := e.raw["eventID"]; !ok {
		e.raw["eventID"] = e.eventID
	}
	e.raw["recordTime"] = recordTime
	b, err := json.Marshal(e.raw)
	e.body = string(b)
	return err
}

// store writes events that passed validation, in document order. An
// event whose eventID is already stored with the same content is skipped
// (capture is idempotent); with a different content it is refused. An event
// that declares an error about a stored event is kept beside that event and
// takes its edges out of the trace. It returns how many events were added.
func (w *writer) store(ctx context.Context, evs []*event) (int, error) {
	tx, job, single, now, inDoc := w.tx, w.job, w.single, w.now, w.inDoc
	ids := make([]string, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, e.eventID)
	}
	stored, err := storedHashes(ctx, tx, ids)
	if err != nil {
		return 0, err
	}
	var fresh, decls []*event
	for _, e := range evs {
		if e.declaration != nil {
			if _, ok := stored[e.eventID]; ok {
				decls = append(decls, e)
				continue
			}
			if _, ok := inDoc[e.eventID]; ok {
				decls = append(decls, e)
				continue
			}
		}
		h, ok := stored[e.eventID]
		if !ok {
			h, ok = inDoc[e.eventID]
		}
		if ok {
			if h == e.hashID {
				continue
			}
			if single {
				return 0, ErrDuplicate
			}
			p := Problem{Pointer: e.pointer + "/eventID", Rule: "rule.epcis.event_id_taken", Detail: e.eventID}
			if job.Behaviour == behaviourProceed {
				job.Errors = append(job.Errors, p)
				continue
			}
			return 0, &ValidationError{Problems: []Problem{p}}
		}
		inDoc[e.eventID] = e.hashID
		fresh = append(fresh, e)
	}

	nodes := map[string]string{}
	for _, e := range fresh {
		for _, r := range e.refs {
			if r.urn != "" || nodes[r.uri] == "" {
				nodes[r.uri] = r.urn
			}
		}
	}
	nodeID, err := w.internNodes(ctx, nodes)
	if err != nil {
		return 0, err
	}
	seqs, err := allocSeqs(ctx, tx, "epcis_events", len(fresh))
	if err != nil {
		return 0, err
	}
	var evRows, nodeRows, fieldRows []any
	var edges []edge
	for i, e := range fresh {
		seq := seqs[i]
		if e.body == "" {
			if err := e.marshal(formatRecordTime(now)); err != nil {
				return 0, err
			}
		}
		var errTime any
		var errReason string
		if e.declaration != nil {
			errTime, errReason = e.declaration.at, e.declaration.reason
		}
		if w.tx.Dialect != store.SQLite {
			evRows = append(evRows, seq)
		}
		evRows = append(evRows, e.eventID, e.hashID, e.typ, e.eventTime, now, e.action, e.bizStep, e.disposition,
			nullID(nodeID, e.readPoint), nullID(nodeID, e.bizLocation), e.transformationID, errTime, errReason, job.ID, job.Owner, e.body)
		seen := map[[2]int64]bool{}
		for _, r := range e.refs {
			k := [2]int64{nodeID[r.uri], int64(r.role)}
			if !seen[k] {
				seen[k] = true
				nodeRows = append(nodeRows, k[0], k[1], seq, r.qty)
			}
		}
		seenField := map[field]bool{}
		for _, f := range e.fields {
			if !seenField[f] {
				seenField[f] = true
				fieldRows = append(fieldRows, seq, f.name, f.value)
			}
		}
		if e.declaration == nil {
			edges = append(edges, edgesOf(e, seq, nodeID)...)
			if e.typ == "AggregationEvent" && e.action == "DELETE" {
				if err := closeAggregation(ctx, tx, e, nodeID, edges); err != nil {
					return 0, err
				}
			}
		}
	}
	// SQLite numbers the rows itself, one past the largest, as allocSeqs
	// foresaw (checkSeqs makes sure): naming its INTEGER PRIMARY KEY in a
	// multi-row INSERT makes it keep a statement journal of every page the
	// statement touches, which profiles showed as a tenth of the writing.
	evCols, width := "seq, event_id", 17
	if w.tx.Dialect == store.SQLite {
		evCols, width = "event_id", 16
	}
	if err := w.insertRows(ctx, `INSERT INTO epcis_events (`+evCols+`, hash_id, event_type, event_time, record_time, action, biz_step,
		disposition, read_point, biz_location, transformation_id, error_time, error_reason, capture_id, owner_id, body) VALUES `, width, chunkEvents, evRows); err != nil {
		return 0, err
	}
	if err := w.checkSeqs(ctx, seqs); err != nil {
		return 0, err
	}
	if err := w.insertRows(ctx, `INSERT INTO epcis_event_nodes (node, role, seq, qty) VALUES `, 4, chunkNodes, nodeRows); err != nil {
		return 0, err
	}
	if err := w.insertRows(ctx, `INSERT INTO epcis_event_fields (seq, name, value) VALUES `, 3, chunkNodes, fieldRows); err != nil {
		return 0, err
	}
	var edgeRows []any
	for _, g := range edges {
		edgeRows = append(edgeRows, g.src, g.dst, g.kind, g.at, g.until, g.seq, g.qty, g.uom)
	}
	if err := w.insertRows(ctx, `INSERT INTO trace_edges (src, dst, kind, at, until, seq, qty, uom) VALUES `, 8, chunkEdges, edgeRows); err != nil {
		return 0, err
	}
	for _, d := range decls {
		if err := declare(ctx, tx, d, job, now); err != nil {
			return 0, err
		}
	}
	return len(fresh) + len(decls), nil
}

// declare records an error declaration about a stored event: the event
// stays, marked, and its edges leave the trace (corrective events bring the
// right ones).
func declare(ctx context.Context, tx *store.Tx, e *event, job *Job, now int64) error {
	body, err := json.Marshal(e.raw)
	if err != nil {
		return err
	}
	corr, _ := json.Marshal(orEmptyStrings(e.declaration.corrective))
	var seq int64
	if err := tx.QueryRow(ctx, `SELECT seq FROM epcis_events WHERE event_id = ?`, e.eventID).Scan(&seq); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO epcis_error_declarations (event_id, declaration_time, reason, corrective_ids, body, record_time, capture_id, owner_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.eventID, e.declaration.at, e.declaration.reason, string(corr), string(body), now, job.ID, job.Owner); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE epcis_events SET error_time = ?, error_reason = ? WHERE seq = ?`, e.declaration.at, e.declaration.reason, seq); err != nil {
		return err
	}
	for _, f := range e.fields {
		if f.name == "errorReason" || f.name == "correctiveEventID" {
			if _, err := tx.Exec(ctx, `INSERT INTO epcis_event_fields (seq, name, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, seq, f.name, f.value); err != nil {
				return err
			}
		}
	}
	// Edges are found through their source nodes (every edge starts at a
	// node of its event), so no index on seq is kept for this rare case.
	_, err = tx.Exec(ctx, `DELETE FROM trace_edges WHERE seq = ? AND src IN (SELECT node FROM epcis_event_nodes WHERE seq = ?)`, seq, seq)
	return err
}

func orEmptyStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type edge struct {
	src, dst int64
	kind     int
	at       int64
	until    *int64
	seq      int64
	qty      *float64
	uom      string
}

func edgesOf(e *event, seq int64, id map[string]int64) []edge {
	var out []edge
	by := map[Role][]ref{}
	for _, r := range e.refs {
		role := r.role
		switch {
		case role.IsSource():
			role = RoleSource
		case role.IsDestination():
			role = RoleDestination
		}
		by[role] = append(by[role], r)
	}
	seen := map[[3]int64]bool{}
	add := func(src, dst ref, kind int, qty *float64, uom string) {
		g := edge{src: id[src.uri], dst: id[dst.uri], kind: kind, at: e.eventTime, seq: seq, qty: qty, uom: uom}
		k := [3]int64{g.src, g.dst, int64(kind)}
		if g.src == g.dst || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, g)
	}
	var goods []ref
	switch e.typ {
	case "TransformationEvent":
		ins := append(by[RoleInput], by[RoleInputClass]...)
		outs := append(by[RoleOutput], by[RoleOutputClass]...)
		for _, o := range outs {
			for _, in := range ins {
				add(in, o, EdgeTransform, o.qty, o.uom)
			}
		}
		goods = outs
		if e.bizLocation != "" {
			for _, o := range outs {
				add(ref{uri: e.bizLocation}, o, EdgeCustodyFrom, o.qty, o.uom)
			}
		}
	case "AggregationEvent":
		parents := by[RoleParent]
		kids := append(by[RoleChild], by[RoleChildClass]...)
		if e.action == "ADD" {
			for _, p := range parents {
				for _, c := range kids {
					add(c, p, EdgeAggregate, c.qty, c.uom)
				}
			}
		}
		goods = append(parents, kids...)
	default:
		goods = append(append(append(by[RoleEPC], by[RoleClass]...), by[RoleParent]...), by[RoleChild]...)
		if e.typ == "ObjectEvent" && e.action == "ADD" && e.bizLocation != "" {
			for _, g := range goods {
				add(ref{uri: e.bizLocation}, g, EdgeCustodyFrom, g.qty, g.uom)
			}
		}
	}
	for _, d := range by[RoleDestination] {
		for _, g := range goods {
			add(g, d, EdgeCustodyTo, g.qty, g.uom)
		}
	}
	for _, s := range by[RoleSource] {
		for _, g := range goods {
			add(s, g, EdgeCustodyFrom, g.qty, g.uom)
		}
	}
	if len(by[RoleDestination]) == 0 && e.bizStep == "receiving" && e.bizLocation != "" {
		for _, g := range goods {
			add(g, ref{uri: e.bizLocation}, EdgeCustodyTo, g.qty, g.uom)
		}
	}
	return out
}

// closeAggregation marks when children left a parent: every open
// aggregation edge into the parent (from the named children, or from all when
// none are named) that began no later than the DELETE, whether stored before
// or made earlier in this document (pending).
func closeAggregation(ctx context.Context, tx *store.Tx, e *event, id map[string]int64, pending []edge) error {
	var parent int64
	var kids []int64
	for _, r := range e.refs {
		switch r.role {
		case RoleParent:
			parent = id[r.uri]
		case RoleChild, RoleChildClass:
			kids = append(kids, id[r.uri])
		}
	}
	if parent == 0 {
		return nil
	}
	for i := range pending {
		g := &pending[i]
		if g.kind == EdgeAggregate && g.dst == parent && g.until == nil && g.at <= e.eventTime &&
			(len(kids) == 0 || slices.Contains(kids, g.src)) {
			t := e.eventTime
			g.until = &t
		}
	}
	q := `UPDATE trace_edges SET until = ? WHERE dst = ? AND kind = ? AND until IS NULL AND at <= ?`
	args := []any{e.eventTime, parent, EdgeAggregate, e.eventTime}
	if len(kids) > 0 {
		q += ` AND src IN (` + placeholders(len(kids)) + `)`
		for _, k := range kids {
			args = append(args, k)
		}
	}
	_, err := tx.Exec(ctx, q, args...)
	return err
}

func nullID(id map[string]int64, uri string) any {
	if uri == "" {
		return nil
	}
	return id[uri]
}

// storedHashes returns the hash of every stored event among ids.
func storedHashes(ctx context.Context, tx *store.Tx, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for start := 0; start < len(ids); start += chunkIDs {
		part := ids[start:min(start+chunkIDs, len(ids))]
		hashes, err := store.Map[string, string](ctx, tx, `SELECT event_id, hash_id FROM epcis_events WHERE event_id IN (`+placeholders(len(part))+`)`,
			store.Args(part)...)
		if err != nil {
			return nil, err
		}
		maps.Copy(out, hashes)
	}
	return out, nil
}

// internNodes returns the node ID of every URI, adding the missing ones and
// remembering an EPC URN alias the first time one is seen.
func (w *writer) internNodes(ctx context.Context, uris map[string]string) (map[string]int64, error) {
	tx := w.tx
	ids := make(map[string]int64, len(uris))
	var unknown []string
	for u := range uris {
		if n, ok := w.nodes[u]; ok {
			ids[u] = n.id
		} else {
			unknown = append(unknown, u)
		}
	}
	lookup := func(list []string) error {
		for start := 0; start < len(list); start += chunkIDs {
			part := list[start:min(start+chunkIDs, len(list))]
			args := make([]any, len(part))
			for i, s := range part {
				args[i] = s
			}
			rows, err := tx.Query(ctx, `SELECT id, uri, urn FROM trace_nodes WHERE uri IN (`+placeholders(len(part))+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				var uri, urn string
				if err := rows.Scan(&id, &uri, &urn); err != nil {
					rows.Close()
					return err
				}
				ids[uri] = id
				w.nodes[uri] = knownNode{id: id, hasAlias: urn != ""}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := lookup(unknown); err != nil {
		return nil, err
	}
	// Rows are inserted and updated in one order (by URI), so that two
	// captures adding the same new nodes at once on PostgreSQL wait for each
	// other instead of deadlocking.
	sorted := make([]string, 0, len(uris))
	for u := range uris {
		sorted = append(sorted, u)
	}
	slices.Sort(sorted)
	var missing []any
	var names []string
	for _, u := range sorted {
		urn := uris[u]
		n, ok := w.nodes[u]
		switch {
		case !ok:
			missing = append(missing, u, urn)
			names = append(names, u)
		case urn != "" && !n.hasAlias:
			if _, err := tx.Exec(ctx, `UPDATE trace_nodes SET urn = ? WHERE id = ?`, urn, n.id); err != nil {
				return nil, err
			}
			w.nodes[u] = knownNode{id: n.id, hasAlias: true}
		}
	}
	if len(names) == 0 {
		return ids, nil
	}
	// RETURNING hands back the new IDs; a node another transaction added
	// meanwhile (PostgreSQL) is looked up after. On SQLite, OR IGNORE spares
	// the statement journal as for the events: no row here can fail (a URI
	// is never NULL, a taken one is skipped).
	insertNodes := `INSERT INTO trace_nodes (uri, urn) VALUES `
	if tx.Dialect == store.SQLite {
		insertNodes = `INSERT OR IGNORE INTO trace_nodes (uri, urn) VALUES `
	}
	for start := 0; start < len(missing); start += 2 * chunkNodes {
		part := missing[start:min(start+2*chunkNodes, len(missing))]
		rows, err := tx.Query(ctx, insertNodes+joinPlaceholders(len(part)/2, 2)+` ON CONFLICT (uri) DO NOTHING RETURNING id, uri, urn`, part...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var uri, urn string
			if err := rows.Scan(&id, &uri, &urn); err != nil {
				rows.Close()
				return nil, err
			}
			ids[uri] = id
			w.nodes[uri] = knownNode{id: id, hasAlias: urn != ""}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var raced []string
	for _, u := range names {
		if _, ok := ids[u]; !ok {
			raced = append(raced, u)
		}
	}
	return ids, lookup(raced)
}

// allocSeqs reserves n consecutive-or-not sequence numbers for table's
// identity column, so that child rows can be written in bulk beside it.
func allocSeqs(ctx context.Context, tx *store.Tx, table string, n int) ([]int64, error) {
	out := make([]int64, 0, n)
	if n == 0 {
		return out, nil
	}
	if tx.Dialect == store.Postgres {
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT nextval(pg_get_serial_sequence('%s', 'seq')) FROM generate_series(1, ?)`, table), n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, rows.Err()
	}
	// SQLite has one writer, and this runs inside its transaction.
	var last int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM `+table).Scan(&last); err != nil {
		return nil, err
	}
	for i := 1; i <= n; i++ {
		out = append(out, last+int64(i))
	}
	return out, nil
}

// checkSeqs makes sure SQLite numbered the events as allocSeqs foresaw, so
// that the rows written beside them point at them.
func (w *writer) checkSeqs(ctx context.Context, seqs []int64) error {
	if w.tx.Dialect != store.SQLite || len(seqs) == 0 {
		return nil
	}
	var last int64
	if err := w.tx.QueryRow(ctx, `SELECT MAX(seq) FROM epcis_events`).Scan(&last); err != nil {
		return err
	}
	if want := seqs[len(seqs)-1]; last != want {
		return fmt.Errorf("epcis_events numbered up to %d, expected %d", last, want)
	}
	return nil
}

// insertRows sends rows (width values each) in multi-row INSERTs of at most
// per rows.
func (w *writer) insertRows(ctx context.Context, head string, width, per int, rows []any) error {
	// A failed insert fails the whole capture, whose transaction is then
	// rolled back: SQLite need not keep a statement journal to undo a
	// failed statement alone (OR FAIL), which was a tenth of the writing.
	if w.tx.Dialect == store.SQLite {
		head = strings.Replace(head, "INSERT INTO", "INSERT OR FAIL INTO", 1)
	}
	for start := 0; start < len(rows); start += width * per {
		part := rows[start:min(start+width*per, len(rows))]
		if err := w.exec(ctx, head+joinPlaceholders(len(part)/width, width), part...); err != nil {
			return err
		}
	}
	return nil
}

func placeholders(n int) string {
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}
