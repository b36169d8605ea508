package plan

import (
	"errors"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// bText picks the Chinese or English of a pair.
func bText(lang, zh, en string) string {
	if isEn(lang) {
		return en
	}
	return zh
}

// StandingLabel names a task's standing (done, green, yellow, red) in lang.
func StandingLabel(s, lang string) string {
	switch s {
	case StandingDone:
		return bText(lang, "已完成", "Done")
	case StandingGreen:
		return bText(lang, "绿灯", "Green")
	case StandingYellow:
		return bText(lang, "黄灯", "Yellow")
	case StandingRed:
		return bText(lang, "红灯", "Red")
	}
	return s
}

// RectificationStatusLabel names a rectification's status in lang.
func RectificationStatusLabel(s string, overdue bool, lang string) string {
	var out string
	switch s {
	case RectificationOpen:
		out = bText(lang, "整改中", "Open")
	case RectificationReported:
		out = bText(lang, "已报整改完成，待核查", "Reported done, to be checked")
	case RectificationClosed:
		out = bText(lang, "已销号", "Closed")
	default:
		out = s
	}
	if overdue {
		out += bText(lang, "（逾期）", " (overdue)")
	}
	return out
}

// bSheet is a sheet being streamed.
type bSheet struct {
	sw  *excelize.StreamWriter
	row int
}

func (s *bSheet) add(values ...any) error {
	s.row++
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return err
	}
	return s.sw.SetRow(cell, values)
}

func (s *bSheet) addStyled(style int, values ...any) error {
	cells := make([]any, len(values))
	for i, v := range values {
		cells[i] = excelize.Cell{StyleID: style, Value: v}
	}
	return s.add(cells...)
}

func newBSheet(f *excelize.File, name string, first bool, widths []float64) (*bSheet, error) {
	if first {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return nil, err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	return &bSheet{sw: sw}, nil
}

// Sheet names of an exported bulletin, in Chinese and English.
var bulletinSheets = [3][2]string{{"概况", "Summary"}, {"分单位任务", "By department"}, {"整改清单", "Rectifications"}}

// BulletinSheetNames returns the sheet names ExportBulletin writes in lang:
// the summary, the per-department table and the rectifications.
func BulletinSheetNames(lang string) []string {
	out := make([]string, len(bulletinSheets))
	for i, s := range bulletinSheets {
		out[i] = bText(lang, s[0], s[1])
	}
	return out
}

// ExportBulletin writes b as an .xlsx workbook with headers in lang: a
// summary (header, completion counts, completion by department, good
// examples, laggards, trend, narrative), the per-department table of tasks,
// and the rectification list.
func ExportBulletin(w io.Writer, b *Bulletin, lang string) error {
	if b == nil || b.Data == nil {
		return errors.New("plan: bulletin without its figures")
	}
	d := b.Data
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#E8EEF7"}}})
	if err != nil {
		return err
	}
	titleStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	names := BulletinSheetNames(lang)
	t := func(zh, en string) string { return bText(lang, zh, en) }

	// Summary.
	s, err := newBSheet(f, names[0], true, []float64{28, 16, 12, 12, 12, 12, 14})
	if err != nil {
		return err
	}
	status := map[string][2]string{BulletinDraft: {"草稿", "Draft"}, BulletinPublished: {"已发布", "Published"},
		BulletinSuperseded: {"已被更正版本替代", "Superseded by a correction"}}[b.Status]
	sm := d.Summary
	rows := [][]any{
		{t("文号", "Document number"), b.DocNumber},
		{t("发文单位", "Issued by"), b.Issuer},
		{t("发文日期", "Issued on"), b.IssuedOn},
		{t("版本", "Version"), b.Version},
		{t("状态", "Status"), t(status[0], status[1])},
		{t("工作计划", "Plan"), d.PlanTitle},
		{t("通报期间", "Period"), d.From + " — " + d.To},
		{},
		{t("任务总数", "Tasks"), sm.Total},
		{t("已完成", "Done"), sm.Done},
		{t("按序时进度推进（绿灯）", "On schedule (green)"), sm.Green},
		{t("进度滞后（黄灯）", "Behind (yellow)"), sm.Yellow},
		{t("逾期或严重滞后（红灯）", "Overdue or far behind (red)"), sm.Red},
		{t("总体完成进度（%）", "Overall progress (%)"), sm.Progress},
		{t("完成率（%）", "Done rate (%)"), sm.DoneRate},
		{t("数据自动采集的任务", "Tasks measured from platform data"), sm.Measured},
		{t("单位填报进度的任务", "Tasks with reported progress"), sm.Reported},
		{t("整改事项", "Rectifications"), sm.Rectifications},
		{t("其中未销号", "of which open"), sm.RectificationsOpen},
		{t("其中逾期", "of which overdue"), sm.RectificationsOverdue},
	}
	if err := s.addStyled(titleStyle, b.Title); err != nil {
		return err
	}
	for _, r := range rows {
		if err := s.add(r...); err != nil {
			return err
		}
	}
	if err := s.add(); err != nil {
		return err
	}
	if err := s.addStyled(bold, t("单位", "Department"), t("进度（%）", "Progress (%)"), t("任务", "Tasks"),
		t("已完成", "Done"), t("绿灯", "Green"), t("黄灯", "Yellow"), t("红灯", "Red")); err != nil {
		return err
	}
	for _, dep := range d.Departments {
		if err := s.add(dep.DisplayName(lang), dep.Progress, dep.Total, dep.Done, dep.Green, dep.Yellow, dep.Red); err != nil {
			return err
		}
	}
	if len(d.GoodExamples) > 0 {
		if err := s.add(); err != nil {
			return err
		}
		if err := s.addStyled(bold, t("典型示范", "Good examples"), t("单位", "Department"), t("进度（%）", "Progress (%)"),
			t("说明", "Why")); err != nil {
			return err
		}
		for _, e := range d.GoodExamples {
			why := t("按序时进度领先", "Green and furthest ahead")
			if e.Reason == "early" {
				why = t(fmt.Sprintf("提前%d天完成", e.DaysEarly), fmt.Sprintf("Done %d days early", e.DaysEarly))
			}
			if err := s.add(e.Title, e.Department, e.Progress, why); err != nil {
				return err
			}
		}
	}
	if len(d.Laggards) > 0 {
		if err := s.add(); err != nil {
			return err
		}
		if err := s.addStyled(bold, t("进度滞后单位", "Laggards"), t("红灯任务", "Red tasks"),
			t("多次黄灯任务", "Repeated yellows"), t("事项", "Items")); err != nil {
			return err
		}
		for _, l := range d.Laggards {
			name := l.Department
			if isEn(lang) && l.DepartmentEn != "" {
				name = l.DepartmentEn
			}
			items := ""
			for i, r := range l.Items {
				if i > 0 {
					items += t("；", "; ")
				}
				items += r.Title + t("（", " (") + StandingLabel(r.Standing, lang) + t("）", ")")
			}
			if err := s.add(name, l.Red, l.RepeatedYellow, items); err != nil {
				return err
			}
		}
	}
	if len(d.Trend) > 0 {
		if err := s.add(); err != nil {
			return err
		}
		if err := s.addStyled(bold, t("日期", "Date"), t("总体完成进度（%）", "Overall progress (%)"),
			t("已完成", "Done"), t("任务", "Tasks")); err != nil {
			return err
		}
		for _, p := range d.Trend {
			if err := s.add(p.Day, p.Progress, p.Done, p.Total); err != nil {
				return err
			}
		}
	}
	if b.Narrative != "" {
		if err := s.add(); err != nil {
			return err
		}
		if err := s.addStyled(bold, t("通报正文", "Narrative")); err != nil {
			return err
		}
		if err := s.addStyled(wrap, b.Narrative); err != nil {
			return err
		}
	}
	if err := s.sw.Flush(); err != nil {
		return err
	}

	// The per-department table.
	s, err = newBSheet(f, names[1], false, []float64{24, 8, 40, 12, 12, 10, 10, 10, 40})
	if err != nil {
		return err
	}
	if err := s.addStyled(bold, t("牵头单位", "Lead department"), t("序号", "No."), t("任务", "Task"),
		t("责任人", "Owner"), t("完成时限", "Deadline"), t("进度（%）", "Progress (%)"), t("状态", "Status"),
		t("数据来源", "Figure"), t("说明", "Explanation")); err != nil {
		return err
	}
	for _, dep := range d.Departments {
		for _, r := range dep.Rows {
			source := t("单位填报", "reported")
			if r.Measured {
				source = t("平台数据", "measured")
			}
			if err := s.add(dep.DisplayName(lang), r.Label, r.Title, r.Owner, r.Deadline, r.Progress,
				StandingLabel(r.Standing, lang), source, r.Explanation(lang)); err != nil {
				return err
			}
		}
	}
	if err := s.sw.Flush(); err != nil {
		return err
	}

	// Rectifications.
	s, err = newBSheet(f, names[2], false, []float64{24, 30, 24, 12, 36, 36, 12, 20})
	if err != nil {
		return err
	}
	if err := s.addStyled(bold, t("责任单位", "Department"), t("任务", "Task"), t("督查", "Inspection"),
		t("督查日期", "Visited"), t("发现问题", "Finding"), t("整改要求", "Demand"), t("整改时限", "Deadline"),
		t("状态", "Status")); err != nil {
		return err
	}
	for _, r := range d.Rectifications {
		dept := r.Department
		if isEn(lang) && r.DepartmentEn != "" {
			dept = r.DepartmentEn
		}
		if err := s.add(dept, r.TaskTitle, r.Inspection, r.VisitDate, r.Finding, r.Demand, r.Deadline,
			RectificationStatusLabel(r.Status, r.Overdue, lang)); err != nil {
			return err
		}
	}
	if err := s.sw.Flush(); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}
