package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// secondEnterprise adds another enterprise of the region with a user, and
// returns the user's API token.
func secondEnterprise(t *testing.T, s *site) string {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	id := store.NewID()
	if _, err := s.db.Exec(ctx, `INSERT INTO enterprises (id, region_code, uscc, name, created_at, updated_at)
		VALUES (?, '152923', '91152201078371135X', '第二家企业', 0, 0)`, id); err != nil {
		t.Fatal(err)
	}
	u, err := auth.CreateUser(ctx, s.db, auth.NewUser{Username: "u-second", Name: "second", Password: testPassword,
		Role: auth.RoleEnterprise, RegionCode: "152923", EnterpriseID: id})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := auth.CreateToken(ctx, s.db, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (s *site) doToken(token, method, path string, body io.Reader) *http.Response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp
}

// multipartForm encodes fields and one text file as multipart/form-data.
func multipartForm(t *testing.T, fields map[string]string, fileName, fileBody string) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if fileName != "" {
		fw, err := mw.CreateFormFile("files", fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(fileBody))
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

// beside returns the markup from the input named name to the end of its
// label or cell, where the form shows the field's message.
func beside(body, name string) string {
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	for _, end := range []string{"</label>", "</td>"} {
		if j := strings.Index(rest, end); j >= 0 {
			rest = rest[:j]
		}
	}
	return rest
}

func ago(n int) string {
	return time.Now().In(workday.Shanghai).AddDate(0, 0, -n).Format(time.DateOnly)
}

func TestIncomingCheckPages(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	// Refused: a GTIN with a wrong check digit and a quantity that is not a
	// number are named beside their fields; what was typed stays.
	body, ct := multipartForm(t, map[string]string{"supplier_name": "阿拉善盟食品批发部", "gtin": "6901234567890",
		"product_name": "纯牛奶", "lot": "L1", "quantity": "四十", "unit": "XBX", "arrival_date": ago(1), "cert_no": "HG-1"}, "", "")
	resp := s.do(auth.RoleEnterprise, "POST", "/ledger/incoming", body, ct)
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !strings.Contains(beside(page, "gtin"), "校验位不符") || !strings.Contains(beside(page, "quantity"), "请输入数字") {
		t.Fatalf("messages not beside their fields:\n%s", page)
	}
	if !strings.Contains(page, `value="阿拉善盟食品批发部"`) {
		t.Fatal("the typed supplier was lost")
	}

	// Recorded with an attachment.
	body, ct = multipartForm(t, map[string]string{"supplier_name": "阿拉善盟食品批发部", "gtin": "6901234567892",
		"product_name": "纯牛奶", "lot": "L1", "quantity": "40", "unit": "XBX", "production_date": ago(10),
		"shelf_life": "30", "shelf_life_unit": "day", "arrival_date": ago(1), "cert_no": "HG-1"}, "合格证.txt", "合格证 HG-1")
	resp = s.do(auth.RoleEnterprise, "POST", "/ledger/incoming", body, ct)
	readBody(t, resp)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/ledger/incoming/") {
		t.Fatalf("record: %d %s", resp.StatusCode, loc)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/ledger/incoming/"), "?saved=1")
	_, keep := ledger.Retention(ago(1), ago(10), 30, ledger.Days)
	resp = s.do(auth.RoleEnterprise, "GET", "/ledger/incoming/"+id, nil, "")
	page = readBody(t, resp)
	if !strings.Contains(page, `data-testid="retain-until">`+keep) || !strings.Contains(page, "合格证.txt") {
		t.Fatalf("show page lacks the keeping date %s or the file:\n%s", keep, page)
	}
	i := strings.Index(page, "/files/")
	hash := page[i+len("/files/") : i+len("/files/")+64]
	resp = s.do(auth.RoleEnterprise, "GET", "/ledger/incoming/"+id+"/files/"+hash, nil, "")
	if got := readBody(t, resp); got != "合格证 HG-1" {
		t.Fatalf("file: %d %q", resp.StatusCode, got)
	}
	// A sale's address does not show an incoming check.
	if resp := s.do(auth.RoleEnterprise, "GET", "/ledger/sales/"+id, nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("via sales: %d", resp.StatusCode)
	}

	// The list states the keeping rule and shows the entry; the export holds it.
	resp = s.do(auth.RoleEnterprise, "GET", "/ledger/incoming?q=牛奶", nil, "")
	page = readBody(t, resp)
	if !strings.Contains(page, "第五十条") || !strings.Contains(page, "保质期满后六个月") || !strings.Contains(page, "/ledger/incoming/"+id) {
		t.Fatalf("list:\n%s", page)
	}
	resp = s.do(auth.RoleOfficer, "GET", "/ledger/incoming/export", nil, "")
	x, err := excelize.OpenReader(strings.NewReader(readBody(t, resp)))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows(x.GetSheetList()[0])
	if len(rows) != 2 || rows[1][4] != "纯牛奶" || rows[1][5] != "6901234567892" {
		t.Fatalf("export rows %v", rows)
	}

	// Once the lot is recalled, the list marks it and the entry says what
	// to do, with the way to the recall.
	if resp := s.do(auth.RoleEnterprise, "GET", "/ledger/incoming/"+id, nil, ""); strings.Contains(readBody(t, resp), `data-testid="recall"`) {
		t.Fatal("a recall banner before any recall")
	}
	resp = s.do(auth.RoleOfficer, "POST", "/api/v1/recalls", strings.NewReader(`{"epc":"https://id.gs1.org/01/06901234567892/10/L1","level":2,"reason":"菌落总数超标"}`), "application/json")
	rc := decode[struct{ ID string }](t, resp)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("recall: %d", resp.StatusCode)
	}
	page = readBody(t, s.do(auth.RoleEnterprise, "GET", "/ledger/incoming", nil, ""))
	if !strings.Contains(page, `data-testid="recalled">召回中（2级）`) {
		t.Errorf("the list does not mark the recalled lot")
	}
	page = readBody(t, s.do(auth.RoleEnterprise, "GET", "/ledger/incoming/"+id, nil, ""))
	if !strings.Contains(page, "该批次正在2级召回（菌落总数超标）") || !strings.Contains(page, `href="/recalls/`+rc.ID+`" data-testid="recall-link"`) {
		t.Errorf("the entry does not warn of the recall:\n%s", page)
	}

	// Another enterprise neither lists nor opens it.
	other := secondEnterprise(t, s)
	resp = s.doToken(other, "GET", "/api/v1/incoming-checks", nil)
	if got := decode[struct{ Total int }](t, resp); got.Total != 0 {
		t.Fatalf("another enterprise lists %d", got.Total)
	}
	if resp := s.doToken(other, "GET", "/ledger/incoming/"+id, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another enterprise opens it: %d", resp.StatusCode)
	}
}

func TestLedgerAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSiteOn(t, db)
		post := func(role auth.Role, path string, v any) *http.Response {
			b, _ := json.Marshal(v)
			return s.do(role, "POST", path, bytes.NewReader(b), "application/json")
		}
		in := map[string]any{"enterprise_uscc": "91152923MA0N000000", "supplier_uscc": "91152201078371135Y",
			"product_name": "面粉", "lot": "F1", "quantity": 10, "unit": "KGM", "arrival_date": ago(2)}
		resp := post(auth.RoleOfficer, "/api/v1/incoming-checks", in)
		p := decode[problem](t, resp)
		got := map[string]string{}
		for _, e := range p.Errors {
			got[e.Field] = e.Rule
		}
		if resp.StatusCode != http.StatusUnprocessableEntity || got["supplier_uscc"] != "rule.uscc.checksum" ||
			got["supplier_name"] != "rule.required" || got["documents"] != "rule.ledger.documents" {
			t.Fatalf("refusal %d %+v", resp.StatusCode, p)
		}
		in["supplier_uscc"], in["supplier_name"], in["test_report_no"] = "", "额济纳旗面粉厂", "WT-7"
		resp = post(auth.RoleOfficer, "/api/v1/incoming-checks", in)
		created := decode[map[string]any](t, resp)
		if resp.StatusCode != http.StatusCreated || created["supplier_name"] != "额济纳旗面粉厂" || created["captured"] != true ||
			resp.Header.Get("Location") != "/api/v1/incoming-checks/"+created["id"].(string) {
			t.Fatalf("create %d %v", resp.StatusCode, created)
		}
		// The enterprise it was recorded for reads it; the officer's filter refuses a bad date.
		resp = s.do(auth.RoleEnterprise, "GET", "/api/v1/incoming-checks/"+created["id"].(string), nil, "")
		if one := decode[map[string]any](t, resp); one["test_report_no"] != "WT-7" {
			t.Fatalf("get %v", one)
		}
		resp = s.do(auth.RoleOfficer, "GET", "/api/v1/incoming-checks?from=yesterday", nil, "")
		if p := decode[problem](t, resp); resp.StatusCode != http.StatusUnprocessableEntity || p.Errors[0].Field != "from" {
			t.Fatalf("bad filter %d %+v", resp.StatusCode, p)
		}

		resp = post(auth.RoleEnterprise, "/api/v1/sales", map[string]any{"buyer_name": "额济纳旗第一中学食堂",
			"product_name": "面粉", "lot": "F1", "quantity": 2.5, "unit": "KGM", "sale_date": ago(1), "cert_no": "HG-9"})
		sale := decode[map[string]any](t, resp)
		if resp.StatusCode != http.StatusCreated || sale["buyer_name"] != "额济纳旗第一中学食堂" || sale["lot_id"] != created["lot_id"] {
			t.Fatalf("sale %d %v (lot of the check %v)", resp.StatusCode, sale, created["lot_id"])
		}
		// An unknown field is named.
		resp = post(auth.RoleEnterprise, "/api/v1/sales", map[string]any{"supplier_name": "x"})
		if p := decode[problem](t, resp); resp.StatusCode != http.StatusBadRequest || p.Errors[0].Field != "supplier_name" {
			t.Fatalf("unknown field %d %+v", resp.StatusCode, p)
		}
		resp = s.do(auth.RoleInspector, "GET", "/api/v1/sales", nil, "")
		if got := decode[struct{ Total int }](t, resp); got.Total != 1 {
			t.Fatalf("inspector lists %d sales", got.Total)
		}

		// A document is uploaded first and named by its hash in the record.
		pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
		resp = s.do(auth.RoleEnterprise, "POST", "/api/v1/files?name="+url.QueryEscape("检验报告.pdf"), bytes.NewReader(pdf), "application/pdf")
		file := decode[map[string]any](t, resp)
		if resp.StatusCode != http.StatusCreated || file["mime"] != "application/pdf" || file["name"] != "检验报告.pdf" || file["size"] != float64(len(pdf)) {
			t.Fatalf("upload %d %v", resp.StatusCode, file)
		}
		resp = post(auth.RoleEnterprise, "/api/v1/incoming-checks", map[string]any{"supplier_name": "额济纳旗面粉厂",
			"product_name": "面粉", "lot": "F2", "quantity": 5, "unit": "KGM", "arrival_date": ago(1),
			"files": []any{map[string]any{"hash": file["hash"], "name": "检验报告.pdf"}}})
		withFile := decode[map[string]any](t, resp)
		files, _ := withFile["files"].([]any)
		if resp.StatusCode != http.StatusCreated || len(files) != 1 || files[0].(map[string]any)["hash"] != file["hash"] {
			t.Fatalf("check with its document %d %v", resp.StatusCode, withFile)
		}
		// A program is not a document; the refusal names the file.
		resp = s.do(auth.RoleEnterprise, "POST", "/api/v1/files", bytes.NewReader([]byte("\x7fELF\x02\x01\x01")), "application/octet-stream")
		if p := decode[problem](t, resp); resp.StatusCode != http.StatusUnprocessableEntity || len(p.Errors) == 0 || p.Errors[0].Field != "file" {
			t.Fatalf("executable upload %d %+v", resp.StatusCode, p)
		}
		var audits int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE entity = 'file'`).Scan(&audits); err != nil || audits != 1 {
			t.Fatalf("%d file audit records, %v", audits, err)
		}
	})
}

func TestLedgerImportPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	resp := s.do(auth.RoleEnterprise, "GET", "/ledger/sales/import/template", nil, "")
	tpl, err := excelize.OpenReader(strings.NewReader(readBody(t, resp)))
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	sheet := tpl.GetSheetList()[0]
	head, _ := tpl.GetRows(sheet)
	col := map[string]string{}
	for i, h := range head[0] {
		name, _ := excelize.ColumnNumberToName(i + 1)
		col[h] = name
	}
	put := func(row int, title, v string) {
		if err := tpl.SetCellStr(sheet, col[title]+string(rune('0'+row)), v); err != nil {
			t.Fatal(err)
		}
	}
	for row, buyer := range []string{"额济纳旗第一中学食堂", "额济纳旗宾馆"} {
		put(row+2, "购货者名称", buyer)
		put(row+2, "产品名称", "挂面")
		put(row+2, "批号", "G-"+string(rune('1'+row)))
		put(row+2, "数量", "20")
		put(row+2, "单位", "箱")
		put(row+2, "销售日期", ago(1))
	}
	put(3, "数量", "很多")
	upload := func() (int, string) {
		var file bytes.Buffer
		if err := tpl.Write(&file); err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "sales.xlsx")
		fw.Write(file.Bytes())
		mw.Close()
		resp := s.do(auth.RoleEnterprise, "POST", "/ledger/sales/import", &body, mw.FormDataContentType())
		return resp.StatusCode, readBody(t, resp)
	}
	status, page := upload()
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "import-rejected") ||
		!strings.Contains(page, "<td>3</td><td>数量</td><td><code>很多</code></td><td>请输入数字。</td>") {
		t.Fatalf("bad row 3: %d\n%s", status, page)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM ledger_entries`); n != 0 {
		t.Fatalf("a refused file stored %d", n)
	}
	put(3, "数量", "15")
	if status, page := upload(); status != http.StatusOK || !strings.Contains(page, "import-done") {
		t.Fatalf("fixed: %d\n%s", status, page)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM ledger_entries WHERE kind = 'sale' AND captured_at IS NOT NULL`); n != 2 {
		t.Fatalf("%d sales stored and captured", n)
	}
	// An officer must say for which enterprise, beside the field.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "sales.xlsx")
	var file bytes.Buffer
	tpl.Write(&file)
	fw.Write(file.Bytes())
	mw.Close()
	resp = s.do(auth.RoleOfficer, "POST", "/ledger/sales/import", &body, mw.FormDataContentType())
	if page := readBody(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(beside(page, "enterprise_uscc"), "必填项") {
		t.Fatalf("officer without enterprise: %d\n%s", resp.StatusCode, page)
	}
}
