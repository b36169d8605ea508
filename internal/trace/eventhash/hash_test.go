package eventhash

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// event decodes one JSON event as the capture path does.
func event(t testing.TB, js string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(js))
	d.UseNumber()
	var ev map[string]any
	if err := d.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

const shipping = `{
  "type": "ObjectEvent",
  "eventTime": "2005-04-03T20:33:31.116-06:00",
  "eventTimeZoneOffset": "-06:00",
  "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
  "action": "OBSERVE",
  "bizStep": %BIZSTEP%,
  "disposition": "in_transit",
  "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
  "bizTransactionList": [{"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"}]
  %MORE%
}`

func shippingEvent(t testing.TB, bizStep, more string) map[string]any {
	js := strings.NewReplacer("%BIZSTEP%", bizStep, "%MORE%", more).Replace(shipping)
	return event(t, js)
}

var exampleNS = Namespaces{"example": "https://ns.example.com/epcis/"}

func mustID(t *testing.T, ev map[string]any, ns Namespaces) string {
	t.Helper()
	id, err := ID(ev, ns)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The same event in any spelling of its vocabulary and identifiers, and with
// any order of its lists, has one ID; fields outside the hash do not change
// it; any change of content does.
func TestIDSameEvent(t *testing.T) {
	base := mustID(t, shippingEvent(t, `"shipping"`, ""), exampleNS)
	if !strings.HasPrefix(base, "ni:///sha-256;") || !strings.HasSuffix(base, "?ver=CBV2.0") || len(base) != len("ni:///sha-256;?ver=CBV2.0")+64 {
		t.Fatalf("ID %q is not ni:///sha-256;<64 hex>?ver=CBV2.0", base)
	}
	same := map[string]map[string]any{
		"URN bizStep":     shippingEvent(t, `"urn:epcglobal:cbv:bizstep:shipping"`, ""),
		"Web URI bizStep": shippingEvent(t, `"https://ref.gs1.org/cbv/BizStep-shipping"`, ""),
		"CURIE bizStep":   shippingEvent(t, `"cbv:BizStep-shipping"`, ""),
		"padded bizStep":  shippingEvent(t, `"  shipping "`, ""),
		"bookkeeping": shippingEvent(t, `"shipping"`, `, "eventID": "urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8",
			"recordTime": "2023-06-02T07:03:16.073Z", "rdfs:comment": "seen at the dock",
			"errorDeclaration": {"declarationTime": "2020-01-15T00:00:00.000+01:00", "reason": "incorrect_data"}`),
		"null field": shippingEvent(t, `"shipping"`, `, "bizLocation": null`),
	}
	reordered := shippingEvent(t, `"shipping"`, "")
	reordered["epcList"] = []any{"https://id.gs1.org/01/10614141073464/21/2018", "urn:epc:id:sgtin:0614141.107346.2017"}
	reordered["eventTime"] = "2005-04-04T02:33:31.116Z"
	same["Digital Link, other order, UTC"] = reordered
	for name, ev := range same {
		if id := mustID(t, ev, exampleNS); id != base {
			t.Errorf("%s: ID %s, want %s", name, id, base)
		}
	}

	differ := map[string]map[string]any{
		"bizStep":                              shippingEvent(t, `"receiving"`, ""),
		"unknown bizStep term kept as written": shippingEvent(t, `"Shipping"`, ""),
		"extension":                            shippingEvent(t, `"shipping"`, `, "example:myField": "myValue"`),
		"extension value":                      shippingEvent(t, `"shipping"`, `, "example:myField": "myValue2"`),
		"bizLocation":                          shippingEvent(t, `"shipping"`, `, "bizLocation": {"id": "urn:epc:id:sgln:0614141.07346.0"}`),
	}
	seen := map[string]string{base: "base"}
	for name, ev := range differ {
		id := mustID(t, ev, exampleNS)
		if other, dup := seen[id]; dup {
			t.Errorf("%s: same ID as %s", name, other)
		}
		seen[id] = name
	}
}

// Extensions are written as {namespace}local, nested ones after their
// parent's standard fields; user CURIE values stay as written, GS1 ones are
// expanded; bare terms expand only in the fields the EPCIS context types.
func TestPreHashExtensions(t *testing.T) {
	ev := event(t, `{
	  "type": "ObjectEvent",
	  "eventTime": "2021-04-01T15:00:00+01:00",
	  "eventTimeZoneOffset": "+01:00",
	  "action": "OBSERVE",
	  "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0", "example:gate": "7", "note": "x"},
	  "sensorElementList": [{
	    "sensorMetadata": {"time": "2021-04-01T14:00:00.5Z", "example:probe": "A"},
	    "sensorReport": [
	      {"type": "Temperature", "value": 21.50, "uom": "CEL", "component": "x"},
	      {"type": "example:Smell", "stringValue": "shipping", "exception": "gs1:ALARM_CONDITION"}
	    ]
	  }],
	  "ilmd": {"example:bestBefore": "2021-05-01", "cbvmda:lotNumber": "L1"},
	  "example:user": {"example:b": "2", "example:a": "1"}
	}`)
	got, err := PreHash(ev, exampleNS)
	if err != nil {
		t.Fatal(err)
	}
	want := "eventType=ObjectEvent" +
		"eventTime=2021-04-01T14:00:00.000ZeventTimeZoneOffset=+01:00action=OBSERVE" +
		"readPointid=https://id.gs1.org/414/4012345000054{https://ns.example.com/epcis/}gate=7" +
		"sensorElementListsensorElement" +
		"sensorMetadatatime=2021-04-01T14:00:00.500Z{https://ns.example.com/epcis/}probe=A" +
		"sensorReporttype=example:Smellexception=https://gs1.org/voc/ALARM_CONDITIONstringValue=shipping" +
		"sensorReporttype=https://gs1.org/voc/Temperaturevalue=21.5component=https://ref.gs1.org/cbv/Comp-xuom=CEL" +
		// what the order does not name comes after, sorted as whole strings:
		// the unknown readPoint member repeats its parent there
		"ilmd{https://ns.example.com/epcis/}bestBefore=2021-05-01{urn:epcglobal:cbv:mda:}lotNumber=L1" +
		"readPointnote=x" +
		"{https://ns.example.com/epcis/}user{https://ns.example.com/epcis/}a=1{https://ns.example.com/epcis/}b=2"
	if got != want {
		t.Errorf("pre-hash\n got %s\nwant %s", got, want)
	}
}

// Document-level ignoreFields leave the listed fields out, whatever prefix
// spells their namespace.
func TestIgnoredFields(t *testing.T) {
	doc := map[string]any{
		"@context": []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
			map[string]any{"example": "https://ns.example.com/epcis/", "ex": "https://ns.example.com/epcis/",
				"repo": "https://repository-x.example.com/"}},
		"repo:ignoreFields": []any{"ex:captureID"},
		"epcisBody": map[string]any{"eventList": []any{
			shippingEvent(t, `"shipping"`, `, "example:captureID": "cc90bbe4"`),
			shippingEvent(t, `"shipping"`, `, "example:other": "cc90bbe4"`),
		}},
	}
	ids, err := DocumentIDs(doc)
	if err != nil {
		t.Fatal(err)
	}
	plain := mustID(t, shippingEvent(t, `"shipping"`, ""), exampleNS)
	if ids[0] != plain {
		t.Errorf("ignored field changed the ID: %s, want %s", ids[0], plain)
	}
	if ids[1] == plain {
		t.Error("a field not listed in ignoreFields was left out")
	}
	// Without the document's list the field counts.
	if id := mustID(t, shippingEvent(t, `"shipping"`, `, "example:captureID": "cc90bbe4"`), exampleNS); id == plain {
		t.Error("PreHash without ignore list left the field out")
	}
}

func TestRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		ev    map[string]any
		field string
		rule  string
	}{
		"no type":     {map[string]any{"eventTime": "2021-04-01T15:00:00+01:00"}, "type", RuleEventType},
		"blank type":  {map[string]any{"type": " "}, "type", RuleEventType},
		"odd value":   {map[string]any{"type": "ObjectEvent", "action": struct{}{}}, "action", RuleValue},
		"odd in list": {map[string]any{"type": "ObjectEvent", "bizTransactionList": []any{map[string]any{"bizTransaction": []string{"x"}}}}, "bizTransactionList", RuleValue},
	} {
		_, err := ID(c.ev, nil)
		l, ok := fielderr.As(err)
		if !ok || len(l) != 1 || l[0].Field != c.field || l[0].Rule != c.rule {
			t.Errorf("%s: error %v, want %s on %s", name, err, c.rule, c.field)
		}
	}
	doc := map[string]any{"epcisBody": map[string]any{"eventList": []any{
		map[string]any{"type": "ObjectEvent"}, map[string]any{"action": "ADD"},
	}}}
	_, err := DocumentIDs(doc)
	if l, ok := fielderr.As(err); !ok || l[0].Field != "epcisBody.eventList[1].type" {
		t.Errorf("DocumentIDs error %v, want one on epcisBody.eventList[1].type", err)
	}
}

// DocumentIDs gives the vector's hashes for a whole query document.
func TestDocumentIDs(t *testing.T) {
	dir := vectorDir(t)
	doc := loadJSON(t, filepath.Join(dir, "epcisQueryDocHavingEventWithIgnoreFields.jsonld"))
	ids, err := DocumentIDs(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := readLines(t, filepath.Join(dir, "epcisQueryDocHavingEventWithIgnoreFields.hashes"))
	if strings.Join(ids, "\n") != strings.Join(want, "\n") {
		t.Errorf("DocumentIDs\n got %v\nwant %v", ids, want)
	}
}

// BenchmarkID hashes a typical ObjectEvent: two SGTINs, a read point and a
// business location, a business transaction, a source and a destination, an
// extension.
func BenchmarkID(b *testing.B) {
	doc := loadJSON(b, filepath.Join(vectorDir(b), "epcisDocWithVariousEventTypes.jsonld"))
	ev := Events(doc)[1]
	ev["epcList"] = []any{"urn:epc:id:sgtin:4012345.011111.9876", "urn:epc:id:sgtin:4012345.011111.9877"}
	ev["bizLocation"] = map[string]any{"id": "urn:epc:id:sgln:4012345.00012.0"}
	ev["example:lot"] = "L-2024-05"
	ns := NamespacesOf(doc)
	if _, err := ID(ev, ns); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(ev)
	b.Logf("event: %s", buf.String())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ID(ev, ns); err != nil {
			b.Fatal(err)
		}
	}
}

// Hashing reuses working memory between calls; events of every shape, hashed
// from many goroutines at once, must still give their own IDs.
func TestIDConcurrent(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectorDir(t), "*.jsonld"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no JSON-LD vectors: %v", err)
	}
	type job struct {
		ev   map[string]any
		ns   Namespaces
		want string
	}
	var jobs []job
	for _, f := range files {
		doc := loadJSON(t, f)
		ns := NamespacesOf(doc)
		for _, ev := range Events(doc) {
			jobs = append(jobs, job{ev, ns, mustID(t, ev, ns)})
		}
	}
	errs := make(chan string, 8)
	for g := range 8 {
		go func() {
			for i := range 20 * len(jobs) {
				j := jobs[(i*7+g)%len(jobs)]
				if id, err := ID(j.ev, j.ns); err != nil || id != j.want {
					errs <- fmt.Sprintf("goroutine %d: %s, want %s (%v)", g, id, j.want, err)
					return
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}
