package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/trace/filing"
	"github.com/hallmark-platform/hallmark/locales"
)

// registerFilingRoutes: key-commodity filings (重点商品备案). An enterprise
// files and, when returned, edits and resubmits; the office (recall.write)
// reviews; who may change settings chooses the categories offered.
func (s *Server) registerFilingRoutes() {
	read, capture, review := auth.PermTraceRead, auth.PermTraceCapture, auth.PermRecallWrite

	s.handle("GET /filings", read, s.filingList)
	s.handle("GET /filings/export", read, s.filingExport)
	s.handle("GET /filings/new", capture, s.filingNew)
	s.handle("POST /filings", capture, s.filingCreate)
	s.handle("POST /filings/categories", auth.PermCalendarWrite, s.filingCategories)
	s.handle("GET /filings/{id}", read, s.filingShow)
	s.handle("GET /filings/{id}/edit", capture, s.filingEdit)
	s.handle("POST /filings/{id}", capture, s.filingResubmit)
	s.handle("POST /filings/{id}/review", review, s.filingReview)
	s.handle("GET /filings/{id}/files/{hash}", read, s.filingFile)

	s.handle("GET /api/v1/filings", read, apiList(s, filingFilter, filing.List))
	s.handle("POST /api/v1/filings", capture, apiCreate(s, "/api/v1/filings", filing.Submit,
		func(f *filing.Filing) string { return f.ID }))
	s.handle("GET /api/v1/filings/{id}", read, apiGet(s, filing.Get))
	s.handle("PUT /api/v1/filings/{id}", capture, s.apiFilingResubmit)
	s.handle("POST /api/v1/filings/{id}/review", review, s.apiFilingReview)
}

func filingFilter(r *http.Request, pg page) filing.Filter {
	q := r.URL.Query()
	return filing.Filter{Status: q.Get("status"), Category: q.Get("category"), EnterpriseID: q.Get("enterprise"),
		Q: q.Get("q"), Limit: pg.Limit, Offset: pg.Offset}
}

// filingStatusClass maps a state to a badge style the site already has.
var filingStatusClass = map[string]string{
	filing.StatusSubmitted: "expiring", filing.StatusReturned: "expired", filing.StatusApproved: "valid",
}

func (s *Server) filingList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	pg := pageOf(r, 30)
	items, total, err := filing.List(ctx, s.db, u, filingFilter(r, pg))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg.Total = total
	cats, err := filing.Categories(ctx, s.db)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var all []string
	for _, c := range filing.Known {
		all = append(all, c.Code)
	}
	on := map[string]bool{}
	for _, c := range cats {
		on[c] = true
	}
	v := s.newView(r, "filings.title", map[string]any{"Items": items, "Page": pg, "Filter": r.URL.Query(),
		"ExportQuery": r.URL.Query().Encode(), "Statuses": filing.Statuses, "Categories": cats, "Known": all, "On": on,
		"Class": filingStatusClass, "Staff": u.Role != auth.RoleEnterprise, "CanFile": u.Can(auth.PermTraceCapture),
		"CanSetCategories": u.Can(auth.PermCalendarWrite)})
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, http.StatusOK, "filing_list", v)
}

func (s *Server) filingExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := langFrom(ctx)
	s.sendXLSX(w, r, "filings", func(w http.ResponseWriter) error {
		return filing.Export(ctx, s.db, userFrom(ctx), filingFilter(r, page{}), w, lang,
			func(key string) string { return locales.T(lang, key, nil) })
	})
}

func (s *Server) filingCategories(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if err := filing.SetCategories(r.Context(), s.db, userFrom(r.Context()), trimAll(r.PostForm["categories"])); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/filings?saved=1", http.StatusSeeOther)
}

// filingFields are the form's one-value fields.
var filingFields = []string{"enterprise_uscc", "product_name", "category", "category_note", "gtin", "product_code", "spec",
	"manufacturer", "licence_no", "supplier_name", "supplier_uscc", "documents"}

// filingLotRows is how many lot rows a form offers beyond those filled.
const filingLotRows = 3

// filingForm is the data of the new and edit pages.
type filingForm struct {
	F          *filing.Filing // nil for a new filing
	Categories []string
	Units      []labelled
	Rows       []int // lot row indices
	Staff      bool
	MaxFiles   int
}

func (s *Server) renderFilingForm(w http.ResponseWriter, r *http.Request, status int, f *form, fl *filing.Filing, lots int) {
	ctx := r.Context()
	cats, err := filing.Categories(ctx, s.db)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if fl != nil && !strings.Contains(","+strings.Join(cats, ",")+",", ","+fl.Category+",") {
		cats = append(cats, fl.Category)
	}
	rows := make([]int, min(lots+filingLotRows, filing.MaxLots))
	for i := range rows {
		rows[i] = i
	}
	u := userFrom(ctx)
	data := &filingForm{F: fl, Categories: cats, Units: unitChoices(langFrom(ctx)), Rows: rows,
		Staff: u.Role != auth.RoleEnterprise && fl == nil, MaxFiles: filing.MaxFiles}
	title := "filings.new"
	if fl != nil {
		title = "filings.edit"
	}
	v := s.newView(r, title, data)
	v.Form = f
	s.render(w, r, status, "filing_form", v)
}

func (s *Server) filingNew(w http.ResponseWriter, r *http.Request) {
	s.renderFilingForm(w, r, http.StatusOK, newForm(), nil, 0)
}

// filingInput reads the form: its fields, its filled lot rows (renumbered,
// so that an error on the n-th lot shows beside the n-th row shown again)
// and its files. A quantity the form cannot read goes in as NaN, which the
// filing refuses on that lot's quantity.
func (s *Server) filingInput(w http.ResponseWriter, r *http.Request) (filing.Input, *form, int, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxEvidence)
	f := newForm()
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		f.Errors["files"] = s.t(r, "import.too_big", "max", maxEvidence>>20)
		return filing.Input{}, f, 0, errTooBig
	}
	for _, n := range filingFields {
		f.Values[n] = strings.TrimSpace(r.FormValue(n))
	}
	f.Values["documents"] = r.FormValue("documents")
	in := filing.Input{EnterpriseUSCC: f.Values["enterprise_uscc"], ProductName: f.Values["product_name"],
		Category: f.Values["category"], CategoryNote: f.Values["category_note"], GTIN: f.Values["gtin"],
		ProductCode: f.Values["product_code"], Spec: f.Values["spec"], Manufacturer: f.Values["manufacturer"],
		LicenceNo: f.Values["licence_no"], SupplierName: f.Values["supplier_name"], SupplierUSCC: f.Values["supplier_uscc"],
		Documents: f.Values["documents"]}
	for i := 0; i < filing.MaxLots+filingLotRows; i++ {
		lot := strings.TrimSpace(r.FormValue(filing.LotField(i, "lot")))
		qty := strings.TrimSpace(r.FormValue(filing.LotField(i, "quantity")))
		unit := strings.TrimSpace(r.FormValue(filing.LotField(i, "unit")))
		if lot == "" && qty == "" {
			continue
		}
		n := len(in.Lots)
		f.Values[filing.LotField(n, "lot")], f.Values[filing.LotField(n, "quantity")], f.Values[filing.LotField(n, "unit")] = lot, qty, unit
		q, err := strconv.ParseFloat(qty, 64)
		if err != nil {
			q = math.NaN()
		}
		in.Lots = append(in.Lots, filing.Lot{Lot: lot, Quantity: q, Unit: unit})
	}
	files, err := s.storeUploads(r)
	in.Files = files
	return in, f, len(in.Lots), err
}

var errTooBig = errors.New("upload too big")

// filingRefused shows the form again with the refusal beside its fields.
func (s *Server) filingRefused(w http.ResponseWriter, r *http.Request, f *form, fl *filing.Filing, lots int, err error) {
	if !errors.Is(err, errTooBig) && !f.setErrors(langFrom(r.Context()), err) {
		s.pageError(w, r, err)
		return
	}
	s.renderFilingForm(w, r, http.StatusUnprocessableEntity, f, fl, lots)
}

func (s *Server) filingCreate(w http.ResponseWriter, r *http.Request) {
	in, f, lots, err := s.filingInput(w, r)
	if err == nil {
		var fl *filing.Filing
		if fl, err = filing.Submit(r.Context(), s.db, userFrom(r.Context()), in); err == nil {
			http.Redirect(w, r, "/filings/"+fl.ID+"?saved=1", http.StatusSeeOther)
			return
		}
	}
	s.filingRefused(w, r, f, nil, lots, err)
}

func (s *Server) filingEdit(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	fl, err := filing.Get(r.Context(), s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm()
	if !filing.CanEdit(u, fl) {
		f.Errors["status"] = s.t(r, "rule.filing.not_returned")
	}
	f.Values = map[string]string{"product_name": fl.ProductName, "category": fl.Category, "category_note": fl.CategoryNote,
		"gtin": fl.GTIN, "product_code": fl.ProductCode, "spec": fl.Spec, "manufacturer": fl.Manufacturer,
		"licence_no": fl.LicenceNo, "supplier_name": fl.SupplierName, "supplier_uscc": fl.SupplierUSCC, "documents": fl.Documents}
	for i, l := range fl.Lots {
		f.Values[filing.LotField(i, "lot")], f.Values[filing.LotField(i, "quantity")], f.Values[filing.LotField(i, "unit")] =
			l.Lot, l.QuantityText(), l.Unit
	}
	s.renderFilingForm(w, r, http.StatusOK, f, fl, len(fl.Lots))
}

// filingResubmit edits a returned filing and submits it again. The files
// it had are kept unless others are uploaded in their place.
func (s *Server) filingResubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	fl, err := filing.Get(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	in, f, lots, err := s.filingInput(w, r)
	if err == nil {
		if len(in.Files) == 0 {
			in.Files = fl.Files
		}
		if _, err = filing.Resubmit(ctx, s.db, u, fl.ID, in); err == nil {
			http.Redirect(w, r, "/filings/"+fl.ID+"?saved=1", http.StatusSeeOther)
			return
		}
	}
	s.filingRefused(w, r, f, fl, lots, err)
}

func (s *Server) filingShow(w http.ResponseWriter, r *http.Request) {
	s.renderFiling(w, r, http.StatusOK, newForm())
}

func (s *Server) renderFiling(w http.ResponseWriter, r *http.Request, status int, f *form) {
	ctx := r.Context()
	u := userFrom(ctx)
	fl, err := filing.Get(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "filings.title", map[string]any{"F": fl, "Class": filingStatusClass,
		"CanReview": filing.CanReview(u) && fl.Status == filing.StatusSubmitted, "CanEdit": filing.CanEdit(u, fl)})
	v.Title = fl.ProductName
	v.Form = f
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "filing_show", v)
}

func (s *Server) filingReview(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "decision")
	f.Values["reason"] = r.PostFormValue("reason")
	_, err := filing.Review(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"),
		filing.ReviewInput{Decision: f.Values["decision"], Reason: f.Values["reason"]})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderFiling(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/filings/"+r.PathValue("id")+"?saved=1", http.StatusSeeOther)
}

func (s *Server) filingFile(w http.ResponseWriter, r *http.Request) {
	fl, err := filing.Get(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.sendBlob(w, r, fl.Files, r.PathValue("hash"))
}

func (s *Server) apiFilingResubmit(w http.ResponseWriter, r *http.Request) {
	var in filing.Input
	if !s.decodeJSON(w, r, &in) {
		return
	}
	fl, err := filing.Resubmit(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, fl)
}

func (s *Server) apiFilingReview(w http.ResponseWriter, r *http.Request) {
	var in filing.ReviewInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	fl, err := filing.Review(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, fl)
}
