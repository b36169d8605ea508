package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A writer that never pauses must not make the WAL grow without end: the
// background checkpointer has to get it started over.
func TestWALStaysBoundedUnderAWriterThatNeverPauses(t *testing.T) {
	every, frames := checkpointEvery, walRestartFrames
	checkpointEvery, walRestartFrames = 20*time.Millisecond, 256
	t.Cleanup(func() { checkpointEvery, walRestartFrames = every, frames })

	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, `CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", 1000)
	written := 0
	for start := time.Now(); time.Since(start) < 2*time.Second || written < 40<<20; {
		err := db.Tx(ctx, func(tx *Tx) error {
			for range 200 {
				if _, err := tx.Exec(ctx, `INSERT INTO filler (body) VALUES (?)`, body); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		written += 200 * len(body)
	}
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// The WAL may hold what was written since the last restart and be cut
	// back no further than journal_size_limit (64 MiB) allows; without the
	// restarts it holds everything written.
	if st.Size() > int64(written)/2 {
		t.Fatalf("the WAL is %d MB after %d MB written: it is not being started over", st.Size()>>20, written>>20)
	}
	t.Logf("WAL %d MB after %d MB written", st.Size()>>20, written>>20)
}

// A bulk load keeps its indexes in a large cache and does not wait for the
// disk at each commit; what it wrote is there when the database is opened
// the ordinary way, still in WAL mode and durable again.
func TestBulkOpenTradesDurabilityForSpeedOnlyWhileLoading(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bulk.db")
	pragma := func(db *DB, name string) int64 {
		t.Helper()
		var v int64
		if err := db.write.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	bulk, err := OpenBulk(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := pragma(bulk, "cache_size"); got != -bulkCacheKiB {
		t.Errorf("bulk writer's cache_size = %d, want %d", got, -bulkCacheKiB)
	}
	if got := pragma(bulk, "synchronous"); got != 0 {
		t.Errorf("bulk writer's synchronous = %d, want 0 (off)", got)
	}
	if _, err := bulk.Exec(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if err := bulk.Tx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO t (id) VALUES (1), (2), (3)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := bulk.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := pragma(db, "synchronous"); got != 1 {
		t.Errorf("reopened writer's synchronous = %d, want 1 (normal)", got)
	}
	var mode string
	var n int
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode after a bulk load: %q, %v", mode, err)
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Errorf("rows after a bulk load: %d, %v", n, err)
	}
}
