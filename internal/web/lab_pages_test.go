package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/web"
	"github.com/hallmark-platform/hallmark/internal/workday"
	"github.com/hallmark-platform/hallmark/locales"
)

// lpSite is the test site on a clock the test moves, with the people of the
// testing system: the site's officer and enterprise, two users of one
// institution, and a second enterprise the samples do not concern.
type lpSite struct {
	*site
	mu       sync.Mutex
	now      time.Time
	officer  string // tokens
	ent      string
	otherEnt string
	labA1    string
	labA2    string
}

func (l *lpSite) clock() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now
}

func (l *lpSite) advance(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = l.now.Add(d)
}

func newLPSite(t *testing.T, db *store.DB) *lpSite {
	t.Helper()
	s := newSiteOn(t, db)
	l := &lpSite{site: s, now: time.Date(2026, 3, 2, 9, 0, 0, 0, workday.Shanghai)}
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BlobDir: t.TempDir(), Now: l.clock})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	s.ts = httptest.NewServer(srv)
	t.Cleanup(s.ts.Close)
	l.officer, l.ent = s.tokens[auth.RoleOfficer], s.tokens[auth.RoleEnterprise]
	ctx := audit.WithActor(context.Background(), audit.System)
	other := store.NewID()
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO enterprises (id, region_code, uscc, name, created_at, updated_at)
			VALUES (?, '152923', ?, '沙漠食品', 0, 0)`, other, codes.USCCFromSerial("152923", 88))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	l.otherEnt = l.token(auth.NewUser{Username: "lp-other", Name: "沙漠食品", Role: auth.RoleEnterprise, EnterpriseID: other})
	return l
}

func (l *lpSite) token(nu auth.NewUser) string {
	l.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.System)
	nu.Password, nu.RegionCode = testPassword, "152923"
	u, err := auth.CreateUser(ctx, l.db, nu)
	if err != nil {
		l.t.Fatal(err)
	}
	tok, _, err := auth.CreateToken(ctx, l.db, u.ID, "test")
	if err != nil {
		l.t.Fatal(err)
	}
	return tok
}

// send makes a request as the holder of token and returns the status, the
// body and the Location header.
func (l *lpSite) send(token, method, path, contentType string, body io.Reader) (int, string, string) {
	l.t.Helper()
	req, err := http.NewRequest(method, l.ts.URL+path, body)
	if err != nil {
		l.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		l.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

func (l *lpSite) get(token, path string) (int, string) {
	l.t.Helper()
	st, body, _ := l.send(token, "GET", path, "", nil)
	return st, body
}

func (l *lpSite) post(token, path string, kv ...string) (int, string, string) {
	l.t.Helper()
	return l.send(token, "POST", path, "application/x-www-form-urlencoded", form(kv...))
}

// postFiles sends a multipart form: fields, then files as field → name →
// content.
func (l *lpSite) postFiles(token, path string, fields []string, files map[string]map[string][]byte) (int, string, string) {
	l.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
			l.t.Fatal(err)
		}
	}
	for field, byName := range files {
		for name, content := range byName {
			w, err := mw.CreateFormFile(field, name)
			if err != nil {
				l.t.Fatal(err)
			}
			if _, err := w.Write(content); err != nil {
				l.t.Fatal(err)
			}
		}
	}
	if err := mw.Close(); err != nil {
		l.t.Fatal(err)
	}
	return l.send(token, "POST", path, mw.FormDataContentType(), &buf)
}

// lpMsg is a message as a page shows it.
func lpMsg(key string, kv ...any) string {
	p := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		p[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return template.HTMLEscapeString(locales.T(locales.ZH, key, p))
}

// lpBeside reports whether the page shows message right after the
// field named name (within the field's label).
func lpBeside(body, name, message string) bool {
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		return false
	}
	end := strings.Index(body[i:], "</label>")
	if end < 0 {
		end = len(body) - i
	}
	return strings.Contains(body[i:i+end], message)
}

var lpSeal = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

// lpWorld is the testing system set up through the pages: an institution
// with its two users, a limit for lead in dairy, a task and a sample that
// institution A has received.
type lpWorld struct {
	inst, task, sample string
}

func (l *lpSite) world() lpWorld {
	t := l.t
	t.Helper()
	var w lpWorld
	st, _, loc := l.post(l.officer, "/lab/institutions", "name", "额济纳旗检验检测中心",
		"uscc", codes.USCCFromSerial("152923", 900), "report_prefix", "EJN", "cma_number", "230512345678",
		"cma_valid_from", "2023-03-01", "cma_valid_to", "2029-02-28",
		"scope", "乳制品 | 铅 | GB 5009.12-2023\n乳制品\t菌落总数\tGB 4789.2-2022")
	if st != http.StatusSeeOther {
		t.Fatalf("register institution: %d", st)
	}
	w.inst = strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/institutions/")
	l.labA1 = l.institutionUser("lp-a1", w.inst)
	l.labA2 = l.institutionUser("lp-a2", w.inst)

	st, body, _ := l.post(l.officer, "/lab/limits", "standard", "GB 2762-2022", "clause", "4.1 表1", "category", "乳制品",
		"item", "铅", "comparison", "le", "max", "0.05", "unit", "mg/kg")
	if st != http.StatusSeeOther {
		t.Fatalf("limit: %d %s", st, body)
	}
	st, body, loc = l.post(l.officer, "/lab/tasks", "title", "2026年乳制品监督抽检", "category", "乳制品", "kind", "food",
		"items", "铅、菌落总数", "institution_id", w.inst, "period_from", "2026-01-01", "period_to", "2026-12-31",
		"enterprise_ids", l.entID)
	if st != http.StatusSeeOther {
		t.Fatalf("task: %d %s", st, body)
	}
	w.task = strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/tasks/")
	st, body, loc = l.postFiles(l.officer, "/lab/samples", []string{"task_id", w.task, "enterprise_id", l.entID,
		"product_name", "驼奶粉", "lot", "20260301A", "quantity", "6", "unit", "袋", "sampled_on", "2026-03-02",
		"sampler1", "张三", "sampler2", "李四"}, map[string]map[string][]byte{"files": {"seal.png": lpSeal}})
	if st != http.StatusSeeOther {
		t.Fatalf("sample: %d %s", st, body)
	}
	w.sample = strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/samples/")
	l.step(l.officer, w.sample, lab.StepSent)
	l.step(l.labA1, w.sample, lab.StepReceived)
	return w
}

func (l *lpSite) institutionUser(name, inst string) string {
	return l.token(auth.NewUser{Username: name, Name: name, Role: auth.RoleInstitution, InstitutionID: inst})
}

func (l *lpSite) step(token, sample, step string) {
	l.t.Helper()
	l.advance(time.Hour)
	if st, body, _ := l.post(token, "/lab/samples/"+sample+"/custody", "step", step); st != http.StatusSeeOther {
		l.t.Fatalf("custody %s: %d %s", step, st, body)
	}
}

// count returns how many rows a table holds.
func (l *lpSite) count(sql string, args ...any) int {
	l.t.Helper()
	var n int
	if err := l.db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		l.t.Fatal(err)
	}
	return n
}

func TestLabPagesFormsRefuseBesideTheField(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)

		// An institution without a name and with a bad CMA number: both
		// said beside their fields, what was typed kept, nothing stored.
		st, body, _ := l.post(l.officer, "/lab/institutions", "name", "", "uscc", codes.USCCFromSerial("152923", 900),
			"report_prefix", "EJN", "cma_number", "12345", "cma_valid_from", "2023-03-01", "cma_valid_to", "2029-02-28")
		if st != http.StatusUnprocessableEntity {
			t.Fatalf("bad institution: %d", st)
		}
		if !lpBeside(body, "name", lpMsg("rule.required")) || !lpBeside(body, "cma_number", lpMsg("rule.lab.cma_number")) {
			t.Errorf("messages are not beside the fields:\n%s", body)
		}
		if !strings.Contains(body, `value="12345"`) || !strings.Contains(body, `value="EJN"`) {
			t.Error("the form did not keep what was typed")
		}
		if n := l.count(`SELECT COUNT(*) FROM lab_institutions`); n != 0 {
			t.Errorf("%d institutions stored from a refused form", n)
		}

		w := l.world()

		// A sample with one sampler: refused on samplers, the seal photo
		// kept so it need not be sent again, no sample stored.
		before := l.count(`SELECT COUNT(*) FROM lab_samples`)
		st, body, _ = l.postFiles(l.officer, "/lab/samples", []string{"task_id", w.task, "enterprise_id", l.entID,
			"product_name", "驼奶粉", "lot", "20260301B", "quantity", "6", "unit", "袋", "sampled_on", "2026-03-02",
			"sampler1", "张三"}, map[string]map[string][]byte{"files": {"seal.png": lpSeal}})
		if st != http.StatusUnprocessableEntity || !lpBeside(body, "sampler2", lpMsg("rule.lab.samplers", "min", lab.MinSamplers)) {
			t.Errorf("one sampler: %d\n%s", st, body)
		}
		if !strings.Contains(body, `value="20260301B"`) || !strings.Contains(body, `data-testid="kept-photos"`) {
			t.Error("the refused sample form lost what was typed or sent")
		}
		if after := l.count(`SELECT COUNT(*) FROM lab_samples`); after != before {
			t.Errorf("samples %d → %d after a refusal", before, after)
		}

		// A result that is not a value: beside its field, nothing entered.
		st, body, _ = l.post(l.labA1, "/lab/samples/"+w.sample+"/results", "item0", "铅", "value0", "很多", "unit0", "mg/kg",
			"item1", "菌落总数", "value1", "")
		if st != http.StatusUnprocessableEntity || !lpBeside(body, "value0", lpMsg("rule.lab.value")) {
			t.Errorf("bad value: %d\n%s", st, body)
		}
		if !strings.Contains(body, `value="很多"`) {
			t.Error("the results form lost the typed value")
		}
		if n := l.count(`SELECT COUNT(*) FROM lab_results`); n != 0 {
			t.Errorf("%d results stored from a refused form", n)
		}

		// A custody step out of order, beside the step.
		st, body, _ = l.post(l.labA1, "/lab/samples/"+w.sample+"/custody", "step", lab.StepDisposed)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, lpMsg("rule.lab.custody.order", "step", lpMsg("lab.step.disposed"), "expected", lpMsg("lab.step.tested"))) {
			t.Errorf("custody out of order: %d", st)
		}

		// A limit without a standard.
		st, body, _ = l.post(l.officer, "/lab/limits", "standard", "", "category", "乳制品", "item", "汞", "comparison", "le",
			"max", "0.01", "unit", "mg/kg")
		if st != http.StatusUnprocessableEntity || !lpBeside(body, "standard", lpMsg("rule.required")) || !strings.Contains(body, `value="汞"`) {
			t.Errorf("limit without a standard: %d", st)
		}
	})
}

func TestLabPagesResultsReportAndPrint(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)
		w := l.world()

		// The form starts with the institution's methods from its scope.
		if _, page := l.get(l.labA1, "/lab/samples/"+w.sample); !strings.Contains(page, `name="method0" value="GB 5009.12-2023"`) {
			t.Error("the results form does not start with the scope's method")
		}
		// The institution enters a lead value above the limit and sees why
		// it fails; the item without a value waits.
		l.advance(time.Hour)
		st, body, _ := l.post(l.labA1, "/lab/samples/"+w.sample+"/results", "item0", "铅", "value0", "0.12", "unit0", "mg/kg",
			"method0", "GB 5009.12-2023", "item1", "菌落总数", "value1", "")
		if st != http.StatusSeeOther {
			t.Fatalf("results: %d %s", st, body)
		}
		_, page := l.get(l.labA1, "/lab/samples/"+w.sample)
		row := regexp.MustCompile(`(?s)<tr data-testid="result" data-item="铅" data-conclusion="([a-z_]+)">(.*?)</tr>`).FindStringSubmatch(page)
		if row == nil || row[1] != lab.Nonconforming {
			t.Fatalf("lead's verdict: %v\n%s", row, page)
		}
		why := regexp.MustCompile(`data-testid="why">([^<]*)<`).FindStringSubmatch(row[2])
		if why == nil || !strings.Contains(why[1], "0.12") || !strings.Contains(why[1], "0.05") || !strings.Contains(why[1], "GB 2762-2022") {
			t.Errorf("the reason does not say why: %v", why)
		}
		if !strings.Contains(row[2], lpMsg("lab.conclusion.nonconforming")) {
			t.Error("no nonconforming badge")
		}

		// Results of a spreadsheet: a bad cell names its row and column
		// and enters nothing; a good file enters the values.
		st, body, _ = l.postFiles(l.labA1, "/lab/samples/"+w.sample+"/results/import", nil,
			map[string]map[string][]byte{"file": {"results.xlsx": lpResultsXLSX(t, [][]string{{"铅", "0.02", "mg/kg"}, {"菌落总数", "abc", "CFU/g"}})}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="import-error"><td>3</td><td>检测结果</td>`) {
			t.Errorf("bad results file: %d\n%s", st, body)
		}
		_, page = l.get(l.labA1, "/lab/samples/"+w.sample)
		if !strings.Contains(page, `data-item="铅" data-conclusion="nonconforming"`) {
			t.Error("a refused import changed a result")
		}
		st, _, _ = l.postFiles(l.labA1, "/lab/samples/"+w.sample+"/results/import", nil,
			map[string]map[string][]byte{"file": {"results.xlsx": lpResultsXLSX(t, [][]string{{"铅", "0.12", "mg/kg"}, {"菌落总数", "未检出", "CFU/g"}})}})
		if st != http.StatusSeeOther {
			t.Fatalf("good results file: %d", st)
		}
		st, _ = l.get(l.labA1, "/lab/samples/"+w.sample+"/results/template")
		if st != http.StatusOK {
			t.Errorf("results template: %d", st)
		}

		// Drafted by one user, the same user may not approve: the refusal
		// is on the page; the second user issues it.
		l.step(l.labA1, w.sample, lab.StepTested)
		st, _, loc := l.post(l.labA1, "/lab/samples/"+w.sample+"/report")
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/lab/reports/EJN-2026-") {
			t.Fatalf("draft: %d %s", st, loc)
		}
		number := strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/reports/")
		st, body, _ = l.post(l.labA1, "/lab/reports/"+number+"/approve")
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="approve-error">`+lpMsg("rule.lab.report.self_approval")) {
			t.Errorf("self-approval: %d\n%s", st, body)
		}
		if _, page = l.get(l.labA1, "/lab/reports/"+number); !strings.Contains(page, `data-status="draft"`) {
			t.Error("a refused approval issued the report")
		}
		l.advance(time.Hour)
		if st, body, _ = l.post(l.labA2, "/lab/reports/"+number+"/approve"); st != http.StatusSeeOther {
			t.Fatalf("approve: %d %s", st, body)
		}
		_, page = l.get(l.labA2, "/lab/reports/"+number)
		if !strings.Contains(page, `data-status="issued"`) || !strings.Contains(page, `data-testid="code"`) {
			t.Errorf("issued report page:\n%s", page)
		}
		code := regexp.MustCompile(`data-testid="code">([^<]+)<`).FindStringSubmatch(page)[1]

		// The printed report carries a QR code of the public verification
		// address on the site's own origin, and the fingerprint.
		st, page = l.get(l.labA1, "/lab/reports/"+number+"/print")
		if st != http.StatusOK {
			t.Fatalf("print: %d", st)
		}
		want := l.ts.URL + "/public/reports/verify?no=" + url.QueryEscape(number) + "&code=" + url.QueryEscape(code)
		if !strings.Contains(page, `data-testid="verify-url">`+template.HTMLEscapeString(want)+`<`) {
			t.Errorf("print page lacks the verification URL %s", want)
		}
		if !strings.Contains(page, "<svg") || !strings.Contains(page, "<title>"+template.HTMLEscapeString(want)) {
			t.Error("print page lacks the QR code of the verification URL")
		}
		if !strings.Contains(page, lpMsg("lab.print.title")) || !regexp.MustCompile(`data-testid="fingerprint">[0-9a-f]{64}<`).MatchString(page) {
			t.Error("print page lacks the title or the fingerprint")
		}
		if !strings.Contains(page, `data-testid="approver">lp-a2<`) {
			t.Error("print page does not name the approver")
		}
		// The enterprise the report concerns may print it; another may not
		// see it at all.
		if st, _ = l.get(l.ent, "/lab/reports/"+number+"/print"); st != http.StatusOK {
			t.Errorf("enterprise print: %d", st)
		}
		if st, _ = l.get(l.otherEnt, "/lab/reports/"+number+"/print"); st != http.StatusNotFound {
			t.Errorf("other enterprise print: %d", st)
		}
	})
}

// lpResultsXLSX is a results spreadsheet as an institution fills it.
func lpResultsXLSX(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetRow("Sheet1", "A1", &[]any{"检测项目", "检测结果", "单位", "检测方法", "检出限"}); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
		}
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &cells); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lpXLSXRows reads the first sheet of a downloaded workbook.
func lpXLSXRows(t *testing.T, body string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("not an .xlsx: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestLabPagesEnterpriseSeesOnlyItsOwn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)
		w := l.world()
		l.advance(time.Hour)
		if st, body, _ := l.post(l.labA1, "/lab/samples/"+w.sample+"/results", "item0", "铅", "value0", "0.01", "unit0", "mg/kg",
			"item1", "菌落总数", "value1", "<10", "unit1", "CFU/g"); st != http.StatusSeeOther {
			t.Fatalf("results: %d %s", st, body)
		}
		l.step(l.labA1, w.sample, lab.StepTested)
		_, _, loc := l.post(l.labA1, "/lab/samples/"+w.sample+"/report")
		number := strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/reports/")
		if st, _, _ := l.post(l.labA2, "/lab/reports/"+number+"/approve"); st != http.StatusSeeOther {
			t.Fatalf("approve: %d", st)
		}
		var sampleNo string
		if err := db.QueryRow(context.Background(), `SELECT number FROM lab_samples WHERE id = ?`, w.sample).Scan(&sampleNo); err != nil {
			t.Fatal(err)
		}

		_, list := l.get(l.ent, "/lab/samples")
		if !strings.Contains(list, sampleNo) {
			t.Error("the enterprise does not see its sample")
		}
		_, list = l.get(l.ent, "/lab/reports")
		if !strings.Contains(list, number) {
			t.Error("the enterprise does not see its report")
		}
		if st, _ := l.get(l.ent, "/lab/samples/"+w.sample); st != http.StatusOK {
			t.Errorf("own sample: %d", st)
		}
		for _, path := range []string{"/lab/samples/" + w.sample, "/lab/reports/" + number} {
			if st, _ := l.get(l.otherEnt, path); st != http.StatusNotFound {
				t.Errorf("another enterprise opening %s: %d, want 404", path, st)
			}
		}
		for _, path := range []string{"/lab/samples", "/lab/reports"} {
			if _, body := l.get(l.otherEnt, path); strings.Contains(body, sampleNo) || strings.Contains(body, number) {
				t.Errorf("another enterprise's %s lists the sample or report", path)
			}
		}
		// Its export holds the header only.
		if _, body := l.get(l.otherEnt, "/lab/samples/export"); len(lpXLSXRows(t, body)) != 1 {
			t.Error("another enterprise's export holds rows")
		}

		// The office's exports hold what the lists show.
		st, body := l.get(l.officer, "/lab/samples/export")
		rows := lpXLSXRows(t, body)
		if st != http.StatusOK || len(rows) != 2 || rows[0][0] != "样品编号" || rows[1][0] != sampleNo || rows[1][2] != "驼奶粉" {
			t.Errorf("samples export: %d %v", st, rows)
		}
		_, body = l.get(l.officer, "/lab/reports/export?conclusion=conforming")
		rows = lpXLSXRows(t, body)
		if len(rows) != 2 || rows[1][0] != number || rows[1][3] != "合格" || rows[1][4] != "测试企业" {
			t.Errorf("reports export: %v", rows)
		}
		_, body = l.get(l.officer, "/lab/reports/export?conclusion=nonconforming")
		if rows = lpXLSXRows(t, body); len(rows) != 1 {
			t.Errorf("filtered reports export: %v", rows)
		}
		_, body = l.get(l.officer, "/lab/institutions/export")
		if rows = lpXLSXRows(t, body); len(rows) != 2 || rows[1][0] != "额济纳旗检验检测中心" {
			t.Errorf("institutions export: %v", rows)
		}
	})
}

func TestLabPagesLimitsImportShowsRowErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)
		csv := "标准,条款,食品类别,检测项目,判定方式,下限,上限,单位\n" +
			"GB 2762-2022,4.1 表1,乳制品,铅,≤,,0.05,mg/kg\n" +
			"GB 2762-2022,4.1 表1,乳制品,汞,≤,,0.01,斤\n"
		st, body, _ := l.postFiles(l.officer, "/lab/limits/import", nil, map[string]map[string][]byte{"file": {"limits.csv": []byte(csv)}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="import-rejected"`) {
			t.Fatalf("bad import: %d\n%s", st, body)
		}
		if !regexp.MustCompile(`data-testid="import-error"><td>3</td><td>单位</td>`).MatchString(body) {
			t.Errorf("the import error does not name row 3, column 单位:\n%s", body)
		}
		if n := l.count(`SELECT COUNT(*) FROM lab_limits`); n != 0 {
			t.Errorf("a refused import stored %d limits", n)
		}
		csv = strings.Replace(csv, "斤", "mg/kg", 1)
		if st, body, _ = l.postFiles(l.officer, "/lab/limits/import", nil, map[string]map[string][]byte{"file": {"limits.csv": []byte(csv)}}); st != http.StatusOK || !strings.Contains(body, `data-testid="import-done"`) {
			t.Fatalf("good import: %d", st)
		}
		_, page := l.get(l.inspectorToken(), "/lab/limits?item=汞")
		if !strings.Contains(page, "GB 2762-2022") || !strings.Contains(page, "4.1 表1") || strings.Count(page, `data-testid="limit-row"`) != 1 {
			t.Errorf("the list does not show the imported limit with its clause:\n%s", page)
		}
		st, body = l.get(l.officer, "/lab/limits/export?item=汞")
		if rows := lpXLSXRows(t, body); st != http.StatusOK || len(rows) != 2 {
			t.Errorf("limits export: %d %v", st, rows)
		}
		if st, body = l.get(l.officer, "/lab/limits/template"); st != http.StatusOK || len(lpXLSXRows(t, body)) < 1 {
			t.Errorf("template: %d", st)
		}

		// An illustrative value carries its badge and has a filter of its own.
		if st, body, _ = l.post(l.officer, "/lab/limits", "standard", "GB 2763-2021", "clause", "4.18", "category", "乳制品",
			"item", "毒死蜱", "comparison", "le", "max", "0.02", "unit", "mg/kg", "illustrative", "1"); st != http.StatusSeeOther {
			t.Fatalf("illustrative limit: %d %s", st, body)
		}
		_, page = l.get(l.officer, "/lab/limits?illustrative=true")
		if strings.Count(page, `data-testid="limit-row" data-illustrative="1"`) != 1 || strings.Count(page, `data-testid="limit-row"`) != 1 ||
			!strings.Contains(page, `data-testid="illustrative"`) {
			t.Errorf("illustrative filter:\n%s", page)
		}
		_, page = l.get(l.officer, "/lab/limits?illustrative=false")
		if strings.Count(page, `data-testid="limit-row"`) != 2 || strings.Contains(page, `data-illustrative="1"`) {
			t.Errorf("checked filter:\n%s", page)
		}
	})
}

func (l *lpSite) inspectorToken() string { return l.tokens[auth.RoleInspector] }

// issue enters results, drafts and approves the world's report, and
// returns its number.
func (l *lpSite) issue(w lpWorld, lead string) string {
	l.t.Helper()
	l.advance(time.Hour)
	if st, body, _ := l.post(l.labA1, "/lab/samples/"+w.sample+"/results", "item0", "铅", "value0", lead, "unit0", "mg/kg",
		"item1", "菌落总数", "value1", "<10", "unit1", "CFU/g"); st != http.StatusSeeOther {
		l.t.Fatalf("results: %d %s", st, body)
	}
	l.step(l.labA1, w.sample, lab.StepTested)
	_, _, loc := l.post(l.labA1, "/lab/samples/"+w.sample+"/report")
	number := strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/reports/")
	l.advance(time.Hour)
	if st, _, _ := l.post(l.labA2, "/lab/reports/"+number+"/approve"); st != http.StatusSeeOther {
		l.t.Fatalf("approve %s: %d", number, st)
	}
	return number
}

func TestLabPagesObjectionAndRetest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)
		w := l.world()
		number := l.issue(w, "0.12")
		l.step(l.labA1, w.sample, lab.StepRetained)

		// A second institution qualified for lead, and a third that is not
		// (microbiology only).
		for _, in := range []struct {
			name, prefix, scope string
			serial              uint64
		}{
			{"阿拉善盟产品质量检验所", "ALM", "乳制品 | 铅 | GB 5009.12-2023\n乳制品 | 菌落总数 | GB 4789.2-2022", 901},
			{"某微生物检测站", "QJC", "乳制品 | 菌落总数 | GB 4789.2-2022", 902},
		} {
			if st, body, _ := l.post(l.officer, "/lab/institutions", "name", in.name, "uscc", codes.USCCFromSerial("152923", in.serial),
				"report_prefix", in.prefix, "cma_number", fmt.Sprint(230512340000+in.serial), "cma_valid_from", "2024-01-01",
				"cma_valid_to", "2029-12-31", "scope", in.scope); st != http.StatusSeeOther {
				t.Fatalf("institution %s: %d %s", in.name, st, body)
			}
		}

		// The enterprise sees the window's last day and objects in time to
		// both items.
		_, page := l.get(l.ent, "/lab/reports/"+number)
		deadline := regexp.MustCompile(`data-testid="deadline">([0-9-]+)<`).FindStringSubmatch(page)
		if deadline == nil || !strings.Contains(page, lpMsg("lab.objection.deadline", "date", deadline[1])) {
			t.Fatalf("the report page does not show the objection deadline:\n%s", page)
		}
		// Without a reason: beside the reason field.
		st, body, _ := l.post(l.ent, "/lab/reports/"+number+"/objection", "items", "铅", "reason", "")
		if st != http.StatusUnprocessableEntity || !lpBeside(body, "reason", lpMsg("rule.required")) {
			t.Errorf("objection without a reason: %d", st)
		}
		st, _, loc := l.post(l.ent, "/lab/reports/"+number+"/objection", "items", "铅", "reason", "检测方法有误，申请复检")
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/lab/objections") {
			t.Fatalf("objection: %d %s", st, loc)
		}

		// The office sees it with the institutions qualified for the
		// re-test: not the original, and not one lacking an item.
		_, page = l.get(l.officer, "/lab/objections")
		if !strings.Contains(page, `data-status="open"`) || !strings.Contains(page, "阿拉善盟产品质量检验所") {
			t.Fatalf("objections page:\n%s", page)
		}
		form := page[strings.Index(page, `data-testid="assign-form"`):]
		form = form[:strings.Index(form, "</form>")]
		if strings.Contains(form, "额济纳旗检验检测中心") || strings.Contains(form, "某微生物检测站") || !strings.Contains(form, "阿拉善盟产品质量检验所") {
			t.Errorf("the re-test list offers an institution that may not take it:\n%s", form)
		}
		id := regexp.MustCompile(`/lab/objections/([^/]+)/assign`).FindStringSubmatch(page)[1]
		st, body, _ = l.post(l.officer, "/lab/objections/"+id+"/assign", "institution_id", "")
		if st != http.StatusUnprocessableEntity || !lpBeside(body, "institution_id", lpMsg("rule.required")) {
			t.Errorf("assign without an institution: %d", st)
		}
		var inst string
		if err := db.QueryRow(context.Background(), `SELECT id FROM lab_institutions WHERE report_prefix = 'ALM'`).Scan(&inst); err != nil {
			t.Fatal(err)
		}
		if st, body, _ = l.post(l.officer, "/lab/objections/"+id+"/assign", "institution_id", inst); st != http.StatusSeeOther {
			t.Fatalf("assign: %d %s", st, body)
		}
		if _, page = l.get(l.ent, "/lab/objections"); !strings.Contains(page, `data-status="assigned"`) {
			t.Error("the enterprise does not see its objection assigned")
		}
		// The re-test institution tests the disputed item only, and its
		// report replaces the original's result.
		var retest string
		if err := db.QueryRow(context.Background(), `SELECT retest_sample_id FROM lab_objections WHERE id = ?`, id).Scan(&retest); err != nil {
			t.Fatal(err)
		}
		b1, b2 := l.institutionUser("lp-b1", inst), l.institutionUser("lp-b2", inst)
		l.step(l.officer, retest, lab.StepSent)
		l.step(b1, retest, lab.StepReceived)
		_, page = l.get(b1, "/lab/samples/"+retest)
		if !strings.Contains(page, `name="item0" value="铅"`) || strings.Contains(page, `name="item1"`) {
			t.Errorf("the re-test's results form is not the disputed item alone:\n%s", page)
		}
		if st, _ = l.get(b1, "/lab/samples/"+retest+"/results/template"); st != http.StatusOK {
			t.Errorf("re-test results template: %d", st)
		}
		if st, body, _ = l.post(b1, "/lab/samples/"+retest+"/results", "item0", "铅", "value0", "0.01", "unit0", "mg/kg"); st != http.StatusSeeOther {
			t.Fatalf("re-test results: %d %s", st, body)
		}
		l.step(b1, retest, lab.StepTested)
		_, _, loc = l.post(b1, "/lab/samples/"+retest+"/report")
		if st, body, _ = l.post(b2, strings.Split(loc, "?")[0]+"/approve"); st != http.StatusSeeOther {
			t.Fatalf("re-test approval: %d %s", st, body)
		}
		if _, page = l.get(l.ent, "/lab/reports/"+number); !strings.Contains(page, lpMsg("lab.report.retested_by")) {
			t.Error("the original report does not say a re-test replaced it")
		}

		_, body = l.get(l.officer, "/lab/objections/export?status=assigned")
		if rows := lpXLSXRows(t, body); len(rows) != 1 {
			t.Errorf("assigned objections after the re-test's report: %v", rows)
		}
		_, body = l.get(l.officer, "/lab/objections/export")
		if rows := lpXLSXRows(t, body); len(rows) != 2 || rows[1][0] != number || rows[1][7] != "已复检" || rows[1][8] != "阿拉善盟产品质量检验所" {
			t.Errorf("objections export: %v", rows)
		}
		_, body = l.get(l.officer, "/lab/tasks/export")
		if rows := lpXLSXRows(t, body); len(rows) != 2 || rows[1][0] != "2026年乳制品监督抽检" {
			t.Errorf("tasks export: %v", rows)
		}
	})
}

func TestLabPagesLateObjectionShowsTheDeadline(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)
		w := l.world()
		number := l.issue(w, "0.12")
		_, page := l.get(l.ent, "/lab/reports/"+number)
		deadline := regexp.MustCompile(`data-testid="deadline">([0-9-]+)<`).FindStringSubmatch(page)[1]
		l.advance(30 * 24 * time.Hour)
		st, body, _ := l.post(l.ent, "/lab/reports/"+number+"/objection", "items", "铅", "reason", "不服")
		if st != http.StatusUnprocessableEntity {
			t.Fatalf("late objection: %d", st)
		}
		form := body[strings.Index(body, `data-testid="objection-form"`):]
		form = form[:strings.Index(form, "</fieldset>")]
		if !strings.Contains(form, deadline) || !strings.Contains(form, `class="error"`) {
			t.Errorf("the late refusal is not beside the deadline:\n%s", form)
		}
		if !strings.Contains(body, "不服") {
			t.Error("the form lost the reason")
		}
		if n := l.count(`SELECT COUNT(*) FROM lab_objections`); n != 0 {
			t.Errorf("%d objections stored after a late one", n)
		}
	})
}

func TestLabPagesInstitutionScopeWarningAndFlags(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)
		w := l.world()
		base := "/lab/institutions/" + w.inst

		// Scope: add, refuse an empty item beside the field, remove.
		if st, body, _ := l.post(l.officer, base+"/scope", "category", "乳制品", "item", "汞", "method", "GB 5009.17-2021"); st != http.StatusSeeOther {
			t.Fatalf("scope add: %d %s", st, body)
		}
		_, page := l.get(l.officer, base)
		if n := strings.Count(page, `data-testid="scope-row"`); n != 3 {
			t.Errorf("%d scope rows after adding one, want 3", n)
		}
		st, body, _ := l.post(l.officer, base+"/scope", "category", "乳制品", "item", "")
		if st != http.StatusUnprocessableEntity || !lpBeside(body[strings.Index(body, `data-testid="scope-add"`):], "item", lpMsg("rule.required")) {
			t.Errorf("scope without an item: %d", st)
		}
		if st, _, _ = l.post(l.officer, base+"/scope/remove", "category", "乳制品", "item", "汞", "method", "GB 5009.17-2021"); st != http.StatusSeeOther {
			t.Errorf("scope remove: %d", st)
		}
		_, page = l.get(l.officer, base)
		if n := strings.Count(page, `data-testid="scope-row"`); n != 2 {
			t.Errorf("%d scope rows after removing one, want 2", n)
		}
		if !strings.Contains(page, "lp-a1") || !strings.Contains(page, "lp-a2") {
			t.Error("the institution's users are not listed")
		}
		if strings.Contains(page, `href="/admin/users/`) {
			t.Error("an officer, who cannot administer users, is sent to the user administration")
		}
		if _, adminPage := l.get(l.tokens[auth.RoleAdmin], base); !strings.Contains(adminPage, `href="/admin/users/`) {
			t.Error("the administrator's page does not link the institution's users")
		}
		if !strings.Contains(page, `data-cma="valid"`) {
			t.Error("a certificate valid for years is warned about")
		}

		// A certificate that lapses within 90 days is warned about.
		if st, body, _ = l.post(l.officer, base, "name", "额济纳旗检验检测中心", "cma_number", "230512345678",
			"cma_valid_from", "2023-03-01", "cma_valid_to", "2026-04-30", "status", "active"); st != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", st, body)
		}
		_, page = l.get(l.officer, base)
		if !strings.Contains(page, `data-cma="expiring"`) || !strings.Contains(page, lpMsg("lab.cma.warn.expiring", "days", 59, "date", "2026-04-30")) {
			t.Errorf("no warning for a certificate lapsing in 59 days:\n%s", page)
		}
		// Suspending needs a reason, said beside it.
		st, body, _ = l.post(l.officer, base, "name", "额济纳旗检验检测中心", "cma_number", "230512345678",
			"cma_valid_from", "2023-03-01", "cma_valid_to", "2026-04-30", "status", "suspended", "status_reason", "")
		if st != http.StatusUnprocessableEntity || !lpBeside(body, "status_reason", lpMsg("rule.required")) {
			t.Errorf("suspension without a reason: %d", st)
		}

		// A result outside the scope raises a flag the office sees, counted
		// per institution and kind, and resolves.
		st, body, loc := l.post(l.officer, "/lab/tasks", "title", "三聚氰胺专项", "category", "乳制品", "kind", "food",
			"items", "三聚氰胺", "institution_id", w.inst, "period_from", "2026-01-01", "period_to", "2026-12-31")
		if st != http.StatusSeeOther {
			t.Fatalf("task: %d %s", st, body)
		}
		task := strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/tasks/")
		_, _, loc = l.postFiles(l.officer, "/lab/samples", []string{"task_id", task, "enterprise_id", l.entID,
			"product_name", "驼奶", "lot", "L2", "quantity", "2", "unit", "瓶", "sampled_on", "2026-03-02",
			"sampler1", "张三", "sampler2", "李四"}, map[string]map[string][]byte{"files": {"seal.png": lpSeal}})
		sample := strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/samples/")
		l.step(l.officer, sample, lab.StepSent)
		l.step(l.labA1, sample, lab.StepReceived)
		if st, body, _ = l.post(l.labA1, "/lab/samples/"+sample+"/results", "item0", "三聚氰胺", "value0", "未检出"); st != http.StatusSeeOther {
			t.Fatalf("results: %d %s", st, body)
		}
		_, page = l.get(l.officer, "/lab/flags")
		if !strings.Contains(page, `/lab/flags?institution=`+w.inst+`&amp;kind=outside_scope&amp;open=1`) {
			t.Fatalf("the summary has no link to the outside-scope flags:\n%s", page)
		}
		_, page = l.get(l.officer, "/lab/flags?institution="+w.inst+"&kind=outside_scope&open=1")
		if strings.Count(page, `data-testid="flag" data-kind="outside_scope"`) != 1 {
			t.Fatalf("flags list:\n%s", page)
		}
		id := regexp.MustCompile(`/lab/flags/([^/]+)/resolve`).FindStringSubmatch(page)[1]
		if st, body, _ = l.post(l.officer, "/lab/flags/"+id+"/resolve", "resolution", ""); st != http.StatusUnprocessableEntity || !lpBeside(body, "resolution", lpMsg("rule.required")) {
			t.Errorf("resolve without a resolution: %d", st)
		}
		if st, _, _ = l.post(l.officer, "/lab/flags/"+id+"/resolve", "resolution", "已核实，机构已申请扩项"); st != http.StatusSeeOther {
			t.Errorf("resolve: %d", st)
		}
		if _, page = l.get(l.officer, "/lab/flags?open=1"); strings.Contains(page, `data-kind="outside_scope"`) {
			t.Error("a resolved flag is still listed as open")
		}
		_, body = l.get(l.officer, "/lab/flags/export?institution="+w.inst)
		if rows := lpXLSXRows(t, body); len(rows) != 2 || rows[1][1] != lpMsg("lab.flag.kind.outside_scope") || rows[1][6] != "已核实，机构已申请扩项" {
			t.Errorf("flags export: %v", rows)
		}
		// Institutions do not see the regulator's flags.
		if st, _ = l.get(l.labA1, "/lab/flags"); st != http.StatusForbidden {
			t.Errorf("institution on the flags page: %d", st)
		}
	})
}

func TestLabPagesRevisionAndRevocation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)
		w := l.world()
		number := l.issue(w, "0.12")
		base := "/lab/reports/" + number

		// Issued: the results form is gone until a revision is opened.
		if _, page := l.get(l.labA1, "/lab/samples/"+w.sample); strings.Contains(page, `data-testid="results-form"`) {
			t.Error("an issued report's sample still offers the results form")
		}
		st, body, _ := l.post(l.labA1, base+"/revise", "reason", "")
		if st != http.StatusUnprocessableEntity || !lpBeside(body[strings.Index(body, `data-testid="revise-form"`):], "reason", lpMsg("rule.required")) {
			t.Errorf("revision without a reason: %d", st)
		}
		l.advance(time.Hour)
		if st, body, _ = l.post(l.labA1, base+"/revise", "reason", "铅的单位录入有误"); st != http.StatusSeeOther {
			t.Fatalf("revise: %d %s", st, body)
		}
		_, page := l.get(l.labA1, "/lab/samples/"+w.sample)
		if !strings.Contains(page, `data-testid="results-form"`) {
			t.Fatal("a revision in draft does not reopen the results form")
		}
		if st, body, _ = l.post(l.labA1, "/lab/samples/"+w.sample+"/results", "item0", "铅", "value0", "0.012", "unit0", "mg/kg",
			"item1", "菌落总数", "value1", "<10", "unit1", "CFU/g"); st != http.StatusSeeOther {
			t.Fatalf("corrected results: %d %s", st, body)
		}
		if st, _, _ = l.post(l.labA1, "/lab/samples/"+w.sample+"/report"); st != http.StatusSeeOther {
			t.Fatalf("redraft: %d", st)
		}
		l.advance(time.Hour)
		if st, body, _ = l.post(l.labA2, base+"/approve"); st != http.StatusSeeOther {
			t.Fatalf("approve the revision: %d %s", st, body)
		}
		_, page = l.get(l.officer, base)
		if !strings.Contains(page, `data-status="issued"`) || !strings.Contains(page, lpMsg("lab.report.version_n", "n", 2)) ||
			strings.Count(page, `data-testid="version"`) != 2 || !strings.Contains(page, lpMsg("lab.report.status.superseded")) {
			t.Errorf("after the revision:\n%s", page)
		}
		if !strings.Contains(page, `data-testid="conclusion">`+lpMsg("lab.conclusion.conforming")) {
			t.Error("the revision's conclusion is not the corrected one")
		}

		// The officer who supervises the report may record its delivery and
		// revoke it, not revise it; the enterprise may do neither.
		if !strings.Contains(page, `data-testid="revoke-form"`) || !strings.Contains(page, `data-testid="delivery-form"`) ||
			strings.Contains(page, `data-testid="revise-form"`) {
			t.Error("the officer's report page: want the revocation and delivery forms, not the revision")
		}
		if st, _, _ = l.post(l.officer, base+"/revise", "reason", "改一下"); st != http.StatusForbidden {
			t.Errorf("an officer revising a report: %d, want 403", st)
		}
		if _, page = l.get(l.ent, base); strings.Contains(page, `data-testid="revoke-form"`) {
			t.Error("the enterprise is offered the revocation")
		}
		if st, _, _ = l.post(l.ent, base+"/revoke", "reason", "不服"); st != http.StatusForbidden {
			t.Errorf("an enterprise revoking its report: %d, want 403", st)
		}
		today := l.clock().In(workday.Shanghai).Format(time.DateOnly)
		if st, body, _ = l.post(l.officer, base+"/delivery", "delivered_on", today); st != http.StatusSeeOther {
			t.Fatalf("the officer records the delivery: %d %s", st, body)
		}
		var delivered int64
		day, _ := workday.ParseDate(today)
		if err := db.QueryRow(context.Background(), `SELECT delivered_at FROM lab_reports WHERE number = ? AND status = 'issued'`, number).Scan(&delivered); err != nil || delivered != day.UnixMilli() {
			t.Errorf("delivery recorded at %d, %v; want %s", delivered, err, today)
		}

		// Revoked with a reason.
		if st, body, _ = l.post(l.labA1, base+"/revoke", "reason", ""); st != http.StatusUnprocessableEntity ||
			!lpBeside(body[strings.Index(body, `data-testid="revoke-form"`):], "reason", lpMsg("rule.required")) {
			t.Errorf("revocation without a reason: %d", st)
		}
		if st, _, _ = l.post(l.officer, base+"/revoke", "reason", "样品信息有误"); st != http.StatusSeeOther {
			t.Fatalf("the officer revokes: %d", st)
		}
		if _, page = l.get(l.ent, base); !strings.Contains(page, `data-status="revoked"`) || !strings.Contains(page, "样品信息有误") {
			t.Error("the enterprise does not see the revocation and its reason")
		}
	})
}

func TestLabPagesLotLinksToTraceForOfficials(t *testing.T) {
	t.Parallel()
	l := newLPSite(t, storetest.SQLite(t))
	w := l.world()
	lot := "urn:epc:class:lgtin:4012345.011111.W1"
	st, body, loc := l.postFiles(l.officer, "/lab/samples", []string{"task_id", w.task, "enterprise_id", l.entID,
		"product_name", "驼奶粉", "lot", lot, "quantity", "6", "unit", "袋", "sampled_on", "2026-03-02",
		"sampler1", "张三", "sampler2", "李四"}, map[string]map[string][]byte{"files": {"seal.png": lpSeal}})
	if st != http.StatusSeeOther {
		t.Fatalf("sample with an EPC lot: %d %s", st, body)
	}
	path := strings.Split(loc, "?")[0]
	_, page := l.get(l.officer, path)
	if !strings.Contains(page, `data-testid="lot-link"`) || !strings.Contains(page, `href="/trace?epc=https%3A%2F%2Fid.gs1.org%2F01%2F04012345111118%2F10%2FW1"`) {
		t.Errorf("the officer's sample page does not link the lot to its trace:\n%s", page)
	}
	if _, page = l.get(l.ent, path); strings.Contains(page, `data-testid="lot-link"`) {
		t.Error("the enterprise is sent to the trace graph")
	}
	// The seal photo is served to those who see the sample.
	hash := regexp.MustCompile(`/photos/([0-9a-f]{64})"`).FindStringSubmatch(page)
	if hash == nil {
		t.Fatal("no seal photo on the page")
	}
	if st, _ := l.get(l.ent, path+"/photos/"+hash[1]); st != http.StatusOK {
		t.Errorf("seal photo: %d", st)
	}
	if st, _ := l.get(l.otherEnt, path+"/photos/"+hash[1]); st != http.StatusNotFound {
		t.Errorf("another enterprise's seal photo: %d", st)
	}
}

// The sampling form offers the target enterprises' registered products; one
// chosen names the sample when no name is typed, and another enterprise's
// product is refused beside the picker.
func TestLabSampleFormPicksARegisteredProduct(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)
		w := l.world()
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
		mine, err := registry.CreateProduct(ctx, db, l.users[auth.RoleOfficer], registry.ProductInput{
			EnterpriseID: l.entID, Name: "骆驼奶粉（全脂）", GTIN: codes.GTIN13FromSerial("6970", 4242), Category: "乳制品"})
		if err != nil {
			t.Fatal(err)
		}
		var other string
		if err := db.QueryRow(ctx, `SELECT id FROM enterprises WHERE name = '沙漠食品'`).Scan(&other); err != nil {
			t.Fatal(err)
		}
		theirs, err := registry.CreateProduct(ctx, db, l.users[auth.RoleOfficer], registry.ProductInput{
			EnterpriseID: other, Name: "沙漠酸奶", Category: "乳制品"})
		if err != nil {
			t.Fatal(err)
		}

		_, page := l.get(l.officer, "/lab/samples/new?task="+w.task)
		picker := page[strings.Index(page, `data-testid="product-picker"`):]
		picker = picker[:strings.Index(picker, "</select>")]
		if !strings.Contains(picker, `value="`+mine.ID+`"`) || !strings.Contains(picker, "骆驼奶粉（全脂）") || strings.Contains(picker, theirs.ID) {
			t.Fatalf("the picker does not offer exactly the target's products:\n%s", picker)
		}

		// A task for the whole banner lists no products until an enterprise
		// is chosen; choosing one asks the form again for its products.
		st, body, loc := l.post(l.officer, "/lab/tasks", "title", "2026年乳制品全旗抽检", "category", "乳制品", "kind", "food",
			"items", "铅", "institution_id", w.inst, "period_from", "2026-01-01", "period_to", "2026-12-31")
		if st != http.StatusSeeOther {
			t.Fatalf("task for the banner: %d %s", st, body)
		}
		banner := strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/tasks/")
		if _, page = l.get(l.officer, "/lab/samples/new?task="+banner); strings.Contains(page, `data-testid="product-picker"`) ||
			!strings.Contains(page, `hx-get="/lab/samples/new"`) {
			t.Error("a task for the whole banner: want no picker yet, and the enterprise choice asking for one")
		}
		_, page = l.get(l.officer, "/lab/samples/new?task_id="+banner+"&enterprise_id="+other)
		if i := strings.Index(page, `data-testid="product-picker"`); i < 0 || !strings.Contains(page[i:], "沙漠酸奶") || strings.Contains(page[i:], mine.ID) {
			t.Errorf("the chosen enterprise's products are not offered alone:\n%s", page)
		}

		sample := func(product, lot string) (int, string, string) {
			return l.postFiles(l.officer, "/lab/samples", []string{"task_id", w.task, "enterprise_id", l.entID,
				"product_id", product, "product_name", "", "lot", lot, "quantity", "6", "unit", "袋", "sampled_on", "2026-03-02",
				"sampler1", "张三", "sampler2", "李四"}, map[string]map[string][]byte{"files": {"seal.png": lpSeal}})
		}
		before := l.count(`SELECT COUNT(*) FROM lab_samples`)
		st, body, _ = sample(theirs.ID, "20260301C")
		if st != http.StatusUnprocessableEntity || !lpBeside(body, "product_id", lpMsg("rule.lab.product_unknown")) {
			t.Errorf("another enterprise's product: %d\n%s", st, body)
		}
		if n := l.count(`SELECT COUNT(*) FROM lab_samples`); n != before {
			t.Errorf("samples %d → %d after a refusal", before, n)
		}
		st, body, loc = sample(mine.ID, "20260301D")
		if st != http.StatusSeeOther {
			t.Fatalf("sample of a registered product: %d\n%s", st, body)
		}
		id := strings.TrimPrefix(strings.Split(loc, "?")[0], "/lab/samples/")
		var name, product string
		if err := db.QueryRow(ctx, `SELECT product_name, product_id FROM lab_samples WHERE id = ?`, id).Scan(&name, &product); err != nil ||
			name != "骆驼奶粉（全脂）" || product != mine.ID {
			t.Errorf("the sample names %q (%s), %v; want the registered product", name, product, err)
		}
	})
}

// The office teaches the hierarchy a category it does not know; a loop is
// refused beside the field, nothing stored; others read the hierarchy but
// cannot change it.
func TestLabCategoryHierarchyPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLPSite(t, db)
		st, body, loc := l.post(l.officer, "/lab/categories", "name", "生驼乳", "kind", "broader", "target", "生乳")
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/lab/categories?done=saved") {
			t.Fatalf("save: %d %s", st, body)
		}
		_, page := l.get(l.officer, "/lab/categories")
		row := page[strings.Index(page, `data-name="生驼乳"`):]
		row = row[:strings.Index(row, "</tr>")]
		if !strings.Contains(row, `data-office="1"`) || !strings.Contains(row, "生乳") || !strings.Contains(row, lpMsg("lab.categories.kind.broader")) {
			t.Errorf("the new link's row: %s", row)
		}
		if !strings.Contains(page, `data-name="菠菜"`) {
			t.Error("the built-in hierarchy is not listed")
		}

		before := l.count(`SELECT COUNT(*) FROM lab_category_links`)
		st, body, _ = l.post(l.officer, "/lab/categories", "name", "乳及乳制品", "kind", "broader", "target", "生驼乳")
		if st != http.StatusUnprocessableEntity || !lpBeside(body, "target", lpMsg("rule.lab.category.cycle", "chain", "乳及乳制品 → 生驼乳 → 生乳 → 乳及乳制品")) {
			t.Errorf("a loop: %d\n%s", st, body)
		}
		if !strings.Contains(body, `value="乳及乳制品"`) {
			t.Error("the refused form lost what was typed")
		}
		if n := l.count(`SELECT COUNT(*) FROM lab_category_links`); n != before {
			t.Errorf("links %d → %d after a refusal", before, n)
		}

		_, page = l.get(l.ent, "/lab/categories")
		if !strings.Contains(page, `data-name="生驼乳"`) || strings.Contains(page, `data-testid="category-form"`) {
			t.Error("an enterprise should read the hierarchy without the form")
		}
		if st, _, _ = l.post(l.ent, "/lab/categories", "name", "羊奶", "kind", "broader", "target", "生乳"); st != http.StatusForbidden {
			t.Errorf("an enterprise adding a link: %d, want 403", st)
		}
		if st, _, _ = l.post(l.officer, "/lab/categories/delete", "name", "生驼乳"); st != http.StatusSeeOther {
			t.Fatalf("delete: %d", st)
		}
		if n := l.count(`SELECT COUNT(*) FROM lab_category_links`); n != 0 {
			t.Errorf("%d links left after the delete", n)
		}
	})
}
