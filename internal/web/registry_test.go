package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Errors []struct {
		Field, Rule, Message string
	} `json:"errors"`
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	body := readBody(t, resp)
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEnterpriseAPI exercises the registry API the way an integrating system
// would, on both databases.
func TestEnterpriseAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSiteOn(t, db)
		good := codes.USCCFromSerial("152923", 424242)
		bad := good[:17] + string(map[bool]byte{true: '0', false: '1'}[good[17] != '0'])
		before := count(t, db, `SELECT COUNT(*) FROM enterprises`)
		audits := count(t, db, `SELECT COUNT(*) FROM audit_log`)

		// A bad USCC is refused, field-named, in the caller's language, and nothing changes.
		req := `{"uscc": "` + bad + `", "name": "额济纳旗测试商贸有限公司", "region_code": "152923"}`
		resp := s.do(auth.RoleOfficer, "POST", "/api/v1/enterprises", strings.NewReader(req), "application/json")
		if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("bad USCC: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		p := decode[problem](t, resp)
		if len(p.Errors) != 1 || p.Errors[0].Field != "uscc" || p.Errors[0].Rule != "rule.uscc.checksum" || !strings.Contains(p.Errors[0].Message, "校验码") {
			t.Fatalf("problem = %+v", p)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM enterprises`); n != before {
			t.Fatalf("a refused enterprise was stored")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log`); n != audits {
			t.Fatalf("a refused write left an audit record")
		}

		// Missing required fields are each named.
		resp = s.do(auth.RoleOfficer, "POST", "/api/v1/enterprises", strings.NewReader(`{}`), "application/json")
		p = decode[problem](t, resp)
		fields := map[string]bool{}
		for _, e := range p.Errors {
			fields[e.Field] = true
		}
		if resp.StatusCode != 422 || !fields["uscc"] || !fields["name"] {
			t.Fatalf("empty body: %d %+v", resp.StatusCode, p)
		}
		// An unknown field is a mistake worth naming, not something to ignore.
		resp = s.do(auth.RoleOfficer, "POST", "/api/v1/enterprises", strings.NewReader(`{"usc": "x"}`), "application/json")
		if p = decode[problem](t, resp); resp.StatusCode != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "usc" {
			t.Fatalf("unknown field: %d %+v", resp.StatusCode, p)
		}

		// Created, then found by name and by USCC prefix.
		resp = s.do(auth.RoleOfficer, "POST", "/api/v1/enterprises", strings.NewReader(strings.Replace(req, bad, good, 1)), "application/json")
		if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(resp.Header.Get("Location"), "/api/v1/enterprises/") {
			t.Fatalf("create: %d %s", resp.StatusCode, readBody(t, resp))
		}
		created := decode[registry.Enterprise](t, resp)
		if created.USCC != good || created.Name != "额济纳旗测试商贸有限公司" {
			t.Fatalf("created %+v", created)
		}
		type list struct {
			Items []registry.Enterprise `json:"items"`
			Total int                   `json:"total"`
		}
		for _, q := range []string{"测试商贸", good[:10], "ejnq"} {
			l := decode[list](t, s.do(auth.RoleInspector, "GET", "/api/v1/enterprises?q="+q+"&limit=5", nil, ""))
			if l.Total < 1 || l.Items[0].ID != created.ID && !containsID(l.Items, created.ID) {
				t.Errorf("q=%s: total %d, %d items, created one not among them", q, l.Total, len(l.Items))
			}
		}
		if resp := s.do(auth.RoleOfficer, "GET", "/api/v1/enterprises?limit=0", nil, ""); resp.StatusCode != 400 {
			t.Errorf("limit=0: status %d", resp.StatusCode)
		}

		// PATCH changes only what it names.
		resp = s.do(auth.RoleOfficer, "PATCH", "/api/v1/enterprises/"+created.ID, strings.NewReader(`{"legal_rep": "巴图"}`), "application/json")
		patched := decode[registry.Enterprise](t, resp)
		if patched.LegalRep != "巴图" || patched.Name != created.Name || patched.USCC != good {
			t.Fatalf("patched %+v", patched)
		}
		// An enterprise account sees only its own enterprise.
		if resp := s.do(auth.RoleEnterprise, "GET", "/api/v1/enterprises/"+created.ID, nil, ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("enterprise user reading another's: %d", resp.StatusCode)
		}
		l := decode[list](t, s.do(auth.RoleEnterprise, "GET", "/api/v1/enterprises", nil, ""))
		if l.Total != 1 || l.Items[0].ID != s.entID {
			t.Fatalf("enterprise user's list: %+v", l)
		}
		// And may not create enterprises at all.
		if resp := s.do(auth.RoleEnterprise, "POST", "/api/v1/enterprises", strings.NewReader(req), "application/json"); resp.StatusCode != 403 {
			t.Fatalf("enterprise creating an enterprise: %d", resp.StatusCode)
		}

		// Licences and products under the same conventions.
		lic := `{"enterprise_id": "` + created.ID + `", "kind": "JY", "number": "JY11529230000019", "valid_from": "2024-01-01", "valid_to": "2023-01-01"}`
		resp = s.do(auth.RoleOfficer, "POST", "/api/v1/licences", strings.NewReader(lic), "application/json")
		if p = decode[problem](t, resp); resp.StatusCode != 422 || p.Errors[0].Field != "valid_to" {
			t.Fatalf("licence with end before start: %d %+v", resp.StatusCode, p)
		}
		resp = s.do(auth.RoleOfficer, "POST", "/api/v1/licences", strings.NewReader(strings.Replace(lic, "2023-01-01", "2029-01-01", 1)), "application/json")
		if resp.StatusCode != 201 {
			t.Fatalf("licence: %d %s", resp.StatusCode, readBody(t, resp))
		}
		gtin := codes.GTIN13FromSerial("6970", 77)
		resp = s.do(auth.RoleOfficer, "POST", "/api/v1/products", strings.NewReader(`{"enterprise_id": "`+created.ID+`", "name": "风干牛肉", "gtin": "`+gtin[:12]+`1"}`), "application/json")
		if p = decode[problem](t, resp); gtin[12] != '1' && (resp.StatusCode != 422 || p.Errors[0].Field != "gtin") {
			t.Fatalf("product with a bad GTIN: %d %+v", resp.StatusCode, p)
		}
		resp = s.do(auth.RoleOfficer, "POST", "/api/v1/products", strings.NewReader(`{"enterprise_id": "`+created.ID+`", "name": "风干牛肉", "gtin": "`+gtin+`", "key_commodity": true}`), "application/json")
		if resp.StatusCode != 201 {
			t.Fatalf("product: %d %s", resp.StatusCode, readBody(t, resp))
		}
		type plist struct {
			Items []registry.Product `json:"items"`
			Total int                `json:"total"`
		}
		if pl := decode[plist](t, s.do(auth.RoleInspector, "GET", "/api/v1/products?q="+gtin, nil, "")); pl.Total != 1 || !pl.Items[0].KeyCommodity {
			t.Fatalf("product by GTIN: %+v", pl)
		}
	})
}

func containsID(items []registry.Enterprise, id string) bool {
	for _, e := range items {
		if e.ID == id {
			return true
		}
	}
	return false
}

// TestEnterpriseFormShowsErrorsBesideFields submits the page form as a
// browser would and reads the message next to the field.
func TestEnterpriseFormShowsErrorsBesideFields(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	c := s.browser(auth.RoleOfficer)
	good := codes.USCCFromSerial("152923", 515151)
	bad := good[:17] + string(map[bool]byte{true: '0', false: '1'}[good[17] != '0'])
	resp, err := c.Post(s.ts.URL+"/enterprises", "application/x-www-form-urlencoded",
		form("uscc", bad, "name", "额济纳旗表单测试有限公司", "region_code", "152923", "status", "active"))
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The message sits inside the USCC's label, and the typed values survive.
	i := strings.Index(body, `name="uscc"`)
	j := strings.Index(body[i:], "</label>")
	if i < 0 || j < 0 || !strings.Contains(body[i:i+j], "校验码不符") {
		t.Fatalf("no checksum message beside the USCC field")
	}
	if !strings.Contains(body, `value="额济纳旗表单测试有限公司"`) {
		t.Fatal("the typed name was lost")
	}
	// An officer may accept a real code that fails its checksum, with a reason.
	if !strings.Contains(body, `name="uscc_override_reason"`) {
		t.Fatal("no override offered to an officer")
	}
	resp, _ = c.Post(s.ts.URL+"/enterprises", "application/x-www-form-urlencoded",
		form("uscc", bad, "uscc_override_reason", "经国家企业信用信息公示系统核实", "name", "额济纳旗表单测试有限公司", "region_code", "152923", "status", "active"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("override: status %d: %s", resp.StatusCode, readBody(t, resp))
	}
	var ok bool
	var reason string
	if err := s.db.QueryRow(context.Background(), `SELECT uscc_checksum_ok, uscc_override FROM enterprises WHERE uscc = ?`, bad).Scan(&ok, &reason); err != nil {
		t.Fatal(err)
	}
	if ok || reason != "经国家企业信用信息公示系统核实" {
		t.Fatalf("stored checksum_ok=%v reason=%q", ok, reason)
	}
	// A GLN with a wrong check digit is refused beside its field.
	resp, _ = c.Post(s.ts.URL+"/enterprises", "application/x-www-form-urlencoded",
		form("uscc", good, "name", "额济纳旗表单测试有限公司", "region_code", "152923", "status", "active", "gln", "6901234000000"))
	body = readBody(t, resp)
	i = strings.Index(body, `name="gln"`)
	if j = strings.Index(body[max(i, 0):], "</label>"); resp.StatusCode != http.StatusUnprocessableEntity || i < 0 || j < 0 ||
		!strings.Contains(body[i:i+j], "校验位不符") || !strings.Contains(body, `value="6901234000000"`) {
		t.Fatalf("bad GLN: status %d, no message beside the field", resp.StatusCode)
	}
	// In English the same mistake reads in English.
	req, _ := http.NewRequest("POST", s.ts.URL+"/enterprises", form("uscc", "123", "name", "x", "region_code", "152923"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+s.tokens[auth.RoleOfficer])
	if err := s.setLang(auth.RoleOfficer, "en"); err != nil {
		t.Fatal(err)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); !strings.Contains(body, "18 characters") {
		t.Fatal("English message missing")
	}
}

func (s *site) setLang(role auth.Role, lang string) error {
	resp := s.do(role, "POST", "/lang", form("lang", lang), "application/x-www-form-urlencoded")
	resp.Body.Close()
	return nil
}

// TestExportAndImportRoundTrip downloads the list as .xlsx, and uploads a
// sheet with one bad row: nothing is imported and the row is named.
func TestExportAndImportRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	resp := s.do(auth.RoleInspector, "GET", "/enterprises/export", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	f, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil || len(rows) < 2 {
		t.Fatalf("exported rows: %v %v", len(rows), err)
	}
	if !strings.Contains(strings.Join(rows[0], ","), "统一社会信用代码") || !strings.Contains(strings.Join(rows[1], ","), "测试企业") {
		t.Fatalf("exported sheet: %v", rows[:2])
	}

	// Build an import from the template: two good rows and a bad one.
	resp = s.do(auth.RoleOfficer, "GET", "/enterprises/import/template", nil, "")
	tpl, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	sheet := tpl.GetSheetName(0)
	header, _ := tpl.GetRows(sheet)
	col := map[string]int{}
	for i, h := range header[0] {
		col[h] = i
	}
	put := func(row int, name, val string) {
		c, ok := col[name]
		if !ok {
			t.Fatalf("the template has no column %q: %v", name, header[0])
		}
		cell, _ := excelize.CoordinatesToCellName(c+1, row)
		if err := tpl.SetCellValue(sheet, cell, val); err != nil {
			t.Fatal(err)
		}
	}
	for i, u := range []string{codes.USCCFromSerial("152923", 9001), codes.USCCFromSerial("152923", 9002), "91152923MA0000000Z"} {
		put(i+2, "统一社会信用代码", u)
		put(i+2, "企业名称", "额济纳旗导入测试"+string(rune('甲'+i))+"有限公司")
		put(i+2, "行政区划代码", "152923")
	}
	var file bytes.Buffer
	if err := tpl.Write(&file); err != nil {
		t.Fatal(err)
	}
	upload := func() *http.Response {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "import.xlsx")
		fw.Write(file.Bytes())
		mw.Close()
		return s.do(auth.RoleOfficer, "POST", "/enterprises/import", &body, mw.FormDataContentType())
	}
	before := count(t, s.db, `SELECT COUNT(*) FROM enterprises`)
	resp = upload()
	body := readBody(t, resp)
	if resp.StatusCode != 422 || !strings.Contains(body, "import-rejected") || !strings.Contains(body, "<td>4</td>") {
		t.Fatalf("import with a bad row 4: %d\n%s", resp.StatusCode, body)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM enterprises`); n != before {
		t.Fatalf("a rejected import stored %d rows", n-before)
	}
	// Fixed, the same file goes in whole.
	put(4, "统一社会信用代码", codes.USCCFromSerial("152923", 9003))
	file.Reset()
	if err := tpl.Write(&file); err != nil {
		t.Fatal(err)
	}
	resp = upload()
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "import-done") {
		t.Fatalf("fixed import: %d\n%s", resp.StatusCode, body)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM enterprises`); n != before+3 {
		t.Fatalf("import added %d rows, want 3", n-before)
	}
}
