// Package settings keeps the few values an administrator may tune at run
// time (table settings: one text value per key), so that they live in the
// database with an audit trail rather than in flags that need a restart.
package settings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// TopicUpdated is the event emitted when a setting changes, so that modules
// holding values computed from it (licence states, reminders) can recompute.
// Its payload is UpdatedEvent.
const TopicUpdated = "setting.updated"

// UpdatedEvent is the payload of TopicUpdated.
type UpdatedEvent struct {
	Key   string `json:"key"`
	Value int    `json:"value"`
}

// Int returns the integer stored under key, or def when the key is unset.
// A stored value that is not an integer also yields def: SetInt only ever
// writes integers, so such a row was edited by hand, and a pages-wide
// failure over it would leave the administrator unable to correct it.
func Int(ctx context.Context, q store.Queryer, key string, def int) (int, error) {
	v, ok, err := get(ctx, q, key, "")
	if err != nil || !ok {
		return def, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return def, nil
	}
	return n, nil
}

// Bounded is an integer setting with its default and the range an
// administrator may set (SetInt).
type Bounded struct {
	Key           string
	Def, Min, Max int
}

// Ints reads each setting of list, by key; a value out of its range (a row
// edited by hand) reads as its default.
func Ints(ctx context.Context, q store.Queryer, list []Bounded) (map[string]int, error) {
	vals := make(map[string]int, len(list))
	for _, s := range list {
		v, err := Int(ctx, q, s.Key, s.Def)
		if err != nil {
			return nil, err
		}
		if v < s.Min || v > s.Max {
			v = s.Def
		}
		vals[s.Key] = v
	}
	return vals, nil
}

// SetInt stores v under key when min <= v <= max, with an audit record in the
// same transaction. A value out of range is a fielderr on the field "value"
// (rule "rule.range", params min and max) and changes nothing. Setting the
// value a key already holds writes nothing.
func SetInt(ctx context.Context, db *store.DB, key string, v, min, max int) error {
	if strings.TrimSpace(key) == "" {
		return errors.New("settings: empty key")
	}
	if v < min || v > max {
		return fielderr.New("value", "rule.range", "min", min, "max", max)
	}
	value := strconv.Itoa(v)
	return db.Tx(ctx, func(tx *store.Tx) error {
		before, had, err := get(ctx, tx, key, tx.ForUpdate())
		if err != nil {
			return err
		}
		if had && before == value {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			key, value, store.Now()); err != nil {
			return fmt.Errorf("set %s: %w", key, err)
		}
		entry := audit.Entry{Action: "create", Entity: "setting", EntityID: key, After: value}
		if had {
			entry.Action, entry.Before = "update", before
		}
		if err := audit.Write(ctx, tx, entry); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, TopicUpdated, UpdatedEvent{Key: key, Value: v})
	})
}

func get(ctx context.Context, q store.Queryer, key, lock string) (string, bool, error) {
	var v string
	err := q.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`+lock, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, true, nil
}
