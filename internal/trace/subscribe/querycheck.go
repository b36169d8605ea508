package subscribe

import (
	"bytes"
	_ "embed"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/schema"
)

// querySchemaJSON is GS1's query-schema.json for EPCIS 2.0 (REST Bindings),
// unchanged; its licence is trace/schema/LICENSE-GS1.
//
//go:embed query-schema.json
var querySchemaJSON []byte

// querySchemaURL is the schema's own $id.
const querySchemaURL = "https://gs1.github.io/EPCIS/REST%20Bindings/query-schema.json"

var english = message.NewPrinter(language.English)

var querySchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(querySchemaJSON))
	if err != nil {
		return nil, err
	}
	// The schema spells the error declaration bounds GE_errorDeclaration_Time
	// and LT_errorDeclaration_Time, the OpenAPI GE_errorDeclarationTime and
	// LT_errorDeclarationTime; trace.ParseQuery takes both, and so do we.
	if props, ok := lookup(doc, "definitions", "EPCIS-Query", "properties").(map[string]any); ok {
		for _, p := range []string{"GE_errorDeclarationTime", "LT_errorDeclarationTime"} {
			props[p] = map[string]any{"$ref": "#/definitions/time"}
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	// format "date-time" and "uri" carry most of the value checks.
	c.AssertFormat()
	c.UseRegexpEngine(queryRegexp)
	if err := c.AddResource(querySchemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(querySchemaURL)
})

func lookup(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// queryRegexp compiles the schema's patterns. The patterns of the CURIE-named
// parameters (EQ_prefix:field, EXISTS_ILMD_prefix:field, …) are escaped twice
// in the published file ("\\\\:\\\\w+" in its JSON), so taken literally they
// demand backslashes in the name and no extension parameter could ever pass;
// they are read as the single escapes they were meant to be. The negative
// lookahead of the CBV patterns is handled by schema.Regexp.
func queryRegexp(p string) (jsonschema.Regexp, error) {
	return schema.Regexp(strings.NewReplacer(`\\:`, `:`, `\\w`, `\w`).Replace(p))
}

// CheckQuery validates a query object (JSON decoded with UseNumber) against
// the query schema and then trace.ParseQuery, which refuses what the schema
// allows but the store cannot answer. It returns the query as the URL
// parameters of GET /events. Refusals are *Invalid naming each parameter as
// /query/<name>.
func CheckQuery(v any) (url.Values, error) {
	if v == nil {
		return nil, invalidQuery(trace.Problem{Pointer: "/query", Rule: "rule.epcis.required"})
	}
	if err := checkSchema(v); err != nil {
		return nil, err
	}
	params := toValues(v.(map[string]any))
	if _, err := trace.ParseQuery(params); err != nil {
		var qe *trace.QueryError
		if errors.As(err, &qe) {
			return nil, invalidQuery(trace.Problem{Pointer: "/query/" + escape(qe.Param), Rule: qe.Rule, Detail: qe.Value})
		}
		return nil, err
	}
	return params, nil
}

// checkSchema validates a query object against GS1's query schema alone.
func checkSchema(v any) error {
	s, err := querySchema()
	if err != nil {
		return err
	}
	if err := s.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		return invalidQuery(schemaProblems(ve)...)
	}
	return nil
}

// toValues turns a schema-valid query object into URL parameters: arrays
// become repeated values, numbers and booleans their JSON text.
func toValues(m map[string]any) url.Values {
	out := url.Values{}
	for k, v := range m {
		if k == "@context" {
			continue
		}
		if l, ok := v.([]any); ok {
			vs := make([]string, 0, len(l))
			for _, e := range l {
				vs = append(vs, scalar(e))
			}
			out[k] = vs
			continue
		}
		out[k] = []string{scalar(v)}
	}
	return out
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case interface{ String() string }: // json.Number
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// schemaProblems turns the validator's error tree into one problem per
// query parameter, at the deepest place each parameter fails (the leaves of
// an anyOf all sit there, their messages joined).
func schemaProblems(ve *jsonschema.ValidationError) []trace.Problem {
	leaves := schema.Leaves(ve)
	type at struct {
		depth   int
		pointer string
		details []string
	}
	byParam := map[string]*at{}
	var unknown []string
	for _, l := range leaves {
		if ap, ok := l.ErrorKind.(*kind.AdditionalProperties); ok && len(l.InstanceLocation) == 0 {
			unknown = append(unknown, ap.Properties...)
			continue
		}
		param := ""
		if len(l.InstanceLocation) > 0 {
			param = l.InstanceLocation[0]
		}
		p := "/query" + pointer(l.InstanceLocation)
		d := l.ErrorKind.LocalizedString(english)
		cur := byParam[param]
		switch {
		case cur == nil || len(l.InstanceLocation) > cur.depth:
			byParam[param] = &at{depth: len(l.InstanceLocation), pointer: p, details: []string{d}}
		case len(l.InstanceLocation) == cur.depth && p == cur.pointer:
			if !slices.Contains(cur.details, d) {
				cur.details = append(cur.details, d)
			}
		}
	}
	var out []trace.Problem
	for _, u := range unknown {
		out = append(out, trace.Problem{Pointer: "/query/" + escape(u), Rule: "rule.epcis.query.unknown", Detail: u})
	}
	for _, a := range byParam {
		out = append(out, trace.Problem{Pointer: a.pointer, Rule: "rule.epcis.query.schema", Detail: strings.Join(a.details, " / ")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return out
}

// pointer renders a path as an RFC 6901 JSON pointer.
func pointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(escape(p))
	}
	return b.String()
}

func escape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
