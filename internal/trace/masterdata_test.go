package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/conformance"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/epcisxml"
)

// The master data a document carries is kept: GDST's whole-chain example
// names its vessels, parties and products, and the names are found under
// any form of the identifier; GS1's XML example gives its locations'
// children.
func TestMasterDataIsKeptAndNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := audit.WithActor(context.Background(), audit.System)
		b, err := os.ReadFile(filepath.Join(conformance.Dir(t), "traceability-ift", "gdst_data_withmasterdata.jsonld"))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := trace.CaptureJSON(ctx, db, b, ""); err != nil || n != 17 {
			t.Fatalf("capture: %d, %v", n, err)
		}
		var elements int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM epcis_master_data`).Scan(&elements); err != nil || elements != 20 {
			t.Fatalf("%d master data elements, want GDST's 20: %v", elements, err)
		}
		// GS1's XML example of master data: a business location and a read
		// point, each with one child, and no events.
		x, err := os.ReadFile(filepath.Join(conformance.Dir(t), "epcis", "XML", "WithFullCombinationOfFields", "masterdata_all_possible_fields.xml"))
		if err != nil {
			t.Fatal(err)
		}
		xdoc, err := epcisxml.Decode(bytes.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := trace.Capture(ctx, db, xdoc, trace.Options{}); err != nil {
			t.Fatal(err)
		}
		var children int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM epcis_master_children`).Scan(&children); err != nil || children != 2 {
			t.Fatalf("%d children from the XML example, want 2: %v", children, err)
		}
		vessel, err := trace.Canonical("urn:epc:id:sgln:08600031303.1.1")
		if err != nil || vessel != "https://id.gs1.org/414/0860003130315/254/1" {
			t.Fatalf("the vessel's Digital Link: %q, %v", vessel, err)
		}
		for id, want := range map[string]string{
			"urn:epc:id:sgln:08600031303.1.1": "Vessel #1",
			vessel:                            "Vessel #1", // the same place as a Digital Link
			"urn:gdst:example.org:party:fisherman01.1u":            "Fisherman",
			"urn:gdst:example.org:product:class:fisherman01.tunau": "Whole Yellowfin Tuna",
			"urn:gdst:example.org:party:nobody":                    "",
		} {
			if got, err := trace.MasterName(ctx, db, id); err != nil || got != want {
				t.Errorf("%s: name %q, %v; want %q", id, got, err, want)
			}
		}
	})
}

// WD_bizLocation and WD_readPoint find events at the location and at every
// place below it in the master data's hierarchy; EQ_ finds the location
// alone. An enterprise cannot rename or re-parent another's premises; the
// office can.
func TestLocationHierarchyFromMasterData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := audit.WithActor(context.Background(), audit.System)
		const (
			site  = "urn:epc:id:sgln:6901234.00000.0"
			store = "urn:epc:id:sgln:6901234.00000.1"
			dock  = "urn:epc:id:sgln:6901234.00000.2"
			other = "urn:epc:id:sgln:6901234.00001.0"
		)
		element := func(id, name string, children ...string) any {
			el := map[string]any{"id": id, "attributes": []any{map[string]any{"id": "urn:epcglobal:cbv:mda#name", "attribute": name}}}
			if len(children) > 0 {
				el["children"] = children
			}
			return el
		}
		document := func(master []any, events ...any) []byte {
			d := map[string]any{"@context": []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"},
				"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-10-01T00:00:00Z",
				"epcisBody": map[string]any{"eventList": append([]any{}, events...)}}
			if master != nil {
				d["epcisHeader"] = map[string]any{"epcisMasterData": map[string]any{"vocabularyList": []any{
					map[string]any{"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": master}}}}
			}
			b, _ := json.Marshal(d)
			return b
		}
		event := func(id, at string) any {
			return map[string]any{"type": "ObjectEvent", "eventID": id, "eventTime": "2026-10-01T08:00:00+08:00",
				"eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "storing",
				"epcList": []any{"urn:epc:id:sgtin:6901234.000001.1"}, "readPoint": map[string]any{"id": at}, "bizLocation": map[string]any{"id": at}}
		}
		const owner = "ent-a"
		b := document([]any{element(site, "总仓", store), element(store, "冷库", dock), element(dock, "月台")},
			event("urn:uuid:00000000-0000-4000-8000-00000000000a", site), event("urn:uuid:00000000-0000-4000-8000-00000000000b", store),
			event("urn:uuid:00000000-0000-4000-8000-00000000000c", dock), event("urn:uuid:00000000-0000-4000-8000-00000000000d", other))
		if n, err := trace.CaptureJSON(ctx, db, b, owner); err != nil || n != 4 {
			t.Fatalf("capture: %d, %v", n, err)
		}
		ids := func(param, value string) []string {
			t.Helper()
			q, err := trace.ParseQuery(url.Values{param: {value}})
			if err != nil {
				t.Fatal(err)
			}
			page, err := q.Run(ctx, db, "")
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range page.Events {
				out = append(out, e.EventID[len(e.EventID)-1:])
			}
			slices.Sort(out)
			return out
		}
		for _, c := range []struct {
			param, value string
			want         []string
		}{
			{"WD_bizLocation", site, []string{"a", "b", "c"}},
			{"WD_bizLocation", "https://id.gs1.org/414/6901234000009/254/1", []string{"b", "c"}},
			{"WD_readPoint", dock, []string{"c"}},
			{"EQ_bizLocation", site, []string{"a"}},
			{"WD_bizLocation", other, []string{"d"}},
		} {
			if got := ids(c.param, c.value); !slices.Equal(got, c.want) {
				t.Errorf("%s=%s: %v, want %v", c.param, c.value, got, c.want)
			}
		}
		// Another enterprise's master data does not change these premises;
		// the office's does.
		if _, err := trace.CaptureJSON(ctx, db, document([]any{element(site, "别人的仓库", other)}), "ent-b"); err != nil {
			t.Fatal(err)
		}
		if got := ids("WD_bizLocation", site); !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Errorf("after another enterprise's master data: %v", got)
		}
		if name, _ := trace.MasterName(ctx, db, site); name != "总仓" {
			t.Errorf("renamed by another enterprise: %q", name)
		}
		if _, err := trace.CaptureJSON(ctx, db, document([]any{element(site, "总仓（新）", other)}), ""); err != nil {
			t.Fatal(err)
		}
		if got := ids("WD_bizLocation", site); !slices.Equal(got, []string{"a", "d"}) {
			t.Errorf("after the office's master data: %v", got)
		}
		if name, _ := trace.MasterName(ctx, db, site); name != "总仓（新）" {
			t.Errorf("office rename: %q", name)
		}
		// A bad identifier in master data is refused with its pointer, and
		// nothing of the document is stored.
		badDoc := document([]any{element("not a uri", "x")}, event("urn:uuid:00000000-0000-4000-8000-00000000000e", site))
		_, err := trace.CaptureJSON(ctx, db, badDoc, owner)
		if err == nil || !trace.IsValidation(err) {
			t.Fatalf("bad master data: %v", err)
		}
		parsed, err := trace.Decode(badDoc)
		if err != nil {
			t.Fatal(err)
		}
		if _, bad := trace.CheckDocument(parsed, "rollback"); bad == nil ||
			bad.Problems[0].Pointer != "/epcisHeader/epcisMasterData/vocabularyList/0/vocabularyElementList/0/id" {
			t.Fatalf("checking alone: %v", bad)
		}
		if got := ids("EQ_bizLocation", site); !slices.Equal(got, []string{"a"}) {
			t.Errorf("a refused document left events: %v", got)
		}
	})
}
