package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/auth"
)

func TestFilingReviewOverHTTP(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	post := func(role auth.Role, path string, v any) *http.Response {
		b, _ := json.Marshal(v)
		return s.do(role, "POST", path, bytes.NewReader(b), "application/json")
	}
	in := map[string]any{"product_name": "复合肥料", "category": "agri_inputs", "product_code": "NY-2024-17", "spec": "40kg/袋",
		"manufacturer": "内蒙古某化肥有限公司", "licence_no": "XK13-001-00077", "supplier_name": "额济纳旗农资站",
		"lots": []map[string]any{{"lot": "A1", "quantity": 100, "unit": "袋"}}, "documents": "肥料登记证 内农肥(2024)准字0001号"}
	resp := post(auth.RoleEnterprise, "/api/v1/filings", in)
	fl := decode[map[string]any](t, resp)
	if resp.StatusCode != http.StatusCreated || fl["status"] != "submitted" {
		t.Fatalf("file: %d %v", resp.StatusCode, fl)
	}
	id := fl["id"].(string)
	if n := count(t, s.db, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'filing.submitted'`, s.users[auth.RoleOfficer].ID); n != 1 {
		t.Fatalf("officer notified %d times", n)
	}

	// The officer's home page counts it among the filings to review.
	if page := readBody(t, s.do(auth.RoleOfficer, "GET", "/", nil, "")); !strings.Contains(page, `href="/filings?status=submitted"><span class="n">1</span>`) {
		t.Errorf("the officer's home page does not count filings to review")
	}
	if page := readBody(t, s.do(auth.RoleEnterprise, "GET", "/", nil, "")); strings.Contains(page, `href="/filings?status=submitted"`) {
		t.Errorf("the enterprise's home page counts filings to review")
	}

	// The enterprise may not review; a return needs a reason.
	if resp := post(auth.RoleEnterprise, "/api/v1/filings/"+id+"/review", map[string]any{"decision": "approve"}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("enterprise reviews: %d", resp.StatusCode)
	}
	resp = post(auth.RoleOfficer, "/api/v1/filings/"+id+"/review", map[string]any{"decision": "return"})
	if p := decode[problem](t, resp); resp.StatusCode != http.StatusUnprocessableEntity || p.Errors[0].Field != "reason" {
		t.Fatalf("return without reason: %d %+v", resp.StatusCode, p)
	}
	// The page's review form: a return without a reason shows beside it, then with one.
	resp = s.do(auth.RoleOfficer, "POST", "/filings/"+id+"/review", form("decision", "return"), "application/x-www-form-urlencoded")
	if page := readBody(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(beside(page, "reason"), "必填项") {
		t.Fatalf("page return without reason: %d", resp.StatusCode)
	}
	resp = s.do(auth.RoleOfficer, "POST", "/filings/"+id+"/review", form("decision", "return", "reason", "请补充肥料登记证扫描件"),
		"application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("page return: %d %s", resp.StatusCode, readBody(t, resp))
	}
	page := readBody(t, s.do(auth.RoleEnterprise, "GET", "/filings/"+id, nil, ""))
	if !strings.Contains(page, "请补充肥料登记证扫描件") || !strings.Contains(page, `href="/filings/`+id+`/edit"`) {
		t.Fatalf("the enterprise's page:\n%s", page)
	}

	// The edit form: an unreadable quantity on the second filled row is shown
	// beside that row, although an empty row came between.
	edit := readBody(t, s.do(auth.RoleEnterprise, "GET", "/filings/"+id+"/edit", nil, ""))
	if !strings.Contains(edit, `value="NY-2024-17"`) || !strings.Contains(edit, `name="lots.0.lot" value="A1"`) {
		t.Fatalf("edit form:\n%s", edit)
	}
	fields := map[string]string{"product_name": "复合肥料", "category": "agri_inputs", "product_code": "NY-2024-17", "spec": "40kg/袋",
		"manufacturer": "内蒙古某化肥有限公司", "licence_no": "XK13-001-00077", "supplier_name": "额济纳旗农资站",
		"documents": "肥料登记证 内农肥(2024)准字0001号", "lots.0.lot": "A1", "lots.0.quantity": "100", "lots.0.unit": "XBG",
		"lots.2.lot": "A2", "lots.2.quantity": "五十", "lots.2.unit": "XBG"}
	body, ct := multipartForm(t, fields, "登记证.txt", "肥料登记证 内农肥(2024)准字0001号")
	resp = s.do(auth.RoleEnterprise, "POST", "/filings/"+id, body, ct)
	page = readBody(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(beside(page, "lots.1.quantity"), "数量须大于 0") {
		t.Fatalf("bad lot: %d\n%s", resp.StatusCode, page)
	}
	fields["lots.2.quantity"] = "50"
	body, ct = multipartForm(t, fields, "登记证.txt", "肥料登记证 内农肥(2024)准字0001号")
	if resp := s.do(auth.RoleEnterprise, "POST", "/filings/"+id, body, ct); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resubmit: %d %s", resp.StatusCode, readBody(t, resp))
	}
	resp = post(auth.RoleAdmin, "/api/v1/filings/"+id+"/review", map[string]any{"decision": "approve"})
	fl = decode[map[string]any](t, resp)
	if resp.StatusCode != http.StatusOK || fl["status"] != "approved" || fl["version"] != float64(2) ||
		len(fl["lots"].([]any)) != 2 || len(fl["files"].([]any)) != 1 || len(fl["history"].([]any)) != 4 {
		t.Fatalf("approve: %d %v", resp.StatusCode, fl)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind IN ('filing.returned', 'filing.approved')`,
		s.users[auth.RoleEnterprise].ID); n != 2 {
		t.Fatalf("enterprise notified %d times", n)
	}
	// An approved filing is not edited again.
	resp = s.doToken(s.tokens[auth.RoleEnterprise], "PUT", "/api/v1/filings/"+id, bytes.NewReader(mustJSON(in)))
	if p := decode[problem](t, resp); resp.StatusCode != http.StatusUnprocessableEntity || p.Errors[0].Rule != "rule.filing.not_returned" {
		t.Fatalf("edit approved: %d %+v", resp.StatusCode, p)
	}

	// Lists and export; another enterprise sees none of it.
	page = readBody(t, s.do(auth.RoleOfficer, "GET", "/filings?status=approved", nil, ""))
	if !strings.Contains(page, "/filings/"+id) {
		t.Fatal("the officer's list lacks the filing")
	}
	x, err := excelize.OpenReader(strings.NewReader(readBody(t, s.do(auth.RoleOfficer, "GET", "/filings/export", nil, ""))))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows(x.GetSheetList()[0])
	if len(rows) != 2 || rows[1][1] != "复合肥料" || rows[1][10] != "已备案" || !strings.Contains(rows[1][9], "A2 50袋") {
		t.Fatalf("export %v", rows)
	}
	other := secondEnterprise(t, s)
	if got := decode[struct{ Total int }](t, s.doToken(other, "GET", "/api/v1/filings", nil)); got.Total != 0 {
		t.Fatalf("another enterprise lists %d", got.Total)
	}
	if resp := s.doToken(other, "GET", "/api/v1/filings/"+id, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another enterprise reads it: %d", resp.StatusCode)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
