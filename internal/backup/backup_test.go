package backup_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/backup"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// writeSetting commits one audited change: a settings row and its audit
// record, so a consistent copy has as many records as rows.
func writeSetting(ctx context.Context, db *store.DB, i int64) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		key := "k" + strings.Repeat("x", int(i%7)) + string(rune('a'+i%26)) + time.Now().Format("150405.000000000")
		if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)`,
			key, strings.Repeat("值", 200), store.Now()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "setting", EntityID: key})
	})
}

func count(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A copy taken while another goroutine keeps writing opens, passes its
// checks, holds every change committed before it began, and is a snapshot:
// each row is there with its audit record, and the audit chain verifies.
func TestCopyOfLiveDatabase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		out := filepath.Join(t.TempDir(), "backup 1.db")
		if db.Dialect == store.Postgres {
			err := backup.SQLite(ctx, db, out)
			var pe *backup.PostgresError
			if !errors.As(err, &pe) || pe.Args[0] != "pg_dump" || !strings.Contains(err.Error(), "pg_dump --format=custom") {
				t.Fatalf("SQLite on PostgreSQL: %v", err)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a file was written for a PostgreSQL database: %v", err)
			}
			runPgDump(t, db, pe.Args)
			return
		}

		for i := range int64(300) {
			if err := writeSetting(ctx, db, i); err != nil {
				t.Fatal(err)
			}
		}
		var written atomic.Int64
		written.Store(300)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := int64(300); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := writeSetting(ctx, db, i); err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		})
		time.Sleep(20 * time.Millisecond)
		before := written.Load()
		if err := backup.SQLite(ctx, db, out); err != nil {
			t.Fatal(err)
		}
		after := written.Load()
		time.Sleep(20 * time.Millisecond)
		close(stop)
		wg.Wait()
		if after == before {
			t.Fatal("no write happened during the copy; the test proves nothing")
		}

		entries, _ := os.ReadDir(filepath.Dir(out))
		if len(entries) != 1 {
			t.Errorf("files beside the backup: %v", entries)
		}
		if err := backup.Check(ctx, out); err != nil {
			t.Fatal(err)
		}
		cp, err := store.Open(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		defer cp.Close()
		rows := count(t, cp, `SELECT COUNT(*) FROM settings`)
		if int64(rows) < before || int64(rows) > after+1 {
			t.Fatalf("copy has %d rows; %d were committed before it began, %d when it ended", rows, before, after)
		}
		if recs := count(t, cp, `SELECT COUNT(*) FROM audit_log`); recs != rows {
			t.Fatalf("copy has %d rows but %d audit records: not one snapshot", rows, recs)
		}
		if n, err := audit.Verify(ctx, cp); err != nil || n != int64(rows) {
			t.Fatalf("audit chain in the copy: %d, %v", n, err)
		}
		if live := count(t, db, `SELECT COUNT(*) FROM settings`); live <= rows {
			t.Fatalf("live database has %d rows, the copy %d: writes did not go on", live, rows)
		}
	})
}

func TestBackupNeverOverwrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		dir := t.TempDir()
		out := filepath.Join(dir, "hallmark-backup.db")
		if err := os.WriteFile(out, []byte("yesterday's backup"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := backup.SQLite(ctx, db, out)
		if db.Dialect == store.Postgres {
			var pe *backup.PostgresError
			if !errors.As(err, &pe) {
				t.Fatalf("backup of PostgreSQL: %v", err)
			}
		} else if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), out) {
			t.Fatalf("backup onto an existing file: %v", err)
		}
		if b, _ := os.ReadFile(out); string(b) != "yesterday's backup" {
			t.Fatalf("existing file changed to %q", b)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("files left behind: %v", entries)
		}
		if db.Dialect == store.Postgres {
			return
		}
		// The live database itself is an existing file too.
		var live string
		if err := db.QueryRow(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&live); err != nil {
			t.Fatal(err)
		}
		if err := backup.SQLite(ctx, db, live); !errors.Is(err, fs.ErrExist) {
			t.Fatalf("backup onto the live database: %v", err)
		}
		if err := backup.SQLite(ctx, db, filepath.Join(dir, "no-such-dir", "x.db")); err == nil {
			t.Fatal("backup into a missing folder succeeded")
		}
	})
}

func TestCheckRejectsWhatIsNotABackup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a database ", 512)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := backup.Check(ctx, junk); err == nil {
		t.Fatal("Check accepted a file of junk")
	}
	if err := backup.Check(ctx, filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("Check accepted a missing file")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("Check created the file it was asked to check")
	}

	// A copy whose pages were damaged fails the integrity check.
	db := storetest.SQLite(t)
	for i := range int64(200) {
		if err := writeSetting(ctx, db, i); err != nil {
			t.Fatal(err)
		}
	}
	good := filepath.Join(dir, "good.db")
	if err := backup.SQLite(ctx, db, good); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	for p := 2; p*page < len(b); p += 3 {
		for i := p*page + 100; i < p*page+400 && i < len(b); i++ {
			b[i] ^= 0x5a
		}
	}
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := backup.Check(ctx, bad); err == nil {
		t.Fatal("Check accepted a damaged copy")
	}
}

func TestPgDumpCommand(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		dsn, out    string
		want        string
		hadPassword bool
	}{
		{
			"postgres://hallmark:s3cret@db.example:5433/hallmark?sslmode=require&search_path=banner&pool_max_conns=8",
			"/var/backups/hallmark.dump",
			"pg_dump --format=custom --file=/var/backups/hallmark.dump --schema=banner '--dbname=postgres://hallmark@db.example:5433/hallmark?sslmode=require'",
			true,
		},
		{
			"postgresql://postgres@127.0.0.1/test",
			"my backup.dump",
			"pg_dump --format=custom '--file=my backup.dump' --dbname=postgresql://postgres@127.0.0.1/test",
			false,
		},
		{
			"postgres://u@h/db?password=pw&search_path=public",
			"x.dump",
			"pg_dump --format=custom --file=x.dump --dbname=postgres://u@h/db",
			true,
		},
	} {
		args, had, err := backup.PgDump(c.dsn, c.out)
		if err != nil {
			t.Fatal(err)
		}
		if got := backup.ShellJoin(args); got != c.want || had != c.hadPassword {
			t.Errorf("PgDump(%s):\n got  %s (password %v)\n want %s (password %v)", c.dsn, got, had, c.want, c.hadPassword)
		}
		if strings.Contains(strings.Join(args, " "), "s3cret") || strings.Contains(strings.Join(args, " "), "pw") {
			t.Errorf("password left in %v", args)
		}
	}
	if _, _, err := backup.PgDump("/var/lib/hallmark.db", "x"); err == nil {
		t.Error("PgDump accepted a SQLite path")
	}
	err := &backup.PostgresError{Args: []string{"pg_dump", "--dbname=postgres://u@h/db"}, HadPassword: true}
	if !strings.Contains(err.Error(), "PGPASSWORD") {
		t.Errorf("message does not say how to give the password: %s", err)
	}
}

// runPgDump runs the suggested command, when pg_dump is installed, to show
// that it is a working command line for this very database.
func runPgDump(t *testing.T, db *store.DB, args []string) {
	t.Helper()
	if _, err := exec.LookPath(args[0]); err != nil {
		t.Logf("pg_dump not installed; not running %v", args)
		return
	}
	i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "--file=") })
	if i < 0 {
		t.Fatalf("no --file in %v", args)
	}
	out := strings.TrimPrefix(args[i], "--file=")
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--schema=t_") }) {
		t.Fatalf("the command does not name the test schema: %v", args)
	}
	cmd := exec.Command(args[0], args[1:]...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, b)
	}
	list, err := exec.Command("pg_restore", "--list", out).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_restore --list: %v\n%s", err, list)
	}
	if !strings.Contains(string(list), "TABLE DATA") || !strings.Contains(string(list), "audit_log") {
		t.Fatalf("dump lacks the tables:\n%s", list)
	}
	_ = db
}
