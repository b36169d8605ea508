package subscribe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func actorCtx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{ID: "u1", Name: "tester"})
}

func auditCount(t *testing.T, db *store.DB, entity, action string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE entity = ? AND action = ?`, entity, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNamedQueries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := actorCtx()
		q := decodeAny(t, `{"eventType": ["ObjectEvent"], "EQ_bizStep": ["shipping", "receiving"]}`)
		created, err := CreateQuery(ctx, db, "ent-1", "myQuery", q)
		if err != nil {
			t.Fatal(err)
		}
		if created.CreatedBy != "u1" || auditCount(t, db, "epcis_query", "create") != 1 {
			t.Errorf("creation not attributed or not audited: %+v", created)
		}
		if _, err := CreateQuery(ctx, db, "ent-1", "myQuery", q); !errors.Is(err, ErrExists) {
			t.Errorf("same name again: %v", err)
		}
		// Names are per owner: another enterprise neither sees nor blocks it.
		if _, err := CreateQuery(ctx, db, "ent-2", "myQuery", decodeAny(t, `{"EQ_bizStep": ["receiving"]}`)); err != nil {
			t.Errorf("another owner's query of the same name: %v", err)
		}
		if _, err := GetQuery(ctx, db, "", "myQuery"); !errors.Is(err, ErrNoQuery) {
			t.Errorf("the office sees an enterprise's query: %v", err)
		}
		got, err := GetQuery(ctx, db, "ent-1", "myQuery")
		if err != nil {
			t.Fatal(err)
		}
		if p := got.Params(); len(p["EQ_bizStep"]) != 2 || p.Get("eventType") != "ObjectEvent" {
			t.Errorf("stored query reads back as %v", p)
		}
		list, err := ListQueries(ctx, db, "ent-1")
		if err != nil || len(list) != 1 || list[0].Name != "myQuery" {
			t.Fatalf("list: %v %v", list, err)
		}
		for _, bad := range []string{"", "a/b", "has space", strings.Repeat("a", MaxNameLength+1)} {
			_, err := CreateQuery(ctx, db, "ent-1", bad, q)
			if ps := pointers(err); len(ps) != 1 || ps[0] != "/name" {
				t.Errorf("name %q: %v", bad, err)
			}
		}
		_, err = CreateQuery(ctx, db, "ent-1", "bad", decodeAny(t, `{"EQ_action": ["SHIPPED"]}`))
		if ps := pointers(err); len(ps) != 1 || ps[0] != "/query/EQ_action/0" {
			t.Errorf("bad query: %v", err)
		}

		// Deleting a query removes its subscriptions.
		if _, err := Subscribe(ctx, db, "ent-1", "myQuery", Request{Dest: "https://example.org/cb", Stream: ptr(true)}, "", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := DeleteQuery(ctx, db, "ent-2", "nothing"); !errors.Is(err, ErrNoQuery) {
			t.Errorf("delete a missing query: %v", err)
		}
		if err := DeleteQuery(ctx, db, "ent-1", "myQuery"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM epcis_subscriptions`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d subscriptions outlive their query (%v)", n, err)
		}
		if auditCount(t, db, "epcis_query", "delete") != 1 || auditCount(t, db, "epcis_subscription", "delete") != 1 {
			t.Error("deletion not audited")
		}
		if _, err := GetQuery(ctx, db, "ent-1", "myQuery"); !errors.Is(err, ErrNoQuery) {
			t.Errorf("deleted query still there: %v", err)
		}
		if _, err := GetQuery(ctx, db, "ent-2", "myQuery"); err != nil {
			t.Errorf("another owner's query went with it: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
