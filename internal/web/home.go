package web

import (
	"net/http"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/registry"
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
		if err == nil && nExpiring+nExpired > 0 {
			soon, _, e := registry.ListLicences(ctx, s.db, u, registry.LicenceFilter{State: registry.StateExpiring, Limit: 8})
			err = e
			data["Expiring"] = soon
		}
	}
	if err == nil && u.Role == auth.RoleEnterprise && u.EnterpriseID != "" {
		data["Enterprise"], err = registry.GetEnterprise(ctx, s.db, u, u.EnterpriseID)
	}
	if err != nil {
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
	items := make([]notificationView, 0, len(notes))
	for _, n := range notes {
		items = append(items, s.notificationView(v.Lang, n))
	}
	data["Notes"] = items
	s.render(w, r, http.StatusOK, "home", v)
}
