package subscribe

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// Query is a named query.
type Query struct {
	ID        string
	Owner     string // enterprise ID, or "" for the office
	Name      string
	Query     map[string]any // the query object as sent
	CreatedAt int64
	CreatedBy string
}

// Params returns the query as the URL parameters of GET /events.
func (q *Query) Params() url.Values { return toValues(q.Query) }

// MaxNameLength bounds a query name (in characters).
const MaxNameLength = 128

// checkName keeps names to what reads well in a URL path segment: letters,
// digits and . _ - ~.
func checkName(name string) *trace.Problem {
	ok := name != "" && utf8.RuneCountInString(name) <= MaxNameLength
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-~", r) {
			ok = false
		}
	}
	if !ok {
		return &trace.Problem{Pointer: "/name", Rule: "rule.epcis.query_name", Detail: name}
	}
	return nil
}

// CreateQuery stores a named query for owner after checking it with
// CheckQuery. It answers ErrExists when owner already has that name.
func CreateQuery(ctx context.Context, db *store.DB, owner, name string, query any) (*Query, error) {
	var problems []trace.Problem
	if p := checkName(name); p != nil {
		problems = append(problems, *p)
	}
	if _, err := CheckQuery(query); err != nil {
		var inv *Invalid
		if !errors.As(err, &inv) {
			return nil, err
		}
		problems = append(problems, inv.Problems...)
	}
	if len(problems) > 0 {
		return nil, invalidQuery(problems...)
	}
	body, err := json.Marshal(query)
	if err != nil {
		return nil, err
	}
	q := &Query{ID: store.NewID(), Owner: owner, Name: name, Query: query.(map[string]any),
		CreatedAt: store.Now(), CreatedBy: audit.ActorFrom(ctx).ID}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM epcis_queries WHERE owner_id = ? AND name = ?`, owner, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrExists
		}
		if _, err := tx.Exec(ctx, `INSERT INTO epcis_queries (id, owner_id, name, query, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
			q.ID, owner, name, string(body), q.CreatedAt, q.CreatedBy); err != nil {
			if store.IsUniqueViolation(err) {
				return ErrExists
			}
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "epcis_query", EntityID: q.ID,
			After: map[string]any{"name": name, "owner": owner, "query": query}})
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

const queryColumns = `id, owner_id, name, query, created_at, created_by`

func scanQuery(row interface{ Scan(...any) error }) (*Query, error) {
	q := &Query{}
	var body string
	if err := row.Scan(&q.ID, &q.Owner, &q.Name, &body, &q.CreatedAt, &q.CreatedBy); err != nil {
		return nil, err
	}
	v, err := trace.Decode([]byte(body))
	if err != nil {
		return nil, err
	}
	q.Query = v
	return q, nil
}

// GetQuery returns owner's query of that name, or ErrNoQuery.
func GetQuery(ctx context.Context, db store.Queryer, owner, name string) (*Query, error) {
	q, err := scanQuery(db.QueryRow(ctx, `SELECT `+queryColumns+` FROM epcis_queries WHERE owner_id = ? AND name = ?`, owner, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoQuery
	}
	return q, err
}

// ListQueries returns owner's named queries by name.
func ListQueries(ctx context.Context, db *store.DB, owner string) ([]*Query, error) {
	rows, err := db.Query(ctx, `SELECT `+queryColumns+` FROM epcis_queries WHERE owner_id = ? ORDER BY name`, owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Query
	for rows.Next() {
		q, err := scanQuery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// DeleteQuery removes owner's query of that name and, as the binding
// requires, every subscription to it.
func DeleteQuery(ctx context.Context, db *store.DB, owner, name string) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		q, err := GetQuery(ctx, tx, owner, name)
		if err != nil {
			return err
		}
		subs, err := listSubscriptions(ctx, tx, q)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM epcis_subscriptions WHERE query_id = ?`, q.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM epcis_queries WHERE id = ?`, q.ID); err != nil {
			return err
		}
		entries := []audit.Entry{{Action: "delete", Entity: "epcis_query", EntityID: q.ID,
			Before: map[string]any{"name": q.Name, "owner": q.Owner, "query": q.Query}}}
		for _, s := range subs {
			entries = append(entries, audit.Entry{Action: "delete", Entity: "epcis_subscription", EntityID: s.ID, Before: s.auditView()})
		}
		return audit.WriteMany(ctx, tx, entries)
	})
}
