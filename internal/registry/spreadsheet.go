package registry

import (
	"context"
	"database/sql"
	"io"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/sheet"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Import limits.
const (
	MaxImportBytes = 20 << 20 // the uploaded file
	MaxImportRows  = 100_000  // data rows
	importBatch    = 500      // rows per multi-row INSERT
)

var importLimits = func() sheet.Limits {
	l := sheet.DefaultLimits
	l.MaxBytes, l.MaxRows = MaxImportBytes, MaxImportRows
	return l
}()

// enterpriseColumns are the register's spreadsheet columns; the region's
// name is only exported (its code is what an import reads). Every column is
// text in the template, to keep USCCs and phones as typed.
var enterpriseColumns = []sheet.Column{
	{Field: "uscc", ZH: "统一社会信用代码", EN: "USCC", Aliases: []string{"社会信用代码", "信用代码", "unifiedsocialcreditcode", "creditcode"}, Width: 24, Text: true},
	{Field: "name", ZH: "企业名称", EN: "Name", Aliases: []string{"名称", "单位名称", "主体名称", "enterprisename", "companyname", "enterprise"}, Width: 36, Text: true},
	{Field: "region_code", ZH: "行政区划代码", EN: "Region code", Aliases: []string{"区划代码", "regioncode", "region"}, Width: 14, Text: true},
	{ZH: "行政区划", EN: "Region", Width: 14},
	{Field: "legal_rep", ZH: "法定代表人", EN: "Legal representative", Aliases: []string{"法定代表人负责人", "负责人", "法人", "经营者", "legalrep"}, Width: 14, Text: true},
	{Field: "address", ZH: "地址", EN: "Address", Aliases: []string{"住所", "经营场所", "注册地址", "住所经营场所"}, Width: 36, Text: true},
	{Field: "township", ZH: "乡镇（苏木、街道）", EN: "Township", Aliases: []string{"乡镇", "苏木", "街道", "乡镇街道", "乡镇苏木", "town"}, Width: 16, Text: true},
	{Field: "industry", ZH: "行业门类", EN: "Industry", Aliases: []string{"行业", "所属行业", "industrysection"}, Width: 22, Text: true},
	{Field: "contact_name", ZH: "联系人", EN: "Contact", Aliases: []string{"contactname"}, Width: 12, Text: true},
	{Field: "contact_phone", ZH: "联系电话", EN: "Phone", Aliases: []string{"电话", "手机", "手机号码", "联系方式", "contactphone", "telephone"}, Width: 16, Text: true},
	{Field: "status", ZH: "状态", EN: "Status", Aliases: []string{"经营状态", "登记状态"}, Width: 10, Text: true},
	{Field: "department", ZH: "主管部门", EN: "Supervising department", Aliases: []string{"监管部门", "主管单位", "department"}, Width: 20, Text: true},
	{Field: "uscc_override_reason", ZH: "校验码例外原因", EN: "USCC override reason", Aliases: []string{"例外原因", "overridereason"}, Width: 24, Text: true},
	{Field: "gln", ZH: "全球位置码（GLN）", EN: "GLN", Aliases: []string{"全球位置码", "位置码", "globallocationnumber"}, Width: 16, Text: true},
}

// RowError is one bad cell of an import: the row as the spreadsheet numbers
// it, the column's header as the file has it, and the rule it breaks.
type RowError = sheet.RowError

// ImportReport says what an import did: how many data rows it read, how
// many enterprises it added, and every bad cell when it added none.
type ImportReport struct {
	Rows     int        `json:"rows"`
	Inserted int        `json:"inserted"`
	Errors   []RowError `json:"errors"`
}

func (r *ImportReport) fail(e RowError) { r.Errors = append(r.Errors, e) }

// err turns the report's errors, in row order, into a fielderr.List
// ("row 7 / 统一社会信用代码").
func (r *ImportReport) err() error { return sheet.Errors(r.Errors).Err() }

// importRow is one data row on its way in.
type importRow struct {
	sheet.Row
	ent Enterprise
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
	tab, ferr, err := sheet.Read(r, size, enterpriseColumns, []string{"uscc", "name"}, importLimits)
	if err != nil {
		return rep, err
	}
	if ferr != nil {
		rep.fail(*ferr)
		return rep, rep.err()
	}
	rep.Rows = len(tab.Rows)
	data := make([]importRow, len(tab.Rows))
	for i, row := range tab.Rows {
		data[i] = importRow{Row: row}
	}
	title := func(field string) string { return tab.Title(field, lang) }

	// Check every row, as CreateEnterprise would.
	lk := newLookup(db)
	first := map[string]int{}    // region + USCC → first row with it
	firstGLN := map[string]int{} // GLN → first row with it
	for i := range data {
		row := &data[i]
		in := EnterpriseInput{
			USCC: row.Cells["uscc"], USCCOverrideReason: row.Cells["uscc_override_reason"], Name: row.Cells["name"],
			RegionCode: row.Cells["region_code"], LegalRep: row.Cells["legal_rep"], Address: row.Cells["address"],
			Township: row.Cells["township"], Industry: row.Cells["industry"], ContactName: row.Cells["contact_name"],
			ContactPhone: row.Cells["contact_phone"], Status: row.Cells["status"], GLN: row.Cells["gln"],
		}
		var deptErr bool
		if d := clean(row.Cells["department"]); d != "" {
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
			rep.fail(RowError{Row: row.N, Column: title(field), Field: field, Rule: fe.Rule, Value: row.Cells[field], Params: fe.Params})
		}
		if !errs.Has("uscc") && !errs.Has("region_code") {
			key := e.RegionCode + "/" + e.USCC
			if prev, dup := first[key]; dup {
				rep.fail(RowError{Row: row.N, Column: title("uscc"), Field: "uscc", Rule: "rule.uscc.duplicate_in_file",
					Value: row.Cells["uscc"], Params: map[string]any{"row": prev}})
			} else {
				first[key] = row.N
			}
		}
		if e.GLN != "" {
			if prev, dup := firstGLN[e.GLN]; dup {
				rep.fail(RowError{Row: row.N, Column: title("gln"), Field: "gln", Rule: "rule.gln.duplicate_in_file",
					Value: row.Cells["gln"], Params: map[string]any{"row": prev}})
			} else {
				firstGLN[e.GLN] = row.N
			}
		}
		row.ent = e
	}
	// checkTaken adds the rows whose USCC the register holds, and returns
	// the report's errors.
	checkTaken := func(q store.Queryer) error {
		taken, err := registeredUSCCs(ctx, q, data)
		if err != nil {
			return err
		}
		glns := make([]string, 0, len(firstGLN))
		for g := range firstGLN {
			glns = append(glns, g)
		}
		glnTaken, err := registeredGLNs(ctx, q, glns)
		if err != nil {
			return err
		}
		for _, row := range data {
			if taken[row.ent.RegionCode+"/"+row.ent.USCC] {
				rep.fail(RowError{Row: row.N, Column: title("uscc"), Field: "uscc", Rule: "rule.uscc.taken", Value: row.Cells["uscc"]})
			}
			if glnTaken[row.ent.GLN] {
				rep.fail(RowError{Row: row.N, Column: title("gln"), Field: "gln", Rule: "rule.gln.taken", Value: row.Cells["gln"]})
			}
		}
		return rep.err()
	}
	if err := checkTaken(db); err != nil {
		return rep, err
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
		if err := checkTaken(tx); err != nil {
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

// registeredUSCCs returns which of the rows' region/USCC pairs the register
// already holds, asking in batches.
// registeredGLNs returns which of glns the register holds.
func registeredGLNs(ctx context.Context, q store.Queryer, glns []string) (map[string]bool, error) {
	out := map[string]bool{}
	for i := 0; i < len(glns); i += 500 {
		part := glns[i:min(i+500, len(glns))]
		found, err := store.Column[string](ctx, q, `SELECT gln FROM enterprises WHERE gln IN (`+strings.Repeat(",?", len(part))[1:]+`)`,
			store.Args(part)...)
		if err != nil {
			return nil, err
		}
		for _, g := range found {
			out[g] = true
		}
	}
	return out, nil
}

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

// EnterpriseTemplate writes an empty import template: the header row in lang
// and drop-down lists for the industry and status columns.
func EnterpriseTemplate(w io.Writer, lang string) error {
	var industries, statuses []string
	for _, i := range Industries {
		industries = append(industries, i.Code)
	}
	for _, s := range Statuses {
		statuses = append(statuses, StatusLabel(s, lang))
	}
	return sheet.Template(w, sheetNames.of("enterprises", lang), enterpriseColumns, lang,
		map[string][]string{"industry": industries, "status": statuses}, MaxImportRows)
}

// sheetNames name the sheets of the exports and the template.
var sheetNames = labels{
	"enterprises": {"企业", "Enterprises"},
	"licences":    {"许可证", "Licences"},
	"products":    {"产品", "Products"},
}

// exportQuery writes the result rows of query as a one-sheet .xlsx file (the
// sheet named for what), with cols' titles in lang; line turns a result row
// into the cells of a sheet row.
func exportQuery(ctx context.Context, q store.Queryer, w io.Writer, what, lang string, cols []sheet.Column,
	query string, args []any, line func(*sql.Rows) ([]any, error)) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return sheet.Export(w, sheetNames.of(what, lang), cols, lang, func() ([]any, bool, error) {
		if !rows.Next() {
			return nil, false, rows.Err()
		}
		cells, err := line(rows)
		return cells, err == nil, err
	})
}

// ExportEnterprises writes every enterprise who may see that matches f (all
// pages) as an .xlsx file with headers in lang; the file imports again
// unchanged.
func ExportEnterprises(ctx context.Context, q store.Queryer, who *auth.User, f Filter, w io.Writer, lang string) error {
	if !canRead(who) {
		return fielderr.ErrForbidden
	}
	cond, args, none := f.where(who)
	if none {
		cond = "1 = 0"
	}
	return exportQuery(ctx, q, w, "enterprises", lang, enterpriseColumns,
		`SELECT `+enterpriseCols+` FROM enterprises e`+enterpriseJoins+` WHERE `+cond+` ORDER BY `+f.order(), customPlan(q, args),
		func(rows *sql.Rows) ([]any, error) {
			e, err := scanEnterprise(rows)
			if err != nil {
				return nil, err
			}
			industry := ""
			if i, ok := IndustryByCode(e.Industry); ok {
				industry = i.Code + " " + i.DisplayName(lang)
			}
			return []any{e.USCC, e.Name, e.RegionCode, e.RegionName, e.LegalRep, e.Address, e.TownshipName, industry,
				e.ContactName, e.ContactPhone, StatusLabel(e.Status, lang), e.DepartmentName, e.USCCOverrideReason, e.GLN}, nil
		})
}

var licenceExportColumns = []sheet.Column{
	{ZH: "企业名称", EN: "Enterprise", Width: 36}, {ZH: "统一社会信用代码", EN: "USCC", Width: 24},
	{ZH: "许可类型", EN: "Kind", Width: 20}, {ZH: "许可证编号", EN: "Number", Width: 24},
	{ZH: "许可范围", EN: "Scope", Width: 36}, {ZH: "发证机关", EN: "Issuer", Width: 24},
	{ZH: "有效期起", EN: "Valid from", Width: 12}, {ZH: "有效期至", EN: "Valid to", Width: 12},
	{ZH: "状态", EN: "State", Width: 10}, {ZH: "剩余天数", EN: "Days left", Width: 10},
	{ZH: "吊销原因", EN: "Revocation reason", Width: 24},
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
	return exportQuery(ctx, q, w, "licences", lang, licenceExportColumns,
		`SELECT `+licenceCols+`, COALESCE(e.uscc, '')`+licenceFrom+` WHERE `+cond+` ORDER BY l.valid_to, l.number, l.id`, args,
		func(rows *sql.Rows) ([]any, error) {
			var l Licence
			var uscc string
			if err := rows.Scan(&l.ID, &l.RegionCode, &l.EnterpriseID, &l.EnterpriseName, &l.Kind, &l.Number, &l.Scope,
				&l.Issuer, &l.ValidFrom, &l.ValidTo, &l.Revoked, &l.RevokedAt, &l.RevokeReason, &l.CreatedAt, &l.UpdatedAt, &uscc); err != nil {
				return nil, err
			}
			l.computeState(today, days)
			return []any{l.EnterpriseName, uscc, LicenceKindLabel(l.Kind, lang), l.Number, l.Scope, l.Issuer, l.ValidFrom,
				l.ValidTo, LicenceStateLabel(l.State, lang), l.DaysLeft, l.RevokeReason}, nil
		})
}

var productExportColumns = []sheet.Column{
	{ZH: "企业名称", EN: "Enterprise", Width: 36}, {ZH: "统一社会信用代码", EN: "USCC", Width: 24},
	{ZH: "产品名称", EN: "Product", Width: 30}, {ZH: "商品条码（GTIN）", EN: "GTIN", Width: 18},
	{ZH: "类别", EN: "Category", Width: 16}, {ZH: "重点商品", EN: "Key commodity", Width: 10},
}

// ExportProducts writes every product who may see that matches f (all
// pages) as an .xlsx file with headers in lang.
func ExportProducts(ctx context.Context, q store.Queryer, who *auth.User, f ProductFilter, w io.Writer, lang string) error {
	if !canRead(who) {
		return fielderr.ErrForbidden
	}
	cond, args := f.where(who)
	yes, no := "是", "否"
	if isEnglish(lang) {
		yes, no = "Yes", "No"
	}
	return exportQuery(ctx, q, w, "products", lang, productExportColumns,
		`SELECT `+productCols+`, COALESCE(e.uscc, '')`+productFrom+` WHERE `+cond+` ORDER BY p.search_key, p.id`, customPlan(q, args),
		func(rows *sql.Rows) ([]any, error) {
			var p Product
			var uscc string
			if err := rows.Scan(&p.ID, &p.RegionCode, &p.EnterpriseID, &p.EnterpriseName, &p.Name, &p.GTIN, &p.Category,
				&p.KeyCommodity, &p.CreatedAt, &p.UpdatedAt, &uscc); err != nil {
				return nil, err
			}
			key := no
			if p.KeyCommodity {
				key = yes
			}
			return []any{p.EnterpriseName, uscc, p.Name, p.GTIN, p.Category, key}, nil
		})
}
