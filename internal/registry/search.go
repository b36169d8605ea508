package registry

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Filter selects enterprises. Q matches anywhere in the name (ignoring case
// and full/half width) or its pinyin initials ("alsz"), or the start of the
// USCC. RegionCode narrows to a region under the user's own; Township,
// Industry, Status and DepartmentID must match exactly. Sort is "name" (the
// default: by pinyin initials, then name), "-name", "uscc", "created",
// "-created", "updated" or "-updated" (newest first).
type Filter struct {
	Q            string `json:"q"`
	RegionCode   string `json:"region_code"`
	Township     string `json:"township"`
	Industry     string `json:"industry"`
	Status       string `json:"status"`
	DepartmentID string `json:"department_id"`
	Limit        int    `json:"limit"`
	Offset       int    `json:"offset"`
	Sort         string `json:"sort"`
}

var enterpriseSorts = map[string]string{
	"name":     "e.search_key, e.uscc, e.id",
	"-name":    "e.search_key DESC, e.uscc DESC, e.id DESC",
	"uscc":     "e.uscc, e.id",
	"created":  "e.created_at, e.id",
	"-created": "e.created_at DESC, e.id DESC",
	"updated":  "e.updated_at, e.id",
	"-updated": "e.updated_at DESC, e.id DESC",
}

// usccPrefix returns q as the start of a USCC, or "" when it cannot be one.
func usccPrefix(q string) string {
	p := codes.NormalizeUSCC(q)
	if p == "" || len(p) > 18 {
		return ""
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') || strings.IndexByte("IOSVZ", c) >= 0 {
			return ""
		}
	}
	return p
}

// where builds the condition for f as who sees it. none is true when the
// filter cannot match anything (a region outside the user's).
func (f Filter) where(who *auth.User) (cond string, args []any, none bool) {
	var parts []string
	add := func(c string, a ...any) { parts = append(parts, c); args = append(args, a...) }
	switch {
	case isEnterpriseUser(who):
		add("e.id = ?", who.EnterpriseID)
		if f.RegionCode != "" {
			add("e.region_code = ?", f.RegionCode)
		}
	default:
		scope := who.RegionCode
		if r := strings.TrimSpace(f.RegionCode); r != "" {
			switch {
			case RegionCovers(scope, r):
				scope = r
			case !RegionCovers(r, scope):
				return "", nil, true
			}
		}
		c, a := regionScopeSQL("e.region_code", scope)
		add(c, a...)
	}
	if f.Township != "" {
		add("e.township_code = ?", strings.TrimSpace(f.Township))
	}
	if f.Industry != "" {
		add("e.industry = ?", normIndustry(f.Industry))
	}
	if f.Status != "" {
		add("e.status = ?", normStatus(f.Status))
	}
	if f.DepartmentID != "" {
		add("e.department_id = ?", f.DepartmentID)
	}
	if pat := searchPattern(f.Q); pat != "" {
		if p := usccPrefix(f.Q); p != "" {
			add(`(e.search_key LIKE ? ESCAPE '\' OR (e.uscc >= ? AND e.uscc < ?))`, pat, p, p+"~")
		} else {
			add(`e.search_key LIKE ? ESCAPE '\'`, pat)
		}
	}
	return strings.Join(parts, " AND "), args, false
}

func (f Filter) order() string {
	if o, ok := enterpriseSorts[f.Sort]; ok {
		return o
	}
	return enterpriseSorts["name"]
}

// ListEnterprises returns one page of the enterprises who may see that match
// f, and how many match in all.
//
// A substring search cannot use an index on SQLite, so its cost is one scan
// of the region's search keys; the page and the total come out of that one
// scan wherever possible. The first query walks the keys in page order and
// returns the matching IDs, up to a cap: when fewer than the cap match, that
// list is the total; only when more match (a broad search, where the walk
// stops early) is a separate COUNT run.
func ListEnterprises(ctx context.Context, q store.Queryer, who *auth.User, f Filter) ([]Enterprise, int, error) {
	if !canRead(who) {
		return nil, 0, fielderr.ErrForbidden
	}
	cond, args, none := f.where(who)
	if none {
		return []Enterprise{}, 0, nil
	}
	limit, offset := pageLimit(f.Limit), max(f.Offset, 0)
	walk := offset + limit + countCap
	rows, err := q.Query(ctx, `SELECT e.id FROM enterprises e WHERE `+cond+` ORDER BY `+f.order()+` LIMIT ?`,
		customPlan(q, append(args, walk))...)
	if err != nil {
		return nil, 0, err
	}
	var ids []string
	n := 0
	for rows.Next() {
		if n >= offset && n < offset+limit {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, 0, err
			}
			ids = append(ids, id)
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	total := n
	if n == walk {
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM enterprises e WHERE `+cond, customPlan(q, args)...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	page, err := enterprisesByID(ctx, q, ids)
	if err != nil {
		return nil, 0, err
	}
	return page, total, nil
}

// countCap is how many matches past the page the first query walks before
// leaving the total to COUNT. Reading an ID costs far less than a second
// scan, so it is generous.
const countCap = 2000

// enterprisesByID loads the enterprises with the given IDs, in that order.
func enterprisesByID(ctx context.Context, q store.Queryer, ids []string) ([]Enterprise, error) {
	out := make([]Enterprise, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	marks := strings.Repeat(",?", len(ids))[1:]
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	got, err := queryEnterprises(ctx, q, `SELECT `+enterpriseCols+` FROM enterprises e`+enterpriseJoins+
		` WHERE e.id IN (`+marks+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Enterprise, len(got))
	for _, e := range got {
		byID[e.ID] = e
	}
	for _, id := range ids {
		if e, ok := byID[id]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// customPlan asks PostgreSQL to plan a search for its actual values rather
// than reuse a generic plan of the cached statement: for a generic LIKE
// pattern the planner guesses the trigram index, which is the slowest way to
// run a two-character or a very broad search.
func customPlan(q store.Queryer, args []any) []any {
	if q.Rebind("?") == "?" {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

func queryEnterprises(ctx context.Context, q store.Queryer, query string, args ...any) ([]Enterprise, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Enterprise{}
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}
