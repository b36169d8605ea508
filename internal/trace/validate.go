package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hallmark-platform/hallmark/internal/trace/schema"
)

// Problem is one reason a document or event is refused: where (a JSON
// pointer into what was sent), which rule (a message key) and the detail.
type Problem struct {
	Pointer string `json:"pointer"`
	Rule    string `json:"rule"`
	Detail  string `json:"detail,omitempty"`
}

// ValidationError refuses a document; nothing of it was stored.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Pointer + ": " + p.Rule
		if p.Detail != "" {
			parts[i] += " (" + p.Detail + ")"
		}
	}
	return "epcis: invalid document: " + strings.Join(parts, "; ")
}

func invalid(pointer, rule, detail string) *ValidationError {
	return &ValidationError{Problems: []Problem{{Pointer: pointer, Rule: rule, Detail: detail}}}
}

// IsValidation reports whether err refuses the input (as opposed to a
// failure of the server).
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

// The schema library's messages are English; the rule key beside them is
// what the reader's language shows.
var english = message.NewPrinter(language.English)

type schemas struct {
	root   *checker            // documents and single events with @context
	event  *checker            // one event inside a document's eventList
	byType map[string]*checker // the definition each standard event type is held to
}

// checker is one schema twice over: the quick check that answers whether a
// value is valid, and the full validator that explains why one is not.
type checker struct {
	full  *jsonschema.Schema
	quick *schema.Quick
}

// forEvent is the schema an event in a document is checked against: for a
// standard type its own definition, which is what the general definition's
// if/then chain selects, without walking the chain for every event.
func (s *schemas) forEvent(m map[string]any) *checker {
	if t, ok := m["type"].(string); ok {
		if sch := s.byType[t]; sch != nil {
			return sch
		}
	}
	return s.event
}

var compiled = sync.OnceValues(func() (*schemas, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.JSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	// The schema relies on format "uri" to keep bare words such as
	// "transforming" out of bizStep; without assertions they slip through.
	c.AssertFormat()
	c.UseRegexpEngine(schema.Regexp)
	if err := c.AddResource(schema.SchemaURL, doc); err != nil {
		return nil, err
	}
	quickDoc, err := decodeNumbers(schema.JSON)
	if err != nil {
		return nil, err
	}
	both := func(fragment string) (*checker, error) {
		full, err := c.Compile(schema.SchemaURL + fragment)
		if err != nil {
			return nil, err
		}
		quick, err := schema.CompileQuick(quickDoc, fragment)
		if err != nil {
			return nil, err
		}
		return &checker{full: full, quick: quick}, nil
	}
	out := &schemas{byType: map[string]*checker{}}
	if out.root, err = both(""); err != nil {
		return nil, err
	}
	if out.event, err = both("#/definitions/EPCIS-Document-Event"); err != nil {
		return nil, err
	}
	for _, t := range EventTypes {
		if out.byType[t], err = both("#/definitions/" + t); err != nil {
			return nil, err
		}
	}
	return out, nil
})

func decodeNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	return v, dec.Decode(&v)
}

// checkSchema validates v with s and turns the library's error tree into
// problems at the deepest failing locations, prefixed with base.
func checkSchema(s *checker, v any, base string) *ValidationError {
	if s.quick.Valid(v) {
		return nil
	}
	err := s.full.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return invalid(base, "rule.epcis.schema", err.Error())
	}
	leaves := schema.Leaves(ve)
	// The deepest locations say most precisely what is wrong; keep those.
	deepest := 0
	for _, l := range leaves {
		deepest = max(deepest, len(l.InstanceLocation))
	}
	seen := map[string]bool{}
	out := &ValidationError{}
	for _, l := range leaves {
		if len(l.InstanceLocation) < deepest {
			continue
		}
		p := base + pointer(l.InstanceLocation)
		detail := l.ErrorKind.LocalizedString(english)
		if seen[p+detail] {
			continue
		}
		seen[p+detail] = true
		out.Problems = append(out.Problems, Problem{Pointer: p, Rule: "rule.epcis.schema", Detail: detail})
	}
	sort.SliceStable(out.Problems, func(i, j int) bool { return out.Problems[i].Pointer < out.Problems[j].Pointer })
	if len(out.Problems) > 10 {
		out.Problems = out.Problems[:10]
	}
	return out
}

// pointer renders a path as an RFC 6901 JSON pointer.
func pointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(pointerEscape.Replace(p))
	}
	return b.String()
}

var pointerEscape = strings.NewReplacer("~", "~0", "/", "~1")

func ptr(base string, parts ...any) string {
	var b strings.Builder
	b.WriteString(base)
	for _, p := range parts {
		b.WriteByte('/')
		switch v := p.(type) {
		case int:
			b.WriteString(strconv.Itoa(v))
		case string:
			b.WriteString(pointerEscape.Replace(v))
		}
	}
	return b.String()
}
