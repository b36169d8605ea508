package genealogy

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// docEvent is what the generated documents say about one event, to check
// rows against.
type docEvent struct {
	typ, step, location string
	at                  time.Time
	qty                 map[string]float64 // lot -> quantity
	outputs             map[string]bool
	refs                []string
}

func docEvents(t testing.TB, docs [][]byte) map[string]docEvent {
	t.Helper()
	out := map[string]docEvent{}
	for _, d := range docs {
		var doc struct {
			EpcisBody struct{ EventList []event } `json:"epcisBody"`
		}
		if err := json.Unmarshal(d, &doc); err != nil {
			t.Fatal(err)
		}
		for _, e := range doc.EpcisBody.EventList {
			at, err := time.Parse(time.RFC3339Nano, e.EventTime)
			if err != nil {
				t.Fatal(err)
			}
			de := docEvent{typ: e.Type, step: e.BizStep, at: at, qty: map[string]float64{}, outputs: map[string]bool{}}
			if e.BizLocation != nil {
				de.location = e.BizLocation.ID
			} else if e.ReadPoint != nil {
				de.location = e.ReadPoint.ID
			}
			for _, l := range [][]quantity{e.QuantityList, e.ChildQuantityList, e.InputQuantityList, e.OutputQuantityList} {
				for _, q := range l {
					de.qty[q.EPCClass] += q.Quantity
				}
			}
			for _, q := range e.OutputQuantityList {
				de.outputs[q.EPCClass] = true
			}
			for _, b := range e.BizTransactionList {
				de.refs = append(de.refs, b.Type+":"+b.BizTransaction)
			}
			out[e.EventID] = de
		}
	}
	return out
}

func TestTraceRowsFollowTheDocuments(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		docs := loadNetwork(t, db, NetworkSpec{Lots: 60, Seed: 9})
		want := docEvents(t, docs)
		harvests := slices.Sorted(maps.Keys(nodesLike(t, db, "/10/H")))
		res, err := Forward(ctx, db, harvests[:3], Options{})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := TraceRows(ctx, db, res, "en")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 10 {
			t.Fatalf("%d rows for three harvest lots", len(rows))
		}
		seen := map[string]bool{}
		sources := map[string]string{} // lot -> where a transformation made it
		for i, r := range rows {
			key := r.EventID + " " + r.Lot
			if seen[key] {
				t.Fatalf("row %d repeats %s", i, key)
			}
			seen[key] = true
			if i > 0 && r.Date.Before(rows[i-1].Date) {
				t.Fatalf("row %d is earlier than the one before", i)
			}
			e, ok := want[r.EventID]
			if !ok {
				t.Fatalf("row %d: event %s is not in the documents", i, r.EventID)
			}
			n := nodeByURI(res, r.Lot)
			if n == nil || n.Party || n.Tier != r.Tier {
				t.Fatalf("row %d: lot %s is not goods of the walk at tier %d", i, r.Lot, r.Tier)
			}
			if !r.Date.Equal(e.at) || r.Date.Location().String() != "Asia/Shanghai" {
				t.Errorf("row %d: date %v, event at %v", i, r.Date, e.at)
			}
			if r.EventTypeCode != e.typ || r.BizStepCode != e.step || r.EventType != e.typ || r.Location != e.location {
				t.Errorf("row %d: %+v, event %+v", i, r, e)
			}
			if q, ok := e.qty[r.Lot]; ok != r.HasQuantity || q != r.Quantity || (ok && r.Unit != "KGM") {
				t.Errorf("row %d: quantity %v %s (%v), event says %v (%v)", i, r.Quantity, r.Unit, r.HasQuantity, q, ok)
			}
			if !slices.Equal(sortedCopy(r.References), sortedCopy(e.refs)) {
				t.Errorf("row %d: references %v, event %v", i, r.References, e.refs)
			}
			switch {
			case strings.Contains(r.Lot, "/01/"):
				if gtin := strings.Split(strings.Split(r.Lot, "/01/")[1], "/")[0]; r.Product != gtin {
					t.Errorf("row %d: product %s for %s", i, r.Product, r.Lot)
				}
			case r.Product != r.Lot:
				t.Errorf("row %d: product %s for %s", i, r.Product, r.Lot)
			}
			if e.typ == "TransformationEvent" && e.outputs[r.Lot] {
				if r.LotSource != e.location {
					t.Errorf("row %d: output lot source %s, made at %s", i, r.LotSource, e.location)
				}
				sources[r.Lot] = e.location
			}
		}
		// Every other row of a lot names the place where it was made, and a
		// harvest lot the farm where it was harvested.
		for i, r := range rows {
			if s, ok := sources[r.Lot]; ok && r.LotSource != s {
				t.Errorf("row %d: lot source %s, the lot was made at %s", i, r.LotSource, s)
			}
			if strings.Contains(r.Lot, "/10/H") && !strings.HasPrefix(r.LotSource, "https://id.gs1.org/414/691") {
				t.Errorf("row %d: harvest lot source %s is not a farm", i, r.LotSource)
			}
			if strings.Contains(r.Lot, "/00/") && r.LotSource == "" {
				t.Errorf("row %d: pallet %s without a source", i, r.Lot)
			}
		}
	})
}

func nodeByURI(r *Result, uri string) *Node {
	for i := range r.Nodes {
		if r.Nodes[i].URI == uri {
			return &r.Nodes[i]
		}
	}
	return nil
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
