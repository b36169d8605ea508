package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/locales"
)

func (s *Server) unreadCount(r *http.Request, u *auth.User) int {
	n, err := notify.UnreadCount(r.Context(), s.db, u.ID)
	if err != nil {
		s.log.Warn("unread count", "err", err)
	}
	return n
}

// notificationView is a notification rendered in the reader's language.
type notificationView struct {
	ID        string
	Message   string
	Link      string
	CreatedAt int64
	Read      bool
}

func (s *Server) notificationView(lang string, n notify.Notification) notificationView {
	params := make(map[string]any, len(n.Params))
	for k, v := range n.Params {
		params[k] = v
	}
	// Licence notices carry the kind's code (SC, JY …); readers see its name.
	if kind, ok := n.Params["kind"]; ok && strings.HasPrefix(n.Kind, "licence.") && locales.Has("licence.kind."+kind) {
		params["kind"] = locales.T(lang, "licence.kind."+kind, nil)
	}
	return notificationView{ID: n.ID, Message: locales.T(lang, "notify."+n.Kind, params),
		Link: n.Link, CreatedAt: n.CreatedAt, Read: n.ReadAt != 0}
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	lang := langFrom(r.Context())
	pg := pageOf(r, 20)
	unread := r.URL.Query().Get("unread") == "1"
	list, total, err := notify.List(r.Context(), s.db, u.ID, unread, pg.Limit, pg.Offset)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	items := make([]notificationView, 0, len(list))
	for _, n := range list {
		items = append(items, s.notificationView(lang, n))
	}
	pg.Total = total
	v := s.newView(r, "notifications.title", map[string]any{"Items": items, "Page": pg, "Unread": unread})
	s.render(w, r, http.StatusOK, "notifications", v)
}

// notificationBell is the htmx fragment that refreshes the bell's count.
func (s *Server) notificationBell(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "notifications.title", nil)
	s.render(w, r, http.StatusOK, "bell", v)
}

func (s *Server) notificationRead(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if err := notify.MarkRead(r.Context(), s.db, u.ID, r.PathValue("id")); err != nil {
		s.pageError(w, r, err)
		return
	}
	if link := r.PostFormValue("go"); link != "" {
		http.Redirect(w, r, safeNext(link), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

func (s *Server) notificationsReadAll(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if err := notify.MarkAllRead(r.Context(), s.db, u.ID); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

// page is a list page's position: what the request asked for, and the total
// once known.
type page struct {
	Limit  int
	Offset int
	Total  int
	// Query is the request's query without the offset, for building links.
	Query string
}

func pageOf(r *http.Request, defaultLimit int) page {
	q := r.URL.Query()
	p := page{Limit: defaultLimit}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n <= 200 {
		p.Limit = n
	}
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 0 {
		p.Offset = n
	}
	q.Del("offset")
	p.Query = q.Encode()
	return p
}

func (p page) HasPrev() bool { return p.Offset > 0 }
func (p page) HasNext() bool { return p.Offset+p.Limit < p.Total }
func (p page) Prev() int     { return max(0, p.Offset-p.Limit) }
func (p page) Next() int     { return p.Offset + p.Limit }
func (p page) From() int {
	if p.Total == 0 {
		return 0
	}
	return p.Offset + 1
}
func (p page) To() int { return min(p.Total, p.Offset+p.Limit) }

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pg := pageOf(r, 50)
	f := audit.Filter{Entity: q.Get("entity"), EntityID: q.Get("entity_id"), ActorID: q.Get("actor"),
		Action: q.Get("action"), Limit: pg.Limit, Offset: pg.Offset}
	if t, ok := parseDay(q.Get("from")); ok {
		f.From = t.UnixMilli()
	}
	if t, ok := parseDay(q.Get("to")); ok {
		f.To = t.AddDate(0, 0, 1).UnixMilli() - 1
	}
	records, total, err := audit.List(r.Context(), s.db, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	pg.Total = total
	v := s.newView(r, "audit.title", map[string]any{"Records": records, "Page": pg, "Filter": q})
	s.render(w, r, http.StatusOK, "audit", v)
}
