package web

import (
	"net/http"
	"net/url"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
)

// The category hierarchy limits are looked up through: everyone in the
// testing system reads it; the office adds other names and wider groups.

var labCategoryFields = []string{"name", "kind", "target"}

func (s *Server) renderCategories(w http.ResponseWriter, r *http.Request, status int, f *form) {
	ctx := s.labCtx(r)
	links, err := limits.Links(ctx, s.db)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "lab.categories.title", map[string]any{"Links": links, "Max": limits.MaxCategory,
		"CanManage": userFrom(ctx).Can(auth.PermLabManage)})
	v.Form = f
	switch r.URL.Query().Get("done") {
	case "saved":
		v.Flash = v.T("form.saved")
	case "deleted":
		v.Flash = v.T("lab.categories.deleted")
	}
	s.render(w, r, status, "lab_categories", v)
}

func (s *Server) labCategoryList(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["kind"] = limits.LinkBroader
	s.renderCategories(w, r, http.StatusOK, f)
}

func (s *Server) labCategorySave(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, labCategoryFields...)
	_, err := limits.SaveLink(s.labCtx(r), s.db, limits.Link{Name: f.Values["name"], Kind: f.Values["kind"], Target: f.Values["target"]})
	if err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		s.renderCategories(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/lab/categories?done=saved#"+url.QueryEscape(f.Values["name"]), http.StatusSeeOther)
}

func (s *Server) labCategoryDelete(w http.ResponseWriter, r *http.Request) {
	if err := limits.DeleteLink(s.labCtx(r), s.db, r.FormValue("name")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/lab/categories?done=deleted", http.StatusSeeOther)
}
