package genealogy

import (
	"context"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// LoadNetwork generates the network described by spec and captures it
// through the EPCIS capture path, document by document in order (a later
// document may close what an earlier one opened). The next document is
// generated while one is captured. progress, when not nil, is told the
// running count of events after each document. It returns the events
// stored.
func LoadNetwork(ctx context.Context, db *store.DB, spec NetworkSpec, progress func(events int)) (int, error) {
	docs := make(chan []byte, 2)
	generated := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(docs)
		generated <- GenerateNetwork(spec, func(doc []byte) error {
			select {
			case docs <- doc:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	events := 0
	for doc := range docs {
		n, err := trace.CaptureJSON(ctx, db, doc, "")
		if err != nil {
			cancel()
			for range docs {
			}
			return events, err
		}
		events += n
		if progress != nil {
			progress(events)
		}
	}
	return events, <-generated
}
