package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Quick is GS1's schema compiled into a check that answers only "valid or
// not". Validating an event with the general-purpose validator costs about
// a hundred microseconds, most of it building the error tree that a valid
// event never needs; Quick answers the same question for a few, so capture
// asks it first and turns to the full validator only to explain a refusal.
//
// It understands exactly the draft-7 keywords GS1's schema uses; a schema
// with any other keyword does not compile, so it can never pass what the
// full validator would refuse for a keyword it does not know.
type Quick struct {
	root *qnode
}

type qnode struct {
	always  *bool // a boolean schema
	ref     string
	target  *qnode
	types   []string
	enum    []any
	props   map[string]*qnode
	require []string
	// additional is the schema for properties not named in props; closed
	// means additionalProperties: false.
	additional *qnode
	closed     bool
	names      *qnode
	items      *qnode
	minItems   int
	unique     bool
	pattern    interface{ MatchString(string) bool }
	format     func(string) bool
	allOf      []*qnode
	anyOf      []*qnode
	oneOf      []*qnode
	not        *qnode
	ifThen     [2]*qnode
}

// ignored keywords carry no assertion.
var ignored = map[string]bool{"$id": true, "$schema": true, "definitions": true, "title": true,
	"description": true, "$comment": true, "examples": true, "default": true}

// CompileQuick compiles the schema document doc (as decoded JSON) at the
// JSON pointer fragment ("" for the root, "#/definitions/ObjectEvent" for a
// definition).
func CompileQuick(doc any, fragment string) (*Quick, error) {
	c := &quickCompiler{doc: doc, byPtr: map[string]*qnode{}}
	root, err := c.at(strings.TrimPrefix(fragment, "#"))
	if err != nil {
		return nil, err
	}
	for len(c.pending) > 0 {
		n := c.pending[0]
		c.pending = c.pending[1:]
		if n.target, err = c.at(strings.TrimPrefix(n.ref, "#")); err != nil {
			return nil, err
		}
	}
	return &Quick{root: root}, nil
}

type quickCompiler struct {
	doc     any
	byPtr   map[string]*qnode
	pending []*qnode
}

func (c *quickCompiler) at(ptr string) (*qnode, error) {
	if n, ok := c.byPtr[ptr]; ok {
		return n, nil
	}
	v := c.doc
	if ptr != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			// A $ref is a URI fragment: percent-decoded, then a JSON pointer.
			if u, err := url.PathUnescape(tok); err == nil {
				tok = u
			}
			tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("schema: no %q", ptr)
			}
			if v, ok = m[tok]; !ok {
				return nil, fmt.Errorf("schema: no %q", ptr)
			}
		}
	}
	n := &qnode{minItems: -1}
	c.byPtr[ptr] = n
	return n, c.fill(n, v, ptr)
}

func (c *quickCompiler) sub(v any, ptr string) (*qnode, error) {
	n := &qnode{minItems: -1}
	c.byPtr[ptr] = n
	return n, c.fill(n, v, ptr)
}

func (c *quickCompiler) list(v any, ptr string) ([]*qnode, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("schema: %s is not a list", ptr)
	}
	out := make([]*qnode, len(arr))
	for i, s := range arr {
		var err error
		if out[i], err = c.sub(s, fmt.Sprintf("%s/%d", ptr, i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *quickCompiler) fill(n *qnode, v any, ptr string) error {
	if b, ok := v.(bool); ok {
		n.always = &b
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("schema: %s is not a schema", ptr)
	}
	if r, ok := m["$ref"].(string); ok {
		// Draft 7: a $ref stands for the whole schema, its siblings ignored.
		if !strings.HasPrefix(r, "#") {
			return fmt.Errorf("schema: external $ref %q", r)
		}
		n.ref = r
		c.pending = append(c.pending, n)
		return nil
	}
	var err error
	for k, x := range m {
		p := ptr + "/" + k
		switch k {
		case "type":
			switch t := x.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, e := range t {
					s, _ := e.(string)
					n.types = append(n.types, s)
				}
			}
		case "enum":
			n.enum, _ = x.([]any)
		case "properties":
			props, _ := x.(map[string]any)
			n.props = map[string]*qnode{}
			for name, s := range props {
				if n.props[name], err = c.sub(s, p+"/"+name); err != nil {
					return err
				}
			}
		case "required":
			for _, e := range x.([]any) {
				n.require = append(n.require, e.(string))
			}
		case "additionalProperties":
			if b, ok := x.(bool); ok {
				n.closed = !b
			} else if n.additional, err = c.sub(x, p); err != nil {
				return err
			}
		case "propertyNames":
			if n.names, err = c.sub(x, p); err != nil {
				return err
			}
		case "items":
			if _, tuple := x.([]any); tuple {
				return fmt.Errorf("schema: tuple items at %s", p)
			}
			if n.items, err = c.sub(x, p); err != nil {
				return err
			}
		case "minItems":
			f, _ := numberOf(x)
			n.minItems = int(f)
		case "uniqueItems":
			n.unique, _ = x.(bool)
		case "pattern":
			if n.pattern, err = Regexp(x.(string)); err != nil {
				return err
			}
		case "format":
			switch x {
			case "uri":
				n.format = isURI
			case "date-time":
				n.format = isDateTime
			default:
				return fmt.Errorf("schema: format %v", x)
			}
		case "allOf":
			if n.allOf, err = c.list(x, p); err != nil {
				return err
			}
		case "anyOf":
			if n.anyOf, err = c.list(x, p); err != nil {
				return err
			}
		case "oneOf":
			if n.oneOf, err = c.list(x, p); err != nil {
				return err
			}
		case "not":
			if n.not, err = c.sub(x, p); err != nil {
				return err
			}
		case "if":
			if n.ifThen[0], err = c.sub(x, p); err != nil {
				return err
			}
		case "then":
			if n.ifThen[1], err = c.sub(x, p); err != nil {
				return err
			}
		default:
			if !ignored[k] {
				return fmt.Errorf("schema: keyword %q at %s", k, ptr)
			}
		}
	}
	return nil
}

// Valid reports whether v (decoded with json.Decoder.UseNumber) satisfies
// the schema.
func (q *Quick) Valid(v any) bool { return q.root.valid(v) }

func (n *qnode) valid(v any) bool {
	if n.target != nil {
		return n.target.valid(v)
	}
	if n.always != nil {
		return *n.always
	}
	if len(n.types) > 0 && !hasType(n.types, v) {
		return false
	}
	if n.enum != nil && !inEnum(n.enum, v) {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range n.require {
			if _, ok := x[r]; !ok {
				return false
			}
		}
		if n.props != nil || n.closed || n.additional != nil || n.names != nil {
			for k, e := range x {
				if n.names != nil && !n.names.valid(k) {
					return false
				}
				if s, ok := n.props[k]; ok {
					if !s.valid(e) {
						return false
					}
					continue
				}
				if n.closed || n.additional != nil && !n.additional.valid(e) {
					return false
				}
			}
		}
	case []any:
		if n.minItems >= 0 && len(x) < n.minItems {
			return false
		}
		if n.items != nil {
			for _, e := range x {
				if !n.items.valid(e) {
					return false
				}
			}
		}
		if n.unique {
			for i := 1; i < len(x); i++ {
				for j := 0; j < i; j++ {
					if equal(x[i], x[j]) {
						return false
					}
				}
			}
		}
	case string:
		if n.pattern != nil && !n.pattern.MatchString(x) {
			return false
		}
		if n.format != nil && !n.format(x) {
			return false
		}
	}
	for _, s := range n.allOf {
		if !s.valid(v) {
			return false
		}
	}
	if n.anyOf != nil {
		ok := false
		for _, s := range n.anyOf {
			if s.valid(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if n.oneOf != nil {
		k := 0
		for _, s := range n.oneOf {
			if s.valid(v) {
				k++
			}
		}
		if k != 1 {
			return false
		}
	}
	if n.not != nil && n.not.valid(v) {
		return false
	}
	if n.ifThen[0] != nil && n.ifThen[1] != nil && n.ifThen[0].valid(v) && !n.ifThen[1].valid(v) {
		return false
	}
	return true
}

func hasType(types []string, v any) bool {
	for _, t := range types {
		switch t {
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "null":
			if v == nil {
				return true
			}
		case "number":
			if _, ok := numberOf(v); ok {
				return true
			}
		case "integer":
			if r := ratOf(v); r != nil && r.IsInt() {
				return true
			}
		}
	}
	return false
}

func numberOf(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

func ratOf(v any) *big.Rat {
	switch v.(type) {
	case json.Number, float64, int:
		r, ok := new(big.Rat).SetString(fmt.Sprint(v))
		if ok {
			return r
		}
	}
	return nil
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		if equal(e, v) {
			return true
		}
	}
	return false
}

// equal is JSON equality: numbers by value, objects regardless of order.
func equal(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			f, ok := y[k]
			if !ok || !equal(e, f) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	r1, r2 := ratOf(a), ratOf(b)
	return r1 != nil && r2 != nil && r1.Cmp(r2) == 0
}

// isURI is format "uri" as the full validator asserts it: a URL Go parses,
// with a scheme, and an IPv6 host only in brackets.
func isURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return false
	}
	if h := u.Hostname(); strings.Contains(h, ":") {
		if !strings.Contains(u.Host, "[") || !strings.Contains(u.Host, "]") {
			return false
		}
		a, err := netip.ParseAddr(h)
		return err == nil && a.Zone() == ""
	}
	return true
}

// isDateTime is format "date-time" (RFC 3339 section 5.6, leap second
// allowed) as the full validator asserts it.
func isDateTime(s string) bool {
	if len(s) < 20 || (s[10] != 't' && s[10] != 'T') {
		return false
	}
	if _, err := time.Parse("2006-01-02", s[:10]); err != nil {
		return false
	}
	return isTime(s[11:])
}

func isTime(t string) bool {
	if len(t) < 9 || t[2] != ':' || t[5] != ':' {
		return false
	}
	h, ok1 := atoi(t[0:2])
	m, ok2 := atoi(t[3:5])
	sec, ok3 := atoi(t[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return false
	}
	rest := t[8:]
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	if rest != "z" && rest != "Z" {
		if len(rest) != 6 || rest[3] != ':' {
			return false
		}
		sign := 1
		switch rest[0] {
		case '+':
			sign = -1
		case '-':
		default:
			return false
		}
		zh, okh := atoi(rest[1:3])
		zm, okm := atoi(rest[4:6])
		if !okh || !okm || zh > 23 || zm > 59 {
			return false
		}
		hm := h*60 + m + sign*(zh*60+zm)
		if hm < 0 {
			hm += 24 * 60
		}
		h, m = hm/60, hm%60
	}
	// A leap second is only ever 23:59:60 in UTC.
	return sec < 60 || h == 23 && m == 59
}

// atoi reads a field of a time the way the full validator does.
func atoi(s string) (int, bool) {
	i, err := strconv.Atoi(s)
	return i, err == nil && i >= 0
}
