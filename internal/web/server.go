// Package web is Hallmark's HTTP face: HTML pages (html/template + htmx), the
// JSON API under /api/v1/, the health and metrics endpoints. Every route is
// registered with the permission it needs; the permission check runs before
// the handler, so a route cannot forget it.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/subscribe"
)

// Config is what the server needs from its caller.
type Config struct {
	DB     *store.DB
	Logger *slog.Logger
	// Demo marks a demo instance: the sign-in page lists DemoAccounts and
	// their DemoPassword.
	Demo         bool
	DemoAccounts []string
	DemoPassword string
	// SecureCookies sets the Secure flag on cookies (behind TLS).
	SecureCookies bool
	// PublicURL is the address the public reaches the platform at (scheme
	// and host, e.g. https://trace.example.gov.cn), written into QR labels,
	// report verification links and Digital Link answers. Without it they
	// use the address each request came to.
	PublicURL string
	// Now returns the current time; tests may fix it.
	Now func() time.Time
	// BlobDir is the folder of evidence files (blob.DirFor of the database
	// by default).
	BlobDir string
}

// Route is one registered endpoint.
type Route struct {
	Method  string
	Pattern string // as given to http.ServeMux, without the method
	Perm    auth.Permission
	API     bool // answers JSON / problem+json rather than pages
}

// Server serves Hallmark over HTTP.
type Server struct {
	cfg      Config
	db       *store.DB
	log      *slog.Logger
	sessions *scs.SessionManager
	mux      *http.ServeMux
	routes   []Route
	metrics  *metrics
	handler  http.Handler
	assets   *assets
	pages    *pages
	blobs    *blob.Store

	// WebSocket subscriptions (epcis_live.go).
	live      *subscribe.Deliverer
	liveCount atomic.Int64
	liveCtx   context.Context
	liveStop  context.CancelFunc
	liveMu    sync.Mutex // orders liveWG.Add before Close's Wait
	liveWG    sync.WaitGroup
}

// New builds the server and registers every route.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var err error
	if cfg.PublicURL, err = CheckPublicURL(cfg.PublicURL); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, db: cfg.DB, log: cfg.Logger, mux: http.NewServeMux()}
	if cfg.BlobDir == "" {
		cfg.BlobDir = blob.DirFor(cfg.DB.DSN())
		s.cfg.BlobDir = cfg.BlobDir
	}
	if s.blobs, err = blob.Open(cfg.BlobDir); err != nil {
		return nil, err
	}
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = loadPages(s); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(cfg.DB)
	s.live = subscribe.NewDeliverer(cfg.DB, nil)
	s.liveCtx, s.liveStop = context.WithCancel(context.Background())
	s.sessions = scs.New()
	s.sessions.Store = auth.NewSessionStore(cfg.DB)
	s.sessions.Lifetime = 12 * time.Hour
	s.sessions.IdleTimeout = 2 * time.Hour
	s.sessions.Cookie.Name = "hallmark_session"
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = cfg.SecureCookies
	s.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.log.Error("session", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	}

	s.registerRoutes()
	s.mux.Handle("/", s.metrics.instrument("unmatched", http.HandlerFunc(s.notFound)))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, http.StatusForbidden, "error.cross_origin", nil)
	}))
	var h http.Handler = s.mux
	h = s.authenticate(h)
	h = s.sessions.LoadAndSave(h)
	h = cop.Handler(h)
	h = securityHeaders(h)
	h = s.recoverer(h)
	h = s.logRequests(h)
	s.handler = h
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists every registered route, sorted, for the route × role test and
// the OpenAPI document.
func (s *Server) Routes() []Route {
	out := append([]Route(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// handle registers h for "METHOD /pattern", guarded by perm. A route without
// a known permission is a programming error and stops the server from
// starting.
func (s *Server) handle(methodPattern string, perm auth.Permission, h http.HandlerFunc) {
	method, pattern, ok := strings.Cut(methodPattern, " ")
	if !ok {
		panic("web: route without a method: " + methodPattern)
	}
	if !auth.Known(perm) {
		panic("web: route " + methodPattern + " declares no known permission")
	}
	api := strings.HasPrefix(pattern, "/api/") || strings.HasPrefix(pattern, "/epcis/")
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Perm: perm, API: api})
	label := method + " " + pattern
	s.mux.Handle(methodPattern, s.metrics.instrument(label, s.guard(perm, api, h)))
}

// guard enforces the route's permission: 401 for the anonymous on a private
// route, 403 for a signed-in user whose role lacks it.
func (s *Server) guard(perm auth.Permission, api bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if perm == auth.PermPublic {
			h(w, r)
			return
		}
		u := userFrom(r.Context())
		if u == nil {
			if api || wantsJSON(r) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hallmark"`)
				s.problem(w, r, http.StatusUnauthorized, "error.unauthorized", nil)
				return
			}
			s.loginRequired(w, r)
			return
		}
		if !u.Can(perm) {
			if api || wantsJSON(r) {
				s.problem(w, r, http.StatusForbidden, "error.forbidden", nil)
				return
			}
			s.errorPage(w, r, http.StatusForbidden, "error.forbidden")
			return
		}
		h(w, r)
	}
}

func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/epcis/") ||
		strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) {
		s.problem(w, r, http.StatusNotFound, "error.not_found", nil)
		return
	}
	s.errorPage(w, r, http.StatusNotFound, "error.not_found")
}

type ctxKey int

const (
	userKey ctxKey = iota
	langKey
)

func userFrom(ctx context.Context) *auth.User {
	u, _ := ctx.Value(userKey).(*auth.User)
	return u
}
