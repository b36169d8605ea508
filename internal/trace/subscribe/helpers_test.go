package subscribe

import (
	"encoding/json"
	"strings"
	"testing"
)

func decodeAny(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// eventDoc is an EPCIS document of one ObjectEvent observing the item with
// serial at bizStep.
func eventDoc(serial, bizStep string) []byte {
	return []byte(`{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
		"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-29T08:00:00Z",
		"epcisBody": {"eventList": [{"type": "ObjectEvent", "eventID": "urn:uuid:` + serial + `",
			"eventTime": "2026-11-28T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",
			"epcList": ["https://id.gs1.org/01/09521141012345/21/` + serial + `"], "action": "OBSERVE", "bizStep": "` + bizStep + `"}]}}`)
}
