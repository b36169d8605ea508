package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/locales"
)

var pathParam = regexp.MustCompile(`\{([a-zA-Z_]+)(\.\.\.)?\}`)

// TestRouteRoleMatrix walks every registered route as the anonymous and as
// each role: the anonymous get 401 on private routes, a role without the
// route's permission gets 403, a role with it gets neither. Every page it
// renders must have all its messages in the catalog.
func TestRouteRoleMatrix(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	routes := s.srv.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	roles := append([]auth.Role{""}, auth.Roles...)
	for _, rt := range routes {
		if rt.Perm == "" || !auth.Known(rt.Perm) {
			t.Errorf("%s %s declares no known permission", rt.Method, rt.Pattern)
			continue
		}
		path := concrete(rt.Pattern)
		for _, role := range roles {
			if rt.Method == http.MethodPost && (rt.Pattern == "/logout") {
				continue // would end the token's session for the next rows; covered in its own test
			}
			resp := s.do(role, rt.Method, path, strings.NewReader(""), "application/x-www-form-urlencoded")
			body := readBody(t, resp)
			allowed := role.Valid() && auth.RoleHas(role, rt.Perm) || rt.Perm == auth.PermPublic
			name := string(role)
			if name == "" {
				name = "anonymous"
			}
			switch {
			case role == "" && !allowed:
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s %s as %s: status %d, want 401", rt.Method, path, name, resp.StatusCode)
				}
			case !allowed:
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s %s as %s: status %d, want 403", rt.Method, path, name, resp.StatusCode)
				}
			default:
				if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
					t.Errorf("%s %s as %s: status %d, want access", rt.Method, path, name, resp.StatusCode)
				}
			}
			if strings.Contains(body, locales.Missing) {
				i := strings.Index(body, locales.Missing)
				t.Errorf("%s %s as %s: a message is missing from the catalog: %s", rt.Method, path, name, body[i:min(len(body), i+60)])
			}
		}
	}
}

// concrete fills a route pattern's wildcards with values that reach the
// handler (a missing entity is fine: the permission check comes first).
func concrete(pattern string) string {
	p := strings.TrimSuffix(pattern, "{$}")
	return pathParam.ReplaceAllStringFunc(p, func(m string) string {
		switch {
		case strings.Contains(m, "..."):
			return "css/app.css"
		case strings.Contains(m, "day"):
			return "2026-10-01"
		default:
			return "00000000-0000-7000-8000-000000000000"
		}
	})
}

func TestUndeclaredPermissionCannotRegister(t *testing.T) {
	t.Parallel()
	if auth.Known("nonsense") {
		t.Fatal("an undeclared permission is known")
	}
}
