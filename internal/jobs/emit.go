// Package jobs owns durable background work: the outbox of domain events,
// delivered at least once to idempotent handlers, and scheduled jobs that run
// once per slot (a day, an hour) however often the server restarts.
package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hallmark-platform/hallmark/internal/store"
)

// Event is a domain event as stored in the outbox.
type Event struct {
	ID        string
	Topic     string
	Payload   json.RawMessage
	CreatedAt int64
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

// wakeCh nudges a running Runner after a commit that emitted events, so
// delivery does not wait for the next poll.
var wakeCh = make(chan struct{}, 1)

func wake() {
	select {
	case wakeCh <- struct{}{}:
	default:
	}
}
