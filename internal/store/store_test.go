package store_test

import (
	"context"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestTxCommitsAndRollsBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		put := func(key, val string) error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
					ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, val, store.Now())
				return err
			})
		}
		if err := put("a", "1"); err != nil {
			t.Fatal(err)
		}
		if err := put("a", "2"); err != nil {
			t.Fatalf("upsert: %v", err)
		}
		boom := errors.New("boom")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE settings SET value = ? WHERE key = ?`, "3", "a"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v, want boom", err)
		}
		var v string
		if err := db.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`, "a").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "2" {
			t.Fatalf("value = %q after rollback, want 2", v)
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ins := func() error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 0)`)
				return err
			})
		}
		if err := ins(); err != nil {
			t.Fatal(err)
		}
		if err := ins(); !store.IsUniqueViolation(err) {
			t.Fatalf("second insert: %v, want a unique violation", err)
		}
	})
}

// Both databases must end with the same tables and columns.
func TestSchemasMatch(t *testing.T) {
	t.Parallel()
	lite := columns(t, storetest.SQLite(t))
	if len(lite) < 10 {
		t.Fatalf("SQLite has only %d tables", len(lite))
	}
	if testingPostgres() {
		pg := columns(t, storetest.Postgres(t))
		for table, cols := range lite {
			if pg[table] != cols {
				t.Errorf("table %s:\n sqlite   %s\n postgres %s", table, cols, pg[table])
			}
		}
		for table := range pg {
			if _, ok := lite[table]; !ok {
				t.Errorf("table %s exists only on PostgreSQL", table)
			}
		}
	}
}

func columns(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`
	if db.Dialect == store.Postgres {
		q = `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	set := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		set[table] = append(set[table], col)
	}
	out := map[string]string{}
	for table, cols := range set {
		sort.Strings(cols)
		out[table] = strings.Join(cols, ",")
	}
	return out
}

// A bulk load on PostgreSQL commits without waiting for the disk; the
// ordinary pool still waits.
func TestBulkOpenOnPostgres(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skip("HALLMARK_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	dsn := storetest.PostgresDSN(t)
	for _, c := range []struct {
		open func(context.Context, string) (*store.DB, error)
		want string
	}{{store.OpenBulk, "off"}, {store.Open, "on"}} {
		db, err := c.open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := db.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&got); err != nil || got != c.want {
			t.Errorf("synchronous_commit = %q (%v), want %q", got, err, c.want)
		}
		db.Close()
	}
}

// Column reads one column in the query's order, on both databases,
// and an empty result is no error.
func TestColumn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		got, err := store.Column[string](ctx, db, `SELECT code FROM regions WHERE code = ?`, "no-such-region")
		if err != nil || len(got) != 0 {
			t.Fatalf("empty: %v, %v", got, err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `CREATE TABLE strings_probe (v TEXT NOT NULL)`)
			if err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO strings_probe (v) VALUES ('b'), ('a'), ('c')`)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got, err = store.Column[string](ctx, db, `SELECT v FROM strings_probe WHERE v <> ? ORDER BY v DESC`, "b")
		if err != nil || strings.Join(got, ",") != "c,a" {
			t.Fatalf("Strings: %v, %v", got, err)
		}
		// Two columns: the second by the first, the last of a repeated key.
		m, err := store.Map[string, int64](ctx, db, `SELECT v, n FROM (SELECT v, 1 AS n FROM strings_probe
			UNION ALL SELECT 'a', 2) x ORDER BY n`)
		if err != nil || len(m) != 3 || m["a"] != 2 || m["b"] != 1 || m["c"] != 1 {
			t.Fatalf("Map: %v, %v", m, err)
		}
	})
}
