package web

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/sheet"
	"net/http"
	"strconv"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/trace/genealogy"
)

// Forward and backward trace of a lot or item, for officials.
func (s *Server) registerTraceRoutes() {
	g := auth.PermTraceGraph
	s.handle("GET /api/v1/trace/forward", g, s.apiTrace(genealogy.Downstream))
	s.handle("GET /api/v1/trace/backward", g, s.apiTrace(genealogy.Upstream))
	s.handle("GET /trace", g, s.tracePage)
	s.handle("GET /trace/export", g, s.traceExport)
}

// traceRequest is a validated trace query.
type traceRequest struct {
	EPC       string // as given
	URI       string // canonical
	Direction genealogy.Direction
	Options   genealogy.Options
}

// parseTrace reads epc, depth, from and to; every refusal names its field.
func parseTrace(q map[string][]string, dir genealogy.Direction) (*traceRequest, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var bad fielderr.List
	tr := &traceRequest{EPC: get("epc"), Direction: dir}
	if tr.EPC == "" {
		bad.Add("epc", "rule.required")
	} else if uri, err := codes.CanonicalID(tr.EPC); err != nil {
		bad.Add("epc", "rule.epcis.identifier")
	} else {
		tr.URI = uri
	}
	if d := get("depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 64 {
			bad.Add("depth", "rule.trace.depth", "max", 64)
		}
		tr.Options.Depth = n
	}
	for _, k := range []string{"from", "to"} {
		v := get(k)
		if v == "" {
			continue
		}
		t, err := parseWhen(v, k == "to")
		if err != nil {
			bad.Add(k, "rule.date")
			continue
		}
		if k == "from" {
			tr.Options.From = t
		} else {
			tr.Options.To = t
		}
	}
	if !tr.Options.From.IsZero() && !tr.Options.To.IsZero() && tr.Options.To.Before(tr.Options.From) {
		bad.Add("to", "rule.trace.window")
	}
	return tr, bad.Err()
}

// parseWhen reads a date (YYYY-MM-DD, in China's time; "to" means the end
// of that day) or an RFC 3339 time.
func parseWhen(v string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, shanghai)
	if err != nil {
		return t, err
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// runTrace walks the genealogy; a start identifier that no event mentions
// is not found.
func (s *Server) runTrace(r *http.Request, tr *traceRequest) (*genealogy.Result, error) {
	ids, err := genealogy.NodeIDs(r.Context(), s.db, []string{tr.URI})
	if err != nil {
		return nil, err
	}
	id, ok := ids[tr.URI]
	if !ok {
		return nil, fielderr.ErrNotFound
	}
	if tr.Direction == genealogy.Downstream {
		return genealogy.Forward(r.Context(), s.db, []int64{id}, tr.Options)
	}
	return genealogy.Backward(r.Context(), s.db, []int64{id}, tr.Options)
}

type traceNodeJSON struct {
	URI      string   `json:"uri"`
	Name     string   `json:"name,omitempty"` // a party's registered name, goods' product and lot
	Kind     string   `json:"kind"`           // object or party
	Tier     int      `json:"tier"`
	At       string   `json:"reached_at,omitempty"`
	Quantity *float64 `json:"quantity,omitempty"`
	UOM      string   `json:"uom,omitempty"`
	Via      string   `json:"via,omitempty"` // edge kind that reached it
	Path     []string `json:"path"`          // from the start to this node
	Parties  []string `json:"parties,omitempty"`
}

var edgeKindNames = map[genealogy.Kind]string{
	genealogy.Transform: "transformation", genealogy.Aggregate: "aggregation",
	genealogy.CustodyTo: "custody_to", genealogy.CustodyFrom: "custody_from",
}

// traceJSON is the API form of a trace: every node with its tier, the path
// that justifies it, the quantity the event that reached it gave it (for an
// input reached backward through a transformation, its own: inputs), and,
// for goods, the parties that hold, held or supplied them.
func traceJSON(tr *traceRequest, res *genealogy.Result, inputs map[int64]genealogy.Quantity) map[string]any {
	uri := map[int64]string{}
	for _, n := range res.Nodes {
		uri[n.ID] = n.URI
	}
	nodes := make([]traceNodeJSON, 0, len(res.Nodes))
	var parties []string
	for _, n := range res.Nodes {
		j := traceNodeJSON{URI: n.URI, Kind: "object", Tier: n.Tier, Path: []string{}}
		if n.Party {
			j.Kind = "party"
			parties = append(parties, n.URI)
		}
		if n.Via != nil {
			j.At = time.UnixMilli(n.At).UTC().Format(time.RFC3339)
			j.Via = edgeKindNames[n.Via.Kind]
			if in, ok := inputs[n.ID]; ok {
				j.Quantity, j.UOM = &in.Qty, in.UOM
			} else if n.Via.HasQty {
				q := n.Via.Qty
				j.Quantity, j.UOM = &q, n.Via.UOM
			}
		}
		for _, e := range res.Path(n.ID) {
			from := e.Src
			if res.Direction == genealogy.Upstream {
				from = e.Dst
			}
			j.Path = append(j.Path, uri[from])
		}
		j.Path = append(j.Path, n.URI)
		for _, p := range n.Parties {
			j.Parties = append(j.Parties, uri[p])
		}
		nodes = append(nodes, j)
	}
	dir := "forward"
	if res.Direction == genealogy.Upstream {
		dir = "backward"
	}
	if parties == nil {
		parties = []string{}
	}
	return map[string]any{"direction": dir, "epc": tr.EPC, "uri": tr.URI, "nodes": nodes, "parties": parties, "events": len(res.Events)}
}

func (s *Server) apiTrace(dir genealogy.Direction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tr, err := parseTrace(r.URL.Query(), dir)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		res, err := s.runTrace(r, tr)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		inputs, err := genealogy.InputQuantities(r.Context(), s.db, res)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		j := traceJSON(tr, res, inputs)
		if _, err := s.nameNodes(r, j, false); err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, j)
	}
}

// tracePage shows the trace form and, when an EPC is given, the trace as a
// graph (tier by tier, left to right) and as a table.
func (s *Server) tracePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dir := genealogy.Downstream
	if q.Get("direction") == "backward" {
		dir = genealogy.Upstream
	}
	f := newForm()
	for _, k := range []string{"epc", "direction", "depth", "from", "to"} {
		f.Values[k] = strings.TrimSpace(q.Get(k))
	}
	data := map[string]any{"Form": f, "Backward": dir == genealogy.Upstream}
	v := s.newView(r, "trace.title", data)
	v.Form = f
	status := http.StatusOK
	if q.Get("epc") != "" {
		tr, err := parseTrace(q, dir)
		var res *genealogy.Result
		if err == nil {
			res, err = s.runTrace(r, tr)
		}
		var inputs map[int64]genealogy.Quantity
		if err == nil {
			inputs, err = genealogy.InputQuantities(r.Context(), s.db, res)
		}
		switch {
		case err == nil:
			j := traceJSON(tr, res, inputs)
			names, err := s.nameNodes(r, j, true)
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			data["Trace"], data["Names"] = j, names
			data["Graph"] = traceGraph(res, v, names)
			data["Export"] = "/trace/export?" + q.Encode()
			v.Charts = true
		case errors.Is(err, fielderr.ErrNotFound):
			f.Errors["epc"] = v.T("rule.trace.unknown")
			status = http.StatusNotFound
		case f.setErrors(v.Lang, err):
			status = http.StatusUnprocessableEntity
		default:
			s.pageError(w, r, err)
			return
		}
	}
	s.render(w, r, status, "trace", v)
}

// traceGraph draws the reached nodes tier by tier, goods as circles and
// parties as squares, each edge labelled with how it was reached.
func traceGraph(res *genealogy.Result, v *view, names map[string]string) string {
	perTier := map[int]int{}
	type gnode struct {
		Name     string         `json:"name"`
		X        int            `json:"x"`
		Y        int            `json:"y"`
		Category int            `json:"category"`
		Symbol   string         `json:"symbol"`
		Value    string         `json:"value"`
		Label    map[string]any `json:"label"`
	}
	var nodes []gnode
	var links []map[string]any
	name := map[int64]string{}
	for _, n := range res.Nodes {
		name[n.ID] = strconv.FormatInt(n.ID, 10)
		x := n.Tier * 220
		if res.Direction == genealogy.Upstream {
			x = -x
		}
		label := shortID(n.URI)
		if nm := names[n.URI]; nm != "" {
			label = nm
		}
		g := gnode{Name: name[n.ID], X: x, Y: perTier[n.Tier] * 70, Value: n.URI, Symbol: "circle",
			Label: map[string]any{"show": true, "formatter": label, "position": "bottom"}}
		perTier[n.Tier]++
		if n.Party {
			g.Category, g.Symbol = 1, "rect"
		}
		if n.Tier == 0 {
			g.Category = 2
		}
		nodes = append(nodes, g)
	}
	for _, n := range res.Nodes {
		if n.Via == nil {
			continue
		}
		from, to := n.Via.Src, n.Via.Dst
		links = append(links, map[string]any{"source": name[from], "target": name[to],
			"label": map[string]any{"show": true, "formatter": v.T("trace.edge." + edgeKindNames[n.Via.Kind]), "fontSize": 10}})
	}
	opt := map[string]any{
		"tooltip": map[string]any{"formatter": "{c}"},
		"legend":  map[string]any{"data": []string{v.T("trace.kind.object"), v.T("trace.kind.party"), v.T("trace.kind.start")}},
		"series": []map[string]any{{
			"type": "graph", "layout": "none", "roam": true, "symbolSize": 18, "edgeSymbol": []string{"none", "arrow"},
			"categories": []map[string]any{{"name": v.T("trace.kind.object")}, {"name": v.T("trace.kind.party")}, {"name": v.T("trace.kind.start")}},
			"data":       nodes, "links": links,
		}},
	}
	b, _ := json.Marshal(opt)
	return string(b)
}

// shortID keeps the distinctive end of an identifier for a graph label.
func shortID(uri string) string {
	if len(uri) <= 28 {
		return uri
	}
	return "…" + uri[len(uri)-27:]
}

// traceExport writes the trace as a sortable spreadsheet: one row per
// tracking event and lot, with its key data elements (FSMA 204 style).
func (s *Server) traceExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dir := genealogy.Downstream
	if q.Get("direction") == "backward" {
		dir = genealogy.Upstream
	}
	tr, err := parseTrace(q, dir)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	res, err := s.runTrace(r, tr)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	v := s.newView(r, "trace.title", nil)
	rows, err := genealogy.TraceRows(r.Context(), s.db, res, v.Lang)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	cols := []sheet.Column{
		{ZH: "层级", EN: "Tier", Width: 6},
		{ZH: "追溯批次代码", EN: "Traceability lot code", Width: 48, Text: true},
		{ZH: "批次代码来源", EN: "Lot code source", Width: 40, Text: true},
		{ZH: "产品", EN: "Product", Width: 24, Text: true},
		{ZH: "数量", EN: "Quantity", Width: 10},
		{ZH: "单位", EN: "Unit", Width: 8},
		{ZH: "地点", EN: "Location", Width: 40, Text: true},
		{ZH: "日期", EN: "Date", Width: 20},
		{ZH: "事件", EN: "Event", Width: 18},
		{ZH: "业务步骤", EN: "Business step", Width: 14},
		{ZH: "参考单据", EN: "Reference documents", Width: 40, Text: true},
		{ZH: "事件编号", EN: "Event ID", Width: 40, Text: true},
	}
	next := sheet.Slice(rows, func(x genealogy.Row) []any {
		var qty any
		if x.HasQuantity {
			qty = x.Quantity
		}
		return []any{x.Tier, x.Lot, x.LotSource, x.Product, qty, x.Unit, x.Location, x.Date.Format("2006-01-02 15:04"), x.EventType, x.BizStep,
			strings.Join(x.References, "; "), x.EventID}
	})
	s.sendXLSX(w, r, "trace", func(w http.ResponseWriter) error {
		return sheet.Export(w, v.T("trace.title"), cols, v.Lang, next)
	})
}

// nameNodes gives each node of a trace a name an official reads: a party
// the name it is registered under (or known by), goods their product and
// lot. It returns every name it found by URI, with holders the holders' and
// suppliers' too (the page lists them; the API gives their URIs).
func (s *Server) nameNodes(r *http.Request, trace map[string]any, holders bool) (map[string]string, error) {
	names := newRegistryNames(s.db)
	nodes, _ := trace["nodes"].([]traceNodeJSON)
	named := map[string]string{}
	for i := range nodes {
		var name string
		var err error
		if nodes[i].Kind == "party" {
			name, err = names.partyName(r.Context(), nodes[i].URI)
		} else {
			name, err = names.goodsLabel(r.Context(), nodes[i].URI)
		}
		if err != nil {
			return nil, err
		}
		if name != nodes[i].URI {
			nodes[i].Name = name
			named[nodes[i].URI] = name
		}
		for _, p := range nodes[i].Parties {
			if _, ok := named[p]; ok || !holders {
				continue
			}
			name, err := names.partyName(r.Context(), p)
			if err != nil {
				return nil, err
			}
			if name != p {
				named[p] = name
			}
		}
	}
	return named, nil
}
