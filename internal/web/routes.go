package web

import (
	"net/http"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
)

// registerRoutes is the table of every endpoint and the permission it needs.
// The route × role test walks exactly this table.
func (s *Server) registerRoutes() {
	pub, in := auth.PermPublic, auth.PermSignedIn

	s.handle("GET /static/{path...}", pub, s.serveAsset)
	s.handle("GET /healthz", pub, s.healthz)
	s.handle("GET /metrics", pub, s.metrics.handler().ServeHTTP)
	s.handle("GET /api/openapi.json", pub, s.openAPI)

	s.handle("GET /login", pub, s.loginPage)
	s.handle("POST /login", pub, s.loginSubmit)
	s.handle("POST /logout", in, s.logout)
	s.handle("POST /lang", pub, s.setLang)

	s.handle("GET /{$}", in, s.home)
	s.handle("GET /password", in, s.passwordPage)
	s.handle("POST /password", in, s.passwordSubmit)
	s.handle("GET /tokens", in, s.tokensPage)
	s.handle("POST /tokens", in, s.tokenCreate)
	s.handle("POST /tokens/{id}/revoke", in, s.tokenRevoke)
	s.handle("GET /notifications", in, s.notificationsPage)
	s.handle("GET /notifications/bell", in, s.notificationBell)
	s.handle("POST /notifications/{id}/read", in, s.notificationRead)
	s.handle("POST /notifications/read-all", in, s.notificationsReadAll)

	s.handle("GET /admin/audit", auth.PermAuditRead, s.auditPage)

	s.handle("POST /api/v1/tokens", pub, s.apiTokenCreate)
	s.handle("GET /api/v1/me", in, s.apiMe)

	s.registerRegistryRoutes()
	s.registerPlanRoutes()
	s.registerInspectionRoutes()
	s.registerBulletinRoutes()
	s.registerAdminRoutes()
	s.registerDepartmentRoutes()
	s.registerEPCISRoutes()
	s.registerEPCISQueryRoutes()
	s.registerDigitalLinkRoutes()
	s.registerTraceRoutes()
	s.registerRecallRoutes()
	s.registerLedgerRoutes()
	s.registerFilingRoutes()
	s.registerLabAPIRoutes()
	s.registerLabPageRoutes()
}

// navItem is one entry of the role's navigation.
type navItem struct {
	Key    string
	Href   string
	Active bool
}

// nav lists the navigation in order with the permission each entry needs;
// a user sees the entries their role may open.
var nav = []struct {
	key, href string
	perm      auth.Permission
}{
	{"nav.home", "/", auth.PermSignedIn},
	{"nav.tasks", "/tasks", auth.PermPlanRead},
	{"nav.plans", "/plans", auth.PermPlanRead},
	{"nav.inspections", "/inspections", auth.PermPlanRead},
	{"nav.bulletins", "/bulletins", auth.PermPlanRead},
	{"nav.enterprises", "/enterprises", auth.PermRegistryRead},
	{"nav.licences", "/licences", auth.PermRegistryRead},
	{"nav.products", "/products", auth.PermRegistryRead},
	{"nav.trace", "/trace", auth.PermTraceGraph},
	{"nav.recalls", "/recalls", auth.PermTraceRead},
	{"nav.incoming", "/ledger/incoming", auth.PermTraceRead},
	{"nav.sales", "/ledger/sales", auth.PermTraceRead},
	{"nav.filings", "/filings", auth.PermTraceRead},
	{"nav.lab", "/lab", auth.PermLabRead},
	{"nav.users", "/admin/users", auth.PermUserAdmin},
	{"nav.departments", "/admin/departments", auth.PermDepartmentWrite},
	{"nav.calendar", "/admin/calendar", auth.PermCalendarWrite},
	{"nav.settings", "/admin/settings", auth.PermCalendarWrite},
	{"nav.audit", "/admin/audit", auth.PermAuditRead},
}

func navFor(u *auth.User, path string) []navItem {
	var out []navItem
	for _, n := range nav {
		if !u.Can(n.perm) {
			continue
		}
		active := path == n.href || n.href != "/" && strings.HasPrefix(path, n.href)
		out = append(out, navItem{Key: n.key, Href: n.href, Active: active})
	}
	return out
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.db.Ping(r.Context()); err != nil {
		s.log.Error("healthz", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "down"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": string(s.db.Dialect)})
}
