package eventhash

import (
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// Namespaces maps the prefixes of a document's @context to their namespace
// URIs, e.g. "example" -> "https://ns.example.com/epcis/".
type Namespaces map[string]string

// standardPrefixes are the prefixes the EPCIS 2.0.0 context defines; a
// document may redefine them.
var standardPrefixes = Namespaces{
	"epcis":   "https://ref.gs1.org/epcis/",
	"cbv":     "https://ref.gs1.org/cbv/",
	"cbvmda":  "urn:epcglobal:cbv:mda:",
	"gs1":     "https://gs1.org/voc/",
	"rdfs":    "http://www.w3.org/2000/01/rdf-schema#",
	"owl":     "http://www.w3.org/2002/07/owl#",
	"xsd":     "http://www.w3.org/2001/XMLSchema#",
	"dcterms": "http://purl.org/dc/terms/",
}

// lookup returns the namespace of prefix: the document's own, else the
// standard context's.
func (ns Namespaces) lookup(prefix string) (string, bool) {
	if uri, ok := ns[prefix]; ok {
		return uri, true
	}
	uri, ok := standardPrefixes[prefix]
	return uri, ok
}

// NamespacesOf reads the prefix definitions of doc's @context: the string
// members of its objects. Context URLs (the standard context) are skipped;
// their prefixes are known here already.
func NamespacesOf(doc map[string]any) Namespaces {
	ns := Namespaces{}
	var add func(c any)
	add = func(c any) {
		switch c := c.(type) {
		case []any:
			for _, e := range c {
				add(e)
			}
		case map[string]any:
			for k, v := range c {
				if s, ok := v.(string); ok && !strings.HasPrefix(k, "@") {
					ns[k] = s
				}
			}
		}
	}
	add(doc["@context"])
	return ns
}

// Events returns the events of an EPCIS document or query document in
// document order: epcisBody.eventList, epcisBody.queryResults.resultsBody.eventList,
// or the single epcisBody.event.
func Events(doc map[string]any) []map[string]any {
	events, _ := eventsAt(doc)
	return events
}

// eventsAt returns the events and the path of their list, e.g.
// "epcisBody.eventList".
func eventsAt(doc map[string]any) ([]map[string]any, string) {
	body, _ := doc["epcisBody"].(map[string]any)
	if body == nil {
		return nil, ""
	}
	path := "epcisBody.eventList"
	list, ok := body["eventList"].([]any)
	if !ok {
		if qr, _ := body["queryResults"].(map[string]any); qr != nil {
			if rb, _ := qr["resultsBody"].(map[string]any); rb != nil {
				list, ok = rb["eventList"].([]any)
				path = "epcisBody.queryResults.resultsBody.eventList"
			}
		}
	}
	if !ok {
		if ev, isMap := body["event"].(map[string]any); isMap {
			return []map[string]any{ev}, "epcisBody.event"
		}
		return nil, ""
	}
	events := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if ev, isMap := e.(map[string]any); isMap {
			events = append(events, ev)
		}
	}
	return events, path
}

// IgnoredFields returns the event fields a document asks to leave out of the
// hash, as written (e.g. "example:captureID"). A repository that adds its own
// fields to events it stores (a capture id, its own copy of the hash) lists
// them in an ignoreFields element of any namespace, at document level or in
// queryResults, so that the stored event keeps the hash of the event
// captured. The list is either an array of names or, from XML, an object
// whose member names are the fields.
func IgnoredFields(doc map[string]any) []string {
	var names []string
	collect := func(obj map[string]any) {
		for k, v := range obj {
			if localName(k) != "ignoreFields" {
				continue
			}
			switch v := v.(type) {
			case string:
				names = append(names, v)
			case []any:
				for _, e := range v {
					if s, ok := e.(string); ok {
						names = append(names, s)
					}
				}
			case map[string]any:
				for name := range v {
					names = append(names, name)
				}
			}
		}
	}
	collect(doc)
	if body, _ := doc["epcisBody"].(map[string]any); body != nil {
		if qr, _ := body["queryResults"].(map[string]any); qr != nil {
			collect(qr)
		}
	}
	return names
}

// localName is a key without its prefix: "x:ignoreFields" -> "ignoreFields".
func localName(key string) string {
	if i := strings.IndexByte(key, ':'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// DocumentIDs returns the Event Hash ID of every event of doc, in document
// order, honouring the document's namespaces and ignoreFields.
func DocumentIDs(doc map[string]any) ([]string, error) {
	ns := NamespacesOf(doc)
	ignore := IgnoredFields(doc)
	events, path := eventsAt(doc)
	ids := make([]string, len(events))
	for i, ev := range events {
		id, err := IDIgnoring(ev, ns, ignore)
		if err != nil {
			at := path + "."
			if path != "epcisBody.event" {
				at = path + "[" + strconv.Itoa(i) + "]."
			}
			return nil, within(err, at)
		}
		ids[i] = id
	}
	return ids, nil
}

// within prefixes the fields of a refusal with where the event sits.
func within(err error, prefix string) error {
	l, ok := fielderr.As(err)
	if !ok {
		return err
	}
	out := make(fielderr.List, len(l))
	for i, e := range l {
		e.Field = prefix + e.Field
		out[i] = e
	}
	return out
}
