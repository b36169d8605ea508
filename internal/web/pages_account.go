package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/locales"
)

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if userFrom(r.Context()) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, newForm(), r.URL.Query().Get("next"))
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, f *form, next string) {
	v := s.newView(r, "login.title", map[string]any{
		"Next": safeNext(next), "DemoUsers": s.cfg.DemoAccounts, "DemoPassword": s.cfg.DemoPassword,
	})
	v.Form = f
	s.render(w, r, status, "login", v)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "username", "password")
	lang := langFrom(r.Context())
	next := r.PostFormValue("next")
	if f.Values["username"] == "" {
		f.Errors["username"] = locales.T(lang, "rule.required", nil)
	}
	if r.PostFormValue("password") == "" {
		f.Errors["password"] = locales.T(lang, "rule.required", nil)
	}
	if f.HasErrors() {
		s.renderLogin(w, r, http.StatusUnprocessableEntity, f, next)
		return
	}
	u, err := auth.Authenticate(r.Context(), s.db, f.Values["username"], r.PostFormValue("password"), clientIP(r))
	if err != nil {
		var throttled *auth.ThrottledError
		switch {
		case errors.As(err, &throttled):
			minutes := int(throttled.RetryAfter.Round(time.Minute) / time.Minute)
			f.Summary = locales.T(lang, "login.throttled", map[string]any{"minutes": max(1, minutes)})
			w.Header().Set("Retry-After", throttled.RetryAfterSeconds())
			s.renderLogin(w, r, http.StatusTooManyRequests, f, next)
		case errors.Is(err, auth.ErrBadCredentials):
			f.Summary = locales.T(lang, "login.bad_credentials", nil)
			s.renderLogin(w, r, http.StatusUnauthorized, f, next)
		default:
			s.pageError(w, r, err)
		}
		return
	}
	// A new token on sign-in defeats session fixation.
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), sessionUserKey, u.ID)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.sessions.Destroy(r.Context()); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// setLang stores the chosen language: on the account when signed in, in a
// cookie otherwise.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	lang := locales.Normalize(r.PostFormValue("lang"))
	if lang == "" {
		s.problem(w, r, http.StatusUnprocessableEntity, "error.validation", fielderr.List{{Field: "lang", Rule: "rule.lang"}})
		return
	}
	if u := userFrom(r.Context()); u != nil {
		if err := auth.SetLang(r.Context(), s.db, u.ID, lang); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
	back := "/"
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		back = safeNext(ref.RequestURI())
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "password.title", nil)
	v.Form = newForm()
	s.render(w, r, http.StatusOK, "password", v)
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	lang := langFrom(r.Context())
	f := newForm()
	old, pw, again := r.PostFormValue("old"), r.PostFormValue("new"), r.PostFormValue("confirm")
	if pw != again {
		f.Errors["confirm"] = locales.T(lang, "rule.password.mismatch", nil)
	}
	if !f.HasErrors() {
		err := auth.SetPassword(r.Context(), s.db, u.ID, old, pw)
		if err != nil && !f.setErrors(lang, err) {
			s.pageError(w, r, err)
			return
		}
	}
	v := s.newView(r, "password.title", nil)
	v.Form = f
	if f.HasErrors() {
		s.render(w, r, http.StatusUnprocessableEntity, "password", v)
		return
	}
	// Other browsers signed in with the old password keep their sessions
	// until they expire; this one gets a fresh token.
	_ = s.sessions.RenewToken(r.Context())
	v.Flash = v.T("password.changed")
	s.render(w, r, http.StatusOK, "password", v)
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) {
	s.renderTokens(w, r, http.StatusOK, newForm(), "")
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, status int, f *form, created string) {
	u := userFrom(r.Context())
	tokens, err := auth.ListTokens(r.Context(), s.db, u.ID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "tokens.title", map[string]any{"Tokens": tokens, "Created": created})
	v.Form = f
	s.render(w, r, status, "tokens", v)
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	f := formFrom(r, "name")
	plain, _, err := auth.CreateToken(r.Context(), s.db, u.ID, f.Values["name"])
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderTokens(w, r, http.StatusUnprocessableEntity, f, "")
		return
	}
	s.renderTokens(w, r, http.StatusCreated, newForm(), plain)
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if err := auth.RevokeToken(r.Context(), s.db, u.ID, r.PathValue("id")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
}

// apiTokenCreate exchanges a username and password for an API token; it is
// throttled like the sign-in page.
func (s *Server) apiTokenCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	var missing fielderr.List
	if strings.TrimSpace(in.Username) == "" {
		missing.Add("username", "rule.required")
	}
	if in.Password == "" {
		missing.Add("password", "rule.required")
	}
	if len(missing) > 0 {
		s.problem(w, r, http.StatusUnprocessableEntity, "error.validation", missing)
		return
	}
	u, err := auth.Authenticate(r.Context(), s.db, in.Username, in.Password, clientIP(r))
	if err != nil {
		var throttled *auth.ThrottledError
		switch {
		case errors.As(err, &throttled):
			w.Header().Set("Retry-After", throttled.RetryAfterSeconds())
			s.problem(w, r, http.StatusTooManyRequests, "error.throttled", nil)
		case errors.Is(err, auth.ErrBadCredentials):
			s.problem(w, r, http.StatusUnauthorized, "login.bad_credentials", nil)
		default:
			s.apiError(w, r, err)
		}
		return
	}
	name := in.Name
	if name == "" {
		name = "api " + time.Now().In(shanghai).Format("2006-01-02 15:04")
	}
	plain, tok, err := auth.CreateToken(r.Context(), s.db, u.ID, name)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": plain, "id": tok.ID, "name": tok.Name})
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{
		"id": u.ID, "username": u.Username, "name": u.Name, "role": u.Role, "region_code": u.RegionCode,
		"department_id": u.DepartmentID, "enterprise_id": u.EnterpriseID, "institution_id": u.InstitutionID,
		"lang": langFrom(r.Context()),
	})
}
