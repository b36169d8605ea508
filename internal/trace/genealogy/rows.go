package genealogy

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/locales"
)

// Row is one FSMA 204-style record: what one tracking event did with one lot
// (or container) the walk reached.
type Row struct {
	Seq     int64
	EventID string
	// Lot is the traceability lot code: the URI of the lot (or container).
	Lot string
	// LotSource is where the lot code was assigned: for the output of a
	// transformation its bizLocation (else readPoint), otherwise that of the
	// event that first made the lot, else its first known source party.
	LotSource string
	// Product is the GTIN when the lot is a GS1 key built on one, else Lot.
	Product string
	// Quantity and Unit as the event gave them for this lot (HasQuantity
	// false for an instance or a container).
	Quantity    float64
	HasQuantity bool
	Unit        string
	// Location is the event's bizLocation, else its readPoint.
	Location string
	// Date is the event time in Asia/Shanghai.
	Date time.Time
	// EventType and BizStep are shown in the language asked for; the codes
	// beside them are as stored.
	EventType, EventTypeCode string
	BizStep, BizStepCode     string
	// References are the event's business transactions as "type:value".
	References []string
	Tier       int
}

// TraceRows lists the walk's tracking events as rows, one per (event, goods
// reached): every event whose edge the walk followed, once for each lot or
// container of the result that it names. A transformation therefore gives a
// row per input and per output reached. Rows come in time order.
func TraceRows(ctx context.Context, db *store.DB, r *Result, lang string) ([]Row, error) {
	goods := map[int64]*Node{}
	for i := range r.Nodes {
		if n := &r.Nodes[i]; !n.Party {
			goods[n.ID] = n
		}
	}
	evs, err := loadEvents(ctx, db, r.Events)
	if err != nil {
		return nil, err
	}
	aliases, err := urns(ctx, db, keys(goods))
	if err != nil {
		return nil, err
	}
	var rows []Row
	lots := map[int64]bool{}
	done := map[[2]int64]bool{}
	for _, seq := range r.Events {
		e := evs[seq]
		if e == nil {
			continue
		}
		for _, ref := range e.refs {
			n := goods[ref.node]
			if n == nil || !ref.role.IsObject() || done[[2]int64{seq, n.ID}] {
				continue
			}
			done[[2]int64{seq, n.ID}] = true
			row := Row{Seq: seq, EventID: e.eventID, Lot: n.URI, Product: product(n.URI), Location: e.location(),
				Date: time.UnixMilli(e.at).In(shanghai), EventTypeCode: e.typ, BizStepCode: e.bizStep,
				EventType: label(lang, "trace.event_type.", e.typ), BizStep: label(lang, "trace.biz_step.", e.bizStep),
				References: e.references, Tier: n.Tier}
			row.Quantity, row.Unit, row.HasQuantity = e.quantity(n.URI, aliases[n.ID])
			if e.typ == "TransformationEvent" && (ref.role == RoleOutput || ref.role == RoleOutputClass) {
				row.LotSource = row.Location
			} else {
				lots[n.ID] = true
			}
			rows = append(rows, row)
		}
	}
	sources, err := lotSources(ctx, db, keys(lots))
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	for id, n := range goods {
		ids[n.URI] = id
	}
	for i := range rows {
		if rows[i].LotSource == "" {
			rows[i].LotSource = sources[ids[rows[i].Lot]]
		}
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Lot, b.Lot))
	})
	return rows, nil
}

// label is the name of a stored code in lang, the code itself when the
// catalogs have none.
func label(lang, prefix, code string) string {
	if code == "" {
		return ""
	}
	key := prefix + strings.NewReplacer(":", "_", "/", "_").Replace(code)
	if !locales.Has(key) {
		return code
	}
	return locales.T(lang, key, nil)
}

// product is the GTIN of a GS1 key built on one, else the identifier.
func product(uri string) string {
	if d, err := codes.ParseDigitalLink(uri); err == nil && d.PrimaryAI == "01" {
		return d.PrimaryValue
	}
	return uri
}

type rowEvent struct {
	eventID, typ, bizStep string
	at                    int64
	bizLocation           string
	readPoint             string
	refs                  []tbRef
	quantities            []storedQuantity
	references            []string
}

func (e *rowEvent) location() string {
	if e.bizLocation != "" {
		return e.bizLocation
	}
	return e.readPoint
}

// quantity finds the lot in the event's quantity lists, under its canonical
// URI or the EPC URN it was first given as, adding up repeated entries.
func (e *rowEvent) quantity(uri, urn string) (float64, string, bool) {
	total, unit, found := 0.0, "", false
	for _, q := range e.quantities {
		if q.Quantity == nil || (q.EPCClass != uri && (urn == "" || q.EPCClass != urn)) {
			continue
		}
		total += *q.Quantity
		unit, found = q.UOM, true
	}
	return total, unit, found
}

// storedQuantity is a quantity list entry as the stored event has it.
type storedQuantity struct {
	EPCClass string   `json:"epcClass"`
	Quantity *float64 `json:"quantity"`
	UOM      string   `json:"uom"`
}

// parseBody reads the quantity lists and business transactions of a stored
// event. Business transactions come from the event rather than from
// epcis_event_fields, whose key (name, value, seq) serves lookups by value,
// not by event.
func (e *rowEvent) parseBody(body string) {
	var doc struct {
		Quantity     []storedQuantity `json:"quantityList"`
		Child        []storedQuantity `json:"childQuantityList"`
		Input        []storedQuantity `json:"inputQuantityList"`
		Output       []storedQuantity `json:"outputQuantityList"`
		Transactions []struct {
			Type  string `json:"type"`
			Value string `json:"bizTransaction"`
		} `json:"bizTransactionList"`
	}
	if json.Unmarshal([]byte(body), &doc) != nil {
		return
	}
	e.quantities = slices.Concat(doc.Quantity, doc.Child, doc.Input, doc.Output)
	for _, b := range doc.Transactions {
		if b.Type != "" {
			e.references = append(e.references, b.Type+":"+b.Value)
		} else {
			e.references = append(e.references, b.Value)
		}
	}
}

// loadEvents reads the events of seqs with their goods and references.
func loadEvents(ctx context.Context, db *store.DB, seqs []int64) (map[int64]*rowEvent, error) {
	out := map[int64]*rowEvent{}
	for start := 0; start < len(seqs); start += chunk {
		part := appendIDs(nil, seqs[start:min(start+chunk, len(seqs))])
		in := placeholders(len(part))
		rows, err := db.Query(ctx, `SELECT e.seq, e.event_id, e.event_type, e.biz_step, e.event_time, bl.uri, rp.uri, e.body
			FROM epcis_events e LEFT JOIN trace_nodes bl ON bl.id = e.biz_location LEFT JOIN trace_nodes rp ON rp.id = e.read_point
			WHERE e.seq IN (`+in+`)`, part...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var seq int64
			var e rowEvent
			var bl, rp sql.NullString
			var body string
			if err := rows.Scan(&seq, &e.eventID, &e.typ, &e.bizStep, &e.at, &bl, &rp, &body); err != nil {
				rows.Close()
				return nil, err
			}
			e.bizLocation, e.readPoint = bl.String, rp.String
			e.parseBody(body)
			out[seq] = &e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if err := scanAll(ctx, db, `SELECT seq, node, role FROM epcis_event_nodes WHERE role BETWEEN 1 AND 9 AND seq IN (`+in+`) ORDER BY seq, role, node`, part,
			func(rows *sql.Rows) error {
				var seq int64
				var r tbRef
				if err := rows.Scan(&seq, &r.node, &r.role); err != nil {
					return err
				}
				if e := out[seq]; e != nil {
					e.refs = append(e.refs, r)
				}
				return nil
			}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// urns reads the EPC URN each node was given as, where it was.
func urns(ctx context.Context, db *store.DB, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for start := 0; start < len(ids); start += chunk {
		part := appendIDs(nil, ids[start:min(start+chunk, len(ids))])
		if err := scanAll(ctx, db, `SELECT id, urn FROM trace_nodes WHERE urn <> '' AND id IN (`+placeholders(len(part))+`)`, part,
			func(rows *sql.Rows) error {
				var id int64
				var urn string
				if err := rows.Scan(&id, &urn); err != nil {
					return err
				}
				out[id] = urn
				return nil
			}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lotSources finds where each lot's code was assigned: the bizLocation (else
// readPoint) of the earliest event that made it (a transformation output or
// an ObjectEvent ADD), else the earliest party or place it came from.
func lotSources(ctx context.Context, db *store.DB, lots []int64) (map[int64]string, error) {
	made, supplied := map[int64]string{}, map[int64]string{}
	// Rows come latest first, so the last one kept per lot is the earliest.
	keep := func(m map[int64]string) func(*sql.Rows) error {
		return func(rows *sql.Rows) error {
			var id int64
			var where string
			if err := rows.Scan(&id, &where); err != nil {
				return err
			}
			if where != "" {
				m[id] = where
			}
			return nil
		}
	}
	for start := 0; start < len(lots); start += chunk {
		part := appendIDs(nil, lots[start:min(start+chunk, len(lots))])
		in := placeholders(len(part))
		if err := scanAll(ctx, db, `SELECT n.node, COALESCE(bl.uri, rp.uri, '') FROM epcis_event_nodes n
			JOIN epcis_events e ON e.seq = n.seq AND e.error_time IS NULL
			LEFT JOIN trace_nodes bl ON bl.id = e.biz_location LEFT JOIN trace_nodes rp ON rp.id = e.read_point
			WHERE n.node IN (`+in+`) AND (n.role IN (5, 9) OR (n.role IN (1, 6) AND e.action = 'ADD'))
			ORDER BY n.node, e.event_time DESC, e.seq DESC`, part, keep(made)); err != nil {
			return nil, err
		}
		if err := scanAll(ctx, db, `SELECT t.dst, n.uri FROM trace_edges t JOIN trace_nodes n ON n.id = t.src
			WHERE t.dst IN (`+in+`) AND t.kind = 4 ORDER BY t.dst, t.at DESC, t.seq DESC, n.uri DESC`, part, keep(supplied)); err != nil {
			return nil, err
		}
	}
	for id, where := range supplied {
		if _, ok := made[id]; !ok {
			made[id] = where
		}
	}
	return made, nil
}

// scanAll runs a query and hands each row to fn.
func scanAll(ctx context.Context, db *store.DB, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func keys[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Quantity is an amount with its UN/CEFACT unit.
type Quantity struct {
	Qty float64
	UOM string
}

// InputQuantities gives, for each node an upstream walk reached as the
// input of a transformation, the quantity that event gave it. The edge that
// reached it carries the output's quantity (what a forward walk shows), not
// the input's.
func InputQuantities(ctx context.Context, db *store.DB, r *Result) (map[int64]Quantity, error) {
	out := map[int64]Quantity{}
	if r.Direction != Upstream {
		return out, nil
	}
	var inputs []int64
	var seqs []int64
	for _, n := range r.Nodes {
		if n.Via != nil && n.Via.Kind == Transform && !n.Party {
			inputs = append(inputs, n.ID)
			seqs = append(seqs, n.Via.Seq)
		}
	}
	if len(inputs) == 0 {
		return out, nil
	}
	evs, err := loadEvents(ctx, db, seqs)
	if err != nil {
		return nil, err
	}
	aliases, err := urns(ctx, db, inputs)
	if err != nil {
		return nil, err
	}
	for _, id := range inputs {
		n, _ := r.Node(id)
		if e := evs[n.Via.Seq]; e != nil {
			if q, u, ok := e.quantity(n.URI, aliases[id]); ok {
				out[id] = Quantity{Qty: q, UOM: u}
			}
		}
	}
	return out, nil
}
