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
