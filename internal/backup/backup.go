// Package backup writes consistent copies of a live Hallmark database.
//
// SQLite is copied with VACUUM INTO, which reads one snapshot in a read
// transaction: writers carry on (WAL mode) and the copy holds exactly the
// transactions committed when it began, compacted and without a WAL file
// beside it. The copy is written under a temporary name, checked with
// PRAGMA integrity_check, synced, and only then given its name, so a file at
// the requested path is always a whole, checked backup. PostgreSQL has its own
// tool for this, pg_dump; for such a database SQLite returns a *PostgresError
// that spells out the command.
package backup

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/jackc/pgx/v5/stdlib"
)

// SQLite writes a consistent copy of the live SQLite database db to the new
// file out and checks it. It refuses to overwrite anything at out. For a
// PostgreSQL database it returns a *PostgresError.
func SQLite(ctx context.Context, db *store.DB, out string) error {
	if db.Dialect == store.Postgres {
		return postgresError(ctx, db, out)
	}
	if out == "" {
		return errors.New("backup: no output file given")
	}
	if err := mustNotExist(out); err != nil {
		return err
	}
	dir, base := filepath.Split(out)
	if dir == "" {
		dir = "."
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	tmp := filepath.Join(dir, "."+base+".partial-"+hex.EncodeToString(b[:]))
	defer os.Remove(tmp)

	// VACUUM INTO runs on a reader connection: it needs only a read snapshot,
	// so the writer stays free for the live system.
	rows, err := db.Query(ctx, `VACUUM INTO ?`, tmp)
	if err == nil {
		rows.Close()
		err = rows.Err()
	}
	if err != nil {
		return fmt.Errorf("backup: copy database: %w", err)
	}
	if err := Check(ctx, tmp); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// A hard link gives the copy its name only if nothing took that name in
	// the meantime; where links are not supported, rename after a last check.
	if err := os.Link(tmp, out); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return existsError(out)
		}
		if err := mustNotExist(out); err != nil {
			return err
		}
		if err := os.Rename(tmp, out); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new name durable too
		d.Close()
	}
	return nil
}

func mustNotExist(out string) error {
	_, err := os.Lstat(out)
	switch {
	case err == nil:
		return existsError(out)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("backup: %w", err)
	}
}

func existsError(out string) error {
	return fmt.Errorf("backup: %s already exists; a backup never overwrites a file, choose a new name: %w", out, fs.ErrExist)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// Check opens the SQLite database file at path read-only and runs
// PRAGMA integrity_check on it, returning an error that lists what is wrong.
// It also confirms the file is a Hallmark database (it has the migration
// table), so a restore can be checked before it is trusted.
func Check(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: "mode=ro"}
	conn, err := sql.Open("sqlite", u.String())
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", path, err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("backup: %s does not open as a SQLite database: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("backup: check %s: %w", path, err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backup: check %s: %w", path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("backup: %s fails the integrity check: %s", path, strings.Join(problems, "; "))
	}
	var version sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&version); err != nil || !version.Valid {
		return fmt.Errorf("backup: %s is a SQLite database but not a Hallmark one (no migrations recorded)", path)
	}
	return nil
}

// PostgresError says that a PostgreSQL database is backed up with pg_dump.
// Args is the pg_dump command to run, built from the database's DSN without
// its password.
type PostgresError struct {
	Args        []string
	HadPassword bool
}

func (e *PostgresError) Error() string {
	if len(e.Args) == 0 {
		return "this database is PostgreSQL: back it up with pg_dump --format=custom"
	}
	msg := "this database is PostgreSQL: back it up with pg_dump, e.g.\n  " + ShellJoin(e.Args)
	if e.HadPassword {
		msg += "\n(the password is left out: give it through PGPASSWORD or ~/.pgpass)"
	}
	return msg
}

// postgresError builds the pg_dump command from the DSN the pool was opened
// with, which the pgx driver keeps.
func postgresError(ctx context.Context, db *store.DB, out string) error {
	pe := &PostgresError{}
	if out == "" {
		out = "hallmark.dump"
	}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return pe
	}
	defer conn.Close()
	var dsn string
	_ = conn.Raw(func(dc any) error {
		if c, ok := dc.(*stdlib.Conn); ok {
			dsn = c.Conn().Config().ConnString()
		}
		return nil
	})
	if args, hadPassword, err := PgDump(dsn, out); err == nil {
		pe.Args, pe.HadPassword = args, hadPassword
	}
	return pe
}

// libpqParams are the URI parameters pg_dump understands; others in a
// Hallmark DSN (pgx's own, search_path) would make it refuse the URI.
var libpqParams = map[string]bool{
	"sslmode": true, "sslcert": true, "sslkey": true, "sslrootcert": true, "sslcrl": true,
	"application_name": true, "connect_timeout": true, "options": true, "target_session_attrs": true,
	"channel_binding": true, "gssencmode": true, "passfile": true, "service": true, "hostaddr": true,
	"keepalives": true, "keepalives_idle": true, "keepalives_interval": true, "keepalives_count": true,
}

// PgDump returns the pg_dump command line (program and arguments) that backs
// up the PostgreSQL database at dsn into the custom-format archive out: the
// DSN without its password (hadPassword says one was removed), with the
// search_path schemas as --schema options.
func PgDump(dsn, out string) (args []string, hadPassword bool, err error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, false, fmt.Errorf("backup: %q is not a postgres:// DSN", redact(dsn))
	}
	if u.User != nil {
		if _, hadPassword = u.User.Password(); hadPassword {
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	if q.Has("password") {
		hadPassword = true
	}
	var schemas []string
	for _, s := range strings.Split(q.Get("search_path"), ",") {
		if s = strings.TrimSpace(s); s != "" && s != "public" && s != `"$user"` {
			schemas = append(schemas, s)
		}
	}
	keep := url.Values{}
	for k, v := range q {
		if libpqParams[k] {
			keep[k] = v
		}
	}
	u.RawQuery = keep.Encode()
	args = []string{"pg_dump", "--format=custom", "--file=" + out}
	for _, s := range schemas {
		args = append(args, "--schema="+s)
	}
	args = append(args, "--dbname="+u.String())
	return args, hadPassword, nil
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}

// ShellJoin quotes args for a POSIX shell, so a printed command can be pasted.
func ShellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:@,+%") == "" {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}
