package registry

import (
	"context"
	"strings"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Product is a product an enterprise makes or sells. GTIN is stored with the
// digits as entered (8, 12, 13 or 14 of them); KeyCommodity marks the
// products under key-commodity filing (重点商品备案).
type Product struct {
	ID             string `json:"id"`
	RegionCode     string `json:"region_code"`
	EnterpriseID   string `json:"enterprise_id"`
	EnterpriseName string `json:"enterprise_name,omitempty"`
	Name           string `json:"name"`
	GTIN           string `json:"gtin"`
	Category       string `json:"category"`
	KeyCommodity   bool   `json:"key_commodity"`
	CreatedAt      int64  `json:"created_at"`
	UpdatedAt      int64  `json:"updated_at"`
}

func (p Product) stored() Product {
	p.EnterpriseName = ""
	return p
}

// ProductInput creates a product. EnterpriseID defaults to an enterprise
// user's own.
type ProductInput struct {
	EnterpriseID string `json:"enterprise_id"`
	Name         string `json:"name"`
	GTIN         string `json:"gtin"`
	Category     string `json:"category"`
	KeyCommodity bool   `json:"key_commodity"`
}

// ProductPatch changes the fields that are not nil.
type ProductPatch struct {
	Name         *string `json:"name,omitempty"`
	GTIN         *string `json:"gtin,omitempty"`
	Category     *string `json:"category,omitempty"`
	KeyCommodity *bool   `json:"key_commodity,omitempty"`
}

// ProductFilter selects products. Q matches the name (as enterprise names
// are matched) or the start of the GTIN.
type ProductFilter struct {
	EnterpriseID string `json:"enterprise_id"`
	Q            string `json:"q"`
	Category     string `json:"category"`
	KeyCommodity *bool  `json:"key_commodity,omitempty"`
	Limit        int    `json:"limit"`
	Offset       int    `json:"offset"`
}

// gtinForms lists the ways one GTIN can be written (with and without the
// leading zeros of its 14-digit form), so a product entered as a GTIN-13 is
// found again when the same GTIN comes as 14 digits.
func gtinForms(g string) []any {
	g14 := codes.GTIN14(g)
	var out []any
	for _, n := range []int{14, 13, 12, 8} {
		if strings.Trim(g14[:14-n], "0") == "" {
			out = append(out, g14[14-n:])
		}
	}
	return out
}

func validateProduct(errs *fielderr.List, p *Product) {
	p.Name, p.Category = clean(p.Name), clean(p.Category)
	fielderr.CheckText(errs, "name", p.Name, true, 200)
	fielderr.CheckText(errs, "category", p.Category, false, 100)
	p.GTIN = strings.Join(strings.Fields(width.Fold.String(p.GTIN)), "")
	if p.GTIN != "" {
		if err := codes.CheckGTIN(p.GTIN); err != nil {
			errs.Add("gtin", err.Error())
		}
	}
}

func gtinTaken(ctx context.Context, q store.Queryer, p *Product) (bool, error) {
	if p.GTIN == "" {
		return false, nil
	}
	forms := gtinForms(p.GTIN)
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM products WHERE region_code = ? AND id <> ? AND gtin IN (`+
		strings.Repeat(",?", len(forms))[1:]+`)`, append([]any{p.RegionCode, p.ID}, forms...)...).Scan(&n)
	return n > 0, err
}

const productCols = `p.id, p.region_code, p.enterprise_id, COALESCE(e.name, ''), p.name, p.gtin, p.category,
	p.key_commodity, p.created_at, p.updated_at`

const productFrom = ` FROM products p LEFT JOIN enterprises e ON e.id = p.enterprise_id`

func scanProduct(row interface{ Scan(...any) error }) (*Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.RegionCode, &p.EnterpriseID, &p.EnterpriseName, &p.Name, &p.GTIN, &p.Category,
		&p.KeyCommodity, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func productEvent(p *Product) map[string]any {
	return map[string]any{"id": p.ID, "region_code": p.RegionCode, "enterprise_id": p.EnterpriseID,
		"name": p.Name, "gtin": p.GTIN, "key_commodity": p.KeyCommodity}
}

// CreateProduct records a product of an enterprise. Officers and the office
// may for any enterprise of their region, an enterprise user for its own. A
// GTIN already recorded in the region is refused (rule.product.gtin_taken).
func CreateProduct(ctx context.Context, db *store.DB, who *auth.User, in ProductInput) (*Product, error) {
	if !canKeep(who) {
		return nil, fielderr.ErrForbidden
	}
	if in.EnterpriseID == "" && isEnterpriseUser(who) {
		in.EnterpriseID = who.EnterpriseID
	}
	var id string
	err := db.Tx(ctx, func(tx *store.Tx) error {
		ent, err := writableEnterprise(ctx, tx, who, in.EnterpriseID)
		if err != nil {
			return err
		}
		now := store.Now()
		p := Product{ID: store.NewID(), RegionCode: ent.RegionCode, EnterpriseID: ent.ID, Name: in.Name, GTIN: in.GTIN,
			Category: in.Category, KeyCommodity: in.KeyCommodity, CreatedAt: now, UpdatedAt: now}
		var errs fielderr.List
		validateProduct(&errs, &p)
		if !errs.Has("gtin") {
			taken, err := gtinTaken(ctx, tx, &p)
			if err != nil {
				return err
			}
			if taken {
				errs.Add("gtin", "rule.product.gtin_taken")
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO products (id, region_code, enterprise_id, name, search_key, gtin, category,
			key_commodity, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.RegionCode, p.EnterpriseID, p.Name, SearchKey(p.Name), p.GTIN, p.Category, p.KeyCommodity,
			p.CreatedAt, p.UpdatedAt); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "product", EntityID: p.ID,
			RegionCode: p.RegionCode, After: p}); err != nil {
			return err
		}
		id = p.ID
		return jobs.Emit(ctx, tx, "product.created", productEvent(&p))
	})
	if err != nil {
		return nil, err
	}
	return GetProduct(ctx, db, who, id)
}

func getProduct(ctx context.Context, q store.Queryer, id, lock string) (*Product, error) {
	return getRow(ctx, q, `SELECT `+productCols+productFrom+` WHERE p.id = ?`, "p", id, lock, scanProduct)
}

// GetProduct returns a product who may see.
func GetProduct(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Product, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	p, err := getProduct(ctx, q, id, "")
	if err != nil {
		return nil, err
	}
	if !canSeeOwned(who, p.RegionCode, p.EnterpriseID) {
		return nil, fielderr.ErrNotFound
	}
	return p, nil
}

// UpdateProduct changes the fields given in patch.
func UpdateProduct(ctx context.Context, db *store.DB, who *auth.User, id string, patch ProductPatch) (*Product, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := getProduct(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if !canSeeOwned(who, before.RegionCode, before.EnterpriseID) {
			return fielderr.ErrNotFound
		}
		if !canKeep(who) {
			return fielderr.ErrForbidden
		}
		p := *before
		if patch.Name != nil {
			p.Name = *patch.Name
		}
		if patch.GTIN != nil {
			p.GTIN = *patch.GTIN
		}
		if patch.Category != nil {
			p.Category = *patch.Category
		}
		if patch.KeyCommodity != nil {
			p.KeyCommodity = *patch.KeyCommodity
		}
		var errs fielderr.List
		validateProduct(&errs, &p)
		if !errs.Has("gtin") && p.GTIN != before.GTIN {
			taken, err := gtinTaken(ctx, tx, &p)
			if err != nil {
				return err
			}
			if taken {
				errs.Add("gtin", "rule.product.gtin_taken")
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if p.stored() == before.stored() {
			return nil
		}
		p.UpdatedAt = store.Now()
		if _, err := tx.Exec(ctx, `UPDATE products SET name = ?, search_key = ?, gtin = ?, category = ?, key_commodity = ?,
			updated_at = ? WHERE id = ?`, p.Name, SearchKey(p.Name), p.GTIN, p.Category, p.KeyCommodity, p.UpdatedAt, p.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "product", EntityID: p.ID,
			RegionCode: p.RegionCode, Before: before.stored(), After: p.stored()}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "product.updated", productEvent(&p))
	})
	if err != nil {
		return nil, err
	}
	return GetProduct(ctx, db, who, id)
}

func (f ProductFilter) where(who *auth.User) (string, []any) {
	var parts []string
	var args []any
	add := func(c string, a ...any) { parts = append(parts, c); args = append(args, a...) }
	if isEnterpriseUser(who) {
		add("p.enterprise_id = ?", who.EnterpriseID)
	} else {
		c, a := RegionScopeSQL("p.region_code", who.RegionCode)
		add(c, a...)
	}
	if f.EnterpriseID != "" {
		add("p.enterprise_id = ?", f.EnterpriseID)
	}
	if f.Category != "" {
		add("p.category = ?", clean(f.Category))
	}
	if f.KeyCommodity != nil {
		add("p.key_commodity = ?", *f.KeyCommodity)
	}
	if pat := searchPattern(f.Q); pat != "" {
		digits := strings.Join(strings.Fields(width.Fold.String(f.Q)), "")
		if strings.Trim(digits, "0123456789") == "" {
			add(`(p.search_key LIKE ? ESCAPE '\' OR p.gtin LIKE ?)`, pat, digits+"%")
		} else {
			add(`p.search_key LIKE ? ESCAPE '\'`, pat)
		}
	}
	return strings.Join(parts, " AND "), args
}

// ListProducts returns a page of the products who may see that match f, by
// name, and how many match in all.
func ListProducts(ctx context.Context, q store.Queryer, who *auth.User, f ProductFilter) ([]Product, int, error) {
	if !canRead(who) {
		return nil, 0, fielderr.ErrForbidden
	}
	cond, args := f.where(who)
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM products p WHERE `+cond, customPlan(q, args)...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := q.Query(ctx, `SELECT `+productCols+productFrom+` WHERE `+cond+` ORDER BY p.search_key, p.id LIMIT ? OFFSET ?`,
		customPlan(q, append(args, pageLimit(f.Limit), max(f.Offset, 0)))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Product{}
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *p)
	}
	return out, total, rows.Err()
}
