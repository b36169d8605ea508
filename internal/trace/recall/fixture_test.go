package recall_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Identifiers of the chain: a farm lot of 1000 kg goes to a processor, which
// turns it into 500 cartons of a product lot, ships 200 to shop A (known by
// its Hallmark party URI), 250 to shop B (a GLN, which captures its own
// receiving) and 50 to a buyer nobody registered.
const (
	farmLot    = "urn:epc:class:lgtin:4012345.012345.FARM1"
	productLot = "urn:epc:class:lgtin:4012345.011111.P1"
	farmSite   = "urn:epc:id:sgln:4012345.00001.0"
	procSite   = "urn:epc:id:sgln:4012345.00003.0"
	shopBGLN   = "urn:epc:id:pgln:4012345.00002"
	shopBSite  = "urn:epc:id:sgln:4012345.00002.0"
	strangerGL = "urn:epc:id:pgln:4012345.00009"
)

// USCCs of the chain's enterprises (valid check characters).
var usccs = map[string]string{}

// chain is the test's world: a region, a department with an officer, the
// chain's enterprises with one user each, and another enterprise that holds
// nothing.
type chain struct {
	db                  *store.DB
	officer, inspector  *auth.User
	dept                string
	ents                map[string]string     // name → enterprise ID
	users               map[string]*auth.User // enterprise name → its user
	farmURI, productURI string                // canonical lot identifiers
	t0                  time.Time             // first event
}

func ctxAt(t time.Time) context.Context {
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	return recall.WithClock(ctx, func() time.Time { return t })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newWorld creates the region, department, enterprises and users.
func newWorld(t *testing.T, db *store.DB) *chain {
	t.Helper()
	ctx := context.Background()
	c := &chain{db: db, dept: store.NewID(), ents: map[string]string{}, users: map[string]*auth.User{}}
	must(t, db.Tx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`INSERT INTO regions (code, name, level) VALUES ('150000', '内蒙古自治区', 'province')`,
			`INSERT INTO regions (code, name, level, parent_code) VALUES ('152900', '阿拉善盟', 'prefecture', '150000')`,
			`INSERT INTO regions (code, name, level, parent_code) VALUES ('152921', '阿拉善左旗', 'county', '152900')`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO departments (id, region_code, name, is_office, created_at, updated_at)
			VALUES (?, '152921', '市场监督管理局', TRUE, 0, 0)`, c.dept); err != nil {
			return err
		}
		for i, name := range []string{"farm", "processor", "shopA", "shopB", "other"} {
			id := store.NewID()
			uscc := codes.USCCFromSerial("152921", uint64(100+i))
			usccs[name] = uscc
			c.ents[name] = id
			if _, err := tx.Exec(ctx, `INSERT INTO enterprises (id, region_code, uscc, name, created_at, updated_at)
				VALUES (?, '152921', ?, ?, 0, 0)`, id, uscc, name); err != nil {
				return err
			}
		}
		return nil
	}))
	var err error
	actx := audit.WithActor(ctx, audit.System)
	c.officer, err = auth.CreateUser(actx, db, auth.NewUser{Username: "officer", Name: "Officer", Password: "correct-horse-9",
		Role: auth.RoleOfficer, RegionCode: "152921", DepartmentID: c.dept})
	must(t, err)
	c.inspector, err = auth.CreateUser(actx, db, auth.NewUser{Username: "inspector", Name: "Inspector", Password: "correct-horse-9",
		Role: auth.RoleInspector, RegionCode: "152921", DepartmentID: c.dept})
	must(t, err)
	for name, id := range c.ents {
		u, err := auth.CreateUser(actx, db, auth.NewUser{Username: "u-" + strings.ToLower(name), Name: name, Password: "correct-horse-9",
			Role: auth.RoleEnterprise, RegionCode: "152921", EnterpriseID: id})
		must(t, err)
		c.users[name] = u
	}
	c.farmURI, err = codes.CanonicalID(farmLot)
	must(t, err)
	c.productURI, err = codes.CanonicalID(productLot)
	must(t, err)
	return c
}

func party(name string) string { return trace.PartyURI(usccs[name], "") }

// doc wraps events into an EPCIS document.
func doc(events ...string) []byte {
	return []byte(`{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument",
		"schemaVersion":"2.0","creationDate":"2026-09-01T00:00:00Z","epcisBody":{"eventList":[` + strings.Join(events, ",") + `]}}`)
}

func at(t time.Time, hours int) string {
	return t.Add(time.Duration(hours) * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
}

// capture stores the chain's events, each enterprise capturing its own.
func (c *chain) capture(t *testing.T, t0 time.Time) {
	t.Helper()
	c.t0 = t0
	ctx := audit.WithActor(context.Background(), audit.System)
	qty := func(lot string, n int, uom string) string {
		return fmt.Sprintf(`[{"epcClass":%q,"quantity":%d,"uom":%q}]`, lot, n, uom)
	}
	ev := func(h int, fields string) string {
		return fmt.Sprintf(`{"type":"ObjectEvent","eventTime":%q,"eventTimeZoneOffset":"+08:00",%s}`, at(t0, h), fields)
	}
	src := func(p string) string { return fmt.Sprintf(`"sourceList":[{"type":"owning_party","source":%q}]`, p) }
	dst := func(p string) string {
		return fmt.Sprintf(`"destinationList":[{"type":"owning_party","destination":%q}]`, p)
	}
	farm := doc(
		ev(0, `"action":"ADD","bizStep":"commissioning","disposition":"active","quantityList":`+qty(farmLot, 1000, "KGM")+
			`,"bizLocation":{"id":"`+farmSite+`"}`),
		ev(2, `"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","quantityList":`+qty(farmLot, 1000, "KGM")+
			`,"bizLocation":{"id":"`+farmSite+`"},`+src(party("farm"))+`,`+dst(party("processor"))),
	)
	proc := doc(
		ev(5, `"action":"OBSERVE","bizStep":"receiving","disposition":"in_progress","quantityList":`+qty(farmLot, 1000, "KGM")+
			`,"bizLocation":{"id":"`+procSite+`"}`),
		fmt.Sprintf(`{"type":"TransformationEvent","eventTime":%q,"eventTimeZoneOffset":"+08:00","bizStep":"commissioning",
			"inputQuantityList":%s,"outputQuantityList":%s,"bizLocation":{"id":%q}}`,
			at(t0, 8), qty(farmLot, 1000, "KGM"), qty(productLot, 500, "EA"), procSite),
		ev(10, `"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","quantityList":`+qty(productLot, 200, "EA")+
			`,`+src(party("processor"))+`,`+dst(party("shopA"))),
		ev(11, `"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","quantityList":`+qty(productLot, 250, "EA")+
			`,`+src(party("processor"))+`,`+dst(shopBGLN)),
		ev(12, `"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","quantityList":`+qty(productLot, 50, "EA")+
			`,`+src(party("processor"))+`,`+dst(strangerGL)),
	)
	shopB := doc(
		ev(14, `"action":"OBSERVE","bizStep":"receiving","disposition":"in_progress","quantityList":`+qty(productLot, 250, "EA")+
			`,"bizLocation":{"id":"`+shopBSite+`"},`+dst(shopBGLN)),
	)
	for _, d := range []struct {
		owner string
		body  []byte
	}{{"farm", farm}, {"processor", proc}, {"shopB", shopB}} {
		if _, err := trace.CaptureJSON(ctx, c.db, d.body, c.ents[d.owner]); err != nil {
			t.Fatalf("capture %s: %v", d.owner, err)
		}
	}
}

// holderOf finds the holder of an enterprise in a recall, or nil.
func holderOf(r *recall.Recall, enterprise string) *recall.Holder {
	for i := range r.Parties {
		if r.Parties[i].EnterpriseID == enterprise {
			return &r.Parties[i]
		}
	}
	return nil
}

// shanghai is a wall-clock time in China.
func shanghai(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, workday.Shanghai)
}
