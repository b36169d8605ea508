package trace

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/schema"
)

// EPC formats a client may ask for with the GS1-EPC-Format header.
const (
	FormatDigitalLink = "Always_GS1_Digital_Link" // the default when the header is absent
	FormatURN         = "Always_EPC_URN"
	FormatNoPref      = "No_Preference"
	FormatNever       = "Never_Translates"
)

// ValidFormat reports whether f is one of the four formats.
func ValidFormat(f string) bool {
	switch f {
	case FormatDigitalLink, FormatURN, FormatNoPref, FormatNever:
		return true
	}
	return false
}

// GetEvent returns one event by its eventID; an owner other than "" sees only
// its own.
func GetEvent(ctx context.Context, db *store.DB, eventID, owner string) (*StoredEvent, error) {
	ev := &StoredEvent{EventID: eventID}
	var body string
	err := db.QueryRow(ctx, `SELECT seq, body, error_time, owner_id, record_time FROM epcis_events WHERE event_id = ?`, eventID).
		Scan(&ev.Seq, &body, &ev.ErrorTime, &ev.Owner, &ev.RecordTime)
	if errors.Is(err, errNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if owner != "" && ev.Owner != owner {
		return nil, errNotFound
	}
	ev.Body = []byte(body)
	return ev, nil
}

// Render decodes stored events for output: the latest error declaration is
// merged into each event it concerns, and identifiers are written in the
// format asked for.
func Render(ctx context.Context, db *store.DB, evs []StoredEvent, format string) ([]any, error) {
	out := make([]any, 0, len(evs))
	var declared []any
	var seqs []any
	for _, ev := range evs {
		seqs = append(seqs, ev.Seq)
		if ev.ErrorTime != nil {
			declared = append(declared, ev.EventID)
		}
	}
	decl := map[string]any{}
	if len(declared) > 0 {
		// The latest declaration about an event is the one shown.
		bodies, err := store.Map[string, string](ctx, db, `SELECT event_id, body FROM epcis_error_declarations WHERE event_id IN (`+
			placeholders(len(declared))+`) ORDER BY seq`, declared...)
		if err != nil {
			return nil, err
		}
		for id, body := range bodies {
			var m map[string]any
			if json.Unmarshal([]byte(body), &m) == nil {
				decl[id] = m["errorDeclaration"]
			}
		}
	}
	aliases := map[string]string{}
	if format == FormatURN && len(seqs) > 0 {
		for start := 0; start < len(seqs); start += chunkIDs {
			part := seqs[start:min(start+chunkIDs, len(seqs))]
			rows, err := db.Query(ctx, `SELECT t.uri, t.urn FROM trace_nodes t WHERE t.urn <> '' AND t.id IN
				(SELECT node FROM epcis_event_nodes WHERE seq IN (`+placeholders(len(part))+`))`, part...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var uri, urn string
				if err := rows.Scan(&uri, &urn); err != nil {
					rows.Close()
					return nil, err
				}
				aliases[uri] = urn
			}
			rows.Close()
		}
	}
	for _, ev := range evs {
		m, err := decodeStored(ev.Body)
		if err != nil {
			return nil, err
		}
		if d, ok := decl[ev.EventID]; ok && d != nil {
			m["errorDeclaration"] = d
		}
		translate(m, format, aliases)
		out = append(out, m)
	}
	return out, nil
}

func decodeStored(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var m map[string]any
	return m, dec.Decode(&m)
}

// translate rewrites the identifiers of an event for the EPC format asked
// for: Digital Link (canonical) or EPC URN where one is known.
func translate(m map[string]any, format string, aliases map[string]string) {
	if format == FormatNoPref || format == FormatNever {
		return
	}
	conv := func(v any) any {
		s, ok := v.(string)
		if !ok {
			return v
		}
		switch format {
		case FormatURN:
			if strings.HasPrefix(s, "urn:epc:") {
				return s
			}
			c, err := Canonical(s)
			if err != nil {
				return s
			}
			if u := aliases[c]; u != "" {
				return u
			}
			return s
		default:
			if !strings.HasPrefix(s, "urn:epc:") {
				return s
			}
			if dl, err := codes.EPCToDigitalLink(s); err == nil {
				return dl
			}
			return s
		}
	}
	for _, k := range []string{"epcList", "childEPCs", "inputEPCList", "outputEPCList"} {
		if l, ok := m[k].([]any); ok {
			for i := range l {
				l[i] = conv(l[i])
			}
		}
	}
	if v, ok := m["parentID"]; ok {
		m["parentID"] = conv(v)
	}
	for _, k := range []string{"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"} {
		for _, q := range list(m[k]) {
			if qm, ok := q.(map[string]any); ok {
				qm["epcClass"] = conv(qm["epcClass"])
			}
		}
	}
	for _, k := range []string{"readPoint", "bizLocation"} {
		if l, ok := m[k].(map[string]any); ok {
			l["id"] = conv(l["id"])
		}
	}
	for _, k := range [][2]string{{"sourceList", "source"}, {"destinationList", "destination"}} {
		for _, s := range list(m[k[0]]) {
			if sm, ok := s.(map[string]any); ok {
				sm[k[1]] = conv(sm[k[1]])
			}
		}
	}
}

// QueryDocument wraps events in an EPCISQueryDocument.
func QueryDocument(queryName string, events []any) map[string]any {
	if events == nil {
		events = []any{}
	}
	return map[string]any{
		"@context":      []any{schema.ContextURL},
		"type":          "EPCISQueryDocument",
		"schemaVersion": "2.0",
		"creationDate":  time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"epcisBody": map[string]any{
			"queryResults": map[string]any{
				"queryName":   queryName,
				"resultsBody": map[string]any{"eventList": events},
			},
		},
	}
}

// Collections the REST binding lets a client browse: the distinct values
// stored, in order, a page at a time (after is the last value of the page
// before). An owner other than "" sees only what its own events mention.
var collections = map[string]struct{ column, roles string }{
	"bizSteps":     {column: "biz_step"},
	"dispositions": {column: "disposition"},
	"epcs":         {roles: "1, 2, 3, 4, 5"},
	"readPoints":   {roles: "12"},
	"bizLocations": {roles: "13"},
}

// Collection lists a page of a collection's members; more reports whether
// another page follows.
func Collection(ctx context.Context, db *store.DB, name, owner, after string, perPage int) (members []string, more bool, err error) {
	c, ok := collections[name]
	if !ok {
		return nil, false, errNotFound
	}
	var q string
	args := []any{after}
	if c.column != "" {
		q = `SELECT DISTINCT ` + c.column + ` FROM epcis_events WHERE ` + c.column + ` <> '' AND ` + c.column + ` > ?`
		if owner != "" {
			q += ` AND owner_id = ?`
			args = append(args, owner)
		}
		q += ` ORDER BY ` + c.column + ` LIMIT ?`
	} else {
		q = `SELECT t.uri FROM trace_nodes t WHERE t.uri > ? AND EXISTS (SELECT 1 FROM epcis_event_nodes n`
		if owner != "" {
			q += ` JOIN epcis_events e ON e.seq = n.seq AND e.owner_id = ?`
			args = append(args, owner)
		}
		q += ` WHERE n.node = t.id AND n.role IN (` + c.roles + `)) ORDER BY t.uri LIMIT ?`
	}
	args = append(args, perPage+1)
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, false, err
		}
		members = append(members, s)
	}
	if len(members) > perPage {
		return members[:perPage], true, rows.Err()
	}
	return members, false, rows.Err()
}
