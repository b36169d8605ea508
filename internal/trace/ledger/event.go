package ledger

import (
	"encoding/json"
	"time"

	"github.com/hallmark-platform/hallmark/internal/trace"
)

// epcisContext is the standard JSON-LD context of EPCIS 2.0 documents.
const epcisContext = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

// chinaOffset is the offset every ledger date is counted in.
const chinaOffset = "+08:00"

// EventIDOf is the eventID of an entry's EPCIS event.
func EventIDOf(entryID string) string { return "urn:uuid:" + entryID }

// Event is an entry as an EPCIS 2.0 ObjectEvent (traceability.md §8.1).
// It is built from the stored entry alone, so building it again gives the
// same event, and capturing it again changes nothing. The event happens at
// the start of the entry's date in China: the books record the day, not the
// hour.
func Event(e Entry) map[string]any {
	own := trace.PartyURI(e.EnterpriseUSCC, e.EnterpriseName)
	place := map[string]any{"id": trace.LocationURI(e.EnterpriseUSCC)}
	qty := map[string]any{"epcClass": e.LotID, "quantity": e.Quantity, "uom": e.Unit}
	ev := map[string]any{
		"type":                "ObjectEvent",
		"eventID":             e.EventID,
		"eventTime":           e.Date + "T00:00:00" + chinaOffset,
		"eventTimeZoneOffset": chinaOffset,
		"action":              "OBSERVE",
		"quantityList":        []any{qty},
		"readPoint":           place,
	}
	party := func(kind, id string) []any { return []any{map[string]any{"type": "owning_party", kind: id}} }
	if e.Kind == KindSale {
		ev["bizStep"], ev["disposition"] = "shipping", "in_transit"
		ev["sourceList"] = party("source", own)
		ev["destinationList"] = party("destination", e.PartyID)
	} else {
		ev["bizStep"], ev["disposition"] = "receiving", "in_progress"
		ev["bizLocation"] = place
		ev["sourceList"] = party("source", e.PartyID)
		ev["destinationList"] = party("destination", own)
	}
	var txs []any
	for _, d := range []struct{ typ, kind, number string }{
		{"cert", "licence", e.LicenceNo},
		{"cert", "cert", e.CertNo},
		{"testres", "testres", e.TestReportNo},
		{"inv", "inv", e.InvoiceNo},
	} {
		if d.number != "" {
			txs = append(txs, map[string]any{"type": d.typ, "bizTransaction": trace.DocURI(d.kind, d.number)})
		}
	}
	if len(txs) > 0 {
		ev["bizTransactionList"] = txs
	}
	return ev
}

// document wraps events in an EPCIS document, decoded the way a captured
// document is (numbers kept as written), for trace.Capture.
func document(entries []Entry) (map[string]any, error) {
	evs := make([]any, len(entries))
	for i, e := range entries {
		evs[i] = Event(e)
	}
	doc := map[string]any{
		"@context":      []any{epcisContext},
		"type":          "EPCISDocument",
		"schemaVersion": "2.0",
		"creationDate":  time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"epcisBody":     map[string]any{"eventList": evs},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return trace.Decode(b)
}
