package epcisxml

import "strconv"

// Namespaces of the standard's own vocabulary: elements in them are EPCIS
// structure, never user extensions.
const (
	nsEPCIS2      = "urn:epcglobal:epcis:xsd:2"
	nsEPCIS1      = "urn:epcglobal:epcis:xsd:1"
	nsQuery2      = "urn:epcglobal:epcis-query:xsd:2"
	nsQuery1      = "urn:epcglobal:epcis-query:xsd:1"
	nsMasterData2 = "urn:epcglobal:epcis-masterdata:xsd:2"
	nsMasterData1 = "urn:epcglobal:epcis-masterdata:xsd:1"
	nsEPCglobal   = "urn:epcglobal:xsd:1"
	nsSBDH        = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
	nsXSI         = "http://www.w3.org/2001/XMLSchema-instance"
)

var standardNamespaces = map[string]bool{
	nsEPCIS2: true, nsEPCIS1: true, nsQuery2: true, nsQuery1: true,
	nsMasterData2: true, nsMasterData1: true, nsEPCglobal: true, nsSBDH: true,
	nsXSI: true, xmlNamespace: true,
}

// epcisNamespaces are those of the EPCIS document types. Their children are
// unqualified by the XSD (elementFormDefault="unqualified"), but a document
// that puts them in the EPCIS namespace through a default xmlns means the
// same and is read alike.
var epcisNamespaces = map[string]bool{
	nsEPCIS2: true, nsEPCIS1: true, nsQuery2: true, nsQuery1: true,
	nsMasterData2: true, nsMasterData1: true,
}

// std reports whether n is an element of the EPCIS structure (as opposed to
// a user extension or an SBDH element).
func (n *node) std() bool {
	return n.space == "" || epcisNamespaces[n.space]
}

// isUser reports whether an element or attribute in namespace space is a
// user (vendor) extension.
func isUser(space string) bool {
	return space != "" && !standardNamespaces[space]
}

// textKey is the property that holds an extension element's text when the
// element also has attributes or children (the xmltodict convention, which
// event-hash tools read back).
const textKey = "#text"

// prefixes records the user namespaces the document uses, so that each CURIE
// key written into the JSON has its prefix declared in @context.
type prefixes struct {
	order    []string          // prefixes in order of first use
	byPrefix map[string]string // prefix -> namespace
	byNS     map[string]string // namespace -> prefix
}

func newPrefixes() *prefixes {
	return &prefixes{byPrefix: map[string]string{}, byNS: map[string]string{}}
}

// key is the JSON property name for a name in namespace space: the local
// name when unqualified, else a CURIE whose prefix is the one the XML used,
// unless that prefix is needed for another namespace or was empty (a default
// namespace), in which case a fresh one is made up.
func (p *prefixes) key(space, prefix, local string) string {
	if space == "" {
		return local
	}
	return p.prefixFor(space, prefix) + ":" + local
}

func (p *prefixes) prefixFor(space, want string) string {
	if have, ok := p.byNS[space]; ok {
		return have
	}
	if want == "" {
		want = "ns"
	}
	cand := want
	for i := 2; ; i++ {
		if _, taken := p.byPrefix[cand]; !taken {
			break
		}
		cand = want + strconv.Itoa(i)
	}
	p.byNS[space] = cand
	p.byPrefix[cand] = space
	p.order = append(p.order, cand)
	return cand
}

// context is the JSON-LD @context: the EPCIS context, then one object per
// user namespace.
func (p *prefixes) context() []any {
	ctx := []any{ContextURL}
	for _, pre := range p.order {
		ctx = append(ctx, map[string]any{pre: p.byPrefix[pre]})
	}
	return ctx
}

// putExt adds the user extension element n to obj. Repeated elements of the
// same name become an array, in document order, as in GS1's JSON examples.
func (c *conv) putExt(obj map[string]any, n *node) {
	add(obj, c.ns.key(n.space, n.prefix, n.local), c.extValue(n))
}

// add sets obj[k] = v, turning the value into an array when k repeats.
func add(obj map[string]any, k string, v any) {
	old, ok := obj[k]
	if !ok {
		obj[k] = v
		return
	}
	if arr, ok := old.(repeated); ok {
		obj[k] = append(arr, v)
		return
	}
	obj[k] = repeated{old, v}
}

// repeated marks arrays built from repeated elements, so that a third
// occurrence is appended rather than nested. finish turns them into []any.
type repeated []any

// extValue converts a user extension element. A leaf becomes its text (GS1
// writes even xsi:type="xsd:integer" leaves as JSON strings); an element with
// children or attributes becomes an object whose attributes and children are
// properties named like elements.
func (c *conv) extValue(n *node) any {
	obj := map[string]any{}
	for _, a := range n.attrs {
		if a.space == nsXSI || a.space == xmlNamespace {
			continue // xsi:type and friends describe the XML, not the data
		}
		add(obj, c.ns.key(a.space, a.prefix, a.local), a.value)
	}
	for _, k := range n.kids {
		add(obj, c.ns.key(k.space, k.prefix, k.local), c.extValue(k))
	}
	text := n.textValue()
	if len(obj) == 0 {
		return text
	}
	if text != "" {
		obj[textKey] = text
	}
	return obj
}

// finish replaces the repeated markers by plain []any throughout v, so the
// result has exactly the types encoding/json produces.
func finish(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = finish(x)
		}
		return t
	case repeated:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = finish(x)
		}
		return out
	case []any:
		for i, x := range t {
			t[i] = finish(x)
		}
		return t
	case []map[string]any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = finish(x)
		}
		return out
	}
	return v
}
