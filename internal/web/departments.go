package web

import (
	"net/http"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
)

// The office keeps the list of the leading group's member departments: the
// units tasks are assigned to and users belong to.

func (s *Server) registerDepartmentRoutes() {
	p := auth.PermDepartmentWrite
	s.handle("GET /admin/departments", p, s.departmentList)
	s.handle("POST /admin/departments", p, s.departmentCreate)
	s.handle("GET /admin/departments/{id}", p, s.departmentEdit)
	s.handle("POST /admin/departments/{id}", p, s.departmentUpdate)
}

var departmentFields = []string{"name", "short_name", "name_en"}

func (s *Server) renderDepartments(w http.ResponseWriter, r *http.Request, status int, f *form, editing *registry.Department) {
	list, err := registry.ListDepartments(r.Context(), s.db, userFrom(r.Context()).RegionCode)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "departments.title", map[string]any{"Items": list, "Editing": editing, "Industries": registry.Industries})
	v.Form = f
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "departments", v)
}

func (s *Server) departmentList(w http.ResponseWriter, r *http.Request) {
	s.renderDepartments(w, r, http.StatusOK, newForm(), nil)
}

// departmentForm reads the form, with the remit as the ticked sections.
func departmentForm(r *http.Request) (*form, []string) {
	f := formFrom(r, departmentFields...)
	remit := r.PostForm["remit"]
	for _, sec := range remit {
		f.Values["remit:"+sec] = "1"
	}
	if r.PostFormValue("is_office") == "1" {
		f.Values["is_office"] = "1"
	}
	return f, remit
}

func (s *Server) departmentCreate(w http.ResponseWriter, r *http.Request) {
	f, remit := departmentForm(r)
	_, err := registry.CreateDepartment(r.Context(), s.db, userFrom(r.Context()), registry.DepartmentInput{
		Name: f.Values["name"], ShortName: f.Values["short_name"], NameEn: f.Values["name_en"],
		IsOffice: f.Values["is_office"] == "1", Remit: remit})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderDepartments(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	http.Redirect(w, r, "/admin/departments?saved=1", http.StatusSeeOther)
}

func (s *Server) departmentEdit(w http.ResponseWriter, r *http.Request) {
	d, err := s.ownDepartment(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm()
	f.Values = map[string]string{"name": d.Name, "short_name": d.ShortName, "name_en": d.NameEn}
	if d.IsOffice {
		f.Values["is_office"] = "1"
	}
	for _, sec := range d.Remit {
		f.Values["remit:"+sec] = "1"
	}
	s.renderDepartments(w, r, http.StatusOK, f, d)
}

func (s *Server) departmentUpdate(w http.ResponseWriter, r *http.Request) {
	d, err := s.ownDepartment(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f, remit := departmentForm(r)
	office := f.Values["is_office"] == "1"
	_, err = registry.UpdateDepartment(r.Context(), s.db, userFrom(r.Context()), d.ID, registry.DepartmentPatch{
		Name: ptr(f.Values["name"]), ShortName: ptr(f.Values["short_name"]), NameEn: ptr(f.Values["name_en"]),
		IsOffice: &office, Remit: &remit})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderDepartments(w, r, http.StatusUnprocessableEntity, f, d)
		return
	}
	http.Redirect(w, r, "/admin/departments?saved=1", http.StatusSeeOther)
}

// ownDepartment loads the department in the path if it is in the caller's
// region; another region's looks missing.
func (s *Server) ownDepartment(r *http.Request) (*registry.Department, error) {
	d, err := registry.GetDepartment(r.Context(), s.db, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(d.RegionCode, userFrom(r.Context()).RegionCode) {
		return nil, fielderr.ErrNotFound
	}
	return d, nil
}
