package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"image"
	"image/png"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/qrlabel"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

// withCheck appends the GS1 check digit.
func withCheck(body string) string { return body + string(codes.GS1CheckDigit(body)) }

var (
	juiceGTIN13 = withCheck("690123456789")  // the registered product
	melonGTIN14 = withCheck("0690123400001") // the raw material, not registered
	farmGLN     = withCheck("690123450001")
	plantGLN    = withCheck("690123450002")
)

func juiceGTIN14() string { return "0" + juiceGTIN13 }

// lotPath is the lot's Digital Link path, as a label prints it.
func lotPath() string { return "/01/" + juiceGTIN14() + "/10/JX-2026%2F09" }

// traceDoc is a small supply chain: melons received from a farm, pressed
// into a juice lot (with its master data dates), shipped, then received by
// a shop. The shipping event names an invoice and quantities that the public
// page must not show.
func traceDoc() string {
	melonLot := "https://id.gs1.org/01/" + melonGTIN14 + "/10/M-0815"
	juice := "https://id.gs1.org/01/" + juiceGTIN14() + "/10/JX-2026%2F09"
	return `{
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"hm": "https://id.hallmark.example/voc/"}],
  "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-09-05T10:00:00+08:00",
  "epcisBody": {"eventList": [
    {"type": "ObjectEvent", "eventTime": "2026-09-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
     "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
     "quantityList": [{"epcClass": "` + melonLot + `", "quantity": 517, "uom": "KGM"}],
     "bizLocation": {"id": "https://id.gs1.org/414/` + plantGLN + `"},
     "sourceList": [{"type": "owning_party", "source": "https://id.gs1.org/417/` + farmGLN + `"}]},
    {"type": "TransformationEvent", "eventTime": "2026-09-02T09:30:00+08:00", "eventTimeZoneOffset": "+08:00",
     "bizStep": "commissioning", "disposition": "active",
     "inputQuantityList": [{"epcClass": "` + melonLot + `", "quantity": 517, "uom": "KGM"}],
     "outputQuantityList": [{"epcClass": "` + juice + `", "quantity": 9191, "uom": "LTR"}],
     "bizLocation": {"id": "https://id.gs1.org/414/` + plantGLN + `"},
     "ilmd": {"cbvmda:itemExpirationDate": "2027-03-01", "hm:productionDate": "2026-09-02"}},
    {"type": "ObjectEvent", "eventTime": "2026-09-03T14:00:00+08:00", "eventTimeZoneOffset": "+08:00",
     "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
     "quantityList": [{"epcClass": "` + juice + `", "quantity": 8383, "uom": "LTR"}],
     "bizTransactionList": [{"type": "inv", "bizTransaction": "urn:hallmark:doc:inv:INV-SECRET-42"}]},
    {"type": "ObjectEvent", "eventTime": "2026-09-04T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",
     "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
     "quantityList": [{"epcClass": "` + juice + `", "quantity": 8383, "uom": "LTR"}]}
  ]}
}`
}

// traceSite is a site with the juice registered and its lot's events
// captured: the first three by the test enterprise, the last by the office.
func traceSite(t *testing.T, db *store.DB) *site {
	t.Helper()
	s := newSiteOn(t, db)
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	if _, err := registry.CreateProduct(ctx, db, s.users[auth.RoleOfficer], registry.ProductInput{
		EnterpriseID: s.entID, Name: "额济纳蜜瓜汁", GTIN: juiceGTIN13, Category: "饮料"}); err != nil {
		t.Fatalf("product: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(traceDoc()), &doc); err != nil {
		t.Fatal(err)
	}
	evs := doc["epcisBody"].(map[string]any)["eventList"].([]any)
	first, last := doc, map[string]any{}
	for k, v := range doc {
		last[k] = v
	}
	first["epcisBody"] = map[string]any{"eventList": evs[:3]}
	last["epcisBody"] = map[string]any{"eventList": evs[3:]}
	for i, part := range []struct {
		doc   map[string]any
		owner string
	}{{first, s.entID}, {last, ""}} {
		b, _ := json.Marshal(part.doc)
		if _, err := trace.CaptureJSON(ctx, db, b, part.owner); err != nil {
			t.Fatalf("capture %d: %v", i, err)
		}
	}
	return s
}

func get(t *testing.T, s *site, role auth.Role, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestLotPageShowsPublicFacts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := traceSite(t, db)
		resp, body := get(t, s, "", lotPath())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		for _, want := range []string{
			"额济纳蜜瓜汁", "饮料", "JX-2026/09", juiceGTIN14(), "测试企业", // product, category, lot, GTIN, producer
			"2026-09-02", "2027-03-01", // production and expiry from the ILMD
			"GLN " + farmGLN,             // the farm supplied the origin
			"收货", "生产赋码", "发货", "市场监管部门", // steps and who recorded them
			"2026-09-03 14:00", // event time in China
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		// The timeline runs oldest first, and holds the lot's own events:
		// the melons' receiving is an origin, not a step of the juice.
		if strings.Contains(body, "2026-09-01 08:00") {
			t.Error("the timeline shows an event of another lot")
		}
		if i, j := strings.Index(body, "2026-09-02 09:30"), strings.Index(body, "2026-09-04 10:00"); i < 0 || j < i {
			t.Errorf("timeline out of order (%d, %d)", i, j)
		}
		for _, secret := range []string{"INV-SECRET-42", "8383", "9191", "LTR", "KGM"} {
			if strings.Contains(body, secret) {
				t.Errorf("public page shows %q", secret)
			}
		}
		if strings.Contains(body, `data-testid="recall"`) {
			t.Error("a recall banner without a recall")
		}
		// English by the visitor's choice.
		_, en := get(t, s, "", lotPath(), "Accept-Language", "en")
		for _, want := range []string{"Shipped", "Received", "Producer", "Market regulator"} {
			if !strings.Contains(en, want) {
				t.Errorf("English page lacks %q", want)
			}
		}
		// The same lot by its GTIN-13.
		resp, body13 := get(t, s, "", "/01/"+juiceGTIN13+"/10/JX-2026%2F09")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body13, "额济纳蜜瓜汁") || !strings.Contains(body13, "发货") {
			t.Errorf("GTIN-13 link: status %d", resp.StatusCode)
		}
	})
}

func TestLotJSONAndLinks(t *testing.T) {
	t.Parallel()
	s := traceSite(t, storetest.SQLite(t))
	resp, body := get(t, s, "", lotPath(), "Accept", "application/json")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var f struct {
		ID, Link, Kind, GTIN, Lot, Producer, ProductionDate, ExpiryDate string
		Product                                                         struct{ Name, Source string }
		Events                                                          []struct{ EventTime, BizStep, Step, Party string }
		Origins                                                         []struct {
			ID        string
			Suppliers []string
		}
		TestReports []any
		Recall      any
	}
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	wantID := "https://id.gs1.org" + lotPath()
	if f.ID != wantID || f.Link != s.ts.URL+lotPath() || f.Kind != "lot" || f.GTIN != juiceGTIN14() || f.Lot != "JX-2026/09" {
		t.Errorf("identity %+v", f)
	}
	if f.Product.Name != "额济纳蜜瓜汁" || f.Product.Source != "registry" || f.Producer != "测试企业" {
		t.Errorf("product %+v producer %q", f.Product, f.Producer)
	}
	if f.ProductionDate != "2026-09-02" || f.ExpiryDate != "2027-03-01" {
		t.Errorf("dates %q %q", f.ProductionDate, f.ExpiryDate)
	}
	var steps []string
	for _, e := range f.Events {
		steps = append(steps, e.BizStep)
	}
	if strings.Join(steps, ",") != "commissioning,shipping,receiving" {
		t.Errorf("steps %v", steps)
	}
	if f.Events[0].EventTime != "2026-09-02T01:30:00Z" || f.Events[2].Party != "市场监管部门" {
		t.Errorf("events %+v", f.Events)
	}
	if len(f.Origins) != 1 || f.Origins[0].ID != "https://id.gs1.org/01/"+melonGTIN14+"/10/M-0815" ||
		len(f.Origins[0].Suppliers) != 1 || f.Origins[0].Suppliers[0] != "GLN "+farmGLN {
		t.Errorf("origins %+v", f.Origins)
	}
	if f.TestReports == nil || len(f.TestReports) != 0 || f.Recall != nil {
		t.Errorf("reports %v recall %v", f.TestReports, f.Recall)
	}
	if strings.Contains(body, "INV-SECRET-42") || strings.Contains(body, "8383") {
		t.Error("JSON shows business documents or quantities")
	}
	links := strings.Join(resp.Header.Values("Link"), ", ")
	for _, want := range []string{
		`<` + s.ts.URL + lotPath() + `>; rel="https://gs1.org/voc/pip"`,
		`rel="https://gs1.org/voc/traceability"`,
		`/epcis/events?MATCH_anyEPCClass=https%3A%2F%2Fid.gs1.org%2F01%2F` + juiceGTIN14(),
		`rel="linkset"`,
	} {
		if !strings.Contains(links, want) {
			t.Errorf("Link headers lack %s: %s", want, links)
		}
	}

	// The linkset lists the same links.
	resp, body = get(t, s, "", lotPath()+"?linkType=all")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/linkset+json" {
		t.Fatalf("linkset: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var ls struct {
		Linkset []map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(body), &ls); err != nil || len(ls.Linkset) != 1 {
		t.Fatalf("linkset %s: %v", body, err)
	}
	var anchor string
	_ = json.Unmarshal(ls.Linkset[0]["anchor"], &anchor)
	if anchor != wantID {
		t.Errorf("anchor %q", anchor)
	}
	for _, lt := range []string{"https://gs1.org/voc/pip", "https://gs1.org/voc/traceability", "https://gs1.org/voc/defaultLink"} {
		var targets []struct{ Href string }
		if err := json.Unmarshal(ls.Linkset[0][lt], &targets); err != nil || len(targets) != 1 || !strings.HasPrefix(targets[0].Href, s.ts.URL+"/") {
			t.Errorf("linkset %s: %s", lt, ls.Linkset[0][lt])
		}
	}

	// Asking for one link type goes there.
	resp, _ = get(t, s, "", lotPath()+"?linkType=gs1:traceability")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusTemporaryRedirect || !strings.Contains(loc, "/epcis/events?MATCH_anyEPCClass=") {
		t.Errorf("traceability link: %d %s", resp.StatusCode, loc)
	}
}

// A code with a wrong check digit or a lot outside GS1's rules is refused
// with 400, naming the AI and the rule in the visitor's language.
func TestBadDigitalLink(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	wrong := juiceGTIN13[:12] + string('0'+(juiceGTIN13[12]-'0'+1)%10)
	for _, c := range []struct {
		path, ai, rule, zh, en string
	}{
		{"/01/" + wrong + "/10/L1", "01", "rule.dl.checksum", "商品条码（GTIN）（AI 01）：校验位错误", "Product code (GTIN) (AI 01): Wrong check digit"},
		{"/01/" + wrong, "01", "rule.dl.checksum", "AI 01", "AI 01"},
		{"/01/" + juiceGTIN13 + "/10/" + strings.Repeat("A", 21), "10", "rule.dl.format", "批号（AI 10）", "Batch or lot number (AI 10)"},
		{"/01/" + juiceGTIN13 + "/10/%E4%B8%AD", "10", "rule.dl.format", "AI 10", "AI 10"},
		{"/01/" + juiceGTIN13 + "/21/S1/10/L1", "10", "rule.dl.qualifier_order", "AI 10", "AI 10"},
		{"/01/12345", "01", "rule.dl.format", "AI 01", "AI 01"},
	} {
		resp, body := get(t, s, "", c.path)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.zh) {
			t.Errorf("%s: status %d, want 400 naming %q: %s", c.path, resp.StatusCode, c.zh, snippet(body, "<main"))
		}
		_, body = get(t, s, "", c.path, "Accept-Language", "en")
		if !strings.Contains(body, c.en) {
			t.Errorf("%s: English page lacks %q", c.path, c.en)
		}
		resp, body = get(t, s, "", c.path, "Accept", "application/json")
		var p struct {
			Status int
			Errors []struct{ Field, Rule, Message string }
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != 400 ||
			resp.Header.Get("Content-Type") != "application/problem+json" || len(p.Errors) != 1 ||
			p.Errors[0].Field != c.ai || p.Errors[0].Rule != c.rule || p.Errors[0].Message == "" {
			t.Errorf("%s: problem %d %s", c.path, resp.StatusCode, body)
		}
	}
}

func TestProductAndSerialPages(t *testing.T) {
	t.Parallel()
	s := traceSite(t, storetest.SQLite(t))
	resp, body := get(t, s, "", "/01/"+juiceGTIN13)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "额济纳蜜瓜汁") ||
		!strings.Contains(body, `href="`+lotPath()+`"`) {
		t.Errorf("product page %d lacks the product or its lot link: %s", resp.StatusCode, snippet(body, "<main"))
	}
	// A serial nobody recorded: the product is known, the journey empty.
	resp, body = get(t, s, "", "/01/"+juiceGTIN14()+"/21/SN-1", "Accept", "application/json")
	var f struct {
		Kind, Serial string
		Product      struct{ Name string }
		Events       []any
	}
	if err := json.Unmarshal([]byte(body), &f); err != nil || resp.StatusCode != 200 || f.Kind != "serial" ||
		f.Serial != "SN-1" || f.Product.Name != "额济纳蜜瓜汁" || len(f.Events) != 0 {
		t.Errorf("serial: %d %s", resp.StatusCode, body)
	}
	// Dates the code carries itself (?11= production, ?17= expiry, day 00
	// the month's last) show when nothing recorded them.
	_, body = get(t, s, "", "/01/"+juiceGTIN14()+"/10/NEW-1?17=271200&11=260915", "Accept", "application/json")
	var d struct{ ProductionDate, ExpiryDate string }
	if err := json.Unmarshal([]byte(body), &d); err != nil || d.ProductionDate != "2026-09-15" || d.ExpiryDate != "2027-12-31" {
		t.Errorf("dates from the link: %s", body)
	}
	// A consumer product variant before the lot is the same lot.
	resp, body = get(t, s, "", "/01/"+juiceGTIN14()+"/22/V2/10/JX-2026%2F09")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "发货") || !strings.Contains(body, "V2") {
		t.Errorf("CPV link: %d", resp.StatusCode)
	}
}

// A lot in an open recall's scope has the red banner, on the page and in
// the JSON.
func TestRecallBanner(t *testing.T) {
	t.Parallel()
	s := traceSite(t, storetest.SQLite(t))
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	// The recall is of the melons; the juice made from them is in its scope.
	if _, err := recall.Open(ctx, s.db, s.users[auth.RoleOfficer], recall.OpenInput{
		EPC: "https://id.gs1.org/01/" + melonGTIN14 + "/10/M-0815", Level: 2, Reason: "农药残留超标"}); err != nil {
		t.Fatalf("open recall: %v", err)
	}
	_, body := get(t, s, "", lotPath())
	if !strings.Contains(body, `data-testid="recall"`) || !strings.Contains(body, "农药残留超标") || !strings.Contains(body, "2 级召回") {
		t.Errorf("no recall banner: %s", snippet(body, "<main"))
	}
	_, body = get(t, s, "", lotPath(), "Accept", "application/json")
	var f struct{ Recall *struct{ Level int } }
	if err := json.Unmarshal([]byte(body), &f); err != nil || f.Recall == nil || f.Recall.Level != 2 {
		t.Errorf("JSON recall: %s", body)
	}
}

func TestLotLabels(t *testing.T) {
	t.Parallel()
	s := traceSite(t, storetest.SQLite(t))
	link := s.ts.URL + lotPath()
	code, err := qrlabel.Encode(link)
	if err != nil {
		t.Fatal(err)
	}

	resp, body := get(t, s, auth.RoleEnterprise, "/labels"+lotPath()+".png")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("png: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	img, err := png.Decode(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	side := (code.Size() + 2*qrlabel.QuietZone) * 8
	if img.Bounds().Dx() != side || img.Bounds().Dy() <= side {
		t.Errorf("png %v, want %d wide with lines under the code", img.Bounds(), side)
	}
	square := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(0, 0, side, side))
	if got, err := goqr.Decode(square); err != nil || got != link {
		t.Errorf("label scans as %q (%v), want %q", got, err, link)
	}

	resp, body = get(t, s, auth.RoleOfficer, "/labels"+lotPath()+".svg")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("svg: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		XMLName xml.Name
		Title   string   `xml:"title"`
		Texts   []string `xml:"text"`
	}
	if err := xml.NewDecoder(bytes.NewReader([]byte(body))).Decode(&doc); err != nil || doc.XMLName.Local != "svg" {
		t.Fatalf("SVG not well-formed: %v", err)
	}
	if doc.Title != link || strings.Join(doc.Texts, "|") != "(01) "+juiceGTIN14()+"|(10) JX-2026/09" {
		t.Errorf("svg title %q texts %q", doc.Title, doc.Texts)
	}

	resp, body = get(t, s, auth.RoleEnterprise, "/labels"+lotPath()+"?n=48")
	if resp.StatusCode != http.StatusOK || strings.Count(body, `<figure class="label">`) != 48 ||
		!strings.Contains(body, link) || !strings.Contains(body, "额济纳蜜瓜汁") {
		t.Errorf("sheet: %d, %d labels", resp.StatusCode, strings.Count(body, `<figure class="label">`))
	}
	// The lot page offers the sheet to those who may print.
	_, page := get(t, s, auth.RoleEnterprise, lotPath())
	if !strings.Contains(page, `href="/labels`+lotPath()+`"`) {
		t.Error("lot page has no label sheet link for an enterprise")
	}
	_, page = get(t, s, "", lotPath())
	if strings.Contains(page, `data-testid="labels"`) {
		t.Error("the public sees the label sheet link")
	}
	// Labels need a signed-in role with trace.read.
	if resp, _ := get(t, s, "", "/labels"+lotPath()+".png"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous label: %d", resp.StatusCode)
	}
	if resp, _ := get(t, s, auth.RoleExpert, "/labels"+lotPath()+".svg", "Accept", "application/json"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("expert label: %d", resp.StatusCode)
	}
	wrong := juiceGTIN13[:12] + string('0'+(juiceGTIN13[12]-'0'+1)%10)
	if resp, _ := get(t, s, auth.RoleOfficer, "/labels/01/"+wrong+"/10/X.png"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("label of a bad GTIN: %d", resp.StatusCode)
	}
}

func snippet(body, from string) string {
	i := max(strings.Index(body, from), 0)
	return body[i:min(len(body), i+1500)]
}

// A supplier known by a GLN is shown on the public lot page by its number,
// by the name master data gives it, and by the name of the enterprise that
// registered the GLN, in rising order of trust.
func TestRegisteredGLNIsShownByName(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s := traceSite(t, db)
	suppliers := func() []string {
		t.Helper()
		_, body := get(t, s, "", lotPath(), "Accept", "application/json")
		var f struct {
			Origins []struct{ Suppliers []string }
		}
		if err := json.Unmarshal([]byte(body), &f); err != nil || len(f.Origins) != 1 {
			t.Fatalf("origins %s: %v", body, err)
		}
		return f.Origins[0].Suppliers
	}
	if got := suppliers(); len(got) != 1 || got[0] != "GLN "+farmGLN {
		t.Fatalf("unregistered GLN shown as %v", got)
	}
	// Master data the farm sent names it until an enterprise registers
	// the GLN.
	md := `{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument",
		"schemaVersion":"2.0","creationDate":"2026-10-01T00:00:00Z","epcisHeader":{"epcisMasterData":{"vocabularyList":[
		{"type":"urn:epcglobal:epcis:vtype:Party","vocabularyElementList":[{"id":"https://id.gs1.org/417/` + farmGLN + `",
		"attributes":[{"id":"urn:epcglobal:cbv:mda#name","attribute":"蜜瓜农场"}]}]}]}},"epcisBody":{"eventList":[]}}`
	if _, err := trace.CaptureJSON(context.Background(), db, []byte(md), ""); err != nil {
		t.Fatal(err)
	}
	if got := suppliers(); len(got) != 1 || got[0] != "蜜瓜农场" {
		t.Fatalf("GLN named by master data shown as %v", got)
	}
	if _, err := db.Exec(context.Background(), `INSERT INTO enterprises (id, region_code, uscc, name, gln, created_at, updated_at)
		VALUES (?, '152923', '91152923MA0N000019', '额济纳瓜农合作社', ?, 0, 0)`, store.NewID(), farmGLN); err != nil {
		t.Fatal(err)
	}
	if got := suppliers(); len(got) != 1 || got[0] != "额济纳瓜农合作社" {
		t.Errorf("registered GLN shown as %v", got)
	}
}

// Goods, parties and places nobody registered are named on the public lot
// page by the master data sent with their events; a GLN's party and its
// premises keep their own names.
func TestMasterDataNamesGoodsAndPlaces(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s := newSiteOn(t, db)
	gtin := codes.GTIN14(codes.GTIN13FromSerial("6901234", 5678))
	doc := `{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument",
		"schemaVersion":"2.0","creationDate":"2026-10-01T00:00:00Z","epcisHeader":{"epcisMasterData":{"vocabularyList":[
		{"type":"urn:epcglobal:epcis:vtype:Party","vocabularyElementList":[{"id":"urn:epc:id:pgln:6901234.00001",
			"attributes":[{"id":"urn:epcglobal:cbv:mda#name","attribute":"塞外面粉有限公司"}]}]},
		{"type":"urn:epcglobal:epcis:vtype:BusinessLocation","vocabularyElementList":[{"id":"urn:epc:id:sgln:6901234.00001.0",
			"attributes":[{"id":"urn:epcglobal:cbv:mda#name","attribute":"塞外面粉生产车间"}]}]},
		{"type":"urn:epcglobal:epcis:vtype:EPCClass","vocabularyElementList":[{"id":"https://id.gs1.org/01/` + gtin + `",
			"attributes":[{"id":"urn:epcglobal:cbv:mda#descriptionShort","attribute":"特一粉（25 kg）"}]}]}]}},
		"epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2026-10-01T08:00:00+08:00","eventTimeZoneOffset":"+08:00",
			"action":"OBSERVE","bizStep":"receiving","disposition":"in_progress",
			"quantityList":[{"epcClass":"https://id.gs1.org/01/` + gtin + `/10/MF1","quantity":2000,"uom":"KGM"}],
			"sourceList":[{"type":"owning_party","source":"urn:epc:id:pgln:6901234.00001"},
				{"type":"location","source":"urn:epc:id:sgln:6901234.00001.0"}]}]}}`
	if _, err := trace.CaptureJSON(context.Background(), db, []byte(doc), s.entID); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, s, "", "/01/"+gtin+"/10/MF1", "Accept", "application/json")
	var f struct {
		Product struct{ Name, Source string }
		Origins []struct {
			Name      string
			Suppliers []string
		}
	}
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	if f.Product.Name != "特一粉（25 kg）" || f.Product.Source != "master_data" {
		t.Errorf("product %+v", f.Product)
	}
	if len(f.Origins) != 1 || f.Origins[0].Name != "特一粉（25 kg）" {
		t.Fatalf("origins %+v", f.Origins)
	}
	got := slices.Sorted(slices.Values(f.Origins[0].Suppliers))
	if !slices.Equal(got, []string{"塞外面粉有限公司", "塞外面粉生产车间"}) {
		t.Errorf("suppliers %v", got)
	}
}

// A raw material without a GTIN (a herd's milk, minted as a platform lot)
// is named on the public page by the product and lot its identifier
// carries, and the co-operative it came from, as party and as place, is
// named once.
func TestPlatformLotOrigin(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	s := newSiteOn(t, db)
	const uscc = "91152923MA0N000000" // the site's registered enterprise
	milk, err := trace.LotURI(uscc, "", "生驼乳", "M1")
	if err != nil {
		t.Fatal(err)
	}
	gtin := codes.GTIN14(codes.GTIN13FromSerial("6901234", 5679))
	doc := `{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument",
		"schemaVersion":"2.0","creationDate":"2026-10-01T00:00:00Z","epcisBody":{"eventList":[
		{"type":"ObjectEvent","eventTime":"2026-10-01T08:00:00+08:00","eventTimeZoneOffset":"+08:00",
			"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit",
			"quantityList":[{"epcClass":"` + milk + `","quantity":600,"uom":"LTR"}],
			"sourceList":[{"type":"owning_party","source":"` + trace.PartyURI(uscc, "") + `"},
				{"type":"location","source":"` + trace.LocationURI(uscc) + `"}]},
		{"type":"TransformationEvent","eventTime":"2026-10-02T08:00:00+08:00","eventTimeZoneOffset":"+08:00",
			"inputQuantityList":[{"epcClass":"` + milk + `","quantity":600,"uom":"LTR"}],
			"outputQuantityList":[{"epcClass":"https://id.gs1.org/01/` + gtin + `/10/Y1","quantity":1000,"uom":"H87"}]}]}}`
	if _, err := trace.CaptureJSON(context.Background(), db, []byte(doc), ""); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, s, "", "/01/"+gtin+"/10/Y1", "Accept", "application/json")
	var f struct {
		Origins []struct {
			Name, Lot string
			Suppliers []string
		}
	}
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Origins) != 1 || f.Origins[0].Name != "生驼乳" || f.Origins[0].Lot != "M1" ||
		!slices.Equal(f.Origins[0].Suppliers, []string{"测试企业"}) {
		t.Errorf("origins %+v", f.Origins)
	}
}
