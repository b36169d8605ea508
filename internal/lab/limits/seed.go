package limits

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/sheet"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// defaults is the subset of national standards Hallmark ships, in the
// import format. Every row whose value was not checked against the
// published text says so (示意值 = 是) and why, in its note.
//
//go:embed limits.csv
var defaults []byte

// Defaults returns the shipped limits as a CSV file in the import format.
func Defaults() []byte { return append([]byte(nil), defaults...) }

// SeedDefaults adds the shipped limits that the catalogue lacks (by
// standard, category and item) and returns how many it added. It never
// changes a limit already there, so the office's corrections survive, and
// running it again adds nothing.
func SeedDefaults(ctx context.Context, db *store.DB) (int, error) {
	tab, ferr, err := readCSV(defaults, sheetColumns, []string{"standard", "category", "item"}, importLimits, "zh-CN")
	if err != nil {
		return 0, err
	}
	if ferr != nil {
		return 0, fmt.Errorf("shipped limits: %s", ferr.Rule)
	}
	ls, errs := parseRows(tab)
	if len(errs) > 0 {
		return 0, fmt.Errorf("shipped limits: %w", sheet.Errors(errs).Err())
	}
	added := 0
	err = db.Tx(ctx, func(tx *store.Tx) error {
		added = 0
		var entries []audit.Entry
		now := store.Now()
		for _, l := range ls {
			id, err := existing(ctx, tx, l)
			if err != nil {
				return err
			}
			if id != "" {
				continue
			}
			l.ID, l.CreatedAt, l.UpdatedAt = store.NewID(), now, now
			if err := insert(ctx, tx, l, audit.ActorFrom(ctx).ID); err != nil {
				return err
			}
			entries = append(entries, audit.Entry{Action: "seed", Entity: entity, EntityID: l.ID, After: l})
			added++
		}
		return audit.WriteMany(ctx, tx, entries)
	})
	return added, err
}
