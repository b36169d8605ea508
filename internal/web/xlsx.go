package web

import (
	"io"

	"github.com/xuri/excelize/v2"
)

// writeTable streams a one-sheet workbook: a header row, then rows as next
// yields them until it returns false. Lists whose domain package has no
// exporter of its own (tasks, the audit trail, accounts) export through it.
func writeTable(w io.Writer, sheet string, header []string, next func() ([]any, bool, error)) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, len(header), 18); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for row := 2; ; row++ {
		values, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := sw.SetRow(cell, values); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
