package limits

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/sheet"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Import limits: a whole national standard's table fits many times over.
const (
	MaxImportBytes = 5 << 20
	MaxImportRows  = 20000
)

// Rules an import reports besides Validate's.
const (
	RuleYesNo        = "rule.lab.limit.yes_no"        // a yes/no column holding something else
	RuleDuplicateRow = "rule.lab.limit.duplicate_row" // the same standard, category and item twice in one file
	RuleBadCSV       = "rule.import.bad_csv"          // a CSV file that cannot be read
)

var importLimits = func() sheet.Limits {
	l := sheet.DefaultLimits
	l.MaxBytes, l.MaxRows = MaxImportBytes, MaxImportRows
	return l
}()

// sheetColumns are the catalogue's spreadsheet columns; fields are the JSON
// names of judge.Limit. Every column is text in the template, so that
// "0.020" keeps its places.
var sheetColumns = func() []sheet.Column {
	t := func(field, zh, en string, w float64, aliases ...string) sheet.Column {
		return sheet.Column{Field: field, ZH: zh, EN: en, Aliases: aliases, Width: w, Text: true}
	}
	return []sheet.Column{
		t("standard", "标准", "Standard", 18, "标准号", "标准编号", "依据标准", "判定依据", "standard no"),
		t("clause", "条款", "Clause", 12, "条款号", "表号", "章节", "clause/table"),
		t("category", "食品类别", "Category", 18, "产品类别", "类别", "食品类别名称", "product category", "food category"),
		t("item", "检测项目", "Item", 18, "项目", "检验项目", "指标", "污染物", "农药", "test item"),
		t("comparison", "判定方式", "Comparison", 10, "比较方式", "符号"),
		t("min", "下限", "Minimum", 10, "最小值", "最低值", "min"),
		t("max", "限量", "Maximum", 10, "上限", "最大值", "限量值", "最大残留限量", "max", "limit"),
		t("unit", "单位", "Unit", 10, "计量单位"),
		t("lod", "检出限", "LOD", 10, "方法检出限", "detection limit"),
		t("method", "检测方法", "Method", 24, "检验方法", "方法"),
		t("rounded", "修约值比较", "Rounded comparison", 10, "修约", "修约比较", "rounded"),
		t("illustrative", "示意值（未核对）", "Illustrative (unchecked)", 12, "示意值", "未核对", "illustrative"),
		t("note", "备注", "Note", 30, "说明"),
	}
}()

func sheetName(lang string) string {
	if sheet.English(lang) {
		return "Limits"
	}
	return "限量"
}

func yesNo(b bool, lang string) string {
	switch {
	case sheet.English(lang) && b:
		return "yes"
	case sheet.English(lang):
		return "no"
	case b:
		return "是"
	}
	return "否"
}

// Template returns an empty import template (.xlsx) with headers in lang and
// drop-down lists of comparisons, units and yes/no.
func Template(lang string) ([]byte, error) {
	var cmp []string
	for _, c := range judge.Comparisons {
		cmp = append(cmp, ComparisonLabel(c, lang))
	}
	yn := []string{yesNo(true, lang), yesNo(false, lang)}
	var buf bytes.Buffer
	err := sheet.Template(&buf, sheetName(lang), sheetColumns, lang,
		map[string][]string{"comparison": cmp, "unit": judge.Units(), "rounded": yn, "illustrative": yn}, 1000)
	return buf.Bytes(), err
}

// Export writes every limit f selects (all pages) as an .xlsx file with
// headers in lang; the file imports again as it is.
func Export(ctx context.Context, q store.Queryer, f Filter, w io.Writer, lang string) error {
	f.Limit = MaxLimit
	next := sheet.Paged(MaxLimit, func(offset int) ([]judge.Limit, error) {
		f.Offset = offset
		page, _, err := List(ctx, q, f)
		return page, err
	}, func(l judge.Limit) ([]any, error) {
		return []any{l.Standard, l.Clause, l.Category, l.Item, ComparisonLabel(l.Comparison, lang), l.Min, l.Max, l.Unit,
			l.LOD, l.Method, yesNo(l.Rounded, lang), yesNo(l.Illustrative, lang), l.Note}, nil
	})
	return sheet.Export(w, sheetName(lang), sheetColumns, lang, next)
}

// ImportReport says what an import did: how many data rows it read, how
// many limits it added and how many it replaced, and every bad cell when it
// changed nothing.
type ImportReport struct {
	Rows     int              `json:"rows"`
	Inserted int              `json:"inserted"`
	Updated  int              `json:"updated"`
	Errors   []sheet.RowError `json:"errors"`
}

// table is a spreadsheet's rows, from .xlsx or CSV.
type table struct {
	rows  []sheet.Row
	title func(field string) string
}

// Import reads limits from an .xlsx file (the first sheet) or a CSV file
// (UTF-8, with or without a byte-order mark, or GB 18030 as Excel saves it
// on Chinese Windows), told apart by their content. One header row names
// the columns in Chinese or English, as Template writes them; standard,
// category and item are required. A row whose standard, category and item
// match a limit in the catalogue replaces it; the others are added.
//
// Every row is checked as Create checks it; if any row is bad nothing
// changes, and the report (and the returned fielderr.List, with fields
// "row 7 / 限量") names each bad row, column and rule. lang chooses the
// column titles used for columns the file does not have.
func Import(ctx context.Context, db *store.DB, r io.Reader, size int64, lang string) (ImportReport, error) {
	var rep ImportReport
	fail := func(e sheet.RowError) (ImportReport, error) {
		rep.Errors = append(rep.Errors, e)
		return rep, sheet.Errors(rep.Errors).Err()
	}
	tooLarge := sheet.FileError("rule.import.too_large", "max_mib", MaxImportBytes>>20)
	if size > MaxImportBytes {
		return fail(tooLarge)
	}
	buf, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return rep, err
	}
	if len(buf) > MaxImportBytes {
		return fail(tooLarge)
	}
	tab, ferr, err := readTable(buf, lang)
	if err != nil {
		return rep, err
	}
	if ferr != nil {
		return fail(*ferr)
	}
	rep.Rows = len(tab.rows)
	ls, errs := parseRows(tab)
	if len(errs) > 0 {
		rep.Errors = errs
		return rep, sheet.Errors(errs).Err()
	}
	var entries []audit.Entry
	err = db.Tx(ctx, func(tx *store.Tx) error {
		rep.Inserted, rep.Updated, entries = 0, 0, nil
		by, now := audit.ActorFrom(ctx).ID, store.Now()
		for _, l := range ls {
			id, err := existing(ctx, tx, l)
			if err != nil {
				return err
			}
			l.UpdatedAt = now
			if id == "" {
				l.ID, l.CreatedAt = store.NewID(), now
				if err := insert(ctx, tx, l, by); err != nil {
					return err
				}
				rep.Inserted++
				entries = append(entries, audit.Entry{Action: "import", Entity: entity, EntityID: l.ID, After: l})
				continue
			}
			before, err := Get(ctx, tx, id)
			if err != nil {
				return err
			}
			l.ID, l.CreatedAt = id, before.CreatedAt
			if err := update(ctx, tx, l, by); err != nil {
				return err
			}
			rep.Updated++
			entries = append(entries, audit.Entry{Action: "import", Entity: entity, EntityID: id, Before: before, After: l})
		}
		return audit.WriteMany(ctx, tx, entries)
	})
	if err != nil {
		return ImportReport{Rows: rep.Rows}, err
	}
	return rep, nil
}

// readTable reads .xlsx (a zip file) or CSV.
func readTable(buf []byte, lang string) (*table, *sheet.RowError, error) {
	required := []string{"standard", "category", "item"}
	if bytes.HasPrefix(buf, []byte("PK\x03\x04")) {
		t, ferr, err := sheet.Read(bytes.NewReader(buf), int64(len(buf)), sheetColumns, required, importLimits)
		if err != nil || ferr != nil {
			return nil, ferr, err
		}
		return &table{rows: t.Rows, title: func(f string) string { return t.Title(f, lang) }}, nil, nil
	}
	return readCSV(buf, sheetColumns, required, importLimits, lang)
}

// readCSV reads a CSV file the way sheet.Read reads a workbook: the header
// is the first row (within lim.HeaderSearchRows) naming every required
// field; blank rows are skipped; rows are numbered by the line they start
// on.
func readCSV(buf []byte, cols []sheet.Column, required []string, lim sheet.Limits, lang string) (*table, *sheet.RowError, error) {
	buf = bytes.TrimPrefix(buf, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(buf) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(buf)
		if err != nil {
			e := sheet.FileError(RuleBadCSV)
			return nil, &e, nil
		}
		buf = dec
	}
	index := map[string]int{}
	for i, c := range cols {
		for _, h := range append([]string{c.ZH, c.EN}, c.Aliases...) {
			index[sheet.HeaderKey(h)] = i
		}
	}
	rd := csv.NewReader(bytes.NewReader(buf))
	rd.FieldsPerRecord, rd.LazyQuotes = -1, true
	titles := map[string]string{}
	var header map[int]string
	var rows []sheet.Row
	for n := 1; ; n++ {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			e := sheet.FileError(RuleBadCSV)
			return nil, &e, nil
		}
		line, _ := rd.FieldPos(0)
		if header == nil {
			if n > lim.HeaderSearchRows {
				break
			}
			h := map[int]string{}
			for i, c := range rec {
				if ci, ok := index[sheet.HeaderKey(c)]; ok && cols[ci].Field != "" {
					if _, dup := titles[cols[ci].Field]; !dup {
						h[i] = cols[ci].Field
						titles[cols[ci].Field] = strings.TrimSpace(c)
					}
				}
			}
			complete := len(h) > 0
			for _, f := range required {
				if _, ok := titles[f]; !ok {
					complete = false
				}
			}
			if complete {
				header = h
			} else {
				clear(titles)
			}
			continue
		}
		row := sheet.Row{N: line, Cells: map[string]string{}}
		blank := true
		for i, c := range rec {
			if field, ok := header[i]; ok {
				c = strings.TrimSpace(c)
				row.Cells[field] = c
				if c != "" {
					blank = false
				}
			}
		}
		if blank {
			continue
		}
		if len(rows) == lim.MaxRows {
			e := sheet.FileError("rule.import.too_many_rows", "max", lim.MaxRows)
			return nil, &e, nil
		}
		rows = append(rows, row)
	}
	if header == nil {
		e := sheet.FileError("rule.import.no_header")
		return nil, &e, nil
	}
	if len(rows) == 0 {
		e := sheet.FileError("rule.import.empty")
		return nil, &e, nil
	}
	title := func(f string) string {
		if t, ok := titles[f]; ok {
			return t
		}
		for _, c := range cols {
			if c.Field == f {
				return c.Title(lang)
			}
		}
		return f
	}
	return &table{rows: rows, title: title}, nil, nil
}

// parseBool reads a yes/no cell; empty is no.
func parseBool(s string) (bool, bool) {
	switch Key(s) {
	case "", "否", "no", "n", "false", "0", "×", "x":
		return false, true
	case "是", "yes", "y", "true", "1", "√", "✓":
		return true, true
	}
	return false, false
}

// parseRows turns rows into limits, checked as Create checks them, and
// collects every bad cell.
func parseRows(tab *table) ([]judge.Limit, []sheet.RowError) {
	var errs []sheet.RowError
	out := make([]judge.Limit, 0, len(tab.rows))
	seen := map[[3]string]int{}
	for _, row := range tab.rows {
		c := row.Cells
		bad := func(field, rule string, params map[string]any) {
			errs = append(errs, sheet.RowError{Row: row.N, Column: tab.title(field), Field: field, Rule: rule,
				Value: c[field], Params: params})
		}
		l := judge.Limit{Standard: c["standard"], Clause: c["clause"], Category: c["category"], Item: c["item"],
			Comparison: judge.Comparison(c["comparison"]), Min: c["min"], Max: c["max"], Unit: c["unit"], LOD: c["lod"],
			Method: c["method"], Note: c["note"]}
		var ok bool
		if l.Rounded, ok = parseBool(c["rounded"]); !ok {
			bad("rounded", RuleYesNo, nil)
		}
		if l.Illustrative, ok = parseBool(c["illustrative"]); !ok {
			bad("illustrative", RuleYesNo, nil)
		}
		// "不得检出" typed where the number goes says the comparison.
		if cmp, ok := ParseComparison(l.Max); ok && cmp == judge.NotDetected && strings.TrimSpace(string(l.Comparison)) == "" {
			l.Comparison, l.Max = judge.NotDetected, ""
		}
		if strings.TrimSpace(string(l.Comparison)) == "" {
			l.Comparison = inferComparison(l.Min, l.Max)
		}
		l = Normalize(l)
		for _, e := range judge.Validate(l) {
			bad(e.Field, e.Rule, e.Params)
		}
		k := [3]string{l.Standard, Key(l.Category), Key(l.Item)}
		if first, dup := seen[k]; dup {
			bad("item", RuleDuplicateRow, map[string]any{"row": first})
		} else {
			seen[k] = row.N
		}
		out = append(out, l)
	}
	return out, errs
}

// inferComparison fills in a comparison the file left out: a maximum alone
// is "at most" (the usual form of a limit), a minimum alone "at least",
// both a range.
func inferComparison(min, max string) judge.Comparison {
	hasMin, hasMax := strings.TrimSpace(min) != "", strings.TrimSpace(max) != ""
	switch {
	case hasMin && hasMax:
		return judge.Within
	case hasMin:
		return judge.AtLeast
	case hasMax:
		return judge.AtMost
	}
	return ""
}

// String helps a test or a log show where an import failed.
func (r ImportReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows, %d added, %d replaced", r.Rows, r.Inserted, r.Updated)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "; row %d %s: %s", e.Row, e.Column, e.Rule)
	}
	return b.String()
}
