package web

import (
	"encoding/json"
	"net/http"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/trace/filing"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

// figure is one number on a home page, linking to the list behind it.
type figure struct {
	Key   string
	N     int
	Href  string
	Class string
}

// home shows each role what needs its attention, with figures counted from
// the data (every figure links to the records behind it).
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	data := map[string]any{}
	var figs []figure
	count := func(key, href, class string, n int, err error) error {
		if err == nil {
			figs = append(figs, figure{Key: key, N: n, Href: href, Class: class})
		}
		return err
	}
	var err error
	if u.Can(auth.PermRegistryRead) {
		lic := func(state string) (int, error) {
			_, n, err := registry.ListLicences(ctx, s.db, u, registry.LicenceFilter{State: state, Limit: 1})
			return n, err
		}
		_, nEnt, e1 := registry.ListEnterprises(ctx, s.db, u, registry.Filter{Limit: 1})
		_, nActive, e2 := registry.ListEnterprises(ctx, s.db, u, registry.Filter{Status: registry.StatusActive, Limit: 1})
		nExpiring, e3 := lic(registry.StateExpiring)
		nExpired, e4 := lic(registry.StateExpired)
		_, nKey, e5 := registry.ListProducts(ctx, s.db, u, registry.ProductFilter{KeyCommodity: ptr(true), Limit: 1})
		for _, e := range []error{
			count("home.enterprises", "/enterprises", "", nEnt, e1),
			count("home.active", "/enterprises?status=active", "ok", nActive, e2),
			count("home.licences_expiring", "/licences?state=expiring", "warn", nExpiring, e3),
			count("home.licences_expired", "/licences?state=expired", "bad", nExpired, e4),
			count("home.key_commodities", "/products?key_commodity=1", "", nKey, e5),
		} {
			if e != nil && err == nil {
				err = e
			}
		}
		if u.Can(auth.PermRecallWrite) {
			// The office sees recalls under way and those whose clock ran out.
			open, overdue, e := recall.DashboardFigures(ctx, s.db)
			if e == nil {
				figs = append(figs, figure{Key: "home.recalls_open", N: open, Href: "/recalls?status=open", Class: "warn"},
					figure{Key: "home.recalls_overdue", N: overdue, Href: "/recalls?status=open&light=red", Class: "bad"})
			} else if err == nil {
				err = e
			}
		}
		if filing.CanReview(u) {
			// Filings wait for whoever reviews them.
			_, waiting, e := filing.List(ctx, s.db, u, filing.Filter{Status: filing.StatusSubmitted, Limit: 1})
			if e := count("home.filings_waiting", "/filings?status="+filing.StatusSubmitted, "warn", waiting, e); e != nil && err == nil {
				err = e
			}
		}
		if err == nil && nExpiring+nExpired > 0 {
			soon, _, e := registry.ListLicences(ctx, s.db, u, registry.LicenceFilter{State: registry.StateExpiring, Limit: 8})
			err = e
			data["Expiring"] = soon
		}
	}
	if err == nil && u.Role == auth.RoleEnterprise && u.EnterpriseID != "" {
		data["Enterprise"], err = registry.GetEnterprise(ctx, s.db, u, u.EnterpriseID)
		if err == nil {
			var todo []pendingRecall
			todo, err = s.pendingRecalls(r, u)
			data["Recalls"] = todo
			if err == nil && len(todo) > 0 {
				figs = append(figs, figure{Key: "home.recalls_to_act", N: len(todo), Href: "/recalls?status=open", Class: "bad"})
			}
		}
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.programmeAtAGlance(r, u, data); err != nil {
		s.pageError(w, r, err)
		return
	}
	notes, nNotes, err := notify.List(ctx, s.db, u.ID, true, 5, 0)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	figs = append(figs, figure{Key: "home.unread", N: nNotes, Href: "/notifications?unread=1"})
	data["Figures"] = figs
	v := s.newView(r, "home.title", data)
	if dash, ok := data["Dashboard"].(*plan.BulletinData); ok && dash != nil {
		v.Charts = true
		data["LightsChart"] = lightsChart(dash, v)
		data["TrendChart"] = chartOption(&plan.Bulletin{Data: dash}, plan.ChartTrend, v.Lang, v)
	}
	items := make([]notificationView, 0, len(notes))
	for _, n := range notes {
		items = append(items, s.notificationView(v.Lang, n))
	}
	data["Notes"] = items
	s.render(w, r, http.StatusOK, "home", v)
}

// programmeAtAGlance adds the year's programme to the home page: for the
// office the dashboard of the current plan (completion, lights by
// department, overdue tasks, trend), for a department its own tasks.
func (s *Server) programmeAtAGlance(r *http.Request, u *auth.User, data map[string]any) error {
	if !u.Can(auth.PermPlanRead) {
		return nil
	}
	ctx := r.Context()
	plans, err := plan.ListPlans(ctx, s.db, u, "", 0)
	if err != nil {
		return err
	}
	var current *plan.Plan
	for i := range plans {
		if plans[i].Status == plan.PlanPublished && (current == nil || plans[i].Year > current.Year) {
			current = &plans[i]
		}
	}
	if current == nil {
		return nil
	}
	data["Plan"] = current
	summary, err := plan.Summarize(ctx, s.db, u, "", s.cfg.Now())
	if err != nil {
		return err
	}
	data["Summary"] = summary
	overdue, _, err := plan.ListTasks(ctx, s.db, u, plan.Filter{PlanID: current.ID, Overdue: true, Today: s.today(), Limit: 10})
	if err != nil {
		return err
	}
	data["Overdue"] = overdue
	if u.Role == auth.RoleAdmin {
		dash, err := plan.Dashboard(ctx, s.db, u, current.ID, s.cfg.Now())
		if err != nil {
			return err
		}
		data["Dashboard"] = dash
	}
	return nil
}

// lightsChart stacks each department's tasks by light.
func lightsChart(d *plan.BulletinData, v *view) string {
	var names []string
	done, green, yellow, red := []int{}, []int{}, []int{}, []int{}
	for _, dep := range d.Departments {
		names = append(names, dep.DisplayName(v.Lang))
		done, green, yellow, red = append(done, dep.Done), append(green, dep.Green), append(yellow, dep.Yellow), append(red, dep.Red)
	}
	series := func(key, color string, vals []int) map[string]any {
		return map[string]any{"name": v.T(key), "type": "bar", "stack": "all", "data": vals, "itemStyle": map[string]any{"color": color}}
	}
	opt := map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{},
		"grid":    map[string]any{"left": 8, "right": 16, "top": 32, "bottom": 8, "containLabel": true},
		"xAxis":   map[string]any{"type": "value", "minInterval": 1},
		"yAxis":   map[string]any{"type": "category", "data": names, "inverse": true},
		"series": []map[string]any{series("bulletin.standing.done", "#5f6b76", done), series("light.green", "#1a7f37", green),
			series("light.yellow", "#e0a800", yellow), series("light.red", "#c62828", red)},
	}
	b, _ := json.Marshal(opt)
	return string(b)
}

// pendingRecall is a recall an enterprise holds goods of and has not yet
// finished its part of.
type pendingRecall struct {
	Recall *recall.Recall
	Holder recall.Holder
}

// pendingRecalls lists the open recalls in which the enterprise user's
// enterprise is a holder whose part is not done, most urgent first (as the
// recall list orders them: newest first), for its home page.
func (s *Server) pendingRecalls(r *http.Request, u *auth.User) ([]pendingRecall, error) {
	if !u.Can(auth.PermTraceRead) {
		return nil, nil
	}
	open, _, err := recall.List(r.Context(), s.db, u, recall.Filter{Status: recall.StatusOpen, Limit: 20})
	if err != nil {
		return nil, err
	}
	var out []pendingRecall
	for _, o := range open {
		rc, err := recall.Get(r.Context(), s.db, u, o.ID)
		if err != nil {
			return nil, err
		}
		for _, h := range rc.Parties {
			if h.EnterpriseID == u.EnterpriseID && h.Status != recall.HolderDone {
				out = append(out, pendingRecall{Recall: rc, Holder: h})
			}
		}
	}
	return out, nil
}
