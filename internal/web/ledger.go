package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

// ledgerKind is one of the two books: incoming checks (进货查验) and sales
// records (销售记录). Their pages and API are the same but for the party
// (supplier or buyer), the date and the supplier's licence.
type ledgerKind struct {
	Kind  string // ledger.KindIncoming or ledger.KindSale
	Path  string // under /ledger/
	API   string // under /api/v1/
	P     string // the party's field prefix: supplier or buyer
	Date  string // the date's field name
	Title string // message key of the list's title
}

// Incoming reports whether the book is of incoming checks, for templates.
func (k ledgerKind) Incoming() bool { return k.Kind == ledger.KindIncoming }

var ledgerKinds = []ledgerKind{
	{Kind: ledger.KindIncoming, Path: "incoming", API: "incoming-checks", P: "supplier", Date: "arrival_date", Title: "ledger.incoming.title"},
	{Kind: ledger.KindSale, Path: "sales", API: "sales", P: "buyer", Date: "sale_date", Title: "ledger.sales.title"},
}

// registerLedgerRoutes: an enterprise's incoming checks and sales records.
// An enterprise keeps its own books; officers read their region's and may
// record for an enterprise of it.
func (s *Server) registerLedgerRoutes() {
	read, capture := auth.PermTraceRead, auth.PermTraceCapture
	for _, k := range ledgerKinds {
		base := "/ledger/" + k.Path
		s.handle("GET "+base, read, s.ledgerList(k))
		s.handle("GET "+base+"/export", read, s.ledgerExport(k))
		s.handle("GET "+base+"/new", capture, s.ledgerNew(k))
		s.handle("POST "+base, capture, s.ledgerCreate(k))
		s.handle("GET "+base+"/import", capture, s.ledgerImportPage(k))
		s.handle("GET "+base+"/import/template", capture, s.ledgerTemplate(k))
		s.handle("POST "+base+"/import", capture, s.ledgerImport(k))
		s.handle("GET "+base+"/{id}", read, s.ledgerShow(k))
		s.handle("GET "+base+"/{id}/files/{hash}", read, s.ledgerFile(k))

		api := "/api/v1/" + k.API
		s.handle("GET "+api, read, apiList(s, k.filter, ledger.List))
		s.handle("GET "+api+"/{id}", read, s.apiLedgerGet(k))
	}
	s.handle("POST /api/v1/incoming-checks", capture, apiCreate(s, "/api/v1/incoming-checks", ledger.RecordIncoming,
		func(e *ledger.Entry) string { return e.ID }))
	s.handle("POST /api/v1/sales", capture, apiCreate(s, "/api/v1/sales", ledger.RecordSale,
		func(e *ledger.Entry) string { return e.ID }))
	// A document for an incoming check, a sales record or a recall
	// confirmation, sent before the record that names it by its hash.
	s.handle("POST /api/v1/files", capture, s.apiFileUpload)
}

// apiFileUpload stores the request body as a file (its type sniffed and
// checked against blob.Allowed, its name from ?name=) and answers 201 with
// its hash, size and type.
func (s *Server) apiFileUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	if utf8.RuneCountInString(name) > 200 {
		s.apiError(w, r, fielderr.New("name", "rule.max_length", "max", 200))
		return
	}
	s.apiUpload(ctx, w, r, name, "file", nil)
}

// apiUpload stores the request body as a file called name (its type as the
// content shows, whatever the request claimed), refused when check says it
// is not the kind wanted, audits it as entity and answers 201 with its hash,
// size and type.
func (s *Server) apiUpload(ctx context.Context, w http.ResponseWriter, r *http.Request, name, entity string, check func(blob.File) error) {
	var f blob.File
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = s.blobs.Put(ctx, tx, r.Body, name, r.Header.Get("Content-Type")); err != nil {
			return err
		}
		if check != nil {
			if err := check(f); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: entity, EntityID: f.Hash,
			RegionCode: userFrom(ctx).RegionCode, After: f})
	})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

// filter reads a book's list filters from the query string.
func (k ledgerKind) filter(r *http.Request, pg page) ledger.Filter {
	q := r.URL.Query()
	return ledger.Filter{Kind: k.Kind, EnterpriseID: q.Get("enterprise"), Q: q.Get("q"), From: q.Get("from"),
		To: q.Get("to"), LotID: q.Get("lot"), Limit: pg.Limit, Offset: pg.Offset}
}

// ledgerStaff: the viewer sees several enterprises' books (and names the
// enterprise when recording).
func ledgerStaff(u *auth.User) bool { return u.Role != auth.RoleEnterprise }

func (s *Server) ledgerList(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg := pageOf(r, 30)
		u := userFrom(r.Context())
		f := newForm()
		items, total, err := ledger.List(r.Context(), s.db, u, k.filter(r, pg))
		if err != nil {
			if !f.setErrors(langFrom(r.Context()), err) {
				s.pageError(w, r, err)
				return
			}
			items = []ledger.Entry{}
		}
		pg.Total = total
		// A lot in the books that is under recall says so: the holder must
		// act on it.
		lots := make([]string, len(items))
		for i, e := range items {
			lots[i] = e.LotID
		}
		recalls, err := recall.StatesOfLots(r.Context(), s.db, lots)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		v := s.newView(r, k.Title, map[string]any{"K": k, "Items": items, "Page": pg, "Filter": r.URL.Query(), "Recalls": recalls,
			"ExportQuery": r.URL.Query().Encode(), "Staff": ledgerStaff(u), "CanRecord": u.Can(auth.PermTraceCapture),
			"Saved": r.URL.Query().Get("saved") == "1"})
		v.Form = f
		s.render(w, r, http.StatusOK, "ledger_list", v)
	}
}

func (s *Server) ledgerExport(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := k.filter(r, page{})
		u := userFrom(r.Context())
		// A bad filter is refused before the download starts.
		if _, _, err := ledger.List(r.Context(), s.db, u, ledger.Filter{Kind: k.Kind, From: f.From, To: f.To, Limit: 1}); err != nil {
			s.pageError(w, r, err)
			return
		}
		s.sendXLSX(w, r, "ledger-"+k.Path, func(w http.ResponseWriter) error {
			return ledger.Export(r.Context(), s.db, u, f, w, langFrom(r.Context()))
		})
	}
}

// ledgerFields are a book's form fields.
func (k ledgerKind) fields() []string {
	out := []string{"enterprise_uscc", k.P + "_uscc", k.P + "_name", k.P + "_address", k.P + "_contact", "product_name",
		"gtin", "spec", "lot", "quantity", "unit", "production_date", "shelf_life", "shelf_life_unit", k.Date,
		"test_report_no", "cert_no", "invoice_no", "note"}
	if k.Incoming() {
		out = append(out, "licence_no")
	}
	return out
}

// labelled is an option of a select: its value and what it shows.
type labelled struct{ Value, Label string }

// unitChoices are the units in lang.
func unitChoices(lang string) []labelled {
	out := make([]labelled, len(ledger.Units))
	for i, u := range ledger.Units {
		out[i] = labelled{u, ledger.UnitLabel(u, lang)}
	}
	return out
}

func (s *Server) renderLedgerForm(w http.ResponseWriter, r *http.Request, status int, k ledgerKind, f *form) {
	u := userFrom(r.Context())
	lang := langFrom(r.Context())
	docs := []string{"test_report_no", "cert_no", "invoice_no"}
	if k.Incoming() {
		docs = append([]string{"licence_no"}, docs...)
	}
	v := s.newView(r, k.Title, map[string]any{"K": k, "Units": unitChoices(lang), "Staff": ledgerStaff(u),
		"ShelfUnits": []labelled{{ledger.Days, ledger.ShelfLifeLabel(ledger.Days, lang)}, {ledger.Months, ledger.ShelfLifeLabel(ledger.Months, lang)}},
		"MaxFiles":   ledger.MaxFiles, "PartyFields": []string{"uscc", "name", "address", "contact"}, "DocFields": docs})
	v.Title = v.T("ledger." + k.Path + ".new")
	v.Form = f
	s.render(w, r, status, "ledger_form", v)
}

func (s *Server) ledgerNew(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := newForm()
		f.Values[k.Date] = s.today().Format("2006-01-02")
		f.Values["shelf_life_unit"] = ledger.Days
		s.renderLedgerForm(w, r, http.StatusOK, k, f)
	}
}

// ledgerCreate takes the form with its attachments: the files are stored
// first (content-addressed, so a retry stores nothing twice), then the
// entry refers to them.
func (s *Server) ledgerCreate(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		lang := langFrom(ctx)
		r.Body = http.MaxBytesReader(w, r.Body, maxEvidence)
		f := newForm()
		if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			f.Errors["files"] = s.t(r, "import.too_big", "max", maxEvidence>>20)
			s.renderLedgerForm(w, r, http.StatusUnprocessableEntity, k, f)
			return
		}
		for _, n := range k.fields() {
			f.Values[n] = strings.TrimSpace(r.FormValue(n))
		}
		f.Values["note"] = r.FormValue("note")
		// A number the form cannot read goes to the ledger as one it refuses,
		// so that every field is checked at once; its message is then the
		// form's own.
		qty, qerr := strconv.ParseFloat(f.Values["quantity"], 64)
		if qerr != nil {
			qty = math.NaN()
		}
		shelf, serr := strconv.Atoi(f.Values["shelf_life"])
		switch {
		case f.Values["shelf_life"] == "":
			shelf, serr = 0, nil
		case serr != nil:
			shelf = -1
		}
		files, err := s.storeUploads(r)
		if err != nil {
			if !f.setErrors(lang, err) {
				s.pageError(w, r, err)
				return
			}
			s.renderLedgerForm(w, r, http.StatusUnprocessableEntity, k, f)
			return
		}
		v := f.Values
		var e *ledger.Entry
		if k.Incoming() {
			e, err = ledger.RecordIncoming(ctx, s.db, userFrom(ctx), ledger.IncomingInput{EnterpriseUSCC: v["enterprise_uscc"],
				SupplierUSCC: v["supplier_uscc"], SupplierName: v["supplier_name"], SupplierAddress: v["supplier_address"],
				SupplierContact: v["supplier_contact"], ProductName: v["product_name"], GTIN: v["gtin"], Spec: v["spec"],
				Lot: v["lot"], Quantity: qty, Unit: v["unit"], ProductionDate: v["production_date"], ShelfLife: shelf,
				ShelfLifeUnit: v["shelf_life_unit"], ArrivalDate: v["arrival_date"], LicenceNo: v["licence_no"],
				TestReportNo: v["test_report_no"], CertNo: v["cert_no"], InvoiceNo: v["invoice_no"], Note: v["note"], Files: files})
		} else {
			e, err = ledger.RecordSale(ctx, s.db, userFrom(ctx), ledger.SaleInput{EnterpriseUSCC: v["enterprise_uscc"],
				BuyerUSCC: v["buyer_uscc"], BuyerName: v["buyer_name"], BuyerAddress: v["buyer_address"],
				BuyerContact: v["buyer_contact"], ProductName: v["product_name"], GTIN: v["gtin"], Spec: v["spec"],
				Lot: v["lot"], Quantity: qty, Unit: v["unit"], ProductionDate: v["production_date"], ShelfLife: shelf,
				ShelfLifeUnit: v["shelf_life_unit"], SaleDate: v["sale_date"], TestReportNo: v["test_report_no"],
				CertNo: v["cert_no"], InvoiceNo: v["invoice_no"], Note: v["note"], Files: files})
		}
		if err != nil {
			if !f.setErrors(lang, err) {
				s.pageError(w, r, err)
				return
			}
			switch {
			case f.Values["quantity"] == "":
				f.Errors["quantity"] = s.t(r, "rule.required")
			case qerr != nil:
				f.Errors["quantity"] = s.t(r, "rule.number")
			}
			if serr != nil {
				f.Errors["shelf_life"] = s.t(r, "rule.integer")
			}
			s.renderLedgerForm(w, r, http.StatusUnprocessableEntity, k, f)
			return
		}
		http.Redirect(w, r, "/ledger/"+k.Path+"/"+e.ID+"?saved=1", http.StatusSeeOther)
	}
}

// storeUploads stores the request's "files" in the blob folder and returns
// them for a domain function to check and refer to.
func (s *Server) storeUploads(r *http.Request) ([]blob.File, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["files"]) == 0 {
		return nil, nil
	}
	var files []blob.File
	err := s.db.Tx(r.Context(), func(tx *store.Tx) error {
		for _, fh := range r.MultipartForm.File["files"] {
			src, err := fh.Open()
			if err != nil {
				return err
			}
			stored, err := s.blobs.Put(r.Context(), tx, src, fh.Filename, fh.Header.Get("Content-Type"))
			src.Close()
			if err != nil {
				return err
			}
			files = append(files, blob.File{Hash: stored.Hash, Name: fh.Filename, Size: stored.Size, Mime: stored.Mime})
		}
		return nil
	})
	return files, err
}

// ledgerEntry reads an entry of the book in the address, or not-found.
func (s *Server) ledgerEntry(r *http.Request, k ledgerKind) (*ledger.Entry, error) {
	e, err := ledger.Get(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	if err == nil && e.Kind != k.Kind {
		return nil, fielderr.ErrNotFound
	}
	return e, err
}

func (s *Server) ledgerShow(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, err := s.ledgerEntry(r, k)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		rc, err := recall.StateOfLot(r.Context(), s.db, e.LotID)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		v := s.newView(r, k.Title, map[string]any{"K": k, "E": e, "Staff": ledgerStaff(userFrom(r.Context())), "Recall": rc})
		v.Title = e.ProductName
		if r.URL.Query().Get("saved") == "1" {
			v.Flash = v.T("form.saved")
		}
		s.render(w, r, http.StatusOK, "ledger_show", v)
	}
}

func (s *Server) ledgerFile(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, err := s.ledgerEntry(r, k)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		s.sendBlob(w, r, e.Files, r.PathValue("hash"))
	}
}

func (s *Server) renderLedgerImport(w http.ResponseWriter, r *http.Request, status int, k ledgerKind, data map[string]any, f *form) {
	data["K"] = k
	data["Staff"] = ledgerStaff(userFrom(r.Context()))
	data["MaxRows"] = ledger.MaxImportRows
	v := s.newView(r, k.Title, data)
	v.Title = v.T("ledger." + k.Path + ".import")
	v.Form = f
	s.render(w, r, status, "ledger_import", v)
}

func (s *Server) ledgerImportPage(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.renderLedgerImport(w, r, http.StatusOK, k, map[string]any{}, newForm())
	}
}

func (s *Server) ledgerTemplate(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.sendXLSX(w, r, "ledger-"+k.Path+"-template", func(w http.ResponseWriter) error {
			return ledger.Template(w, k.Kind, langFrom(r.Context()))
		})
	}
}

func (s *Server) ledgerImport(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		r.Body = http.MaxBytesReader(w, r.Body, ledger.MaxImportBytes+1<<20)
		f := formFrom(r, "enterprise_uscc")
		file, hdr, err := r.FormFile("file")
		if err != nil {
			var tooBig *http.MaxBytesError
			key := "import.no_file"
			if errors.As(err, &tooBig) {
				key = "import.too_big"
			}
			s.renderLedgerImport(w, r, http.StatusUnprocessableEntity, k,
				map[string]any{"Error": s.t(r, key, "max", ledger.MaxImportBytes>>20)}, f)
			return
		}
		defer file.Close()
		report, err := ledger.Import(ctx, s.db, userFrom(ctx), k.Kind, "", f.Values["enterprise_uscc"], file, hdr.Size)
		data := map[string]any{"Report": report, "FileName": hdr.Filename}
		status := http.StatusOK
		if err != nil {
			list, ok := fielderr.As(err)
			if !ok {
				s.pageError(w, r, err)
				return
			}
			status = http.StatusUnprocessableEntity
			if len(report.Errors) == 0 {
				// The enterprise's field, not a row of the file.
				f.setErrors(langFrom(ctx), list)
			}
		}
		s.renderLedgerImport(w, r, status, k, data, f)
	}
}

func (s *Server) apiLedgerGet(k ledgerKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, err := s.ledgerEntry(r, k)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, e)
	}
}
