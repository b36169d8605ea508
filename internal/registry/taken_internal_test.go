package registry

import (
	"context"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// A code registered by another enterprise between the check and the write
// is refused on its own field, as each database words the violation.
func TestTakenErrorNamesTheField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := SeedRegions(ctx, db); err != nil {
			t.Fatal(err)
		}
		insert := func(id, uscc, gln string) error {
			_, err := db.Exec(ctx, `INSERT INTO enterprises (id, region_code, uscc, name, gln, created_at, updated_at)
				VALUES (?, '152921', ?, 'x', ?, 0, 0)`, id, uscc, gln)
			return err
		}
		if err := insert("a", "91152921MA0N000019", "6901234000009"); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			uscc, gln, field, rule string
		}{
			{"91152921MA0N000027", "6901234000009", "gln", "rule.gln.taken"},
			{"91152921MA0N000019", "", "uscc", "rule.uscc.taken"},
		} {
			err := takenError(insert("b", c.uscc, c.gln))
			list, ok := fielderr.As(err)
			if !ok || len(list) != 1 || list[0].Field != c.field || list[0].Rule != c.rule {
				t.Errorf("%s taken: %v", c.field, err)
			}
		}
	})
}
