package epcisxml

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// doc wraps events in a 2.0 capture document.
func doc(ns, events string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" ` + ns + ` schemaVersion="2.0" creationDate="2024-01-02T03:04:05Z">
<EPCISBody><EventList>` + events + `</EventList></EPCISBody></epcis:EPCISDocument>`
}

func mustDecode(t *testing.T, s string) map[string]any {
	t.Helper()
	d, err := Decode(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func firstEvent(t *testing.T, d map[string]any) map[string]any {
	t.Helper()
	l := events(d)
	if len(l) == 0 {
		t.Fatal("no events")
	}
	return l[0].(map[string]any)
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The result is exactly what encoding/json with UseNumber gives for the same
// data: marshalled and read back it is deep-equal, types included.
func TestResultHasJSONShape(t *testing.T) {
	d := mustDecode(t, doc(`xmlns:ex="https://ex.example/"`, `<ObjectEvent>
		<eventTime>2024-01-02T03:04:05Z</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
		<epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList><action>ADD</action>
		<quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.998877</epcClass><quantity>+2.50</quantity><uom>KGM</uom></quantityElement></quantityList>
		<sensorElementList><sensorElement><sensorReport type="gs1:Temperature" value="-.5" booleanValue="true"/></sensorElement></sensorElementList>
		<ilmd><ex:a><ex:b>1</ex:b><ex:b>2</ex:b><ex:b>3</ex:b></ex:a></ilmd>
		</ObjectEvent>`))
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var back map[string]any
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, back) {
		t.Errorf("not the encoding/json shape:\n%#v\n%#v", d, back)
	}
	ev := firstEvent(t, d)
	q := ev["quantityList"].([]any)[0].(map[string]any)
	if q["quantity"] != json.Number("2.50") {
		t.Errorf("quantity %#v", q["quantity"])
	}
	r := ev["sensorElementList"].([]any)[0].(map[string]any)["sensorReport"].([]any)[0].(map[string]any)
	if r["value"] != json.Number("-0.5") || r["booleanValue"] != true || r["type"] != "Temperature" {
		t.Errorf("sensor report %s", asJSON(r))
	}
	if got := asJSON(ev["ilmd"]); got != `{"ex:a":{"ex:b":["1","2","3"]}}` {
		t.Errorf("ilmd %s", got)
	}
	if got := asJSON(d["@context"]); got != `["`+ContextURL+`",{"ex":"https://ex.example/"}]` {
		t.Errorf("@context %s", got)
	}
}

// Standard CBV values become the JSON schema's bare words whatever XML
// spelling they come in; other values stay as written.
func TestVocabularyValues(t *testing.T) {
	event := func(field string) string {
		return doc(`xmlns:cbv="https://ref.gs1.org/cbv/" xmlns:my="https://my.example/voc/"`, `<ObjectEvent>
		<eventTime>2024-01-02T03:04:05Z</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset>
		<epcList/><action>OBSERVE</action>`+field+`</ObjectEvent>`)
	}
	cases := []struct{ xml, key, want string }{
		{`<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>`, "bizStep", "shipping"},
		{`<bizStep>https://ref.gs1.org/cbv/BizStep-shipping</bizStep>`, "bizStep", "shipping"},
		{`<bizStep>https://gs1.org/voc/BizStep-shipping</bizStep>`, "bizStep", "shipping"},
		{`<bizStep>cbv:BizStep-shipping</bizStep>`, "bizStep", "shipping"},
		{`<bizStep>shipping</bizStep>`, "bizStep", "shipping"},
		{`<bizStep>urn:epcglobal:cbv:bizstep:sailing</bizStep>`, "bizStep", "urn:epcglobal:cbv:bizstep:sailing"},
		{`<bizStep>https://my.example/voc/sailing</bizStep>`, "bizStep", "https://my.example/voc/sailing"},
		{`<bizStep>my:sailing</bizStep>`, "bizStep", "my:sailing"},
		{`<disposition>urn:epcglobal:cbv:disp:in_transit</disposition>`, "disposition", "in_transit"},
		{`<disposition>https://ref.gs1.org/cbv/Disp-in_transit</disposition>`, "disposition", "in_transit"},
	}
	for _, c := range cases {
		ev := firstEvent(t, mustDecode(t, event(c.xml)))
		if ev[c.key] != c.want {
			t.Errorf("%s: got %v, want %s", c.xml, ev[c.key], c.want)
		}
	}
	ev := firstEvent(t, mustDecode(t, event(`
		<bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:desadv">urn:epcglobal:cbv:bt:0614141073467:1152</bizTransaction>
			<bizTransaction>http://transaction.acme.com/po/1</bizTransaction></bizTransactionList>
		<sourceList><source type="https://ref.gs1.org/cbv/SDT-owning_party">urn:epc:id:pgln:4012345.00225</source></sourceList>
		<destinationList><destination type="my:carrier">urn:epc:id:pgln:4012345.00226</destination></destinationList>
		<sensorElementList><sensorElement>
			<sensorReport type="https://gs1.org/voc/Temperature" exception="gs1:ALARM_CONDITION" component="cbv:Comp-latitude"/>
			<sensorReport type="gs1:EffectiveDoseRate" component="my:x"/>
		</sensorElement></sensorElementList>
		<persistentDisposition><set>urn:epcglobal:cbv:disp:completeness_verified</set><unset>cbv:Disp-completeness_inferred</unset></persistentDisposition>`)))
	want := map[string]string{
		"bizTransactionList":    `[{"bizTransaction":"urn:epcglobal:cbv:bt:0614141073467:1152","type":"desadv"},{"bizTransaction":"http://transaction.acme.com/po/1"}]`,
		"sourceList":            `[{"source":"urn:epc:id:pgln:4012345.00225","type":"owning_party"}]`,
		"destinationList":       `[{"destination":"urn:epc:id:pgln:4012345.00226","type":"my:carrier"}]`,
		"sensorElementList":     `[{"sensorReport":[{"component":"latitude","exception":"ALARM_CONDITION","type":"Temperature"},{"component":"my:x","type":"gs1:EffectiveDoseRate"}]}]`,
		"persistentDisposition": `{"set":["completeness_verified"],"unset":["completeness_inferred"]}`,
	}
	for k, w := range want {
		if got := asJSON(ev[k]); got != w {
			t.Errorf("%s:\n got %s\nwant %s", k, got, w)
		}
	}
	ed := firstEvent(t, mustDecode(t, event(`<errorDeclaration><declarationTime>2024-01-03T00:00:00Z</declarationTime>
		<reason>urn:epcglobal:cbv:er:incorrect_data</reason>
		<correctiveEventIDs><correctiveEventID>urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8</correctiveEventID></correctiveEventIDs>
		</errorDeclaration>`)))["errorDeclaration"]
	if got := asJSON(ed); got != `{"correctiveEventIDs":["urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"],"declarationTime":"2024-01-03T00:00:00Z","reason":"incorrect_data"}` {
		t.Errorf("errorDeclaration %s", got)
	}
}

// XML numbers are rewritten where JSON would not accept the spelling,
// without changing the value; what has no JSON form is refused.
func TestNumbers(t *testing.T) {
	var c conv
	n := &node{local: "quantity"}
	for in, want := range map[string]string{
		"150": "150", "+1.5": "1.5", ".5": "0.5", "-.5": "-0.5", "5.": "5", "007": "7",
		"26.0": "26.0", "1E3": "1E3", "-0": "-0", " 12 ": "12",
	} {
		got, ok := c.number(n, in)
		if !ok || string(got) != want {
			t.Errorf("%q: got %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "INF", "NaN", "1,5", "abc", ".", "1.5.2"} {
		if _, ok := c.number(n, in); ok {
			t.Errorf("%q accepted", in)
		}
	}
	if len(c.errs) != 7 || c.errs[0].Rule != RuleNumber {
		t.Errorf("refusals %v", c.errs)
	}
}

func refusal(t *testing.T, s string) fielderr.List {
	t.Helper()
	_, err := Decode(strings.NewReader(s))
	if err == nil {
		t.Fatal("accepted")
	}
	l, ok := fielderr.As(err)
	if !ok {
		t.Fatalf("not a field error list: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *Error: %T", err)
	}
	for _, fe := range l {
		if !strings.Contains(err.Error(), fe.Field+": "+fe.Rule) {
			t.Errorf("message %q does not name %s", err.Error(), fe.Field)
		}
	}
	return l
}

const okEvent = `<ObjectEvent><eventTime>2024-01-02T03:04:05Z</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action></ObjectEvent>`

// Refusals name the element path, counting same-named siblings.
func TestRefusalsNameTheElement(t *testing.T) {
	cases := []struct {
		name, xml, field, rule string
	}{
		{"unclosed", doc("", okEvent+okEvent+`<ObjectEvent><epcList><epc>x</epc>`),
			"EPCISBody/EventList/ObjectEvent[3]/epcList", RuleMalformed},
		{"mismatched end", doc("", okEvent+`<ObjectEvent><epcList></action></ObjectEvent>`),
			"EPCISBody/EventList/ObjectEvent[2]/epcList", RuleMalformed},
		{"not XML", "hello", "document", RuleMalformed},
		{"undeclared prefix", doc("", `<ObjectEvent><x:y/></ObjectEvent>`),
			"EPCISBody/EventList/ObjectEvent/x:y", RuleMalformed},
		{"unknown event", doc("", okEvent+`<QuantityEvent/>`),
			"EPCISBody/EventList/QuantityEvent", RuleUnknownElement},
		{"unknown field", doc("", okEvent+okEvent+`<ObjectEvent><epcList><epc>a</epc><ecp>b</ecp></epcList></ObjectEvent>`),
			"EPCISBody/EventList/ObjectEvent[3]/epcList/ecp", RuleUnknownElement},
		{"unknown attribute", doc("", `<ObjectEvent><bizTransactionList><bizTransaction kind="po">x</bizTransaction></bizTransactionList></ObjectEvent>`),
			"EPCISBody/EventList/ObjectEvent/bizTransactionList/bizTransaction", RuleUnknownAttribute},
		{"bad number", doc("", `<ObjectEvent><quantityList><quantityElement><epcClass>c</epcClass><quantity>many</quantity></quantityElement></quantityList></ObjectEvent>`),
			"EPCISBody/EventList/ObjectEvent/quantityList/quantityElement/quantity", RuleNumber},
		{"bad boolean", doc("", `<ObjectEvent><sensorElementList><sensorElement><sensorReport type="gs1:Count" booleanValue="yes"/></sensorElement></sensorElementList></ObjectEvent>`),
			"EPCISBody/EventList/ObjectEvent/sensorElementList/sensorElement/sensorReport", RuleBoolean},
		{"repeated field", doc("", `<ObjectEvent><bizStep>shipping</bizStep><bizStep>receiving</bizStep></ObjectEvent>`),
			"EPCISBody/EventList/ObjectEvent/bizStep[2]", RuleRepeated},
		{"too deep", doc(`xmlns:ex="http://ex.example/"`, `<ObjectEvent>`+strings.Repeat("<ex:a>", 100)+strings.Repeat("</ex:a>", 100)+`</ObjectEvent>`),
			"EPCISBody/EventList/ObjectEvent" + strings.Repeat("/ex:a", 97), RuleMalformed},
		{"capture job", `<epcis:EPCISCaptureJob xmlns:epcis="urn:epcglobal:epcis:xsd:2" running="true" success="true" captureID="1"/>`,
			"EPCISCaptureJob", RuleRoot},
		{"wrong namespace", `<EPCISDocument xmlns="urn:example"/>`, "EPCISDocument", RuleRoot},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := refusal(t, c.xml)
			if l[0].Field != c.field || l[0].Rule != c.rule {
				t.Errorf("got %s %s, want %s %s", l[0].Field, l[0].Rule, c.field, c.rule)
			}
		})
	}
}

// An EPCIS 1.2 document, with the fields added after 1.0 inside
// <extension> and <baseExtension> and TransformationEvent wrapped in the
// event list's <extension>, reads as its 2.0 equivalent.
func TestEPCIS12Extensions(t *testing.T) {
	d := mustDecode(t, `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:ex="http://ex.example/"
		schemaVersion="1.2" creationDate="2016-01-01T00:00:00Z"><EPCISBody><EventList>
		<ObjectEvent><eventTime>2016-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
			<baseExtension><eventID>urn:uuid:1</eventID>
				<errorDeclaration><declarationTime>2016-01-02T00:00:00Z</declarationTime><reason>urn:epcglobal:cbv:er:did_not_occur</reason></errorDeclaration></baseExtension>
			<epcList/><action>ADD</action>
			<extension><quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.1</epcClass><quantity>3</quantity></quantityElement></quantityList>
				<ilmd><ex:lot>L1</ex:lot><extension><ex:grade>A</ex:grade></extension></ilmd></extension>
			<ex:note>n</ex:note></ObjectEvent>
		<extension><TransformationEvent><eventTime>2016-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
			<inputEPCList><epc>urn:epc:id:sgtin:4012345.011122.25</epc></inputEPCList></TransformationEvent></extension>
		</EventList></EPCISBody></epcis:EPCISDocument>`)
	if d["schemaVersion"] != "2.0" {
		t.Errorf("schemaVersion %v", d["schemaVersion"])
	}
	got := asJSON(events(d))
	want := `[{"action":"ADD","epcList":[],"errorDeclaration":{"declarationTime":"2016-01-02T00:00:00Z","reason":"did_not_occur"},` +
		`"eventID":"urn:uuid:1","eventTime":"2016-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","ex:note":"n",` +
		`"ilmd":{"ex:grade":"A","ex:lot":"L1"},"quantityList":[{"epcClass":"urn:epc:class:lgtin:4012345.012345.1","quantity":3}],"type":"ObjectEvent"},` +
		`{"eventTime":"2016-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","inputEPCList":["urn:epc:id:sgtin:4012345.011122.25"],"type":"TransformationEvent"}]`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// User extensions: attributes become properties, text beside attributes
// goes to "#text", unqualified children keep their bare names, a default
// namespace gets a made-up prefix, and a prefix reused for another
// namespace is renamed so each CURIE expands to its own namespace.
func TestUserExtensions(t *testing.T) {
	d := mustDecode(t, doc(`xmlns:ex="http://ex.example/a"`, `<ObjectEvent xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
		<eventTime>2024-01-02T03:04:05Z</eventTime><eventTimeZoneOffset>+01:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action>
		<ex:weight ex:unit="KGM" scale="2" xsi:type="xsd:decimal">3.5</ex:weight>
		<ex:box><inner>v</inner><inner/></ex:box>
		<plain xmlns="http://default.example/">d</plain>
		<ex:other xmlns:ex="http://ex.example/b">o</ex:other>
		</ObjectEvent>`))
	ev := firstEvent(t, d)
	want := map[string]string{
		"ex:weight": `{"#text":"3.5","ex:unit":"KGM","scale":"2"}`,
		"ex:box":    `{"inner":["v",""]}`,
		"ns:plain":  `"d"`,
		"ex2:other": `"o"`,
	}
	for k, w := range want {
		if got := asJSON(ev[k]); got != w {
			t.Errorf("%s: got %s, want %s", k, got, w)
		}
	}
	if got := asJSON(d["@context"]); got != `["`+ContextURL+`",{"ex":"http://ex.example/a"},{"ns":"http://default.example/"},{"ex2":"http://ex.example/b"}]` {
		t.Errorf("@context %s", got)
	}
}

// A query document's results, the SBDH's sender, receiver and instance
// identifier, and header master data land where the JSON binding has them.
func TestQueryDocumentAndHeader(t *testing.T) {
	q := mustDecode(t, `<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" schemaVersion="2.0" creationDate="2024-01-02T03:04:05Z">
		<EPCISBody><QueryResults><queryName>SimpleEventQuery</queryName><subscriptionID>s1</subscriptionID>
		<resultsBody><EventList>`+okEvent+`</EventList></resultsBody></QueryResults></EPCISBody></epcisq:EPCISQueryDocument>`)
	body := asJSON(q["epcisBody"])
	if q["type"] != "EPCISQueryDocument" || !strings.HasPrefix(body, `{"queryResults":{"queryName":"SimpleEventQuery","resultsBody":{"eventList":[{`) ||
		!strings.HasSuffix(body, `}]},"subscriptionID":"s1"}}`) {
		t.Errorf("%v %s", q["type"], body)
	}
	d := mustDecode(t, `<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" xmlns:sbdh="http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
		xmlns:ex="http://ex.example/" schemaVersion="2.0" creationDate="2024-01-02T03:04:05Z">
		<EPCISHeader><sbdh:StandardBusinessDocumentHeader><sbdh:HeaderVersion>1.0</sbdh:HeaderVersion>
			<sbdh:Sender><sbdh:Identifier Authority="SGLN">urn:epc:id:sgln:0353579.00001.0</sbdh:Identifier></sbdh:Sender>
			<sbdh:Receiver><sbdh:Identifier Authority="SGLN">urn:epc:id:sgln:5012345.00001.0</sbdh:Identifier></sbdh:Receiver>
			<sbdh:DocumentIdentification><sbdh:InstanceIdentifier>1234567890</sbdh:InstanceIdentifier></sbdh:DocumentIdentification>
		</sbdh:StandardBusinessDocumentHeader>
		<extension><EPCISMasterData><VocabularyList><Vocabulary type="urn:epcglobal:epcis:vtype:BusinessLocation">
			<VocabularyElementList><VocabularyElement id="urn:epc:id:sgln:0037000.00729.0">
				<attribute id="urn:epcglobal:cbv:mda#name">Plant</attribute>
				<attribute id="http://ex.example/addr"><ex:street>Main</ex:street></attribute>
				<children><id>urn:epc:id:sgln:0037000.00729.8201</id></children>
			</VocabularyElement></VocabularyElementList></Vocabulary></VocabularyList></EPCISMasterData></extension>
		</EPCISHeader><EPCISBody><EventList/></EPCISBody></epcis:EPCISDocument>`)
	if d["sender"] != "urn:epc:id:sgln:0353579.00001.0" || d["receiver"] != "urn:epc:id:sgln:5012345.00001.0" || d["instanceIdentifier"] != "1234567890" {
		t.Errorf("SBDH: %v %v %v", d["sender"], d["receiver"], d["instanceIdentifier"])
	}
	want := `{"epcisMasterData":{"vocabularyList":[{"type":"urn:epcglobal:epcis:vtype:BusinessLocation","vocabularyElementList":[` +
		`{"attributes":[{"attribute":"Plant","id":"urn:epcglobal:cbv:mda#name"},{"attribute":{"ex:street":"Main"},"id":"http://ex.example/addr"}],` +
		`"children":["urn:epc:id:sgln:0037000.00729.8201"],"id":"urn:epc:id:sgln:0037000.00729.0"}]}]}}`
	if got := asJSON(d["epcisHeader"]); got != want {
		t.Errorf("header\n got %s\nwant %s", got, want)
	}
}

// Byte order marks and ISO-8859-1 documents read like UTF-8 ones.
func TestEncodings(t *testing.T) {
	bom := "\xef\xbb\xbf" + doc(`xmlns:ex="http://ex.example/"`, `<ObjectEvent><ex:city>Köln</ex:city></ObjectEvent>`)
	if got := firstEvent(t, mustDecode(t, bom))["ex:city"]; got != "Köln" {
		t.Errorf("BOM: %v", got)
	}
	latin1 := strings.Replace(doc(`xmlns:ex="http://ex.example/"`, "<ObjectEvent><ex:city>K\xf6ln</ex:city></ObjectEvent>"),
		`encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	if got := firstEvent(t, mustDecode(t, latin1))["ex:city"]; got != "Köln" {
		t.Errorf("ISO-8859-1: %v", got)
	}
	l := refusal(t, strings.Replace(doc("", ""), `encoding="UTF-8"`, `encoding="EBCDIC"`, 1))
	if l[0].Rule != RuleMalformed {
		t.Errorf("unknown encoding: %v", l)
	}
}
