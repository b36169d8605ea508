package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Import limits.
const (
	MaxImportBytes = 20 << 20 // the uploaded file
	MaxImportRows  = 100_000  // data rows
	// A 20 MiB upload of worksheet XML legitimately unpacks to a few hundred
	// MiB; anything beyond is a zip bomb.
	importUnzipLimit    = 512 << 20
	importUnzipXMLLimit = 32 << 20 // kept in memory; larger parts spill to a temp file
	headerSearchRows    = 10       // rows above the header (a title, notes) are skipped
	importBatch         = 500      // rows per multi-row INSERT
)

// column is one spreadsheet column of the enterprise register.
type column struct {
	field   string // the input field it fills ("" for export-only columns)
	zh, en  string
	aliases []string
	width   float64
}

var enterpriseColumns = []column{
	{"uscc", "统一社会信用代码", "USCC", []string{"社会信用代码", "信用代码", "unifiedsocialcreditcode", "creditcode"}, 24},
	{"name", "企业名称", "Name", []string{"名称", "单位名称", "主体名称", "enterprisename", "companyname", "enterprise"}, 36},
	{"region_code", "行政区划代码", "Region code", []string{"区划代码", "regioncode", "region"}, 14},
	{"", "行政区划", "Region", nil, 14},
	{"legal_rep", "法定代表人", "Legal representative", []string{"法定代表人负责人", "负责人", "法人", "经营者", "legalrep"}, 14},
	{"address", "地址", "Address", []string{"住所", "经营场所", "注册地址", "住所经营场所"}, 36},
	{"township", "乡镇（苏木、街道）", "Township", []string{"乡镇", "苏木", "街道", "乡镇街道", "乡镇苏木", "town"}, 16},
	{"industry", "行业门类", "Industry", []string{"行业", "所属行业", "industrysection"}, 22},
	{"contact_name", "联系人", "Contact", []string{"contactname"}, 12},
	{"contact_phone", "联系电话", "Phone", []string{"电话", "手机", "手机号码", "联系方式", "contactphone", "telephone"}, 16},
	{"status", "状态", "Status", []string{"经营状态", "登记状态"}, 10},
	{"department", "主管部门", "Supervising department", []string{"监管部门", "主管单位", "department"}, 20},
	{"uscc_override_reason", "校验码例外原因", "USCC override reason", []string{"例外原因", "overridereason"}, 24},
}

// headerKey folds a header cell so that width, case, spaces, brackets and
// the "*" marking required columns do not matter.
func headerKey(s string) string {
	s = strings.ToLower(width.Fold.String(s))
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

var enterpriseHeaderIndex = func() map[string]int {
	m := map[string]int{}
	for i, c := range enterpriseColumns {
		for _, h := range append([]string{c.zh, c.en}, c.aliases...) {
			m[headerKey(h)] = i
		}
	}
	return m
}()

func columnTitle(c column, lang string) string {
	if isEnglish(lang) {
		return c.en
	}
	return c.zh
}

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

// ImportReport says what an import did: how many data rows it read, how
// many enterprises it added, and every bad cell when it added none.
type ImportReport struct {
	Rows     int        `json:"rows"`
	Inserted int        `json:"inserted"`
	Errors   []RowError `json:"errors"`
}

func (r *ImportReport) fail(e RowError) { r.Errors = append(r.Errors, e) }

// err turns the report's errors into a fielderr.List ("row 7 / 统一社会信用代码").
func (r *ImportReport) err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	var l fielderr.List
	for _, e := range r.Errors {
		field := e.Column
		if e.Row > 0 {
			field = fmt.Sprintf("row %d / %s", e.Row, e.Column)
		}
		l = append(l, fielderr.Error{Field: field, Rule: e.Rule, Params: e.Params})
	}
	return l
}

// importRow is one data row on its way in.
type importRow struct {
	row   int
	cells map[string]string // field → cell text
	ent   Enterprise
}

// ImportEnterprises adds the enterprises of an .xlsx file (the first sheet;
// a header row within the first rows names the columns in Chinese or
// English, as EnterpriseTemplate writes them). Every row is checked with the
// rules of CreateEnterprise, and the USCCs against each other and the
// register; if any row is bad nothing is stored, and the report (and the
// returned fielderr.List) names each bad row, column and rule. Otherwise all
// rows go in one transaction. size is the upload's declared size; only
// officers and the office may import.
func ImportEnterprises(ctx context.Context, db *store.DB, who *auth.User, r io.Reader, size int64) (ImportReport, error) {
	var rep ImportReport
	if !canWrite(who) {
		return rep, fielderr.ErrForbidden
	}
	lang := who.Lang
	fileErr := func(rule string, params ...any) (ImportReport, error) {
		e := RowError{Column: "file", Field: "file", Rule: rule}
		if len(params) == 2 {
			e.Params = map[string]any{params[0].(string): params[1]}
		}
		rep.fail(e)
		return rep, rep.err()
	}
	if size > MaxImportBytes {
		return fileErr("rule.import.too_large", "max_mib", MaxImportBytes>>20)
	}
	buf, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return rep, err
	}
	if len(buf) > MaxImportBytes {
		return fileErr("rule.import.too_large", "max_mib", MaxImportBytes>>20)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf), excelize.Options{
		UnzipSizeLimit: importUnzipLimit, UnzipXMLSizeLimit: importUnzipXMLLimit, RawCellValue: true})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return fileErr("rule.import.too_large", "max_mib", MaxImportBytes>>20)
		}
		return fileErr("rule.import.not_xlsx")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return fileErr("rule.import.no_header")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return fileErr("rule.import.too_large", "max_mib", MaxImportBytes>>20)
		}
		return fileErr("rule.import.not_xlsx")
	}
	defer rows.Close()

	var header map[int]string // cell index → field
	titles := map[string]string{}
	var data []importRow
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return fileErr("rule.import.not_xlsx")
		}
		if header == nil {
			if n > headerSearchRows {
				return fileErr("rule.import.no_header")
			}
			h := map[int]string{}
			for i, c := range cells {
				if ci, ok := enterpriseHeaderIndex[headerKey(c)]; ok && enterpriseColumns[ci].field != "" {
					field := enterpriseColumns[ci].field
					if _, dup := titles[field]; !dup {
						h[i] = field
						titles[field] = strings.TrimSpace(c)
					}
				}
			}
			if _, ok := titles["uscc"]; ok {
				if _, ok := titles["name"]; ok {
					header = h
					continue
				}
			}
			clear(titles)
			continue
		}
		row := importRow{row: n, cells: map[string]string{}}
		blank := true
		for i, c := range cells {
			if field, ok := header[i]; ok {
				c = strings.TrimSpace(c)
				row.cells[field] = c
				if c != "" {
					blank = false
				}
			}
		}
		if blank {
			continue
		}
		if len(data) == MaxImportRows {
			return fileErr("rule.import.too_many_rows", "max", MaxImportRows)
		}
		data = append(data, row)
	}
	if err := rows.Error(); err != nil {
		return fileErr("rule.import.not_xlsx")
	}
	if header == nil {
		return fileErr("rule.import.no_header")
	}
	rep.Rows = len(data)
	if len(data) == 0 {
		return fileErr("rule.import.empty")
	}
	title := func(field string) string {
		if t, ok := titles[field]; ok {
			return t
		}
		for _, c := range enterpriseColumns {
			if c.field == field {
				return columnTitle(c, lang)
			}
		}
		return field
	}

	// Check every row, as CreateEnterprise would.
	lk := newLookup(db)
	first := map[string]int{} // region + USCC → first row with it
	for i := range data {
		row := &data[i]
		in := EnterpriseInput{
			USCC: row.cells["uscc"], USCCOverrideReason: row.cells["uscc_override_reason"], Name: row.cells["name"],
			RegionCode: row.cells["region_code"], LegalRep: row.cells["legal_rep"], Address: row.cells["address"],
			Township: row.cells["township"], Industry: row.cells["industry"], ContactName: row.cells["contact_name"],
			ContactPhone: row.cells["contact_phone"], Status: row.cells["status"],
		}
		var deptErr bool
		if d := clean(row.cells["department"]); d != "" {
			region := strings.TrimSpace(in.RegionCode)
			if region == "" {
				region = who.RegionCode
			}
			id, err := lk.departmentNamed(ctx, region, d)
			if err != nil {
				return rep, err
			}
			if id == "" {
				if dd, err := lk.department(ctx, d); err != nil {
					return rep, err
				} else if dd != nil {
					id = dd.ID
				}
			}
			if id == "" {
				deptErr = true
			}
			in.DepartmentID = id
		}
		e, errs, err := validateEnterprise(ctx, lk, who, in)
		if err != nil {
			return rep, err
		}
		if deptErr {
			errs.Add("department_id", "rule.department.unknown")
		}
		for _, fe := range errs {
			field := fe.Field
			if field == "department_id" {
				field = "department"
			}
			rep.fail(RowError{Row: row.row, Column: title(field), Field: field, Rule: fe.Rule, Value: row.cells[field], Params: fe.Params})
		}
		if !errs.Has("uscc") && !errs.Has("region_code") {
			key := e.RegionCode + "/" + e.USCC
			if prev, dup := first[key]; dup {
				rep.fail(RowError{Row: row.row, Column: title("uscc"), Field: "uscc", Rule: "rule.uscc.duplicate_in_file",
					Value: row.cells["uscc"], Params: map[string]any{"row": prev}})
			} else {
				first[key] = row.row
			}
		}
		row.ent = e
	}
	taken, err := registeredUSCCs(ctx, db, data)
	if err != nil {
		return rep, err
	}
	for _, row := range data {
		if taken[row.ent.RegionCode+"/"+row.ent.USCC] {
			rep.fail(RowError{Row: row.row, Column: title("uscc"), Field: "uscc", Rule: "rule.uscc.taken", Value: row.cells["uscc"]})
		}
	}
	if len(rep.Errors) > 0 {
		sortRowErrors(rep.Errors)
		return rep, rep.err()
	}

	now := store.Now()
	ents := make([]Enterprise, len(data))
	for i := range data {
		e := data[i].ent
		e.ID, e.CreatedAt, e.UpdatedAt = store.NewID(), now, now
		ents[i] = e
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		// The register may have changed while the file was read.
		taken, err := registeredUSCCs(ctx, tx, data)
		if err != nil {
			return err
		}
		for _, row := range data {
			if taken[row.ent.RegionCode+"/"+row.ent.USCC] {
				rep.fail(RowError{Row: row.row, Column: title("uscc"), Field: "uscc", Rule: "rule.uscc.taken", Value: row.cells["uscc"]})
			}
		}
		if err := rep.err(); err != nil {
			return err
		}
		for i := 0; i < len(ents); i += importBatch {
			if err := insertEnterprises(ctx, tx, ents[i:min(i+importBatch, len(ents))], false); err != nil {
				return err
			}
		}
		entries := make([]audit.Entry, len(ents))
		events := make([]any, len(ents))
		for i := range ents {
			e := &ents[i]
			entries[i] = audit.Entry{Action: "import", Entity: "enterprise", EntityID: e.ID, RegionCode: e.RegionCode, After: e}
			events[i] = enterpriseEvent(e, nil)
		}
		if err := audit.WriteMany(ctx, tx, entries); err != nil {
			return err
		}
		return jobs.EmitMany(ctx, tx, "enterprise.created", events)
	})
	if err != nil {
		return rep, err
	}
	rep.Inserted = len(ents)
	if len(ents) >= 1000 {
		_ = analyze(ctx, db)
	}
	return rep, nil
}

func sortRowErrors(errs []RowError) {
	// Stable, so that a row's errors keep the order of its columns' rules.
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].Row < errs[j-1].Row; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

// registeredUSCCs returns which of the rows' region/USCC pairs the register
// already holds, asking in batches.
func registeredUSCCs(ctx context.Context, q store.Queryer, data []importRow) (map[string]bool, error) {
	out := map[string]bool{}
	const batch = 500
	for i := 0; i < len(data); i += batch {
		part := data[i:min(i+batch, len(data))]
		var regions, codes []any
		seen := map[string]bool{}
		for _, row := range part {
			if !seen[row.ent.RegionCode] {
				seen[row.ent.RegionCode] = true
				regions = append(regions, row.ent.RegionCode)
			}
			codes = append(codes, row.ent.USCC)
		}
		// Both lists, so that the (region, USCC) index answers.
		rows, err := q.Query(ctx, `SELECT region_code, uscc FROM enterprises WHERE region_code IN (`+
			strings.Repeat(",?", len(regions))[1:]+`) AND uscc IN (`+strings.Repeat(",?", len(codes))[1:]+`)`,
			append(regions, codes...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var region, uscc string
			if err := rows.Scan(&region, &uscc); err != nil {
				rows.Close()
				return nil, err
			}
			out[region+"/"+uscc] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sheetWriter streams one sheet of an export: a bold header row, then
// rows of text.
type sheetWriter struct {
	f  *excelize.File
	sw *excelize.StreamWriter
	n  int
}

func newSheet(name string, titles []string, widths []float64) (*sheetWriter, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", name); err != nil {
		f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		f.Close()
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}})
	if err != nil {
		f.Close()
		return nil, err
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		f.Close()
		return nil, err
	}
	head := make([]any, len(titles))
	for i, t := range titles {
		head[i] = excelize.Cell{StyleID: bold, Value: t}
	}
	s := &sheetWriter{f: f, sw: sw, n: 1}
	if err := sw.SetRow("A1", head); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *sheetWriter) row(values ...any) error {
	s.n++
	cell, err := excelize.CoordinatesToCellName(1, s.n)
	if err != nil {
		return err
	}
	return s.sw.SetRow(cell, values)
}

func (s *sheetWriter) finish(w io.Writer) error {
	defer s.f.Close()
	if err := s.sw.Flush(); err != nil {
		return err
	}
	return s.f.Write(w)
}

// EnterpriseTemplate writes an empty import template: the header row in lang
// and drop-down lists for the industry and status columns.
func EnterpriseTemplate(w io.Writer, lang string) error {
	f := excelize.NewFile()
	defer f.Close()
	name := sheetName("enterprises", lang)
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": keep USCCs and phones as typed
	if err != nil {
		return err
	}
	var head []any
	col := 0
	for _, c := range enterpriseColumns {
		if c.field == "" {
			continue
		}
		col++
		head = append(head, columnTitle(c, lang))
		letter, _ := excelize.ColumnNumberToName(col)
		if err := f.SetColWidth(name, letter, letter, c.width); err != nil {
			return err
		}
		if err := f.SetColStyle(name, letter, text); err != nil {
			return err
		}
		var list []string
		switch c.field {
		case "industry":
			for _, i := range Industries {
				list = append(list, i.Code)
			}
		case "status":
			for _, s := range Statuses {
				list = append(list, StatusLabel(s, lang))
			}
		}
		if list != nil {
			dv := excelize.NewDataValidation(true)
			dv.SetSqref(fmt.Sprintf("%s2:%s%d", letter, letter, MaxImportRows+1))
			if err := dv.SetDropList(list); err != nil {
				return err
			}
			if err := f.AddDataValidation(name, dv); err != nil {
				return err
			}
		}
	}
	if err := f.SetSheetRow(name, "A1", &head); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(col)
	if err := f.SetCellStyle(name, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.Write(w)
}

func sheetName(what, lang string) string {
	names := map[string][2]string{
		"enterprises": {"企业", "Enterprises"},
		"licences":    {"许可证", "Licences"},
		"products":    {"产品", "Products"},
	}
	if isEnglish(lang) {
		return names[what][1]
	}
	return names[what][0]
}

// ExportEnterprises writes every enterprise who may see that matches f (all
// pages) as an .xlsx file with headers in lang; the file imports again
// unchanged.
func ExportEnterprises(ctx context.Context, q store.Queryer, who *auth.User, f Filter, w io.Writer, lang string) error {
	if !canRead(who) {
		return fielderr.ErrForbidden
	}
	var titles []string
	var widths []float64
	for _, c := range enterpriseColumns {
		titles = append(titles, columnTitle(c, lang))
		widths = append(widths, c.width)
	}
	s, err := newSheet(sheetName("enterprises", lang), titles, widths)
	if err != nil {
		return err
	}
	cond, args, none := f.where(who)
	if none {
		cond = "1 = 0"
	}
	rows, err := q.Query(ctx, `SELECT `+enterpriseCols+` FROM enterprises e`+enterpriseJoins+` WHERE `+cond+` ORDER BY `+f.order(),
		customPlan(q, args)...)
	if err != nil {
		s.f.Close()
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			s.f.Close()
			return err
		}
		industry := ""
		if i, ok := IndustryByCode(e.Industry); ok {
			industry = i.Code + " " + i.DisplayName(lang)
		}
		if err := s.row(e.USCC, e.Name, e.RegionCode, e.RegionName, e.LegalRep, e.Address, e.TownshipName, industry,
			e.ContactName, e.ContactPhone, StatusLabel(e.Status, lang), e.DepartmentName, e.USCCOverrideReason); err != nil {
			s.f.Close()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		s.f.Close()
		return err
	}
	return s.finish(w)
}

// ExportLicences writes every licence who may see that matches f (all pages,
// with its state on f.Today) as an .xlsx file with headers in lang.
func ExportLicences(ctx context.Context, q store.Queryer, who *auth.User, f LicenceFilter, w io.Writer, lang string) error {
	if !canRead(who) {
		return fielderr.ErrForbidden
	}
	days, err := ExpiringDays(ctx, q)
	if err != nil {
		return err
	}
	cond, args, today := f.where(who, days)
	titles := [][2]string{{"企业名称", "Enterprise"}, {"统一社会信用代码", "USCC"}, {"许可类型", "Kind"},
		{"许可证编号", "Number"}, {"许可范围", "Scope"}, {"发证机关", "Issuer"}, {"有效期起", "Valid from"},
		{"有效期至", "Valid to"}, {"状态", "State"}, {"剩余天数", "Days left"}, {"吊销原因", "Revocation reason"}}
	s, err := newSheet(sheetName("licences", lang), pickLang(titles, lang), []float64{36, 24, 20, 24, 36, 24, 12, 12, 10, 10, 24})
	if err != nil {
		return err
	}
	rows, err := q.Query(ctx, `SELECT `+licenceCols+`, COALESCE(e.uscc, '')`+licenceFrom+` WHERE `+cond+
		` ORDER BY l.valid_to, l.number, l.id`, args...)
	if err != nil {
		s.f.Close()
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l Licence
		var uscc string
		if err := rows.Scan(&l.ID, &l.RegionCode, &l.EnterpriseID, &l.EnterpriseName, &l.Kind, &l.Number, &l.Scope,
			&l.Issuer, &l.ValidFrom, &l.ValidTo, &l.Revoked, &l.RevokedAt, &l.RevokeReason, &l.CreatedAt, &l.UpdatedAt, &uscc); err != nil {
			s.f.Close()
			return err
		}
		l.computeState(today, days)
		if err := s.row(l.EnterpriseName, uscc, LicenceKindLabel(l.Kind, lang), l.Number, l.Scope, l.Issuer, l.ValidFrom,
			l.ValidTo, LicenceStateLabel(l.State, lang), l.DaysLeft, l.RevokeReason); err != nil {
			s.f.Close()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		s.f.Close()
		return err
	}
	return s.finish(w)
}

// ExportProducts writes every product who may see that matches f (all
// pages) as an .xlsx file with headers in lang.
func ExportProducts(ctx context.Context, q store.Queryer, who *auth.User, f ProductFilter, w io.Writer, lang string) error {
	if !canRead(who) {
		return fielderr.ErrForbidden
	}
	cond, args := f.where(who)
	titles := [][2]string{{"企业名称", "Enterprise"}, {"统一社会信用代码", "USCC"}, {"产品名称", "Product"},
		{"商品条码（GTIN）", "GTIN"}, {"类别", "Category"}, {"重点商品", "Key commodity"}}
	s, err := newSheet(sheetName("products", lang), pickLang(titles, lang), []float64{36, 24, 30, 18, 16, 10})
	if err != nil {
		return err
	}
	rows, err := q.Query(ctx, `SELECT `+productCols+`, COALESCE(e.uscc, '')`+productFrom+` WHERE `+cond+
		` ORDER BY p.search_key, p.id`, customPlan(q, args)...)
	if err != nil {
		s.f.Close()
		return err
	}
	defer rows.Close()
	yes, no := "是", "否"
	if isEnglish(lang) {
		yes, no = "Yes", "No"
	}
	for rows.Next() {
		var p Product
		var uscc string
		if err := rows.Scan(&p.ID, &p.RegionCode, &p.EnterpriseID, &p.EnterpriseName, &p.Name, &p.GTIN, &p.Category,
			&p.KeyCommodity, &p.CreatedAt, &p.UpdatedAt, &uscc); err != nil {
			s.f.Close()
			return err
		}
		key := no
		if p.KeyCommodity {
			key = yes
		}
		if err := s.row(p.EnterpriseName, uscc, p.Name, p.GTIN, p.Category, key); err != nil {
			s.f.Close()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		s.f.Close()
		return err
	}
	return s.finish(w)
}

func pickLang(titles [][2]string, lang string) []string {
	out := make([]string, len(titles))
	for i, t := range titles {
		out[i] = t[0]
		if isEnglish(lang) {
			out[i] = t[1]
		}
	}
	return out
}
