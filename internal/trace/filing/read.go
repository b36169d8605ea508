package filing

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/sheet"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
)

// Limits on list pages.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

const filingCols = `f.id, f.region_code, f.enterprise_id, COALESCE(e.name, ''), f.product_name, f.category, f.category_note,
	f.gtin, f.product_code, f.spec, f.manufacturer, f.licence_no, f.supplier_name, f.supplier_uscc, f.documents, f.status,
	f.return_reason, f.version, f.submitted_at, COALESCE(f.reviewed_at, 0), f.reviewed_by, f.created_by, f.created_at,
	f.updated_at`

const filingFrom = ` FROM filings f LEFT JOIN enterprises e ON e.id = f.enterprise_id`

func scanFiling(row interface{ Scan(...any) error }) (*Filing, error) {
	var f Filing
	err := row.Scan(&f.ID, &f.RegionCode, &f.EnterpriseID, &f.EnterpriseName, &f.ProductName, &f.Category, &f.CategoryNote,
		&f.GTIN, &f.ProductCode, &f.Spec, &f.Manufacturer, &f.LicenceNo, &f.SupplierName, &f.SupplierUSCC, &f.Documents,
		&f.Status, &f.ReturnReason, &f.Version, &f.SubmittedAt, &f.ReviewedAt, &f.ReviewedBy, &f.CreatedBy, &f.CreatedAt,
		&f.UpdatedAt)
	if err != nil {
		return nil, err
	}
	f.Lots, f.Files = []Lot{}, []blob.File{}
	return &f, nil
}

// get reads a filing without its parts; lock is tx.ForUpdate() or "".
func get(ctx context.Context, q store.Queryer, id, lock string) (*Filing, error) {
	query := `SELECT ` + filingCols + filingFrom + ` WHERE f.id = ?`
	if lock != "" {
		query += " FOR UPDATE OF f"
	}
	f, err := scanFiling(q.QueryRow(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fielderr.ErrNotFound
	}
	return f, err
}

// loadParts reads a filing's lots, files and history.
func loadParts(ctx context.Context, q store.Queryer, f *Filing) error {
	rows, err := q.Query(ctx, `SELECT lot, quantity, unit FROM filing_lots WHERE filing_id = ? ORDER BY position`, f.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var l Lot
		if err := rows.Scan(&l.Lot, &l.Quantity, &l.Unit); err != nil {
			rows.Close()
			return err
		}
		f.Lots = append(f.Lots, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT hash, name, size, mime FROM filing_files WHERE filing_id = ? ORDER BY name, hash`, f.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var b blob.File
		if err := rows.Scan(&b.Hash, &b.Name, &b.Size, &b.Mime); err != nil {
			rows.Close()
			return err
		}
		f.Files = append(f.Files, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT at, version, actor_id, actor_name, from_status, to_status, reason FROM filing_history
		WHERE filing_id = ? ORDER BY at, id`, f.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	f.History = []Change{}
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.At, &c.Version, &c.ActorID, &c.ActorName, &c.From, &c.To, &c.Reason); err != nil {
			return err
		}
		f.History = append(f.History, c)
	}
	return rows.Err()
}

// Get returns a filing who may see, with its lots, files and history; any
// other is fielderr.ErrNotFound.
func Get(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Filing, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	f, err := get(ctx, q, id, "")
	if err != nil {
		return nil, err
	}
	if !canSee(who, f.RegionCode, f.EnterpriseID) {
		return nil, fielderr.ErrNotFound
	}
	return f, loadParts(ctx, q, f)
}

// CanReview reports whether who may review filings (of its region).
func CanReview(who *auth.User) bool { return who.Can(auth.PermRecallWrite) && isStaff(who) }

// CanEdit reports whether who may edit and resubmit f.
func CanEdit(who *auth.User, f *Filing) bool {
	return f.Status == StatusReturned && canFile(who) && canSee(who, f.RegionCode, f.EnterpriseID)
}

// Filter selects filings. Q matches the product, the enterprise or the
// manufacturer, or is a GTIN.
type Filter struct {
	Status       string
	Category     string
	EnterpriseID string
	Q            string
	Limit        int
	Offset       int
}

func (fl Filter) where(who *auth.User) (string, []any, error) {
	var conds []string
	var args []any
	switch {
	case isEnterpriseUser(who):
		conds = append(conds, "f.enterprise_id = ?")
		args = append(args, who.EnterpriseID)
	case isStaff(who):
		c, a := registry.RegionScopeSQL("f.region_code", who.RegionCode)
		conds = append(conds, c)
		args = append(args, a...)
	default:
		return "", nil, fielderr.ErrForbidden
	}
	for _, c := range []struct{ col, v string }{{"f.status", fl.Status}, {"f.category", fl.Category}, {"f.enterprise_id", fl.EnterpriseID}} {
		if c.v != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if q := clean(fl.Q); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
		conds = append(conds, `(f.product_name LIKE ? ESCAPE '\' OR e.name LIKE ? ESCAPE '\' OR f.manufacturer LIKE ? ESCAPE '\' OR f.gtin = ?)`)
		args = append(args, like, like, like, code(q))
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// List returns the filings who may see that match fl, the latest
// submission first, and how many match in all. Lots, files and history are
// left out (Get has them).
func List(ctx context.Context, q store.Queryer, who *auth.User, fl Filter) ([]Filing, int, error) {
	if !canRead(who) {
		return nil, 0, fielderr.ErrForbidden
	}
	where, args, err := fl.where(who)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*)`+filingFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := fl.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	rows, err := q.Query(ctx, `SELECT `+filingCols+filingFrom+where+` ORDER BY f.submitted_at DESC, f.id DESC LIMIT ? OFFSET ?`,
		append(args, min(limit, MaxLimit), max(fl.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Filing{}
	for rows.Next() {
		f, err := scanFiling(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *f)
	}
	return out, total, rows.Err()
}

// exportColumns are the filings list's spreadsheet columns.
var exportColumns = []sheet.Column{
	{ZH: "企业名称", EN: "Enterprise", Width: 30},
	{ZH: "产品名称", EN: "Product", Width: 24},
	{ZH: "类别", EN: "Category", Width: 16},
	{ZH: "商品条码", EN: "GTIN", Width: 16},
	{ZH: "产品编码", EN: "Product code", Width: 16},
	{ZH: "规格", EN: "Specification", Width: 12},
	{ZH: "生产企业", EN: "Manufacturer", Width: 28},
	{ZH: "许可证编号", EN: "Licence number", Width: 20},
	{ZH: "供货者", EN: "Supplier", Width: 28},
	{ZH: "批次及数量", EN: "Lots and quantities", Width: 30},
	{ZH: "状态", EN: "Status", Width: 10},
	{ZH: "退回原因", EN: "Return reason", Width: 28},
	{ZH: "提交时间", EN: "Submitted", Width: 18},
}

// Export writes the filings who may see that fl selects (all pages) as an
// .xlsx file; label names a category or state in lang (the catalogs hold
// them, which this package does not read).
func Export(ctx context.Context, q store.Queryer, who *auth.User, fl Filter, w io.Writer, lang string, label func(key string) string) error {
	if !canRead(who) {
		return fielderr.ErrForbidden
	}
	fl.Limit = MaxLimit
	next := sheet.Paged(MaxLimit, func(offset int) ([]Filing, error) {
		fl.Offset = offset
		batch, _, err := List(ctx, q, who, fl)
		return batch, err
	}, func(f Filing) ([]any, error) {
		if err := loadParts(ctx, q, &f); err != nil {
			return nil, err
		}
		var lots []string
		for _, l := range f.Lots {
			lots = append(lots, l.Lot+" "+l.QuantityText()+ledger.UnitLabel(l.Unit, lang))
		}
		cat := label("filing.category." + f.Category)
		if f.CategoryNote != "" {
			cat += "（" + f.CategoryNote + "）"
		}
		return []any{f.EnterpriseName, f.ProductName, cat, f.GTIN, f.ProductCode, f.Spec, f.Manufacturer, f.LicenceNo,
			f.SupplierName, strings.Join(lots, "；"), label("filing.status." + f.Status), f.ReturnReason,
			store.Time(f.SubmittedAt).In(shanghai).Format("2006-01-02 15:04")}, nil
	})
	name := "重点商品备案"
	if sheet.English(lang) {
		name = "Key-commodity filings"
	}
	return sheet.Export(w, name, exportColumns, lang, next)
}
