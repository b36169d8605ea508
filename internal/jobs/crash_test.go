package jobs

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// crashWorkerEnv makes the test binary act as a separate server process that
// runs the outbox on the database named in the variable, so a test can kill
// it for real.
const crashWorkerEnv = "HALLMARK_JOBS_CRASH_WORKER"

// crashAfter is how many "case" deliveries the worker commits before it
// stops, mid-transaction, and waits to be killed.
const crashAfter = 40

func TestMain(m *testing.M) {
	if dsn := os.Getenv(crashWorkerEnv); dsn != "" {
		crashWorker(dsn)
		return
	}
	os.Exit(m.Run())
}

func crashWorker(dsn string) {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	r := NewRunner(db, quietLogger())
	r.Poll = 5 * time.Millisecond
	r.Batch = 10
	r.Handle("lab.result", "credit", effectHandler("credit"))
	n := 0
	r.Handle("lab.result", "case", func(ctx context.Context, tx *store.Tx, ev Event) error {
		if err := recordEffect(ctx, tx, ev, "case"); err != nil {
			return err
		}
		if n++; n > crashAfter {
			var p payload
			_ = ev.Decode(&p)
			// The effect is written, the transaction is open: report and hang
			// until the parent kills the process.
			fmt.Printf("IN-TX %d\n", p.K)
			select {}
		}
		return nil
	})
	if err := r.Run(ctx); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
}

// dsnOf finds the DSN of a test database so another process can open it.
func dsnOf(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	if db.Dialect == store.SQLite {
		var file string
		if err := db.QueryRow(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
			t.Fatal(err)
		}
		return file
	}
	var schema string
	if err := db.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(os.Getenv(storetest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// THE interruption test across processes: a server process is killed
// (SIGKILL, no cleanup) while a handler's transaction is open, after part of
// the outbox was delivered. A new runner on the same database finishes the
// work; every effect exists exactly once, and the killed transaction's write
// is gone.
func TestKilledProcessLosesAndRepeatsNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		createEffects(t, db)
		const events = 150
		var want []string
		for k := 0; k < events; k += 10 {
			var ks []int
			for i := k; i < k+10; i++ {
				ks = append(ks, i)
				want = append(want, fmt.Sprintf("%d/credit", i), fmt.Sprintf("%d/case", i))
			}
			emit(t, db, "lab.result", false, ks...)
			emit(t, db, "lab.result", true, 5000+k)
		}

		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashWorkerEnv+"="+dsnOf(t, db))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killed := false
		defer func() {
			if !killed {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		}()
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var inFlight int
		select {
		case line, ok := <-lines:
			k, found := strings.CutPrefix(line, "IN-TX ")
			if !ok || !found {
				t.Fatalf("worker said %q, want IN-TX", line)
			}
			if inFlight, err = strconv.Atoi(k); err != nil {
				t.Fatal(err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("worker did not reach the crash point")
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		killed = true

		before := effects(t, db)
		if n := len(before); n < crashAfter || n >= len(want) {
			t.Fatalf("%d effects committed before the crash; want a partial outbox", n)
		}
		if n := before[fmt.Sprintf("%d/case", inFlight)]; n != 0 {
			t.Fatalf("the killed transaction's effect on %d survived", inFlight)
		}

		r := newTestRunner(db)
		r.Handle("lab.result", "credit", effectHandler("credit"))
		r.Handle("lab.result", "case", effectHandler("case"))
		drain(t, r)
		assertExactlyOnce(t, effects(t, db), want)
	})
}
