package genealogy

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// buildYard lays out a small chain with every time rule in it:
//
//	A, B --T@10--> P --T@5--> Q            (Q made before P existed)
//	P --A@20, out @40--> S --A@25--> L     (pallet S, load L)
//	C --A@20--> S                          (other goods on the pallet)
//	S --C@30--> D,  S --C@50--> X          (X: after P left S)
//	L --C@35--> R1, L --C@45--> R2         (R2: after P left S)
//	P --C@60--> R3                         (direct custody)
//	Y --C@22--> S, Z --C@45--> S           (suppliers of the pallet, before and after)
//	W --C@30--> L, W2 --C@41--> L          (suppliers of the load)
func buildYard(t testing.TB, db *store.DB) (*graph, map[string]int64) {
	g := newGraph(t, db)
	seq := map[string]int64{}
	g.link(Transform, "A", "P", 10)
	g.link(Transform, "B", "P", 10)
	g.link(Transform, "P", "Q", 5)
	g.link(Aggregate, "P", "S", 20)
	g.link(Aggregate, "C", "S", 20)
	g.link(Aggregate, "S", "L", 25)
	g.unpack("P", "S", 40)
	g.link(CustodyTo, "S", "D", 30)
	g.link(CustodyTo, "S", "X", 50)
	g.link(CustodyTo, "L", "R1", 35)
	g.link(CustodyTo, "L", "R2", 45)
	seq["P>R3"] = g.link(CustodyTo, "P", "R3", 60)
	g.link(CustodyFrom, "Y", "S", 22)
	g.link(CustodyFrom, "Z", "S", 45)
	g.link(CustodyFrom, "W", "L", 30)
	g.link(CustodyFrom, "W2", "L", 41)
	return g, seq
}

func TestForwardFollowsTimeAndContainers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g, _ := buildYard(t, db)
		res := agree(t, db, Downstream, g.idsOf("A"), Options{})
		want := map[string]int{"A": 0, "P": 1, "S": 2, "R3": 2, "D": 3, "L": 3, "R1": 4}
		if got := g.names(res); !maps.Equal(got, want) {
			t.Fatalf("reached %v, want %v", got, want)
		}
		p, _ := res.Node(g.id("P"))
		if got := g.nameList(p.Parties); !slices.Equal(got, []string{"D", "R1", "R3"}) {
			t.Errorf("P is held by %v, want D (on pallet S), R1 (pallet in load L) and R3", got)
		}
		for name, party := range map[string]bool{"A": false, "P": false, "S": false, "L": false, "D": true, "R1": true} {
			if n, _ := res.Node(g.id(name)); n.Party != party {
				t.Errorf("%s: party = %v", name, n.Party)
			}
		}
		var path []string
		for _, e := range res.Path(g.id("R1")) {
			path = append(path, g.nameList([]int64{e.Src})[0]+">"+g.nameList([]int64{e.Dst})[0])
		}
		if want := []string{"A>P", "P>S", "S>L", "L>R1"}; !slices.Equal(path, want) {
			t.Errorf("path to R1 = %v, want %v", path, want)
		}
		if n, _ := res.Node(g.id("R1")); n.URI != "urn:test:R1" || n.At != minute(35) || n.Via.Kind != CustodyTo {
			t.Errorf("R1 = %+v", n)
		}
		// Events: every edge followed, nothing else.
		if len(res.Events) != 6 {
			t.Errorf("events %v, want the 6 edges followed", res.Events)
		}
	})
}

func TestBackwardMirrorsTheRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g, _ := buildYard(t, db)
		res := agree(t, db, Upstream, g.idsOf("P"), Options{})
		// Not C (other goods on the pallet), not Z or W2 (after P left), not Q.
		want := map[string]int{"P": 0, "A": 1, "B": 1, "S": 1, "Y": 2, "L": 2, "W": 3}
		if got := g.names(res); !maps.Equal(got, want) {
			t.Fatalf("reached %v, want %v", got, want)
		}
		p, _ := res.Node(g.id("P"))
		if got := g.nameList(p.Parties); !slices.Equal(got, []string{"W", "Y"}) {
			t.Errorf("P supplied by %v, want W and Y", got)
		}
		// From the pallet itself: all it held and everyone who supplied it.
		res = agree(t, db, Upstream, g.idsOf("S"), Options{})
		want = map[string]int{"S": 0, "P": 1, "C": 1, "Y": 1, "Z": 1, "L": 1, "A": 2, "B": 2, "W": 2, "W2": 2}
		if got := g.names(res); !maps.Equal(got, want) {
			t.Fatalf("from S reached %v, want %v", got, want)
		}
	})
}

func TestSupersededEventsAreNotFollowed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g, seq := buildYard(t, db)
		before := agree(t, db, Downstream, g.idsOf("A"), Options{})
		if _, ok := before.Node(g.id("R3")); !ok {
			t.Fatal("R3 not reached before the correction")
		}
		g.supersede(seq["P>R3"], 70)
		after := agree(t, db, Downstream, g.idsOf("A"), Options{})
		if _, ok := after.Node(g.id("R3")); ok {
			t.Fatal("R3 reached through a superseded event")
		}
		if slices.Contains(after.Events, seq["P>R3"]) {
			t.Fatal("the superseded event is listed")
		}
	})
}

func TestDepthAndWindow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g, _ := buildYard(t, db)
		res := agree(t, db, Downstream, g.idsOf("A"), Options{Depth: 2})
		if want := map[string]int{"A": 0, "P": 1, "S": 2, "R3": 2}; !maps.Equal(g.names(res), want) {
			t.Errorf("depth 2 reached %v, want %v", g.names(res), want)
		}
		res = agree(t, db, Downstream, g.idsOf("A"), Options{To: base.Add(28 * 60e9)})
		if want := map[string]int{"A": 0, "P": 1, "S": 2, "L": 3}; !maps.Equal(g.names(res), want) {
			t.Errorf("until minute 28 reached %v, want %v", g.names(res), want)
		}
		res = agree(t, db, Upstream, g.idsOf("S"), Options{From: base.Add(21 * 60e9)})
		if want := map[string]int{"S": 0, "Y": 1, "Z": 1, "L": 1, "W": 2, "W2": 2}; !maps.Equal(g.names(res), want) {
			t.Errorf("from minute 21 reached %v, want %v", g.names(res), want)
		}
	})
}

func TestPartiesAreLeaves(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g, _ := buildYard(t, db)
		for _, dir := range []Direction{Downstream, Upstream} {
			res := agree(t, db, dir, g.idsOf("D"), Options{})
			if len(res.Nodes) != 1 || !res.Nodes[0].Party {
				t.Errorf("direction %d from party D: %+v", dir, res.Nodes)
			}
		}
		ids, err := NodeIDs(context.Background(), db, []string{"urn:test:D", "urn:test:P", "urn:test:none"})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int64{"urn:test:D": g.id("D"), "urn:test:P": g.id("P")}; !maps.Equal(ids, want) {
			t.Errorf("NodeIDs = %v, want %v", ids, want)
		}
	})
}

// A cycle of equal times must end.
func TestCycleEnds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newGraph(t, db)
		g.link(Transform, "A", "B", 10)
		g.link(Transform, "B", "A", 10)
		g.link(Transform, "B", "C", 10)
		res := agree(t, db, Downstream, g.idsOf("A"), Options{})
		if want := map[string]int{"A": 0, "B": 1, "C": 2}; !maps.Equal(g.names(res), want) {
			t.Errorf("reached %v", g.names(res))
		}
		res = agree(t, db, Upstream, g.idsOf("C"), Options{})
		if want := map[string]int{"C": 0, "B": 1, "A": 2}; !maps.Equal(g.names(res), want) {
			t.Errorf("reached %v", g.names(res))
		}
	})
}

// End to end: an event declared in error when it is captured, and one
// declared in error afterwards, both drop out of the trace.
func TestDeclaredErrorsLeaveTheTrace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		lot := "https://id.gs1.org/01/06910000001003/10/L1"
		ship := func(id, to, extra string) string {
			return `{"type":"ObjectEvent","eventID":"` + id + `","eventTime":"2025-03-01T10:00:00.000+08:00","eventTimeZoneOffset":"+08:00",
				"quantityList":[{"epcClass":"` + lot + `","quantity":5,"uom":"KGM"}],"action":"OBSERVE","bizStep":"shipping",
				"destinationList":[{"type":"owning_party","destination":"` + to + `"}]` + extra + `}`
		}
		doc := func(events ...string) []byte {
			return []byte(`{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument",
				"schemaVersion":"2.0","creationDate":"2025-03-01T12:00:00.000+08:00","epcisBody":{"eventList":[` + strings.Join(events, ",") + `]}}`)
		}
		declared := `,"errorDeclaration":{"declarationTime":"2025-03-02T09:00:00.000+08:00","reason":"incorrect_data"}`
		for _, d := range [][]byte{
			doc(ship("urn:uuid:e1", "https://id.gs1.org/417/6940000000003", ""),
				ship("urn:uuid:e2", "https://id.gs1.org/417/6940000010002", declared),
				ship("urn:uuid:e3", "https://id.gs1.org/417/6940000020001", "")),
			doc(ship("urn:uuid:e1", "https://id.gs1.org/417/6940000000003", declared)),
		} {
			if _, err := trace.CaptureJSON(ctx, db, d, ""); err != nil {
				t.Fatal(err)
			}
		}
		ids, err := NodeIDs(ctx, db, []string{lot})
		if err != nil {
			t.Fatal(err)
		}
		res := agree(t, db, Downstream, []int64{ids[lot]}, Options{})
		var reached []string
		for _, n := range res.Nodes[1:] {
			reached = append(reached, n.URI)
		}
		if want := []string{"https://id.gs1.org/417/6940000020001"}; !slices.Equal(reached, want) {
			t.Fatalf("reached %v, want only %v", reached, want)
		}
	})
}
