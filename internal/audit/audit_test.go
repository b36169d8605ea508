package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

type licence struct {
	Number  string `json:"number"`
	ValidTo string `json:"valid_to"`
}

// write commits one audited change in its own transaction.
func write(t *testing.T, db *store.DB, ctx context.Context, e audit.Entry) {
	t.Helper()
	if err := db.Tx(ctx, func(tx *store.Tx) error { return audit.Write(ctx, tx, e) }); err != nil {
		t.Fatal(err)
	}
}

// seed writes n records, alternating actors and entities.
func seed(t *testing.T, db *store.DB, n int) {
	t.Helper()
	alice := audit.WithActor(context.Background(), audit.Actor{ID: "u-alice", Name: "王丽"})
	for i := 1; i <= n; i++ {
		ctx := context.Background()
		if i%2 == 0 {
			ctx = alice
		}
		write(t, db, ctx, audit.Entry{
			Action: "update", Entity: "licence", EntityID: fmt.Sprintf("lic-%d", i), RegionCode: "150221",
			Before: licence{Number: fmt.Sprintf("SC%03d", i), ValidTo: "2026-01-01"},
			After:  licence{Number: fmt.Sprintf("SC%03d", i), ValidTo: "2031-01-01"},
		})
	}
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	ctx := context.Background()
	if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, q, args...); return err }); err != nil {
		t.Fatal(err)
	}
}

func TestChainRecordsEveryWrite(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		if n, err := audit.Verify(ctx, db); n != 0 || err != nil {
			t.Fatalf("empty chain: Verify = %d, %v", n, err)
		}
		seed(t, db, 5)
		n, err := audit.Verify(ctx, db)
		if n != 5 || err != nil {
			t.Fatalf("Verify = %d, %v; want 5 records and no error", n, err)
		}
		recs, total, err := audit.List(ctx, db, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if total != 5 || len(recs) != 5 {
			t.Fatalf("List: %d of %d", len(recs), total)
		}
		for i, r := range recs {
			if want := int64(5 - i); r.Seq != want {
				t.Fatalf("record %d has seq %d, want newest first (%d)", i, r.Seq, want)
			}
			if i+1 < len(recs) && r.PrevHash != recs[i+1].Hash {
				t.Errorf("record %d does not link to record %d", r.Seq, recs[i+1].Seq)
			}
		}
		oldest, newest := recs[4], recs[0]
		if oldest.PrevHash != "" || oldest.ActorID != "system" || oldest.ActorName != "system" {
			t.Errorf("first record: %+v; want no previous hash and the system actor", oldest)
		}
		if r := recs[1]; r.ActorID != "u-alice" || r.ActorName != "王丽" || r.EntityID != "lic-4" || r.Action != "update" || r.Entity != "licence" {
			t.Errorf("record 4: %+v; want alice's update of lic-4", r)
		}
		if newest.ActorID != "system" || newest.EntityID != "lic-5" {
			t.Errorf("record 5: %+v", newest)
		}
		if oldest.Before != `{"number":"SC001","valid_to":"2026-01-01"}` || oldest.After != `{"number":"SC001","valid_to":"2031-01-01"}` ||
			oldest.RegionCode != "150221" {
			t.Errorf("record contents: before %s after %s region %s", oldest.Before, oldest.After, oldest.RegionCode)
		}
		write(t, db, ctx, audit.Entry{Action: "sign-in", Entity: "user", EntityID: "u-alice"})
		recs, _, _ = audit.List(ctx, db, audit.Filter{Limit: 1})
		if recs[0].Before != "" || recs[0].After != "" {
			t.Errorf("an entry without states stored %q / %q", recs[0].Before, recs[0].After)
		}
	})
}

// Each kind of tampering makes Verify name the first record that no longer
// holds.
func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		tamper  string
		args    []any
		wantSeq int64
		reason  string
	}{
		{"edited contents", `UPDATE audit_log SET after_json = ? WHERE seq = 2`, []any{`{"number":"SC002","valid_to":"2099-01-01"}`}, 2, "contents"},
		{"edited time", `UPDATE audit_log SET at = at + 1 WHERE seq = 1`, nil, 1, "contents"},
		{"edited actor", `UPDATE audit_log SET actor_name = ? WHERE seq = 4`, []any{"someone else"}, 4, "contents"},
		{"deleted middle record", `DELETE FROM audit_log WHERE seq = 3`, nil, 3, "missing"},
		{"deleted first record", `DELETE FROM audit_log WHERE seq = 1`, nil, 1, "missing"},
		{"deleted last record", `DELETE FROM audit_log WHERE seq = 5`, nil, 5, "removed from the end"},
		{"deleted last two records", `DELETE FROM audit_log WHERE seq >= 4`, nil, 4, "removed from the end"},
		{"changed previous hash", `UPDATE audit_log SET prev_hash = ? WHERE seq = 4`, []any{strings.Repeat("0", 64)}, 4, "previous-hash"},
		{"changed own hash", `UPDATE audit_log SET hash = ? WHERE seq = 3`, []any{strings.Repeat("0", 64)}, 3, "contents"},
		{"changed head", `UPDATE audit_head SET hash = ?`, []any{strings.Repeat("0", 64)}, 5, "chain head"},
		{"renumbered record", `UPDATE audit_log SET seq = 9 WHERE seq = 5`, nil, 5, "missing"},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// One database per dialect, the chain rebuilt for each case.
				exec(t, db, `DELETE FROM audit_log`)
				exec(t, db, `UPDATE audit_head SET seq = 0, hash = ''`)
				seed(t, db, 5)
				if n, err := audit.Verify(context.Background(), db); n != 5 || err != nil {
					t.Fatalf("before tampering: Verify = %d, %v", n, err)
				}
				exec(t, db, c.tamper, c.args...)
				n, err := audit.Verify(context.Background(), db)
				var broken *audit.BrokenError
				if !errors.As(err, &broken) {
					t.Fatalf("Verify = %d, %v; want a *BrokenError", n, err)
				}
				if broken.Seq != c.wantSeq || !strings.Contains(broken.Reason, c.reason) {
					t.Fatalf("Verify says %v; want record %d (%s)", err, c.wantSeq, c.reason)
				}
				if n != c.wantSeq-1 {
					t.Errorf("Verify checked %d records before the break, want %d", n, c.wantSeq-1)
				}
			})
		}
	})
}

func TestRolledBackWriteLeavesNoRecord(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		seed(t, db, 2)
		failed := errors.New("validation failed after the audit write")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := audit.Write(ctx, tx, audit.Entry{Action: "delete", Entity: "enterprise", EntityID: "e-1"}); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatal(err)
		}
		if _, total, _ := audit.List(ctx, db, audit.Filter{Entity: "enterprise"}); total != 0 {
			t.Fatalf("%d records of the rolled-back change", total)
		}
		write(t, db, ctx, audit.Entry{Action: "create", Entity: "enterprise", EntityID: "e-2"})
		if n, err := audit.Verify(ctx, db); n != 3 || err != nil {
			t.Fatalf("Verify after a rollback = %d, %v; want 3 records in an unbroken chain", n, err)
		}
	})
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		bob := audit.WithActor(ctx, audit.Actor{ID: "u-bob", Name: "包布和"})
		write(t, db, ctx, audit.Entry{Action: "create", Entity: "enterprise", EntityID: "e-1"})
		write(t, db, bob, audit.Entry{Action: "update", Entity: "enterprise", EntityID: "e-1"})
		time.Sleep(5 * time.Millisecond) // a later millisecond for the time filters
		mid := store.Now()
		time.Sleep(5 * time.Millisecond)
		write(t, db, bob, audit.Entry{Action: "create", Entity: "licence", EntityID: "l-1"})
		write(t, db, ctx, audit.Entry{Action: "update", Entity: "enterprise", EntityID: "e-2"})
		write(t, db, bob, audit.Entry{Action: "delete", Entity: "licence", EntityID: "l-1"})

		seqs := func(f audit.Filter) ([]int64, int) {
			t.Helper()
			recs, total, err := audit.List(ctx, db, f)
			if err != nil {
				t.Fatal(err)
			}
			var s []int64
			for _, r := range recs {
				s = append(s, r.Seq)
			}
			return s, total
		}
		for _, c := range []struct {
			name  string
			f     audit.Filter
			want  string
			total int
		}{
			{"all", audit.Filter{}, "[5 4 3 2 1]", 5},
			{"entity", audit.Filter{Entity: "enterprise"}, "[4 2 1]", 3},
			{"entity and id", audit.Filter{Entity: "enterprise", EntityID: "e-1"}, "[2 1]", 2},
			{"actor id", audit.Filter{ActorID: "u-bob"}, "[5 3 2]", 3},
			{"actor name", audit.Filter{ActorID: "包布和"}, "[5 3 2]", 3},
			{"action", audit.Filter{Action: "create"}, "[3 1]", 2},
			{"from", audit.Filter{From: mid}, "[5 4 3]", 3},
			{"to", audit.Filter{To: mid}, "[2 1]", 2},
			{"combined", audit.Filter{ActorID: "u-bob", Entity: "licence", Action: "delete"}, "[5]", 1},
			{"page", audit.Filter{Limit: 2, Offset: 1}, "[4 3]", 5},
			{"no match", audit.Filter{Entity: "nothing"}, "[]", 0},
		} {
			got, total := seqs(c.f)
			if fmt.Sprint(got) != c.want || total != c.total {
				t.Errorf("%s: got %v of %d, want %s of %d", c.name, got, total, c.want, c.total)
			}
		}
	})
}

// Writers in many goroutines (many connections on PostgreSQL) queue on the
// chain's head, so the chain stays whole; Verify running meanwhile never
// reports a break.
func TestConcurrentWritersKeepAValidChain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		const writers, each = 8, 25
		ctx := context.Background()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				actx := audit.WithActor(ctx, audit.Actor{ID: fmt.Sprintf("u-%d", w), Name: "writer"})
				for i := range each {
					err := db.Tx(actx, func(tx *store.Tx) error {
						return audit.Write(actx, tx, audit.Entry{Action: "update", Entity: "task", EntityID: fmt.Sprintf("t-%d-%d", w, i)})
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		stop := make(chan struct{})
		var verifier sync.WaitGroup
		verifier.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := audit.Verify(ctx, db); err != nil {
					t.Errorf("Verify during writes: %v", err)
					return
				}
			}
		})
		wg.Wait()
		close(stop)
		verifier.Wait()
		n, err := audit.Verify(ctx, db)
		if n != writers*each || err != nil {
			t.Fatalf("Verify = %d, %v; want %d records", n, err, writers*each)
		}
	})
}

// A bulk write of several batches keeps the chain whole and in order.
func TestWriteManyChainsInOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "u1", Name: "importer"})
		entries := make([]audit.Entry, 450)
		for i := range entries {
			entries[i] = audit.Entry{Action: "import", Entity: "enterprise", EntityID: fmt.Sprintf("e%03d", i), After: map[string]int{"n": i}}
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "x", EntityID: "first"}); err != nil {
				return err
			}
			return audit.WriteMany(ctx, tx, entries)
		}); err != nil {
			t.Fatal(err)
		}
		n, err := audit.Verify(ctx, db)
		if err != nil || n != 451 {
			t.Fatalf("verify: %d records, %v", n, err)
		}
		recs, _, err := audit.List(ctx, db, audit.Filter{Entity: "enterprise", Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		// Newest first: the last entry written has the highest seq.
		if len(recs) != 450 || recs[0].EntityID != "e449" || recs[449].EntityID != "e000" || recs[0].ActorName != "importer" {
			t.Fatalf("records out of order: first %s last %s", recs[0].EntityID, recs[len(recs)-1].EntityID)
		}
	})
}
