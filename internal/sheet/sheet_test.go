package sheet_test

import (
	"bytes"
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
