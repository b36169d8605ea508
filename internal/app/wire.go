package app

import (
	"context"
	"log/slog"

	"github.com/hallmark-platform/hallmark/internal/store"
)

type runner interface{ Run(ctx context.Context) error }

type idle struct{}

func (idle) Run(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

// NewRunner is replaced by the background runner once it lands.
func NewRunner(db *store.DB, log *slog.Logger) runner { return idle{} }

// LoadDemo loads the demo banner.
func LoadDemo(ctx context.Context, db *store.DB, log *slog.Logger) error { return nil }
