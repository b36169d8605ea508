package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/locales"
)

const sessionUserKey = "uid"

// authenticate finds the caller: a Bearer token (API clients) or the session
// cookie (browsers). It also settles the language and attributes any writes
// the request makes to the user in the audit trail.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var u *auth.User
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.problem(w, r, http.StatusUnauthorized, "error.bad_token", nil)
				return
			}
			var err error
			u, err = auth.UserForToken(ctx, s.db, strings.TrimSpace(token))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hallmark", error="invalid_token"`)
				s.problem(w, r, http.StatusUnauthorized, "error.bad_token", nil)
				return
			}
		} else if id := s.sessions.GetString(ctx, sessionUserKey); id != "" {
			found, err := auth.GetUser(ctx, s.db, id)
			if err == nil && !found.Disabled {
				u = found
			} else {
				// The account is gone or disabled: end the session.
				_ = s.sessions.Destroy(ctx)
			}
		}
		if u != nil {
			ctx = context.WithValue(ctx, userKey, u)
			ctx = audit.WithActor(ctx, audit.Actor{ID: u.ID, Name: u.Username})
		}
		ctx = context.WithValue(ctx, langKey, s.chooseLang(r, u))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// chooseLang: the user's setting, then the lang cookie, then the browser's
// Accept-Language, then Chinese.
func (s *Server) chooseLang(r *http.Request, u *auth.User) string {
	if u != nil {
		if l := locales.Normalize(u.Lang); l != "" {
			return l
		}
	}
	if c, err := r.Cookie("lang"); err == nil {
		if l := locales.Normalize(c.Value); l != "" {
			return l
		}
	}
	return locales.Match(r.Header.Get("Accept-Language"))
}

func langFrom(ctx context.Context) string {
	if l, ok := ctx.Value(langKey).(string); ok {
		return l
	}
	return locales.ZH
}

// csp allows no inline script and no inline style: htmx is told not to add
// its indicator styles (see the layout's htmx-config), and charts read their
// options from data attributes.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		level := s.log.Debug
		if sw.status >= 500 {
			level = s.log.Error
		}
		level("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"bytes", sw.bytes, "ms", time.Since(start).Milliseconds())
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "err", fmt.Sprint(v), "path", r.URL.Path, "stack", string(debug.Stack()))
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// clientIP is the remote address without its port. Hallmark does not trust
// X-Forwarded-For: a proxy in front must be configured to pass the address.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
