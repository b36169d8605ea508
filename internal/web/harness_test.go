package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/web"
)

const testPassword = "correct-horse-9"

// site is a running server with one account per role.
type site struct {
	t      *testing.T
	db     *store.DB
	srv    *web.Server
	ts     *httptest.Server
	users  map[auth.Role]*auth.User
	tokens map[auth.Role]string
	deptID string
	entID  string
}

// newSite starts the whole HTTP stack on a fresh SQLite database.
func newSite(t *testing.T) *site {
	t.Helper()
	return newSiteOn(t, storetest.SQLite(t))
}

func newSiteOn(t *testing.T, db *store.DB) *site {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	s := &site{t: t, db: db, users: map[auth.Role]*auth.User{}, tokens: map[auth.Role]string{}}
	s.deptID, s.entID = fixtures(t, db)
	for _, role := range auth.Roles {
		nu := auth.NewUser{Username: "u-" + string(role), Name: string(role), Password: testPassword, Role: role, RegionCode: "152923"}
		switch role {
		case auth.RoleAdmin, auth.RoleOfficer, auth.RoleInspector:
			nu.DepartmentID = s.deptID
		case auth.RoleEnterprise:
			nu.EnterpriseID = s.entID
		case auth.RoleInstitution:
			nu.InstitutionID = "inst-1"
		}
		u, err := auth.CreateUser(ctx, db, nu)
		if err != nil {
			t.Fatalf("create %s: %v", role, err)
		}
		s.users[role] = u
		tok, _, err := auth.CreateToken(ctx, db, u.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[role] = tok
	}
	srv, err := web.New(web.Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BlobDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	s.ts = httptest.NewServer(srv)
	t.Cleanup(s.ts.Close)
	return s
}

// fixtures creates the region, one department and one enterprise that the
// accounts belong to.
func fixtures(t *testing.T, db *store.DB) (deptID, entID string) {
	t.Helper()
	ctx := context.Background()
	deptID, entID = store.NewID(), store.NewID()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO regions (code, name, level) VALUES ('150000', '内蒙古自治区', 'province') ON CONFLICT (code) DO NOTHING`, nil},
			{`INSERT INTO regions (code, name, level, parent_code) VALUES ('152900', '阿拉善盟', 'prefecture', '150000') ON CONFLICT (code) DO NOTHING`, nil},
			{`INSERT INTO regions (code, name, level, parent_code) VALUES ('152923', '额济纳旗', 'county', '152900') ON CONFLICT (code) DO NOTHING`, nil},
			{`INSERT INTO departments (id, region_code, name, is_office, created_at, updated_at) VALUES (?, '152923', '市场监督管理局', TRUE, 0, 0)`, []any{deptID}},
			{`INSERT INTO enterprises (id, region_code, uscc, name, created_at, updated_at) VALUES (?, '152923', '91152923MA0N000000', '测试企业', 0, 0)`, []any{entID}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	return deptID, entID
}

// do sends a request as role ("" for anonymous) using its API token.
func (s *site) do(role auth.Role, method, path string, body io.Reader, contentType string) *http.Response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp
}

// browser is a cookie-keeping client signed in through the sign-in form.
func (s *site) browser(role auth.Role) *http.Client {
	s.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if role == "" {
		return c
	}
	resp, err := c.PostForm(s.ts.URL+"/login", url.Values{"username": {"u-" + string(role)}, "password": {testPassword}})
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in as %s: status %d", role, resp.StatusCode)
	}
	return c
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func form(kv ...string) io.Reader {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return strings.NewReader(v.Encode())
}
