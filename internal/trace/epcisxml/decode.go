// Package epcisxml reads the XML binding of EPCIS 2.0 (and the 1.2 documents
// it grew from) into the JSON-LD form, so that captured XML goes through the
// same validation, hashing and storage as captured JSON.
//
// The result has exactly the shape encoding/json gives with UseNumber:
// map[string]any, []any, string, bool and json.Number. The mapping:
//
//   - standard fields take their JSON names and shapes (epcList as an array
//     of strings, quantity and sensor values as json.Number, readPoint as
//     {"id": …}, sensorMetadata/sensorReport attributes as properties);
//   - fields EPCIS 1.x wrapped in <extension>/<baseExtension>, and events
//     wrapped in the event list's <extension>, are read as if unwrapped;
//   - standard CBV and GS1 codes in any XML spelling (URN, Web URI, CURIE)
//     become the JSON schema's bare words; other values stay as written;
//   - a user extension element becomes a property named by a CURIE whose
//     prefix is the one the XML used, declared in @context with the XML
//     namespace exactly as written; a leaf is its text (always a string),
//     attributes and children become properties, repeated elements an array,
//     and text beside attributes or children goes to "#text";
//   - unqualified children of an extension keep their bare local names.
package epcisxml

import (
	"io"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// ContextURL is the standard EPCIS 2.0 JSON-LD context, the first entry of
// every decoded document's @context.
const ContextURL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

// Decode reads an epcis:EPCISDocument or epcisq:EPCISQueryDocument and
// returns its JSON-LD form. Refusals are a fielderr.List whose fields are
// element paths such as "EPCISBody/EventList/ObjectEvent[3]/epcList".
func Decode(r io.Reader) (map[string]any, error) {
	root, err := parse(r)
	if err != nil {
		return nil, err
	}
	c := &conv{ns: newPrefixes()}
	doc := c.document(root)
	if err := refuse(c.errs); err != nil {
		return nil, err
	}
	doc["@context"] = c.ns.context()
	return finish(doc).(map[string]any), nil
}

// conv holds what one conversion collects: refusals and user namespaces.
type conv struct {
	errs fielderr.List
	ns   *prefixes
}

func (c *conv) unknown(n *node) {
	c.errs.Add(n.path(), RuleUnknownElement, "element", n.step())
}

func (c *conv) badAttr(n *node, a attr) {
	name := a.local
	if a.prefix != "" {
		name = a.prefix + ":" + a.local
	}
	c.errs.Add(n.path(), RuleUnknownAttribute, "attribute", name)
}

// userAttrs copies n's namespaced extension attributes into obj and refuses
// unqualified ones not listed in known (they have no JSON name).
func (c *conv) userAttrs(n *node, obj map[string]any, known ...string) {
	for _, a := range n.attrs {
		switch {
		case a.space == nsXSI || a.space == xmlNamespace:
		case isUser(a.space):
			add(obj, c.ns.key(a.space, a.prefix, a.local), a.value)
		case a.space == "" && contains(known, a.local):
		default:
			c.badAttr(n, a)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *conv) document(root *node) map[string]any {
	doc := map[string]any{}
	switch {
	case root.local == "EPCISDocument" && (root.space == nsEPCIS2 || root.space == nsEPCIS1):
		doc["type"] = "EPCISDocument"
	case root.local == "EPCISQueryDocument" && (root.space == nsQuery2 || root.space == nsQuery1):
		doc["type"] = "EPCISQueryDocument"
	default:
		c.errs.Add(root.local, RuleRoot, "element", root.step())
		return doc
	}
	if v, ok := root.attr("schemaVersion"); ok {
		// A 1.x document comes out in its 2.0 form.
		if strings.HasPrefix(v, "1.") {
			v = "2.0"
		}
		doc["schemaVersion"] = v
	}
	if v, ok := root.attr("creationDate"); ok {
		doc["creationDate"] = v
	}
	c.userAttrs(root, doc, "schemaVersion", "creationDate")
	for _, k := range root.kids {
		switch {
		case isUser(k.space):
			c.putExt(doc, k)
		case !k.std():
			c.unknown(k)
		case k.local == "EPCISHeader":
			c.header(k, doc)
		case k.local == "EPCISBody":
			if doc["type"] == "EPCISQueryDocument" {
				doc["epcisBody"] = c.queryBody(k)
			} else {
				doc["epcisBody"] = c.body(k)
			}
		case k.local == "extension":
			c.extensionInto(k, doc)
		case doc["type"] == "EPCISQueryDocument" && queryResultsFields[k.local]:
			// Some tools leave out EPCISBody/QueryResults and put the query
			// results straight under the document element (one of the
			// event-hash vectors does); they mean the same.
			body, _ := doc["epcisBody"].(map[string]any)
			if body == nil {
				body = map[string]any{}
				doc["epcisBody"] = body
			}
			qr, _ := body["queryResults"].(map[string]any)
			if qr == nil {
				qr = map[string]any{}
				body["queryResults"] = qr
			}
			c.queryResultsField(k, qr)
		default:
			c.unknown(k)
		}
	}
	return doc
}

var queryResultsFields = map[string]bool{"queryName": true, "subscriptionID": true, "resultsBody": true}

// extensionInto copies the user elements of a 1.x style <extension> wrapper
// into obj; the wrapper itself has no JSON counterpart.
func (c *conv) extensionInto(n *node, obj map[string]any) {
	for _, k := range n.kids {
		if isUser(k.space) {
			c.putExt(obj, k)
		} else {
			c.unknown(k)
		}
	}
}

func (c *conv) body(n *node) map[string]any {
	body := map[string]any{"eventList": []any{}}
	for _, k := range n.kids {
		switch {
		case isUser(k.space):
			c.putExt(body, k)
		case k.std() && k.local == "EventList":
			body["eventList"] = c.eventList(k)
		case k.std() && k.local == "extension":
			c.extensionInto(k, body)
		default:
			c.unknown(k)
		}
	}
	return body
}

func (c *conv) queryBody(n *node) map[string]any {
	body := map[string]any{}
	for _, k := range n.kids {
		switch {
		case isUser(k.space):
			c.putExt(body, k)
		case k.std() && k.local == "QueryResults":
			body["queryResults"] = c.queryResults(k)
		default:
			c.unknown(k)
		}
	}
	return body
}

func (c *conv) queryResults(n *node) map[string]any {
	qr := map[string]any{}
	for _, k := range n.kids {
		switch {
		case isUser(k.space):
			c.putExt(qr, k)
		case k.std() && k.local == "extension":
			c.extensionInto(k, qr)
		default:
			c.queryResultsField(k, qr)
		}
	}
	return qr
}

func (c *conv) queryResultsField(k *node, qr map[string]any) {
	switch {
	case !k.std():
		c.unknown(k)
	case k.local == "queryName" || k.local == "subscriptionID":
		qr[k.local] = k.textValue()
	case k.local == "resultsBody":
		qr["resultsBody"] = c.resultsBody(k)
	default:
		c.unknown(k)
	}
}

func (c *conv) resultsBody(n *node) map[string]any {
	rb := map[string]any{}
	for _, k := range n.kids {
		switch {
		case isUser(k.space):
			c.putExt(rb, k)
		case k.std() && k.local == "EventList":
			rb["eventList"] = c.eventList(k)
		case k.std() && k.local == "VocabularyList":
			rb["vocabularyList"] = c.vocabularyList(k)
		default:
			c.unknown(k)
		}
	}
	return rb
}

// eventTypes are the event elements of EPCIS 2.0. QuantityEvent (deprecated
// in 1.1, gone in 2.0) has no JSON form and is refused.
var eventTypes = map[string]bool{
	"ObjectEvent": true, "AggregationEvent": true, "TransactionEvent": true,
	"TransformationEvent": true, "AssociationEvent": true,
}

func (c *conv) eventList(n *node) []any {
	list := []any{}
	for _, k := range n.kids {
		switch {
		case k.std() && eventTypes[k.local]:
			list = append(list, c.event(k))
		case k.std() && k.local == "extension":
			// EPCIS 1.2 wrapped the events added after 1.0
			// (TransformationEvent, and AssociationEvent in 2.0's
			// 1.2-compatible form) in an <extension> element.
			for _, e := range k.kids {
				if e.std() && eventTypes[e.local] {
					list = append(list, c.event(e))
				} else {
					c.unknown(e)
				}
			}
		default:
			c.unknown(k)
		}
	}
	return list
}
