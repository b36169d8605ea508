package ledger

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Limits on list pages.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

const entryCols = `l.id, l.kind, l.region_code, l.enterprise_id, COALESCE(e.name, ''), COALESCE(e.uscc, ''), l.party_uscc,
	l.party_name, l.party_address, l.party_contact, l.party_enterprise_id, l.party_id, l.product_name, l.gtin, l.spec,
	l.product_code, l.lot, l.lot_id, l.quantity, l.unit, l.production_date, l.shelf_life, l.shelf_life_unit, l.expiry_date,
	l.event_date, l.licence_no, l.test_report_no, l.cert_no, l.invoice_no, l.note, l.retain_until, l.event_id,
	l.capture_id, COALESCE(l.captured_at, 0), l.created_by, l.created_at`

const entryFrom = ` FROM ledger_entries l LEFT JOIN enterprises e ON e.id = l.enterprise_id`

func scanEntry(row interface{ Scan(...any) error }) (*Entry, error) {
	var e Entry
	err := row.Scan(&e.ID, &e.Kind, &e.RegionCode, &e.EnterpriseID, &e.EnterpriseName, &e.EnterpriseUSCC, &e.PartyUSCC,
		&e.PartyName, &e.PartyAddress, &e.PartyContact, &e.PartyEnterpriseID, &e.PartyID, &e.ProductName, &e.GTIN, &e.Spec,
		&e.ProductCode, &e.Lot, &e.LotID, &e.Quantity, &e.Unit, &e.ProductionDate, &e.ShelfLife, &e.ShelfLifeUnit, &e.ExpiryDate,
		&e.Date, &e.LicenceNo, &e.TestReportNo, &e.CertNo, &e.InvoiceNo, &e.Note, &e.RetainUntil, &e.EventID,
		&e.CaptureID, &e.CapturedAt, &e.CreatedBy, &e.CreatedAt)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// canSee reports whether who may see an entry of the enterprise in region.
func canSee(who *auth.User, region, enterpriseID string) bool {
	switch {
	case isEnterpriseUser(who):
		return enterpriseID == who.EnterpriseID
	case isStaff(who):
		return registry.RegionCovers(who.RegionCode, region)
	}
	return false
}

// Get returns an entry who may see, with its files; any other is
// fielderr.ErrNotFound.
func Get(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Entry, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	e, err := scanEntry(q.QueryRow(ctx, `SELECT `+entryCols+entryFrom+` WHERE l.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fielderr.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !canSee(who, e.RegionCode, e.EnterpriseID) {
		return nil, fielderr.ErrNotFound
	}
	rows, err := q.Query(ctx, `SELECT hash, name, size, mime FROM ledger_files WHERE entry_id = ? ORDER BY name, hash`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	e.Files = []blob.File{}
	for rows.Next() {
		var f blob.File
		if err := rows.Scan(&f.Hash, &f.Name, &f.Size, &f.Mime); err != nil {
			return nil, err
		}
		e.Files = append(e.Files, f)
	}
	return e, rows.Err()
}

// Filter selects entries of one kind. Q is found in the product's, the
// party's or the lot's name, or equals a GTIN or USCC; From and To bound the entry's date
// (YYYY-MM-DD, both included); EnterpriseID narrows an officer's list to
// one enterprise; LotID to one lot.
type Filter struct {
	Kind         string
	EnterpriseID string
	Q            string
	From, To     string
	LotID        string
	Limit        int
	Offset       int
}

// where builds the list's condition: the kind, who may see what, and the
// filters. A malformed date is a field error.
func (f Filter) where(who *auth.User) (string, []any, error) {
	conds := []string{"l.kind = ?"}
	args := []any{f.Kind}
	switch {
	case isEnterpriseUser(who):
		conds = append(conds, "l.enterprise_id = ?")
		args = append(args, who.EnterpriseID)
	case isStaff(who):
		c, a := registry.RegionScopeSQL("l.region_code", who.RegionCode)
		conds = append(conds, c)
		args = append(args, a...)
	default:
		return "", nil, fielderr.ErrForbidden
	}
	if f.EnterpriseID != "" {
		conds = append(conds, "l.enterprise_id = ?")
		args = append(args, f.EnterpriseID)
	}
	if f.LotID != "" {
		conds = append(conds, "l.lot_id = ?")
		args = append(args, f.LotID)
	}
	var errs fielderr.List
	for _, d := range []struct{ field, v, op string }{{"from", f.From, ">="}, {"to", f.To, "<="}} {
		if d.v == "" {
			continue
		}
		if _, ok := parseDate(d.v); !ok {
			errs.Add(d.field, "rule.date.format")
			continue
		}
		conds = append(conds, "l.event_date "+d.op+" ?")
		args = append(args, d.v)
	}
	if err := errs.Err(); err != nil {
		return "", nil, err
	}
	if q := clean(f.Q); q != "" {
		like := likeContains(q)
		conds = append(conds, `(l.product_name LIKE ? ESCAPE '\' OR l.party_name LIKE ? ESCAPE '\' OR l.lot LIKE ? ESCAPE '\'
			OR l.gtin = ? OR l.party_uscc = ?)`)
		args = append(args, like, like, like, code(q), code(q))
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// likeContains is a LIKE pattern matching text that holds s anywhere:
// short Chinese product names are searched inside longer ones.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// List returns the entries who may see that match f, newest date first, and
// how many match in all.
func List(ctx context.Context, q store.Queryer, who *auth.User, f Filter) ([]Entry, int, error) {
	if !canRead(who) {
		return nil, 0, fielderr.ErrForbidden
	}
	where, args, err := f.where(who)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_entries l`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	rows, err := q.Query(ctx, `SELECT `+entryCols+entryFrom+where+` ORDER BY l.event_date DESC, l.created_at DESC, l.id DESC
		LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *e)
	}
	return out, total, rows.Err()
}
