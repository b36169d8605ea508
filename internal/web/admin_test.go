package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/workday"
	"github.com/hallmark-platform/hallmark/locales"
)

// adminGet fetches path with a browser client and returns status and body.
func adminGet(t *testing.T, s *site, c *http.Client, path string) (int, string) {
	t.Helper()
	resp, err := c.Get(s.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, adminChecked(t, path, readBody(t, resp))
}

// adminChecked fails the test when a page shows a message missing from the
// catalog.
func adminChecked(t *testing.T, path, body string) string {
	t.Helper()
	if i := strings.Index(body, locales.Missing); i >= 0 {
		t.Errorf("%s: a message is missing from the catalog: %s", path, body[i:min(len(body), i+60)])
	}
	return body
}

// adminPost submits a form with a browser client and returns the response,
// its body read.
func adminPost(t *testing.T, s *site, c *http.Client, path string, kv ...string) (*http.Response, string) {
	t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	resp, err := c.PostForm(s.ts.URL+path, v)
	if err != nil {
		t.Fatal(err)
	}
	return resp, adminChecked(t, path, readBody(t, resp))
}

// adminRequest sends a form as role with its API token and the given
// Accept-Language.
func adminRequest(t *testing.T, s *site, role auth.Role, method, path, acceptLang string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	if acceptLang != "" {
		req.Header.Set("Accept-Language", acceptLang)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, adminChecked(t, path, readBody(t, resp))
}

// adminFieldError returns the error message shown right after the input
// with data-testid id (inside its label), or "" when there is none.
func adminFieldError(body, id string) string {
	re := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(id) + `">(?:\s*<option[^>]*>[^<]*</option>)*\s*(?:</select>)?\s*<span class="error" role="alert">([^<]*)</span>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func adminCount(t *testing.T, s *site, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// adminSignIn signs in through the form and reports whether it succeeded.
func adminSignIn(t *testing.T, s *site, username, password string) bool {
	t.Helper()
	c := s.browser("")
	resp, _ := adminPost(t, s, c, "/login", "username", username, "password", password)
	return resp.StatusCode == http.StatusSeeOther
}

func TestAdminCreatesUserWhoCanSignIn(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(auth.RoleAdmin)

	status, body := adminGet(t, s, admin, "/admin/users/new")
	if status != http.StatusOK || !strings.Contains(body, `<option value="`+s.deptID+`"`) {
		t.Fatalf("new-user form: status %d, department not offered", status)
	}
	resp, _ := adminPost(t, s, admin, "/admin/users", "username", "Zhang.San", "name", "张三", "role", "officer",
		"department_id", s.deptID, "password", "initial-pass-1")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: status %d", resp.StatusCode)
	}
	created, err := auth.UserByUsername(context.Background(), s.db, "zhang.san")
	if err != nil {
		t.Fatalf("the account was not stored: %v", err)
	}
	if loc := resp.Header.Get("Location"); loc != "/admin/users/"+created.ID {
		t.Fatalf("redirected to %q", loc)
	}
	if created.Role != auth.RoleOfficer || created.DepartmentID != s.deptID || created.RegionCode != s.users[auth.RoleAdmin].RegionCode {
		t.Fatalf("stored as %+v", created)
	}
	_, body = adminGet(t, s, admin, "/admin/users/"+created.ID)
	if !strings.Contains(body, locales.T(locales.ZH, "admin.users.created", nil)) || !strings.Contains(body, "zhang.san") {
		t.Fatal("the account page does not confirm the new account")
	}

	// The list finds the account by name and by role, and not under another role.
	_, body = adminGet(t, s, admin, "/admin/users?q="+url.QueryEscape("张三"))
	if !strings.Contains(body, "zhang.san") || strings.Contains(body, "u-inspector") {
		t.Fatal("search by name does not list exactly the new account")
	}
	_, body = adminGet(t, s, admin, "/admin/users?role=officer")
	if !strings.Contains(body, "zhang.san") || !strings.Contains(body, "u-officer") || strings.Contains(body, "u-expert") {
		t.Fatal("role filter is wrong")
	}
	_, body = adminGet(t, s, admin, "/admin/users?role=enterprise")
	if strings.Contains(body, "zhang.san") {
		t.Fatal("an officer is listed under enterprises")
	}
	_, body = adminGet(t, s, admin, "/admin/users?limit=2")
	if !strings.Contains(body, `rel="next"`) {
		t.Fatal("seven accounts at two a page show no next page")
	}

	if !adminSignIn(t, s, "zhang.san", "initial-pass-1") {
		t.Fatal("the new user cannot sign in")
	}
}

func TestAdminCreateEnterpriseAccountByUSCC(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(auth.RoleAdmin)
	before := adminCount(t, s, `SELECT COUNT(*) FROM users`)

	resp, body := adminPost(t, s, admin, "/admin/users", "username", "ent2", "role", "enterprise",
		"enterprise_id", "91152923MA0N000009", "password", "initial-pass-1")
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown enterprise: status %d", resp.StatusCode)
	}
	if got, want := adminFieldError(body, "enterprise"), locales.T(locales.ZH, "rule.enterprise.unknown", nil); got != want {
		t.Fatalf("enterprise field error %q, want %q", got, want)
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM users`); n != before {
		t.Fatal("an account was created for an unknown enterprise")
	}

	// The code as people type it: lower case, with spaces.
	resp, _ = adminPost(t, s, admin, "/admin/users", "username", "ent2", "role", "enterprise",
		"enterprise_id", "91152923ma0n 000000", "password", "initial-pass-1")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create by USCC: status %d", resp.StatusCode)
	}
	u, err := auth.UserByUsername(context.Background(), s.db, "ent2")
	if err != nil || u.EnterpriseID != s.entID {
		t.Fatalf("stored %+v, %v; want enterprise %s", u, err, s.entID)
	}
}

func TestAdminBadInputShowsErrorsBesideFieldsAndCreatesNothing(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(auth.RoleAdmin)
	before := adminCount(t, s, `SELECT COUNT(*) FROM users`)
	audits := adminCount(t, s, `SELECT COUNT(*) FROM audit_log`)

	resp, body := adminPost(t, s, admin, "/admin/users", "username", "李 四!", "name", "李四", "role", "inspector",
		"password", "short")
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := map[string]string{
		"username":   locales.T(locales.ZH, "rule.username.format", map[string]any{"min": auth.UsernameMin, "max": auth.UsernameMax}),
		"password":   locales.T(locales.ZH, "rule.password.short", map[string]any{"min": auth.PasswordMin}),
		"department": locales.T(locales.ZH, "rule.required", nil),
	}
	for field, msg := range want {
		if got := adminFieldError(body, field); got != msg {
			t.Errorf("%s: error %q beside the field, want %q", field, got, msg)
		}
	}
	if adminFieldError(body, "name") != "" {
		t.Error("a good field shows an error")
	}
	if !strings.Contains(body, `value="李四"`) || strings.Contains(body, `value="short"`) {
		t.Error("the form should keep the name and drop the password")
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM users`); n != before {
		t.Fatal("bad input created an account")
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM audit_log`); n != audits {
		t.Fatal("bad input wrote an audit record")
	}

	// In English for a reader who asks for it.
	status, body := adminRequest(t, s, auth.RoleAdmin, http.MethodPost, "/admin/users", "en-US,en;q=0.9",
		form("username", "x", "role", "officer", "department_id", s.deptID, "password", "initial-pass-1"))
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", status)
	}
	msg := locales.T(locales.EN, "rule.username.format", map[string]any{"min": auth.UsernameMin, "max": auth.UsernameMax})
	if got := adminFieldError(body, "username"); got != msg {
		t.Fatalf("English error %q, want %q", got, msg)
	}

	// A taken username.
	resp, body = adminPost(t, s, admin, "/admin/users", "username", "u-officer", "role", "officer",
		"department_id", s.deptID, "password", "initial-pass-1")
	if resp.StatusCode != http.StatusUnprocessableEntity || adminFieldError(body, "username") != locales.T(locales.ZH, "rule.username.taken", nil) {
		t.Fatalf("taken username: status %d, error %q", resp.StatusCode, adminFieldError(body, "username"))
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM users`); n != before {
		t.Fatal("bad input created an account")
	}
}

func TestAdminEditsResetsAndDisables(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(auth.RoleAdmin)
	officer := s.users[auth.RoleOfficer]
	page := "/admin/users/" + officer.ID

	resp, _ := adminPost(t, s, admin, page, "name", "王五", "role", "inspector", "department_id", s.deptID)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: status %d", resp.StatusCode)
	}
	_, body := adminGet(t, s, admin, page)
	if !strings.Contains(body, "王五") || !strings.Contains(body, locales.T(locales.ZH, "role.inspector", nil)) {
		t.Fatal("the page does not show the new name and role")
	}
	// A bad change shows beside its field and changes nothing.
	resp, body = adminPost(t, s, admin, page, "name", "赵六", "role", "inspector", "department_id", "")
	if resp.StatusCode != http.StatusUnprocessableEntity || adminFieldError(body, "department") != locales.T(locales.ZH, "rule.required", nil) {
		t.Fatalf("missing department: status %d", resp.StatusCode)
	}
	if u, _ := auth.GetUser(context.Background(), s.db, officer.ID); u.Name != "王五" {
		t.Fatalf("a refused change was stored: name %q", u.Name)
	}

	resp, body = adminPost(t, s, admin, page+"/reset-password", "new", "short")
	if resp.StatusCode != http.StatusUnprocessableEntity || adminFieldError(body, "new-password") == "" {
		t.Fatalf("short password: status %d, no error beside the field", resp.StatusCode)
	}
	if !adminSignIn(t, s, "u-officer", testPassword) {
		t.Fatal("a refused reset changed the password")
	}
	resp, _ = adminPost(t, s, admin, page+"/reset-password", "new", "reset-pass-2")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: status %d", resp.StatusCode)
	}
	if adminSignIn(t, s, "u-officer", testPassword) || !adminSignIn(t, s, "u-officer", "reset-pass-2") {
		t.Fatal("after a reset only the new password should work")
	}

	resp, _ = adminPost(t, s, admin, page+"/disable")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: status %d", resp.StatusCode)
	}
	if adminSignIn(t, s, "u-officer", "reset-pass-2") {
		t.Fatal("a disabled user can sign in")
	}
	_, body = adminGet(t, s, admin, "/admin/users?q=u-officer")
	if !strings.Contains(body, locales.T(locales.ZH, "admin.user.status.disabled", nil)) {
		t.Fatal("the list does not show the account as disabled")
	}
	resp, _ = adminPost(t, s, admin, page+"/enable")
	if resp.StatusCode != http.StatusSeeOther || !adminSignIn(t, s, "u-officer", "reset-pass-2") {
		t.Fatal("an enabled user cannot sign in")
	}
}

func TestAdminCannotDisableOrDemoteThemself(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(auth.RoleAdmin)
	me := s.users[auth.RoleAdmin]
	page := "/admin/users/" + me.ID

	_, body := adminGet(t, s, admin, page)
	if strings.Contains(body, `data-testid="disable"`) {
		t.Fatal("the admin is offered to disable themself")
	}
	resp, body := adminPost(t, s, admin, page+"/disable")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, locales.T(locales.ZH, "admin.users.cannot_disable_self", nil)) {
		t.Fatalf("self-disable: status %d", resp.StatusCode)
	}
	resp, body = adminPost(t, s, admin, page, "name", "办公室", "role", "officer", "department_id", s.deptID)
	if resp.StatusCode != http.StatusUnprocessableEntity || adminFieldError(body, "role") != locales.T(locales.ZH, "rule.user.self_role", nil) {
		t.Fatalf("self-demotion: status %d, role error %q", resp.StatusCode, adminFieldError(body, "role"))
	}
	u, err := auth.GetUser(context.Background(), s.db, me.ID)
	if err != nil || u.Disabled || u.Role != auth.RoleAdmin || u.Name != me.Name {
		t.Fatalf("the admin's account changed: %+v %v", u, err)
	}
	if status, _ := adminGet(t, s, admin, "/admin/users"); status != http.StatusOK {
		t.Fatalf("the admin lost access: %d", status)
	}
}

func TestAdminCalendarOverrideChangesThePage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(auth.RoleAdmin)
	row := regexp.MustCompile(`(?s)<tr data-day="2026-06-15">.*?</tr>`)
	national := regexp.MustCompile(`(?s)<tr data-day="2026-10-01">.*?</tr>`)

	status, body := adminGet(t, s, admin, "/admin/calendar?year=2026")
	// The seven days off of National Day are one row.
	if got := national.FindString(body); status != http.StatusOK || !strings.Contains(got, "国庆节") ||
		!strings.Contains(got, `datetime="2026-10-07"`) || !strings.Contains(got, locales.T(locales.ZH, "admin.calendar.count", map[string]any{"n": 7})) {
		t.Fatalf("2026 page: status %d, National Day row %q", status, got)
	}
	if strings.Contains(body, `data-day="2026-10-02"`) {
		t.Fatal("a day inside a holiday has a row of its own")
	}
	if row.MatchString(body) {
		t.Fatal("an ordinary Monday is listed")
	}

	// Bad input changes nothing and says why beside each field.
	resp, body := adminPost(t, s, admin, "/admin/calendar", "day", "2026-02-30", "kind", "off", "name", "x", "year", "2026")
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad day: status %d", resp.StatusCode)
	}
	if got := adminFieldError(body, "day"); got != locales.T(locales.ZH, "rule.date.format", nil) {
		t.Errorf("day error %q", got)
	}
	if got := adminFieldError(body, "kind"); got != locales.T(locales.ZH, "rule.calendar.kind", nil) {
		t.Errorf("kind error %q", got)
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM calendar_days`); n != 0 {
		t.Fatal("bad input stored a day")
	}

	resp, _ = adminPost(t, s, admin, "/admin/calendar", "day", "2026-06-15", "kind", "holiday", "name", "那达慕")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/calendar?year=2026" {
		t.Fatalf("set: status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = adminGet(t, s, admin, "/admin/calendar?year=2026")
	got := row.FindString(body)
	if !strings.Contains(got, "那达慕") || !strings.Contains(got, `data-testid="override"`) ||
		!strings.Contains(got, locales.T(locales.ZH, "calendar.kind.holiday", nil)) {
		t.Fatalf("the override is not shown: %q", got)
	}
	cal, err := workday.Load(context.Background(), s.db)
	if err != nil || cal.IsWorkday(workday.Date(2026, 6, 15)) {
		t.Fatalf("2026-06-15 still counts as a working day (%v)", err)
	}

	// Overriding an official day shows what it replaced.
	adminPost(t, s, admin, "/admin/calendar", "day", "2026-10-07", "kind", "workday", "name", "")
	_, body = adminGet(t, s, admin, "/admin/calendar?year=2026")
	oct7 := regexp.MustCompile(`(?s)<tr data-day="2026-10-07">.*?</tr>`).FindString(body)
	if !strings.Contains(oct7, `data-testid="override"`) || !strings.Contains(oct7, "国庆节") {
		t.Fatalf("the overridden official day does not show what it replaced: %q", oct7)
	}
	if got := national.FindString(body); !strings.Contains(got, `datetime="2026-10-06"`) || strings.Contains(got, `datetime="2026-10-07"`) {
		t.Fatalf("the National Day run should now end on 10-06: %q", got)
	}

	resp, _ = adminPost(t, s, admin, "/admin/calendar/2026-06-15/clear")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear: status %d", resp.StatusCode)
	}
	_, body = adminGet(t, s, admin, "/admin/calendar?year=2026")
	if row.MatchString(body) {
		t.Fatal("a cleared override is still listed")
	}
	if resp, _ := adminPost(t, s, admin, "/admin/calendar/2026-06-15/clear"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("clearing a day without override: status %d, want 404", resp.StatusCode)
	}
	if resp, _ := adminPost(t, s, admin, "/admin/calendar/not-a-day/clear"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("clearing a non-date: status %d, want 404", resp.StatusCode)
	}
}

func TestAdminSettingsExpiringDays(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(auth.RoleAdmin)
	field := registry.SettingExpiringDays
	value := regexp.MustCompile(`name="` + regexp.QuoteMeta(field) + `"[^>]*value="(\d*)"`)
	ctx := context.Background()

	_, body := adminGet(t, s, admin, "/admin/settings")
	if m := value.FindStringSubmatch(body); m == nil || m[1] != "30" {
		t.Fatalf("default not shown: %v", m)
	}
	resp, _ := adminPost(t, s, admin, "/admin/settings", field, "45")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d", resp.StatusCode)
	}
	_, body = adminGet(t, s, admin, "/admin/settings")
	if m := value.FindStringSubmatch(body); m == nil || m[1] != "45" {
		t.Fatalf("saved value not shown: %v", m)
	}
	if n, err := registry.ExpiringDays(ctx, s.db); err != nil || n != 45 {
		t.Fatalf("licences see %d days (%v), want 45", n, err)
	}

	for _, c := range []struct{ in, rule string }{{"0", "rule.range"}, {"366", "rule.range"}, {"abc", "rule.integer"}, {"", "rule.required"}} {
		resp, body := adminPost(t, s, admin, "/admin/settings", field, c.in)
		want := locales.T(locales.ZH, c.rule, map[string]any{"min": 1, "max": 365})
		if resp.StatusCode != http.StatusUnprocessableEntity || adminFieldError(body, field) != want {
			t.Errorf("%q: status %d, error %q, want %q", c.in, resp.StatusCode, adminFieldError(body, field), want)
		}
	}
	if n, _ := registry.ExpiringDays(ctx, s.db); n != 45 {
		t.Fatalf("a refused value changed the setting to %d", n)
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM audit_log WHERE entity = 'setting'`); n != 1 {
		t.Fatalf("%d audit records for one change", n)
	}
}

func TestAdminPagesRefuseOtherRoles(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	before := adminCount(t, s, `SELECT COUNT(*) FROM users`)
	for _, role := range auth.Roles {
		if role == auth.RoleAdmin {
			continue
		}
		for _, path := range []string{"/admin/users", "/admin/users/new", "/admin/users/" + s.users[role].ID, "/admin/calendar", "/admin/settings"} {
			if status, _ := adminRequest(t, s, role, http.MethodGet, path, "", nil); status != http.StatusForbidden {
				t.Errorf("GET %s as %s: %d, want 403", path, role, status)
			}
		}
		status, _ := adminRequest(t, s, role, http.MethodPost, "/admin/users", "",
			form("username", "sneaky-"+string(role), "role", "admin", "department_id", s.deptID, "password", "initial-pass-1"))
		if status != http.StatusForbidden {
			t.Errorf("POST /admin/users as %s: %d, want 403", role, status)
		}
		status, _ = adminRequest(t, s, role, http.MethodPost, "/admin/calendar", "", form("day", "2026-06-15", "kind", "holiday"))
		if status != http.StatusForbidden {
			t.Errorf("POST /admin/calendar as %s: %d, want 403", role, status)
		}
		status, _ = adminRequest(t, s, role, http.MethodPost, "/admin/users/"+s.users[role].ID+"/disable", "", nil)
		if status != http.StatusForbidden {
			t.Errorf("self-disable as %s: %d, want 403", role, status)
		}
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM users`); n != before {
		t.Fatal("a non-admin created an account")
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM calendar_days`); n != 0 {
		t.Fatal("a non-admin set a calendar day")
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM users WHERE disabled = ?`, true); n != 0 {
		t.Fatal("a non-admin disabled an account")
	}
	// The navigation offers the pages to the admin only.
	_, body := adminGet(t, s, s.browser(auth.RoleOfficer), "/")
	if strings.Contains(body, `href="/admin/users"`) {
		t.Fatal("an officer is offered user administration")
	}
	_, body = adminGet(t, s, s.browser(auth.RoleAdmin), "/")
	for _, href := range []string{"/admin/users", "/admin/calendar", "/admin/settings"} {
		if !strings.Contains(body, `href="`+href+`"`) {
			t.Errorf("the admin's navigation lacks %s", href)
		}
	}
}

// TestAdminPagesFitAPhone opens the administration pages in Chromium at 360
// CSS pixels wide, the narrowest phone the office uses, and checks that none
// scrolls sideways and that a form's error shows beside its field.
func TestAdminPagesFitAPhone(t *testing.T) {
	if os.Getenv("HALLMARK_TEST_BROWSER") != "1" {
		t.Skip("set HALLMARK_TEST_BROWSER=1 to run browser tests")
	}
	t.Parallel()
	s := newSite(t)
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox)...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 800)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.ts.URL+"/login"),
		chromedp.SendKeys(`input[name=username]`, "u-admin"),
		chromedp.SendKeys(`input[name=password]`, testPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`header.top details.account`),
	)
	if err != nil {
		t.Fatal(err)
	}
	fits := func(name string) {
		t.Helper()
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 360 {
			t.Errorf("%s is %d px wide on a 360 px screen", name, width)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, locales.Missing) {
			t.Errorf("%s shows a message missing from the catalog", name)
		}
	}
	for _, path := range []string{"/admin/users", "/admin/users/new", "/admin/users/" + s.users[auth.RoleOfficer].ID,
		"/admin/calendar?year=2026", "/admin/settings"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+path), chromedp.WaitVisible(`#main`)); err != nil {
			t.Fatal(err)
		}
		fits(path)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.ts.URL+"/admin/users/new"),
		chromedp.SendKeys(`input[name=username]`, "A B"),
		chromedp.Submit(`input[name=username]`),
		chromedp.WaitVisible(`input[name=username] + .error`),
	)
	if err != nil {
		t.Fatalf("no error beside the username: %v", err)
	}
	fits("the new-user form with errors")
}

// The statutory clocks of recalls and of objections to test results are the
// office's to set when the rules change, on the same page.
func TestAdminSettingsDomainClocks(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(auth.RoleAdmin)
	field := "lab.objection.food_workdays"
	_, body := adminGet(t, s, admin, "/admin/settings")
	if !strings.Contains(body, `name="`+field+`"`) || !strings.Contains(body, `name="recall.level1.finish_workdays"`) {
		t.Fatalf("the settings page does not offer the recall and objection clocks")
	}
	if resp, body := adminPost(t, s, admin, "/admin/settings", field, "61"); resp.StatusCode != http.StatusUnprocessableEntity ||
		adminFieldError(body, field) != locales.T(locales.ZH, "rule.range", map[string]any{"min": 1, "max": 60}) {
		t.Fatalf("61 working days: status %d, error %q", resp.StatusCode, adminFieldError(body, field))
	}
	if resp, _ := adminPost(t, s, admin, "/admin/settings", field, "10"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d", resp.StatusCode)
	}
	cfg, err := lab.LoadConfig(context.Background(), s.db)
	if err != nil || cfg.FoodWorkdays != 10 || cfg.ProductDays != 15 {
		t.Fatalf("the testing system reads %+v (%v), want 10 working days for food and the product default kept", cfg, err)
	}
}

// An institution account acts for a registered institution of the region,
// chosen from the register; any other is refused beside the field.
func TestAdminInstitutionAccountNamesARegisteredInstitution(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.browser(auth.RoleAdmin)
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	inst, err := lab.CreateInstitution(ctx, s.db, s.users[auth.RoleAdmin], lab.InstitutionInput{Name: "额济纳旗检验检测中心",
		USCC: codes.USCCFromSerial("152923", 7_000_000), ReportPrefix: "EJN", CMANumber: "211512050231", CMAValidFrom: "2024-01-01", CMAValidTo: "2029-12-31",
		Scope: []lab.ScopeEntry{{Category: "发酵乳", Item: "蛋白质", Method: "GB 5009.5-2016"}}})
	if err != nil {
		t.Fatal(err)
	}
	before := adminCount(t, s, `SELECT COUNT(*) FROM users`)
	_, body := adminGet(t, s, admin, "/admin/users/new")
	if !strings.Contains(body, `<option value="`+inst.ID+`">额济纳旗检验检测中心</option>`) {
		t.Fatalf("the new-account form does not offer the registered institution")
	}
	resp, body := adminPost(t, s, admin, "/admin/users", "username", "tester2", "role", "institution",
		"institution_id", "not-an-institution", "password", "initial-pass-1")
	if got, want := adminFieldError(body, "institution"), locales.T(locales.ZH, "rule.lab.institution_unknown", nil); resp.StatusCode != http.StatusUnprocessableEntity || got != want {
		t.Fatalf("unknown institution: status %d, error %q, want %q", resp.StatusCode, got, want)
	}
	if n := adminCount(t, s, `SELECT COUNT(*) FROM users`); n != before {
		t.Fatal("an account was created for an unknown institution")
	}
	if resp, _ := adminPost(t, s, admin, "/admin/users", "username", "tester2", "role", "institution",
		"institution_id", inst.ID, "password", "initial-pass-1"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: status %d", resp.StatusCode)
	}
	if u, err := auth.UserByUsername(ctx, s.db, "tester2"); err != nil || u.InstitutionID != inst.ID {
		t.Fatalf("stored %+v, %v", u, err)
	}
}
