package registry

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Department is a member department of the leading group (or the office
// itself). Remit lists the GB/T 4754 sections whose enterprises it
// supervises.
type Department struct {
	ID         string   `json:"id"`
	RegionCode string   `json:"region_code"`
	Name       string   `json:"name"`
	ShortName  string   `json:"short_name"`
	NameEn     string   `json:"name_en"`
	IsOffice   bool     `json:"is_office"`
	Remit      []string `json:"remit"`
	CreatedAt  int64    `json:"created_at"`
	UpdatedAt  int64    `json:"updated_at"`
}

// DisplayName is the department's name in lang.
func (d Department) DisplayName(lang string) string {
	if isEnglish(lang) && d.NameEn != "" {
		return d.NameEn
	}
	return d.Name
}

// Supervises reports whether section is in the department's remit.
func (d Department) Supervises(section string) bool {
	for _, s := range d.Remit {
		if s == section {
			return true
		}
	}
	return false
}

// DepartmentInput creates a department. RegionCode defaults to the creator's.
type DepartmentInput struct {
	RegionCode string   `json:"region_code"`
	Name       string   `json:"name"`
	ShortName  string   `json:"short_name"`
	NameEn     string   `json:"name_en"`
	IsOffice   bool     `json:"is_office"`
	Remit      []string `json:"remit"`
}

// DepartmentPatch changes the fields that are not nil.
type DepartmentPatch struct {
	Name      *string   `json:"name,omitempty"`
	ShortName *string   `json:"short_name,omitempty"`
	NameEn    *string   `json:"name_en,omitempty"`
	IsOffice  *bool     `json:"is_office,omitempty"`
	Remit     *[]string `json:"remit,omitempty"`
}

const departmentCols = `id, region_code, name, short_name, name_en, is_office, remit, created_at, updated_at`

func scanDepartment(row interface{ Scan(...any) error }) (*Department, error) {
	var d Department
	var remit string
	if err := row.Scan(&d.ID, &d.RegionCode, &d.Name, &d.ShortName, &d.NameEn, &d.IsOffice, &remit, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	d.Remit = SplitList(remit)
	return &d, nil
}

// SplitList returns the items of a comma-separated list, trimmed, without
// empty ones.
func SplitList(s string) []string {
	out := []string{}
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// normRemit checks each section and returns them sorted without repeats.
func normRemit(errs *fielderr.List, in []string) []string {
	set := map[string]bool{}
	for _, s := range in {
		if strings.TrimSpace(s) == "" {
			continue
		}
		code := normIndustry(s)
		if code == "" {
			errs.Add("remit", "rule.industry.unknown", "value", s)
			continue
		}
		set[code] = true
	}
	out := []string{}
	for _, i := range Industries {
		if set[i.Code] {
			out = append(out, i.Code)
		}
	}
	return out
}

// GetDepartment returns one department, or fielderr.ErrNotFound.
func GetDepartment(ctx context.Context, q store.Queryer, id string) (*Department, error) {
	return getRow(ctx, q, `SELECT `+departmentCols+` FROM departments WHERE id = ?`, "", id, "", scanDepartment)
}

// ListDepartments lists the departments of one region (all regions for ""),
// the office first, then by name.
func ListDepartments(ctx context.Context, q store.Queryer, regionCode string) ([]Department, error) {
	query := `SELECT ` + departmentCols + ` FROM departments`
	var args []any
	if regionCode != "" {
		query += ` WHERE region_code = ?`
		args = append(args, regionCode)
	}
	rows, err := q.Query(ctx, query+` ORDER BY region_code, is_office DESC, name, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Department{}
	for rows.Next() {
		d, err := scanDepartment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// CreateDepartment adds a department. Only the office (admin) may, within its
// own region.
func CreateDepartment(ctx context.Context, db *store.DB, who *auth.User, in DepartmentInput) (*Department, error) {
	if !isStaff(who) || who.Role != auth.RoleAdmin {
		return nil, fielderr.ErrForbidden
	}
	now := store.Now()
	d := Department{ID: store.NewID(), RegionCode: strings.TrimSpace(in.RegionCode), Name: clean(in.Name),
		ShortName: clean(in.ShortName), NameEn: clean(in.NameEn), IsOffice: in.IsOffice, CreatedAt: now, UpdatedAt: now}
	if d.RegionCode == "" {
		d.RegionCode = who.RegionCode
	}
	var errs fielderr.List
	d.Remit = normRemit(&errs, in.Remit)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		validateDepartment(ctx, tx, who, &d, "", &errs)
		if err := errs.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO departments (`+departmentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.RegionCode, d.Name, d.ShortName, d.NameEn, d.IsOffice, strings.Join(d.Remit, ","), d.CreatedAt, d.UpdatedAt); err != nil {
			if store.IsUniqueViolation(err) {
				return fielderr.New("name", "rule.department.name_taken")
			}
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "department", EntityID: d.ID,
			RegionCode: d.RegionCode, After: d}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "department.created", map[string]any{"id": d.ID, "region_code": d.RegionCode})
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// UpdateDepartment changes the fields given in p. Only the office may.
func UpdateDepartment(ctx context.Context, db *store.DB, who *auth.User, id string, p DepartmentPatch) (*Department, error) {
	if !isStaff(who) || who.Role != auth.RoleAdmin {
		return nil, fielderr.ErrForbidden
	}
	var out *Department
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := scanDepartment(tx.QueryRow(ctx, `SELECT `+departmentCols+` FROM departments WHERE id = ?`+tx.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !RegionCovers(who.RegionCode, before.RegionCode)) {
			return fielderr.ErrNotFound
		}
		if err != nil {
			return err
		}
		d := *before
		var errs fielderr.List
		if p.Name != nil {
			d.Name = clean(*p.Name)
		}
		if p.ShortName != nil {
			d.ShortName = clean(*p.ShortName)
		}
		if p.NameEn != nil {
			d.NameEn = clean(*p.NameEn)
		}
		if p.IsOffice != nil {
			d.IsOffice = *p.IsOffice
		}
		if p.Remit != nil {
			d.Remit = normRemit(&errs, *p.Remit)
		}
		validateDepartment(ctx, tx, who, &d, d.ID, &errs)
		if err := errs.Err(); err != nil {
			return err
		}
		d.UpdatedAt = store.Now()
		if _, err := tx.Exec(ctx, `UPDATE departments SET name = ?, short_name = ?, name_en = ?, is_office = ?, remit = ?, updated_at = ? WHERE id = ?`,
			d.Name, d.ShortName, d.NameEn, d.IsOffice, strings.Join(d.Remit, ","), d.UpdatedAt, d.ID); err != nil {
			if store.IsUniqueViolation(err) {
				return fielderr.New("name", "rule.department.name_taken")
			}
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "department", EntityID: d.ID,
			RegionCode: d.RegionCode, Before: before, After: d}); err != nil {
			return err
		}
		out = &d
		return jobs.Emit(ctx, tx, "department.updated", map[string]any{"id": d.ID, "region_code": d.RegionCode})
	})
	return out, err
}

func validateDepartment(ctx context.Context, tx *store.Tx, who *auth.User, d *Department, selfID string, errs *fielderr.List) {
	fielderr.CheckText(errs, "name", d.Name, true, 100)
	fielderr.CheckText(errs, "short_name", d.ShortName, false, 30)
	fielderr.CheckText(errs, "name_en", d.NameEn, false, 200)
	if _, err := GetRegion(ctx, tx, d.RegionCode); err != nil {
		errs.Add("region_code", "rule.region.unknown")
	} else if !RegionCovers(who.RegionCode, d.RegionCode) {
		errs.Add("region_code", "rule.region.out_of_scope")
	}
	if d.Name != "" && !errs.Has("name") && !errs.Has("region_code") {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM departments WHERE region_code = ? AND name = ? AND id <> ?`,
			d.RegionCode, d.Name, selfID).Scan(&n); err == nil && n > 0 {
			errs.Add("name", "rule.department.name_taken")
		}
	}
	if d.IsOffice && !errs.Has("region_code") {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM departments WHERE region_code = ? AND is_office = ? AND id <> ?`,
			d.RegionCode, true, selfID).Scan(&n); err == nil && n > 0 {
			errs.Add("is_office", "rule.department.office_taken")
		}
	}
}
