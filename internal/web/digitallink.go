package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/locales"
)

// GS1 Digital Link resolution (traceability.md §3.4): a scanned code such as
// https://host/01/06901234567892/10/LOT1 opens the lot's public trace page.
// The path is checked as GS1 Digital Link syntax by codes.ParseDigitalLink
// (check digits, AI formats, qualifier order), so every qualifier path the
// standard allows under a GTIN (/22/ CPV, /10/ lot, /21/ serial) is served,
// and a wrong one is refused naming its AI rather than falling to a 404.
func (s *Server) registerDigitalLinkRoutes() {
	pub := auth.PermPublic
	s.handle("GET /01/{gtin}", pub, s.digitalLink)
	s.handle("GET /01/{gtin}/{qualifiers...}", pub, s.digitalLink)
	// Labels are printed by enterprises and officials; .png and .svg give
	// one label, no extension the A4 sheet.
	s.handle("GET /labels/01/{gtin}/10/{lot}", auth.PermTraceRead, s.lotLabels)
}

// GS1 link types (https://ref.gs1.org/voc/linkTypes), written as the full
// URIs that Link headers and linksets use.
const (
	linkTypePIP           = "https://gs1.org/voc/pip"
	linkTypeTraceability  = "https://gs1.org/voc/traceability"
	linkTypeDefault       = "https://gs1.org/voc/defaultLink"
	linkTypeCertification = "https://gs1.org/voc/certificationInfo"
)

// dlTarget is what a Digital Link names, in the forms the page needs.
type dlTarget struct {
	DL     codes.DigitalLink
	ID     string // canonical identifier, as events store it (https://id.gs1.org/…)
	Kind   string // "lot", "serial" or "product"
	GTIN   string // 14 digits
	Lot    string
	Serial string
	CPV    string
}

func targetOf(d codes.DigitalLink) dlTarget {
	t := dlTarget{DL: d, ID: d.Canonical(), Kind: "product", GTIN: d.PrimaryValue}
	for _, q := range d.Qualifiers {
		switch q.AI {
		case "10":
			t.Lot = q.Value
		case "21":
			t.Serial = q.Value
		case "22":
			t.CPV = q.Value
		}
	}
	switch {
	case t.Serial != "":
		t.Kind = "serial"
	case t.Lot != "":
		t.Kind = "lot"
	}
	return t
}

// path is the identifier's Digital Link path, the same on every host.
func (t dlTarget) path() string { return strings.TrimPrefix(t.ID, codes.CanonicalHost) }

// eventsParam is the EPCIS query parameter that finds the events of the
// target: an item is an EPC, a lot or a product a class.
func (t dlTarget) eventsParam() string {
	if t.Kind == "serial" {
		return "MATCH_anyEPC"
	}
	return "MATCH_anyEPCClass"
}

// baseURL is the platform's public address for links and labels: the
// configured one, or else the address the request came to (https when the
// connection or the deployment, by its secure cookies, says so).
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil || s.cfg.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// CheckPublicURL checks a public address and returns it without a trailing
// slash: an http or https URL of a host and nothing else, because every
// route is served from the root. "" stays "" (no public address set).
func CheckPublicURL(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("public URL %q: want http(s)://host[:port], nothing after the host", v)
	}
	return u.Scheme + "://" + u.Host, nil
}

// parseDigitalLink checks the request path as a Digital Link.
func parseDigitalLink(r *http.Request, prefix string) (codes.DigitalLink, error) {
	p := strings.TrimPrefix(r.URL.EscapedPath(), prefix)
	uri := "https://resolver.invalid" + p
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	return codes.ParseDigitalLink(uri)
}

func (s *Server) digitalLink(w http.ResponseWriter, r *http.Request) {
	d, err := parseDigitalLink(r, "")
	if err != nil {
		s.badDigitalLink(w, r, err)
		return
	}
	t := targetOf(d)
	base := s.baseURL(r)
	links := s.dlLinks(r, base, t)
	switch lt := r.URL.Query().Get("linkType"); lt {
	case "all", "linkset":
		s.writeLinkset(w, r, base, t, links)
		return
	case "gs1:traceability", linkTypeTraceability:
		http.Redirect(w, r, links.events, http.StatusTemporaryRedirect)
		return
	}
	facts, err := s.publicFacts(r.Context(), t, langFrom(r.Context()))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	facts.Link = base + t.path()
	h := w.Header()
	h.Add("Vary", "Accept")
	h.Add("Link", `<`+links.page+`>; rel="`+linkTypePIP+`"; type="text/html"; hreflang="zh-CN"`)
	h.Add("Link", `<`+links.events+`>; rel="`+linkTypeTraceability+`"; type="application/ld+json"`)
	h.Add("Link", `<`+links.linkset+`>; rel="linkset"; type="application/linkset+json"`)
	h.Add("Link", `<`+t.ID+`>; rel="http://www.w3.org/2002/07/owl#sameAs"`)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, facts)
		return
	}
	v := s.newView(r, "lotpage.title", facts)
	s.render(w, r, http.StatusOK, "public_lot", v)
}

// dlLinks are the resources a Digital Link resolves to.
type dlLinkSet struct {
	page, events, linkset string
}

func (s *Server) dlLinks(r *http.Request, base string, t dlTarget) dlLinkSet {
	return dlLinkSet{
		page:    base + t.path(),
		events:  base + "/epcis/events?" + url.Values{t.eventsParam(): {t.ID}}.Encode(),
		linkset: base + t.path() + "?linkType=all",
	}
}

// writeLinkset answers ?linkType=all with the links of the identifier as
// an RFC 9264 linkset, the form the GS1-Conformant resolver standard uses:
// one context object anchored at the identifier, each link type a list of
// targets.
func (s *Server) writeLinkset(w http.ResponseWriter, r *http.Request, base string, t dlTarget, l dlLinkSet) {
	page := []map[string]any{{"href": l.page, "title": "Public trace page", "type": "text/html", "hreflang": []string{"zh-CN", "en"}}}
	ctx := map[string]any{
		"anchor":             t.ID,
		linkTypeDefault:      page,
		linkTypePIP:          page,
		linkTypeTraceability: []map[string]any{{"href": l.events, "title": "EPCIS events", "type": "application/ld+json"}},
	}
	reports, err := s.publicTestReports(r.Context(), t, "en")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if len(reports) > 0 {
		var certs []map[string]any
		for _, rp := range reports {
			certs = append(certs, map[string]any{"href": base + rp.Href, "title": rp.Title})
		}
		ctx[linkTypeCertification] = certs
	}
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Link", `<`+l.linkset+`>; rel="linkset"; type="application/linkset+json"`)
	w.Header().Set("Content-Type", "application/linkset+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{"linkset": []any{ctx}})
}

// badDigitalLink refuses a malformed link with 400, naming the AI at fault
// and the rule it breaks in the visitor's language: a problem document for
// JSON clients, an error page for people.
func (s *Server) badDigitalLink(w http.ResponseWriter, r *http.Request, err error) {
	ai, rule := "", codes.ErrDLSyntax.Error()
	var de *codes.DLError
	if errors.As(err, &de) {
		ai, rule = de.AI, de.Rule.Error()
	} else {
		s.log.Warn("digital link", "path", r.URL.Path, "err", err)
	}
	if wantsJSON(r) {
		field := "uri"
		if ai != "" {
			field = ai
		}
		s.problem(w, r, http.StatusBadRequest, "lotpage.bad_link", fielderr.List{{Field: field, Rule: rule}})
		return
	}
	lang := langFrom(r.Context())
	msg := locales.T(lang, rule, nil)
	if ai != "" {
		msg = locales.T(lang, "lotpage.bad_ai", map[string]any{"ai": ai, "name": aiName(lang, ai), "rule": msg})
	}
	v := s.newView(r, "lotpage.bad_link", nil)
	v.Data = map[string]any{"Status": http.StatusBadRequest, "Message": msg}
	s.render(w, r, http.StatusBadRequest, "error", v)
}

// aiName is the name of the AIs a visitor meets on these paths.
func aiName(lang, ai string) string {
	key := "lotpage.ai." + ai
	if locales.Has(key) {
		return locales.T(lang, key, nil)
	}
	return locales.T(lang, "lotpage.ai.other", nil)
}
