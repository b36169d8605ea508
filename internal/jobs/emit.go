package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// Event is a domain event as stored in the outbox.
type Event struct {
	ID        string
	Topic     string
	Payload   json.RawMessage
	CreatedAt int64 // Unix ms
}

// Decode unmarshals the event's payload into v.
func (e Event) Decode(v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("event %s %s: %w", e.Topic, e.ID, err)
	}
	return nil
}

// Emit writes an event into the outbox inside tx, so that it exists exactly
// when the change that caused it commits.
func Emit(ctx context.Context, tx *store.Tx, topic string, payload any) error {
	return EmitMany(ctx, tx, topic, []any{payload})
}

// emitBatch bounds one multi-row insert (5 parameters a row).
const emitBatch = 500

// EmitMany writes one event per payload, all of one topic, with multi-row
// inserts: a bulk change emits its events in a few statements.
func EmitMany(ctx context.Context, tx *store.Tx, topic string, payloads []any) error {
	if len(payloads) == 0 {
		return nil
	}
	now := store.Now()
	for start := 0; start < len(payloads); start += emitBatch {
		batch := payloads[start:min(start+emitBatch, len(payloads))]
		var q strings.Builder
		q.WriteString(`INSERT INTO events (id, topic, payload, created_at, dispatched) VALUES `)
		args := make([]any, 0, len(batch)*5)
		for i, p := range batch {
			b, err := json.Marshal(p)
			if err != nil {
				return fmt.Errorf("event %s: %w", topic, err)
			}
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, store.NewID(), topic, string(b), now, false)
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("event %s: %w", topic, err)
		}
	}
	tx.AfterCommit(wake)
	return nil
}

// Running runners in this process each listen on a wake channel; a commit
// that emitted events nudges them all, so delivery does not wait for the next
// poll. A channel holds at most one nudge: many commits during one pass need
// only one more pass.
var (
	wakeMu sync.Mutex
	wakers = map[chan struct{}]struct{}{}
)

func wake() {
	wakeMu.Lock()
	defer wakeMu.Unlock()
	for c := range wakers {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func listen() (c chan struct{}, stop func()) {
	c = make(chan struct{}, 1)
	wakeMu.Lock()
	wakers[c] = struct{}{}
	wakeMu.Unlock()
	return c, func() {
		wakeMu.Lock()
		delete(wakers, c)
		wakeMu.Unlock()
	}
}
