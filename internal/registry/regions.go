package registry

import (
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Region levels (GB/T 2260 for the first three; townships use the 9-digit
// statistical code).
const (
	LevelProvince   = "province"
	LevelPrefecture = "prefecture"
	LevelCounty     = "county"
	LevelTownship   = "township"
)

// Region is an administrative division.
type Region struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en"`
	Level      string `json:"level"`
	ParentCode string `json:"parent_code,omitempty"`
}

// DisplayName is the region's name in lang ("en" or Chinese).
func (r Region) DisplayName(lang string) string {
	if isEnglish(lang) && r.NameEn != "" {
		return r.NameEn
	}
	return r.Name
}

//go:embed data/regions.csv
var seedRegionsCSV []byte

// SeedRegions stores the built-in divisions (Inner Mongolia, Alxa League, its
// three banners and their townships). Running it again changes nothing.
func SeedRegions(ctx context.Context, db *store.DB) error {
	_, err := LoadRegionsCSV(ctx, db, bytes.NewReader(seedRegionsCSV))
	return err
}

// RegionLevel derives a code's level from its shape: 6 digits ending in 0000
// is a province, ending in 00 a prefecture, other 6-digit codes counties, and
// 9-digit codes townships. ok is false for anything else.
func RegionLevel(code string) (level string, ok bool) {
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", false
		}
	}
	switch {
	case len(code) == 9:
		return LevelTownship, true
	case len(code) != 6 || code[:2] == "00":
		return "", false
	case code[2:] == "0000":
		return LevelProvince, true
	case code[4:] == "00":
		return LevelPrefecture, true
	}
	return LevelCounty, true
}

func levelRank(level string) int {
	switch level {
	case LevelProvince:
		return 1
	case LevelPrefecture:
		return 2
	case LevelCounty:
		return 3
	case LevelTownship:
		return 4
	}
	return 0
}

// RegionPrefix is the part of a code that every division under it shares:
// 150000 → 15, 152900 → 1529, 152921 → 152921. A condition "code LIKE
// prefix%" holds for the code and every division under it.
func RegionPrefix(code string) string {
	if len(code) == 6 {
		switch {
		case code[2:] == "0000":
			return code[:2]
		case code[4:] == "00":
			return code[:4]
		}
	}
	return code
}

// RegionCovers reports whether code is scope itself or a division under it.
// LoadRegionsCSV refuses parents whose codes do not prefix their children's,
// so the code alone answers this without walking the tree.
func RegionCovers(scope, code string) bool {
	return scope != "" && strings.HasPrefix(code, RegionPrefix(scope))
}

// RegionScopeSQL is a condition on column that holds for the regions under
// scope (for tables whose rows sit at banner level or above). A banner's scope is one value (enterprises and departments sit at
// banner level or above), served by the indexes that lead with the region.
// A wider scope is a code prefix written as LIKE, which neither database
// uses to seek: a league or province office usually sees the whole register,
// where walking the search-key index in page order beats a region range
// that selects everything and then has to be sorted.
func RegionScopeSQL(column, scope string) (string, []any) {
	p := RegionPrefix(scope)
	if len(p) >= 6 {
		return column + " = ?", []any{scope}
	}
	return column + " LIKE ?", []any{p + "%"}
}

// Regions lists the divisions directly under parent ("" for the top level),
// in code order.
func Regions(ctx context.Context, q store.Queryer, parent string) ([]Region, error) {
	query := `SELECT code, name, name_en, level, COALESCE(parent_code, '') FROM regions WHERE parent_code = ? ORDER BY code`
	args := []any{parent}
	if parent == "" {
		query = `SELECT code, name, name_en, level, COALESCE(parent_code, '') FROM regions WHERE parent_code IS NULL ORDER BY code`
		args = nil
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Region
	for rows.Next() {
		var r Region
		if err := rows.Scan(&r.Code, &r.Name, &r.NameEn, &r.Level, &r.ParentCode); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRegion returns one division, or fielderr.ErrNotFound.
func GetRegion(ctx context.Context, q store.Queryer, code string) (*Region, error) {
	var r Region
	err := q.QueryRow(ctx, `SELECT code, name, name_en, level, COALESCE(parent_code, '') FROM regions WHERE code = ?`, code).
		Scan(&r.Code, &r.Name, &r.NameEn, &r.Level, &r.ParentCode)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fielderr.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// LoadRegionsCSV adds or renames divisions from CSV with the columns code,
// name, parent and optionally name_en (a header row naming them may come
// first, in any order). Every line is checked before anything is stored: if
// one is bad, the error is a fielderr.List naming each bad line ("line 4 /
// parent") and its rule, and nothing changes. It returns how many divisions
// were added or changed.
func LoadRegionsCSV(ctx context.Context, db *store.DB, r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	col := map[string]int{"code": 0, "name": 1, "parent": 2, "name_en": 3}
	var errs fielderr.List
	type line struct {
		no  int
		reg Region
	}
	var lines []line
	seen := map[string]int{}
	for no := 1; ; no++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs.Add(fmt.Sprintf("line %d", no), "rule.csv")
			break
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if no == 1 && len(rec) > 0 {
			first := strings.TrimPrefix(strings.TrimSpace(rec[0]), "\ufeff")
			if _, isLevel := RegionLevel(first); !isLevel {
				if h, ok := regionHeader(rec); ok {
					col = h
					continue
				}
			}
		}
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(strings.TrimPrefix(rec[i], "\ufeff"))
		}
		reg := Region{Code: get("code"), Name: get("name"), NameEn: get("name_en"), ParentCode: get("parent")}
		at := func(field string) string { return fmt.Sprintf("line %d / %s", no, field) }
		level, ok := RegionLevel(reg.Code)
		if !ok {
			errs.Add(at("code"), "rule.region.code")
		} else if prev, dup := seen[reg.Code]; dup {
			errs.Add(at("code"), "rule.region.duplicate", "line", prev)
		} else {
			seen[reg.Code] = no
		}
		reg.Level = level
		switch {
		case reg.Name == "":
			errs.Add(at("name"), "rule.required")
		case utf8.RuneCountInString(reg.Name) > 100:
			errs.Add(at("name"), "rule.max_length", "max", 100)
		}
		if utf8.RuneCountInString(reg.NameEn) > 200 {
			errs.Add(at("name_en"), "rule.max_length", "max", 200)
		}
		lines = append(lines, line{no, reg})
	}
	if len(lines) == 0 && len(errs) == 0 {
		errs.Add("file", "rule.import.empty")
	}

	existing := map[string]Region{}
	rows, err := db.Query(ctx, `SELECT code, name, name_en, level, COALESCE(parent_code, '') FROM regions`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var x Region
		if err := rows.Scan(&x.Code, &x.Name, &x.NameEn, &x.Level, &x.ParentCode); err != nil {
			rows.Close()
			return 0, err
		}
		existing[x.Code] = x
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	levelOf := func(code string) (string, bool) {
		if _, inFile := seen[code]; inFile {
			l, _ := RegionLevel(code)
			return l, true
		}
		if x, ok := existing[code]; ok {
			return x.Level, true
		}
		return "", false
	}
	for _, l := range lines {
		reg := l.reg
		if reg.Level == "" {
			continue
		}
		at := fmt.Sprintf("line %d / parent", l.no)
		if reg.Level == LevelProvince {
			if reg.ParentCode != "" {
				errs.Add(at, "rule.region.parent_mismatch")
			}
			continue
		}
		if reg.ParentCode == "" {
			errs.Add(at, "rule.required")
			continue
		}
		plevel, ok := levelOf(reg.ParentCode)
		switch {
		case !ok:
			errs.Add(at, "rule.region.parent_unknown")
		case levelRank(plevel) >= levelRank(reg.Level) || !strings.HasPrefix(reg.Code, RegionPrefix(reg.ParentCode)) ||
			(reg.Level == LevelTownship && reg.Code[:6] != reg.ParentCode):
			errs.Add(at, "rule.region.parent_mismatch")
		}
	}
	if err := errs.Err(); err != nil {
		return 0, err
	}

	var changed []Region
	for _, l := range lines {
		if x, ok := existing[l.reg.Code]; ok && x == l.reg {
			continue
		}
		changed = append(changed, l.reg)
	}
	if len(changed) == 0 {
		return 0, nil
	}
	// Parents before children, for the foreign key.
	sort.SliceStable(changed, func(i, j int) bool {
		if a, b := levelRank(changed[i].Level), levelRank(changed[j].Level); a != b {
			return a < b
		}
		return changed[i].Code < changed[j].Code
	})
	err = db.Tx(ctx, func(tx *store.Tx) error {
		for _, reg := range changed {
			var parent any
			if reg.ParentCode != "" {
				parent = reg.ParentCode
			}
			if _, err := tx.Exec(ctx, `INSERT INTO regions (code, name, name_en, level, parent_code) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
				level = excluded.level, parent_code = excluded.parent_code`,
				reg.Code, reg.Name, reg.NameEn, reg.Level, parent); err != nil {
				return err
			}
			var before any
			action := "create"
			if x, ok := existing[reg.Code]; ok {
				before, action = x, "update"
			}
			if err := audit.Write(ctx, tx, audit.Entry{Action: action, Entity: "region", EntityID: reg.Code,
				RegionCode: reg.Code, Before: before, After: reg}); err != nil {
				return err
			}
		}
		codes := make([]string, len(changed))
		for i, reg := range changed {
			codes[i] = reg.Code
		}
		return jobs.Emit(ctx, tx, "regions.changed", map[string]any{"codes": codes})
	})
	if err != nil {
		return 0, err
	}
	return len(changed), nil
}

func regionHeader(rec []string) (map[string]int, bool) {
	names := map[string]string{
		"code": "code", "代码": "code", "区划代码": "code", "行政区划代码": "code",
		"name": "name", "名称": "name", "name_zh": "name",
		"name_en": "name_en", "english": "name_en", "英文名称": "name_en",
		"parent": "parent", "parent_code": "parent", "上级": "parent", "上级代码": "parent",
	}
	col := map[string]int{}
	for i, h := range rec {
		if f, ok := names[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))]; ok {
			col[f] = i
		}
	}
	_, hasCode := col["code"]
	_, hasName := col["name"]
	return col, hasCode && hasName
}
