package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
)

// The limits catalogue: everyone in the testing system reads it (an
// enterprise can see what its product is held against); the office keeps it.

func labLimitFilter(q url.Values) limits.Filter {
	return limits.Filter{Q: q.Get("q"), Standard: q.Get("standard"), Category: q.Get("category"), Item: q.Get("item"),
		Illustrative: q.Get("illustrative")}
}

// comparisonChoice is a comparison with its label in the page's language.
type comparisonChoice struct {
	Code  string
	Label string
}

func comparisonChoices(lang string) []comparisonChoice {
	out := make([]comparisonChoice, 0, len(judge.Comparisons))
	for _, c := range judge.Comparisons {
		out = append(out, comparisonChoice{Code: string(c), Label: limits.ComparisonLabel(c, lang)})
	}
	return out
}

// limitRow is a limit with its comparison spelled for the page.
type limitRow struct {
	judge.Limit
	Op string
}

func (s *Server) labLimitList(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	pg := pageOf(r, 50)
	flt := labLimitFilter(r.URL.Query())
	flt.Limit, flt.Offset = pg.Limit, pg.Offset
	f := newForm()
	ls, total, err := limits.List(ctx, s.db, flt)
	if err != nil {
		if !f.setErrors(langFrom(ctx), err) {
			s.pageError(w, r, err)
			return
		}
	}
	pg.Total = total
	lang := langFrom(ctx)
	rows := make([]limitRow, 0, len(ls))
	for _, l := range ls {
		rows = append(rows, limitRow{Limit: l, Op: limits.ComparisonLabel(l.Comparison, lang)})
	}
	v := s.newView(r, "lab.limits.title", map[string]any{"Items": rows, "Page": pg, "Filter": r.URL.Query(),
		"CanManage": userFrom(ctx).Can(auth.PermLabManage)})
	v.Form = f
	if q := r.URL.Query(); q.Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	} else if q.Get("deleted") == "1" {
		v.Flash = v.T("lab.limit.deleted")
	}
	s.renderChecked(w, r, "lab_limits", v)
}

func (s *Server) labLimitExport(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	flt := labLimitFilter(r.URL.Query())
	if _, _, err := limits.List(ctx, s.db, limits.Filter{Q: flt.Q, Standard: flt.Standard, Category: flt.Category,
		Item: flt.Item, Illustrative: flt.Illustrative, Limit: 1}); err != nil {
		s.labExportRefused(w, r, err)
		return
	}
	s.sendXLSX(w, r, "limits", func(w http.ResponseWriter) error {
		return limits.Export(ctx, s.db, flt, w, langFrom(ctx))
	})
}

var labLimitFields = []string{"standard", "clause", "category", "item", "comparison", "min", "max", "unit", "lod",
	"method", "rounded", "illustrative", "note"}

func (s *Server) renderLimitForm(w http.ResponseWriter, r *http.Request, status int, id string, f *form) {
	key := "lab.limit.new"
	if id != "" {
		key = "lab.limit.edit"
	}
	lang := langFrom(r.Context())
	v := s.newView(r, key, map[string]any{"ID": id, "Comparisons": comparisonChoices(lang), "Units": judge.Units()})
	v.Form = f
	s.render(w, r, status, "lab_limit_form", v)
}

func (s *Server) labLimitNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["comparison"] = string(judge.AtMost)
	f.Values["unit"] = "mg/kg"
	s.renderLimitForm(w, r, http.StatusOK, "", f)
}

func limitFromForm(f *form) judge.Limit {
	return judge.Limit{Standard: f.Values["standard"], Clause: f.Values["clause"], Category: f.Values["category"],
		Item: f.Values["item"], Comparison: judge.Comparison(f.Values["comparison"]), Min: f.Values["min"],
		Max: f.Values["max"], Unit: f.Values["unit"], LOD: f.Values["lod"], Method: f.Values["method"],
		Rounded: f.Values["rounded"] != "", Illustrative: f.Values["illustrative"] != "", Note: f.Values["note"]}
}

func (s *Server) labLimitCreate(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	f := formFrom(r, labLimitFields...)
	if _, err := limits.Create(ctx, s.db, limitFromForm(f)); err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		s.renderLimitForm(w, r, http.StatusUnprocessableEntity, "", f)
		return
	}
	http.Redirect(w, r, "/lab/limits?saved=1&q="+url.QueryEscape(f.Values["item"]), http.StatusSeeOther)
}

func (s *Server) labLimitEdit(w http.ResponseWriter, r *http.Request) {
	l, err := limits.Get(s.labCtx(r), s.db, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := newForm()
	for k, v := range map[string]string{"standard": l.Standard, "clause": l.Clause, "category": l.Category,
		"item": l.Item, "comparison": string(l.Comparison), "min": l.Min, "max": l.Max, "unit": l.Unit, "lod": l.LOD,
		"method": l.Method, "note": l.Note} {
		f.Values[k] = v
	}
	if l.Rounded {
		f.Values["rounded"] = "1"
	}
	if l.Illustrative {
		f.Values["illustrative"] = "1"
	}
	s.renderLimitForm(w, r, http.StatusOK, l.ID, f)
}

func (s *Server) labLimitUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	id := r.PathValue("id")
	if _, err := limits.Get(ctx, s.db, id); err != nil {
		s.pageError(w, r, err)
		return
	}
	f := formFrom(r, labLimitFields...)
	l := limitFromForm(f)
	l.ID = id
	if _, err := limits.Update(ctx, s.db, l); err != nil {
		if !s.labFormError(r, f, err) {
			s.pageError(w, r, err)
			return
		}
		s.renderLimitForm(w, r, http.StatusUnprocessableEntity, id, f)
		return
	}
	http.Redirect(w, r, "/lab/limits?saved=1&q="+url.QueryEscape(f.Values["item"]), http.StatusSeeOther)
}

func (s *Server) labLimitDelete(w http.ResponseWriter, r *http.Request) {
	if err := limits.Delete(s.labCtx(r), s.db, r.PathValue("id")); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/lab/limits?deleted=1", http.StatusSeeOther)
}

func (s *Server) renderLimitImport(w http.ResponseWriter, r *http.Request, status int, data map[string]any) {
	data["MaxRows"] = limits.MaxImportRows
	v := s.newView(r, "lab.limits.import", data)
	s.render(w, r, status, "lab_limits_import", v)
}

func (s *Server) labLimitImportPage(w http.ResponseWriter, r *http.Request) {
	s.renderLimitImport(w, r, http.StatusOK, map[string]any{})
}

func (s *Server) labLimitTemplate(w http.ResponseWriter, r *http.Request) {
	b, err := limits.Template(langFrom(r.Context()))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.sendXLSX(w, r, "limits-template", func(w http.ResponseWriter) error {
		_, err := w.Write(b)
		return err
	})
}

func (s *Server) labLimitImport(w http.ResponseWriter, r *http.Request) {
	ctx := s.labCtx(r)
	r.Body = http.MaxBytesReader(w, r.Body, limits.MaxImportBytes+1<<20)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		key := "lab.import.no_file"
		if errors.As(err, &tooBig) {
			key = "import.too_big"
		}
		s.renderLimitImport(w, r, http.StatusUnprocessableEntity, map[string]any{"Error": s.t(r, key, "max", limits.MaxImportBytes>>20)})
		return
	}
	defer file.Close()
	report, err := limits.Import(ctx, s.db, file, hdr.Size, langFrom(ctx))
	status := http.StatusOK
	if err != nil {
		if _, ok := fielderr.As(err); !ok {
			s.pageError(w, r, err)
			return
		}
		status = http.StatusUnprocessableEntity
	}
	s.renderLimitImport(w, r, status, map[string]any{"Report": report, "FileName": hdr.Filename})
}
