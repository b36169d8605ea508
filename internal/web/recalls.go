package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/sheet"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

// registerRecallRoutes: recall and delisting of nonconforming lots. Officers
// (recall.write) open, close and decide proposals; holders (trace.capture:
// an enterprise for its own part, an officer for any) confirm; whoever reads
// traces (trace.read) sees the recalls of their region or, an enterprise,
// its own part.
func (s *Server) registerRecallRoutes() {
	read, write, capture := auth.PermTraceRead, auth.PermRecallWrite, auth.PermTraceCapture

	s.handle("GET /recalls", read, s.recallList)
	s.handle("GET /recalls/export", read, s.recallExport)
	s.handle("GET /recalls/new", write, s.recallNew)
	s.handle("POST /recalls", write, s.recallCreate)
	s.handle("GET /recalls/proposals", write, s.recallProposals)
	s.handle("POST /recalls/proposals/{id}/confirm", write, s.recallProposalConfirm)
	s.handle("POST /recalls/proposals/{id}/dismiss", write, s.recallProposalDismiss)
	s.handle("GET /recalls/{id}", read, s.recallShow)
	s.handle("POST /recalls/{id}/close", write, s.recallClose)
	s.handle("GET /recalls/{id}/holders/{holder}", capture, s.recallHolder)
	s.handle("POST /recalls/{id}/holders/{holder}/confirmations", capture, s.recallConfirm)
	s.handle("GET /recalls/{id}/files/{hash}", read, s.recallFile)

	s.handle("GET /api/v1/recalls", read, s.apiRecallList)
	s.handle("POST /api/v1/recalls", write, s.apiRecallCreate)
	s.handle("GET /api/v1/recalls/{id}", read, s.apiRecallGet)
	s.handle("POST /api/v1/recalls/{id}/confirmations", capture, s.apiRecallConfirm)
}

var (
	recallLevels   = []int{1, 2, 3}
	recallStatuses = []string{recall.StatusOpen, recall.StatusClosed}
	recallLights   = []string{recall.LightGreen, recall.LightYellow, recall.LightRed}
)

// recallCtx carries the server's clock into the recall package, so lights
// and stamps agree with the rest of the site (and a test's fixed clock).
func (s *Server) recallCtx(r *http.Request) context.Context {
	return recall.WithClock(r.Context(), s.cfg.Now)
}

// recallFilter reads the list's filters from the query; a bad level reads
// as one the domain refuses by name.
func recallFilter(q url.Values) recall.Filter {
	f := recall.Filter{Status: q.Get("status"), Light: q.Get("light"), Search: q.Get("q"), From: q.Get("from"), To: q.Get("to")}
	if v := q.Get("level"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			f.Level = n
		} else {
			f.Level = -1
		}
	}
	return f
}

func (s *Server) recallList(w http.ResponseWriter, r *http.Request) {
	ctx := s.recallCtx(r)
	u := userFrom(ctx)
	q := r.URL.Query()
	f := recallFilter(q)
	f.Limit = recall.MaxLimit
	form := newForm()
	items, total, err := recall.List(ctx, s.db, u, f)
	if err != nil {
		if !form.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
		items, total = nil, 0
	}
	pending := 0
	if u.Can(auth.PermRecallWrite) {
		ps, err := recall.ListProposals(ctx, s.db, u, recall.ProposalPending)
		if err != nil && !errors.Is(err, fielderr.ErrForbidden) {
			s.pageError(w, r, err)
			return
		}
		pending = len(ps)
	}
	v := s.newView(r, "recalls.title", map[string]any{"Items": items, "Total": total, "Filter": q,
		"Levels": recallLevels, "Statuses": recallStatuses, "Lights": recallLights, "Pending": pending,
		"CanWrite": u.Can(auth.PermRecallWrite)})
	v.Form = form
	s.renderChecked(w, r, "recall_list", v)
}

// recallColumns are the export's columns.
var recallColumns = []sheet.Column{
	{ZH: "状态灯", EN: "Light", Width: 8},
	{ZH: "批次", EN: "Lot", Width: 48},
	{ZH: "产品", EN: "Product", Width: 20},
	{ZH: "级别", EN: "Level", Width: 8},
	{ZH: "原因", EN: "Reason", Width: 40},
	{ZH: "状态", EN: "Status", Width: 10},
	{ZH: "启动时间", EN: "Opened", Width: 18},
	{ZH: "启动时限", EN: "Start by", Width: 18},
	{ZH: "完成时限", EN: "Finish by", Width: 12},
	{ZH: "持有方", EN: "Holders", Width: 10},
	{ZH: "已确认", EN: "Confirmed", Width: 10},
	{ZH: "下游批次", EN: "Lots in scope", Width: 12},
}

// recallExport writes what the list shows (same filters) as .xlsx.
func (s *Server) recallExport(w http.ResponseWriter, r *http.Request) {
	ctx := s.recallCtx(r)
	u := userFrom(ctx)
	f := recallFilter(r.URL.Query())
	f.Limit = recall.MaxLimit
	items, _, err := recall.List(ctx, s.db, u, f)
	if err != nil {
		if _, ok := fielderr.As(err); ok {
			s.errorPage(w, r, http.StatusUnprocessableEntity, "error.validation")
			return
		}
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "recalls.title", nil)
	i := 0
	next := func() ([]any, bool, error) {
		if i == len(items) {
			return nil, false, nil
		}
		it := items[i]
		i++
		light := ""
		if it.Light != "" {
			light = v.T("light." + it.Light)
		}
		return []any{light, it.LotURI, it.Product, it.Level, it.Reason, v.T("recall.status." + it.Status),
			recallTime(it.OpenedAt), recallTime(it.StartDue), it.FinishDue, it.Holders, it.HoldersDone, it.Lots}, true, nil
	}
	s.sendXLSX(w, r, "recalls", func(w http.ResponseWriter) error {
		return sheet.Export(w, v.T("recalls.title"), recallColumns, v.Lang, next)
	})
}

func recallTime(ms int64) string {
	if ms == 0 {
		return ""
	}
	return store.Time(ms).In(shanghai).Format("2006-01-02 15:04")
}

func (s *Server) recallNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["epc"] = r.URL.Query().Get("epc")
	f.Values["level"] = "1"
	s.renderRecallForm(w, r, http.StatusOK, f)
}

func (s *Server) renderRecallForm(w http.ResponseWriter, r *http.Request, status int, f *form) {
	v := s.newView(r, "recall.new", map[string]any{"Levels": recallLevels})
	v.Form = f
	s.render(w, r, status, "recall_form", v)
}

func (s *Server) recallCreate(w http.ResponseWriter, r *http.Request) {
	ctx := s.recallCtx(r)
	f := formFrom(r, "epc", "level", "reason")
	in := recall.OpenInput{EPC: f.Values["epc"], Reason: r.PostFormValue("reason")}
	f.Values["reason"] = in.Reason
	if n, err := strconv.Atoi(f.Values["level"]); err == nil {
		in.Level = n
	}
	rc, err := recall.Open(ctx, s.db, userFrom(ctx), in)
	if err != nil {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderRecallForm(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/recalls/"+rc.ID+"?saved=1", http.StatusSeeOther)
}

// recallPage is the data of a recall's page; several forms share it and
// only the submitted one shows its values and errors again.
type recallPage struct {
	R        *recall.Recall
	Names    map[string]string
	Dept     string
	CanWrite bool
	// Mine is the viewer's own holder (an enterprise), nil otherwise.
	Mine *recall.Holder
	// Holder is the holder whose part a holder page shows.
	Holder  *recall.Holder
	Actions []string
	Lots    []string // the lots the holder may confirm
	formKey string
	form    *form
}

func (p *recallPage) F(key string) *form {
	if key == p.formKey && p.form != nil {
		return p.form
	}
	f := newForm()
	if key == "confirm" && len(p.Lots) > 0 {
		f.Values["lot"] = p.Lots[0]
		f.Values["action"] = recall.ActionRemoved
		f.Values["complete"] = "1"
	}
	return f
}

// Name is a user's display name.
func (p *recallPage) Name(id string) string {
	if n, ok := p.Names[id]; ok {
		return n
	}
	return id
}

// HolderName names a holder: its enterprise, else its first identifier.
func (p *recallPage) HolderName(h recall.Holder) string {
	if h.Name != "" {
		return h.Name
	}
	if len(h.Parties) > 0 {
		return h.Parties[0]
	}
	return h.ID
}

// recallPageFor loads a recall for its page (and a holder page when
// holderID is not "").
func (s *Server) recallPageFor(r *http.Request, holderID, key string, f *form) (*recallPage, error) {
	ctx := s.recallCtx(r)
	u := userFrom(ctx)
	rc, err := recall.Get(ctx, s.db, u, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p := &recallPage{R: rc, CanWrite: u.Can(auth.PermRecallWrite) && u.Role != auth.RoleEnterprise, formKey: key, form: f,
		Actions: recall.Actions}
	ids := []string{rc.OpenedBy, rc.ClosedBy}
	for i := range rc.Parties {
		h := &rc.Parties[i]
		if u.Role == auth.RoleEnterprise && h.EnterpriseID == u.EnterpriseID {
			p.Mine = h
		}
		if h.ID == holderID {
			p.Holder = h
		}
		for _, c := range h.Confirmations {
			ids = append(ids, c.CreatedBy)
		}
	}
	p.Names = s.userNames(ctx, ids...)
	if rc.DepartmentID != "" {
		depts, err := s.departmentsOf(r)
		if err != nil {
			return nil, err
		}
		for _, d := range depts {
			if d.ID == rc.DepartmentID {
				p.Dept = d.DisplayName(langFrom(ctx))
			}
		}
	}
	if holderID != "" {
		if p.Holder == nil {
			return nil, fielderr.ErrNotFound
		}
		seen := map[string]bool{}
		for _, hd := range p.Holder.Holdings {
			if !seen[hd.Lot] {
				seen[hd.Lot] = true
				p.Lots = append(p.Lots, hd.Lot)
			}
		}
	}
	return p, nil
}

func (s *Server) recallShow(w http.ResponseWriter, r *http.Request) {
	s.renderRecall(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderRecall(w http.ResponseWriter, r *http.Request, status int, key string, f *form) {
	p, err := s.recallPageFor(r, "", key, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "recalls.title", p)
	v.Title = v.T("recall.title", "level", p.R.Level)
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "recall_show", v)
}

func (s *Server) recallClose(w http.ResponseWriter, r *http.Request) {
	ctx := s.recallCtx(r)
	f := newForm()
	f.Values["reason"] = r.PostFormValue("reason")
	if _, err := recall.Close(ctx, s.db, userFrom(ctx), r.PathValue("id"), f.Values["reason"]); err != nil {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderRecall(w, r, http.StatusUnprocessableEntity, "close", f)
		return
	}
	http.Redirect(w, r, "/recalls/"+r.PathValue("id")+"?saved=1", http.StatusSeeOther)
}

func (s *Server) recallHolder(w http.ResponseWriter, r *http.Request) {
	s.renderRecallHolder(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderRecallHolder(w http.ResponseWriter, r *http.Request, status int, key string, f *form) {
	p, err := s.recallPageFor(r, r.PathValue("holder"), key, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "recalls.title", p)
	v.Title = v.T("recall.holder.title")
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "recall_holder", v)
}

// maxRecallEvidence bounds a confirmation's upload: one file and the form.
const maxRecallEvidence = blob.DefaultMaxSize + 1<<20

// recallConfirm takes the holder's form with its optional evidence file:
// the file is stored first (content-addressed, so a retry stores nothing
// twice), then the confirmation refers to it.
func (s *Server) recallConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := s.recallCtx(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxRecallEvidence)
	f := newForm()
	lang := langFrom(ctx)
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		f.Errors["evidence"] = s.t(r, "rule.file.too_large", "max_mib", maxRecallEvidence>>20)
		s.renderRecallHolder(w, r, http.StatusUnprocessableEntity, "confirm", f)
		return
	}
	for _, k := range []string{"lot", "action", "quantity", "uom", "note", "complete"} {
		f.Values[k] = strings.TrimSpace(r.FormValue(k))
	}
	in := recall.ConfirmInput{HolderID: r.PathValue("holder"), Lot: f.Values["lot"], Action: f.Values["action"],
		UOM: f.Values["uom"], Note: f.Values["note"], Complete: f.Values["complete"] != ""}
	if f.Values["quantity"] != "" {
		q, err := strconv.ParseFloat(f.Values["quantity"], 64)
		if err != nil {
			f.Errors["quantity"] = s.t(r, "rule.number")
			s.renderRecallHolder(w, r, http.StatusUnprocessableEntity, "confirm", f)
			return
		}
		in.Quantity = &q
	}
	if r.MultipartForm != nil && len(r.MultipartForm.File["evidence"]) > 0 {
		// The recall and holder are checked before a file is kept.
		if _, err := s.recallPageFor(r, in.HolderID, "", nil); err != nil {
			s.pageError(w, r, err)
			return
		}
		fh := r.MultipartForm.File["evidence"][0]
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			src, err := fh.Open()
			if err != nil {
				return err
			}
			defer src.Close()
			stored, err := s.blobs.Put(ctx, tx, src, fh.Filename, fh.Header.Get("Content-Type"))
			in.EvidenceHash, in.EvidenceName = stored.Hash, fh.Filename
			return err
		})
		if err != nil {
			if l, ok := fielderr.As(err); ok {
				for i := range l {
					l[i].Field = "evidence"
				}
				err = l
			}
			if !f.setErrors(lang, err) {
				s.pageError(w, r, err)
				return
			}
			s.renderRecallHolder(w, r, http.StatusUnprocessableEntity, "confirm", f)
			return
		}
	}
	if _, err := recall.Confirm(ctx, s.db, userFrom(ctx), r.PathValue("id"), in); err != nil {
		if !f.setErrors(lang, err) {
			s.pageError(w, r, err)
			return
		}
		s.renderRecallHolder(w, r, http.StatusUnprocessableEntity, "confirm", f)
		return
	}
	http.Redirect(w, r, "/recalls/"+r.PathValue("id")+"/holders/"+r.PathValue("holder")+"?saved=1", http.StatusSeeOther)
}

// recallFile serves a confirmation's evidence to whoever may see the
// confirmation.
func (s *Server) recallFile(w http.ResponseWriter, r *http.Request) {
	ctx := s.recallCtx(r)
	rc, err := recall.Get(ctx, s.db, userFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	hash := r.PathValue("hash")
	for _, h := range rc.Parties {
		for _, c := range h.Confirmations {
			if c.EvidenceHash != hash || !blob.ValidHash(hash) {
				continue
			}
			s.serveStoredBlob(w, r, hash, c.EvidenceName)
			return
		}
	}
	s.pageError(w, r, fielderr.ErrNotFound)
}

// Proposals.

// proposalPage is the proposals list with the form that was submitted.
type proposalPage struct {
	Items   []recall.Proposal
	Tab     string
	Tabs    []string
	Levels  []int
	formKey string
	form    *form
}

// F is the form of a proposal's action (key "confirm:<id>" or
// "dismiss:<id>"): the submitted one, or a fresh one with the defaults.
func (p *proposalPage) F(key string, pr recall.Proposal) *form {
	if key == p.formKey && p.form != nil {
		return p.form
	}
	f := newForm()
	if strings.HasPrefix(key, "confirm:") {
		f.Values["level"] = "1"
		f.Values["reason"] = pr.DefaultReason()
	}
	return f
}

var proposalTabs = []string{recall.ProposalPending, recall.ProposalConfirmed, recall.ProposalDismissed}

func (s *Server) recallProposals(w http.ResponseWriter, r *http.Request) {
	s.renderProposals(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderProposals(w http.ResponseWriter, r *http.Request, status int, key string, f *form) {
	ctx := s.recallCtx(r)
	tab := r.URL.Query().Get("tab")
	if tab == "" || !slices.Contains(proposalTabs, tab) {
		tab = recall.ProposalPending
	}
	if key != "" {
		tab = recall.ProposalPending // a refused decision is on a pending one
	}
	items, err := recall.ListProposals(ctx, s.db, userFrom(ctx), tab)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "recall.proposals", &proposalPage{Items: items, Tab: tab, Tabs: proposalTabs, Levels: recallLevels,
		formKey: key, form: f})
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "recall_proposals", v)
}

func (s *Server) recallProposalConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := s.recallCtx(r)
	f := formFrom(r, "level", "reason")
	f.Values["reason"] = r.PostFormValue("reason")
	level, _ := strconv.Atoi(f.Values["level"])
	rc, err := recall.ConfirmProposal(ctx, s.db, userFrom(ctx), r.PathValue("id"), level, f.Values["reason"])
	if err != nil {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderProposals(w, r, http.StatusUnprocessableEntity, "confirm:"+r.PathValue("id"), f)
		return
	}
	http.Redirect(w, r, "/recalls/"+rc.ID+"?saved=1", http.StatusSeeOther)
}

func (s *Server) recallProposalDismiss(w http.ResponseWriter, r *http.Request) {
	ctx := s.recallCtx(r)
	f := newForm()
	f.Values["reason"] = r.PostFormValue("reason")
	if _, err := recall.DismissProposal(ctx, s.db, userFrom(ctx), r.PathValue("id"), f.Values["reason"]); err != nil {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderProposals(w, r, http.StatusUnprocessableEntity, "dismiss:"+r.PathValue("id"), f)
		return
	}
	http.Redirect(w, r, "/recalls/proposals?saved=1", http.StatusSeeOther)
}

// --- JSON API ---

func (s *Server) apiRecallList(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.apiPage(w, r)
	if !ok {
		return
	}
	ctx := s.recallCtx(r)
	f := recallFilter(r.URL.Query())
	f.Limit, f.Offset = pg.Limit, pg.Offset
	items, total, err := recall.List(ctx, s.db, userFrom(ctx), f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if items == nil {
		items = []recall.Recall{}
	}
	writeJSON(w, http.StatusOK, listResponse[recall.Recall]{Items: items, Total: total, Limit: pg.Limit, Offset: pg.Offset})
}

// apiRecallCreate opens a recall: {"epc": "…", "level": n, "reason": "…"}
// answers 201 with the recall, its scope and its holders.
func (s *Server) apiRecallCreate(w http.ResponseWriter, r *http.Request) {
	var in recall.OpenInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.recallCtx(r)
	u := userFrom(ctx)
	rc, err := recall.Open(ctx, s.db, u, in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	full, err := recall.Get(ctx, s.db, u, rc.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/recalls/"+rc.ID)
	writeJSON(w, http.StatusCreated, full)
}

func (s *Server) apiRecallGet(w http.ResponseWriter, r *http.Request) {
	ctx := s.recallCtx(r)
	rc, err := recall.Get(ctx, s.db, userFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rc)
}

func (s *Server) apiRecallConfirm(w http.ResponseWriter, r *http.Request) {
	var in recall.ConfirmInput
	if !s.decodeJSON(w, r, &in) {
		return
	}
	ctx := s.recallCtx(r)
	c, err := recall.Confirm(ctx, s.db, userFrom(ctx), r.PathValue("id"), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}
