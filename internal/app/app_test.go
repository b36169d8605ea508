package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// eachDSN runs fn on a fresh SQLite file and, when HALLMARK_TEST_POSTGRES is
// set, on an empty PostgreSQL schema: the two databases a site can run on.
func eachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, filepath.Join(t.TempDir(), "hallmark.db"))
	})
	if os.Getenv(storetest.PostgresEnv) != "" {
		t.Run("postgres", func(t *testing.T) {
			t.Parallel()
			fn(t, storetest.PostgresDSN(t))
		})
	}
}

func start(t *testing.T, o app.Options) *app.Instance {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quiet
	}
	if o.Blobs == "" {
		o.Blobs = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inst, err := app.Start(ctx, o)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return inst
}

func stop(t *testing.T, inst *app.Instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := inst.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// noRedirects lets a test see the redirect a form answers with.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp.StatusCode, string(b)
}

// signIn signs in through the sign-in form the way a browser does and
// returns a client that keeps the session cookie.
func signIn(t *testing.T, base, username, password string) (*http.Client, *http.Response) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: noRedirects, Timeout: 30 * time.Second}
	resp, err := c.PostForm(base+"/login", url.Values{"username": {username}, "password": {password}})
	if err != nil {
		t.Fatalf("sign in as %s: %v", username, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c, resp
}

// TestStartDemo starts the whole program the way `hallmark serve --demo`
// does and checks what an operator and the demo's users see first.
func TestStartDemo(t *testing.T) {
	t.Parallel()
	eachDSN(t, func(t *testing.T, dsn string) {
		inst := start(t, app.Options{Addr: "127.0.0.1:0", DB: dsn, Demo: true})
		stopped := false
		defer func() {
			if !stopped {
				stop(t, inst)
			}
		}()
		if !strings.HasPrefix(inst.URL, "http://127.0.0.1:") || strings.HasSuffix(inst.URL, ":0") {
			t.Fatalf("URL = %q, want the port the system picked on 127.0.0.1", inst.URL)
		}
		if inst.Started <= 0 {
			t.Errorf("Started = %v, want the measured start-up time", inst.Started)
		}
		anon := &http.Client{CheckRedirect: noRedirects, Timeout: 30 * time.Second}

		t.Run("healthz", func(t *testing.T) {
			code, body := get(t, anon, inst.URL+"/healthz")
			if code != http.StatusOK {
				t.Fatalf("GET /healthz = %d %s, want 200", code, body)
			}
			var h struct{ Status, Database string }
			if err := json.Unmarshal([]byte(body), &h); err != nil {
				t.Fatalf("healthz body %q: %v", body, err)
			}
			want := "sqlite"
			if strings.HasPrefix(dsn, "postgres") {
				want = "postgres"
			}
			if h.Status != "ok" || h.Database != want {
				t.Errorf("healthz = %+v, want status ok and database %s", h, want)
			}
		})

		t.Run("demo accounts sign in", func(t *testing.T) {
			code, body := get(t, anon, inst.URL+"/login")
			if code != http.StatusOK {
				t.Fatalf("GET /login = %d", code)
			}
			if !strings.Contains(body, demo.Password) {
				t.Errorf("the demo sign-in page does not show the password %q", demo.Password)
			}
			for _, u := range app.DemoAccounts() {
				if !strings.Contains(body, "<code>"+u+"</code>") {
					t.Errorf("the demo sign-in page does not list account %q", u)
				}
				c, resp := signIn(t, inst.URL, u, demo.Password)
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
					t.Errorf("sign in as %s: %d to %q, want 303 to /", u, resp.StatusCode, resp.Header.Get("Location"))
					continue
				}
				code, me := get(t, c, inst.URL+"/api/v1/me")
				var who struct {
					Username   string `json:"username"`
					RegionCode string `json:"region_code"`
				}
				if err := json.Unmarshal([]byte(me), &who); code != http.StatusOK || err != nil {
					t.Errorf("as %s, GET /api/v1/me = %d %s", u, code, me)
					continue
				}
				if who.Username != u || who.RegionCode != demo.Region {
					t.Errorf("signed in as %s, the session belongs to %+v", u, who)
				}
				if code, _ := get(t, c, inst.URL+"/"); code != http.StatusOK {
					t.Errorf("as %s, the home page answers %d", u, code)
				}
			}
			_, resp := signIn(t, inst.URL, "admin", "not-the-password")
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("a wrong password answers %d, want 401", resp.StatusCode)
			}
		})

		t.Run("metrics by route pattern", func(t *testing.T) {
			admin, resp := signIn(t, inst.URL, "admin", demo.Password)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in: %d", resp.StatusCode)
			}
			// Open one enterprise so that a path with an ID is counted.
			code, list := get(t, admin, inst.URL+"/enterprises")
			if code != http.StatusOK {
				t.Fatalf("GET /enterprises = %d", code)
			}
			m := regexp.MustCompile(`href="/enterprises/([0-9a-f-]{36})"`).FindStringSubmatch(list)
			if m == nil {
				t.Fatal("the enterprise list links to no enterprise")
			}
			id := m[1]
			if code, _ := get(t, admin, inst.URL+"/enterprises/"+id); code != http.StatusOK {
				t.Fatalf("GET /enterprises/%s = %d", id, code)
			}
			get(t, anon, inst.URL+"/healthz")

			code, body := get(t, anon, inst.URL+"/metrics")
			if code != http.StatusOK {
				t.Fatalf("GET /metrics = %d", code)
			}
			for _, want := range []string{
				`hallmark_http_requests_total{route="GET /healthz",status="200"}`,
				`hallmark_http_requests_total{route="GET /enterprises/{id}",status="200"}`,
				`hallmark_http_requests_total{route="POST /login",status="303"}`,
				`hallmark_http_request_duration_seconds_bucket{route="GET /enterprises/{id}"`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
			if strings.Contains(body, id) {
				t.Errorf("/metrics holds the raw enterprise ID %s: series must be labelled by pattern", id)
			}
			routes := regexp.MustCompile(`route="([^"]*)"`).FindAllStringSubmatch(body, -1)
			if len(routes) == 0 {
				t.Fatal("/metrics has no route label")
			}
			pattern := regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE|HEAD) /[A-Za-z0-9_./{}$-]*$`)
			uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-`)
			for _, r := range routes {
				if !pattern.MatchString(r[1]) || uuid.MatchString(r[1]) {
					t.Errorf("route label %q is not a route pattern", r[1])
				}
			}
		})

		t.Run("stop finishes a request in flight", func(t *testing.T) {
			stopped = true
			inFlightSurvivesStop(t, inst)
		})

		t.Run("demo refuses a database with data", func(t *testing.T) {
			_, err := app.Start(context.Background(), app.Options{Addr: "127.0.0.1:0", DB: dsn, Demo: true, Logger: quiet, Blobs: t.TempDir()})
			if !errors.Is(err, demo.ErrNotEmpty) {
				t.Fatalf("a second --demo start: err = %v, want demo.ErrNotEmpty", err)
			}
		})

		t.Run("data survives a restart", func(t *testing.T) {
			again := start(t, app.Options{Addr: "127.0.0.1:0", DB: dsn})
			defer stop(t, again)
			_, resp := signIn(t, again.URL, "officer", demo.Password)
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("after a restart, the demo officer cannot sign in: %d", resp.StatusCode)
			}
		})
	})
}

// inFlightSurvivesStop sends a sign-in whose body arrives slowly, stops the
// server while the handler waits for it, and checks that the sign-in still
// gets its whole answer while new connections are turned away.
func inFlightSurvivesStop(t *testing.T, inst *app.Instance) {
	t.Helper()
	host := strings.TrimPrefix(inst.URL, "http://")
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	form := url.Values{"username": {"admin"}, "password": {demo.Password}}.Encode()
	head := fmt.Sprintf("POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", host, len(form))
	half := len(form) / 2
	if _, err := io.WriteString(conn, head+form[:half]); err != nil {
		t.Fatal(err)
	}
	// Give the server time to take the request in, so the connection is
	// active rather than idle when the shutdown begins.
	time.Sleep(200 * time.Millisecond)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- inst.Stop(ctx)
	}()
	select {
	case err := <-done:
		t.Fatalf("Stop returned (%v) while a request was still being received", err)
	case <-time.After(300 * time.Millisecond):
	}
	if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		c.Close()
		t.Error("the stopping server still accepts new connections")
	}

	if _, err := io.WriteString(conn, form[half:]); err != nil {
		t.Fatalf("finish the request body: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !hasCookie(resp, "hallmark_session") {
		t.Errorf("the sign-in in flight answered %d (cookies %v), want 303 with a session", resp.StatusCode, resp.Cookies())
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Stop: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("Stop did not return after the request finished")
	}
}

func hasCookie(resp *http.Response, name string) bool {
	for _, c := range resp.Cookies() {
		if c.Name == name && c.Value != "" {
			return true
		}
	}
	return false
}

// TestStartFailsCleanly checks that a start that cannot listen says why and
// leaves the database free for the next start.
func TestStartFailsCleanly(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dbPath := filepath.Join(t.TempDir(), "hallmark.db")
	_, err = app.Start(context.Background(), app.Options{Addr: ln.Addr().String(), DB: dbPath, Logger: quiet, Blobs: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("start on a taken port: err = %v, want one naming %s", err, ln.Addr())
	}
	inst := start(t, app.Options{Addr: "127.0.0.1:0", DB: dbPath})
	stop(t, inst)
}

// BenchmarkStartDemo measures what `hallmark serve --demo` costs from start
// to accepting connections: opening and migrating a new database, loading
// the demo banner through the domain packages and starting the server.
func BenchmarkStartDemo(b *testing.B) {
	bench := func(b *testing.B, newDSN func() string) {
		var started time.Duration
		n := 0
		for b.Loop() {
			b.StopTimer()
			dsn := newDSN()
			b.StartTimer()
			inst, err := app.Start(context.Background(), app.Options{Addr: "127.0.0.1:0", DB: dsn, Demo: true, Logger: quiet, Blobs: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			started += inst.Started
			n++
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			if err := inst.Stop(ctx); err != nil {
				b.Error(err)
			}
			cancel()
			b.StartTimer()
		}
		b.ReportMetric(float64(started.Milliseconds())/float64(n), "ms/start")
	}
	b.Run("sqlite", func(b *testing.B) {
		dir := b.TempDir()
		i := 0
		bench(b, func() string {
			i++
			return filepath.Join(dir, fmt.Sprintf("hallmark-%d.db", i))
		})
	})
	if os.Getenv(storetest.PostgresEnv) != "" {
		b.Run("postgres", func(b *testing.B) {
			bench(b, func() string { return storetest.PostgresDSN(b) })
		})
	}
}
