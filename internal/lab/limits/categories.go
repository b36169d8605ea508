package limits

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Category names follow the food classifications of GB 2763 (appendix A)
// and GB 2762 (appendix A), which name the same groups differently
// (叶菜类蔬菜 / 叶菜蔬菜) and set a group's limit for every food in it unless
// the food has its own. synonyms maps other spellings to the name the
// hierarchy uses; broader gives each name the next wider group. Products in
// the registry carry free-text categories; the office adds the names this
// classification lacks (links.go), and a name known to neither matches only
// limits set for exactly that name.
var (
	synonyms = map[string]string{
		"叶菜蔬菜": "叶菜类蔬菜", "叶类蔬菜": "叶菜类蔬菜", "生鲜乳": "生乳", "原料乳": "生乳", "酸奶": "发酵乳", "酸乳": "发酵乳",
		"风味发酵乳": "发酵乳", "面粉": "小麦粉", "畜肉类": "畜肉", "鲜牛奶": "巴氏杀菌乳", "纯牛奶": "灭菌乳",
	}
	broader = map[string]string{
		// Vegetables.
		"菠菜": "叶菜类蔬菜", "普通白菜": "叶菜类蔬菜", "大白菜": "叶菜类蔬菜", "芹菜": "叶菜类蔬菜", "莴苣": "叶菜类蔬菜",
		"生菜": "叶菜类蔬菜", "油麦菜": "叶菜类蔬菜", "韭菜": "叶菜类蔬菜", "茼蒿": "叶菜类蔬菜", "苋菜": "叶菜类蔬菜",
		"叶菜类蔬菜": "新鲜蔬菜", "茄果类蔬菜": "新鲜蔬菜", "瓜类蔬菜": "新鲜蔬菜", "豆类蔬菜": "新鲜蔬菜", "根茎类和薯芋类蔬菜": "新鲜蔬菜",
		"番茄": "茄果类蔬菜", "辣椒": "茄果类蔬菜", "茄子": "茄果类蔬菜", "黄瓜": "瓜类蔬菜", "豇豆": "豆类蔬菜",
		"新鲜蔬菜": "蔬菜",
		// Fruit.
		"苹果": "仁果类水果", "梨": "仁果类水果", "仁果类水果": "新鲜水果", "柑橘类水果": "新鲜水果", "新鲜水果": "水果",
		// Cereals.
		"小麦": "麦类", "麦类": "谷物", "稻谷": "谷物", "玉米": "谷物", "谷物": "谷物及其制品",
		"小麦粉": "谷物碾磨加工品", "全麦粉": "谷物碾磨加工品", "大米": "谷物碾磨加工品", "玉米粉": "谷物碾磨加工品",
		"谷物碾磨加工品": "谷物及其制品",
		// Milk.
		"生乳": "乳及乳制品", "巴氏杀菌乳": "乳及乳制品", "灭菌乳": "乳及乳制品", "调制乳": "乳及乳制品", "发酵乳": "乳及乳制品",
		"乳粉": "乳及乳制品",
		// Meat.
		"猪肉": "畜肉", "牛肉": "畜肉", "羊肉": "畜肉", "鸡肉": "禽肉", "畜肉": "肉类", "禽肉": "肉类", "肉类": "肉及肉制品",
		"肉制品": "肉及肉制品", "熟肉制品": "肉制品",
	}
	hierarchyKeys = func() (syn, up map[string]string) {
		syn, up = map[string]string{}, map[string]string{}
		for k, v := range synonyms {
			syn[Key(k)] = Key(v)
		}
		for k, v := range broader {
			up[Key(k)] = Key(v)
		}
		return syn, up
	}
)

var synKeys, upKeys = hierarchyKeys()

// Broader lists a category's names from the category itself to the widest
// group it belongs to in the built-in hierarchy, each as the hierarchy
// spells it: Broader("菠菜") is 菠菜, 叶菜类蔬菜, 新鲜蔬菜, 蔬菜. The names are
// folded (Key). Applicable also follows the office's links.
func Broader(category string) []string {
	chain, _ := hierarchy{syn: synKeys, up: upKeys}.broader(category)
	return chain
}

// Applicable returns the limits that apply to a product category and test
// item: those set for the category itself (or a synonym), then for each
// wider group it belongs to (the built-in hierarchy with the office's
// links), nearest first; within one level, checked
// values before illustrative ones. Item names match after folding (Key).
// Each limit's Depth says how far up the hierarchy it was found (0: the
// category itself).
func Applicable(ctx context.Context, q store.Queryer, category, item string) ([]judge.Limit, error) {
	h, err := loadHierarchy(ctx, q)
	if err != nil {
		return nil, err
	}
	chain, _ := h.broader(category)
	it := Key(item)
	if len(chain) == 0 || it == "" {
		return []judge.Limit{}, nil
	}
	depth := map[string]int{}
	var keys []any
	for d, c := range chain {
		for _, s := range h.spellings(c) {
			depth[s] = d
			keys = append(keys, s)
		}
	}
	rows, err := q.Query(ctx, `SELECT `+columns+`, category_key FROM lab_limits WHERE item_key = ? AND category_key IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")+`)`, append([]any{it}, keys...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []judge.Limit{}
	for rows.Next() {
		var l judge.Limit
		var cmp, ck string
		if err := rows.Scan(&l.ID, &l.Standard, &l.Clause, &l.Category, &l.Item, &cmp, &l.Min, &l.Max, &l.Unit, &l.LOD,
			&l.Method, &l.Rounded, &l.Illustrative, &l.Note, &l.CreatedAt, &l.UpdatedAt, &ck); err != nil {
			return nil, err
		}
		l.Comparison, l.Depth = judge.Comparison(cmp), depth[ck]
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, compare)
	return out, nil
}

// Pick chooses the limit to judge by from those Applicable returned, or nil
// when there are none. The rule, in order:
//
//  1. the nearest category wins: a food's own limit overrides its group's,
//     as GB 2762 and GB 2763 apply a group's limit only where the food has
//     none;
//  2. a value checked against the published standard beats an illustrative
//     one;
//  3. the newer edition of a standard (by the year after the dash) wins;
//  4. the stricter limit wins (lower maximum, higher minimum; "must not be
//     detected" is the strictest), so that doubt never passes a result;
//  5. otherwise the standard's name, then the ID, so the choice is stable.
func Pick(ls []judge.Limit) *judge.Limit {
	if len(ls) == 0 {
		return nil
	}
	best := ls[0]
	for _, l := range ls[1:] {
		if compare(l, best) < 0 {
			best = l
		}
	}
	return &best
}

// compare orders limits by Pick's rule: the preferred one first.
func compare(a, b judge.Limit) int {
	if a.Depth != b.Depth {
		return a.Depth - b.Depth
	}
	if a.Illustrative != b.Illustrative {
		if a.Illustrative {
			return 1
		}
		return -1
	}
	if ya, yb := edition(a.Standard), edition(b.Standard); ya != yb {
		return yb - ya
	}
	if c := strictness(a, b); c != 0 {
		return c
	}
	if a.Standard != b.Standard {
		return strings.Compare(a.Standard, b.Standard)
	}
	return strings.Compare(a.ID, b.ID)
}

var editionRe = regexp.MustCompile(`[-—–](\d{4})\s*$`)

// edition is the year of a standard's edition ("GB 2763-2021" → 2021), or 0.
func edition(standard string) int {
	g := editionRe.FindStringSubmatch(strings.TrimSpace(standard))
	if g == nil {
		return 0
	}
	y, _ := strconv.Atoi(g[1])
	return y
}

// strictness says which of two limits is stricter: -1 when a is, 1 when b
// is, 0 when they cannot be told apart (different units that do not
// convert, or different kinds of bound).
func strictness(a, b judge.Limit) int {
	if (a.Comparison == judge.NotDetected) != (b.Comparison == judge.NotDetected) {
		if a.Comparison == judge.NotDetected {
			return -1
		}
		return 1
	}
	upper := func(l judge.Limit) bool {
		return l.Comparison == judge.AtMost || l.Comparison == judge.Below || l.Comparison == judge.Within
	}
	if upper(a) && upper(b) {
		bm, err := judge.Convert(b.Max, b.Unit, a.Unit)
		if err != nil {
			return 0
		}
		return cmpDecimal(a.Max, bm)
	}
	if !upper(a) && !upper(b) && a.Min != "" && b.Min != "" {
		bm, err := judge.Convert(b.Min, b.Unit, a.Unit)
		if err != nil {
			return 0
		}
		return -cmpDecimal(a.Min, bm)
	}
	return 0
}

// cmpDecimal compares two decimal texts exactly; texts that do not parse
// (Validate keeps them out of the catalogue) compare equal.
func cmpDecimal(a, b string) int {
	c, err := judge.Compare(a, b)
	if err != nil {
		return 0
	}
	return c
}
