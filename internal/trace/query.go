package trace

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// QueryError refuses a query the standard's way: the parameter at fault and
// the exception type the REST binding names.
type QueryError struct {
	Type  string // QueryParameterException, QueryTooLargeException, …
	Param string
	Rule  string // message key
	Value string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("epcis: %s: %s %q (%s)", e.Type, e.Param, e.Value, e.Rule)
}

func badParam(name, rule, value string) *QueryError {
	return &QueryError{Type: "QueryParameterException", Param: name, Rule: rule, Value: value}
}

// Query is a parsed EPCIS simple event query.
type Query struct {
	where       []string
	args        []any
	orderBy     string // event_time or record_time
	asc         bool
	perPage     int
	countLimit  int // eventCountLimit
	maxCount    int // maxEventCount
	after       *cursor
	fingerprint string
	nodeMatch   []nodeMatch
}

type nodeMatch struct {
	param string
	roles []Role
	uris  []string
	// descendants: the nodes below uris in the master data's hierarchy
	// match too (WD_ parameters).
	descendants bool
}

type cursor struct {
	order int64
	seq   int64
	seen  int64 // events returned by earlier pages, for eventCountLimit
}

// DefaultPerPage is the REST binding's default page size; MaxPerPage bounds it.
const (
	DefaultPerPage = 30
	MaxPerPage     = 1000
)

var matchRoles = map[string][]Role{
	"MATCH_epc":            {RoleEPC, RoleChild},
	"MATCH_parentID":       {RoleParent},
	"MATCH_inputEPC":       {RoleInput},
	"MATCH_outputEPC":      {RoleOutput},
	"MATCH_anyEPC":         {RoleEPC, RoleParent, RoleChild, RoleInput, RoleOutput},
	"MATCH_epcClass":       {RoleClass, RoleChildClass},
	"MATCH_inputEPCClass":  {RoleInputClass},
	"MATCH_outputEPCClass": {RoleOutputClass},
	"MATCH_anyEPCClass":    {RoleClass, RoleChildClass, RoleInputClass, RoleOutputClass},
}

var sensorParams = map[string]string{
	"EQ_type": "sensor.type", "EQ_deviceID": "sensor.deviceID", "EQ_dataProcessingMethod": "sensor.dataProcessingMethod",
	"EQ_microorganism": "sensor.microorganism", "EQ_chemicalSubstance": "sensor.chemicalSubstance", "EQ_bizRules": "sensor.bizRules",
	"EQ_stringValue": "sensor.stringValue", "EQ_hexBinaryValue": "sensor.hexBinaryValue", "EQ_uriValue": "sensor.uriValue",
	"EQ_booleanValue": "sensor.booleanValue",
}

// values splits a pipe-delimited parameter (the REST binding's style for
// lists), also accepting repeated parameters.
func values(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.Split(v, "|") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// ParseQuery reads the REST binding's query parameters. Unknown parameters
// and malformed values are refused with a QueryError naming them.
func ParseQuery(params url.Values) (*Query, error) {
	q := &Query{orderBy: "event_time", perPage: DefaultPerPage}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var token string
	for _, k := range keys {
		vs := values(params[k])
		raw := strings.Join(params[k], "|")
		if len(vs) == 0 && k != "nextPageToken" {
			return nil, badParam(k, "rule.epcis.query.empty", raw)
		}
		switch {
		case k == "eventType":
			for _, v := range vs {
				if !slices.Contains(EventTypes, v) && !strings.Contains(v, ":") {
					return nil, badParam(k, "rule.epcis.query.event_type", v)
				}
			}
			q.in("e.event_type", vs)
		case k == "GE_eventTime", k == "LT_eventTime", k == "GE_recordTime", k == "LT_recordTime",
			k == "GE_errorDeclarationTime", k == "LT_errorDeclarationTime", k == "GE_errorDeclaration_Time", k == "LT_errorDeclaration_Time":
			t, err := time.Parse(time.RFC3339Nano, vs[0])
			if err != nil || len(vs) > 1 {
				return nil, badParam(k, "rule.epcis.query.time", raw)
			}
			col := map[string]string{"eventTime": "e.event_time", "recordTime": "e.record_time"}[k[3:]]
			if col == "" {
				col = "e.error_time"
			}
			op := ">="
			if strings.HasPrefix(k, "LT_") {
				op = "<"
			}
			q.where = append(q.where, col+" "+op+" ?")
			q.args = append(q.args, t.UnixMilli())
		case k == "EQ_action":
			for _, v := range vs {
				if v != "ADD" && v != "OBSERVE" && v != "DELETE" {
					return nil, badParam(k, "rule.epcis.query.action", v)
				}
			}
			q.in("e.action", vs)
		case k == "EQ_bizStep", k == "EQ_disposition":
			col := map[string]string{"EQ_bizStep": "e.biz_step", "EQ_disposition": "e.disposition"}[k]
			norm := make([]string, len(vs))
			for i, v := range vs {
				norm[i] = BareCBV(v)
			}
			q.in(col, norm)
		case k == "EQ_readPoint", k == "WD_readPoint", k == "EQ_bizLocation", k == "WD_bizLocation":
			// "With descendants" follows the children master data gives
			// locations.
			role := RoleReadPoint
			if strings.HasSuffix(k, "bizLocation") {
				role = RoleBizLocation
			}
			uris, err := canonicalAll(k, vs)
			if err != nil {
				return nil, err
			}
			q.nodeMatch = append(q.nodeMatch, nodeMatch{param: k, roles: []Role{role}, uris: uris, descendants: strings.HasPrefix(k, "WD_")})
		case matchRoles[k] != nil:
			uris := make([]string, 0, len(vs))
			for _, v := range vs {
				if codes.IsEPCPattern(v) {
					uris = append(uris, v)
					continue
				}
				c, err := Canonical(v)
				if err != nil {
					return nil, badParam(k, "rule.epcis.identifier", v)
				}
				uris = append(uris, c)
			}
			q.nodeMatch = append(q.nodeMatch, nodeMatch{param: k, roles: matchRoles[k], uris: uris})
		case strings.HasPrefix(k, "EQ_bizTransaction_"):
			q.field("bizTransaction:"+strings.TrimPrefix(k, "EQ_bizTransaction_"), vs)
		case strings.HasPrefix(k, "EQ_source_"), strings.HasPrefix(k, "EQ_destination_"):
			kind, typ, _ := strings.Cut(strings.TrimPrefix(k, "EQ_"), "_")
			uris, err := canonicalAll(k, vs)
			if err != nil {
				return nil, err
			}
			if role, other := listRole(kind == "destination", typ); !other {
				q.nodeMatch = append(q.nodeMatch, nodeMatch{param: k, roles: []Role{role}, uris: uris})
			} else {
				q.field(kind+":"+typ, uris)
			}
		case k == "EQ_errorReason":
			norm := make([]string, len(vs))
			for i, v := range vs {
				norm[i] = BareCBV(v)
			}
			q.field("errorReason", norm)
		case k == "EQ_correctiveEventID":
			q.field("correctiveEventID", vs)
		case k == "EQ_quantity", k == "GT_quantity", k == "GE_quantity", k == "LT_quantity", k == "LE_quantity":
			n, err := strconv.ParseFloat(vs[0], 64)
			if err != nil || len(vs) > 1 {
				return nil, badParam(k, "rule.epcis.query.number", raw)
			}
			op := map[string]string{"EQ": "=", "GT": ">", "GE": ">=", "LT": "<", "LE": "<="}[k[:2]]
			// Any quantity element of the event's quantity lists.
			q.where = append(q.where, "EXISTS (SELECT 1 FROM epcis_event_nodes qn WHERE qn.seq = e.seq AND qn.role IN (6, 7, 8, 9) AND qn.qty "+op+" ?)")
			q.args = append(q.args, n)
		case k == "EXISTS_errorDeclaration":
			q.where = append(q.where, "e.error_time IS NOT NULL")
		case k == "EQ_eventID":
			q.in("e.event_id", vs)
		case k == "EQ_transformationID":
			q.in("e.transformation_id", vs)
		case k == "EQ_persistentDisposition_set", k == "EQ_persistentDisposition_unset":
			norm := make([]string, len(vs))
			for i, v := range vs {
				norm[i] = BareCBV(v)
			}
			q.field("persistentDisposition."+strings.TrimPrefix(k, "EQ_persistentDisposition_"), norm)
		case sensorParams[k] != "":
			q.field(sensorParams[k], vs)
		case strings.HasPrefix(k, "EQ_ILMD_") && strings.Contains(k, ":"):
			q.field("ilmd:"+strings.TrimPrefix(k, "EQ_ILMD_"), vs)
		case strings.HasPrefix(k, "EQ_") && strings.Contains(k, ":") && !strings.Contains(k[3:], "_"):
			q.field("ext:"+strings.TrimPrefix(k, "EQ_"), vs)
		case k == "orderBy":
			switch vs[0] {
			case "eventTime":
				q.orderBy = "event_time"
			case "recordTime":
				q.orderBy = "record_time"
			default:
				return nil, badParam(k, "rule.epcis.query.order_by", raw)
			}
		case k == "orderDirection":
			switch vs[0] {
			case "ASC":
				q.asc = true
			case "DESC":
			default:
				return nil, badParam(k, "rule.epcis.query.order_direction", raw)
			}
		case k == "perPage", k == "eventCountLimit", k == "maxEventCount":
			n, err := strconv.Atoi(vs[0])
			if err != nil || n < 1 || len(vs) > 1 {
				return nil, badParam(k, "rule.epcis.query.positive", raw)
			}
			switch k {
			case "perPage":
				q.perPage = min(n, MaxPerPage)
			case "eventCountLimit":
				q.countLimit = n
			case "maxEventCount":
				q.maxCount = n
			}
		case k == "nextPageToken":
			token = raw
		default:
			return nil, badParam(k, "rule.epcis.query.unknown", raw)
		}
	}
	if q.countLimit > 0 && q.maxCount > 0 {
		return nil, badParam("eventCountLimit", "rule.epcis.query.count_exclusive", strconv.Itoa(q.countLimit))
	}
	if q.countLimit > 0 && params.Get("orderBy") == "" {
		return nil, badParam("eventCountLimit", "rule.epcis.query.count_needs_order", strconv.Itoa(q.countLimit))
	}
	q.fingerprint = fingerprint(params)
	if token != "" {
		c, err := q.decodeToken(token)
		if err != nil {
			return nil, badParam("nextPageToken", "rule.epcis.query.token", token)
		}
		q.after = c
	}
	return q, nil
}

func canonicalAll(param string, vs []string) ([]string, error) {
	out := make([]string, len(vs))
	for i, v := range vs {
		c, err := Canonical(v)
		if err != nil {
			return nil, badParam(param, "rule.epcis.identifier", v)
		}
		out[i] = c
	}
	return out, nil
}

func (q *Query) in(col string, vs []string) {
	q.where = append(q.where, col+" IN ("+placeholders(len(vs))+")")
	for _, v := range vs {
		q.args = append(q.args, v)
	}
}

func (q *Query) field(name string, vs []string) {
	q.where = append(q.where, "e.seq IN (SELECT seq FROM epcis_event_fields WHERE name = ? AND value IN ("+placeholders(len(vs))+"))")
	q.args = append(q.args, name)
	for _, v := range vs {
		q.args = append(q.args, v)
	}
}

// fingerprint ties a page token to the query it continues.
func fingerprint(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "nextPageToken" && k != "perPage" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, strings.Join(params[k], "|"))
	}
	return string(h.Sum(nil)[:8])
}

func (q *Query) encodeToken(c cursor) string {
	b := make([]byte, 0, 32)
	b = append(b, q.fingerprint...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.order))
	b = binary.BigEndian.AppendUint64(b, uint64(c.seq))
	b = binary.BigEndian.AppendUint64(b, uint64(c.seen))
	return base64.RawURLEncoding.EncodeToString(b)
}

func (q *Query) decodeToken(s string) (*cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 32 || string(b[:8]) != q.fingerprint {
		return nil, fmt.Errorf("bad token")
	}
	return &cursor{order: int64(binary.BigEndian.Uint64(b[8:16])), seq: int64(binary.BigEndian.Uint64(b[16:24])),
		seen: int64(binary.BigEndian.Uint64(b[24:32]))}, nil
}

// Page is one page of query results.
type Page struct {
	Events    []StoredEvent
	NextToken string
}

// StoredEvent is an event as stored, with what output needs.
type StoredEvent struct {
	Seq        int64
	EventID    string
	Body       []byte
	ErrorTime  *int64
	Owner      string
	RecordTime int64
}

// Run executes the query; owner other than "" restricts it to that owner's
// events (an enterprise sees only what it captured).
func (q *Query) Run(ctx context.Context, db *store.DB, owner string) (*Page, error) {
	where := slices.Clone(q.where)
	args := slices.Clone(q.args)
	for _, m := range q.nodeMatch {
		ids, err := resolveNodes(ctx, db, m.uris)
		if err != nil {
			return nil, err
		}
		if m.descendants {
			if ids, err = descendants(ctx, db, ids); err != nil {
				return nil, err
			}
		}
		if len(ids) == 0 {
			return &Page{}, nil
		}
		roles := make([]any, len(m.roles))
		for i, r := range m.roles {
			roles[i] = int(r)
		}
		where = append(where, "e.seq IN (SELECT seq FROM epcis_event_nodes WHERE node IN ("+placeholders(len(ids))+") AND role IN ("+placeholders(len(roles))+"))")
		args = append(append(args, ids...), roles...)
	}
	if owner != "" {
		where = append(where, "e.owner_id = ?")
		args = append(args, owner)
	}
	col := "e." + q.orderBy
	dir, cmp := "DESC", "<"
	if q.asc {
		dir, cmp = "ASC", ">"
	}
	if q.after != nil {
		where = append(where, fmt.Sprintf("(%s %s ? OR (%s = ? AND e.seq %s ?))", col, cmp, col, cmp))
		args = append(args, q.after.order, q.after.order, q.after.seq)
	}
	limit := q.perPage
	var seen int64
	if q.after != nil {
		seen = q.after.seen
	}
	if q.countLimit > 0 {
		limit = min(limit, q.countLimit-int(seen))
		if limit <= 0 {
			return &Page{}, nil
		}
	}
	sqlq := "SELECT e.seq, e.event_id, e.body, e.error_time, e.owner_id, e.record_time, " + col + " FROM epcis_events e"
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	if q.maxCount > 0 && q.after == nil {
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM ("+sqlq+") c", args...).Scan(&n); err != nil {
			return nil, err
		}
		if n > q.maxCount {
			return nil, &QueryError{Type: "QueryTooLargeException", Param: "maxEventCount", Rule: "rule.epcis.query.too_large", Value: strconv.Itoa(n)}
		}
	}
	sqlq += fmt.Sprintf(" ORDER BY %s %s, e.seq %s LIMIT ?", col, dir, dir)
	args = append(args, limit+1)
	rows, err := db.Query(ctx, sqlq, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p := &Page{}
	var last cursor
	for rows.Next() {
		var ev StoredEvent
		var body string
		var order int64
		if err := rows.Scan(&ev.Seq, &ev.EventID, &body, &ev.ErrorTime, &ev.Owner, &ev.RecordTime, &order); err != nil {
			return nil, err
		}
		if len(p.Events) == limit {
			// One more than a page: there is a next page, unless the
			// count limit ends the results here.
			if q.countLimit == 0 || int64(q.countLimit) > seen+int64(limit) {
				last.seen = seen + int64(limit)
				p.NextToken = q.encodeToken(last)
			}
			break
		}
		ev.Body = []byte(body)
		p.Events = append(p.Events, ev)
		last = cursor{order: order, seq: ev.Seq}
	}
	return p, rows.Err()
}

// resolveNodes turns canonical identifiers and patterns into node IDs. A
// pattern (urn:epc:idpat:…:*) or a GTIN-level Digital Link matches every
// identifier under it.
func resolveNodes(ctx context.Context, db *store.DB, uris []string) ([]any, error) {
	var exact []any
	var out []any
	for _, u := range uris {
		prefix := ""
		if codes.IsEPCPattern(u) {
			prefix = patternPrefix(u)
			if prefix == "" {
				continue
			}
		} else if isGTINClass(u) {
			prefix = u + "/"
			exact = append(exact, u)
		} else {
			exact = append(exact, u)
			continue
		}
		ids, err := store.Column[int64](ctx, db, `SELECT id FROM trace_nodes WHERE uri >= ? AND uri < ?`, prefix, prefix+"\U0010FFFF")
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out = append(out, id)
		}
	}
	if len(exact) > 0 {
		ids, err := store.Column[int64](ctx, db, `SELECT id FROM trace_nodes WHERE uri IN (`+placeholders(len(exact))+`)`, exact...)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out = append(out, id)
		}
	}
	return out, nil
}

// isGTINClass reports whether u is a canonical Digital Link naming a GTIN
// only (the class of all its items and lots).
func isGTINClass(u string) bool {
	rest, ok := strings.CutPrefix(u, "https://id.gs1.org/01/")
	return ok && len(rest) == 14 && !strings.Contains(rest, "/")
}

// patternPrefix turns urn:epc:idpat:sgtin:CP.IR.* into the canonical prefix
// of the identifiers it matches; other patterns (and partial ones such as
// CP.*.*) match by their GTIN-less forms and are not supported.
func patternPrefix(p string) string {
	body, ok := strings.CutPrefix(p, "urn:epc:idpat:sgtin:")
	if !ok {
		body, ok = strings.CutPrefix(p, "urn:epc:idpat:lgtin:")
	}
	if !ok {
		return ""
	}
	parts := strings.Split(body, ".")
	if len(parts) != 3 || parts[2] != "*" || strings.Contains(parts[1], "*") {
		return ""
	}
	dl, err := codes.EPCToDigitalLink("urn:epc:id:sgtin:" + parts[0] + "." + parts[1] + ".0")
	if err != nil {
		return ""
	}
	i := strings.LastIndex(dl, "/21/")
	if i < 0 {
		return ""
	}
	return dl[:i] + "/"
}
