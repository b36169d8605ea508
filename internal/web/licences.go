package web

import (
	"net/http"

	"github.com/hallmark-platform/hallmark/internal/registry"
)

var licenceFields = []string{"kind", "number", "scope", "issuer", "valid_from", "valid_to"}

func licenceFilter(r *http.Request, pg page) registry.LicenceFilter {
	q := r.URL.Query()
	return registry.LicenceFilter{EnterpriseID: q.Get("enterprise"), Kind: q.Get("kind"), State: q.Get("state"),
		Q: q.Get("q"), Limit: pg.Limit, Offset: pg.Offset}
}

func (s *Server) licenceList(w http.ResponseWriter, r *http.Request) {
	pg := pageOf(r, 20)
	list, total, err := registry.ListLicences(r.Context(), s.db, userFrom(r.Context()), licenceFilter(r, pg))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg.Total = total
	v := s.newView(r, "licences.title", map[string]any{"Items": list, "Page": pg, "Filter": r.URL.Query(),
		"Kinds": registry.LicenceKinds, "States": registry.LicenceStates, "ExportQuery": r.URL.Query().Encode()})
	s.render(w, r, http.StatusOK, "licences", v)
}

func (s *Server) licenceExport(w http.ResponseWriter, r *http.Request) {
	f := licenceFilter(r, page{})
	s.sendXLSX(w, r, "licences", func(w http.ResponseWriter) error {
		return registry.ExportLicences(r.Context(), s.db, userFrom(r.Context()), f, w, langFrom(r.Context()))
	})
}

func (s *Server) renderLicenceForm(w http.ResponseWriter, r *http.Request, status int, f *form, e *registry.Enterprise, l *registry.Licence) {
	title := "licences.new"
	if l != nil {
		title = "licences.edit"
	}
	v := s.newView(r, title, map[string]any{"Enterprise": e, "Licence": l, "Kinds": registry.LicenceKinds})
	v.Form = f
	s.render(w, r, status, "licence_form", v)
}

func (s *Server) licenceNew(w http.ResponseWriter, r *http.Request) {
	e, err := registry.GetEnterprise(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm()
	f.Values["kind"] = registry.KindSC
	s.renderLicenceForm(w, r, http.StatusOK, f, e, nil)
}

func (s *Server) licenceCreate(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	e, err := registry.GetEnterprise(r.Context(), s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := formFrom(r, licenceFields...)
	l, err := registry.CreateLicence(r.Context(), s.db, u, registry.LicenceInput{EnterpriseID: e.ID,
		Kind: f.Values["kind"], Number: f.Values["number"], Scope: f.Values["scope"], Issuer: f.Values["issuer"],
		ValidFrom: f.Values["valid_from"], ValidTo: f.Values["valid_to"]})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderLicenceForm(w, r, http.StatusUnprocessableEntity, f, e, nil)
		return
	}
	http.Redirect(w, r, "/licences/"+l.ID+"?saved=1", http.StatusSeeOther)
}

func (s *Server) licenceShow(w http.ResponseWriter, r *http.Request) {
	l, err := registry.GetLicence(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "licences.title", map[string]any{"L": l})
	v.Title = l.Number
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, http.StatusOK, "licence", v)
}

func (s *Server) licenceEdit(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	l, err := registry.GetLicence(r.Context(), s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	e, err := registry.GetEnterprise(r.Context(), s.db, u, l.EnterpriseID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm()
	f.Values = map[string]string{"kind": l.Kind, "number": l.Number, "scope": l.Scope, "issuer": l.Issuer,
		"valid_from": l.ValidFrom, "valid_to": l.ValidTo}
	s.renderLicenceForm(w, r, http.StatusOK, f, e, l)
}

func (s *Server) licenceUpdate(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	id := r.PathValue("id")
	l, err := registry.GetLicence(r.Context(), s.db, u, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := formFrom(r, licenceFields...)
	p := registry.LicencePatch{Kind: ptr(f.Values["kind"]), Number: ptr(f.Values["number"]), Scope: ptr(f.Values["scope"]),
		Issuer: ptr(f.Values["issuer"]), ValidFrom: ptr(f.Values["valid_from"]), ValidTo: ptr(f.Values["valid_to"])}
	if _, err := registry.UpdateLicence(r.Context(), s.db, u, id, p); err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		e, gerr := registry.GetEnterprise(r.Context(), s.db, u, l.EnterpriseID)
		if gerr != nil {
			s.pageError(w, r, gerr)
			return
		}
		s.renderLicenceForm(w, r, http.StatusUnprocessableEntity, f, e, l)
		return
	}
	http.Redirect(w, r, "/licences/"+id+"?saved=1", http.StatusSeeOther)
}

func ptr[T any](v T) *T { return &v }
