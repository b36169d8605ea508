package eventhash

import (
	"bytes"
	"slices"
	"strings"
)

// field is one step of the canonical property order: a member name and,
// for a parent, the order of its own members.
type field struct {
	name string
	sub  []field
}

func leaf(name string) field { return field{name: name} }

var (
	epcs       = []field{leaf("epc")}
	quantities = []field{{"quantityElement", []field{leaf("epcClass"), leaf("quantity"), leaf("uom")}}}

	sensorMetadata = []field{
		leaf("time"), leaf("startTime"), leaf("endTime"), leaf("deviceID"), leaf("deviceMetadata"),
		leaf("rawData"), leaf("dataProcessingMethod"), leaf("bizRules"),
	}
	sensorReport = []field{
		leaf("type"), leaf("exception"), leaf("deviceID"), leaf("deviceMetadata"), leaf("rawData"),
		leaf("dataProcessingMethod"), leaf("time"), leaf("microorganism"), leaf("chemicalSubstance"),
		leaf("value"), leaf("component"), leaf("stringValue"), leaf("booleanValue"),
		leaf("hexBinaryValue"), leaf("uriValue"), leaf("minValue"), leaf("maxValue"),
		leaf("meanValue"), leaf("sDev"), leaf("percRank"), leaf("percValue"), leaf("uom"),
		leaf("coordinateReferenceSystem"),
	}
)

// eventOrder is the canonical property order of the algorithm (steps 2 to
// 23; step 1, eventType, is written first by PreHash). Two departures from
// the table, both as the reference implementation and its test vectors have
// them:
//   - certificationInfo (EPCIS 2.0) follows eventTimeZoneOffset;
//   - bizTransactionList, sourceList and destinationList are not taken here
//     but with the remaining fields (ilmd, user extensions), which are sorted
//     as whole strings, so they come out as bizTransactionList,
//     destinationList, ilmd, sourceList, then the extensions.
var eventOrder = []field{
	leaf("eventTime"),
	leaf("eventTimeZoneOffset"),
	leaf("certificationInfo"),
	{"epcList", epcs},
	leaf("parentID"),
	{"inputEPCList", epcs},
	{"childEPCs", epcs},
	{"quantityList", quantities},
	{"childQuantityList", quantities},
	{"inputQuantityList", quantities},
	{"outputEPCList", epcs},
	{"outputQuantityList", quantities},
	leaf("action"),
	leaf("transformationID"),
	leaf("bizStep"),
	leaf("disposition"),
	{"persistentDisposition", []field{leaf("set"), leaf("unset")}},
	{"readPoint", []field{leaf("id")}},
	{"bizLocation", []field{leaf("id")}},
	{"sensorElementList", []field{{"sensorElement", []field{
		{"sensorMetadata", sensorMetadata},
		{"sensorReport", sensorReport},
	}}}},
}

// writer builds a pre-hash in one buffer. Where several strings must be
// sorted (the members of a list, the remaining fields), each is written in
// turn and its span remembered; the spans are then put in order in place.
type writer struct {
	buf     []byte
	spans   []span // a stack: each level uses the spans above its base
	scratch []byte
}

type span struct{ start, end int }

// ordered writes the members of parent named in order, each name's members
// sorted, and marks what it wrote in full. Below the event level (nested is
// true) the user extensions of parent, members named {namespace}local, come
// right after its standard members (rule 21).
func (w *writer) ordered(parent *node, order []field, nested bool) {
	for _, f := range order {
		base := len(w.spans)
		for _, k := range parent.kids {
			if k.done || k.name != f.name {
				continue
			}
			start := len(w.buf)
			w.orderedNode(k, f)
			if len(w.buf) > start {
				w.spans = append(w.spans, span{start, len(w.buf)})
			}
			if allDone(k.kids) {
				k.done = true
			}
		}
		w.sortSpans(base)
	}
	if nested {
		w.generic(parent.kids, true)
		for _, k := range parent.kids {
			if isExtension(k) {
				k.done = true
			}
		}
	}
}

// orderedNode writes one member taken by the canonical order: name, then
// "=value" when it has a value, then its own members in their order; or
// nothing when none of that is there. Timestamps are normalised here
// (members whose name has "time" in it, as the reference decides).
func (w *writer) orderedNode(n *node, f field) {
	start := len(w.buf)
	w.buf = append(w.buf, n.name...)
	mark := len(w.buf)
	if n.value != "" && n.base == "" && isTimeName(n.name) {
		w.buf = append(w.buf, '=')
		w.buf = appendTime(w.buf, n.value)
	} else {
		w.value(n)
	}
	if f.sub != nil {
		w.ordered(n, f.sub, true)
	}
	if len(w.buf) == mark {
		w.buf = w.buf[:start]
	}
}

// value writes "=value" in canonical form, or nothing for a parent.
func (w *writer) value(n *node) {
	switch {
	case n.base != "":
		w.buf = append(w.buf, '=')
		w.buf = append(w.buf, n.base...)
		w.buf = append(w.buf, n.value...)
	case n.value != "":
		w.buf = append(w.buf, '=')
		w.buf = append(w.buf, canonical(n.value)...)
	}
}

// isTimeName tells the timestamp members (eventTime, time, startTime,
// endTime …) from eventTimeZoneOffset: "time" in the name, in any case, and
// no "offset".
func isTimeName(name string) bool {
	return containsFold(name, "time") && !containsFold(name, "offset")
}

// containsFold is strings.Contains ignoring ASCII case; lower is lower case.
func containsFold(s, lower string) bool {
	for i := 0; i+len(lower) <= len(s); i++ {
		j := 0
		for j < len(lower) && s[i+j]|0x20 == lower[j] {
			j++
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}

func isExtension(n *node) bool { return !n.done && strings.HasPrefix(n.name, "{") }

// generic writes members outside the canonical order (all of them, or only
// the extensions): name, "=value", then its members, each level sorted as
// whole strings (rules 19, 20).
func (w *writer) generic(nodes []*node, onlyExtensions bool) {
	base := len(w.spans)
	for _, n := range nodes {
		if n.done || onlyExtensions && !isExtension(n) {
			continue
		}
		start := len(w.buf)
		if n.pair {
			// bizTransaction, source, destination: type first, then the
			// identifier (rule 13).
			for _, k := range n.kids {
				w.writeGeneric(k)
			}
		} else {
			w.writeGeneric(n)
		}
		w.spans = append(w.spans, span{start, len(w.buf)})
	}
	w.sortSpans(base)
}

func (w *writer) writeGeneric(n *node) {
	w.buf = append(w.buf, n.name...)
	w.value(n)
	w.generic(n.kids, false)
}

// sortSpans puts the strings written since spans[base] in byte order (the
// case-sensitive lexical order of rule 10) and drops their spans.
func (w *writer) sortSpans(base int) {
	s := w.spans[base:]
	defer func() { w.spans = w.spans[:base] }()
	if len(s) < 2 {
		return
	}
	part := func(b []byte, sp span, off int) []byte { return b[sp.start-off : sp.end-off] }
	sorted := true
	for i := 1; i < len(s) && sorted; i++ {
		sorted = bytes.Compare(part(w.buf, s[i-1], 0), part(w.buf, s[i], 0)) <= 0
	}
	if sorted {
		return
	}
	lo, hi := s[0].start, s[len(s)-1].end
	w.scratch = append(w.scratch[:0], w.buf[lo:hi]...)
	slices.SortStableFunc(s, func(a, b span) int {
		return bytes.Compare(part(w.scratch, a, lo), part(w.scratch, b, lo))
	})
	at := lo
	for _, sp := range s {
		at += copy(w.buf[at:], part(w.scratch, sp, lo))
	}
}

func allDone(nodes []*node) bool {
	for _, n := range nodes {
		if !n.done {
			return false
		}
	}
	return true
}
