package plan

import (
	"context"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/sheet"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// planColumns are the columns of a plan's decomposition table (任务分解表),
// in the order the template writes them.
var planColumns = []sheet.Column{
	{Field: "label", ZH: "序号", EN: "No.", Aliases: []string{"编号", "序", "label", "number"}, Width: 8, Text: true},
	{Field: "content", ZH: "工作内容", EN: "Work", Aliases: []string{"任务内容", "工作任务", "重点任务", "主要任务", "具体任务", "内容", "content", "task", "workpoint"}, Width: 48},
	{Field: "lead", ZH: "牵头单位", EN: "Lead department", Aliases: []string{"牵头部门", "责任单位", "牵头", "lead", "leaddepartment"}, Width: 18},
	{Field: "supporting", ZH: "配合单位", EN: "Supporting departments", Aliases: []string{"配合部门", "协办单位", "参与单位", "supporting", "supportingdepartment"}, Width: 24},
	{Field: "leader", ZH: "责任领导", EN: "Responsible leader", Aliases: []string{"分管领导", "领导", "leader"}, Width: 12},
	{Field: "deadline", ZH: "完成时限", EN: "Deadline", Aliases: []string{"完成时间", "时限", "时间节点", "deadline", "due"}, Width: 14, Text: true},
	{Field: "target", ZH: "量化目标/验收标准", EN: "Target / acceptance criterion", Aliases: []string{"量化目标", "验收标准", "目标", "预期目标", "target", "acceptancecriterion"}, Width: 32},
	{Field: "weight", ZH: "考核分值", EN: "Weight", Aliases: []string{"分值", "权重", "考核权重", "weight", "score"}, Width: 10},
	{Field: "owner", ZH: "责任人", EN: "Owner", Aliases: []string{"负责人", "具体责任人", "owner"}, Width: 14, Text: true},
}

// PlanTemplate writes the empty import template of a plan's decomposition
// table, with its headers in lang.
func PlanTemplate(w io.Writer, lang string) error {
	name := "任务分解"
	if sheet.English(lang) {
		name = "Work points"
	}
	return sheet.Template(w, name, planColumns, lang, nil, 0)
}

// ImportReport says what a plan import did: the data rows read, the work
// points and draft tasks added, and every bad cell when it added nothing.
type ImportReport struct {
	Rows   int              `json:"rows"`
	Items  int              `json:"items"`
	Tasks  int              `json:"tasks"`
	Errors []sheet.RowError `json:"errors"`
}

var (
	labelChinese   = regexp.MustCompile(`^[一二三四五六七八九十百]+[、.．]?$`)
	labelChineseP  = regexp.MustCompile(`^[(（][一二三四五六七八九十百]+[)）][、.．]?$`)
	labelArabic    = regexp.MustCompile(`^\d+([.．]\d+)*[、.．]?$`)
	labelArabicP   = regexp.MustCompile(`^[(（]\d+[)）][、.．]?$`)
	labelCircled   = regexp.MustCompile(`^[①-⑳]$`)
	supportingSeps = regexp.MustCompile(`[、,，;；/／\s]+`)
)

// labelRank places a label in the hierarchy of a Chinese official document:
// 一、 above （一） above 1. (1.1 below 1.) above （1） above ①; rows without
// a label sit under the last labelled one.
func labelRank(label string) int {
	switch {
	case label == "":
		return 9
	case labelChinese.MatchString(label):
		return 1
	case labelChineseP.MatchString(label):
		return 2
	case labelArabic.MatchString(label):
		return 3 + strings.Count(strings.ReplaceAll(strings.TrimRight(label, "、.．"), "．", "."), ".")
	case labelArabicP.MatchString(label):
		return 7
	case labelCircled.MatchString(label):
		return 8
	}
	return 3
}

// deadlineRe reads the ways a plan writes a deadline.
var (
	ymdRe     = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)
	ymRe      = regexp.MustCompile(`^(?:(\d{4})\s*[-/.年])?\s*(\d{1,2})\s*月(?:底|末|份)?(?:前|以前)?$`)
	mdRe      = regexp.MustCompile(`^(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:前|以前)?$`)
	quarterRe = regexp.MustCompile(`^(?:(\d{4})年)?第?([一二三四1-4])季度(?:末|底)?(?:前)?$`)
)

// parseDeadline turns a deadline cell into a date: 2024-06-30, 2024/6/30,
// 2024年6月30日, an Excel date, "6月底", "2024年6月", "第二季度", "上半年",
// "年底", and the open-ended "长期坚持" / "持续推进" / "全年" (the end of
// the plan's year).
func parseDeadline(s string, year int) (string, bool) {
	s = strings.TrimSpace(width.Fold.String(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "前"), "以")
	if s == "" {
		return "", true
	}
	endOfMonth := func(y, m int) string {
		return workday.FormatDate(workday.Date(y, time.Month(m)+1, 1).AddDate(0, 0, -1))
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v > 20000 && v < 80000 {
		t, err := excelize.ExcelDateToTime(v, false)
		if err != nil {
			return "", false
		}
		return t.Format(time.DateOnly), true
	}
	if m := ymdRe.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := workday.Date(y, time.Month(mo), d)
		if mo < 1 || mo > 12 || d < 1 || t.Day() != d {
			return "", false
		}
		return workday.FormatDate(t), true
	}
	if m := mdRe.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[1])
		d, _ := strconv.Atoi(m[2])
		t := workday.Date(year, time.Month(mo), d)
		if mo < 1 || mo > 12 || d < 1 || t.Day() != d {
			return "", false
		}
		return workday.FormatDate(t), true
	}
	if m := ymRe.FindStringSubmatch(s); m != nil {
		y := year
		if m[1] != "" {
			y, _ = strconv.Atoi(m[1])
		}
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return "", false
		}
		return endOfMonth(y, mo), true
	}
	if m := quarterRe.FindStringSubmatch(s); m != nil {
		y := year
		if m[1] != "" {
			y, _ = strconv.Atoi(m[1])
		}
		q := strings.Index("一二三四", m[2])/3 + 1
		if n, err := strconv.Atoi(m[2]); err == nil {
			q = n
		}
		return endOfMonth(y, q*3), true
	}
	y := strconv.Itoa(year)
	for _, c := range []string{s, strings.TrimPrefix(s, y+"年"), strings.TrimPrefix(s, y)} {
		switch c {
		case "上半年", "年中":
			return endOfMonth(year, 6), true
		case "下半年", "年底", "年末", "年内", "全年", "本年度", "长期坚持", "长期", "持续推进", "持续开展", "常态化":
			return endOfMonth(year, 12), true
		}
	}
	return "", false
}

// importRow is a row of the table on its way in.
type importRow struct {
	row    sheet.Row
	rank   int
	item   Item
	parent int // index of the parent row, -1 for none
	owner  string
}

// ImportPlan adds the work points of an .xlsx decomposition table
// (PlanTemplate's columns: 序号, 工作内容, 牵头单位, 配合单位, 责任领导, 完成时限,
// 量化目标/验收标准, 考核分值, 责任人) to a plan. The hierarchy follows the
// labels (一、 → （一） → 1. → （1） → ①). Departments are named by their
// name or short name; supporting ones are separated by 、 , ， ; or spaces; the
// owner is a username, or the name of a user of the lead department. Each
// row that names a lead department also becomes a draft task (its owner,
// when given, filled in), ready to publish.
//
// Every row is checked first; if any is bad nothing is stored, and the
// report (and the returned fielderr.List) names each bad row, column and
// rule. Only the office may import, into a plan not closed.
func ImportPlan(ctx context.Context, db *store.DB, who *auth.User, planID string, r io.Reader, size int64) (ImportReport, error) {
	rep := ImportReport{Errors: []sheet.RowError{}}
	if !isOffice(who) {
		return rep, fielderr.ErrForbidden
	}
	p, err := GetPlan(ctx, db, who, planID)
	if err != nil {
		return rep, err
	}
	if p.Status == PlanClosed {
		return rep, fielderr.New("plan", "rule.plan.closed")
	}
	var errs sheet.Errors
	tab, ferr, err := sheet.Read(r, size, planColumns, []string{"content"}, sheet.DefaultLimits)
	if err != nil {
		return rep, err
	}
	if ferr != nil {
		if ferr.Rule == "rule.import.no_header" {
			// The register's message names its own columns.
			ferr.Rule = "rule.plan.import_no_header"
		}
		errs.Add(*ferr)
		rep.Errors = errs
		return rep, errs.Err()
	}
	rep.Rows = len(tab.Rows)
	lang := who.Lang
	fail := func(row sheet.Row, field, rule string, params ...any) {
		e := sheet.RowError{Row: row.N, Column: tab.Title(field, lang), Field: field, Rule: rule, Value: row.Cells[field]}
		for i := 0; i+1 < len(params); i += 2 {
			if e.Params == nil {
				e.Params = map[string]any{}
			}
			e.Params[params[i].(string)] = params[i+1]
		}
		errs.Add(e)
	}

	depts, err := departmentNames(ctx, db, p.RegionCode)
	if err != nil {
		return rep, err
	}
	rows := make([]importRow, len(tab.Rows))
	var stack []int
	for i, row := range tab.Rows {
		c := row.Cells
		ir := &rows[i]
		ir.row = row
		ir.item = Item{Label: cleanText(c["label"]), Content: cleanNote(c["content"]), Leader: cleanText(c["leader"]),
			Target: cleanNote(c["target"]), Supporting: []string{}}
		ir.rank = labelRank(strings.TrimSpace(width.Fold.String(ir.item.Label)))
		for len(stack) > 0 && rows[stack[len(stack)-1]].rank >= ir.rank {
			stack = stack[:len(stack)-1]
		}
		ir.parent = -1
		if len(stack) > 0 {
			ir.parent = stack[len(stack)-1]
		}
		ir.item.Level = len(stack) + 1
		stack = append(stack, i)
		if ir.item.Level > MaxItemLevel {
			fail(row, "label", "rule.item.too_deep", "max", MaxItemLevel)
		}
		if utf8.RuneCountInString(ir.item.Label) > 20 {
			fail(row, "label", "rule.max_length", "max", 20)
		}
		switch {
		case ir.item.Content == "":
			fail(row, "content", "rule.required")
		case utf8.RuneCountInString(ir.item.Content) > 2000:
			fail(row, "content", "rule.max_length", "max", 2000)
		}
		if utf8.RuneCountInString(ir.item.Leader) > 100 {
			fail(row, "leader", "rule.max_length", "max", 100)
		}
		if utf8.RuneCountInString(ir.item.Target) > 1000 {
			fail(row, "target", "rule.max_length", "max", 1000)
		}
		if s := cleanText(c["lead"]); s != "" {
			if id, ok := depts[deptKey(s)]; ok {
				ir.item.LeadDepartmentID = id
			} else {
				fail(row, "lead", "rule.department.unknown", "value", s)
			}
		}
		seen := map[string]bool{ir.item.LeadDepartmentID: true}
		for _, s := range supportingSeps.Split(c["supporting"], -1) {
			if s == "" {
				continue
			}
			id, ok := depts[deptKey(s)]
			if !ok {
				fail(row, "supporting", "rule.department.unknown", "value", s)
				continue
			}
			if !seen[id] {
				seen[id] = true
				ir.item.Supporting = append(ir.item.Supporting, id)
			}
		}
		if d, ok := parseDeadline(c["deadline"], p.Year); ok {
			ir.item.Deadline = d
		} else {
			fail(row, "deadline", "rule.date.format")
		}
		if s := strings.TrimSpace(width.Fold.String(c["weight"])); s != "" {
			w, err := strconv.ParseFloat(s, 64)
			switch {
			case err != nil || math.IsNaN(w):
				fail(row, "weight", "rule.number")
			case w < 0 || w > 1000:
				fail(row, "weight", "rule.range", "min", 0, "max", 1000)
			default:
				ir.item.Weight = w
			}
		}
		if s := cleanText(c["owner"]); s != "" {
			switch {
			case cleanText(c["lead"]) == "":
				// A task needs its lead department before it can have an
				// owner of that department.
				fail(row, "lead", "rule.required")
			case ir.item.LeadDepartmentID == "":
			default:
				id, rule, err := findOwner(ctx, db, ir.item.LeadDepartmentID, s)
				if err != nil {
					return rep, err
				}
				if rule != "" {
					fail(row, "owner", rule)
				}
				ir.owner = id
			}
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		rep.Errors = errs
		return rep, errs.Err()
	}

	err = db.Tx(ctx, func(tx *store.Tx) error {
		p, err := writablePlan(ctx, tx, who, planID)
		if err != nil {
			return err
		}
		var top int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM plan_items WHERE plan_id = ? AND parent_id IS NULL`,
			p.ID).Scan(&top); err != nil {
			return err
		}
		var seq int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM tasks WHERE plan_id = ?`, p.ID).Scan(&seq); err != nil {
			return err
		}
		children := map[int]int{}
		now := planNowMs(ctx)
		for i := range rows {
			ir := &rows[i]
			it := &ir.item
			it.ID, it.PlanID = store.NewID(), p.ID
			if ir.parent >= 0 {
				it.ParentID = rows[ir.parent].item.ID
				children[ir.parent]++
				it.Seq = children[ir.parent]
			} else {
				top++
				it.Seq = top
			}
			if err := insertImported(ctx, tx, p, it, now); err != nil {
				return err
			}
			rep.Items++
			if it.LeadDepartmentID == "" {
				continue
			}
			seq++
			t := &Task{ID: store.NewID(), PlanID: p.ID, ItemID: it.ID, RegionCode: p.RegionCode, Seq: seq,
				Title: shorten(cleanText(it.Content), 500), LeadDepartmentID: it.LeadDepartmentID, Supporting: it.Supporting,
				OwnerID: ir.owner, Leader: it.Leader, Deadline: it.Deadline, Target: it.Target, Weight: it.Weight,
				Status: TaskDraft, CreatedAt: now, UpdatedAt: now}
			if err := insertTask(ctx, tx, t); err != nil {
				return err
			}
			rep.Tasks++
		}
		return jobs.Emit(ctx, tx, "plan.imported", map[string]any{"id": p.ID, "region_code": p.RegionCode,
			"items": rep.Items, "tasks": rep.Tasks})
	})
	if err != nil {
		rep.Items, rep.Tasks = 0, 0
		return rep, err
	}
	return rep, nil
}

func insertImported(ctx context.Context, tx *store.Tx, p *Plan, it *Item, now int64) error {
	if err := storeItem(ctx, tx, p, it, now); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Action: "import", Entity: "plan_item", EntityID: it.ID,
		RegionCode: p.RegionCode, After: it})
}

// deptKey folds a department's name for matching what a table says.
func deptKey(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(width.Fold.String(s))), "")
}

// departmentNames maps the region's departments' names and short names to
// their IDs.
func departmentNames(ctx context.Context, q store.Queryer, region string) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT id, name, short_name FROM departments WHERE region_code = ?`, region)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name, short string
		if err := rows.Scan(&id, &name, &short); err != nil {
			return nil, err
		}
		out[deptKey(name)] = id
		if short != "" {
			if _, taken := out[deptKey(short)]; !taken {
				out[deptKey(short)] = id
			}
		}
	}
	return out, rows.Err()
}

// findOwner finds the owner a table names in a department: by username, or
// else by the user's name. It returns a rule when there is no such user,
// the user is disabled, or several users share the name.
func findOwner(ctx context.Context, q store.Queryer, dept, s string) (id, rule string, err error) {
	username := auth.NormalizeUsername(s)
	rows, err := q.Query(ctx, `SELECT id, username, disabled FROM users WHERE department_id = ? AND (username = ? OR name = ?)`,
		dept, username, s)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	type match struct {
		id       string
		disabled bool
	}
	var byName []match
	var byUsername *match
	for rows.Next() {
		var m match
		var u string
		if err := rows.Scan(&m.id, &u, &m.disabled); err != nil {
			return "", "", err
		}
		if u == username {
			byUsername = &m
		} else {
			byName = append(byName, m)
		}
	}
	if err := rows.Err(); err != nil {
		return "", "", err
	}
	m := byUsername
	if m == nil {
		switch len(byName) {
		case 0:
			return "", "rule.task.owner_department", nil
		case 1:
			m = &byName[0]
		default:
			return "", "rule.import.owner_ambiguous", nil
		}
	}
	if m.disabled {
		return "", "rule.task.owner_disabled", nil
	}
	return m.id, "", nil
}
