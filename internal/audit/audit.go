// Package audit keeps the append-only, hash-chained record of every write.
// A record is written inside the transaction that makes the change, so a
// change without its record cannot commit. Each record's hash covers its own
// fields and the previous record's hash; altering or removing any record
// breaks every hash after it, which Verify finds.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// Actor is who makes a change.
type Actor struct {
	ID   string
	Name string
}

// System is the actor for changes made by Hallmark itself (jobs, demo load).
var System = Actor{ID: "system", Name: "system"}

type actorKey struct{}

// WithActor returns a context that attributes writes to a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, or System.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok && a.ID != "" {
		return a
	}
	return System
}

// Entry is one change: what was done to which entity, and its state before
// and after (any JSON-encodable value; nil for none).
type Entry struct {
	Action     string // create, update, delete, sign-in, …
	Entity     string // enterprise, licence, user, …
	EntityID   string
	RegionCode string
	Before     any
	After      any
}

// Record is a stored audit record.
type Record struct {
	Seq        int64
	At         int64
	ActorID    string
	ActorName  string
	Action     string
	Entity     string
	EntityID   string
	RegionCode string
	Before     string
	After      string
	PrevHash   string
	Hash       string
}

// Write appends e to the chain inside tx, attributed to the actor in ctx.
func Write(ctx context.Context, tx *store.Tx, e Entry) error {
	return WriteMany(ctx, tx, []Entry{e})
}

// auditBatch bounds one multi-row insert (12 parameters a row) well under
// both databases' parameter limits.
const auditBatch = 200

// WriteMany appends entries to the chain in order, inside tx: one lock of
// the chain head and multi-row inserts, so that a bulk import costs a few
// statements rather than two per row.
func WriteMany(ctx context.Context, tx *store.Tx, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	actor := ActorFrom(ctx)
	var head Record
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+tx.ForUpdate()).Scan(&head.Seq, &head.Hash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	at := store.Now()
	prev := head
	for start := 0; start < len(entries); start += auditBatch {
		batch := entries[start:min(start+auditBatch, len(entries))]
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_log (seq, at, actor_id, actor_name, action, entity, entity_id,
		region_code, before_json, after_json, prev_hash, hash) VALUES `)
		args := make([]any, 0, len(batch)*12)
		for i, e := range batch {
			r := Record{
				Seq: prev.Seq + 1, At: at, ActorID: actor.ID, ActorName: actor.Name,
				Action: e.Action, Entity: e.Entity, EntityID: e.EntityID, RegionCode: e.RegionCode,
				Before: encode(e.Before), After: encode(e.After), PrevHash: prev.Hash,
			}
			r.Hash = r.computeHash()
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
			args = append(args, r.Seq, r.At, r.ActorID, r.ActorName, r.Action, r.Entity, r.EntityID, r.RegionCode,
				r.Before, r.After, r.PrevHash, r.Hash)
			prev = r
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("audit insert: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, prev.Seq, prev.Hash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

func encode(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return string(b)
}

// computeHash hashes the record's fields, each length-prefixed so that no two
// different records can produce the same input.
func (r Record) computeHash() string {
	h := sha256.New()
	for _, f := range []string{
		strconv.FormatInt(r.Seq, 10), strconv.FormatInt(r.At, 10), r.ActorID, r.ActorName,
		r.Action, r.Entity, r.EntityID, r.RegionCode, r.Before, r.After, r.PrevHash,
	} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BrokenError names the first record at which the chain no longer holds.
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit chain broken at record %d: %s", e.Seq, e.Reason)
}

// Verify walks the whole chain in order. It returns the number of records
// checked, and a *BrokenError for the first record that fails.
//
// The head is read before the records: writes only append, so every record
// up to the head read is then in the walk, while records committed during the
// walk (a live system) extend the chain instead of looking like a mismatch
// with a head read later.
func Verify(ctx context.Context, db *store.DB) (int64, error) {
	var headSeq int64
	var headHash string
	if err := db.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return 0, err
	}
	rows, err := db.Query(ctx, `SELECT seq, at, actor_id, actor_name, action, entity, entity_id, region_code,
		before_json, after_json, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n, want int64
	prev := ""
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.ActorName, &r.Action, &r.Entity, &r.EntityID,
			&r.RegionCode, &r.Before, &r.After, &r.PrevHash, &r.Hash); err != nil {
			return n, err
		}
		want++
		switch {
		case r.Seq != want:
			return n, &BrokenError{Seq: want, Reason: fmt.Sprintf("record missing (next is %d)", r.Seq)}
		case r.PrevHash != prev:
			return n, &BrokenError{Seq: r.Seq, Reason: "previous-hash link does not match"}
		case r.computeHash() != r.Hash:
			return n, &BrokenError{Seq: r.Seq, Reason: "contents do not match their hash"}
		case r.Seq == headSeq && r.Hash != headHash:
			return n, &BrokenError{Seq: r.Seq, Reason: "record does not match the chain head"}
		}
		prev = r.Hash
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if n < headSeq {
		return n, &BrokenError{Seq: n + 1, Reason: fmt.Sprintf("chain ends at %d but head says %d (records removed from the end)", n, headSeq)}
	}
	return n, nil
}

// Filter selects audit records for the admin page.
type Filter struct {
	Entity   string
	EntityID string
	ActorID  string
	Action   string
	From, To int64 // Unix ms, inclusive, 0 for open
	Limit    int
	Offset   int
}

// List returns the records matching f, newest first, and their total count.
func List(ctx context.Context, q store.Queryer, f Filter) ([]Record, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Entity != "" {
		add("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id = ?", f.EntityID)
	}
	if f.ActorID != "" {
		add("(actor_id = ? OR actor_name = ?)", f.ActorID)
		args = append(args, f.ActorID)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.From > 0 {
		add("at >= ?", f.From)
	}
	if f.To > 0 {
		add("at <= ?", f.To)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := q.Query(ctx, `SELECT seq, at, actor_id, actor_name, action, entity, entity_id, region_code,
		before_json, after_json, prev_hash, hash FROM audit_log`+cond+` ORDER BY seq DESC LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.ActorName, &r.Action, &r.Entity, &r.EntityID,
			&r.RegionCode, &r.Before, &r.After, &r.PrevHash, &r.Hash); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}
