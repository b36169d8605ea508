package genealogy

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/conformance"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func generate(t testing.TB, spec NetworkSpec) [][]byte {
	t.Helper()
	var docs [][]byte
	if err := GenerateNetwork(spec, func(b []byte) error {
		docs = append(docs, b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return docs
}

type genDoc struct {
	EpcisBody struct {
		EventList []map[string]any `json:"eventList"`
	} `json:"epcisBody"`
}

func eventsOf(t testing.TB, doc []byte) []map[string]any {
	t.Helper()
	var d genDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	return d.EpcisBody.EventList
}

func TestGeneratedDocumentsAreValidEPCIS(t *testing.T) {
	t.Parallel()
	path := filepath.Join(conformance.Dir(t), "epcis", "EPCIS-JSON-Schema.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat() // without it bare words such as "transforming" pass as URIs
	c.UseRegexpEngine(lookaheadRegexp)
	if err := c.AddResource("file:///EPCIS-JSON-Schema.json", raw); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("file:///EPCIS-JSON-Schema.json")
	if err != nil {
		t.Fatal(err)
	}
	docs := generate(t, NetworkSpec{Lots: 400, Seed: 7, PerDocument: 700})
	if len(docs) < 2 {
		t.Fatalf("%d documents, want several", len(docs))
	}
	for i, doc := range docs {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		if n := len(eventsOf(t, doc)); n > 700 {
			t.Fatalf("document %d has %d events", i, n)
		}
	}
	// The schema must be able to fail: a bare word where a URI belongs.
	bad := bytes.Replace(docs[0], []byte(`"bizStep":"commissioning"`), []byte(`"bizStep":"transforming"`), 1)
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if schema.Validate(inst) == nil {
		t.Fatal("the schema accepted an unknown bizStep")
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	t.Parallel()
	sum := func(seed int64) [32]byte {
		h := sha256.New()
		for _, d := range generate(t, NetworkSpec{Lots: 1500, Seed: seed}) {
			h.Write(d)
		}
		return [32]byte(h.Sum(nil))
	}
	if a, b := sum(3), sum(3); a != b {
		t.Fatal("the same seed gave different documents")
	}
	if sum(3) == sum(4) {
		t.Fatal("different seeds gave the same documents")
	}
}

func TestGeneratedNetworkShape(t *testing.T) {
	t.Parallel()
	const lots = 5000
	docs := generate(t, NetworkSpec{Lots: lots, Seed: 11})
	ids := map[string]bool{}
	eventIDs := map[string]bool{}
	last := map[string]time.Time{} // per object: the time of its latest event so far
	types := map[string]int{}
	events := 0
	for _, doc := range docs {
		evs := eventsOf(t, doc)
		if len(evs) > 1000 {
			t.Fatalf("a document has %d events", len(evs))
		}
		for _, e := range evs {
			events++
			types[e["type"].(string)]++
			id := e["eventID"].(string)
			if eventIDs[id] {
				t.Fatalf("eventID %s twice", id)
			}
			eventIDs[id] = true
			at, err := time.Parse(time.RFC3339Nano, e["eventTime"].(string))
			if err != nil {
				t.Fatal(err)
			}
			for _, obj := range objectsOf(e) {
				ids[obj] = true
				if at.Before(last[obj]) {
					t.Fatalf("%s: event at %v comes after one at %v", obj, at, last[obj])
				}
				last[obj] = at
			}
			for _, k := range []string{"readPoint", "bizLocation"} {
				if m, ok := e[k].(map[string]any); ok {
					ids[m["id"].(string)] = true
				}
			}
		}
	}
	if r := float64(events) / lots; r < 9 || r > 11 {
		t.Errorf("%.2f events per lot, want about 10", r)
	}
	for _, typ := range []string{"ObjectEvent", "AggregationEvent", "TransformationEvent"} {
		if types[typ] == 0 {
			t.Errorf("no %s", typ)
		}
	}
	// Every GS1 key is a valid Digital Link (check digits included) and
	// already in the canonical form capture stores.
	kinds := map[string]int{}
	for id := range ids {
		d, err := codes.ParseDigitalLink(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if d.Canonical() != id {
			t.Fatalf("%s is not canonical (%s)", id, d.Canonical())
		}
		kinds[d.PrimaryAI]++
		switch d.PrimaryAI {
		case "01":
			err = codes.CheckGTIN(d.PrimaryValue)
		case "00":
			err = codes.CheckSSCC(d.PrimaryValue)
		case "414", "417":
			err = codes.CheckGLN(d.PrimaryValue)
		}
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	for _, ai := range []string{"00", "01", "414"} {
		if kinds[ai] == 0 {
			t.Errorf("no identifiers with AI %s", ai)
		}
	}
}

// lookaheadRegexp compiles the schema's patterns with Go's regexp, which
// lacks the negative lookahead the schema uses for "not a standard CBV URI":
// "^(?!(X))" matches exactly when "^(?:X)" does not.
func lookaheadRegexp(p string) (jsonschema.Regexp, error) {
	if inner, ok := strings.CutPrefix(p, "^(?!"); ok && strings.HasSuffix(inner, ")") {
		re, err := regexp.Compile("^(?:" + strings.TrimSuffix(inner, ")") + ")")
		return notMatching{p, re}, err
	}
	return regexp.Compile(p)
}

type notMatching struct {
	src string
	re  *regexp.Regexp
}

func (n notMatching) MatchString(s string) bool { return !n.re.MatchString(s) }
func (n notMatching) String() string            { return n.src }

// objectsOf lists the goods an event names.
func objectsOf(e map[string]any) []string {
	var out []string
	for _, k := range []string{"epcList", "childEPCs"} {
		for _, v := range list(e[k]) {
			out = append(out, v.(string))
		}
	}
	if p, ok := e["parentID"].(string); ok {
		out = append(out, p)
	}
	for k, v := range e {
		if strings.HasSuffix(k, "uantityList") {
			for _, q := range list(v) {
				out = append(out, q.(map[string]any)["epcClass"].(string))
			}
		}
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
