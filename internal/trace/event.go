package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Role is the part an identifier plays in an event; epcis_event_nodes keeps it.
type Role int16

// Roles, as stored. A source or destination of one of the CBV's three types
// is stored under a role of its own, so that EQ_source_owning_party and the
// like are answered from the node index; one of another type is stored as
// RoleSource or RoleDestination with its type in epcis_event_fields.
const (
	RoleEPC                  Role = 1  // epcList
	RoleParent               Role = 2  // parentID
	RoleChild                Role = 3  // childEPCs
	RoleInput                Role = 4  // inputEPCList
	RoleOutput               Role = 5  // outputEPCList
	RoleClass                Role = 6  // quantityList epcClass
	RoleChildClass           Role = 7  // childQuantityList
	RoleInputClass           Role = 8  // inputQuantityList
	RoleOutputClass          Role = 9  // outputQuantityList
	RoleSource               Role = 10 // sourceList, of a type outside the CBV
	RoleDestination          Role = 11 // destinationList, of a type outside the CBV
	RoleReadPoint            Role = 12 // readPoint
	RoleBizLocation          Role = 13 // bizLocation
	RoleSourceOwner          Role = 14 // sourceList, owning_party
	RoleSourcePossessor      Role = 15 // sourceList, possessing_party
	RoleSourceLocation       Role = 16 // sourceList, location
	RoleDestinationOwner     Role = 17 // destinationList, owning_party
	RoleDestinationPossessor Role = 18 // destinationList, possessing_party
	RoleDestinationLocation  Role = 19 // destinationList, location
)

// sourceTypes are the CBV source/destination types with a role of their own:
// the source role; the destination role is three above it.
var sourceTypes = map[string]Role{"owning_party": RoleSourceOwner, "possessing_party": RoleSourcePossessor, "location": RoleSourceLocation}

// SourceRoles and DestinationRoles are every role a source or a destination
// is stored under.
var (
	SourceRoles      = []Role{RoleSource, RoleSourceOwner, RoleSourcePossessor, RoleSourceLocation}
	DestinationRoles = []Role{RoleDestination, RoleDestinationOwner, RoleDestinationPossessor, RoleDestinationLocation}
)

// listRole is the role of an entry of a source (destination false) or
// destination list of type typ, and whether the type is one outside the CBV.
func listRole(destination bool, typ string) (Role, bool) {
	r, ok := sourceTypes[BareCBV(typ)]
	switch {
	case !ok && destination:
		return RoleDestination, true
	case !ok:
		return RoleSource, true
	case destination:
		return r + 3, false
	}
	return r, false
}

// IsObject reports whether the role names goods (EPCs and classes) rather
// than a party or a place.
func (r Role) IsObject() bool { return r >= RoleEPC && r <= RoleOutputClass }

// IsSource and IsDestination report whether the role is that of a source or
// a destination, of any type.
func (r Role) IsSource() bool {
	return r == RoleSource || (r >= RoleSourceOwner && r <= RoleSourceLocation)
}
func (r Role) IsDestination() bool {
	return r == RoleDestination || (r >= RoleDestinationOwner && r <= RoleDestinationLocation)
}

// Edge kinds of trace_edges.
const (
	EdgeTransform   = 1 // input -> output
	EdgeAggregate   = 2 // child -> parent
	EdgeCustodyTo   = 3 // object -> destination party or location
	EdgeCustodyFrom = 4 // source party or location -> object
)

// EventTypes are the five standard event types.
var EventTypes = []string{"ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"}

// Decode reads one JSON value strictly (no comments, no trailing commas, no
// trailing data), tolerating a UTF-8 byte-order mark, with numbers kept
// exact.
func Decode(b []byte) (map[string]any, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("", "rule.epcis.json", jsonDetail(b, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("", "rule.epcis.json", "data after the JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("", "rule.epcis.json", "not a JSON object")
	}
	return m, nil
}

func jsonDetail(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	return err.Error()
}

// ref is one identifier an event mentions.
type ref struct {
	uri  string // canonical
	urn  string // the EPC URN it was given as, if it was one
	role Role
	qty  *float64
	uom  string
}

type field struct{ name, value string }

// event is a captured event with what the index tables need from it.
type event struct {
	pointer          string
	raw              map[string]any
	eventID, hashID  string
	typ              string
	eventTime        int64
	action           string
	bizStep          string
	disposition      string
	transformationID string
	readPoint        string
	bizLocation      string
	refs             []ref
	fields           []field
	declaration      *declaration
	body             string // the event as stored (see marshal)
}

type declaration struct {
	at         int64
	reason     string
	corrective []string
}

// parseEvent reads what the store indexes from a schema-valid event and
// canonicalises every identifier in it. Problems point into the document.
func parseEvent(raw map[string]any, at string) (*event, *ValidationError) {
	e := &event{pointer: at, raw: raw}
	bad := &ValidationError{}
	e.typ = str(raw["type"])
	if id, ok := raw["eventID"].(string); ok {
		e.eventID = id
	}
	t, err := time.Parse(time.RFC3339Nano, str(raw["eventTime"]))
	if err != nil {
		bad.Problems = append(bad.Problems, Problem{Pointer: at + "/eventTime", Rule: "rule.epcis.time", Detail: err.Error()})
	}
	e.eventTime = t.UnixMilli()
	e.action = str(raw["action"])
	e.bizStep = str(raw["bizStep"])
	e.disposition = str(raw["disposition"])
	e.transformationID = str(raw["transformationID"])

	add := func(role Role, v any, p string, qty *float64, uom string) string {
		s, _ := v.(string)
		c, err := Canonical(s)
		if err != nil {
			bad.Problems = append(bad.Problems, Problem{Pointer: p, Rule: "rule.epcis.identifier", Detail: fmt.Sprintf("%q: %v", s, err)})
			return ""
		}
		r := ref{uri: c, role: role, qty: qty, uom: uom}
		if strings.HasPrefix(s, "urn:epc:") {
			r.urn = s
		}
		e.refs = append(e.refs, r)
		return c
	}
	for _, l := range []struct {
		key  string
		role Role
	}{{"epcList", RoleEPC}, {"childEPCs", RoleChild}, {"inputEPCList", RoleInput}, {"outputEPCList", RoleOutput}} {
		for i, v := range list(raw[l.key]) {
			add(l.role, v, ptr(at, l.key, i), nil, "")
		}
	}
	for _, l := range []struct {
		key  string
		role Role
	}{{"quantityList", RoleClass}, {"childQuantityList", RoleChildClass}, {"inputQuantityList", RoleInputClass}, {"outputQuantityList", RoleOutputClass}} {
		for i, v := range list(raw[l.key]) {
			q, _ := v.(map[string]any)
			var qty *float64
			if n, ok := q["quantity"].(json.Number); ok {
				if f, err := n.Float64(); err == nil {
					qty = &f
				}
			}
			add(l.role, q["epcClass"], ptr(at, l.key, i, "epcClass"), qty, str(q["uom"]))
		}
	}
	if v, ok := raw["parentID"]; ok {
		add(RoleParent, v, ptr(at, "parentID"), nil, "")
	}
	if m, ok := raw["readPoint"].(map[string]any); ok {
		e.readPoint = add(RoleReadPoint, m["id"], ptr(at, "readPoint", "id"), nil, "")
	}
	if m, ok := raw["bizLocation"].(map[string]any); ok {
		e.bizLocation = add(RoleBizLocation, m["id"], ptr(at, "bizLocation", "id"), nil, "")
	}
	for _, l := range []struct {
		list, key   string
		destination bool
	}{{"sourceList", "source", false}, {"destinationList", "destination", true}} {
		for i, v := range list(raw[l.list]) {
			m, _ := v.(map[string]any)
			role, other := listRole(l.destination, str(m["type"]))
			if c := add(role, m[l.key], ptr(at, l.list, i, l.key), nil, ""); c != "" && other {
				e.fields = append(e.fields, field{l.key + ":" + str(m["type"]), c})
			}
		}
	}
	for _, v := range list(raw["bizTransactionList"]) {
		m, _ := v.(map[string]any)
		e.fields = append(e.fields, field{"bizTransaction:" + str(m["type"]), str(m["bizTransaction"])})
	}
	if pd, ok := raw["persistentDisposition"].(map[string]any); ok {
		for _, k := range []string{"set", "unset"} {
			for _, v := range list(pd[k]) {
				e.fields = append(e.fields, field{"persistentDisposition." + k, str(v)})
			}
		}
	}
	if ci, ok := raw["certificationInfo"]; ok {
		for _, v := range append(list(ci), ci) {
			if s, ok := v.(string); ok {
				e.fields = append(e.fields, field{"certificationInfo", s})
			}
		}
	}
	for _, v := range list(raw["sensorElementList"]) {
		se, _ := v.(map[string]any)
		if md, ok := se["sensorMetadata"].(map[string]any); ok {
			for _, k := range []string{"deviceID", "dataProcessingMethod", "bizRules"} {
				if s := str(md[k]); s != "" {
					e.fields = append(e.fields, field{"sensor." + k, s})
				}
			}
		}
		for _, r := range list(se["sensorReport"]) {
			rep, _ := r.(map[string]any)
			for _, k := range []string{"type", "deviceID", "dataProcessingMethod", "microorganism", "chemicalSubstance", "stringValue", "uriValue", "hexBinaryValue", "booleanValue"} {
				if s := scalar(rep[k]); s != "" {
					e.fields = append(e.fields, field{"sensor." + k, s})
				}
			}
		}
	}
	if ed, ok := raw["errorDeclaration"].(map[string]any); ok {
		d := &declaration{reason: str(ed["reason"])}
		if t, err := time.Parse(time.RFC3339Nano, str(ed["declarationTime"])); err == nil {
			d.at = t.UnixMilli()
		} else {
			bad.Problems = append(bad.Problems, Problem{Pointer: at + "/errorDeclaration/declarationTime", Rule: "rule.epcis.time", Detail: err.Error()})
		}
		for _, v := range list(ed["correctiveEventIDs"]) {
			d.corrective = append(d.corrective, str(v))
			e.fields = append(e.fields, field{"correctiveEventID", str(v)})
		}
		if d.reason != "" {
			e.fields = append(e.fields, field{"errorReason", d.reason})
		}
		e.declaration = d
	}
	// User extensions: top-level CURIE or URI keys, and ILMD fields, that
	// hold a single value are indexed for EQ_ queries.
	for k, v := range raw {
		if strings.Contains(k, ":") {
			if s := scalar(v); s != "" {
				e.fields = append(e.fields, field{"ext:" + k, s})
			}
		}
	}
	if ilmd, ok := raw["ilmd"].(map[string]any); ok {
		for k, v := range ilmd {
			if s := scalar(v); s != "" {
				e.fields = append(e.fields, field{"ilmd:" + k, s})
			}
		}
	}
	if len(bad.Problems) > 0 {
		return nil, bad
	}
	return e, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
