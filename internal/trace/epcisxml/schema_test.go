package epcisxml

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hallmark-platform/hallmark/internal/conformance"
	"github.com/hallmark-platform/hallmark/internal/trace/schema"
)

var english = message.NewPrinter(language.English)

const schemaURL = "https://ref.gs1.org/standards/epcis/2.0.0/EPCIS-JSON-Schema.json"

// epcisSchema compiles GS1's EPCIS 2.0 JSON schema with format assertions:
// without them "format": "uri" is not checked and a non-standard bare word
// such as "bizStep": "transforming" passes.
func epcisSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join(conformance.Dir(t), "epcis", "EPCIS-JSON-Schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	c.UseRegexpEngine(schema.Regexp)
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaProblems lists the deepest failing locations of a validation, one
// "pointer: message" line each.
func schemaProblems(err error) []string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	leaves := schema.Leaves(ve)
	deepest := 0
	for _, l := range leaves {
		deepest = max(deepest, len(l.InstanceLocation))
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range leaves {
		if len(l.InstanceLocation) < deepest {
			continue
		}
		s := "/" + strings.Join(l.InstanceLocation, "/") + ": " + l.ErrorKind.LocalizedString(english)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// The validator is set up as GS1's own check was (see the conformance
// manifest): every JSON-LD example passes, and CBV values written as URNs in
// JSON fail.
func TestSchemaSetup(t *testing.T) {
	s := epcisSchema(t)
	base := filepath.Join(conformance.Dir(t), "epcis")
	n := 0
	err := filepath.WalkDir(filepath.Join(base, "JSON"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".jsonld") {
			return err
		}
		n++
		if err := s.Validate(readJSON(t, p)); err != nil {
			t.Errorf("%s: %v", p, schemaProblems(err))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 40 {
		t.Errorf("only %d JSON-LD examples", n)
	}
	urns := filepath.Join(base, "XML", "WithEventHashID", "event_with_identical_hash_id_7.json")
	if s.Validate(readJSON(t, urns)) == nil {
		t.Error("CBV URNs in JSON pass the schema: format assertions are off")
	}
}

// xmlSchemaFailures are the XML examples whose decoded form the JSON schema
// refuses because of what the XML says, not how it was decoded: the XML
// schema allows it, the JSON schema does not. Each comes with the change
// that removes exactly that cause; after it the document must validate.
var xmlSchemaFailures = map[string]struct {
	reason string
	fix    func(doc map[string]any)
}{
	"epcis/XML/Example-PersistentDisposition.xml": {
		"persistentDisposition on AggregationEvents: the XSD allows it, the JSON schema only on Object and Transformation events",
		func(doc map[string]any) {
			for _, e := range events(doc) {
				if ev := e.(map[string]any); ev["type"] == "AggregationEvent" {
					delete(ev, "persistentDisposition")
				}
			}
		}},
	"epcis/XML/WithSensorData/SensorDataExamples.xml": {
		"sensor reports without a type (alert-only): optional in the XSD, required in the JSON schema",
		func(doc map[string]any) {
			for _, e := range events(doc) {
				for _, se := range asList(e.(map[string]any)["sensorElementList"]) {
					for _, r := range asList(se.(map[string]any)["sensorReport"]) {
						if rep := r.(map[string]any); rep["type"] == nil {
							rep["type"] = "Dimensionless"
						}
					}
				}
			}
		}},
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// Every decoded XML EPCIS document validates against the JSON schema,
// except the listed ones, which fail for the listed reason only.
func TestDecodedXMLValidates(t *testing.T) {
	s := epcisSchema(t)
	base := conformance.Dir(t)
	files := append(xmlFiles(t, filepath.Join(base, "epcis", "XML")), xmlFiles(t, filepath.Join(base, "epcis-event-hash"))...)
	checked := 0
	for _, p := range files {
		rel, _ := filepath.Rel(base, p)
		root, _ := rootAndEventCount(t, p)
		if !isEPCISDocument(root) {
			continue
		}
		checked++
		t.Run(rel, func(t *testing.T) {
			doc, err := decodeFile(t, p)
			if err != nil {
				t.Fatal(err)
			}
			verr := s.Validate(doc)
			known, listed := xmlSchemaFailures[filepath.ToSlash(rel)]
			switch {
			case !listed && verr != nil:
				t.Error(schemaProblems(verr))
			case listed && verr == nil:
				t.Errorf("listed as failing (%s) but validates", known.reason)
			case listed:
				known.fix(doc)
				if err := s.Validate(doc); err != nil {
					t.Errorf("fails for more than %s: %v", known.reason, schemaProblems(err))
				}
			}
		})
	}
	if checked < 40 {
		t.Errorf("only %d XML EPCIS documents", checked)
	}
}
