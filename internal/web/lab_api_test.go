package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/web"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// labClock is the server's clock in these tests: fixed, and moved forward
// by hand to step past a statutory window.
type labClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *labClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *labClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// labLab is a site whose server runs on a fixed clock (Monday 2 March 2026,
// 09:00 in China), with the callers of the testing system: the site's
// officer and enterprise, a second enterprise, and the users of the
// institutions the test registers.
type labLab struct {
	*site
	clock    *labClock
	blobDir  string
	otherEnt string // token of an enterprise the reports do not concern
}

func newLabLab(t *testing.T, db *store.DB) *labLab {
	t.Helper()
	s := newSiteOn(t, db)
	l := &labLab{site: s, clock: &labClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, workday.Shanghai)}, blobDir: t.TempDir()}
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BlobDir: l.blobDir, Now: l.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	s.ts = httptest.NewServer(srv)
	t.Cleanup(s.ts.Close)

	ctx := audit.WithActor(context.Background(), audit.System)
	other := store.NewID()
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO enterprises (id, region_code, uscc, name, created_at, updated_at)
			VALUES (?, '152923', ?, '另一家企业', 0, 0)`, other, codes.USCCFromSerial("152923", 77))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	l.otherEnt = l.userToken(auth.NewUser{Username: "other-ent", Name: "另一家企业", Role: auth.RoleEnterprise, EnterpriseID: other})
	return l
}

// userToken creates an account in the site's banner and returns its API token.
func (l *labLab) userToken(nu auth.NewUser) string {
	l.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System)
	nu.Password, nu.RegionCode = testPassword, "152923"
	u, err := auth.CreateUser(ctx, l.db, nu)
	if err != nil {
		l.t.Fatalf("create %s: %v", nu.Username, err)
	}
	tok, _, err := auth.CreateToken(ctx, l.db, u.ID, "test")
	if err != nil {
		l.t.Fatal(err)
	}
	return tok
}

// institutionUser creates a user of an institution and returns its token.
func (l *labLab) institutionUser(name, instID string) string {
	return l.userToken(auth.NewUser{Username: name, Name: name, Role: auth.RoleInstitution, InstitutionID: instID})
}

// call sends a JSON request with a token ("" for none) and the given
// Accept-Language, and returns the status and body.
func (l *labLab) call(token, method, path, body, lang string) (int, string) {
	l.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, l.ts.URL+path, rd)
	if err != nil {
		l.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	return resp.StatusCode, readBody(l.t, resp)
}

// must sends a request that must answer want, and decodes the answer into v.
func (l *labLab) must(want int, token, method, path, body string, v any) {
	l.t.Helper()
	status, got := l.call(token, method, path, body, "")
	if status != want {
		l.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, got)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(got), v); err != nil {
			l.t.Fatalf("%s %s: %v in %s", method, path, err, got)
		}
	}
}

// labProblem is an RFC 9457 problem document.
type labProblem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Errors []struct {
		Field, Rule, Message string
	} `json:"errors"`
}

// refused sends a request that must be refused with want and returns the
// problem, checking that it is problem+json.
func (l *labLab) refused(want int, token, method, path, body, lang string) labProblem {
	l.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, l.ts.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	got := readBody(l.t, resp)
	if resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/problem+json" {
		l.t.Fatalf("%s %s: status %d %s, want %d problem+json: %s", method, path, resp.StatusCode, resp.Header.Get("Content-Type"), want, got)
	}
	var p labProblem
	if err := json.Unmarshal([]byte(got), &p); err != nil {
		l.t.Fatal(err)
	}
	return p
}

// rule returns the rule and message of field in p, or "" when p does not
// name it.
func (p labProblem) rule(field string) (rule, message string) {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Rule, e.Message
		}
	}
	return "", ""
}

// pngPhoto is the smallest content the blob store takes for a PNG.
var pngPhoto = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

// labInstitution is what the tests read of an institution.
type labInstitution struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	USCC  string `json:"uscc"`
	CMA   string `json:"cma_number"`
	From  string `json:"cma_valid_from"`
	To    string `json:"cma_valid_to"`
	CNAS  string `json:"cnas_number"`
	State string `json:"status"`
	Scope []struct {
		Category, Item, Method string
	} `json:"scope"`
}

type labResult struct {
	Item       string         `json:"item"`
	Conclusion string         `json:"conclusion"`
	Compared   string         `json:"compared"`
	Reason     string         `json:"reason"`
	ReasonKey  string         `json:"reason_key"`
	ReasonArgs map[string]any `json:"reason_args"`
	Outside    bool           `json:"outside_scope"`
	Limit      *struct {
		Standard, Comparison, Max, Unit string
	} `json:"limit"`
}

type labReport struct {
	ID               string `json:"id"`
	Number           string `json:"number"`
	Version          int    `json:"version"`
	Status           string `json:"status"`
	Conclusion       string `json:"conclusion"`
	VerificationCode string `json:"verification_code"`
	VerificationURL  string `json:"verification_url"`
	Fingerprint      string `json:"fingerprint"`
	SampleID         string `json:"sample_id"`
	Enterprise       string `json:"enterprise"`
	Institution      string `json:"institution"`
	Product          string `json:"product"`
	Lot              string `json:"lot"`
	IssuedAt         int64  `json:"issued_at"`
	Deadline         string `json:"objection_deadline"`
	Items            []struct {
		Item, Value, Conclusion string
	} `json:"items"`
}

// issued is the state of the world after the first report is issued.
type issued struct {
	instA, instB, instC string
	labA1, labA2, labB1 string // tokens
	sampleID, photo     string
	report              labReport
	nonconformingReason string
}

// issueReport walks the API from an empty register to an issued report with
// a nonconforming result, checking each step on the way.
func (l *labLab) issueReport() issued {
	t := l.t
	t.Helper()
	officer := l.tokens[auth.RoleOfficer]
	var w issued

	// The register: A tests dairy for lead and protein; B may re-test lead;
	// C's scope lacks lead.
	inst := func(name string, serial uint64, prefix, scope string) labInstitution {
		t.Helper()
		var in labInstitution
		l.must(http.StatusCreated, officer, "POST", "/api/v1/institutions", `{"name":"`+name+`","uscc":"`+
			codes.USCCFromSerial("152923", serial)+`","report_prefix":"`+prefix+`","cma_number":"230512345`+fmt.Sprint(serial)+`",
			"cma_valid_from":"2023-03-01","cma_valid_to":"2029-02-28","cnas_number":"L1234","scope":`+scope+`}`, &in)
		return in
	}
	a := inst("额济纳旗检验检测中心", 900, "EJN", `[{"category":"乳制品","item":"铅","method":"GB 5009.12-2023"},
		{"category":"乳制品","item":"蛋白质","method":"GB 5009.5-2016"}]`)
	if a.ID == "" || a.CMA != "230512345900" || a.To != "2029-02-28" || !strings.HasSuffix(a.CNAS, "L1234") || a.State != "active" || len(a.Scope) != 2 {
		t.Fatalf("institution %+v", a)
	}
	var got labInstitution
	l.must(http.StatusOK, l.tokens[auth.RoleInspector], "GET", "/api/v1/institutions/"+a.ID, "", &got)
	if got.Name != a.Name || len(got.Scope) != 2 {
		t.Fatalf("read back %+v", got)
	}
	w.instA = a.ID
	w.instB = inst("阿拉善盟产品质量检验所", 901, "ALM", `[{"category":"乳制品","item":"铅","method":"GB 5009.12-2023"}]`).ID
	w.instC = inst("某食品检测公司", 902, "MSJ", `[{"category":"乳制品","item":"蛋白质"}]`).ID
	w.labA1, w.labA2 = l.institutionUser("lab-a1", w.instA), l.institutionUser("lab-a2", w.instA)
	w.labB1 = l.institutionUser("lab-b1", w.instB)

	// The catalogue holds the limit lead is judged by.
	var lim struct{ ID string }
	l.must(http.StatusCreated, officer, "POST", "/api/v1/limits", `{"standard":"GB 2762-2022","clause":"4.1 表1","category":"乳制品",
		"item":"铅","comparison":"≤","max":"0.05","unit":"mg/kg","method":"GB 5009.12"}`, &lim)

	var task struct{ ID string }
	l.must(http.StatusCreated, officer, "POST", "/api/v1/sampling-tasks", `{"title":"2026年乳制品监督抽检","category":"乳制品",
		"kind":"food","items":["铅"],"institution_id":"`+w.instA+`","period_from":"2026-01-01","period_to":"2026-12-31",
		"enterprise_ids":["`+l.entID+`"]}`, &task)

	// Only an image is a seal photo.
	req, _ := http.NewRequest("POST", l.ts.URL+"/api/v1/seal-photos", strings.NewReader("%PDF-1.4 not a photo"))
	req.Header.Set("Authorization", "Bearer "+l.tokens[auth.RoleInspector])
	req.Header.Set("Content-Type", "image/png")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"file"`) {
		t.Fatalf("a PDF as a seal photo: %d %s", resp.StatusCode, body)
	}
	// The seal photo, then the sample, recorded by the institution's
	// samplers.
	req, _ = http.NewRequest("POST", l.ts.URL+"/api/v1/seal-photos", bytes.NewReader(pngPhoto))
	req.Header.Set("Authorization", "Bearer "+l.tokens[auth.RoleInspector])
	req.Header.Set("Content-Type", "image/png")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var photo struct{ Hash, Mime string }
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("photo: %d %s", resp.StatusCode, readBody(t, resp))
	}
	decodeJSONBody(t, resp, &photo)
	if photo.Hash == "" || photo.Mime != "image/png" {
		t.Fatalf("photo %+v", photo)
	}
	w.photo = photo.Hash
	var sm struct {
		ID, Number, Custody string
	}
	l.must(http.StatusCreated, w.labA1, "POST", "/api/v1/samples", `{"task_id":"`+task.ID+`","enterprise_id":"`+
		l.entID+`","product_name":"驼奶粉","lot":"20260301A","quantity":6,"unit":"袋","sampled_on":"2026-03-02",
		"samplers":["张三","李四"],"seal_photos":["`+w.photo+`"]}`, &sm)
	if !strings.HasPrefix(sm.Number, "CY2026-") || sm.Custody != "sampled" {
		t.Fatalf("sample %+v", sm)
	}
	w.sampleID = sm.ID

	// Custody: the office sends it, the institution takes it in; steps
	// out of order are refused by name.
	l.must(http.StatusCreated, officer, "POST", "/api/v1/samples/"+sm.ID+"/custody", `{"step":"sent"}`, nil)
	p := l.refused(http.StatusUnprocessableEntity, w.labA1, "POST", "/api/v1/samples/"+sm.ID+"/custody", `{"step":"tested"}`, "")
	if r, _ := p.rule("step"); r != "rule.lab.custody.order" {
		t.Fatalf("out of order: %+v", p)
	}
	l.must(http.StatusCreated, w.labA1, "POST", "/api/v1/samples/"+sm.ID+"/custody", `{"step":"received","note":"封条完好"}`, &sm)
	if sm.Custody != "received" {
		t.Fatalf("custody %q", sm.Custody)
	}

	// Results, with the institution's token: lead over its limit is judged
	// nonconforming and says why; moisture has no limit and is outside the
	// scope.
	body := `{"items":[{"item":"铅","value":"0.12","unit":"mg/kg","method":"GB 5009.12-2023","lod":"0.01"},
		{"item":"水分","value":"3.1","unit":"g/100g"}]}`
	// Another institution's token reaches nothing of this sample.
	l.refused(http.StatusNotFound, w.labB1, "POST", "/api/v1/samples/"+sm.ID+"/results", body, "")
	var res struct {
		SampleID string      `json:"sample_id"`
		Items    []labResult `json:"items"`
	}
	l.must(http.StatusCreated, w.labA1, "POST", "/api/v1/samples/"+sm.ID+"/results", body, &res)
	byItem := map[string]labResult{}
	for _, r := range res.Items {
		byItem[r.Item] = r
	}
	lead, water := byItem["铅"], byItem["水分"]
	if lead.Conclusion != "nonconforming" || lead.Limit == nil || lead.Limit.Standard != "GB 2762-2022" || lead.Limit.Max != "0.05" ||
		lead.Compared != "0.12" || !strings.HasPrefix(lead.ReasonKey, "lab.judge.reason.") || lead.ReasonArgs["source"] == nil ||
		!strings.Contains(lead.Reason, "0.05") || !strings.Contains(lead.Reason, "GB 2762-2022") || strings.Contains(lead.Reason, "{") {
		t.Fatalf("lead %+v", lead)
	}
	if water.Conclusion != "not_judged" || !water.Outside || water.Reason == "" {
		t.Fatalf("moisture %+v", water)
	}
	w.nonconformingReason = lead.Reason
	// The same result read in English says the same in English.
	status, en := l.call(w.labA1, "GET", "/api/v1/samples/"+sm.ID, "", "en")
	if status != http.StatusOK || !strings.Contains(en, "compared") || strings.Contains(en, lead.Reason) {
		t.Fatalf("sample in English: %d %s", status, en)
	}
	var flags struct {
		Items []struct{ ID, Kind string } `json:"items"`
	}
	l.must(http.StatusOK, officer, "GET", "/api/v1/institutions/"+w.instA+"/flags?open=true", "", &flags)
	if len(flags.Items) != 1 || flags.Items[0].Kind != "outside_scope" {
		t.Fatalf("flags %+v", flags)
	}
	p = l.refused(http.StatusUnprocessableEntity, officer, "POST", "/api/v1/flags/"+flags.Items[0].ID+"/resolve", `{"resolution":" "}`, "")
	if r, _ := p.rule("resolution"); r != "rule.required" {
		t.Fatalf("resolving without saying how: %+v", p)
	}
	l.must(http.StatusOK, officer, "POST", "/api/v1/flags/"+flags.Items[0].ID+"/resolve", `{"resolution":"已约谈，水分不在资质范围内，不作判定"}`, nil)
	l.must(http.StatusOK, officer, "GET", "/api/v1/institutions/"+w.instA+"/flags?open=true", "", &flags)
	if len(flags.Items) != 0 {
		t.Fatalf("a resolved flag is still open: %+v", flags)
	}

	l.must(http.StatusCreated, w.labA1, "POST", "/api/v1/samples/"+sm.ID+"/custody", `{"step":"tested"}`, nil)

	// Drafted by one user, not approvable by the same, issued by the second.
	var draft labReport
	l.must(http.StatusCreated, w.labA1, "POST", "/api/v1/reports", `{"sample_id":"`+sm.ID+`"}`, &draft)
	if draft.Status != "draft" || !strings.HasPrefix(draft.Number, "EJN-2026-") || draft.Conclusion != "nonconforming" || draft.VerificationCode != "" {
		t.Fatalf("draft %+v", draft)
	}
	p = l.refused(http.StatusUnprocessableEntity, w.labA1, "POST", "/api/v1/reports/"+draft.Number+"/approve", "", "")
	if r, msg := p.rule("approver"); r != "rule.lab.report.self_approval" || msg == "" {
		t.Fatalf("self-approval: %+v", p)
	}
	l.refused(http.StatusNotFound, w.labB1, "POST", "/api/v1/reports/"+draft.Number+"/approve", "", "")
	l.must(http.StatusOK, w.labA2, "POST", "/api/v1/reports/"+draft.Number+"/approve", "", &w.report)
	if w.report.Status != "issued" || w.report.Version != 1 || w.report.VerificationCode == "" || w.report.Fingerprint == "" ||
		w.report.IssuedAt == 0 || w.report.Deadline == "" || !strings.Contains(w.report.VerificationURL, "code="+w.report.VerificationCode) {
		t.Fatalf("issued %+v", w.report)
	}
	return w
}

// reportsOf lists the reports a token sees.
func (l *labLab) reportsOf(token string) []labReport {
	l.t.Helper()
	var list struct {
		Items []labReport `json:"items"`
		Total int         `json:"total"`
	}
	l.must(http.StatusOK, token, "GET", "/api/v1/reports", "", &list)
	if list.Total != len(list.Items) {
		l.t.Fatalf("total %d for %d items", list.Total, len(list.Items))
	}
	return list.Items
}

func TestLabAPIFullPath(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLabLab(t, db)
		w := l.issueReport()
		officer, ent := l.tokens[auth.RoleOfficer], l.tokens[auth.RoleEnterprise]
		number := w.report.Number

		// The list: number, conclusion and, for those it concerns, the code.
		for name, token := range map[string]string{"institution": w.labA1, "officer": officer, "enterprise": ent} {
			rs := l.reportsOf(token)
			if len(rs) != 1 || rs[0].Number != number || rs[0].Conclusion != "nonconforming" || rs[0].Status != "issued" ||
				rs[0].VerificationCode != w.report.VerificationCode || rs[0].Enterprise != "测试企业" || rs[0].Product != "驼奶粉" ||
				rs[0].Lot != "20260301A" || rs[0].Institution != "额济纳旗检验检测中心" || len(rs[0].Items) != 2 {
				t.Fatalf("%s sees %+v", name, rs)
			}
		}
		// Another enterprise and another institution see nothing of it, and
		// never its code.
		for name, token := range map[string]string{"other enterprise": l.otherEnt, "other institution": w.labB1} {
			if rs := l.reportsOf(token); len(rs) != 0 {
				t.Fatalf("%s sees %+v", name, rs)
			}
			status, body := l.call(token, "GET", "/api/v1/reports/"+number, "", "")
			if status != http.StatusNotFound || strings.Contains(body, w.report.VerificationCode) {
				t.Fatalf("%s reading the report: %d %s", name, status, body)
			}
		}

		// Samples too: the enterprise sees its own, another none.
		var samples struct {
			Items []struct{ ID string } `json:"items"`
			Total int                   `json:"total"`
		}
		l.must(http.StatusOK, ent, "GET", "/api/v1/samples", "", &samples)
		if samples.Total != 1 || samples.Items[0].ID != w.sampleID {
			t.Fatalf("enterprise's samples %+v", samples)
		}
		for _, token := range []string{l.otherEnt, w.labB1} {
			l.must(http.StatusOK, token, "GET", "/api/v1/samples", "", &samples)
			if samples.Total != 0 {
				t.Fatalf("samples seen by a stranger: %+v", samples)
			}
			l.refused(http.StatusNotFound, token, "GET", "/api/v1/samples/"+w.sampleID, "", "")
		}

		// The public page verifies it with the code, and only with it.
		if v := l.verify(number, w.report.VerificationCode); v.State != "valid" || v.Fingerprint != w.report.Fingerprint {
			t.Fatalf("verify %+v", v)
		}
		if v := l.verify(number, "ABCDEFGH"); v.State != "unknown" || v.Content != nil || v.Number != "" {
			t.Fatalf("wrong code %+v", v)
		}

		// The enterprise objects within the window: 201.
		var obj struct {
			ID, Status, Deadline string
			Items                []string
		}
		l.must(http.StatusCreated, ent, "POST", "/api/v1/reports/"+number+"/objections", `{"reason":"对铅的结果有异议，申请复检"}`, &obj)
		if obj.Status != "open" || obj.Deadline != w.report.Deadline || len(obj.Items) != 1 || obj.Items[0] != "铅" {
			t.Fatalf("objection %+v", obj)
		}
		var objs struct {
			Items []struct{ ID string } `json:"items"`
		}
		l.must(http.StatusOK, officer, "GET", "/api/v1/objections", "", &objs)
		if len(objs.Items) != 1 || objs.Items[0].ID != obj.ID {
			t.Fatalf("objections %+v", objs)
		}
		// The re-test goes to a qualified institution only.
		p := l.refused(http.StatusUnprocessableEntity, officer, "POST", "/api/v1/objections/"+obj.ID+"/retest",
			`{"institution_id":"`+w.instC+`"}`, "")
		if r, msg := p.rule("institution_id"); r != "rule.lab.retest.not_qualified" || !strings.Contains(msg, "铅") {
			t.Fatalf("unqualified re-test: %+v", p)
		}
		p = l.refused(http.StatusUnprocessableEntity, officer, "POST", "/api/v1/objections/"+obj.ID+"/retest",
			`{"institution_id":"`+w.instA+`"}`, "")
		if r, _ := p.rule("institution_id"); r != "rule.lab.retest.same_institution" {
			t.Fatalf("same institution: %+v", p)
		}
		var retest struct{ ID, Number, Custody string }
		l.must(http.StatusCreated, officer, "POST", "/api/v1/objections/"+obj.ID+"/retest", `{"institution_id":"`+w.instB+`"}`, &retest)
		if retest.Number == "" || !strings.HasSuffix(retest.Number, "-R") {
			t.Fatalf("re-test sample %+v", retest)
		}

		// B re-tests the reserve and finds lead within the limit; its
		// report, issued by B's second user, replaces the result.
		labB2 := l.institutionUser("lab-b2", w.instB)
		for _, step := range []string{"sent", "received"} {
			l.must(http.StatusCreated, w.labB1, "POST", "/api/v1/samples/"+retest.ID+"/custody", `{"step":"`+step+`"}`, nil)
		}
		var res struct {
			Items []labResult `json:"items"`
		}
		l.must(http.StatusCreated, w.labB1, "POST", "/api/v1/samples/"+retest.ID+"/results",
			`{"items":[{"item":"铅","value":"0.03","unit":"mg/kg","method":"GB 5009.12-2023"}]}`, &res)
		if len(res.Items) != 1 || res.Items[0].Conclusion != "conforming" {
			t.Fatalf("re-test results %+v", res)
		}
		l.must(http.StatusCreated, w.labB1, "POST", "/api/v1/samples/"+retest.ID+"/custody", `{"step":"tested"}`, nil)
		var rr labReport
		l.must(http.StatusCreated, w.labB1, "POST", "/api/v1/reports", `{"sample_id":"`+retest.ID+`"}`, &rr)
		l.must(http.StatusOK, labB2, "POST", "/api/v1/reports/"+rr.Number+"/approve", "", &rr)
		if rr.Status != "issued" || rr.Conclusion != "conforming" || rr.Deadline != "" {
			t.Fatalf("re-test report %+v", rr)
		}
		var closed struct{ Status string }
		l.must(http.StatusOK, ent, "GET", "/api/v1/objections/"+obj.ID, "", &closed)
		if closed.Status != "closed" {
			t.Fatalf("objection after the re-test: %+v", closed)
		}
		v := l.verify(number, w.report.VerificationCode)
		if v.State != "retested" {
			t.Fatalf("original after the re-test: %+v", v)
		}
		page := l.verifyPage(number, w.report.VerificationCode, "")
		if !strings.Contains(page, `data-state="retested"`) || !strings.Contains(page, rr.Number) || !strings.Contains(page, "复检结论：合格") {
			t.Fatalf("retested page: %s", stateOf(page))
		}
	})
}

// TestLabAPILateObjection: past the window an objection is refused with
// the rule and the last day, in the caller's language.
func TestLabAPILateObjection(t *testing.T) {
	t.Parallel()
	l := newLabLab(t, storetest.SQLite(t))
	w := l.issueReport()
	l.clock.add(30 * 24 * time.Hour)
	ent := l.tokens[auth.RoleEnterprise]
	for lang, want := range map[string]string{"zh-CN": "食品安全法", "en": "Food Safety Law"} {
		p := l.refused(http.StatusUnprocessableEntity, ent, "POST", "/api/v1/reports/"+w.report.Number+"/objections", `{"reason":"迟到的异议"}`, lang)
		r, msg := p.rule("report")
		if r != "rule.lab.objection.late.food" || !strings.Contains(msg, w.report.Deadline) || !strings.Contains(msg, want) {
			t.Fatalf("%s: %+v", lang, p)
		}
	}
	var objs struct {
		Items []any `json:"items"`
	}
	l.must(http.StatusOK, ent, "GET", "/api/v1/objections", "", &objs)
	if len(objs.Items) != 0 {
		t.Fatalf("a refused objection was kept: %+v", objs)
	}
}

// TestLabAPIRefusalsNameFields: bad input is a problem document naming the
// field and rule in the caller's language, and changes nothing.
func TestLabAPIRefusalsNameFields(t *testing.T) {
	t.Parallel()
	l := newLabLab(t, storetest.SQLite(t))
	officer := l.tokens[auth.RoleOfficer]

	p := l.refused(http.StatusUnprocessableEntity, officer, "POST", "/api/v1/institutions",
		`{"name":"","uscc":"123","report_prefix":"x","cma_number":"12","cma_valid_from":"2029-01-01","cma_valid_to":"2023-01-01"}`, "en")
	if p.Type != "urn:hallmark:problem:validation" {
		t.Fatalf("problem %+v", p)
	}
	for _, field := range []string{"name", "uscc", "cma_number", "cma_valid_to"} {
		if r, msg := p.rule(field); r == "" || msg == "" || strings.ContainsAny(msg, "的是") {
			t.Errorf("%s: rule %q message %q (want an English message)", field, r, msg)
		}
	}
	p = l.refused(http.StatusUnprocessableEntity, officer, "POST", "/api/v1/institutions", `{"name":"","uscc":"123"}`, "zh-CN")
	if _, msg := p.rule("name"); msg == "" || !strings.ContainsFunc(msg, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("Chinese message %q", msg)
	}
	p = l.refused(http.StatusBadRequest, officer, "POST", "/api/v1/institutions", `{"nmae":"x"}`, "")
	if r, _ := p.rule("nmae"); r != "rule.unknown_field" {
		t.Errorf("unknown field: %+v", p)
	}
	var list struct {
		Items []any `json:"items"`
	}
	l.must(http.StatusOK, officer, "GET", "/api/v1/institutions", "", &list)
	if len(list.Items) != 0 {
		t.Fatalf("a refused institution was kept: %+v", list)
	}

	// Results name the fields of the body as sent.
	w := l.issueReport()
	p = l.refused(http.StatusUnprocessableEntity, w.labA1, "POST", "/api/v1/samples/"+w.sampleID+"/results",
		`{"items":[{"item":"铅","value":"abc"}]}`, "")
	if r, _ := p.rule("items[0].value"); r != "rule.lab.value" {
		t.Errorf("bad value: %+v", p)
	}
	// Once issued, a result cannot be changed by entering it again.
	p = l.refused(http.StatusUnprocessableEntity, w.labA1, "POST", "/api/v1/samples/"+w.sampleID+"/results",
		`{"items":[{"item":"铅","value":"0.01","unit":"mg/kg"}]}`, "")
	if len(p.Errors) == 0 || p.Errors[0].Rule != "rule.lab.report.issued" {
		t.Errorf("changing an issued result: %+v", p)
	}
	p = l.refused(http.StatusUnprocessableEntity, w.labA1, "POST", "/api/v1/reports", `{}`, "")
	if r, _ := p.rule("sample_id"); r != "rule.required" {
		t.Errorf("draft without a sample: %+v", p)
	}
	p = l.refused(http.StatusUnprocessableEntity, l.tokens[auth.RoleEnterprise], "POST", "/api/v1/reports/"+w.report.Number+"/objections",
		`{"items":["蛋白质"],"reason":"x"}`, "")
	if r, _ := p.rule("items[0]"); r != "rule.lab.objection.item" {
		t.Errorf("objecting to an item not failed: %+v", p)
	}
	// Roles without the permission are refused before anything is read.
	l.refused(http.StatusForbidden, l.tokens[auth.RoleEnterprise], "POST", "/api/v1/samples/"+w.sampleID+"/results", `{"items":[]}`, "")
	l.refused(http.StatusForbidden, w.labA1, "POST", "/api/v1/limits", `{}`, "")
	l.refused(http.StatusUnauthorized, "", "GET", "/api/v1/reports", "", "")
}

// TestLabAPILimits: the catalogue's list, replace and delete.
func TestLabAPILimits(t *testing.T) {
	t.Parallel()
	l := newLabLab(t, storetest.SQLite(t))
	officer := l.tokens[auth.RoleOfficer]
	var lim struct {
		ID, Comparison, Max string
	}
	l.must(http.StatusCreated, officer, "POST", "/api/v1/limits", `{"standard":"GB 2762-2022","category":"乳制品","item":"铅","comparison":"≤","max":"0.05","unit":"mg/kg"}`, &lim)
	if lim.Comparison != "le" {
		t.Fatalf("created %+v", lim)
	}
	p := l.refused(http.StatusUnprocessableEntity, officer, "POST", "/api/v1/limits", `{"standard":"GB 2762-2022","category":"乳制品","item":"铅","comparison":"≤","max":"0.1","unit":"mg/kg"}`, "")
	if r, _ := p.rule("item"); r != "rule.lab.limit.duplicate" {
		t.Fatalf("duplicate: %+v", p)
	}
	l.must(http.StatusOK, officer, "PUT", "/api/v1/limits/"+lim.ID, `{"id":"ignored","standard":"GB 2762-2022","category":"乳制品","item":"铅","comparison":"le","max":"0.02","unit":"mg/kg"}`, &lim)
	var list struct {
		Items []struct{ ID, Max string } `json:"items"`
		Total int                        `json:"total"`
	}
	l.must(http.StatusOK, l.tokens[auth.RoleEnterprise], "GET", "/api/v1/limits?item=铅", "", &list)
	if list.Total != 1 || list.Items[0].ID != lim.ID || list.Items[0].Max != "0.02" {
		t.Fatalf("list %+v", list)
	}
	l.must(http.StatusNoContent, officer, "DELETE", "/api/v1/limits/"+lim.ID, "", nil)
	l.refused(http.StatusNotFound, officer, "GET", "/api/v1/limits/"+lim.ID, "", "")
	l.refused(http.StatusNotFound, officer, "DELETE", "/api/v1/limits/"+lim.ID, "", "")
}
