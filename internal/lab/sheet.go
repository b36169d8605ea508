package lab

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/sheet"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// resultColumns are the columns of a results spreadsheet. Institutions keep
// their raw data in Excel: the file is filled there and read back as it is.
var resultColumns = []sheet.Column{
	{Field: "item", ZH: "检测项目", EN: "Item", Aliases: []string{"项目", "检验项目"}, Width: 22, Text: true},
	{Field: "value", ZH: "检测结果", EN: "Value", Aliases: []string{"结果", "实测值", "result"}, Width: 16, Text: true},
	{Field: "unit", ZH: "单位", EN: "Unit", Width: 12, Text: true},
	{Field: "method", ZH: "检测方法", EN: "Method", Aliases: []string{"方法", "检验方法", "检验依据"}, Width: 24, Text: true},
	{Field: "lod", ZH: "检出限", EN: "LOD", Aliases: []string{"检出限lod", "limit of detection"}, Width: 12, Text: true},
}

// MaxResultsImportBytes bounds an uploaded results file.
const MaxResultsImportBytes = 2 << 20

// SampleItems lists the items a report of the sample must cover, in the
// order to enter them: its task's, or for a re-test the items objected to.
// The caller has read s with GetSample, which decides who may see it.
func SampleItems(ctx context.Context, q store.Queryer, s *Sample) ([]string, error) {
	return requiredItems(ctx, q, s)
}

// ResultsTemplate writes the results spreadsheet of a sample: one row per
// item (SampleItems), with the method of the institution's scope where it
// has one, ready for the values.
func ResultsTemplate(w io.Writer, s *Sample, items []string, in *Institution, lang string) error {
	var rows [][]any
	for _, item := range items {
		method := ""
		if in != nil {
			for _, e := range in.Scope {
				if fold(e.Category) == fold(s.Category) && fold(e.Item) == fold(item) {
					method = e.Method
				}
			}
		}
		rows = append(rows, []any{item, "", "", method, ""})
	}
	i := 0
	name := "检测结果"
	if sheet.English(lang) {
		name = "Results"
	}
	return sheet.Export(w, name, resultColumns, lang, func() ([]any, bool, error) {
		if i == len(rows) {
			return nil, false, nil
		}
		i++
		return rows[i-1], true, nil
	})
}

// ReadResults reads a results spreadsheet into the inputs EnterResults
// takes, with the spreadsheet's row number of each (for ResultRowErrors). Rows without a value are skipped (an item not tested yet). A file
// that cannot be read, and rows that name no item, come back as row errors
// and a *fielderr.List, so the page can show each bad cell; nothing is
// entered then.
func ReadResults(r io.Reader, size int64, lang string) ([]ResultInput, []int, []sheet.RowError, error) {
	lim := sheet.DefaultLimits
	lim.MaxBytes, lim.MaxRows = MaxResultsImportBytes, MaxItems
	t, fileErr, err := sheet.Read(r, size, resultColumns, []string{"item", "value"}, lim)
	if err != nil {
		return nil, nil, nil, err
	}
	if fileErr != nil {
		errs := sheet.Errors{*fileErr}
		return nil, nil, errs, errs.Err()
	}
	var errs sheet.Errors
	var out []ResultInput
	var rowOf []int
	seen := map[string]int{}
	for _, row := range t.Rows {
		c := row.Cells
		if c["value"] == "" {
			continue
		}
		if c["item"] == "" {
			errs.Add(sheet.RowError{Row: row.N, Column: t.Title("item", lang), Field: "item", Rule: "rule.required"})
			continue
		}
		if prev, dup := seen[fold(c["item"])]; dup {
			errs.Add(sheet.RowError{Row: row.N, Column: t.Title("item", lang), Field: "item", Rule: "rule.lab.result.duplicate",
				Value: c["item"], Params: map[string]any{"row": prev}})
			continue
		}
		seen[fold(c["item"])] = row.N
		out = append(out, ResultInput{Item: c["item"], Value: c["value"], Unit: c["unit"], Method: c["method"], LOD: c["lod"]})
		rowOf = append(rowOf, row.N)
	}
	if len(out) == 0 && len(errs) == 0 {
		errs.Add(sheet.FileError("rule.import.empty"))
	}
	if len(errs) > 0 {
		return nil, nil, errs, errs.Err()
	}
	return out, rowOf, nil, nil
}

// ResultRowErrors turns EnterResults' refusal of imported rows (fields
// "results[i].value" and the like) into row errors naming the spreadsheet's
// rows, given the rows' numbers in input order.
func ResultRowErrors(err error, rowOf []int, lang string) []sheet.RowError {
	list, ok := fielderr.As(err)
	if !ok {
		return nil
	}
	var out []sheet.RowError
	for _, e := range list {
		if i, field, ok := resultField(e.Field); ok && i < len(rowOf) {
			col := field
			for _, c := range resultColumns {
				if c.Field == field {
					col = c.Title(lang)
				}
			}
			out = append(out, sheet.RowError{Row: rowOf[i], Column: col, Field: field, Rule: e.Rule, Params: e.Params})
			continue
		}
		out = append(out, sheet.RowError{Column: e.Field, Field: e.Field, Rule: e.Rule, Params: e.Params})
	}
	return out
}

// resultField splits "results[3].value" into 3 and "value".
func resultField(f string) (int, string, bool) {
	rest, ok := strings.CutPrefix(f, "results[")
	if !ok {
		return 0, "", false
	}
	num, field, ok := strings.Cut(rest, "].")
	if !ok {
		return 0, "", false
	}
	i, err := strconv.Atoi(num)
	return i, field, err == nil && i >= 0
}
