package web

import (
	"net/http"

	"github.com/hallmark-platform/hallmark/internal/registry"
)

var productFields = []string{"name", "gtin", "category", "key_commodity"}

func productFilter(r *http.Request, pg page) registry.ProductFilter {
	q := r.URL.Query()
	f := registry.ProductFilter{EnterpriseID: q.Get("enterprise"), Q: q.Get("q"), Category: q.Get("category"),
		Limit: pg.Limit, Offset: pg.Offset}
	switch q.Get("key_commodity") {
	case "1", "true":
		f.KeyCommodity = ptr(true)
	case "0", "false":
		f.KeyCommodity = ptr(false)
	}
	return f
}

func (s *Server) productList(w http.ResponseWriter, r *http.Request) {
	pg := pageOf(r, 20)
	list, total, err := registry.ListProducts(r.Context(), s.db, userFrom(r.Context()), productFilter(r, pg))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg.Total = total
	v := s.newView(r, "products.title", map[string]any{"Items": list, "Page": pg, "Filter": r.URL.Query(),
		"ExportQuery": r.URL.Query().Encode()})
	s.render(w, r, http.StatusOK, "products", v)
}

func (s *Server) productExport(w http.ResponseWriter, r *http.Request) {
	f := productFilter(r, page{})
	s.sendXLSX(w, r, "products", func(w http.ResponseWriter) error {
		return registry.ExportProducts(r.Context(), s.db, userFrom(r.Context()), f, w, langFrom(r.Context()))
	})
}

func (s *Server) renderProductForm(w http.ResponseWriter, r *http.Request, status int, f *form, e *registry.Enterprise, p *registry.Product) {
	title := "products.new"
	if p != nil {
		title = "products.edit"
	}
	v := s.newView(r, title, map[string]any{"Enterprise": e, "Product": p})
	v.Form = f
	s.render(w, r, status, "product_form", v)
}

func (s *Server) productNew(w http.ResponseWriter, r *http.Request) {
	e, err := registry.GetEnterprise(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderProductForm(w, r, http.StatusOK, newForm(), e, nil)
}

func (s *Server) productCreate(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	e, err := registry.GetEnterprise(r.Context(), s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := formFrom(r, productFields...)
	p, err := registry.CreateProduct(r.Context(), s.db, u, registry.ProductInput{EnterpriseID: e.ID,
		Name: f.Values["name"], GTIN: f.Values["gtin"], Category: f.Values["category"], KeyCommodity: f.Values["key_commodity"] == "1"})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderProductForm(w, r, http.StatusUnprocessableEntity, f, e, nil)
		return
	}
	http.Redirect(w, r, "/products/"+p.ID+"?saved=1", http.StatusSeeOther)
}

func (s *Server) productShow(w http.ResponseWriter, r *http.Request) {
	p, err := registry.GetProduct(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "products.title", map[string]any{"P": p})
	v.Title = p.Name
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, http.StatusOK, "product", v)
}

func (s *Server) productEdit(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	p, err := registry.GetProduct(r.Context(), s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	e, err := registry.GetEnterprise(r.Context(), s.db, u, p.EnterpriseID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm()
	f.Values = map[string]string{"name": p.Name, "gtin": p.GTIN, "category": p.Category}
	if p.KeyCommodity {
		f.Values["key_commodity"] = "1"
	}
	s.renderProductForm(w, r, http.StatusOK, f, e, p)
}

func (s *Server) productUpdate(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	id := r.PathValue("id")
	p, err := registry.GetProduct(r.Context(), s.db, u, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := formFrom(r, productFields...)
	patch := registry.ProductPatch{Name: ptr(f.Values["name"]), GTIN: ptr(f.Values["gtin"]),
		Category: ptr(f.Values["category"]), KeyCommodity: ptr(f.Values["key_commodity"] == "1")}
	if _, err := registry.UpdateProduct(r.Context(), s.db, u, id, patch); err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		e, gerr := registry.GetEnterprise(r.Context(), s.db, u, p.EnterpriseID)
		if gerr != nil {
			s.pageError(w, r, gerr)
			return
		}
		s.renderProductForm(w, r, http.StatusUnprocessableEntity, f, e, p)
		return
	}
	http.Redirect(w, r, "/products/"+id+"?saved=1", http.StatusSeeOther)
}
