package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestSessionStore(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		st := auth.NewSessionStore(db)
		now := time.Now()

		if _, found, err := st.FindCtx(ctx, "nope"); found || err != nil {
			t.Fatalf("unknown token: %v %v", found, err)
		}
		if err := st.CommitCtx(ctx, "tok1", []byte("one"), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.Commit("tok1", []byte{0, 1, 2, 255}, now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		b, found, err := st.Find("tok1")
		if err != nil || !found || string(b) != "\x00\x01\x02\xff" {
			t.Fatalf("find: %q %v %v", b, found, err)
		}
		if err := st.CommitCtx(ctx, "old", []byte("gone"), now.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := st.FindCtx(ctx, "old"); found {
			t.Fatal("expired session found")
		}
		all, err := st.All()
		if err != nil || len(all) != 1 || all["tok1"] == nil {
			t.Fatalf("all: %v %v", all, err)
		}

		// An hour and a half later tok1 is still live; three hours later it
		// has expired and the cleanup removes it.
		later := auth.WithClock(ctx, func() time.Time { return now.Add(90 * time.Minute) })
		if n, err := auth.DeleteExpiredSessions(later, db); err != nil || n != 1 {
			t.Fatalf("cleanup removed %d, %v; want only the expired one", n, err)
		}
		if _, found, _ := st.FindCtx(later, "tok1"); !found {
			t.Fatal("live session removed")
		}
		muchLater := auth.WithClock(ctx, func() time.Time { return now.Add(3 * time.Hour) })
		if _, found, _ := st.FindCtx(muchLater, "tok1"); found {
			t.Fatal("session found after its expiry")
		}
		if n, err := auth.DeleteExpiredSessions(muchLater, db); err != nil || n != 1 {
			t.Fatalf("cleanup removed %d, %v", n, err)
		}

		if err := st.Commit("tok2", []byte("x"), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete("tok2"); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete("tok2"); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
		if _, found, _ := st.Find("tok2"); found {
			t.Fatal("deleted session found")
		}
	})
}

// The store behind a real scs session manager: a value put in one request
// is there in the next, a renewed token keeps the data, and destroy ends it.
func TestSessionStoreWithSCS(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		sm := scs.New()
		sm.Store = auth.NewSessionStore(db)
		mux := http.NewServeMux()
		mux.HandleFunc("/put", func(w http.ResponseWriter, r *http.Request) {
			sm.Put(r.Context(), "uid", r.URL.Query().Get("v"))
		})
		mux.HandleFunc("/renew", func(w http.ResponseWriter, r *http.Request) {
			if err := sm.RenewToken(r.Context()); err != nil {
				http.Error(w, err.Error(), 500)
			}
		})
		mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, sm.GetString(r.Context(), "uid"))
		})
		mux.HandleFunc("/destroy", func(w http.ResponseWriter, r *http.Request) {
			if err := sm.Destroy(r.Context()); err != nil {
				http.Error(w, err.Error(), 500)
			}
		})
		srv := httptest.NewServer(sm.LoadAndSave(mux))
		defer srv.Close()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		get := func(path string) string {
			t.Helper()
			res, err := c.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d %s", path, res.StatusCode, b)
			}
			return string(b)
		}
		get("/put?v=user-42")
		if got := get("/get"); got != "user-42" {
			t.Fatalf("session value %q", got)
		}
		before := count(t, db, `SELECT COUNT(*) FROM sessions`)
		get("/renew")
		if got := get("/get"); got != "user-42" {
			t.Fatalf("after renew %q", got)
		}
		if after := count(t, db, `SELECT COUNT(*) FROM sessions`); after != before {
			t.Fatalf("renew left %d sessions, had %d", after, before)
		}
		get("/destroy")
		if got := get("/get"); got != "" {
			t.Fatalf("after destroy %q", got)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM sessions`); n != 0 {
			t.Fatalf("%d sessions left after destroy", n)
		}
	})
}
