package lab

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Institution states (资质认定 有效/暂停/撤销).
const (
	InstitutionActive    = "active"
	InstitutionSuspended = "suspended"
	InstitutionRevoked   = "revoked"
)

// InstitutionStatuses lists the states in display order.
var InstitutionStatuses = []string{InstitutionActive, InstitutionSuspended, InstitutionRevoked}

// MaxScope bounds the capability table of one institution.
const MaxScope = 2000

// Institution is a testing institution (检验检测机构).
type Institution struct {
	ID         string `json:"id"`
	RegionCode string `json:"region_code"`
	Name       string `json:"name"`
	USCC       string `json:"uscc"`
	// ReportPrefix starts every report number of the institution
	// ("EJN-2026-0001"); unique on the platform.
	ReportPrefix string `json:"report_prefix"`
	// CMANumber is the 12-digit certificate number, kept as text
	// (domain-cn.md §7.1: its inner layout is disputed).
	CMANumber    string       `json:"cma_number"`
	CMAValidFrom string       `json:"cma_valid_from"` // YYYY-MM-DD
	CMAValidTo   string       `json:"cma_valid_to"`   // YYYY-MM-DD, the last valid day
	CNASNumber   string       `json:"cnas_number,omitempty"`
	Address      string       `json:"address,omitempty"`
	Contact      string       `json:"contact,omitempty"`
	Status       string       `json:"status"`
	StatusReason string       `json:"status_reason,omitempty"`
	Scope        []ScopeEntry `json:"scope"`
	CreatedAt    int64        `json:"created_at"`
	UpdatedAt    int64        `json:"updated_at"`
}

// ScopeEntry is one row of the capability table: the institution may test
// Item of products of Category by Method (a standard with its year).
type ScopeEntry struct {
	Category string `json:"category"`
	Item     string `json:"item"`
	Method   string `json:"method,omitempty"`
}

// QualifiedOn reports whether the CMA qualification is valid on date
// (YYYY-MM-DD) and the institution active.
func (in *Institution) QualifiedOn(date string) bool {
	return in.Status == InstitutionActive && in.CMAValidFrom <= date && date <= in.CMAValidTo
}

// Covers reports whether the capability table holds category × item.
func (in *Institution) Covers(category, item string) bool {
	c, i := fold(category), fold(item)
	for _, s := range in.Scope {
		if fold(s.Category) == c && fold(s.Item) == i {
			return true
		}
	}
	return false
}

// InstitutionInput creates an institution. RegionCode defaults to the
// official's own.
type InstitutionInput struct {
	RegionCode   string       `json:"region_code"`
	Name         string       `json:"name"`
	USCC         string       `json:"uscc"`
	ReportPrefix string       `json:"report_prefix"`
	CMANumber    string       `json:"cma_number"`
	CMAValidFrom string       `json:"cma_valid_from"`
	CMAValidTo   string       `json:"cma_valid_to"`
	CNASNumber   string       `json:"cnas_number"`
	Address      string       `json:"address"`
	Contact      string       `json:"contact"`
	Scope        []ScopeEntry `json:"scope"`
}

// InstitutionPatch changes the fields that are not nil; Scope, when not
// nil, replaces the whole capability table. A status other than active
// needs StatusReason.
type InstitutionPatch struct {
	Name         *string       `json:"name,omitempty"`
	CMANumber    *string       `json:"cma_number,omitempty"`
	CMAValidFrom *string       `json:"cma_valid_from,omitempty"`
	CMAValidTo   *string       `json:"cma_valid_to,omitempty"`
	CNASNumber   *string       `json:"cnas_number,omitempty"`
	Address      *string       `json:"address,omitempty"`
	Contact      *string       `json:"contact,omitempty"`
	Status       *string       `json:"status,omitempty"`
	StatusReason *string       `json:"status_reason,omitempty"`
	Scope        *[]ScopeEntry `json:"scope,omitempty"`
}

var (
	cmaPattern    = regexp.MustCompile(`^[0-9]{12}$`)
	cnasPattern   = regexp.MustCompile(`^CNAS ?[LI][0-9]{4,5}$`)
	prefixPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)
)

// normalizeCNAS writes a CNAS number the way the certificate prints it.
func normalizeCNAS(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), " "))
	if rest, ok := strings.CutPrefix(s, "CNAS"); ok {
		s = "CNAS " + strings.TrimSpace(rest)
	} else if s != "" {
		s = "CNAS " + s
	}
	return s
}

// validate checks an institution as it would be stored.
func (in *Institution) validate(errs *fielderr.List) {
	fielderr.CheckText(errs, "name", in.Name, true, MaxName)
	switch {
	case in.USCC == "":
		errs.Add("uscc", "rule.required")
	default:
		if err := codes.CheckUSCC(in.USCC); err != nil {
			errs.Add("uscc", err.Error())
		}
	}
	switch {
	case in.ReportPrefix == "":
		errs.Add("report_prefix", "rule.required")
	case !prefixPattern.MatchString(in.ReportPrefix):
		errs.Add("report_prefix", "rule.lab.report_prefix")
	}
	switch {
	case in.CMANumber == "":
		errs.Add("cma_number", "rule.required")
	case !cmaPattern.MatchString(in.CMANumber):
		errs.Add("cma_number", "rule.lab.cma_number")
	}
	checkDate(errs, "cma_valid_from", in.CMAValidFrom, true)
	checkDate(errs, "cma_valid_to", in.CMAValidTo, true)
	if !errs.Has("cma_valid_from") && !errs.Has("cma_valid_to") && in.CMAValidTo < in.CMAValidFrom {
		errs.Add("cma_valid_to", "rule.lab.dates")
	}
	if in.CNASNumber != "" && !cnasPattern.MatchString(in.CNASNumber) {
		errs.Add("cnas_number", "rule.lab.cnas_number")
	}
	fielderr.CheckText(errs, "address", in.Address, false, MaxText)
	fielderr.CheckText(errs, "contact", in.Contact, false, MaxText)
	switch in.Status {
	case InstitutionActive:
	case InstitutionSuspended, InstitutionRevoked:
		fielderr.CheckText(errs, "status_reason", in.StatusReason, true, MaxReason)
	default:
		errs.Add("status", "rule.choice")
	}
	in.Scope = cleanScope(errs, in.Scope)
}

// cleanScope trims the capability table, drops exact repeats and checks
// each row; it keeps the table in a stable order.
func cleanScope(errs *fielderr.List, rows []ScopeEntry) []ScopeEntry {
	out := []ScopeEntry{}
	seen := map[string]bool{}
	if len(rows) > MaxScope {
		errs.Add("scope", "rule.lab.too_many", "max", MaxScope)
		return out
	}
	for i, s := range rows {
		s.Category, s.Item, s.Method = strings.TrimSpace(s.Category), strings.TrimSpace(s.Item), strings.TrimSpace(s.Method)
		field := "scope[" + strconv.Itoa(i) + "]"
		fielderr.CheckText(errs, field+".category", s.Category, true, MaxText)
		fielderr.CheckText(errs, field+".item", s.Item, true, MaxText)
		fielderr.CheckText(errs, field+".method", s.Method, false, MaxText)
		key := fold(s.Category) + "\x00" + fold(s.Item) + "\x00" + s.Method
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, s)
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Category != out[b].Category {
			return out[a].Category < out[b].Category
		}
		return out[a].Item < out[b].Item
	})
	return out
}

// CreateInstitution registers an institution (admin and officers). Refusals
// name the field: uscc (rule.uscc.*, rule.uscc.taken), report_prefix
// (rule.lab.report_prefix, rule.lab.report_prefix_taken), cma_number
// (rule.lab.cma_number), cma_valid_to (rule.lab.dates), cnas_number,
// scope[i].category / item.
func CreateInstitution(ctx context.Context, db *store.DB, who *auth.User, in InstitutionInput) (*Institution, error) {
	if !isManager(who) {
		return nil, fielderr.ErrForbidden
	}
	now := nowOf(ctx).UnixMilli()
	inst := &Institution{ID: store.NewID(), RegionCode: strings.TrimSpace(in.RegionCode), Name: strings.TrimSpace(in.Name),
		USCC: codes.NormalizeUSCC(in.USCC), ReportPrefix: strings.ToUpper(strings.TrimSpace(in.ReportPrefix)),
		CMANumber: strings.TrimSpace(in.CMANumber), CMAValidFrom: strings.TrimSpace(in.CMAValidFrom),
		CMAValidTo: strings.TrimSpace(in.CMAValidTo), CNASNumber: normalizeCNAS(in.CNASNumber),
		Address: strings.TrimSpace(in.Address), Contact: strings.TrimSpace(in.Contact), Status: InstitutionActive,
		Scope: in.Scope, CreatedAt: now, UpdatedAt: now}
	if inst.RegionCode == "" {
		inst.RegionCode = who.RegionCode
	}
	var errs fielderr.List
	if !registry.RegionCovers(who.RegionCode, inst.RegionCode) {
		errs.Add("region_code", "rule.region.out_of_scope")
	}
	inst.validate(&errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := checkUnique(ctx, tx, inst); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO lab_institutions (id, region_code, name, uscc, report_prefix, cma_number,
			cma_valid_from, cma_valid_to, cnas_number, address, contact, status, status_reason, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			inst.ID, inst.RegionCode, inst.Name, inst.USCC, inst.ReportPrefix, inst.CMANumber, inst.CMAValidFrom,
			inst.CMAValidTo, inst.CNASNumber, inst.Address, inst.Contact, inst.Status, inst.StatusReason,
			inst.CreatedAt, inst.UpdatedAt); err != nil {
			if store.IsUniqueViolation(err) {
				return fielderr.New("uscc", "rule.uscc.taken")
			}
			return err
		}
		if err := writeScope(ctx, tx, inst.ID, inst.Scope); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "lab_institution", EntityID: inst.ID,
			RegionCode: inst.RegionCode, After: inst})
	})
	if err != nil {
		return nil, err
	}
	return inst, nil
}

// checkUnique refuses a USCC already registered in the region or a report
// prefix taken anywhere.
func checkUnique(ctx context.Context, tx *store.Tx, inst *Institution) error {
	var errs fielderr.List
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM lab_institutions WHERE region_code = ? AND uscc = ? AND id <> ?`,
		inst.RegionCode, inst.USCC, inst.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		errs.Add("uscc", "rule.uscc.taken")
	}
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM lab_institutions WHERE report_prefix = ? AND id <> ?`,
		inst.ReportPrefix, inst.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		errs.Add("report_prefix", "rule.lab.report_prefix_taken")
	}
	return errs.Err()
}

func writeScope(ctx context.Context, tx *store.Tx, id string, scope []ScopeEntry) error {
	if _, err := tx.Exec(ctx, `DELETE FROM lab_scope WHERE institution_id = ?`, id); err != nil {
		return err
	}
	for _, s := range scope {
		if _, err := tx.Exec(ctx, `INSERT INTO lab_scope (institution_id, category, item, method, category_key, item_key)
			VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING`, id, s.Category, s.Item, s.Method, fold(s.Category), fold(s.Item)); err != nil {
			return err
		}
	}
	return nil
}

// UpdateInstitution changes an institution of the official's region.
// Suspending or revoking needs a reason (status_reason); the register keeps
// the latest.
func UpdateInstitution(ctx context.Context, db *store.DB, who *auth.User, id string, p InstitutionPatch) (*Institution, error) {
	if !isManager(who) {
		return nil, fielderr.ErrForbidden
	}
	var out *Institution
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := loadInstitution(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if !inRegion(who, before.RegionCode) {
			return fielderr.ErrNotFound
		}
		after := *before
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = strings.TrimSpace(*v)
			}
		}
		set(&after.Name, p.Name)
		set(&after.CMANumber, p.CMANumber)
		set(&after.CMAValidFrom, p.CMAValidFrom)
		set(&after.CMAValidTo, p.CMAValidTo)
		set(&after.Address, p.Address)
		set(&after.Contact, p.Contact)
		set(&after.Status, p.Status)
		set(&after.StatusReason, p.StatusReason)
		if p.CNASNumber != nil {
			after.CNASNumber = normalizeCNAS(*p.CNASNumber)
		}
		if after.Status == InstitutionActive && p.Status != nil && p.StatusReason == nil {
			after.StatusReason = ""
		}
		if p.Scope != nil {
			after.Scope = *p.Scope
		}
		var errs fielderr.List
		after.validate(&errs)
		if err := errs.Err(); err != nil {
			return err
		}
		after.UpdatedAt = nowOf(ctx).UnixMilli()
		if _, err := tx.Exec(ctx, `UPDATE lab_institutions SET name = ?, cma_number = ?, cma_valid_from = ?, cma_valid_to = ?,
			cnas_number = ?, address = ?, contact = ?, status = ?, status_reason = ?, updated_at = ? WHERE id = ?`,
			after.Name, after.CMANumber, after.CMAValidFrom, after.CMAValidTo, after.CNASNumber, after.Address, after.Contact,
			after.Status, after.StatusReason, after.UpdatedAt, id); err != nil {
			return err
		}
		if p.Scope != nil {
			if err := writeScope(ctx, tx, id, after.Scope); err != nil {
				return err
			}
		}
		out = &after
		return audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "lab_institution", EntityID: id,
			RegionCode: after.RegionCode, Before: before, After: after})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const institutionCols = `id, region_code, name, uscc, report_prefix, cma_number, cma_valid_from, cma_valid_to, cnas_number,
	address, contact, status, status_reason, created_at, updated_at`

func scanInstitution(row scanner) (*Institution, error) {
	var in Institution
	if err := row.Scan(&in.ID, &in.RegionCode, &in.Name, &in.USCC, &in.ReportPrefix, &in.CMANumber, &in.CMAValidFrom,
		&in.CMAValidTo, &in.CNASNumber, &in.Address, &in.Contact, &in.Status, &in.StatusReason, &in.CreatedAt,
		&in.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	return &in, nil
}

// loadInstitution reads an institution with its scope, whoever asks.
func loadInstitution(ctx context.Context, q store.Queryer, id, lock string) (*Institution, error) {
	in, err := scanInstitution(q.QueryRow(ctx, `SELECT `+institutionCols+` FROM lab_institutions WHERE id = ?`+lock, id))
	if err != nil {
		return nil, err
	}
	if in.Scope, err = loadScope(ctx, q, id); err != nil {
		return nil, err
	}
	return in, nil
}

func loadScope(ctx context.Context, q store.Queryer, id string) ([]ScopeEntry, error) {
	rows, err := q.Query(ctx, `SELECT category, item, method FROM lab_scope WHERE institution_id = ? ORDER BY category, item, method`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ScopeEntry{}
	for rows.Next() {
		var s ScopeEntry
		if err := rows.Scan(&s.Category, &s.Item, &s.Method); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// canSeeInstitution: the register is public within the platform: every
// signed-in user of the region (and an institution its own record).
func canSeeInstitution(who *auth.User, in *Institution) bool {
	if who == nil || who.Disabled {
		return false
	}
	if institutionOf(who) == in.ID {
		return true
	}
	return registry.RegionCovers(who.RegionCode, in.RegionCode) || registry.RegionCovers(in.RegionCode, who.RegionCode)
}

// GetInstitution returns an institution with its capability table.
func GetInstitution(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Institution, error) {
	in, err := loadInstitution(ctx, q, id, "")
	if err != nil {
		return nil, err
	}
	if !canSeeInstitution(who, in) {
		return nil, fielderr.ErrNotFound
	}
	return in, nil
}

// InstitutionFilter selects institutions: Status "" for every state; Q
// matches the name or the CMA number; Category and Item (both or neither)
// keep those whose scope covers them, as the re-test assignment page needs.
type InstitutionFilter struct {
	Status   string `json:"status"`
	Q        string `json:"q"`
	Category string `json:"category"`
	Item     string `json:"item"`
}

// ListInstitutions lists the institutions of the user's region by name,
// each with its capability table.
func ListInstitutions(ctx context.Context, q store.Queryer, who *auth.User, f InstitutionFilter) ([]Institution, error) {
	if who == nil || who.Disabled || who.RegionCode == "" {
		return nil, fielderr.ErrForbidden
	}
	cond, args := registry.RegionScopeSQL("region_code", who.RegionCode)
	if !isOfficial(who) {
		// Enterprises and institutions sit at banner level: they see the
		// register of their banner.
		cond, args = "region_code = ?", []any{who.RegionCode}
	}
	switch f.Status {
	case "":
	case InstitutionActive, InstitutionSuspended, InstitutionRevoked:
		cond += ` AND status = ?`
		args = append(args, f.Status)
	default:
		return nil, fielderr.New("status", "rule.choice")
	}
	if s := strings.TrimSpace(f.Q); s != "" {
		cond += ` AND (name LIKE ? OR cma_number LIKE ?)`
		args = append(args, "%"+s+"%", s+"%")
	}
	if f.Category != "" || f.Item != "" {
		cond += ` AND EXISTS (SELECT 1 FROM lab_scope s WHERE s.institution_id = lab_institutions.id AND s.category_key = ? AND s.item_key = ?)`
		args = append(args, fold(f.Category), fold(f.Item))
	}
	rows, err := q.Query(ctx, `SELECT `+institutionCols+` FROM lab_institutions WHERE `+cond+` ORDER BY name, id LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	out := []Institution{}
	for rows.Next() {
		in, err := scanInstitution(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Scope, err = loadScope(ctx, q, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// actingInstitution resolves the institution an institution user acts for.
// users.institution_id carries no foreign key (see the migration), so an
// account tied to no registered institution is refused here.
func actingInstitution(ctx context.Context, q store.Queryer, who *auth.User) (*Institution, error) {
	id := institutionOf(who)
	if id == "" {
		return nil, fielderr.ErrForbidden
	}
	in, err := loadInstitution(ctx, q, id, "")
	if errors.Is(err, fielderr.ErrNotFound) {
		return nil, fielderr.ErrForbidden
	}
	return in, err
}

// CheckUserInstitution validates the institution an institution account is
// to be tied to: it must exist and lie in the account's region. The user
// administration calls it before creating such an account, since the
// database cannot enforce the link.
func CheckUserInstitution(ctx context.Context, q store.Queryer, institutionID, regionCode string) error {
	var region string
	err := q.QueryRow(ctx, `SELECT region_code FROM lab_institutions WHERE id = ?`, institutionID).Scan(&region)
	if errors.Is(err, sql.ErrNoRows) || err == nil && region != regionCode {
		return fielderr.New("institution_id", "rule.lab.institution_unknown")
	}
	return err
}

// daysUntil is the number of calendar days from day to the date (negative
// once past).
func daysUntil(day time.Time, date string) int {
	d, err := workday.ParseDate(date)
	if err != nil {
		return 0
	}
	return int(math.Round(d.Sub(workday.Midnight(day)).Hours() / 24))
}
