package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
	"github.com/hallmark-platform/hallmark/internal/workday"
	"github.com/hallmark-platform/hallmark/locales"
)

// pages holds one parsed template set per page: the layout plus the page.
type pages struct {
	byName map[string]*template.Template
}

// shanghai is the zone every date is shown in.
var shanghai = workday.Shanghai

func loadPages(s *Server) (*pages, error) {
	funcs := template.FuncMap{
		"asset": s.assets.path,
		"date": func(ms int64) string {
			if ms == 0 {
				return ""
			}
			return time.UnixMilli(ms).In(shanghai).Format("2006-01-02")
		},
		"datetime": func(ms int64) string {
			if ms == 0 {
				return ""
			}
			return time.UnixMilli(ms).In(shanghai).Format("2006-01-02 15:04")
		},
		// stamp shows an RFC 3339 time (as the API gives it) in the
		// county's zone.
		"stamp": func(s string) string {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return s
			}
			return t.In(shanghai).Format("2006-01-02 15:04")
		},
		// uom names a unit code (KGM, H87…) in the page's language.
		"uom": ledger.UnitLabel,
		"add": func(a, b int) int { return a + b },
		// splitParas turns a narrative's lines into paragraphs.
		"splitParas": func(s string) []string {
			var out []string
			for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out
		},
		// paramsOf widens stored string parameters for message
		// interpolation in lang; a unit code ("uom") is given by its name.
		"paramsOf": func(m map[string]string, lang string) map[string]any {
			out := make(map[string]any, len(m))
			for k, v := range m {
				out[k] = v
			}
			if u, ok := m["uom"]; ok {
				out["uom"] = ledger.UnitLabel(u, lang)
			}
			return out
		},
		// industry names a GB/T 4754 section in the page's language.
		"industry": func(code, lang string) string {
			if i, ok := registry.IndustryByCode(code); ok {
				return i.Code + " " + i.DisplayName(lang)
			}
			return code
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		short := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if strings.HasPrefix(short, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, err
		}
		p.byName[short] = t
	}
	return p, nil
}

// view is what every page template receives.
type view struct {
	Lang    string
	User    *auth.User
	Title   string
	Path    string
	Query   string
	Nav     []navItem
	Unread  int
	Demo    bool
	Flash   string
	Form    *form
	Data    any
	Langs   []string
	Partial bool
	// Charts loads Apache ECharts for pages that draw charts.
	Charts bool
}

// T translates a key for the page's language; extra arguments are name,
// value pairs for the message's placeholders.
func (v *view) T(key string, kv ...any) string {
	var params map[string]any
	if len(kv) > 1 {
		params = map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			params[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return locales.T(v.Lang, key, params)
}

// Tm translates a key with a map of parameters, as domain errors carry them.
func (v *view) Tm(key string, params map[string]any) string { return locales.T(v.Lang, key, params) }

// Can reports whether the viewer holds a permission, for showing buttons.
func (v *view) Can(perm string) bool { return v.User.Can(auth.Permission(perm)) }

// form is a submitted form: its values, to show them again, and the error
// message for each bad field, shown beside the field.
type form struct {
	Values map[string]string
	Errors map[string]string
	// Summary is a message for the whole form (not tied to a field).
	Summary string
}

func newForm() *form { return &form{Values: map[string]string{}, Errors: map[string]string{}} }

func (f *form) Value(name string) string {
	if f == nil {
		return ""
	}
	return f.Values[name]
}

func (f *form) Error(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

func (f *form) HasErrors() bool { return f != nil && (len(f.Errors) > 0 || f.Summary != "") }

// formFrom copies the named fields of a request's form.
func formFrom(r *http.Request, names ...string) *form {
	f := newForm()
	for _, n := range names {
		f.Values[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return f
}

// setErrors translates a domain error into messages beside the fields.
// It reports whether err was a field error.
func (f *form) setErrors(lang string, err error) bool {
	list, ok := fielderr.As(err)
	if !ok {
		return false
	}
	for _, e := range list {
		if _, dup := f.Errors[e.Field]; !dup {
			f.Errors[e.Field] = locales.T(lang, e.Rule, e.Params)
		}
	}
	return true
}

// t translates a key in the request's language.
func (s *Server) t(r *http.Request, key string, kv ...any) string {
	v := &view{Lang: langFrom(r.Context())}
	return v.T(key, kv...)
}

func (s *Server) newView(r *http.Request, titleKey string, data any) *view {
	lang := langFrom(r.Context())
	u := userFrom(r.Context())
	v := &view{Lang: lang, User: u, Path: r.URL.Path, Query: r.URL.RawQuery, Demo: s.cfg.Demo,
		Data: data, Langs: locales.Supported, Partial: r.Header.Get("HX-Request") == "true"}
	v.Title = v.T(titleKey)
	if u != nil {
		v.Nav = navFor(u, r.URL.Path)
		v.Unread = s.unreadCount(r, u)
	}
	return v
}

// render writes a page. An htmx request that targets the main area gets the
// page's content block alone.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	t, ok := s.pages.byName[page]
	if !ok {
		panic("web: no template " + page)
	}
	name := "layout"
	if v.Partial && r.Header.Get("HX-Target") != "" && t.Lookup("fragment") != nil {
		name = "fragment"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		s.log.Error("render", "page", page, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Add("Vary", "HX-Request")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderChecked renders a page whose form may carry errors: 422 when it
// does, so that a refused filter or form is not mistaken for a success.
func (s *Server) renderChecked(w http.ResponseWriter, r *http.Request, page string, v *view) {
	status := http.StatusOK
	if v.Form.HasErrors() {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, page, v)
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	v := s.newView(r, key, nil)
	v.Data = map[string]any{"Status": status, "Message": v.T(key)}
	s.render(w, r, status, "error", v)
}

// loginRequired answers an anonymous visitor of a private page with the
// sign-in form and status 401, remembering where they wanted to go.
func (s *Server) loginRequired(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", "/login")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	next := ""
	if r.Method == http.MethodGet {
		next = r.URL.RequestURI()
	}
	s.renderLogin(w, r, http.StatusUnauthorized, newForm(), next)
}

// problemField is one entry of a problem's errors list.
type problemField struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

type problemDoc struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Errors []problemField `json:"errors,omitempty"`
}

// problem writes an RFC 9457 problem document in the caller's language.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, key string, fields fielderr.List) {
	lang := langFrom(r.Context())
	doc := problemDoc{Type: "about:blank", Title: locales.T(lang, key, nil), Status: status}
	if len(fields) > 0 {
		doc.Type = "urn:hallmark:problem:validation"
		for _, f := range fields {
			doc.Errors = append(doc.Errors, problemField{Field: f.Field, Rule: f.Rule, Message: locales.T(lang, f.Rule, f.Params)})
		}
		doc.Detail = doc.Errors[0].Field + ": " + doc.Errors[0].Message
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}

// apiError maps a domain error to its problem: field errors are 422,
// not-found 404, forbidden 403, anything else 500 (logged, not shown).
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	if list, ok := fielderr.As(err); ok {
		s.problem(w, r, http.StatusUnprocessableEntity, "error.validation", list)
		return
	}
	switch {
	case errors.Is(err, fielderr.ErrNotFound):
		s.problem(w, r, http.StatusNotFound, "error.not_found", nil)
	case errors.Is(err, fielderr.ErrForbidden):
		s.problem(w, r, http.StatusForbidden, "error.forbidden", nil)
	default:
		s.log.Error("api", "path", r.URL.Path, "err", err)
		s.problem(w, r, http.StatusInternalServerError, "error.internal", nil)
	}
}

// pageError is apiError's twin for pages that are not forms.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, fielderr.ErrNotFound):
		s.errorPage(w, r, http.StatusNotFound, "error.not_found")
	case errors.Is(err, fielderr.ErrForbidden):
		s.errorPage(w, r, http.StatusForbidden, "error.forbidden")
	default:
		s.log.Error("page", "path", r.URL.Path, "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "error.internal")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON body of at most 1 MiB into v, refusing unknown
// fields so that a typo in a field name is an error rather than ignored.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		field := "body"
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			field = ute.Field
		} else if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field = strings.Trim(name, `"`)
			s.problem(w, r, http.StatusBadRequest, "error.bad_json", fielderr.List{{Field: field, Rule: "rule.unknown_field"}})
			return false
		}
		s.problem(w, r, http.StatusBadRequest, "error.bad_json", fielderr.List{{Field: field, Rule: "rule.json"}})
		return false
	}
	return true
}
