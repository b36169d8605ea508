package epcisxml

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// node is one element of the document, read fully into memory before it is
// converted: the converter needs to look at siblings (to group repeated
// extension elements into arrays) and the in-scope namespace bindings (to
// resolve CURIE-like values such as "cbv:BizStep-receiving").
type node struct {
	space  string // namespace URI; "" for unqualified elements
	prefix string // prefix as written, used to build CURIE keys
	local  string
	attrs  []attr
	kids   []*node
	text   strings.Builder
	scope  map[string]string // prefix -> namespace in scope here ("" = default)
	parent *node
}

type attr struct {
	space, prefix, local, value string
}

// maxDepth bounds nesting: EPCIS needs about ten levels, user extensions a
// few more; a document nested thousands deep is an attack on the converter,
// which recurses.
const maxDepth = 100

func (n *node) depth() int {
	d := 0
	for c := n; c != nil; c = c.parent {
		d++
	}
	return d
}

const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// path names n relative to the document element, e.g.
// "EPCISBody/EventList/ObjectEvent[3]/epcList". An index is given only where
// the parent has several children of that name, so the common case stays
// readable.
func (n *node) path() string {
	if n == nil || n.parent == nil {
		if n == nil {
			return ""
		}
		return n.local
	}
	var parts []string
	for c := n; c.parent != nil; c = c.parent {
		parts = append(parts, c.step())
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// step is n's own path segment: its name, with a 1-based index among
// same-named siblings when there is more than one.
func (n *node) step() string {
	name := n.local
	if n.prefix != "" {
		name = n.prefix + ":" + n.local
	}
	if n.parent == nil {
		return name
	}
	idx, count := 0, 0
	for _, s := range n.parent.kids {
		if s.space == n.space && s.local == n.local {
			count++
			if s == n {
				idx = count
			}
		}
	}
	if count > 1 {
		return name + "[" + strconv.Itoa(idx) + "]"
	}
	return name
}

// textValue is the element's character data without surrounding white space;
// EPCIS values are identifiers, codes and numbers where it has no meaning.
func (n *node) textValue() string {
	return strings.TrimSpace(n.text.String())
}

// parse reads the whole document into a tree. Namespaces are resolved here
// (RawToken keeps the prefixes, which Token would throw away).
func parse(r io.Reader) (*node, error) {
	br := bufio.NewReader(r)
	// encoding/xml does not skip a UTF-8 byte order mark; Windows tools
	// write one (a GS1 example has it).
	if bom, err := br.Peek(3); err == nil && string(bom) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	d := xml.NewDecoder(br)
	d.CharsetReader = charsetReader
	var root, cur *node
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntaxError(cur, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == nil && root != nil {
				return nil, syntaxError(nil, errors.New("more than one document element"))
			}
			n, err := newNode(cur, t)
			if err != nil {
				return nil, err
			}
			if n.depth() > maxDepth {
				return nil, syntaxError(n, fmt.Errorf("elements nested deeper than %d", maxDepth))
			}
			if cur == nil {
				root = n
			} else {
				cur.kids = append(cur.kids, n)
			}
			cur = n
		case xml.EndElement:
			if cur == nil || t.Name.Space != cur.prefix || t.Name.Local != cur.local {
				return nil, syntaxError(cur, fmt.Errorf("line %d: unexpected end element </%s>", line(d), qname(t.Name)))
			}
			cur = cur.parent
		case xml.CharData:
			if cur == nil {
				if strings.TrimSpace(string(t)) != "" {
					return nil, syntaxError(nil, errors.New("text outside the document element"))
				}
				continue
			}
			if !utf8.Valid(t) {
				return nil, syntaxError(cur, errors.New("invalid UTF-8"))
			}
			cur.text.Write(t)
		}
		// Comments, processing instructions and DOCTYPE directives carry no
		// EPCIS data.
	}
	if cur != nil {
		return nil, syntaxError(cur, errors.New("unexpected end of document: element not closed"))
	}
	if root == nil {
		return nil, syntaxError(nil, errors.New("no document element"))
	}
	return root, nil
}

func line(d *xml.Decoder) int {
	l, _ := d.InputPos()
	return l
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// newNode builds the node for a start tag: it applies the tag's xmlns
// declarations to a copy of the parent's scope and resolves the prefixes.
func newNode(parent *node, t xml.StartElement) (*node, error) {
	n := &node{prefix: t.Name.Space, local: t.Name.Local, parent: parent}
	var scope map[string]string
	if parent != nil {
		scope = parent.scope
	}
	copied := false
	for _, a := range t.Attr {
		var p string
		switch {
		case a.Name.Space == "xmlns":
			p = a.Name.Local
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			p = ""
		default:
			continue
		}
		if !copied {
			next := make(map[string]string, len(scope)+1)
			for k, v := range scope {
				next[k] = v
			}
			scope, copied = next, true
		}
		scope[p] = a.Value
	}
	n.scope = scope
	space, ok := n.resolve(n.prefix, true)
	if !ok {
		return nil, syntaxError(n, fmt.Errorf("undeclared namespace prefix %q", n.prefix))
	}
	n.space = space
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		at := attr{prefix: a.Name.Space, local: a.Name.Local, value: a.Value}
		if a.Name.Space != "" { // unprefixed attributes have no namespace
			s, ok := n.resolve(a.Name.Space, false)
			if !ok {
				return nil, syntaxError(n, fmt.Errorf("undeclared namespace prefix %q on attribute %s", a.Name.Space, a.Name.Local))
			}
			at.space = s
		}
		n.attrs = append(n.attrs, at)
	}
	return n, nil
}

// resolve maps a prefix to its namespace in n's scope.
func (n *node) resolve(prefix string, element bool) (string, bool) {
	if prefix == "xml" {
		return xmlNamespace, true
	}
	if prefix == "" && !element {
		return "", true
	}
	ns, ok := n.scope[prefix]
	if prefix == "" {
		return ns, true // no default namespace: unqualified
	}
	return ns, ok
}

// attr returns the value of the unqualified attribute name.
func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.space == "" && a.local == name {
			return a.value, true
		}
	}
	return "", false
}

// isNil reports xsi:nil="true", how XML says a nillable value is absent.
func (n *node) isNil() bool {
	for _, a := range n.attrs {
		if a.space == nsXSI && a.local == "nil" {
			v := strings.TrimSpace(a.value)
			return v == "true" || v == "1"
		}
	}
	return false
}

// charsetReader accepts the single-byte encodings EPCIS files are sometimes
// declared in, besides UTF-8 which encoding/xml reads itself.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1", "l1":
		return latin1Reader{bufio.NewReader(in)}, nil
	case "us-ascii", "ascii":
		return in, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

type latin1Reader struct{ r *bufio.Reader }

func (l latin1Reader) Read(p []byte) (int, error) {
	n := 0
	for n+utf8.UTFMax <= len(p) {
		b, err := l.r.ReadByte()
		if err != nil {
			if n > 0 && err == io.EOF {
				return n, nil
			}
			return n, err
		}
		n += utf8.EncodeRune(p[n:], rune(b))
	}
	if n == 0 && len(p) > 0 {
		return 0, io.ErrShortBuffer
	}
	return n, nil
}
