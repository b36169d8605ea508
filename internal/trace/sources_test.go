package trace_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// Sources and destinations are found by type and party whichever way the
// type is spelled, those of the CBV's types through the node index and the
// others through their field rows, and a store written before they had roles
// of their own (migration 00083 undone) answers the same once upgraded.
func TestSourcesAndDestinationsByType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		party := func(n string) string { return trace.PartyURI("91152923MA"+n, "") }
		a, b, c, d, e := party("00000001"), party("00000002"), party("00000003"), party("00000004"), party("00000005")
		place := trace.LocationURI("91152923MA00000006")
		lot := trace.LotOf("06901234567892", "S-1")
		ev := func(id, bizStep string, sources, destinations []any) map[string]any {
			return map[string]any{"type": "ObjectEvent", "eventID": id, "eventTime": "2026-10-01T08:00:00+08:00",
				"eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": bizStep,
				"quantityList": []any{map[string]any{"epcClass": lot, "quantity": 5, "uom": "KGM"}},
				"sourceList":   sources, "destinationList": destinations}
		}
		src := func(typ, v string) any { return map[string]any{"type": typ, "source": v} }
		dst := func(typ, v string) any { return map[string]any{"type": typ, "destination": v} }
		doc, _ := json.Marshal(map[string]any{"@context": []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"},
			"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-10-01T00:00:00Z", "epcisBody": map[string]any{"eventList": []any{
				ev("urn:uuid:00000000-0000-4000-8000-000000000001", "shipping", []any{src("owning_party", a)}, []any{dst("owning_party", b)}),
				ev("urn:uuid:00000000-0000-4000-8000-000000000002", "receiving",
					[]any{src("https://ref.gs1.org/cbv/SDT-possessing_party", c)}, []any{dst("location", place), dst("possessing_party", b)}),
				ev("urn:uuid:00000000-0000-4000-8000-000000000003", "shipping",
					[]any{src("urn:example:sdt:broker", d)}, []any{dst("urn:example:sdt:broker", e)}),
			}}})
		if n, err := trace.CaptureJSON(ctx, db, doc, ""); err != nil || n != 3 {
			t.Fatalf("capture: %d, %v", n, err)
		}
		cases := []struct {
			param, value string
			want         []string
		}{
			{"EQ_source_owning_party", a, []string{"1"}},
			{"EQ_source_possessing_party", c, []string{"2"}},
			{"EQ_destination_possessing_party", b, []string{"2"}},
			{"EQ_destination_owning_party", b, []string{"1"}},
			{"EQ_destination_location", place, []string{"2"}},
			{"EQ_source_owning_party", c, nil}, // c was the possessor, not the owner
			{"EQ_source_urn:example:sdt:broker", d, []string{"3"}},
			{"EQ_destination_urn:example:sdt:broker", e, []string{"3"}},
			{"EQ_destination_urn:example:sdt:broker", b, nil},
		}
		check := func(stage string) {
			t.Helper()
			for _, k := range cases {
				q, err := trace.ParseQuery(url.Values{k.param: {k.value}})
				if err != nil {
					t.Fatalf("%s: %s: %v", stage, k.param, err)
				}
				page, err := q.Run(ctx, db, "")
				if err != nil {
					t.Fatalf("%s: %s: %v", stage, k.param, err)
				}
				var got []string
				for _, e := range page.Events {
					got = append(got, e.EventID[len(e.EventID)-1:])
				}
				if !slices.Equal(got, k.want) {
					t.Errorf("%s: %s=%s: events %v, want %v", stage, k.param, k.value, got, k.want)
				}
			}
		}
		count := func(q string) int {
			var n int
			if err := db.QueryRow(ctx, q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		const sourceFields = `SELECT COUNT(*) FROM epcis_event_fields WHERE name LIKE 'source:%' OR name LIKE 'destination:%'`
		const untyped = `SELECT COUNT(*) FROM epcis_event_nodes WHERE role IN (10, 11)`
		check("captured")
		if n, m := count(sourceFields), count(untyped); n != 2 || m != 2 {
			t.Fatalf("captured: %d source/destination fields and %d untyped nodes, want the broker's 2 each", n, m)
		}

		if err := db.MigrateDownTo(ctx, 82); err != nil {
			t.Fatal(err)
		}
		if n, m := count(sourceFields), count(untyped); n != 7 || m != 7 {
			t.Fatalf("before 00083: %d source/destination fields and %d untyped nodes, want 7 each", n, m)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		check("upgraded")
		if n, m := count(sourceFields), count(untyped); n != 2 || m != 2 {
			t.Fatalf("upgraded: %d source/destination fields and %d untyped nodes, want 2 each", n, m)
		}
	})
}

// A lot minted for a product without a GTIN reads back into its owner,
// product and lot, whatever its characters.
func TestPlatformLotOf(t *testing.T) {
	uri, err := trace.LotURI("91152923MA0N000000", "", "生驼乳", "M2026/1")
	if err != nil {
		t.Fatal(err)
	}
	l, ok := trace.PlatformLotOf(uri)
	if !ok || l != (trace.PlatformLot{OwnerUSCC: "91152923MA0N000000", Product: "生驼乳", Lot: "M2026/1"}) {
		t.Errorf("%s read as %+v, %v", uri, l, ok)
	}
	for _, other := range []string{"https://id.gs1.org/01/06970000000178/10/SN1", trace.LotPrefix + "a/b", trace.PartyURI("91152923MA0N000000", "")} {
		if l, ok := trace.PlatformLotOf(other); ok {
			t.Errorf("%s read as a platform lot: %+v", other, l)
		}
	}
}
