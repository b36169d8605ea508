package limits

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// The kinds of a link in the category hierarchy.
const (
	LinkSynonym = "synonym" // the name is another spelling of the target
	LinkBroader = "broader" // the name belongs to the wider group target
)

// MaxCategory bounds a category name.
const MaxCategory = 50

const linkEntity = "lab_category_link"

// Link is one step of the category hierarchy: built in (from GB 2762 and
// GB 2763's classifications) or added by the office, which may also
// override a built-in step for the same name.
type Link struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Target    string `json:"target"`
	BuiltIn   bool   `json:"built_in"`
	Overrides bool   `json:"overrides,omitempty"` // an office link replacing a built-in one
	CreatedAt int64  `json:"created_at,omitempty"`
	UpdatedAt int64  `json:"updated_at,omitempty"`
}

// Links lists the hierarchy: the office's links first, then the built-in
// ones they leave in force, each group by name.
func Links(ctx context.Context, q store.Queryer) ([]Link, error) {
	own, err := officeLinks(ctx, q)
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	for i := range own {
		k := Key(own[i].Name)
		mine[k] = true
		own[i].Overrides = synKeys[k] != "" || upKeys[k] != ""
	}
	var built []Link
	for name, target := range synonyms {
		if !mine[Key(name)] {
			built = append(built, Link{Name: name, Kind: LinkSynonym, Target: target, BuiltIn: true})
		}
	}
	for name, target := range broader {
		if !mine[Key(name)] {
			built = append(built, Link{Name: name, Kind: LinkBroader, Target: target, BuiltIn: true})
		}
	}
	slices.SortFunc(built, func(a, b Link) int { return strings.Compare(a.Name, b.Name) })
	return append(own, built...), nil
}

func officeLinks(ctx context.Context, q store.Queryer) ([]Link, error) {
	rows, err := q.Query(ctx, `SELECT name, kind, target, created_at, updated_at FROM lab_category_links ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Link{}
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.Name, &l.Kind, &l.Target, &l.CreatedAt, &l.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// hierarchy is the built-in hierarchy with the office's links applied, as
// folded keys: syn maps a spelling to the name it stands for, up a name to
// its wider group.
type hierarchy struct{ syn, up map[string]string }

func loadHierarchy(ctx context.Context, q store.Queryer) (hierarchy, error) {
	h := hierarchy{syn: map[string]string{}, up: map[string]string{}}
	for k, v := range synKeys {
		h.syn[k] = v
	}
	for k, v := range upKeys {
		h.up[k] = v
	}
	own, err := officeLinks(ctx, q)
	if err != nil {
		return h, err
	}
	for _, l := range own {
		h.set(Key(l.Name), l.Kind, Key(l.Target))
	}
	return h, nil
}

func (h hierarchy) set(name, kind, target string) {
	delete(h.syn, name)
	delete(h.up, name)
	if kind == LinkSynonym {
		h.syn[name] = target
	} else {
		h.up[name] = target
	}
}

// broader is the chain from a category to its widest group (see Broader);
// cyclic says the walk came back to a name it had passed.
func (h hierarchy) broader(category string) (chain []string, cyclic bool) {
	k := Key(category)
	if s, ok := h.syn[k]; ok {
		k = s
	}
	for k != "" {
		if slices.Contains(chain, k) {
			return chain, true
		}
		chain = append(chain, k)
		k = h.up[k]
		if s, ok := h.syn[k]; ok {
			k = s
		}
	}
	return chain, false
}

// spellings lists every key that names the canonical name k: k itself and
// its synonyms.
func (h hierarchy) spellings(k string) []string {
	out := []string{k}
	for s, c := range h.syn {
		if c == k {
			out = append(out, s)
		}
	}
	return out
}

// SaveLink adds or replaces the office's link for l.Name. Refusals, as a
// *fielderr.List: "name" and "target" rule.required / rule.max_length,
// "kind" rule.lab.category.kind, "target" rule.lab.category.self (a name
// pointing at itself), rule.lab.category.synonym_target (another name for
// a name that is itself another name: {target}, {canonical}) and
// rule.lab.category.cycle (the hierarchy would loop: {chain}).
func SaveLink(ctx context.Context, db *store.DB, l Link) (Link, error) {
	l.Name, l.Target, l.Kind = strings.TrimSpace(l.Name), strings.TrimSpace(l.Target), strings.TrimSpace(l.Kind)
	var errs fielderr.List
	fielderr.CheckText(&errs, "name", l.Name, true, MaxCategory)
	fielderr.CheckText(&errs, "target", l.Target, true, MaxCategory)
	if l.Kind != LinkSynonym && l.Kind != LinkBroader {
		errs.Add("kind", "rule.lab.category.kind")
	}
	if err := errs.Err(); err != nil {
		return l, err
	}
	name, target := Key(l.Name), Key(l.Target)
	if name == target {
		return l, fielderr.New("target", "rule.lab.category.self")
	}
	var out Link
	err := db.Tx(ctx, func(tx *store.Tx) error {
		h, err := loadHierarchy(ctx, tx)
		if err != nil {
			return err
		}
		if canonical, ok := h.syn[target]; ok && l.Kind == LinkSynonym {
			return fielderr.New("target", "rule.lab.category.synonym_target", "target", l.Target, "canonical", canonical)
		}
		h.set(name, l.Kind, target)
		if chain, cyclic := h.broader(name); cyclic {
			return fielderr.New("target", "rule.lab.category.cycle", "chain", strings.Join(append(chain, name), " → "))
		}
		var before *Link
		var prev Link
		err = tx.QueryRow(ctx, `SELECT name, kind, target, created_at, updated_at FROM lab_category_links WHERE name_key = ?`, name).
			Scan(&prev.Name, &prev.Kind, &prev.Target, &prev.CreatedAt, &prev.UpdatedAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			before = &prev
		}
		now := store.Now()
		created := now
		if before != nil {
			created = before.CreatedAt
		}
		if _, err := tx.Exec(ctx, `DELETE FROM lab_category_links WHERE name_key = ?`, name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lab_category_links (name_key, name, kind, target, target_key, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, name, l.Name, l.Kind, l.Target, target, audit.ActorFrom(ctx).ID, created, now); err != nil {
			return err
		}
		out = Link{Name: l.Name, Kind: l.Kind, Target: l.Target, CreatedAt: created, UpdatedAt: now}
		action := "create"
		if before != nil {
			action = "update"
		}
		return audit.Write(ctx, tx, audit.Entry{Action: action, Entity: linkEntity, EntityID: name, Before: before, After: out})
	})
	return out, err
}

// DeleteLink removes the office's link for name (the built-in one, if any,
// is in force again); an unknown name is fielderr.ErrNotFound.
func DeleteLink(ctx context.Context, db *store.DB, name string) error {
	key := Key(name)
	return db.Tx(ctx, func(tx *store.Tx) error {
		var l Link
		err := tx.QueryRow(ctx, `SELECT name, kind, target, created_at, updated_at FROM lab_category_links WHERE name_key = ?`, key).
			Scan(&l.Name, &l.Kind, &l.Target, &l.CreatedAt, &l.UpdatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return fielderr.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM lab_category_links WHERE name_key = ?`, key); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "delete", Entity: linkEntity, EntityID: key, Before: l})
	})
}
