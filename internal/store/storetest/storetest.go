// Package storetest runs a store test on every database Hallmark supports:
// always on a fresh SQLite file, and on PostgreSQL when HALLMARK_TEST_POSTGRES
// holds a DSN. Each PostgreSQL test gets a schema of its own, so tests run in
// parallel without seeing each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// PostgresEnv names the variable that holds the PostgreSQL test DSN.
const PostgresEnv = "HALLMARK_TEST_POSTGRES"

// Each runs fn as a subtest on SQLite and, when configured, PostgreSQL, each
// with a freshly migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, SQLite(t))
	})
	if os.Getenv(PostgresEnv) != "" {
		t.Run("postgres", func(t *testing.T) {
			fn(t, Postgres(t))
		})
	}
}

// SQLite opens a migrated database in a temporary file.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hallmark.db"))
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate SQLite: %v", err)
	}
	return db
}

// Postgres opens a migrated database in a new schema of the server named by
// HALLMARK_TEST_POSTGRES. It fails (never skips) when that server is not
// reachable, because CI sets the variable only when it runs one.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate PostgreSQL: %v", err)
	}
	return db
}

// PostgresDSN creates an empty schema and returns a DSN whose search_path
// points at it; the schema is dropped when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Fatalf("%s is not set", PostgresEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
