// Package schema ships the GS1 EPCIS 2.0 JSON Schema and JSON-LD context in
// the binary, so validation never fetches anything at run time. The files are
// GS1's, unchanged (see LICENSE-GS1).
package schema

import (
	_ "embed"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// JSON is EPCIS-JSON-Schema.json as published by GS1 for EPCIS 2.0.
//
//go:embed EPCIS-JSON-Schema.json
var JSON []byte

// Context is the inlined EPCIS 2.0 JSON-LD context
// (https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld).
//
//go:embed epcis-context.jsonld
var Context []byte

// ContextURL is how EPCIS 2.0 documents name Context.
const ContextURL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

// SchemaURL is the schema's own $id.
const SchemaURL = "https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json"

// Regexp compiles the schema's patterns with Go's regexp, which lacks the
// negative lookahead the schema uses for "not a standard CBV URI": a pattern
// "^(?!(X))" matches exactly when "^(?:X)" does not. Give it to
// jsonschema.Compiler.UseRegexpEngine.
func Regexp(p string) (jsonschema.Regexp, error) {
	if inner, ok := strings.CutPrefix(p, "^(?!"); ok && strings.HasSuffix(inner, ")") {
		re, err := regexp.Compile("^(?:" + strings.TrimSuffix(inner, ")") + ")")
		if err != nil {
			return nil, err
		}
		return notMatching{p, re}, nil
	}
	return regexp.Compile(p)
}

type notMatching struct {
	src string
	re  *regexp.Regexp
}

func (n notMatching) MatchString(s string) bool { return !n.re.MatchString(s) }
func (n notMatching) String() string            { return n.src }

// Leaves returns the innermost causes of a validation error: the places
// where the document actually breaks a rule.
func Leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, Leaves(c)...)
	}
	return out
}
