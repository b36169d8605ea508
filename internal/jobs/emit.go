package jobs

import (
	"context"
	"encoding/json"
	"fmt"
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
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("event %s: %w", topic, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO events (id, topic, payload, created_at, dispatched) VALUES (?, ?, ?, ?, ?)`,
		store.NewID(), topic, string(b), store.Now(), false); err != nil {
		return fmt.Errorf("event %s: %w", topic, err)
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
