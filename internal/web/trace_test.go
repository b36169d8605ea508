package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// chainDoc: a farm lot goes into a product lot, which is shipped to a shop
// (the registered enterprise of the test site).
const chainDoc = `{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
 "schemaVersion": "2.0", "creationDate": "2026-11-01T00:00:00Z", "epcisBody": {"eventList": [
 {"type": "TransformationEvent", "eventTime": "2026-10-01T09:00:00+08:00", "eventTimeZoneOffset": "+08:00",
  "bizStep": "creating_class_instance", "bizLocation": {"id": "https://id.hallmark.example/place/FACTORY"},
  "inputQuantityList": [{"epcClass": "https://id.hallmark.example/lot/FARM/MILK/L1", "quantity": 800, "uom": "LTR"}],
  "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:6970000.000017.SN1", "quantity": 1000, "uom": "H87"}]},
 {"type": "ObjectEvent", "eventTime": "2026-10-03T09:00:00+08:00", "eventTimeZoneOffset": "+08:00", "action": "OBSERVE",
  "bizStep": "shipping", "quantityList": [{"epcClass": "urn:epc:class:lgtin:6970000.000017.SN1", "quantity": 200, "uom": "H87"}],
  "bizTransactionList": [{"type": "desadv", "bizTransaction": "urn:example:desadv:77"}],
  "sourceList": [{"type": "owning_party", "source": "https://id.hallmark.example/party/FACTORY"}],
  "destinationList": [{"type": "owning_party", "destination": "https://id.hallmark.example/party/91152923MA0N000000"}]}]}}`

func TestTraceForwardAndBackward(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSiteOn(t, db)
		resp := s.epcisDo(auth.RoleOfficer, "POST", "/epcis/capture", chainDoc, "Content-Type", "application/ld+json")
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("capture: %d", resp.StatusCode)
		}
		if _, err := registry.CreateProduct(context.Background(), db, s.users[auth.RoleOfficer], registry.ProductInput{
			EnterpriseID: s.entID, Name: "风味酸奶", GTIN: "6970000000178", Category: "发酵乳"}); err != nil {
			t.Fatal(err)
		}
		type node struct {
			Name     string   `json:"name"`
			URI      string   `json:"uri"`
			Kind     string   `json:"kind"`
			Tier     int      `json:"tier"`
			Path     []string `json:"path"`
			Quantity *float64 `json:"quantity"`
			UOM      string   `json:"uom"`
		}
		var tr struct {
			Nodes   []node   `json:"nodes"`
			Parties []string `json:"parties"`
		}
		get := func(path string) int {
			resp := s.epcisDo(auth.RoleOfficer, "GET", path, "")
			defer resp.Body.Close()
			tr.Nodes, tr.Parties = nil, nil
			_ = json.NewDecoder(resp.Body).Decode(&tr)
			return resp.StatusCode
		}
		// Forward from the farm lot, named by its platform URI: the product
		// lot (tier 1) and the shop it went to (tier 2), with the path.
		if st := get("/api/v1/trace/forward?" + url.Values{"epc": {"https://id.hallmark.example/lot/FARM/MILK/L1"}}.Encode()); st != 200 {
			t.Fatalf("forward: %d", st)
		}
		found := map[string]node{}
		for _, n := range tr.Nodes {
			found[n.URI] = n
		}
		product := "https://id.gs1.org/01/06970000000178/10/SN1"
		shop := "https://id.hallmark.example/party/91152923MA0N000000"
		if found[product].Tier != 1 || found[shop].Tier != 2 || found[shop].Kind != "party" {
			t.Fatalf("forward trace: %+v", tr.Nodes)
		}
		// An output reached forward shows what came out.
		if q := found[product].Quantity; q == nil || *q != 1000 || found[product].UOM != "H87" {
			t.Errorf("product lot quantity %v %q", q, found[product].UOM)
		}
		if p := found[shop].Path; len(p) != 3 || p[1] != product {
			t.Fatalf("path to the shop: %v", p)
		}
		// Goods are named by their registered product and lot.
		if found[product].Name != "风味酸奶 · SN1" {
			t.Errorf("product lot named %q", found[product].Name)
		}
		// Backward from the product lot named by its Digital Link on
		// another host: the farm lot and the factory that made it.
		if st := get("/api/v1/trace/backward?" + url.Values{"epc": {"https://example.com/01/06970000000178/10/SN1"}}.Encode()); st != 200 {
			t.Fatalf("backward: %d", st)
		}
		found = map[string]node{}
		for _, n := range tr.Nodes {
			found[n.URI] = n
		}
		farm, ok := found["https://id.hallmark.example/lot/FARM/MILK/L1"]
		if !ok {
			t.Fatalf("backward trace misses the farm lot: %+v", tr.Nodes)
		}
		// A lot without a GTIN is named by the product and lot its URI carries.
		if farm.Name != "MILK · L1" {
			t.Errorf("farm lot named %q", farm.Name)
		}
		// An input reached backward shows what went in (800 litres of
		// milk), not what came out (1,000 pieces).
		if farm.Quantity == nil || *farm.Quantity != 800 || farm.UOM != "LTR" {
			t.Errorf("farm lot quantity %v %q", farm.Quantity, farm.UOM)
		}
		// Refusals name the field; an unknown lot is not found.
		resp = s.epcisDo(auth.RoleOfficer, "GET", "/api/v1/trace/forward?epc=urn:epc:class:lgtin:6970000.000017.SN1&depth=0", "")
		var p struct {
			Errors []struct{ Field string } `json:"errors"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "depth" {
			t.Fatalf("depth 0: %d %+v", resp.StatusCode, p)
		}
		if st := get("/api/v1/trace/forward?epc=urn:epc:class:lgtin:6970000.000017.NOPE"); st != http.StatusNotFound {
			t.Fatalf("unknown lot: %d", st)
		}
		// An enterprise may not trace across others' records.
		resp = s.epcisDo(auth.RoleEnterprise, "GET", "/api/v1/trace/forward?epc=urn:epc:class:lgtin:6970000.000017.SN1", "")
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("enterprise trace: %d", resp.StatusCode)
		}
		// The page draws it; the export has one row per tracking event.
		resp = s.epcisDo(auth.RoleOfficer, "GET", "/trace?epc=urn:epc:class:lgtin:6970000.000017.SN1&direction=forward", "", "Accept", "text/html")
		body := readBody(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, "data-chart") || !strings.Contains(body, shop) {
			t.Fatalf("trace page: %d", resp.StatusCode)
		}
		// The table reads as an official reads: the holder by its registered
		// name, the time in the county's zone, the unit by its name.
		for _, want := range []string{"<div><strong>测试企业</strong><br><code>" + shop + "</code></div>", ">2026-10-03 09:00</time>", "200 件"} {
			if !strings.Contains(body, want) {
				t.Errorf("the trace table lacks %q", want)
			}
		}
		if strings.Contains(body, "H87") || strings.Contains(body, "T01:00:00Z<") {
			t.Errorf("the trace table shows raw codes or UTC times")
		}
		resp = s.epcisDo(auth.RoleOfficer, "GET", "/trace/export?epc=urn:epc:class:lgtin:6970000.000017.SN1&direction=forward", "")
		defer resp.Body.Close()
		f, err := excelize.OpenReader(resp.Body)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil || len(rows) < 2 {
			t.Fatalf("export rows: %v %v", rows, err)
		}
		if !strings.Contains(strings.Join(rows[1], "|"), "desadv") {
			t.Fatalf("the shipping row lacks its reference document: %v", rows)
		}
	})
}
