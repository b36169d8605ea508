package eventhash

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// node is one field of an event in the shape the pre-hash is built from (the
// XML shape: an element with a value and child elements). Lists become one
// node per member, named as the XML binding names them (epc,
// quantityElement, sensorElement …).
type node struct {
	name string // local name, or {namespace}local for an extension
	// value is the text, trimmed; "" for a parent. When base is set the
	// value is a bare vocabulary term and the written value is base+value,
	// already canonical.
	value string
	base  string
	kids  []*node
	// pair marks a bizTransaction, source or destination: its kids are the
	// type (when given) and the identifier, written in that order, never
	// sorted.
	pair bool
	// done: the canonical property order wrote the node out completely, so
	// it is not written again with the remaining fields.
	done bool
}

// builder turns one JSON-LD event into nodes. Its nodes come from a slab
// that is reused from one event to the next (see state).
type builder struct {
	ns     Namespaces
	ignore map[string]bool // expanded names of top-level fields to leave out
	slab   []node
}

func (b *builder) reset(ns Namespaces) {
	b.ns, b.ignore, b.slab = ns, nil, b.slab[:0]
}

// newNode hands out a zeroed node, keeping the capacity of its kids slice
// from an earlier use.
func (b *builder) newNode(name string) *node {
	if len(b.slab) == cap(b.slab) {
		// The full chunk stays alive through the pointers into it; the
		// next reset reuses only the new, larger one.
		b.slab = make([]node, 0, max(64, 2*cap(b.slab)))
	}
	b.slab = b.slab[:len(b.slab)+1]
	n := &b.slab[len(b.slab)-1]
	*n = node{name: name, kids: n.kids[:0]}
	return n
}

func (b *builder) leaf(parent *node, name, value string) *node {
	n := b.newNode(name)
	n.value = value
	parent.kids = append(parent.kids, n)
	return n
}

// Fields never part of the hash: the event's own identity and bookkeeping,
// and the error declaration (CBV 2.0: a corrected event keeps its hash).
var notHashed = map[string]bool{"type": true, "eventID": true, "recordTime": true, "errorDeclaration": true}

// Lists of identifiers and their member name in XML.
var epcLists = map[string]bool{"epcList": true, "inputEPCList": true, "outputEPCList": true, "childEPCs": true}

var quantityLists = map[string]bool{"quantityList": true, "childQuantityList": true, "inputQuantityList": true, "outputQuantityList": true}

// pairLists name the member of each list of typed identifiers.
var pairLists = map[string]string{"bizTransactionList": "bizTransaction", "sourceList": "source", "destinationList": "destination"}

// event builds the root node; its name is the event type. Members are taken
// in map order: every level of the pre-hash is sorted, so the order of the
// nodes does not show in it.
func (b *builder) event(ev map[string]any) (*node, error) {
	typ, _ := ev["type"].(string)
	if strings.TrimSpace(typ) == "" {
		return nil, fielderr.New("type", RuleEventType)
	}
	root := b.newNode(strings.TrimSpace(typ))
	for k, v := range ev {
		if notHashed[k] || skippedKey(k) {
			continue
		}
		name := b.key(k)
		if b.ignore[name] {
			continue
		}
		var err error
		switch {
		case epcLists[k]:
			err = b.list(root, k, "epc", v, inNone)
		case quantityLists[k]:
			err = b.list(root, k, "quantityElement", v, inNone)
		case k == "sensorElementList":
			err = b.list(root, k, "sensorElement", v, inSensorElement)
		case pairLists[k] != "":
			err = b.pairList(root, k, pairLists[k], v)
		default:
			own, in := vocabOf(inEvent, k)
			err = b.add(root, name, v, own, in)
		}
		if err != nil {
			return nil, err
		}
	}
	return root, nil
}

// where says which object a value sits in, as far as bare CBV terms are
// concerned: they are expanded only where the EPCIS context types a member
// as a vocabulary term.
type where int

const (
	inNone where = iota
	inEvent
	inPersistentDisposition
	inSensorElement
	inSensorReport
)

// vocabOf gives the vocabulary of member key of an object in w (nil when its
// values are not terms) and where the members of its own value sit.
func vocabOf(w where, key string) (*vocabulary, where) {
	switch w {
	case inEvent:
		switch key {
		case "bizStep":
			return vocabBizStep, inNone
		case "disposition":
			return vocabDisposition, inNone
		case "persistentDisposition":
			return nil, inPersistentDisposition
		}
	case inPersistentDisposition:
		if key == "set" || key == "unset" {
			return vocabDisposition, inNone
		}
	case inSensorElement:
		if key == "sensorReport" {
			return nil, inSensorReport
		}
	case inSensorReport:
		switch key {
		case "type":
			return vocabMeasurement, inNone
		case "exception":
			return vocabException, inNone
		case "component":
			return vocabComponent, inNone
		}
	}
	return nil, inNone
}

// list adds a standard list field: a node named list holding one node named
// member per element of v (a single value counts as a list of one).
func (b *builder) list(root *node, list, member string, v any, in where) error {
	ln := b.newNode(list)
	if err := b.add(ln, member, v, nil, in); err != nil {
		return err
	}
	root.kids = append(root.kids, ln)
	return nil
}

// add adds the nodes for member name with value v to parent: one per element
// when v is an array (XML repeats the element), else one. own is the
// vocabulary of a scalar v; in is where the members of an object v sit.
func (b *builder) add(parent *node, name string, v any, own *vocabulary, in where) error {
	switch v := v.(type) {
	case nil:
		// JSON null: the field is absent.
		return nil
	case []any:
		for _, e := range v {
			if err := b.add(parent, name, e, own, in); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		n := b.newNode(name)
		for k, kv := range v {
			if k == "#text" {
				if s, ok := kv.(string); ok {
					b.setValue(n, s, own)
				}
				continue
			}
			if skippedKey(k) {
				continue
			}
			kidOwn, kidIn := vocabOf(in, k)
			if err := b.add(n, b.key(k), kv, kidOwn, kidIn); err != nil {
				return err
			}
		}
		parent.kids = append(parent.kids, n)
		return nil
	}
	s, err := scalar(v)
	if err != nil {
		return fielderr.New(name, RuleValue)
	}
	b.setValue(b.leaf(parent, name, ""), s, own)
	return nil
}

// pairList adds a bizTransactionList, sourceList or destinationList: each
// member is written as its type followed by its identifier.
func (b *builder) pairList(root *node, list, member string, v any) error {
	ln := b.newNode(list)
	vocab := vocabSourceDest
	if list == "bizTransactionList" {
		vocab = vocabBizTransaction
	}
	arr, ok := v.([]any)
	if !ok {
		arr = []any{v}
	}
	for _, e := range arr {
		p := b.newNode(member)
		p.pair = true
		switch e := e.(type) {
		case nil:
			continue
		case map[string]any:
			if t := e["type"]; t != nil {
				s, err := scalar(t)
				if err != nil {
					return fielderr.New(list, RuleValue)
				}
				b.setValue(b.leaf(p, "type", ""), s, vocab)
			}
			if id := e[member]; id != nil {
				s, err := scalar(id)
				if err != nil {
					return fielderr.New(list, RuleValue)
				}
				b.setValue(b.leaf(p, member, ""), s, nil)
			}
			// Anything else in a member is not part of EPCIS; it still counts,
			// after the type and identifier.
			for k, kv := range e {
				if k == "type" || k == member || skippedKey(k) {
					continue
				}
				if err := b.add(p, b.key(k), kv, nil, inNone); err != nil {
					return err
				}
			}
		default:
			s, err := scalar(e)
			if err != nil {
				return fielderr.New(list, RuleValue)
			}
			b.setValue(b.leaf(p, member, ""), s, nil)
		}
		ln.kids = append(ln.kids, p)
	}
	root.kids = append(root.kids, ln)
	return nil
}

// key writes a member name as the pre-hash does: a CURIE key such as
// "example:myField" becomes "{https://ns.example.com/epcis/}myField"; keys
// without a known prefix stay as they are.
func (b *builder) key(k string) string {
	i := strings.IndexByte(k, ':')
	if i <= 0 {
		return k
	}
	uri, ok := b.ns.lookup(k[:i])
	if !ok {
		return k
	}
	return "{" + uri + "}" + k[i+1:]
}

// setValue stores a string value: trimmed, a bare term of its vocabulary
// expanded, a CURIE of a GS1 namespace expanded ("gs1:Temperature" ->
// "https://gs1.org/voc/Temperature"). CURIEs of user namespaces stay as
// written, as the XML binding keeps them (the algorithm's rule 15 would
// expand them too; the reference expands them in neither binding).
func (b *builder) setValue(n *node, s string, vocab *vocabulary) {
	s = strings.TrimSpace(s)
	n.value = s
	i := strings.IndexByte(s, ':')
	if i < 0 {
		if vocab != nil && vocab.terms[s] {
			n.base = vocab.base
			if vocab.prefix != "" {
				n.base, _ = b.ns.lookup(vocab.prefix)
			}
		}
		return
	}
	if i > 0 {
		if uri, ok := b.ns.lookup(s[:i]); ok && isGS1Namespace(uri) {
			n.value = uri + s[i+1:]
		}
	}
}

func isGS1Namespace(uri string) bool {
	return strings.HasPrefix(uri, "https://gs1.org/") || strings.HasPrefix(uri, "https://ref.gs1.org/")
}

// skippedKey: JSON-LD keywords and comments, which say nothing about the
// event itself.
func skippedKey(k string) bool {
	return strings.HasPrefix(k, "@") || k == "#text" || k == "comment" || k == "rdfs:comment"
}

// scalar writes a JSON scalar as text.
func scalar(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "", errBadValue
		}
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	}
	return "", errBadValue
}
