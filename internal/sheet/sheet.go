// Package sheet reads and writes the .xlsx spreadsheets that registers and
// plans are imported from: it finds the header row by the columns' Chinese
// or English titles (ignoring width, case, spaces, brackets and the "*" of
// required columns), returns the data rows as text keyed by field, and
// collects every bad cell as a row, a column and a rule, so an import can
// be all or nothing with a report naming each problem.
//
// Limits protect the server: the upload's size, the unpacked size (against
// zip bombs) and the number of rows.
package sheet

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// Column is one column a spreadsheet may have.
type Column struct {
	// Field is the input field the column fills. An export-only column has
	// none: Read knows its titles (so they do not match another column's
	// alias) but skips its cells, and Template leaves it out.
	Field   string
	ZH, EN  string // titles written in templates
	Aliases []string
	Width   float64
	Text    bool // the template formats the column as text (codes, dates typed as text)
}

// Title is the column's title in lang.
func (c Column) Title(lang string) string {
	if English(lang) {
		return c.EN
	}
	return c.ZH
}

// English reports whether lang asks for English.
func English(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "en") }

// HeaderKey folds a header cell so that width, case, spaces, brackets and
// the "*" marking required columns do not matter.
func HeaderKey(s string) string {
	s = strings.ToLower(width.Fold.String(s))
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// Limits bound what Read accepts.
type Limits struct {
	MaxBytes         int64 // the uploaded file
	MaxRows          int   // data rows
	UnzipLimit       int64 // the unpacked workbook
	UnzipXMLLimit    int64 // a part kept in memory; larger ones spill to a temporary file
	HeaderSearchRows int   // rows above the header (a title, notes) that are skipped
}

// DefaultLimits suit an upload from a page: 20 MiB, 100,000 rows.
var DefaultLimits = Limits{MaxBytes: 20 << 20, MaxRows: 100_000, UnzipLimit: 512 << 20, UnzipXMLLimit: 32 << 20, HeaderSearchRows: 10}

// RowError is one bad cell of an import: the row as the spreadsheet numbers
// it, the column's header as the file has it, and the rule it breaks.
type RowError struct {
	Row    int            `json:"row"`
	Column string         `json:"column"`
	Field  string         `json:"field"`
	Rule   string         `json:"rule"`
	Value  string         `json:"value,omitempty"`
	Params map[string]any `json:"params,omitempty"`
}

// Errors collects an import's bad cells.
type Errors []RowError

// Add records a bad cell.
func (e *Errors) Add(re RowError) { *e = append(*e, re) }

// Err returns the errors as a fielderr.List whose fields read
// "row 7 / 统一社会信用代码", in row order, or nil when there are none.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	e.Sort()
	l := make(fielderr.List, 0, len(e))
	for _, x := range e {
		field := x.Column
		if x.Row > 0 {
			field = fmt.Sprintf("row %d / %s", x.Row, x.Column)
		}
		l = append(l, fielderr.Error{Field: field, Rule: x.Rule, Params: x.Params})
	}
	return l
}

// Sort orders the errors by row, keeping each row's errors in the order
// they were found.
func (e Errors) Sort() {
	for i := 1; i < len(e); i++ {
		for j := i; j > 0 && e[j].Row < e[j-1].Row; j-- {
			e[j], e[j-1] = e[j-1], e[j]
		}
	}
}

// FileError is a problem with the file as a whole, on the pseudo-column
// "file".
func FileError(rule string, params ...any) RowError {
	e := RowError{Column: "file", Field: "file", Rule: rule}
	for i := 0; i+1 < len(params); i += 2 {
		if e.Params == nil {
			e.Params = map[string]any{}
		}
		if k, ok := params[i].(string); ok {
			e.Params[k] = params[i+1]
		}
	}
	return e
}

// Row is one data row: its number in the spreadsheet and its cells by
// field, trimmed.
type Row struct {
	N     int
	Cells map[string]string
}

// Table is what Read found.
type Table struct {
	Titles map[string]string // field → the header as the file has it
	Rows   []Row
	cols   []Column
}

// Title names a field's column for a report: the header as the file has
// it, else the column's title in lang.
func (t *Table) Title(field, lang string) string {
	if s, ok := t.Titles[field]; ok {
		return s
	}
	for _, c := range t.cols {
		if c.Field == field {
			return c.Title(lang)
		}
	}
	return field
}

// Read reads the first sheet of an .xlsx file whose declared size is size:
// the header row is the first (within lim.HeaderSearchRows) that names
// every field in required; blank rows are skipped. A problem with the file
// itself is returned as a RowError on "file" (rules rule.import.too_large,
// rule.import.not_xlsx, rule.import.no_header, rule.import.empty,
// rule.import.too_many_rows); err is kept for failures to read the upload.
func Read(r io.Reader, size int64, cols []Column, required []string, lim Limits) (*Table, *RowError, error) {
	tooLarge := FileError("rule.import.too_large", "max_mib", lim.MaxBytes>>20)
	if size > lim.MaxBytes {
		return nil, &tooLarge, nil
	}
	buf, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(buf)) > lim.MaxBytes {
		return nil, &tooLarge, nil
	}
	notXLSX := func(err error) (*Table, *RowError, error) {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, &tooLarge, nil
		}
		e := FileError("rule.import.not_xlsx")
		return nil, &e, nil
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf), excelize.Options{
		UnzipSizeLimit: lim.UnzipLimit, UnzipXMLSizeLimit: lim.UnzipXMLLimit, RawCellValue: true})
	if err != nil {
		return notXLSX(err)
	}
	defer f.Close()
	noHeader := FileError("rule.import.no_header")
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &noHeader, nil
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return notXLSX(err)
	}
	defer rows.Close()

	index := map[string]int{}
	for i, c := range cols {
		for _, h := range append([]string{c.ZH, c.EN}, c.Aliases...) {
			index[HeaderKey(h)] = i
		}
	}
	t := &Table{Titles: map[string]string{}, cols: cols}
	var header map[int]string // cell index → field
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return notXLSX(err)
		}
		if header == nil {
			if n > lim.HeaderSearchRows {
				return nil, &noHeader, nil
			}
			h := map[int]string{}
			for i, c := range cells {
				if ci, ok := index[HeaderKey(c)]; ok && cols[ci].Field != "" {
					field := cols[ci].Field
					if _, dup := t.Titles[field]; !dup {
						h[i] = field
						t.Titles[field] = strings.TrimSpace(c)
					}
				}
			}
			complete := len(h) > 0
			for _, f := range required {
				if _, ok := t.Titles[f]; !ok {
					complete = false
				}
			}
			if complete {
				header = h
			} else {
				clear(t.Titles)
			}
			continue
		}
		row := Row{N: n, Cells: map[string]string{}}
		blank := true
		for i, c := range cells {
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
		if len(t.Rows) == lim.MaxRows {
			e := FileError("rule.import.too_many_rows", "max", lim.MaxRows)
			return nil, &e, nil
		}
		t.Rows = append(t.Rows, row)
	}
	if err := rows.Error(); err != nil {
		return notXLSX(err)
	}
	if header == nil {
		return nil, &noHeader, nil
	}
	if len(t.Rows) == 0 {
		e := FileError("rule.import.empty")
		return nil, &e, nil
	}
	return t, nil, nil
}

// Template writes an empty import template: a bold, frozen header row in
// lang, the columns' widths, text format where asked, and drop-down lists
// (field → choices) for up to rows data rows.
func Template(w io.Writer, sheetName string, cols []Column, lang string, lists map[string][]string, rows int) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}) // "@"
	if err != nil {
		return err
	}
	var head []any
	for _, c := range cols {
		if c.Field == "" {
			continue
		}
		head = append(head, c.Title(lang))
		letter, err := excelize.ColumnNumberToName(len(head))
		if err != nil {
			return err
		}
		if err := f.SetColWidth(sheetName, letter, letter, c.Width); err != nil {
			return err
		}
		if c.Text {
			if err := f.SetColStyle(sheetName, letter, text); err != nil {
				return err
			}
		}
		if list := lists[c.Field]; len(list) > 0 {
			dv := excelize.NewDataValidation(true)
			dv.SetSqref(fmt.Sprintf("%s2:%s%d", letter, letter, rows+1))
			if err := dv.SetDropList(list); err != nil {
				return err
			}
			if err := f.AddDataValidation(sheetName, dv); err != nil {
				return err
			}
		}
	}
	if err := f.SetSheetRow(sheetName, "A1", &head); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(head))
	if err := f.SetCellStyle(sheetName, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := f.SetPanes(sheetName, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.Write(w)
}

// Export streams a one-sheet workbook to w: a bold, frozen header row of
// cols' titles in lang at the columns' widths, then the rows next yields
// until it reports false.
func Export(w io.Writer, name string, cols []Column, lang string, next func() ([]any, bool, error)) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}})
	if err != nil {
		return err
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = excelize.Cell{StyleID: bold, Value: c.Title(lang)}
		if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	for n := 2; ; n++ {
		values, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		cell, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, values); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

// Slice feeds Export from items already in hand: row turns each into its
// cells.
func Slice[T any](items []T, row func(T) []any) func() ([]any, bool, error) {
	i := 0
	return func() ([]any, bool, error) {
		if i == len(items) {
			return nil, false, nil
		}
		i++
		return row(items[i-1]), true, nil
	}
}

// Paged feeds Export from a lister that returns up to limit items a call
// from an offset: row turns each item into its cells. It stops after a short
// page.
func Paged[T any](limit int, page func(offset int) ([]T, error), row func(T) ([]any, error)) func() ([]any, bool, error) {
	var batch []T
	offset, i, done := 0, 0, false
	return func() ([]any, bool, error) {
		if i == len(batch) {
			if done {
				return nil, false, nil
			}
			var err error
			if batch, err = page(offset); err != nil {
				return nil, false, err
			}
			offset += len(batch)
			done, i = len(batch) < limit, 0
			if len(batch) == 0 {
				return nil, false, nil
			}
		}
		item := batch[i]
		i++
		cells, err := row(item)
		if err != nil {
			return nil, false, err
		}
		return cells, true, nil
	}
}
