package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/trace/subscribe"
)

// MaxLiveSubscriptions bounds the WebSocket subscriptions one server holds
// open at once; each polls the database about once a second.
const MaxLiveSubscriptions = 256

// liveWriteTimeout bounds one message to a live subscriber: a client that
// stops reading is let go rather than held.
const liveWriteTimeout = 30 * time.Second

// isWebSocket reports whether r asks to switch to WebSocket.
func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade")
}

// LiveSubscriptions is the deliverer behind WebSocket subscriptions, for
// tuning (how far behind the present a window ends, how often it polls).
func (s *Server) LiveSubscriptions() *subscribe.Deliverer { return s.live }

// Close ends every WebSocket subscription (with "going away") and waits
// for them to let go of the database. The HTTP server's Shutdown does not
// know of these connections once they have switched protocols.
func (s *Server) Close() {
	s.liveMu.Lock()
	s.liveStop()
	s.liveMu.Unlock()
	s.liveWG.Wait()
}

// liveBegin counts a live subscription in, unless the server is closing.
func (s *Server) liveBegin() bool {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	if s.liveCtx.Err() != nil {
		return false
	}
	s.liveWG.Add(1)
	return true
}

// epcisQueryLive subscribes the client to a named query over a WebSocket
// (the REST binding's GET /queries/{name}/events with Upgrade: websocket and
// stream=true or a schedule). Bad parameters, an unknown query and a full
// server are answered over HTTP, before the switch; afterwards each page of
// results is one text message holding an EPCISQueryDocument.
func (s *Server) epcisQueryLive(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(ctx)
	l, err := subscribe.OpenLive(ctx, s.db, ownerOf(u), r.PathValue("queryName"), r.URL.Query(), r.Header.Get("GS1-EPC-Format"), time.Now())
	if err != nil {
		s.epcisSubscribeFail(w, r, err)
		return
	}
	if s.liveCount.Add(1) > MaxLiveSubscriptions || !s.liveBegin() {
		s.liveCount.Add(-1)
		w.Header().Set("Retry-After", "60")
		s.epcisProblem(w, r, http.StatusServiceUnavailable, "ImplementationException", "epcis.error.live_full", nil)
		return
	}
	defer s.liveWG.Done()
	defer s.liveCount.Add(-1)
	allowed := s.stillAllowed(r, u)
	// The server's read and write deadlines are for requests; this
	// connection lasts as long as the subscription.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	// Accept refuses a browser page of another site (its Origin must be
	// this host, or the public address): a session cookie must not open a
	// subscription for someone else's page.
	opts := &websocket.AcceptOptions{}
	if s.cfg.PublicURL != "" {
		if pu, err := url.Parse(s.cfg.PublicURL); err == nil {
			opts.OriginPatterns = []string{pu.Host}
		}
	}
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		return // Accept has answered
	}
	defer c.CloseNow()
	// The subscription ends when the client closes (CloseRead), or when the
	// server closes.
	live, stop := context.WithCancel(c.CloseRead(context.WithoutCancel(ctx)))
	defer stop()
	go func() {
		select {
		case <-s.liveCtx.Done():
			stop()
		case <-live.Done():
		}
	}()
	err = s.live.RunLive(live, l, allowed, func(ctx context.Context, b []byte) error {
		ctx, cancel := context.WithTimeout(ctx, liveWriteTimeout)
		defer cancel()
		return c.Write(ctx, websocket.MessageText, b)
	})
	switch {
	case errors.Is(err, subscribe.ErrNoQuery):
		_ = c.Close(websocket.StatusNormalClosure, "NoSuchNameException: the query was deleted")
	case errors.Is(err, errNotAllowed):
		_ = c.Close(websocket.StatusPolicyViolation, "SecurityException: no longer allowed")
	case s.liveCtx.Err() != nil:
		_ = c.Close(websocket.StatusGoingAway, "server stopping")
	case live.Err() != nil:
		// The client went away.
	default:
		s.log.Error("live subscription", "query", l.QueryName, "subscription", l.ID, "err", err)
		_ = c.Close(websocket.StatusInternalError, "ImplementationException")
	}
}

var errNotAllowed = errors.New("web: no longer allowed")

// stillAllowed returns the check a live subscription makes before each
// round: the account is still enabled and may still read traces, and the
// token or session it came with is still valid.
func (s *Server) stillAllowed(r *http.Request, u *auth.User) func(context.Context) error {
	token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	var session string
	if c, err := r.Cookie(s.sessions.Cookie.Name); err == nil {
		session = c.Value
	}
	return func(ctx context.Context) error {
		var now *auth.User
		var err error
		if bearer {
			now, err = auth.UserForToken(ctx, s.db, strings.TrimSpace(token))
		} else {
			if _, found, ferr := s.sessions.Store.Find(session); ferr != nil || !found {
				return errors.Join(errNotAllowed, ferr)
			}
			now, err = auth.GetUser(ctx, s.db, u.ID)
		}
		if err != nil && ctx.Err() != nil {
			return err
		}
		if err != nil || now.ID != u.ID || now.Disabled || !now.Can(auth.PermTraceRead) {
			return errNotAllowed
		}
		return nil
	}
}
