package recall

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/genealogy"
)

// scope is a recall's scope as computed at opening.
type scope struct {
	lots    []Lot
	holders []*Holder
}

// kindNames name the edge kinds in a path.
var kindNames = map[genealogy.Kind]string{
	genealogy.Transform:   "transformed",
	genealogy.Aggregate:   "packed",
	genealogy.CustodyTo:   "shipped",
	genealogy.CustodyFrom: "received",
}

// canonicalLot checks the identifier an officer gave and returns its
// canonical form, or a field error on "epc".
func canonicalLot(epc string) (string, error) {
	epc = strings.TrimSpace(epc)
	if epc == "" {
		return "", fielderr.New("epc", "rule.required")
	}
	if codes.IsEPCPattern(epc) {
		return "", fielderr.New("epc", "rule.recall.pattern")
	}
	id, err := codes.CanonicalID(epc)
	if err != nil {
		return "", fielderr.New("epc", "rule.epcis.identifier")
	}
	// Capture keeps a malformed EPC URN as it is written; an officer's
	// typo is better refused here than reported as a lot without events.
	if strings.HasPrefix(strings.ToLower(epc), "urn:epc:") {
		if _, err := codes.EPCToDigitalLink(epc); err != nil && !errors.Is(err, codes.ErrEPCNoEquivalent) {
			return "", fielderr.New("epc", "rule.epcis.identifier")
		}
	}
	return id, nil
}

// computeScope traces lot forward and gathers its holders. A lot that no
// event names as goods is refused on "epc".
func computeScope(ctx context.Context, db *store.DB, lot string) (*scope, error) {
	ids, err := genealogy.NodeIDs(ctx, db, []string{lot})
	if err != nil {
		return nil, err
	}
	start, ok := ids[lot]
	if !ok {
		return nil, fielderr.New("epc", "rule.recall.no_events")
	}
	res, err := genealogy.Forward(ctx, db, []int64{start}, genealogy.Options{})
	if err != nil {
		return nil, err
	}
	if n, ok := res.Node(start); !ok || n.Party {
		return nil, fielderr.New("epc", "rule.recall.not_goods")
	}
	uri := map[int64]string{}
	for _, n := range res.Nodes {
		uri[n.ID] = n.URI
	}
	var goods []genealogy.Node
	for _, n := range res.Nodes {
		if !n.Party {
			goods = append(goods, n)
		}
	}
	events, err := eventIDs(ctx, db, res)
	if err != nil {
		return nil, err
	}
	sc := &scope{}
	for _, n := range goods {
		l := Lot{URI: n.URI, Tier: n.Tier, Path: []Step{}}
		if n.Via != nil && n.Via.HasQty {
			l.Quantity, l.HasQty, l.UOM = n.Via.Qty, true, n.Via.UOM
		}
		for _, e := range res.Path(n.ID) {
			l.Path = append(l.Path, Step{From: uri[e.Src], To: uri[e.Dst], Kind: kindNames[e.Kind], At: e.At, EventID: events[e.Seq]})
		}
		sc.lots = append(sc.lots, l)
	}
	holders, err := gatherHolders(ctx, db, res, goods, uri)
	if err != nil {
		return nil, err
	}
	sc.holders = holders
	return sc, nil
}

// eventIDs maps the seq of every event on a path to its eventID.
func eventIDs(ctx context.Context, db *store.DB, res *genealogy.Result) (map[int64]string, error) {
	out := map[int64]string{}
	for start := 0; start < len(res.Events); start += 500 {
		part := res.Events[start:min(start+500, len(res.Events))]
		rows, err := db.Query(ctx, `SELECT seq, event_id FROM epcis_events WHERE seq IN (`+marks(len(part))+`)`, store.Args(part)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var seq int64
			var id string
			if err := rows.Scan(&seq, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[seq] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// gatherHolders finds who holds or held the goods: the parties and places
// custody went to (from the walk), grouped by the enterprise each maps to,
// and the enterprises that captured events on the goods after the walk
// reached them (the producer of the recalled lot, a processor that holds
// stock). Holders mapped to an enterprise come first, by name.
func gatherHolders(ctx context.Context, db *store.DB, res *genealogy.Result, goods []genealogy.Node, uri map[int64]string) ([]*Holder, error) {
	qty, err := custodyQuantities(ctx, db, goods)
	if err != nil {
		return nil, err
	}
	var partyIDs []int64
	seen := map[int64]bool{}
	for _, n := range goods {
		for _, p := range n.Parties {
			if !seen[p] {
				seen[p] = true
				partyIDs = append(partyIDs, p)
			}
		}
	}
	owners, err := partyEnterprises(ctx, db, partyIDs, uri)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*Holder{}
	holder := func(enterprise, party string) *Holder {
		key := "e:" + enterprise
		if enterprise == "" {
			key = "p:" + party
		}
		h, ok := byKey[key]
		if !ok {
			h = &Holder{EnterpriseID: enterprise, Parties: []string{}, Status: HolderPending, Holdings: []Holding{}}
			byKey[key] = h
		}
		if party != "" && !slices.Contains(h.Parties, party) {
			h.Parties = append(h.Parties, party)
		}
		return h
	}
	for _, n := range goods {
		for _, p := range n.Parties {
			h := holder(owners[p], uri[p])
			h.Custody = true
			hd := Holding{Lot: n.URI, Party: uri[p]}
			if q, ok := qty[[2]int64{n.ID, p}]; ok {
				hd.Quantity, hd.HasQty, hd.UOM = q.qty, true, q.uom
			}
			h.Holdings = append(h.Holdings, hd)
		}
	}
	handled, err := handlers(ctx, db, goods)
	if err != nil {
		return nil, err
	}
	for _, hd := range handled {
		h := holder(hd.enterprise, "")
		h.Handled = true
		if !slices.ContainsFunc(h.Holdings, func(x Holding) bool { return x.Lot == hd.lot }) {
			h.Holdings = append(h.Holdings, Holding{Lot: hd.lot})
		}
	}
	var ents []string
	for _, h := range byKey {
		if h.EnterpriseID != "" {
			ents = append(ents, h.EnterpriseID)
		}
	}
	names, err := enterpriseNames(ctx, db, ents)
	if err != nil {
		return nil, err
	}
	out := make([]*Holder, 0, len(byKey))
	for _, h := range byKey {
		h.Name = names[h.EnterpriseID]
		slices.Sort(h.Parties)
		slices.SortFunc(h.Holdings, func(a, b Holding) int { return cmp.Or(cmp.Compare(a.Lot, b.Lot), cmp.Compare(a.Party, b.Party)) })
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b *Holder) int {
		ua, ub := a.EnterpriseID == "", b.EnterpriseID == ""
		if ua != ub {
			return boolOrder(ua, ub)
		}
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.EnterpriseID, b.EnterpriseID), slices.Compare(a.Parties, b.Parties))
	})
	return out, nil
}

func boolOrder(a, b bool) int {
	if a == b {
		return 0
	}
	if a {
		return 1
	}
	return -1
}

type amount struct {
	qty float64
	uom string
}

// custodyQuantities is how much of each goods node went to each party: the
// quantities on its custody edges since the walk reached it. A shipment
// usually shows twice, on the sender's shipping event and the receiver's
// receiving event, so the quantities are summed per business step and the
// larger sum is taken.
func custodyQuantities(ctx context.Context, db *store.DB, goods []genealogy.Node) (map[[2]int64]amount, error) {
	since := map[int64]int64{}
	var ids []int64
	for _, n := range goods {
		if len(n.Parties) > 0 {
			since[n.ID] = n.At
			ids = append(ids, n.ID)
		}
	}
	type key struct {
		src, dst int64
		step     string
	}
	sums := map[key]amount{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		rows, err := db.Query(ctx, `SELECT t.src, t.dst, t.at, t.qty, t.uom, e.biz_step FROM trace_edges t
			JOIN epcis_events e ON e.seq = t.seq
			WHERE t.kind = ? AND t.qty IS NOT NULL AND e.error_time IS NULL AND t.src IN (`+marks(len(part))+`)`,
			append([]any{int(genealogy.CustodyTo)}, store.Args(part)...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k key
			var at int64
			var a amount
			if err := rows.Scan(&k.src, &k.dst, &at, &a.qty, &a.uom, &k.step); err != nil {
				rows.Close()
				return nil, err
			}
			if at < since[k.src] {
				continue
			}
			s := sums[k]
			s.qty += a.qty
			if s.uom == "" {
				s.uom = a.uom
			}
			sums[k] = s
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := map[[2]int64]amount{}
	for k, a := range sums {
		pk := [2]int64{k.src, k.dst}
		if cur, ok := out[pk]; !ok || a.qty > cur.qty {
			out[pk] = a
		}
	}
	return out, nil
}

// usccOf returns the USCC in a Hallmark party or location URI.
func usccOf(uri string) (string, bool) {
	u, ok := trace.USCCOf(uri)
	if !ok {
		return "", false
	}
	return codes.NormalizeUSCC(u), true
}

// partyEnterprises maps party and place nodes to registered enterprises.
// A Hallmark party or location URI carries the USCC; a GLN (party or place)
// is the enterprise's registered GLN. Any other identifier (a GLN nobody
// registered, a private URN) is mapped to the enterprise that captured the
// events taking place there: events whose business location or read point
// it is, and receiving events that name it as destination. An identifier
// several enterprises capture at, or none, stays unmapped.
func partyEnterprises(ctx context.Context, db *store.DB, parties []int64, uri map[int64]string) (map[int64]string, error) {
	out := map[int64]string{}
	byUSCC := map[string][]int64{}
	var others []int64
	byGLN := map[string][]int64{}
	for _, p := range parties {
		if u, ok := usccOf(uri[p]); ok {
			byUSCC[u] = append(byUSCC[u], p)
			continue
		}
		if g, ok := trace.GLNOf(uri[p]); ok {
			byGLN[g] = append(byGLN[g], p)
		}
		others = append(others, p)
	}
	if len(byGLN) > 0 {
		glns := slices.Collect(maps.Keys(byGLN))
		for start := 0; start < len(glns); start += 250 {
			part := glns[start:min(start+250, len(glns))]
			found, err := store.Map[string, string](ctx, db, `SELECT gln, id FROM enterprises WHERE gln IN (`+marks(len(part))+`)`, store.Args(part)...)
			if err != nil {
				return nil, err
			}
			for gln, id := range found {
				for _, p := range byGLN[gln] {
					out[p] = id
				}
			}
		}
		others = slices.DeleteFunc(others, func(p int64) bool { _, ok := out[p]; return ok })
	}
	for uscc, ps := range byUSCC {
		found, err := store.Column[string](ctx, db, `SELECT id FROM enterprises WHERE uscc = ? ORDER BY id`, uscc)
		if err != nil {
			return nil, err
		}
		if len(found) == 1 { // one code registered in two regions is left for the officer
			for _, p := range ps {
				out[p] = found[0]
			}
		}
	}
	candidates := map[int64]map[string]bool{}
	for start := 0; start < len(others); start += 250 {
		part := others[start:min(start+250, len(others))]
		args := append(store.Args(part), store.Args(part)...)
		rows, err := db.Query(ctx, `SELECT e.biz_location, e.owner_id FROM epcis_events e
			WHERE e.biz_location IN (`+marks(len(part))+`) AND e.owner_id <> '' AND e.error_time IS NULL
			UNION SELECT e.read_point, e.owner_id FROM epcis_events e
			WHERE e.read_point IN (`+marks(len(part))+`) AND e.owner_id <> '' AND e.error_time IS NULL`, args...)
		if err != nil {
			return nil, err
		}
		if err := collect(rows, candidates); err != nil {
			return nil, err
		}
		rows, err = db.Query(ctx, `SELECT n.node, e.owner_id FROM epcis_event_nodes n JOIN epcis_events e ON e.seq = n.seq
			WHERE n.node IN (`+marks(len(part))+`) AND n.role IN (`+marks(len(trace.DestinationRoles))+`) AND e.biz_step = 'receiving'
			AND e.owner_id <> '' AND e.error_time IS NULL`, append(store.Args(part), store.Args(trace.DestinationRoles)...)...)
		if err != nil {
			return nil, err
		}
		if err := collect(rows, candidates); err != nil {
			return nil, err
		}
	}
	var owners []string
	for _, c := range candidates {
		for o := range c {
			owners = append(owners, o)
		}
	}
	known, err := enterpriseNames(ctx, db, owners)
	if err != nil {
		return nil, err
	}
	for p, c := range candidates {
		if len(c) != 1 {
			continue
		}
		for o := range c {
			if _, ok := known[o]; ok {
				out[p] = o
			}
		}
	}
	return out, nil
}

func collect(rows interface {
	Next() bool
	Scan(...any) error
	Close() error
	Err() error
}, into map[int64]map[string]bool) error {
	defer rows.Close()
	for rows.Next() {
		var node int64
		var owner string
		if err := rows.Scan(&node, &owner); err != nil {
			return err
		}
		if into[node] == nil {
			into[node] = map[string]bool{}
		}
		into[node][owner] = true
	}
	return rows.Err()
}

type handled struct{ lot, enterprise string }

// handlers are the registered enterprises that captured events naming a
// goods node as goods, no earlier than the walk reached it.
func handlers(ctx context.Context, db *store.DB, goods []genealogy.Node) ([]handled, error) {
	since := map[int64]genealogy.Node{}
	var ids []int64
	for _, n := range goods {
		since[n.ID] = n
		ids = append(ids, n.ID)
	}
	seen := map[handled]bool{}
	var out []handled
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		rows, err := db.Query(ctx, `SELECT DISTINCT n.node, e.event_time, e.owner_id FROM epcis_event_nodes n
			JOIN epcis_events e ON e.seq = n.seq JOIN enterprises x ON x.id = e.owner_id
			WHERE n.node IN (`+marks(len(part))+`) AND n.role BETWEEN 1 AND 9 AND e.error_time IS NULL`, store.Args(part)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var node, at int64
			var owner string
			if err := rows.Scan(&node, &at, &owner); err != nil {
				rows.Close()
				return nil, err
			}
			n := since[node]
			if n.Via != nil && at < n.At {
				continue // before the goods were in the recalled chain (a reused container)
			}
			h := handled{lot: n.URI, enterprise: owner}
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// enterpriseNames returns the name of each registered enterprise among ids.
func enterpriseNames(ctx context.Context, q store.Queryer, ids []string) (map[string]string, error) {
	out := map[string]string{}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		names, err := store.Map[string, string](ctx, q, `SELECT id, name FROM enterprises WHERE id IN (`+marks(len(part))+`)`, store.Args(part)...)
		if err != nil {
			return nil, err
		}
		maps.Copy(out, names)
	}
	return out, nil
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
