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
// USCC; a Q that is plainly a code being typed (six or more code characters,
// four of them digits) matches codes only and lists them in code order.
// RegionCode narrows to a region under the user's own; Township,
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

// Every order ends in USCC and region, which identify an enterprise, so that
// pages never overlap and the first query can read them from an index.
var enterpriseSorts = map[string]string{
	"name":     "e.search_key, e.uscc, e.region_code",
	"-name":    "e.search_key DESC, e.uscc DESC, e.region_code DESC",
	"uscc":     "e.uscc, e.region_code",
	"created":  "e.created_at, e.uscc, e.region_code",
	"-created": "e.created_at DESC, e.uscc DESC, e.region_code DESC",
	"updated":  "e.updated_at, e.uscc, e.region_code",
	"-updated": "e.updated_at DESC, e.uscc DESC, e.region_code DESC",
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

// codeOnly reports whether a USCC prefix is plainly a code being typed (six
// characters or more, four of them digits), which no name contains; such a
// search looks at codes only and lists them in code order.
func codeOnly(p string) bool {
	digits := 0
	for i := 0; i < len(p); i++ {
		if p[i] >= '0' && p[i] <= '9' {
			digits++
		}
	}
	return len(p) >= 6 && digits >= 4
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
		c, a := RegionScopeSQL("e.region_code", scope)
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
		switch p := usccPrefix(f.Q); {
		case p != "" && codeOnly(p):
			add(`e.uscc >= ? AND e.uscc < ?`, p, p+"~")
		case p != "":
			add(`(e.search_key LIKE ? ESCAPE '\' OR (e.uscc >= ? AND e.uscc < ?))`, pat, p, p+"~")
		default:
			add(`e.search_key LIKE ? ESCAPE '\'`, pat)
		}
	}
	return strings.Join(parts, " AND "), args, false
}

func (f Filter) order() string {
	if o, ok := enterpriseSorts[f.Sort]; ok {
		return o
	}
	if p := usccPrefix(f.Q); p != "" && codeOnly(p) {
		return enterpriseSorts["uscc"]
	}
	return enterpriseSorts["name"]
}

// ListEnterprises returns one page of the enterprises who may see that match
// f, and how many match in all.
//
// A substring search cannot use a B-tree, so on SQLite (and on PostgreSQL
// for searches too short for trigrams) its cost is a scan of the search-key
// index; the page and the total come out of one scan wherever possible. The
// first query walks that index in page order and returns the matching
// (region, USCC) pairs, which the index holds, up to a cap: when fewer match,
// their number is the total; only a broad search, where the walk stops
// early, needs a separate COUNT.
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
	rows, err := q.Query(ctx, `SELECT e.region_code, e.uscc FROM enterprises e WHERE `+cond+` ORDER BY `+f.order()+` LIMIT ?`,
		customPlan(q, append(args, walk))...)
	if err != nil {
		return nil, 0, err
	}
	var keys [][2]string
	n := 0
	for rows.Next() {
		if n >= offset && n < offset+limit {
			var k [2]string
			if err := rows.Scan(&k[0], &k[1]); err != nil {
				rows.Close()
				return nil, 0, err
			}
			keys = append(keys, k)
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
	page, err := enterprisesByKey(ctx, q, keys)
	if err != nil {
		return nil, 0, err
	}
	return page, total, nil
}

// countCap is how many matches past the page the first query walks before
// leaving the total to COUNT: reading a few thousand short rows costs less
// than a second scan, many more costs more.
const countCap = 5000

// enterprisesByKey loads the enterprises with the given (region, USCC)
// pairs, in that order.
func enterprisesByKey(ctx context.Context, q store.Queryer, keys [][2]string) ([]Enterprise, error) {
	out := make([]Enterprise, 0, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	// Region IN … AND USCC IN … seeks the (region, USCC) index for every
	// combination; the pairs that are not keys are dropped below.
	var regions, codes []any
	seen := map[string]bool{}
	for _, k := range keys {
		if !seen[k[0]] {
			seen[k[0]] = true
			regions = append(regions, k[0])
		}
		codes = append(codes, k[1])
	}
	got, err := queryEnterprises(ctx, q, `SELECT `+enterpriseCols+` FROM enterprises e`+enterpriseJoins+
		` WHERE e.region_code IN (`+strings.Repeat(",?", len(regions))[1:]+`) AND e.uscc IN (`+
		strings.Repeat(",?", len(codes))[1:]+`)`, append(regions, codes...)...)
	if err != nil {
		return nil, err
	}
	byKey := make(map[[2]string]Enterprise, len(got))
	for _, e := range got {
		byKey[[2]string{e.RegionCode, e.USCC}] = e
	}
	for _, k := range keys {
		if e, ok := byKey[k]; ok {
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
