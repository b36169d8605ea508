// Package eventhash computes the EPCIS Event Hash ID of CBV 2.0 (section
// "EPCIS Event Hash ID"): a canonical pre-hash string built from an event's
// fields in a fixed order, hashed with SHA-256 and written as
// ni:///sha-256;<hex>?ver=CBV2.0.
//
// Events are taken in their JSON-LD form, decoded with encoding/json and
// UseNumber (map[string]any, []any, string, bool, json.Number); XML events
// reach it through the epcisxml package, which produces the same shape, so
// an XML event and its JSON twin hash alike.
//
// The output matches the reference implementation named by the standard
// (RalphTro/epcis-event-hash-generator, test vectors of 2025-10-17) byte for
// byte on its published vectors, including its readings where the written
// rules are silent: certificationInfo after eventTimeZoneOffset, the
// business transaction, source and destination lists sorted with the
// remaining fields, a standard field with members outside the order written
// again among them.
//
// Where the reference follows quirks of its JSON parser rather than the
// rules, this package follows the rules, so that an event hashes the same
// in JSON and in XML (RalphTro/epcis-event-hash-generator #70). None of
// these shows in the vectors:
//   - bare CBV terms are expanded only in the fields the EPCIS context types
//     as vocabulary (the reference replaces any value that matches a term);
//   - the type of a business transaction, source or destination is written
//     before its identifier whatever the JSON member order;
//   - extensions inside readPoint, bizLocation and the sensor elements
//     always follow their parent's standard fields (rule 21), also when
//     their namespace does not end in "/" or when they are the only member;
//   - extension members whose names end in "List" keep their names;
//   - a JSON null is an absent field, not the text "None";
//   - a timestamp without offset is UTC; the reference uses local time.
package eventhash
