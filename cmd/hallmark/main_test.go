package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/locales"
)

// stdinMu serialises the commands that read the package's stdin, since
// tests run in parallel and stdin is one variable.
var stdinMu sync.Mutex

// hallmark runs the command line in-process, as `hallmark args…` with input
// on standard input, and returns the exit code and both outputs.
func hallmark(t *testing.T, input string, args ...string) (code int, out, errOut string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return hallmarkCtx(ctx, input, args...)
}

func hallmarkCtx(ctx context.Context, input string, args ...string) (code int, out, errOut string) {
	var o, e syncBuffer
	if len(args) > 0 && args[0] == "user" {
		stdinMu.Lock()
		defer stdinMu.Unlock()
		stdin = strings.NewReader(input)
	}
	code = run(ctx, args, &o, &e)
	return code, o.String(), e.String()
}

// syncBuffer is an output that a running server writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eachDB runs fn on a new SQLite file and, when HALLMARK_TEST_POSTGRES is
// set, on an empty PostgreSQL schema.
func eachDB(t *testing.T, fn func(t *testing.T, dsn string)) {
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

func isPostgres(dsn string) bool { return strings.HasPrefix(dsn, "postgres") }

func openDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := app.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// seedPlace gives a new database the banner and one department, which an
// account needs. The command line has no way to do this yet, so the test
// uses the domain packages.
func seedPlace(t *testing.T, dsn string) (deptID string) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "setup", Name: "test setup"})
	db, err := app.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := registry.SeedRegions(ctx, db); err != nil {
		t.Fatal(err)
	}
	office := &auth.User{ID: "setup", Username: "setup", Role: auth.RoleAdmin, RegionCode: "152923"}
	d, err := registry.CreateDepartment(ctx, db, office, registry.DepartmentInput{
		RegionCode: "152923", Name: "额济纳旗市场监督管理局", ShortName: "市场监管局", IsOffice: true})
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := hallmark(t, "", "version")
	if code != 0 || out != "hallmark "+version+"\n" {
		t.Errorf("version: %d %q", code, out)
	}
	for _, help := range []string{"help", "-h", "--help"} {
		code, out, _ := hallmark(t, "", help)
		if code != 0 {
			t.Errorf("hallmark %s exits %d, want 0", help, code)
		}
		for _, c := range commands() {
			if !strings.Contains(out, "  "+c.name+" ") {
				t.Errorf("hallmark %s does not list the command %s:\n%s", help, c.name, out)
			}
		}
	}
}

func TestUsageMistakesExit2(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hallmark.db")
	code, out, errOut := hallmark(t, "", "frobnicate")
	if code != 2 || out != "" || !strings.Contains(errOut, `unknown command "frobnicate"`) || !strings.Contains(errOut, "Commands:") {
		t.Errorf("unknown command: exit %d, out %q, err %q; want 2 with the usage on stderr", code, out, errOut)
	}
	for _, args := range [][]string{
		{"user"},
		{"user", "frob", "--db", filepath.Join(t.TempDir(), "other.db")},
		{"audit"},
		{"audit", "check"},
		{"backup", "--db", db},
		{"gen", "--db", db},
		{"serve", "--no-such-flag"},
	} {
		if code, _, errOut := hallmark(t, "", args...); code != 2 || errOut == "" {
			t.Errorf("hallmark %s: exit %d, stderr %q; want 2 and a hint", strings.Join(args, " "), code, errOut)
		}
	}
	// A mistake on the command line must not create a database.
	if _, err := os.Stat(db); err == nil {
		t.Errorf("a usage mistake created %s", db)
	}
}

var versionLine = regexp.MustCompile(`^database at version (\d+) \(latest (\d+)\)\n$`)

func TestMigrate(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dsn string) {
		for range 2 { // a second run finds nothing to do and says the same
			code, out, errOut := hallmark(t, "", "migrate", "--db", dsn)
			m := versionLine.FindStringSubmatch(out)
			if code != 0 || m == nil {
				t.Fatalf("migrate: exit %d, out %q, err %q", code, out, errOut)
			}
			if m[1] != m[2] || m[1] == "0" {
				t.Errorf("migrate left the database at %s of %s", m[1], m[2])
			}
		}
	})
}

func TestUserCommands(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dsn string) {
		dept := seedPlace(t, dsn)

		code, out, errOut := hallmark(t, "first-pass-1\n", "user", "add", "--db", dsn, "--username", "Alice",
			"--name", "王主任", "--role", "admin", "--department", dept, "--password-stdin")
		if code != 0 || !strings.HasPrefix(out, "added alice (admin), id ") {
			t.Fatalf("user add: exit %d, out %q, err %q", code, out, errOut)
		}
		if strings.Contains(errOut, "password:") {
			t.Errorf("--password-stdin still prompts: %q", errOut)
		}

		// Without --password-stdin the command asks on stderr, and reads
		// the answer from standard input all the same.
		code, _, errOut = hallmark(t, "expert-pass-1\n", "user", "add", "--db", dsn, "--username", "zhao",
			"--role", "expert")
		if code != 0 || !strings.HasPrefix(errOut, "password: ") {
			t.Fatalf("user add with a prompt: exit %d, err %q", code, errOut)
		}

		// An institution account names a registered institution.
		code, _, errOut = hallmark(t, "tester-pass-1\n", "user", "add", "--db", dsn, "--username", "tester",
			"--role", "institution", "--institution", "no-such-institution", "--password-stdin")
		if code == 0 || !strings.Contains(errOut, "--institution: ") {
			t.Fatalf("user add for an unknown institution: exit %d, err %q", code, errOut)
		}

		code, out, _ = hallmark(t, "", "user", "list", "--db", dsn)
		if code != 0 || !strings.Contains(out, "2 users") {
			t.Fatalf("user list: exit %d, out %q", code, out)
		}
		row := regexp.MustCompile(`(?m)^alice\s+王主任\s+admin\s+152923\s+false\s+\S+$`)
		if !row.MatchString(out) {
			t.Errorf("user list does not show alice as an admin of 152923:\n%s", out)
		}
		if _, out, _ := hallmark(t, "", "user", "list", "--db", dsn, "--role", "expert"); !strings.Contains(out, "zhao") || strings.Contains(out, "alice") || !strings.Contains(out, "1 users") {
			t.Errorf("user list --role expert:\n%s", out)
		}

		db := openDB(t, dsn)
		ctx := context.Background()
		if _, err := auth.Authenticate(ctx, db, "alice", "first-pass-1", "192.0.2.1"); err != nil {
			t.Fatalf("the password given to user add does not sign in: %v", err)
		}

		code, out, errOut = hallmark(t, "second-pass-2\n", "user", "passwd", "--db", dsn, "--username", "alice", "--password-stdin")
		if code != 0 || out != "password of alice set\n" {
			t.Fatalf("user passwd: exit %d, out %q, err %q", code, out, errOut)
		}
		if _, err := auth.Authenticate(ctx, db, "alice", "second-pass-2", "192.0.2.1"); err != nil {
			t.Errorf("the new password does not sign in: %v", err)
		}
		if _, err := auth.Authenticate(ctx, db, "alice", "first-pass-1", "192.0.2.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("the old password: err = %v, want bad credentials", err)
		}

		users := count(t, db, "users")
		audits := count(t, db, "audit_log")
		for _, c := range []struct {
			input string
			args  []string
			want  []string // what stderr must say
		}{
			{"boss-pass-12\n", []string{"add", "--username", "bob", "--role", "boss"},
				[]string{"--role: " + locales.T(locales.EN, "rule.role.invalid", nil)}},
			{"short\n", []string{"add", "--username", "carol", "--role", "expert"},
				[]string{"--password: " + locales.T(locales.EN, "rule.password.short", map[string]any{"min": auth.PasswordMin})}},
			{"officer-pass-1\n", []string{"add", "--username", "dave", "--role", "officer"},
				[]string{"--department: " + locales.T(locales.EN, "rule.required", nil)}},
			{"officer-pass-1\n", []string{"add", "--username", "erin", "--role", "expert", "--region", "999999"},
				[]string{"--region: " + locales.T(locales.EN, "rule.region.unknown", nil)}},
			{"another-pass-1\n", []string{"add", "--username", "ALICE", "--role", "expert"},
				[]string{"--username: " + locales.T(locales.EN, "rule.username.taken", nil)}},
			{"third-pass-33\n", []string{"passwd", "--username", "nobody", "--password-stdin"},
				[]string{`no user "nobody"`}},
			{"tiny\n", []string{"passwd", "--username", "alice", "--password-stdin"},
				[]string{locales.T(locales.EN, "rule.password.short", map[string]any{"min": auth.PasswordMin})}},
		} {
			args := append([]string{"user", c.args[0], "--db", dsn}, c.args[1:]...)
			code, out, errOut := hallmark(t, c.input, args...)
			if code == 0 || out != "" {
				t.Errorf("hallmark %s: exit %d, out %q; want a failure", strings.Join(c.args, " "), code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("hallmark %s: stderr %q does not say %q", strings.Join(c.args, " "), errOut, w)
				}
			}
		}
		if n := count(t, db, "users"); n != users {
			t.Errorf("refused commands changed the accounts: %d, was %d", n, users)
		}
		if n := count(t, db, "audit_log"); n != audits {
			t.Errorf("refused commands wrote %d audit records", n-audits)
		}
		if _, err := auth.Authenticate(ctx, db, "alice", "second-pass-2", "192.0.2.2"); err != nil {
			t.Errorf("a refused password change broke the password: %v", err)
		}
	})
}

func TestAuditVerify(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dsn string) {
		dept := seedPlace(t, dsn)
		for _, name := range []string{"alice", "bruce", "carol"} {
			if code, _, errOut := hallmark(t, "long-enough-1\n", "user", "add", "--db", dsn, "--username", name,
				"--role", "officer", "--department", dept, "--password-stdin"); code != 0 {
				t.Fatalf("user add %s: %s", name, errOut)
			}
		}
		db := openDB(t, dsn)
		n := count(t, db, "audit_log")
		if n < 4 {
			t.Fatalf("only %d audit records after a department and three accounts", n)
		}
		code, out, errOut := hallmark(t, "", "audit", "verify", "--db", dsn)
		if code != 0 || out != "audit chain intact: "+strconv.Itoa(n)+" records\n" {
			t.Fatalf("audit verify on an intact chain: exit %d, out %q, err %q", code, out, errOut)
		}

		// Someone with database access rewrites who made one record.
		seq := n/2 + 1
		res, err := db.Exec(context.Background(), `UPDATE audit_log SET actor_name = 'nobody' WHERE seq = ?`, seq)
		if err != nil {
			t.Fatal(err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			t.Fatalf("tampering changed %d rows", k)
		}
		code, out, errOut = hallmark(t, "", "audit", "verify", "--db", dsn)
		if code == 0 {
			t.Fatalf("audit verify passes a tampered chain: %q", out)
		}
		want := "BROKEN at record " + strconv.Itoa(seq) + ":"
		if !strings.Contains(out, want) || !strings.Contains(out, "("+strconv.Itoa(seq-1)+" records before it are intact)") {
			t.Errorf("audit verify output %q does not name record %d", out, seq)
		}
		if !strings.Contains(errOut, "record "+strconv.Itoa(seq)) {
			t.Errorf("audit verify stderr %q does not name record %d", errOut, seq)
		}
	})
}

func TestBackup(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dsn string) {
		if code, _, errOut := hallmark(t, "", "gen", "--db", dsn, "--enterprises", "30"); code != 0 {
			t.Fatalf("gen: %s", errOut)
		}
		dest := filepath.Join(t.TempDir(), "copy.db")
		code, out, errOut := hallmark(t, "", "backup", "--db", dsn, "--out", dest)
		if isPostgres(dsn) {
			if code == 0 || !strings.Contains(errOut, "pg_dump") || !strings.Contains(errOut, "--schema") {
				t.Errorf("backup of PostgreSQL: exit %d, stderr %q; want the pg_dump command for this schema", code, errOut)
			}
			if _, err := os.Stat(dest); err == nil {
				t.Error("backup of PostgreSQL wrote a file")
			}
			return
		}
		if code != 0 || out != "backup written to "+dest+" and checked\n" {
			t.Fatalf("backup: exit %d, out %q, err %q", code, out, errOut)
		}
		copyDB := openDB(t, dest)
		if n := count(t, copyDB, "enterprises"); n != 30 {
			t.Errorf("the backup holds %d enterprises, want 30", n)
		}
		if n, m := count(t, copyDB, "audit_head"), count(t, openDB(t, dsn), "audit_head"); n != 1 || m != 1 {
			t.Errorf("audit head rows: copy %d, source %d", n, m)
		}
		copyDB.Close()

		before := fileSum(t, dest)
		code, _, errOut = hallmark(t, "", "backup", "--db", dsn, "--out", dest)
		if code == 0 || !strings.Contains(errOut, "already exists") {
			t.Errorf("backup over an existing file: exit %d, stderr %q", code, errOut)
		}
		if fileSum(t, dest) != before {
			t.Error("a refused backup changed the existing file")
		}
	})
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestGen(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dsn string) {
		code, out, errOut := hallmark(t, "", "gen", "--db", dsn, "--enterprises", "500")
		if code != 0 || !strings.HasPrefix(out, "generated 500 enterprises in ") {
			t.Fatalf("gen: exit %d, out %q, err %q", code, out, errOut)
		}
		db := openDB(t, dsn)
		if n := count(t, db, "enterprises"); n != 500 {
			t.Fatalf("gen --enterprises 500 left %d enterprises", n)
		}
		// The same seed gives the same enterprises, so a repeat adds none.
		if code, _, errOut := hallmark(t, "", "gen", "--db", dsn, "--enterprises", "500"); code != 0 {
			t.Fatalf("gen again: %s", errOut)
		}
		if n := count(t, db, "enterprises"); n != 500 {
			t.Errorf("a second gen with the same seed left %d enterprises, want 500", n)
		}
	})
}

var listening = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+) \(database: ([^,]+), started in `)

// serve runs `hallmark serve` until the returned stop is called, and waits
// for it to listen.
func serve(t *testing.T, args ...string) (url string, out *syncBuffer, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	args = append([]string{"serve", "--blobs", t.TempDir()}, args...)
	go func() { done <- run(ctx, args, out, errOut) }()
	deadline := time.After(2 * time.Minute)
	for {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d before listening: %s %s", code, out, errOut)
		case <-deadline:
			cancel()
			t.Fatalf("serve did not listen in time: %s %s", out, errOut)
		case <-time.After(20 * time.Millisecond):
		}
	}
	stopped := false
	stop = func() (int, string) {
		if stopped {
			return 0, ""
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code, errOut.String()
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop after its context ended")
			return 0, ""
		}
	}
	t.Cleanup(func() { stop() })
	return url, out, stop
}

func TestServe(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dsn string) {
		url, out, stop := serve(t, "--db", dsn, "--addr", "127.0.0.1:0", "--demo")
		if want := fmt.Sprintf("Demo accounts %v, password %q", app.DemoAccounts(), demo.Password); !strings.Contains(out.String(), want) ||
			!strings.Contains(out.String(), "[admin office officer inspector lab lab-signer vehicle-station enterprise shop expert") {
			t.Errorf("serve --demo does not tell how to sign in: %q", out)
		}
		m := listening.FindStringSubmatch(out.String())
		if want := map[bool]string{true: "PostgreSQL", false: dsn}[isPostgres(dsn)]; m[2] != want {
			t.Errorf("serve names the database %q, want %q", m[2], want)
		}
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz = %d", resp.StatusCode)
		}
		code, errOut := stop()
		if code != 0 || !strings.HasSuffix(out.String(), "shutting down…\n") {
			t.Errorf("serve after its context ended: exit %d, out %q, err %q", code, out, errOut)
		}
		if _, err := http.Get(url + "/healthz"); err == nil {
			t.Error("the server still answers after serve returned")
		}

		// The database now holds the demo: a second --demo must refuse,
		// quickly and saying why, and serve nothing.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		code, sout, serr := hallmarkCtx(ctx, "", "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--demo", "--blobs", t.TempDir())
		if code != 1 || sout != "" || !strings.Contains(serr, "already holds data") || !strings.Contains(serr, "empty database") {
			t.Errorf("serve --demo on a database with data: exit %d, out %q, err %q", code, sout, serr)
		}
	})
}

func TestServeDemoRefusesGeneratedData(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "hallmark.db")
	if code, _, errOut := hallmark(t, "", "gen", "--db", dsn, "--enterprises", "3"); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := hallmark(t, "", "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--demo", "--blobs", t.TempDir())
	if code != 1 || out != "" || !strings.Contains(errOut, "already holds data") {
		t.Errorf("serve --demo on generated data: exit %d, out %q, err %q", code, out, errOut)
	}
	if n := count(t, openDB(t, dsn), "users"); n != 0 {
		t.Errorf("the refused demo added %d accounts", n)
	}
}

// TestEnvironmentTwins checks that HALLMARK_DB, HALLMARK_ADDR and
// HALLMARK_DEMO stand in for --db, --addr and --demo, and that a flag wins
// over its variable. It changes the environment, so it cannot run in
// parallel.
func TestEnvironmentTwins(t *testing.T) {
	dir := t.TempDir()
	envDB := filepath.Join(dir, "from-env.db")
	t.Setenv("HALLMARK_DB", envDB)
	t.Setenv("HALLMARK_ADDR", "127.0.0.1:0")
	t.Setenv("HALLMARK_DEMO", "1")

	url, out, stop := serve(t)
	if m := listening.FindStringSubmatch(out.String()); m[2] != envDB {
		t.Errorf("serve used database %q, want HALLMARK_DB %q", m[2], envDB)
	}
	if !strings.Contains(out.String(), "Demo accounts") {
		t.Errorf("HALLMARK_DEMO=1 did not load the demo: %q", out)
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatalf("serve is not on the HALLMARK_ADDR it announced: %v", err)
	}
	resp.Body.Close()
	if code, errOut := stop(); code != 0 {
		t.Fatalf("serve: exit %d: %s", code, errOut)
	}

	if code, out, _ := hallmark(t, "", "user", "list"); code != 0 || !strings.Contains(out, fmt.Sprintf("%d users", len(demo.Users))) {
		t.Errorf("user list without --db does not read HALLMARK_DB: exit %d\n%s", code, out)
	}
	flagDB := filepath.Join(dir, "from-flag.db")
	if code, _, errOut := hallmark(t, "", "migrate", "--db", flagDB); code != 0 {
		t.Fatalf("migrate --db: %s", errOut)
	}
	if _, err := os.Stat(flagDB); err != nil {
		t.Errorf("--db did not win over HALLMARK_DB: %v", err)
	}
	if code, out, _ := hallmark(t, "", "user", "list", "--db", flagDB); code != 0 || !strings.Contains(out, "0 users") {
		t.Errorf("user list --db %s: exit %d\n%s", flagDB, code, out)
	}
}
