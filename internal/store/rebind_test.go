package store

import "testing"

func TestRebind(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`SELECT 1`:                         `SELECT 1`,
		`a = ? AND b = ?`:                  `a = $1 AND b = $2`,
		`x LIKE '?%' AND y = ?`:            `x LIKE '?%' AND y = $1`,
		`VALUES (?, ?, ?), (?, ?, ?)`:      `VALUES ($1, $2, $3), ($4, $5, $6)`,
		`note = 'it''s ?' AND z IN (?, ?)`: `note = 'it''s ?' AND z IN ($1, $2)`,
	}
	for in, want := range cases {
		if got := rebind(Postgres, in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		if got := rebind(SQLite, in); got != in {
			t.Errorf("SQLite keeps ? placeholders: got %q", got)
		}
	}
}
