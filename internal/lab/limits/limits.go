// Package limits keeps the catalogue of limits that results are judged
// against (限量): for each standard, product category and test item, the
// comparison, bounds, unit, detection limit and method the standard gives.
//
// The office keeps the catalogue: one at a time (Create, Update, Delete,
// each validated and audited) or from a spreadsheet (Import, all or
// nothing; Template; Export). Hallmark ships a small subset of national
// standards (SeedDefaults), every value of which says whether it was checked
// against the published text (judge.Limit.Illustrative).
//
// Applicable finds the limits for a product category and test item,
// following a small hierarchy of category names (菠菜 → 叶菜类蔬菜 → 新鲜蔬菜
// → 蔬菜), and Pick chooses the one to judge by. Judging itself is
// internal/lab/judge.
package limits

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Paging.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// RuleDuplicate is reported on "item" when the standard already has a limit
// for the category and item.
const RuleDuplicate = "rule.lab.limit.duplicate"

// entity names the catalogue's rows in the audit trail.
const entity = "lab_limit"

var basisRe = regexp.MustCompile(`\(以[^)]*计\)`)

// Key folds a category or item name for matching: full-width forms, case,
// spaces and brackets do not matter, nor does an "expressed as" note, so
// "铅（以 Pb 计）" and "铅" are the same item.
func Key(s string) string {
	s = width.Fold.String(s)
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	s = strings.NewReplacer("（", "(", "）", ")", "【", "[", "】", "]").Replace(s)
	return basisRe.ReplaceAllString(s, "")
}

// Filter selects limits. Q matches anywhere in the standard, clause,
// category or item (ignoring width, case and spaces); Standard must match
// exactly; Category and Item match their folded names exactly. Illustrative
// narrows to unchecked ("true") or checked ("false") values.
type Filter struct {
	Q            string `json:"q"`
	Standard     string `json:"standard"`
	Category     string `json:"category"`
	Item         string `json:"item"`
	Illustrative string `json:"illustrative"`
	Limit        int    `json:"limit"`
	Offset       int    `json:"offset"`
}

func (f Filter) where() (string, []any) {
	parts := []string{"1=1"}
	var args []any
	add := func(c string, a ...any) { parts = append(parts, c); args = append(args, a...) }
	if q := Key(f.Q); q != "" {
		add(`search_key LIKE ? ESCAPE '\'`, "%"+likeEscape(q)+"%")
	}
	if s := strings.TrimSpace(f.Standard); s != "" {
		add("standard = ?", s)
	}
	if c := Key(f.Category); c != "" {
		add("category_key = ?", c)
	}
	if i := Key(f.Item); i != "" {
		add("item_key = ?", i)
	}
	switch f.Illustrative {
	case "true":
		add("illustrative = ?", true)
	case "false":
		add("illustrative = ?", false)
	}
	return strings.Join(parts, " AND "), args
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

const columns = `id, standard, clause, category, item, comparison, min, max, unit, lod, method, rounded, illustrative, note, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scan(r scanner) (judge.Limit, error) {
	var l judge.Limit
	var cmp string
	err := r.Scan(&l.ID, &l.Standard, &l.Clause, &l.Category, &l.Item, &cmp, &l.Min, &l.Max, &l.Unit, &l.LOD,
		&l.Method, &l.Rounded, &l.Illustrative, &l.Note, &l.CreatedAt, &l.UpdatedAt)
	l.Comparison = judge.Comparison(cmp)
	return l, err
}

func collect(rows *sql.Rows) ([]judge.Limit, error) {
	defer rows.Close()
	out := []judge.Limit{}
	for rows.Next() {
		l, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// List returns one page of the limits f selects, ordered by category, item
// and standard, and how many it selects in all.
func List(ctx context.Context, q store.Queryer, f Filter) ([]judge.Limit, int, error) {
	cond, args := f.where()
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM lab_limits WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM lab_limits WHERE `+cond+
		` ORDER BY category_key, item_key, standard, id LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	out, err := collect(rows)
	return out, total, err
}

// Get returns one limit, or fielderr.ErrNotFound.
func Get(ctx context.Context, q store.Queryer, id string) (judge.Limit, error) {
	l, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM lab_limits WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return judge.Limit{}, fielderr.ErrNotFound
	}
	return l, err
}

// Normalize tidies a limit as typed: spaces trimmed, full-width digits and
// signs folded in the numbers, and a comparison written as a symbol or in
// words ("≤", "不得检出") turned into its code. It is what Create, Update and
// Import do before they validate.
func Normalize(l judge.Limit) judge.Limit {
	trim := strings.TrimSpace
	l.Standard = strings.Join(strings.Fields(l.Standard), " ")
	l.Clause, l.Category, l.Item = trim(l.Clause), trim(l.Category), trim(l.Item)
	l.Method, l.Note, l.Unit = trim(l.Method), trim(l.Note), trim(l.Unit)
	num := func(s string) string { return strings.ReplaceAll(width.Fold.String(trim(s)), " ", "") }
	l.Min, l.Max, l.LOD = num(l.Min), num(l.Max), num(l.LOD)
	if c, ok := ParseComparison(string(l.Comparison)); ok {
		l.Comparison = c
	}
	return l
}

// comparisonWords are the ways a comparison is written in a form or a
// spreadsheet, folded with Key.
var comparisonWords = map[string]judge.Comparison{
	"le": judge.AtMost, "≤": judge.AtMost, "<=": judge.AtMost, "不大于": judge.AtMost, "不超过": judge.AtMost, "最大": judge.AtMost, "atmost": judge.AtMost, "max": judge.AtMost,
	"lt": judge.Below, "<": judge.Below, "小于": judge.Below, "below": judge.Below,
	"ge": judge.AtLeast, "≥": judge.AtLeast, ">=": judge.AtLeast, "不小于": judge.AtLeast, "不低于": judge.AtLeast, "最小": judge.AtLeast, "atleast": judge.AtLeast, "min": judge.AtLeast,
	"gt": judge.Above, ">": judge.Above, "大于": judge.Above, "above": judge.Above,
	"range": judge.Within, "范围": judge.Within, "区间": judge.Within, "~": judge.Within, "within": judge.Within,
	"nd": judge.NotDetected, "不得检出": judge.NotDetected, "notdetected": judge.NotDetected, "mustnotbedetected": judge.NotDetected,
}

// ParseComparison reads a comparison written as its code, a symbol or in
// words.
func ParseComparison(s string) (judge.Comparison, bool) {
	c, ok := comparisonWords[Key(s)]
	return c, ok
}

// ComparisonLabel shows a comparison as a symbol (or 不得检出 / must not be
// detected), for forms, exports and templates.
func ComparisonLabel(c judge.Comparison, lang string) string {
	en := strings.HasPrefix(strings.ToLower(lang), "en")
	switch c {
	case judge.AtMost:
		return "≤"
	case judge.Below:
		return "<"
	case judge.AtLeast:
		return "≥"
	case judge.Above:
		return ">"
	case judge.Within:
		if en {
			return "range"
		}
		return "范围"
	case judge.NotDetected:
		if en {
			return "must not be detected"
		}
		return "不得检出"
	}
	return string(c)
}

// check normalizes and validates l, and reports a limit the standard
// already has for the category and item (other than l itself).
func check(ctx context.Context, q store.Queryer, l judge.Limit) (judge.Limit, fielderr.List, error) {
	l = Normalize(l)
	errs := judge.Validate(l)
	if errs.Has("standard") || errs.Has("category") || errs.Has("item") {
		return l, errs, nil
	}
	id, err := existing(ctx, q, l)
	if err != nil {
		return l, nil, err
	}
	if id != "" && id != l.ID {
		errs.Add("item", RuleDuplicate)
	}
	return l, errs, nil
}

// existing returns the ID of the limit with l's standard, category and item.
func existing(ctx context.Context, q store.Queryer, l judge.Limit) (string, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT id FROM lab_limits WHERE standard = ? AND category_key = ? AND item_key = ?`,
		l.Standard, Key(l.Category), Key(l.Item)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

func searchKey(l judge.Limit) string {
	return Key(l.Standard + " " + l.Clause + " " + l.Category + " " + l.Item)
}

func insert(ctx context.Context, tx *store.Tx, l judge.Limit, by string) error {
	_, err := tx.Exec(ctx, `INSERT INTO lab_limits (id, standard, clause, category, category_key, item, item_key, comparison,
		min, max, unit, lod, method, rounded, illustrative, note, search_key, created_by, created_at, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.Standard, l.Clause, l.Category, Key(l.Category), l.Item, Key(l.Item), string(l.Comparison),
		l.Min, l.Max, l.Unit, l.LOD, l.Method, l.Rounded, l.Illustrative, l.Note, searchKey(l), by, l.CreatedAt, by, l.UpdatedAt)
	return err
}

func update(ctx context.Context, tx *store.Tx, l judge.Limit, by string) error {
	_, err := tx.Exec(ctx, `UPDATE lab_limits SET standard = ?, clause = ?, category = ?, category_key = ?, item = ?, item_key = ?,
		comparison = ?, min = ?, max = ?, unit = ?, lod = ?, method = ?, rounded = ?, illustrative = ?, note = ?, search_key = ?,
		updated_by = ?, updated_at = ? WHERE id = ?`,
		l.Standard, l.Clause, l.Category, Key(l.Category), l.Item, Key(l.Item), string(l.Comparison), l.Min, l.Max, l.Unit,
		l.LOD, l.Method, l.Rounded, l.Illustrative, l.Note, searchKey(l), by, l.UpdatedAt, l.ID)
	return err
}

// Create adds a limit to the catalogue. Bad input comes back as a
// *fielderr.List (fields by their JSON names; a limit the standard already
// has for the category and item is RuleDuplicate on "item") and changes
// nothing.
func Create(ctx context.Context, db *store.DB, l judge.Limit) (judge.Limit, error) {
	var out judge.Limit
	err := db.Tx(ctx, func(tx *store.Tx) error {
		l, errs, err := check(ctx, tx, l)
		if err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		l.ID = store.NewID()
		l.CreatedAt = store.Now()
		l.UpdatedAt = l.CreatedAt
		if err := insert(ctx, tx, l, audit.ActorFrom(ctx).ID); err != nil {
			return err
		}
		out = l
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: entity, EntityID: l.ID, After: l})
	})
	return out, err
}

// Update replaces the limit l.ID with l, validated as Create does; a
// missing ID is fielderr.ErrNotFound.
func Update(ctx context.Context, db *store.DB, l judge.Limit) (judge.Limit, error) {
	var out judge.Limit
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := Get(ctx, tx, l.ID)
		if err != nil {
			return err
		}
		l, errs, err := check(ctx, tx, l)
		if err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		l.CreatedAt, l.UpdatedAt = before.CreatedAt, store.Now()
		if err := update(ctx, tx, l, audit.ActorFrom(ctx).ID); err != nil {
			return err
		}
		out = l
		return audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: entity, EntityID: l.ID, Before: before, After: l})
	})
	return out, err
}

// Delete removes a limit; a missing ID is fielderr.ErrNotFound. Verdicts
// already given keep the limit's text they were judged by (the lab package
// stores it with the result), so removing a limit rewrites no history.
func Delete(ctx context.Context, db *store.DB, id string) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		before, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM lab_limits WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "delete", Entity: entity, EntityID: id, Before: before})
	})
}
