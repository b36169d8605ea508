package trace_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/conformance"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/epcisxml"
	"github.com/hallmark-platform/hallmark/internal/trace/eventhash"
	"github.com/hallmark-platform/hallmark/internal/trace/genealogy"
)

// eventsIn returns the events of a decoded document.
func eventsIn(doc map[string]any) []map[string]any {
	body, _ := doc["epcisBody"].(map[string]any)
	l, _ := body["eventList"].([]any)
	if l == nil {
		qr, _ := body["queryResults"].(map[string]any)
		rb, _ := qr["resultsBody"].(map[string]any)
		l, _ = rb["eventList"].([]any)
	}
	out := make([]map[string]any, 0, len(l))
	for _, v := range l {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

func readDoc(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if strings.HasSuffix(path, ".xml") {
		doc, err = epcisxml.Decode(strings.NewReader(string(b)))
	} else {
		doc, err = trace.Decode(b)
	}
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return doc
}

// comparable drops what the repository adds or may add to an event
// (recordTime, an eventID it computed, contexts) so that what was sent and
// what comes back can be compared value by value.
func comparable(ev map[string]any, keepID bool) map[string]any {
	b, _ := json.Marshal(ev)
	var m map[string]any
	_ = json.Unmarshal(b, &m) // numbers become float64: compared by value
	delete(m, "recordTime")
	delete(m, "@context")
	if !keepID {
		delete(m, "eventID")
	}
	return m
}

// queryBack finds each event of doc by its ID through the query interface
// and checks it is the event that was sent.
func queryBack(t *testing.T, ctx context.Context, db *store.DB, doc map[string]any) {
	t.Helper()
	ns := eventhash.NamespacesOf(doc)
	// An event that declares an error about an earlier event of the same
	// document is not a new event: it comes back merged into that one.
	type sentEvent struct {
		ev    map[string]any
		id    string
		given bool
	}
	var order []*sentEvent
	byID := map[string]*sentEvent{}
	for i, ev := range eventsIn(doc) {
		id, given := ev["eventID"].(string)
		if !given {
			var err error
			if id, err = eventhash.ID(ev, ns); err != nil {
				t.Fatalf("event %d: hash: %v", i, err)
			}
		}
		if earlier, ok := byID[id]; ok && ev["errorDeclaration"] != nil {
			merged := maps.Clone(earlier.ev)
			merged["errorDeclaration"] = ev["errorDeclaration"]
			earlier.ev = merged
			continue
		}
		se := &sentEvent{ev: ev, id: id, given: given}
		byID[id] = se
		order = append(order, se)
	}
	for i, se := range order {
		sent, id, given := se.ev, se.id, se.given
		q, err := trace.ParseQuery(url.Values{"EQ_eventID": {id}})
		if err != nil {
			t.Fatal(err)
		}
		page, err := q.Run(ctx, db, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := trace.Render(ctx, db, page.Events, trace.FormatNever)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("event %d (%s): query returned %d events", i, id, len(got))
		}
		back := comparable(got[0].(map[string]any), given)
		want := comparable(sent, given)
		if !reflect.DeepEqual(back, want) {
			a, _ := json.Marshal(want)
			b, _ := json.Marshal(back)
			t.Errorf("event %d came back different:\nsent %s\ngot  %s", i, a, b)
		}
	}
}

// captureTables are every table capture writes.
var captureTables = []string{"trace_edges", "epcis_event_fields", "epcis_event_nodes", "epcis_error_declarations", "epcis_events",
	"epcis_captures", "trace_nodes", "epcis_master_data", "epcis_master_children"}

// countStored counts the rows of every table capture writes: after a
// refusal there must be none.
func countStored(t *testing.T, db *store.DB) int {
	t.Helper()
	total := 0
	for _, table := range captureTables {
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// Every GS1 JSON-LD example captures and queries back to the same events.
// Each document is captured into an emptied store: some examples reuse one
// eventID for different events.
func TestGS1JSONExamplesRoundTrip(t *testing.T) {
	files := conformance.Files(t, "epcis/JSON/*.jsonld", "epcis/JSON/*/*.jsonld")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				emptyStore(t, db)
				doc := readDoc(t, f)
				job, err := trace.Capture(ctx, db, doc, trace.Options{})
				if err != nil {
					t.Fatalf("capture: %v", err)
				}
				if !job.Success || job.Events != len(eventsIn(doc)) {
					t.Fatalf("job %+v, want %d events", job, len(eventsIn(doc)))
				}
				queryBack(t, ctx, db, doc)
			})
		}
	})
}

func emptyStore(t *testing.T, db *store.DB) {
	t.Helper()
	for _, table := range captureTables {
		if _, err := db.Exec(context.Background(), "DELETE FROM "+table); err != nil {
			t.Fatal(err)
		}
	}
}

// xmlAgainstSchema are GS1 XML examples that GS1's own JSON schema refuses;
// Hallmark follows the schema, so they must be refused at the named place.
var xmlAgainstSchema = map[string]string{
	// persistentDisposition on an AggregationEvent: the schema allows it
	// only on Object and Transformation events (gs1/EPCIS commit 9d3a1fb).
	"Example-PersistentDisposition.xml": "/epcisBody/eventList/0",
	// sensor reports without a type, which the JSON schema requires.
	"SensorDataExamples.xml": "/epcisBody/eventList/8/sensorElementList/0/sensorReport/0",
}

// The XML binding's examples capture through the same path and come back as
// the events they say.
func TestGS1XMLExamplesRoundTrip(t *testing.T) {
	files := conformance.Files(t, "epcis/XML/*.xml", "epcis/XML/*/*.xml")
	for _, f := range files {
		if strings.Contains(f, "CaptureJob") {
			continue // capture-job reports, not documents
		}
		if b, _ := os.ReadFile(f); strings.Contains(string(b), "EPCISMasterDataDocument") {
			continue // master data only: no events to capture
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			doc := readDoc(t, f)
			db := storetest.SQLite(t)
			ctx := context.Background()
			_, err := trace.Capture(ctx, db, doc, trace.Options{})
			if at, ok := xmlAgainstSchema[filepath.Base(f)]; ok {
				var ve *trace.ValidationError
				if !asValidation(err, &ve) || ve.Problems[0].Pointer != at {
					t.Fatalf("capture: %v, want a refusal at %s", err, at)
				}
				if n := countStored(t, db); n != 0 {
					t.Fatalf("%d rows stored after a refusal", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("capture: %v", err)
			}
			queryBack(t, ctx, db, doc)
		})
	}
}

// Every deliberately invalid capture document is refused with a pointer to
// what is wrong, and nothing of it is stored.
func TestInvalidDocumentsAreRefused(t *testing.T) {
	files := conformance.Files(t, "openepcis-test-resources/JSON/Capture/Invalid/*.json", "openepcis-test-resources/JSON/Query/Invalid/*.json")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = trace.CaptureJSON(ctx, db, b, "")
			var ve *trace.ValidationError
			if !asValidation(err, &ve) {
				t.Errorf("%s: err = %v, want a validation error", filepath.Base(f), err)
				continue
			}
			if len(ve.Problems) == 0 || ve.Problems[0].Rule == "" {
				t.Errorf("%s: refusal names nothing: %v", filepath.Base(f), ve)
			}
			if n := countStored(t, db); n != 0 {
				t.Fatalf("%s: %d rows stored after a refusal", filepath.Base(f), n)
			}
		}
	})
}

func asValidation(err error, ve **trace.ValidationError) bool {
	if err == nil {
		return false
	}
	v, ok := err.(*trace.ValidationError)
	if ok {
		*ve = v
	}
	return ok
}

// Real data carries GS1 keys that break their own rules; capture keeps them
// as written, and refuses what is not a URI at all.
func TestMalformedKeysAreKeptNotRefused(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	doc := `{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
	"schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z", "epcisBody": {"eventList": [
	{"type": "ObjectEvent", "eventTime": "2026-11-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00", "action": "OBSERVE",
	 "epcList": ["urn:epc:id:sscc:08600031303.0003"]}]}}`
	if n, err := trace.CaptureJSON(ctx, db, []byte(doc), ""); err != nil || n != 1 {
		t.Fatalf("capture: %d, %v", n, err)
	}
	q, _ := trace.ParseQuery(url.Values{"MATCH_epc": {"urn:epc:id:sscc:08600031303.0003"}})
	page, err := q.Run(ctx, db, "")
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("query by the malformed key: %v, %v", page, err)
	}
	bad := strings.Replace(doc, "urn:epc:id:sscc:08600031303.0003", "not a uri", 1)
	_, err = trace.CaptureJSON(ctx, db, []byte(bad), "")
	var ve *trace.ValidationError
	if !asValidation(err, &ve) {
		t.Fatalf("a non-URI identifier was accepted: %v", err)
	}
}

// A pallet unpacked and reused in the same document carries the lot only
// while the lot was on it: a forward trace does not follow the pallet's
// later journey.
func TestUnpackedPalletDoesNotCarryTheLot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		lot := "https://id.hallmark.example/lot/F/P/L1"
		pallet := "urn:epc:id:sscc:0614141.1234567890"
		ev := func(typ, at, extra string) string {
			return `{"type": "` + typ + `", "eventTime": "` + at + `", "eventTimeZoneOffset": "+08:00"` + extra + `}`
		}
		doc := `{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
		"schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z", "epcisBody": {"eventList": [` +
			ev("AggregationEvent", "2026-10-01T08:00:00+08:00", `, "action": "ADD", "parentID": "`+pallet+`", "childQuantityList": [{"epcClass": "`+lot+`", "quantity": 5, "uom": "KGM"}]`) + `,` +
			ev("ObjectEvent", "2026-10-02T08:00:00+08:00", `, "action": "OBSERVE", "bizStep": "shipping", "epcList": ["`+pallet+`"], "destinationList": [{"type": "owning_party", "destination": "https://id.hallmark.example/party/A"}]`) + `,` +
			ev("AggregationEvent", "2026-10-03T08:00:00+08:00", `, "action": "DELETE", "parentID": "`+pallet+`", "childQuantityList": [{"epcClass": "`+lot+`", "quantity": 5, "uom": "KGM"}]`) + `,` +
			ev("ObjectEvent", "2026-10-05T08:00:00+08:00", `, "action": "OBSERVE", "bizStep": "shipping", "epcList": ["`+pallet+`"], "destinationList": [{"type": "owning_party", "destination": "https://id.hallmark.example/party/B"}]`) +
			`]}}`
		if _, err := trace.CaptureJSON(ctx, db, []byte(doc), ""); err != nil {
			t.Fatal(err)
		}
		ids, err := genealogy.NodeIDs(ctx, db, []string{lot})
		if err != nil {
			t.Fatal(err)
		}
		res, err := genealogy.Forward(ctx, db, []int64{ids[lot]}, genealogy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		reached := map[string]bool{}
		for _, n := range res.Nodes {
			reached[n.URI] = true
		}
		if !reached["https://id.hallmark.example/party/A"] || reached["https://id.hallmark.example/party/B"] {
			t.Fatalf("forward from the lot reached %v: want party A (pallet shipped while the lot was on it), not B", reached)
		}
	})
}

// Quantity parameters compare any element of the quantity lists.
func TestQuantityParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		doc := readDoc(t, conformance.Files(t, "epcis/JSON/Example_9.6.4-TransformationEvent.jsonld")[0])
		if _, err := trace.Capture(ctx, db, doc, trace.Options{}); err != nil {
			t.Fatal(err)
		}
		count := func(k, v string) int {
			q, err := trace.ParseQuery(url.Values{k: {v}})
			if err != nil {
				t.Fatal(err)
			}
			p, err := q.Run(ctx, db, "")
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Events)
		}
		// The example's inputs have quantities 10, 30 and 220.
		for _, c := range []struct{ k, v string }{{"GE_quantity", "220"}, {"GT_quantity", "220"}, {"EQ_quantity", "30"}, {"LT_quantity", "10"}, {"LE_quantity", "10"}} {
			want := map[string]int{"GE_quantity": 1, "GT_quantity": 0, "EQ_quantity": 1, "LT_quantity": 0, "LE_quantity": 1}[c.k]
			if got := count(c.k, c.v); got != want {
				t.Errorf("%s=%s: %d events, want %d", c.k, c.v, got, want)
			}
		}
		if _, err := trace.ParseQuery(url.Values{"GE_quantity": {"lots"}}); err == nil {
			t.Error("a quantity that is not a number was accepted")
		}
	})
}

// An error declaration supersedes an event without deleting it: the event
// is still returned, with its declaration, and its edges leave the trace;
// the corrective event's edges take their place.
func TestErrorDeclarationSupersedes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		lot := "https://id.hallmark.example/lot/F/P/L9"
		ship := func(id, to, extra string) string {
			return `{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
			"schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z", "epcisBody": {"eventList": [
			{"type": "ObjectEvent", "eventID": "` + id + `", "eventTime": "2026-10-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
			 "action": "OBSERVE", "bizStep": "shipping", "quantityList": [{"epcClass": "` + lot + `", "quantity": 5, "uom": "KGM"}],
			 "destinationList": [{"type": "owning_party", "destination": "https://id.hallmark.example/party/` + to + `"}]` + extra + `}]}}`
		}
		wrong, right := "urn:uuid:11111111-1111-4111-8111-111111111111", "urn:uuid:22222222-2222-4222-8222-222222222222"
		if _, err := trace.CaptureJSON(ctx, db, []byte(ship(wrong, "A", "")), ""); err != nil {
			t.Fatal(err)
		}
		decl := `, "errorDeclaration": {"declarationTime": "2026-10-02T08:00:00+08:00", "reason": "incorrect_data", "correctiveEventIDs": ["` + right + `"]}`
		if _, err := trace.CaptureJSON(ctx, db, []byte(ship(wrong, "A", decl)), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := trace.CaptureJSON(ctx, db, []byte(ship(right, "B", "")), ""); err != nil {
			t.Fatal(err)
		}
		q, _ := trace.ParseQuery(url.Values{"EQ_eventID": {wrong}})
		page, err := q.Run(ctx, db, "")
		if err != nil || len(page.Events) != 1 {
			t.Fatalf("the superseded event is gone: %v %v", page, err)
		}
		evs, err := trace.Render(ctx, db, page.Events, trace.FormatNever)
		if err != nil || evs[0].(map[string]any)["errorDeclaration"] == nil {
			t.Fatalf("the superseded event comes back without its declaration: %v %v", evs, err)
		}
		q, _ = trace.ParseQuery(url.Values{"EQ_errorReason": {"incorrect_data"}})
		if page, err := q.Run(ctx, db, ""); err != nil || len(page.Events) != 1 {
			t.Fatalf("EQ_errorReason: %v %v", page, err)
		}
		ids, _ := genealogy.NodeIDs(ctx, db, []string{lot})
		res, err := genealogy.Forward(ctx, db, []int64{ids[lot]}, genealogy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		reached := map[string]bool{}
		for _, n := range res.Nodes {
			reached[n.URI] = true
		}
		if reached["https://id.hallmark.example/party/A"] || !reached["https://id.hallmark.example/party/B"] {
			t.Fatalf("forward trace reached %v: want B (the corrective event), not A (the declared error)", reached)
		}
	})
}
