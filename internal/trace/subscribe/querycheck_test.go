package subscribe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/conformance"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	m, err := trace.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func pointers(err error) []string {
	var inv *Invalid
	if !errors.As(err, &inv) {
		return nil
	}
	var out []string
	for _, p := range inv.Problems {
		out = append(out, p.Pointer)
	}
	return out
}

// The OpenEPCIS negative queries are refused, each naming the parameters
// at fault.
func TestCheckQueryRefusesInvalidConformanceQueries(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"Query_with_invalid_values.json":    {"/query/EQ_action/0", "/query/GE_eventTime", "/query/orderDirection"},
		"Query_with_unknown_parameter.json": {"/query/GE_eventDate"},
	}
	files := conformance.Files(t, "openepcis-test-resources/JSON/Query/Queries/Invalid/*.json")
	if len(files) != len(want) {
		t.Fatalf("%d invalid queries, expected %d: %v", len(files), len(want), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = CheckQuery(decode(t, b))
		var inv *Invalid
		if !errors.As(err, &inv) || inv.Type != "QueryValidationException" {
			t.Fatalf("%s: %v, want a QueryValidationException", filepath.Base(f), err)
		}
		got := pointers(err)
		if strings.Join(got, " ") != strings.Join(want[filepath.Base(f)], " ") {
			t.Errorf("%s: problems at %v, want %v (%v)", filepath.Base(f), got, want[filepath.Base(f)], err)
		}
	}
}

// GS1's example of a valid query passes the query schema. Whether the store
// can run it is trace.ParseQuery's verdict, which CheckQuery adds; the
// quantity bounds it uses (GE_quantity, LT_quantity) are not among the
// parameters ParseQuery implements as this is written. (Its GLN
// 9521141123452 also carries a wrong check digit: 4 would be right.)
func TestSchemaAcceptsConformanceQuery(t *testing.T) {
	t.Parallel()
	for _, f := range conformance.Files(t, "openepcis-test-resources/JSON/Query/Queries/*.json") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		q := decode(t, b)
		if err := checkSchema(q); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		// The whole check too: the store runs every parameter it uses.
		if _, err := CheckQuery(q); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		params := toValues(q)
		if got := params["EQ_action"]; strings.Join(got, "|") != "ADD|OBSERVE" {
			t.Errorf("EQ_action became %q", got)
		}
		if params.Has("@context") {
			t.Error("@context became a parameter")
		}
	}
}

func TestCheckQuery(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		query string
		at    string // "" = accepted
	}{
		{`{"eventType": ["ObjectEvent"], "EQ_bizStep": ["shipping", "receiving"]}`, ""},
		// Extension fields: the schema's doubly escaped patterns read as meant.
		{`{"EQ_example:myField": ["a"]}`, ""},
		{`{"GE_errorDeclarationTime": "2026-01-01T00:00:00Z"}`, ""},
		{`{"GE_errorDeclaration_Time": "2026-01-01T00:00:00Z"}`, ""},
		{`{"eventType": "ObjectEvent"}`, "/query/eventType"},
		{`{"EQ_bizStep": ["urn:epcglobal:cbv:bizstep:shipping"]}`, "/query/EQ_bizStep/0"},
		{`{"EQ_bizStep": ["transforming"]}`, "/query/EQ_bizStep/0"},
		{`{"perPage": 10}`, "/query/perPage"},
		// The schema allows it; the store's query does not know it.
		{`{"EQ_type": ["Temperature"], "orderBy": "eventTime", "eventCountLimit": 0}`, "/query/eventCountLimit"},
		{`{"eventCountLimit": 5}`, "/query/eventCountLimit"},
		{`[]`, "/query"},
	} {
		_, err := CheckQuery(decodeAny(t, c.query))
		switch {
		case c.at == "" && err != nil:
			t.Errorf("%s: refused: %v", c.query, err)
		case c.at != "" && (len(pointers(err)) == 0 || pointers(err)[0] != c.at):
			t.Errorf("%s: %v, want a refusal at %s", c.query, err, c.at)
		}
	}
	if _, err := CheckQuery(nil); len(pointers(err)) != 1 {
		t.Errorf("a missing query: %v", err)
	}
}
