package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
)

// enterpriseFields are the form fields of the enterprise form, in the order
// the form shows them.
var enterpriseFields = []string{"uscc", "uscc_override_reason", "name", "region_code", "legal_rep", "address",
	"township", "industry", "contact_name", "contact_phone", "gln", "status", "department_id"}

// enterpriseFilter reads the list filters from the query string.
func enterpriseFilter(r *http.Request, pg page) registry.Filter {
	q := r.URL.Query()
	return registry.Filter{Q: q.Get("q"), RegionCode: q.Get("region"), Township: q.Get("township"),
		Industry: q.Get("industry"), Status: q.Get("status"), DepartmentID: q.Get("department"),
		Sort: q.Get("sort"), Limit: pg.Limit, Offset: pg.Offset}
}

// choices are the options of the enterprise form's and filters' selects.
type choices struct {
	Townships   []registry.Region
	Industries  []registry.Industry
	Departments []registry.Department
	Statuses    []string
}

func (s *Server) enterpriseChoices(r *http.Request) (choices, error) {
	u := userFrom(r.Context())
	c := choices{Industries: registry.Industries, Statuses: registry.Statuses}
	var err error
	if c.Townships, err = registry.Regions(r.Context(), s.db, u.RegionCode); err != nil {
		return c, err
	}
	if c.Departments, err = registry.ListDepartments(r.Context(), s.db, u.RegionCode); err != nil {
		return c, err
	}
	return c, nil
}

func (s *Server) enterpriseList(w http.ResponseWriter, r *http.Request) {
	pg := pageOf(r, 20)
	list, total, err := registry.ListEnterprises(r.Context(), s.db, userFrom(r.Context()), enterpriseFilter(r, pg))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg.Total = total
	c, err := s.enterpriseChoices(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "enterprises.title", map[string]any{"Items": list, "Page": pg, "Filter": r.URL.Query(),
		"Choices": c, "ExportQuery": r.URL.Query().Encode()})
	s.render(w, r, http.StatusOK, "enterprises", v)
}

func (s *Server) enterpriseExport(w http.ResponseWriter, r *http.Request) {
	f := enterpriseFilter(r, page{})
	s.sendXLSX(w, r, "enterprises", func(w http.ResponseWriter) error {
		return registry.ExportEnterprises(r.Context(), s.db, userFrom(r.Context()), f, w, langFrom(r.Context()))
	})
}

func (s *Server) enterpriseNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["region_code"] = userFrom(r.Context()).RegionCode
	f.Values["status"] = registry.StatusActive
	s.renderEnterpriseForm(w, r, http.StatusOK, f, nil)
}

func (s *Server) renderEnterpriseForm(w http.ResponseWriter, r *http.Request, status int, f *form, e *registry.Enterprise) {
	c, err := s.enterpriseChoices(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	title := "enterprises.new"
	if e != nil {
		title = "enterprises.edit"
	}
	v := s.newView(r, title, map[string]any{"Enterprise": e, "Choices": c, "Override": f.Values["override"] == "1"})
	v.Form = f
	s.render(w, r, status, "enterprise_form", v)
}

func enterpriseInput(f *form) registry.EnterpriseInput {
	return registry.EnterpriseInput{
		USCC: f.Values["uscc"], USCCOverrideReason: f.Values["uscc_override_reason"], Name: f.Values["name"],
		RegionCode: f.Values["region_code"], LegalRep: f.Values["legal_rep"], Address: f.Values["address"],
		Township: f.Values["township"], Industry: f.Values["industry"], ContactName: f.Values["contact_name"],
		ContactPhone: f.Values["contact_phone"], GLN: f.Values["gln"], Status: f.Values["status"], DepartmentID: f.Values["department_id"],
	}
}

// markOverridable offers the checksum override beside the USCC when the
// domain says the caller may use it.
func markOverridable(f *form, err error) {
	list, _ := fielderr.As(err)
	for _, e := range list {
		if e.Field == "uscc" && e.Rule == "rule.uscc.checksum" && e.Params["overridable"] == true {
			f.Values["override"] = "1"
		}
	}
}

func (s *Server) enterpriseCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, enterpriseFields...)
	e, err := registry.CreateEnterprise(r.Context(), s.db, userFrom(r.Context()), enterpriseInput(f))
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		markOverridable(f, err)
		s.renderEnterpriseForm(w, r, http.StatusUnprocessableEntity, f, nil)
		return
	}
	http.Redirect(w, r, "/enterprises/"+e.ID+"?created=1", http.StatusSeeOther)
}

func (s *Server) enterpriseShow(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	e, err := registry.GetEnterprise(r.Context(), s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	licences, _, err := registry.ListLicences(r.Context(), s.db, u, registry.LicenceFilter{EnterpriseID: e.ID, Limit: 200})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	products, _, err := registry.ListProducts(r.Context(), s.db, u, registry.ProductFilter{EnterpriseID: e.ID, Limit: 200})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "enterprises.title", map[string]any{"E": e, "Licences": licences, "Products": products,
		"CanEdit": u.Can(auth.PermRegistryWrite), "CanKeep": u.Can(auth.PermLicenceWrite)})
	v.Title = e.Name
	if r.URL.Query().Get("created") == "1" {
		v.Flash = v.T("enterprises.created")
	} else if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, http.StatusOK, "enterprise", v)
}

func (s *Server) enterpriseEdit(w http.ResponseWriter, r *http.Request) {
	e, err := registry.GetEnterprise(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm()
	f.Values = map[string]string{"uscc": e.USCC, "uscc_override_reason": e.USCCOverrideReason, "name": e.Name,
		"region_code": e.RegionCode, "legal_rep": e.LegalRep, "address": e.Address, "township": e.TownshipCode,
		"industry": e.Industry, "contact_name": e.ContactName, "contact_phone": e.ContactPhone, "gln": e.GLN, "status": e.Status,
		"department_id": e.DepartmentID}
	if !e.USCCChecksumOK {
		f.Values["override"] = "1"
	}
	s.renderEnterpriseForm(w, r, http.StatusOK, f, e)
}

func (s *Server) enterpriseUpdate(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	id := r.PathValue("id")
	e, err := registry.GetEnterprise(r.Context(), s.db, u, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := formFrom(r, enterpriseFields...)
	in := enterpriseInput(f)
	p := registry.EnterprisePatch{USCC: &in.USCC, USCCOverrideReason: &in.USCCOverrideReason, Name: &in.Name,
		RegionCode: &in.RegionCode, LegalRep: &in.LegalRep, Address: &in.Address, Township: &in.Township,
		Industry: &in.Industry, ContactName: &in.ContactName, ContactPhone: &in.ContactPhone, GLN: &in.GLN, Status: &in.Status,
		DepartmentID: &in.DepartmentID}
	if _, err := registry.UpdateEnterprise(r.Context(), s.db, u, id, p); err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		markOverridable(f, err)
		s.renderEnterpriseForm(w, r, http.StatusUnprocessableEntity, f, e)
		return
	}
	http.Redirect(w, r, "/enterprises/"+id+"?saved=1", http.StatusSeeOther)
}

// maxUpload bounds a spreadsheet upload; the importer applies its own
// unzip limits on top.
const maxUpload = 20 << 20

func (s *Server) enterpriseImportPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "import.title", map[string]any{})
	s.render(w, r, http.StatusOK, "enterprise_import", v)
}

func (s *Server) enterpriseImportTemplate(w http.ResponseWriter, r *http.Request) {
	s.sendXLSX(w, r, "enterprise-template", func(w http.ResponseWriter) error {
		return registry.EnterpriseTemplate(w, langFrom(r.Context()))
	})
}

func (s *Server) enterpriseImport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	v := s.newView(r, "import.title", nil)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		key := "import.no_file"
		if errors.As(err, &tooBig) {
			key = "import.too_big"
		}
		v.Data = map[string]any{"Error": v.T(key, "max", maxUpload>>20)}
		s.render(w, r, http.StatusUnprocessableEntity, "enterprise_import", v)
		return
	}
	defer file.Close()
	report, err := registry.ImportEnterprises(r.Context(), s.db, userFrom(r.Context()), file, hdr.Size)
	status := http.StatusOK
	data := map[string]any{"Report": report, "FileName": hdr.Filename}
	if err != nil {
		list, ok := fielderr.As(err)
		if !ok {
			s.pageError(w, r, err)
			return
		}
		if len(report.Errors) == 0 {
			data["Error"] = v.T(list[0].Rule, "max", maxUpload>>20)
		}
		status = http.StatusUnprocessableEntity
	}
	v.Data = data
	s.render(w, r, status, "enterprise_import", v)
}

// sendXLSX streams a spreadsheet download.
func (s *Server) sendXLSX(w http.ResponseWriter, r *http.Request, name string, write func(http.ResponseWriter) error) {
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	file := name + "-" + s.cfg.Now().In(shanghai).Format("20060102") + ".xlsx"
	w.Header().Set("Content-Disposition", "attachment; filename=\""+file+"\"; filename*=UTF-8''"+url.PathEscape(file))
	w.Header().Set("Cache-Control", "no-store")
	if err := write(w); err != nil {
		// Headers may be gone already; the log is what is left.
		s.log.Error("export", "name", name, "err", err)
	}
}

// --- JSON API ---

type listResponse[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// apiPage reads limit and offset, refusing malformed ones by name.
func (s *Server) apiPage(w http.ResponseWriter, r *http.Request) (page, bool) {
	q := r.URL.Query()
	p := page{Limit: 50}
	var errs fielderr.List
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			errs.Add("limit", "rule.range", "min", 1, "max", 500)
		}
		p.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs.Add("offset", "rule.range", "min", 0, "max", "∞")
		}
		p.Offset = n
	}
	if len(errs) > 0 {
		s.problem(w, r, http.StatusBadRequest, "error.validation", errs)
		return p, false
	}
	return p, true
}
