package epcisxml

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/conformance"
)

// A twin is an XML example and the JSON-LD example(s) GS1 wrote of the same
// events. The decoded events must equal the JSON ones; where the upstream
// files themselves say different things, the difference is listed with the
// reason, and each listed difference must still occur (so the list cannot
// silently cover more than it says).
type twin struct {
	xml      string   // under conformance/epcis/XML
	json     []string // under conformance/epcis/JSON; their events in order
	undouble bool     // the JSON has GS1's doubled nested objects (see undouble)
	known    []upstream
}

type upstream struct {
	diff   string // regular expression over semanticDiff lines
	reason string
}

// GS1 gave most JSON examples eventIDs (hash IDs or UUIDs) their XML
// versions lack.
var jsonOnlyEventIDs = upstream{`^events/\d+/eventID: only in JSON$`, "the JSON example adds eventIDs"}

// allFields is what the WithFullCombinationOfFields JSON files add to their
// XML versions.
var allFields = []upstream{
	jsonOnlyEventIDs,
	{`^events/0/(certificationInfo|errorDeclaration): only in JSON$`, "the JSON example adds certificationInfo and errorDeclaration"},
}

var gs1Twins = []twin{
	{xml: "WithFullCombinationOfFields/aggregation_event_all_possible_fields.xml",
		json: []string{"WithFullCombinationOfFields/aggregation_event_all_possible_fields.jsonld"}, undouble: true,
		known: append(allFields[:2:2],
			upstream{`^events/0/sensorElementList/0/sensorReport/0/component: "example:x" vs "cbv:Comp-latitude"$`, "the files name different components"})},
	{xml: "WithFullCombinationOfFields/association_event_all_possible_fields.xml",
		json: []string{"WithFullCombinationOfFields/association_event_all_possible_fields.jsonld"}, undouble: true, known: allFields},
	{xml: "WithFullCombinationOfFields/transaction_event_all_possible_fields.xml",
		json: []string{"WithFullCombinationOfFields/transaction_event_all_possible_fields.jsonld"}, undouble: true, known: allFields},
	{xml: "WithFullCombinationOfFields/transformation_event_all_possible_fields.xml",
		json: []string{"WithFullCombinationOfFields/transformation_event_all_possible_fields.jsonld"}, undouble: true,
		known: append(allFields[:2:2],
			upstream{`^events/0/ilmd/cbvmda:(drainedWeight|grossWeight|netWeight): object vs string$`,
				`the JSON drops measurementUnitCode="KGM"; decoded as {"measurementUnitCode": "KGM", "#text": "3.5"}`})},
	{xml: "WithFullCombinationOfFields/object_event_all_possible_fields.xml",
		json: []string{"WithFullCombinationOfFields/object_event_all_possible_fields.jsonld"}, undouble: true,
		known: append(allFields[:2:2],
			upstream{`^events/0/action: "OBSERVE" vs "ADD"$`, "the files disagree on the action"},
			upstream{`^events/0/(sensorElementList/0/)?(ext1:[a-z]+|ilmd): only in JSON$`, "the XML leaves out most of the extension fields and the ILMD"},
			upstream{`^events/0/sensorElementList/0/ext1:object/ext2:array: string "11" vs`, "the XML has one ext2:array element, the JSON three"})},
	{xml: "WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.xml",
		json: []string{"WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld"},
		known: []upstream{
			{`^events/[01]/inputQuantityList/0/(quantity|uom): only in JSON$`, `the XML has <quantity xsi:nil="true"/>, the JSON 500 KGM`},
			{`^events/[01]/readPoint/id: `, "the files name different read points"},
		}},
	{xml: "Example_9.6.1-ObjectEvent-2020_06_18a.xml", json: []string{"Example_9.6.1-ObjectEvent.jsonld"},
		known: []upstream{jsonOnlyEventIDs}},
	{xml: "Example-TransactionEvent-2020_07_03y.xml", json: []string{"Example-TransactionEvents-2020_07_03y.jsonld"},
		known: []upstream{
			{`^events/1/rail:vehicle/1/rail:vehicleMasterGIAI: only in XML$`, "the JSON drops the empty <rail:vehicleMasterGIAI/>; decoded as \"\""},
			{`^events/1/rail:vehicle/2/rail:vehicleUniquelyIdentified: string "true" vs bool true$`, "the JSON writes one of three such flags as a boolean; XML text stays a string"},
		}},
	{xml: "AssociationEvent/AssociationEventExamples.xml",
		json: []string{"AssociationEvent/AssociationEvent-a.jsonld", "AssociationEvent/AssociationEvent-b.jsonld",
			"AssociationEvent/AssociationEvent-c.jsonld", "AssociationEvent/AssociationEvent-d.jsonld",
			"AssociationEvent/AssociationEvent-e.jsonld", "AssociationEvent/AssociationEvent-f.jsonld",
			"AssociationEvent/AssociationEvent-g.jsonld", "AssociationEvent/AssociationEvent-h.jsonld"},
		known: []upstream{jsonOnlyEventIDs,
			{`^events/6/errorDeclaration/correctiveEventIDs/0: "urn:uuid:`, "the files name the corrective event differently"}}},
	{xml: "WithSensorData/SensorDataExamples.xml",
		json: sensorExamples(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15),
		known: []upstream{jsonOnlyEventIDs,
			{`^events/3/sensorElementList/0/sensorReport/\d/rawData: `, "the JSON gives each report its own rawData"},
			{`^events/5/(epcList: 0 items vs 1|quantityList: only in JSON)$`, "the JSON example has objects the XML case lacks"},
			{`^events/[57]/sensorElementList/[01]/example:furtherSensorData: object vs \[\]interface \{\}$`,
				"examples 6 and 8 write two child elements as an array of one-key objects; example 12 writes the same XML as one object, as decoded"},
			{`^events/6/sensorElementList/0/sensorReport/4/hexBinaryValue: "f0f0f0" vs "F0F0F0"$`, "the files differ in letter case"},
			{`^events/7/childEPCs: only in XML$`, "the JSON leaves out the child EPCs"},
			{`^events/7/sensorElementList/0/sensorReport/[12]/type: "gs1:Molar_concentration" vs "AmountOfSubstancePerUnitVolume"$`, "the XML uses a type the GS1 vocabulary does not have"},
			{`^events/8/sensorElementList/0/sensorReport/[01]/type: only in JSON$`, "the XML alert reports have no type"},
			{`^events/9/sensorElementList/0/sensorReport/\d/component: "example:[xyz]" vs "[xyz]"$`, "the XML uses user components, the JSON the CBV ones"},
			{`^events/9/sensorElementList/0/sensorReport/\d/ex:feature: only in JSON$`, "the JSON adds a user property"},
			{`^events/10/sensorElementList/0/sensorReport/0/type: "gs1:EffectiveDoseRate" vs "DoseEquivalentRate"$`, "the XML uses a type the GS1 vocabulary does not have"},
			{`^events/11/(bizLocation/|readPoint/)?example(2)?:(gs1ES|furtherData): only in XML$`, "the JSON leaves out some extensions"},
			{`^events/11/errorDeclaration/example:field: object vs string$`, "the JSON has text \"foo bar\" where the XML has an attribute"},
			{`^events/1[23]/bizStep: "https://ref.gs1.org/cbv/Bizstep-sensor_reporting" vs "sensor_reporting"$`, "the XML misspells BizStep, so the URI is not the CBV one and stays as written"},
		}},
}

func sensorExamples(n ...int) []string {
	var out []string
	for _, i := range n {
		out = append(out, "WithSensorData/SensorDataExample"+strconv.Itoa(i)+".jsonld")
	}
	return out
}

func checkTwin(t *testing.T, xmlPath string, jsonPaths []string, doubled bool, known []upstream) {
	t.Helper()
	doc, err := decodeFile(t, xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	var want []any
	for _, p := range jsonPaths {
		want = append(want, events(readJSON(t, p))...)
	}
	if doubled {
		undouble(want)
	}
	res := make([]*regexp.Regexp, len(known))
	used := make([]bool, len(known))
	for i, k := range known {
		res[i] = regexp.MustCompile(k.diff)
	}
	for _, d := range semanticDiff("events", events(doc), want) {
		explained := false
		for i, re := range res {
			if re.MatchString(d) {
				explained, used[i] = true, true
			}
		}
		if !explained {
			t.Error(d)
		}
	}
	for i, u := range used {
		if !u {
			t.Errorf("listed upstream difference no longer occurs: %s (%s)", known[i].diff, known[i].reason)
		}
	}
}

func TestGS1Twins(t *testing.T) {
	base := filepath.Join(conformance.Dir(t), "epcis")
	listed := map[string]bool{}
	for _, tw := range gs1Twins {
		listed[tw.xml] = true
		t.Run(tw.xml, func(t *testing.T) {
			var js []string
			for _, j := range tw.json {
				js = append(js, filepath.Join(base, "JSON", j))
			}
			checkTwin(t, filepath.Join(base, "XML", tw.xml), js, tw.undouble, tw.known)
		})
	}
	// Every XML example with a same-named JSON-LD file is in the table.
	for _, p := range xmlFiles(t, filepath.Join(base, "XML")) {
		rel, _ := filepath.Rel(filepath.Join(base, "XML"), p)
		j := filepath.Join(base, "JSON", strings.TrimSuffix(rel, ".xml")+".jsonld")
		if _, err := os.Stat(j); err == nil && !listed[rel] {
			t.Errorf("%s has a JSON twin not compared", rel)
		}
	}
}

// The event-hash vectors' XML and JSON-LD twins describe the same events
// and must hash alike, so they must decode to the same events, exactly.
func TestEventHashTwins(t *testing.T) {
	dir := filepath.Join(conformance.Dir(t), "epcis-event-hash")
	pairs := 0
	for _, p := range xmlFiles(t, dir) {
		j := strings.TrimSuffix(p, ".xml") + ".jsonld"
		if _, err := os.Stat(j); err != nil {
			continue
		}
		pairs++
		t.Run(filepath.Base(p), func(t *testing.T) {
			checkTwin(t, p, []string{j}, false, nil)
		})
	}
	if pairs < 10 {
		t.Errorf("only %d XML/JSON-LD pairs", pairs)
	}
}
