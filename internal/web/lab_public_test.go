package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// labVerification is the public answer as JSON.
type labVerification struct {
	State        string          `json:"state"`
	Number       string          `json:"number"`
	Version      int             `json:"version"`
	Fingerprint  string          `json:"fingerprint"`
	Content      json.RawMessage `json:"content"`
	SupersededBy *struct {
		Number  string `json:"number"`
		Version int    `json:"version"`
	} `json:"superseded_by"`
	RevokedOn    string `json:"revoked_on"`
	RevokeReason string `json:"revoke_reason"`
}

func verifyPath(number, code string) string {
	return "/public/reports/verify?" + url.Values{"no": {number}, "code": {code}}.Encode()
}

// verify asks the public page for JSON, with no account.
func (l *labLab) verify(number, code string) labVerification {
	l.t.Helper()
	var v labVerification
	l.must(http.StatusOK, "", "GET", verifyPath(number, code), "", &v)
	return v
}

// verifyPage fetches the public page as a browser would, in lang.
func (l *labLab) verifyPage(number, code, lang string) string {
	l.t.Helper()
	req, _ := http.NewRequest("GET", l.ts.URL+verifyPath(number, code), nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Language", lang)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	body := readBody(l.t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		l.t.Fatalf("page: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Referrer-Policy") != "no-referrer" {
		l.t.Errorf("the code could leak through the referrer: %q", resp.Header.Get("Referrer-Policy"))
	}
	return body
}

// stateOf is the part of a verification page that gives the answer.
func stateOf(page string) string {
	i := strings.Index(page, `data-testid="verify-state"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</section>")
	if j < 0 {
		return page[i:]
	}
	return page[i : i+j]
}

func TestReportVerifyPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newLabLab(t, db)
		w := l.issueReport()
		number, code := w.report.Number, w.report.VerificationCode

		// The empty page is a form, in Chinese first.
		page := l.verifyPage("", "", "")
		if !strings.Contains(page, "检验报告真伪查询") || !strings.Contains(page, `name="code"`) || strings.Contains(page, `data-testid="verify-state"`) {
			t.Fatalf("empty page: %s", page)
		}
		// With the right code: the report's key content and fingerprint.
		page = l.verifyPage(number, code, "")
		for _, want := range []string{`data-state="valid"`, number, "额济纳旗检验检测中心", "测试企业", "驼奶粉", "20260301A", "2026-03-02",
			"0.12", "≤ 0.05 mg/kg", "不合格", w.report.Fingerprint} {
			if !strings.Contains(page, want) {
				t.Errorf("valid page lacks %q", want)
			}
		}
		if en := l.verifyPage(number, code, "en"); !strings.Contains(en, "Nonconforming") || !strings.Contains(en, "genuine") {
			t.Errorf("English page: %s", en)
		}
		// A wrong code and a wrong number read alike and show nothing.
		wrongCode, wrongNumber := l.verifyPage(number, "ABCDEFGH", ""), l.verifyPage("EJN-2026-9999", code, "")
		for _, p := range []string{wrongCode, wrongNumber} {
			if !strings.Contains(p, `data-state="unknown"`) || strings.Contains(p, "驼奶粉") || strings.Contains(p, w.report.Fingerprint) {
				t.Fatalf("unknown page shows the report: %s", p)
			}
		}
		if stateOf(wrongCode) != stateOf(wrongNumber) {
			t.Errorf("a wrong number and a wrong code can be told apart:\n%s\n%s", stateOf(wrongCode), stateOf(wrongNumber))
		}
		if v := l.verify("EJN-2026-9999", code); v.State != "unknown" || v.Number != "" || len(v.Content) != 0 {
			t.Fatalf("wrong number: %+v", v)
		}
		// JSON asks for both fields by name.
		status, _ := l.call("", "GET", "/public/reports/verify", "", "")
		if status != http.StatusUnprocessableEntity {
			t.Errorf("JSON without number and code: %d", status)
		}

		// A revision supersedes it once approved by the second user.
		var rev labReport
		l.must(http.StatusCreated, w.labA1, "POST", "/api/v1/reports/"+number+"/revisions", `{"reason":"更正计量单位"}`, &rev)
		if rev.Status != "draft" || rev.Version != 2 {
			t.Fatalf("revision %+v", rev)
		}
		if v := l.verify(number, code); v.State != "valid" {
			t.Fatalf("a revision in draft already changed the answer: %+v", v)
		}
		var v2 labReport
		l.must(http.StatusOK, w.labA2, "POST", "/api/v1/reports/"+number+"/approve", "", &v2)
		if v2.Status != "issued" || v2.Version != 2 || v2.VerificationCode == "" {
			t.Fatalf("second version %+v", v2)
		}
		v := l.verify(number, code)
		if v.State != "superseded" || v.SupersededBy == nil || v.SupersededBy.Number != number || v.SupersededBy.Version != 2 || len(v.Content) != 0 {
			t.Fatalf("old code after the revision: %+v", v)
		}
		page = l.verifyPage(number, code, "")
		if !strings.Contains(page, `data-state="superseded"`) || !strings.Contains(page, "第 2 版") || strings.Contains(page, "驼奶粉") {
			t.Fatalf("superseded page: %s", page)
		}
		if v := l.verify(number, v2.VerificationCode); v.State != "valid" || v.Version != 2 {
			t.Fatalf("new code: %+v", v)
		}
		var all struct {
			Items []labReport `json:"items"`
		}
		l.must(http.StatusOK, w.labA1, "GET", "/api/v1/reports?all_versions=true", "", &all)
		if len(all.Items) != 2 {
			t.Fatalf("all versions: %+v", all)
		}

		// Revoked: the date and the reason, and no content.
		p := l.refused(http.StatusUnprocessableEntity, w.labA1, "POST", "/api/v1/reports/"+number+"/revoke", `{"reason":""}`, "")
		if r, _ := p.rule("reason"); r == "" {
			t.Fatalf("revoking without a reason: %+v", p)
		}
		l.must(http.StatusOK, w.labA1, "POST", "/api/v1/reports/"+number+"/revoke", `{"reason":"样品信息登记错误"}`, nil)
		v = l.verify(number, v2.VerificationCode)
		if v.State != "revoked" || v.RevokedOn != "2026-03-02" || v.RevokeReason != "样品信息登记错误" || len(v.Content) != 0 {
			t.Fatalf("revoked: %+v", v)
		}
		page = l.verifyPage(number, v2.VerificationCode, "")
		if !strings.Contains(page, `data-state="revoked"`) || !strings.Contains(page, "样品信息登记错误") || !strings.Contains(page, "2026-03-02") {
			t.Fatalf("revoked page: %s", page)
		}
		// Signed in or not, the page needs the code: an official's session
		// sees no more without it.
		req, _ := http.NewRequest("GET", l.ts.URL+verifyPath(number, ""), nil)
		req.Header.Set("Authorization", "Bearer "+l.tokens[auth.RoleOfficer])
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); !strings.Contains(body, `"state":"unknown"`) {
			t.Fatalf("an official without the code: %s", body)
		}
	})
}

// TestReportVerifyRateLimit: one address may not try codes without end.
func TestReportVerifyRateLimit(t *testing.T) {
	t.Parallel()
	l := newLabLab(t, storetest.SQLite(t))
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		status, _ := l.call("", "GET", verifyPath("EJN-2026-0001", "ABCDEFGH"), "", "")
		switch status {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			limited = true
			if i < 30 {
				t.Fatalf("limited after %d lookups", i)
			}
		default:
			t.Fatalf("status %d", status)
		}
	}
	if !limited {
		t.Fatal("40 lookups in a minute were all answered")
	}
	// The page itself, without a lookup, is still served.
	if status, _ := l.call("", "GET", "/public/reports/verify", "", ""); status == http.StatusTooManyRequests {
		t.Fatal("the empty form is limited too")
	}
}
