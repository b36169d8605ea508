package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/plan"
)

func (s *Server) registerBulletinRoutes() {
	read, write := auth.PermPlanRead, auth.PermPlanWrite
	s.handle("GET /bulletins", read, s.bulletinList)
	s.handle("POST /bulletins", write, s.bulletinCreate)
	// One pattern serves the page and, with ".xlsx" on the ID, the workbook.
	s.handle("GET /bulletins/{id}", read, s.bulletinShow)
	s.handle("POST /bulletins/{id}", write, s.bulletinUpdate)
	s.handle("POST /bulletins/{id}/publish", write, s.bulletinPublish)
	s.handle("POST /bulletins/{id}/revise", write, s.bulletinRevise)
	s.handle("POST /bulletins/{id}/recompute", write, s.bulletinRecompute)

	s.handle("POST /api/v1/bulletins", write, apiCreate(s, "/api/v1/bulletins", plan.GenerateBulletin,
		func(b *plan.Bulletin) string { return b.ID }))
	s.handle("GET /api/v1/bulletins/{id}", read, apiGet(s, plan.GetBulletin))
}

func (s *Server) bulletinList(w http.ResponseWriter, r *http.Request) {
	s.renderBulletins(w, r, http.StatusOK, newForm())
}

func (s *Server) renderBulletins(w http.ResponseWriter, r *http.Request, status int, f *form) {
	ctx := r.Context()
	u := userFrom(ctx)
	list, err := plan.ListBulletins(ctx, s.db, u, plan.BulletinFilter{PlanID: r.URL.Query().Get("plan")})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	plans, err := plan.ListPlans(ctx, s.db, u, "", 0)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if f.Values["to"] == "" {
		today := s.today()
		f.Values["to"] = today.Format("2006-01-02")
		f.Values["from"] = today.AddDate(0, -1, 0).Format("2006-01-02")
		if len(plans) > 0 {
			f.Values["plan"] = plans[0].ID
		}
	}
	v := s.newView(r, "bulletins.title", map[string]any{"Items": list, "Plans": plans})
	v.Form = f
	s.render(w, r, status, "bulletins", v)
}

func (s *Server) bulletinCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "plan", "from", "to", "title", "doc_number")
	b, err := plan.GenerateBulletin(r.Context(), s.db, userFrom(r.Context()), plan.BulletinInput{PlanID: f.Values["plan"],
		From: f.Values["from"], To: f.Values["to"], Title: f.Values["title"], DocNumber: f.Values["doc_number"]})
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderBulletins(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, "/bulletins/"+b.ID, http.StatusSeeOther)
}

func (s *Server) bulletinShow(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if base, ok := strings.CutSuffix(id, ".xlsx"); ok {
		s.bulletinExport(w, r, base)
		return
	}
	s.renderBulletin(w, r, http.StatusOK, newForm(), id)
}

func (s *Server) bulletinExport(w http.ResponseWriter, r *http.Request, id string) {
	b, err := plan.GetBulletin(r.Context(), s.db, userFrom(r.Context()), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.sendXLSX(w, r, "bulletin-"+b.To, func(w http.ResponseWriter) error {
		return plan.ExportBulletin(w, b, langFrom(r.Context()))
	})
}

// chartOption is an ECharts option for a bulletin chart, passed to the page
// as JSON in a data attribute (the CSP allows no inline script).
func chartOption(b *plan.Bulletin, kind, lang string, v *view) string {
	if b.Data == nil {
		return ""
	}
	var opt map[string]any
	switch kind {
	case plan.ChartDepartments:
		var names []string
		var progress, done []float64
		for _, d := range b.Data.Departments {
			names = append(names, d.DisplayName(lang))
			progress = append(progress, d.Progress)
			done = append(done, d.DoneRate)
		}
		opt = map[string]any{
			"tooltip": map[string]any{"trigger": "axis"},
			"legend":  map[string]any{"data": []string{v.T("bulletin.chart.progress"), v.T("bulletin.chart.done_rate")}},
			"grid":    map[string]any{"left": 8, "right": 16, "top": 32, "bottom": 8, "containLabel": true},
			"xAxis":   map[string]any{"type": "value", "max": 100},
			"yAxis":   map[string]any{"type": "category", "data": names, "inverse": true},
			"series": []map[string]any{
				{"name": v.T("bulletin.chart.progress"), "type": "bar", "data": progress, "itemStyle": map[string]any{"color": "#b4232a"}},
				{"name": v.T("bulletin.chart.done_rate"), "type": "bar", "data": done, "itemStyle": map[string]any{"color": "#1a7f37"}},
			},
		}
	case plan.ChartTrend:
		var days []string
		var progress, done []float64
		for _, p := range b.Data.Trend {
			days = append(days, p.Day)
			progress = append(progress, p.Progress)
			done = append(done, p.DoneRate)
		}
		opt = map[string]any{
			"tooltip": map[string]any{"trigger": "axis"},
			"legend":  map[string]any{"data": []string{v.T("bulletin.chart.progress"), v.T("bulletin.chart.done_rate")}},
			"grid":    map[string]any{"left": 8, "right": 16, "top": 32, "bottom": 8, "containLabel": true},
			"xAxis":   map[string]any{"type": "category", "data": days},
			"yAxis":   map[string]any{"type": "value", "max": 100},
			"series": []map[string]any{
				{"name": v.T("bulletin.chart.progress"), "type": "line", "data": progress, "itemStyle": map[string]any{"color": "#b4232a"}},
				{"name": v.T("bulletin.chart.done_rate"), "type": "line", "data": done, "itemStyle": map[string]any{"color": "#1a7f37"}},
			},
		}
	}
	out, _ := json.Marshal(opt)
	return string(out)
}

func (s *Server) renderBulletin(w http.ResponseWriter, r *http.Request, status int, f *form, id string) {
	ctx := r.Context()
	u := userFrom(ctx)
	b, err := plan.GetBulletin(ctx, s.db, u, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	lang := langFrom(ctx)
	v := s.newView(r, "bulletins.title", nil)
	v.Title = b.Title
	v.Charts = true
	// The printed page draws its charts as server-made SVG, so paper needs
	// no script; plan.BulletinChartSVG escapes every label it writes.
	v.Data = map[string]any{"B": b, "CanWrite": u.Can(auth.PermPlanWrite) && b.Status == "draft",
		"CanRevise":   u.Can(auth.PermPlanWrite) && b.Status == "published" && b.SupersededBy == "",
		"DeptChart":   chartOption(b, plan.ChartDepartments, lang, v),
		"TrendChart":  chartOption(b, plan.ChartTrend, lang, v),
		"DeptSVG":     template.HTML(plan.BulletinChartSVG(b, plan.ChartDepartments, lang)),
		"TrendSVG":    template.HTML(plan.BulletinChartSVG(b, plan.ChartTrend, lang)),
		"Explanation": func(row plan.BulletinRow) string { return row.Explanation(lang) }}
	if f.Values["narrative"] == "" && b.Status == "draft" {
		f.Values = map[string]string{"title": b.Title, "doc_number": b.DocNumber, "issuer": b.Issuer,
			"issued_on": b.IssuedOn, "narrative": b.Narrative}
	}
	v.Form = f
	if r.URL.Query().Get("saved") == "1" {
		v.Flash = v.T("form.saved")
	}
	s.render(w, r, status, "bulletin", v)
}

func (s *Server) bulletinUpdate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "title", "doc_number", "issuer", "issued_on", "narrative")
	p := plan.BulletinPatch{Title: ptr(f.Values["title"]), DocNumber: ptr(f.Values["doc_number"]), Issuer: ptr(f.Values["issuer"]),
		IssuedOn: ptr(f.Values["issued_on"]), Narrative: ptr(f.Values["narrative"])}
	s.bulletinAction(w, r, f, func() (*plan.Bulletin, error) {
		return plan.UpdateBulletinDraft(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"), p)
	})
}

// bulletinAction runs a change and shows the bulletin it leaves, or the
// refusal beside the fields.
func (s *Server) bulletinAction(w http.ResponseWriter, r *http.Request, f *form, act func() (*plan.Bulletin, error)) {
	b, err := act()
	if err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.renderBulletin(w, r, http.StatusUnprocessableEntity, f, r.PathValue("id"))
		return
	}
	http.Redirect(w, r, "/bulletins/"+b.ID+"?saved=1", http.StatusSeeOther)
}

func (s *Server) bulletinPublish(w http.ResponseWriter, r *http.Request) {
	s.bulletinAction(w, r, newForm(), func() (*plan.Bulletin, error) {
		return plan.PublishBulletin(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	})
}

func (s *Server) bulletinRevise(w http.ResponseWriter, r *http.Request) {
	s.bulletinAction(w, r, newForm(), func() (*plan.Bulletin, error) {
		return plan.ReviseBulletin(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	})
}

func (s *Server) bulletinRecompute(w http.ResponseWriter, r *http.Request) {
	s.bulletinAction(w, r, newForm(), func() (*plan.Bulletin, error) {
		return plan.RecomputeBulletin(r.Context(), s.db, userFrom(r.Context()), r.PathValue("id"))
	})
}
