package sheet_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/sheet"
)

var cols = []sheet.Column{
	{Field: "code", ZH: "代码", EN: "Code", Aliases: []string{"编码"}},
	{Field: "name", ZH: "名称", EN: "Name"},
}

func book(t *testing.T, rows ...[]any) *bytes.Reader {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b.Bytes())
}

func TestReadFindsTheHeaderAndKeepsRowNumbers(t *testing.T) {
	t.Parallel()
	f := book(t, []any{"2024年名录"}, []any{"备注", "＊ 编 码", "NAME"}, []any{"x", " 001 ", "甲"}, []any{}, []any{"", "002", ""})
	tab, ferr, err := sheet.Read(f, int64(f.Len()), cols, []string{"code"}, sheet.DefaultLimits)
	if err != nil || ferr != nil {
		t.Fatal(err, ferr)
	}
	if len(tab.Rows) != 2 || tab.Rows[0].N != 3 || tab.Rows[0].Cells["code"] != "001" || tab.Rows[1].N != 5 {
		t.Errorf("rows %+v", tab.Rows)
	}
	if tab.Title("code", "zh-CN") != "＊ 编 码" || tab.Title("name", "en") != "NAME" {
		t.Errorf("titles %v", tab.Titles)
	}
}

func TestReadLimits(t *testing.T) {
	t.Parallel()
	lim := sheet.DefaultLimits
	lim.MaxRows = 2
	f := book(t, []any{"代码"}, []any{"1"}, []any{"2"}, []any{"3"})
	if _, ferr, _ := sheet.Read(f, int64(f.Len()), cols, []string{"code"}, lim); ferr == nil || ferr.Rule != "rule.import.too_many_rows" {
		t.Errorf("too many rows: %+v", ferr)
	}
	lim = sheet.DefaultLimits
	lim.MaxBytes = 100
	f = book(t, []any{"代码"}, []any{"1"})
	if _, ferr, _ := sheet.Read(f, 50, cols, []string{"code"}, lim); ferr == nil || ferr.Rule != "rule.import.too_large" || ferr.Params["max_mib"] != int64(0) {
		t.Errorf("a declared size under the limit, a file over it: %+v", ferr)
	}
	f = book(t, []any{"名称"}, []any{"甲"})
	if _, ferr, _ := sheet.Read(f, int64(f.Len()), cols, []string{"code"}, sheet.DefaultLimits); ferr == nil || ferr.Rule != "rule.import.no_header" {
		t.Errorf("no required column: %+v", ferr)
	}
}

func TestErrorsNameRowAndColumnInRowOrder(t *testing.T) {
	t.Parallel()
	var e sheet.Errors
	e.Add(sheet.RowError{Row: 7, Column: "名称", Rule: "rule.required"})
	e.Add(sheet.RowError{Row: 3, Column: "代码", Rule: "rule.a"})
	e.Add(sheet.RowError{Row: 3, Column: "名称", Rule: "rule.b"})
	err := e.Err()
	if err == nil || err.Error() != "invalid input: row 3 / 代码: rule.a; row 3 / 名称: rule.b; row 7 / 名称: rule.required" {
		t.Errorf("%v", err)
	}
	if (sheet.Errors{}).Err() != nil {
		t.Error("no errors is not an error")
	}
}

func TestExportOnlyColumnsAreKnownButNotRead(t *testing.T) {
	t.Parallel()
	cols := []sheet.Column{
		{Field: "code", ZH: "代码", EN: "Code", Aliases: []string{"region"}},
		{ZH: "区划", EN: "Region"},
	}
	// "Region" is the export-only column's title, not code's alias; a row
	// with only that column filled is blank.
	f := book(t, []any{"Region", "代码"}, []any{"阿拉善", "1"}, []any{"仅名称", ""})
	tab, ferr, err := sheet.Read(f, int64(f.Len()), cols, []string{"code"}, sheet.DefaultLimits)
	if err != nil || ferr != nil {
		t.Fatal(err, ferr)
	}
	if len(tab.Rows) != 1 || len(tab.Rows[0].Cells) != 1 || tab.Rows[0].Cells["code"] != "1" {
		t.Errorf("rows %+v", tab.Rows)
	}
	var b bytes.Buffer
	if err := sheet.Template(&b, "S", cols, "en", nil, 10); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if rows, err := x.GetRows("S"); err != nil || len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] != "Code" {
		t.Errorf("template %v, %v", rows, err)
	}
}

func TestExportWritesTheHeaderInLangThenTheRows(t *testing.T) {
	t.Parallel()
	data := [][]any{{"001", "甲"}, {"002", 7}}
	var b bytes.Buffer
	i := 0
	err := sheet.Export(&b, "Codes", []sheet.Column{{ZH: "代码", EN: "Code", Width: 10}, {ZH: "名称", EN: "Name", Width: 20}}, "en",
		func() ([]any, bool, error) {
			if i == len(data) {
				return nil, false, nil
			}
			i++
			return data[i-1], true, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Codes")
	if err != nil || len(rows) != 3 || rows[0][0] != "Code" || rows[0][1] != "Name" || rows[1][0] != "001" || rows[2][1] != "7" {
		t.Errorf("export %v, %v", rows, err)
	}
	if w, _ := x.GetColWidth("Codes", "B"); w != 20 {
		t.Errorf("column B is %v wide", w)
	}
	// An error while rows are read is the export's error.
	boom := errors.New("boom")
	if err := sheet.Export(&bytes.Buffer{}, "S", nil, "zh-CN", func() ([]any, bool, error) { return nil, false, boom }); !errors.Is(err, boom) {
		t.Errorf("export error %v", err)
	}
}

// Paged reads every page until a short one, turning each item into a row.
func TestPagedReadsEveryPage(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	calls := 0
	next := sheet.Paged(2, func(offset int) ([]int, error) {
		calls++
		return items[offset:min(offset+2, len(items))], nil
	}, func(n int) ([]any, error) { return []any{n * 10}, nil })
	var got []any
	for {
		row, ok, err := next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, row...)
	}
	if len(got) != 5 || got[4] != 50 || calls != 3 {
		t.Fatalf("rows %v after %d pages, want 10..50 after 3", got, calls)
	}
}

func TestSliceFeedsEachItemOnceThenStops(t *testing.T) {
	next := sheet.Slice([]int{3, 5}, func(n int) []any { return []any{n, n * n} })
	for _, want := range []int{3, 5} {
		cells, ok, err := next()
		if err != nil || !ok || cells[0] != want || cells[1] != want*want {
			t.Fatalf("row %v, %v, %v; want %d and its square", cells, ok, err, want)
		}
	}
	for range 2 {
		if cells, ok, err := next(); ok || err != nil || cells != nil {
			t.Fatalf("after the last item: %v, %v, %v", cells, ok, err)
		}
	}
}
