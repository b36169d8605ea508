package registry

import (
	"context"
	"errors"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Enterprise is a market entity in the register. RegionName, TownshipName
// and DepartmentName are filled on reads for display.
type Enterprise struct {
	ID                 string `json:"id"`
	RegionCode         string `json:"region_code"`
	RegionName         string `json:"region_name,omitempty"`
	USCC               string `json:"uscc"`
	USCCChecksumOK     bool   `json:"uscc_checksum_ok"`
	USCCOverrideReason string `json:"uscc_override_reason,omitempty"`
	Name               string `json:"name"`
	LegalRep           string `json:"legal_rep"`
	Address            string `json:"address"`
	TownshipCode       string `json:"township_code,omitempty"`
	TownshipName       string `json:"township_name,omitempty"`
	Industry           string `json:"industry"`
	ContactName        string `json:"contact_name"`
	ContactPhone       string `json:"contact_phone"`
	GLN                string `json:"gln"`
	Status             string `json:"status"`
	DepartmentID       string `json:"department_id,omitempty"`
	DepartmentName     string `json:"department_name,omitempty"`
	CreatedAt          int64  `json:"created_at"`
	UpdatedAt          int64  `json:"updated_at"`
}

// stored is e without the display-only names, as the audit trail keeps it.
func (e Enterprise) stored() Enterprise {
	e.RegionName, e.TownshipName, e.DepartmentName = "", "", ""
	return e
}

// EnterpriseInput creates an enterprise. USCC, Name and RegionCode are
// required (RegionCode defaults to the creator's region when that is a
// banner). Township is a township code or name under the region; Industry a
// GB/T 4754 section letter; Status defaults to active.
// USCCOverrideReason lets an officer or the office register a code that
// fails its checksum but is real (e.g. confirmed on GSXT). GLN is the
// enterprise's GS1 global location number, when it has one: partners' EPCIS
// data that names it by GLN alone is then known to be about it.
type EnterpriseInput struct {
	USCC               string `json:"uscc"`
	USCCOverrideReason string `json:"uscc_override_reason"`
	Name               string `json:"name"`
	RegionCode         string `json:"region_code"`
	LegalRep           string `json:"legal_rep"`
	Address            string `json:"address"`
	Township           string `json:"township"`
	Industry           string `json:"industry"`
	ContactName        string `json:"contact_name"`
	ContactPhone       string `json:"contact_phone"`
	GLN                string `json:"gln"`
	Status             string `json:"status"`
	DepartmentID       string `json:"department_id"`
}

// EnterprisePatch changes only the fields that are not nil; an empty string
// clears an optional field.
type EnterprisePatch struct {
	USCC               *string `json:"uscc,omitempty"`
	USCCOverrideReason *string `json:"uscc_override_reason,omitempty"`
	Name               *string `json:"name,omitempty"`
	RegionCode         *string `json:"region_code,omitempty"`
	LegalRep           *string `json:"legal_rep,omitempty"`
	Address            *string `json:"address,omitempty"`
	Township           *string `json:"township,omitempty"`
	Industry           *string `json:"industry,omitempty"`
	ContactName        *string `json:"contact_name,omitempty"`
	ContactPhone       *string `json:"contact_phone,omitempty"`
	GLN                *string `json:"gln,omitempty"`
	Status             *string `json:"status,omitempty"`
	DepartmentID       *string `json:"department_id,omitempty"`
}

// validateEnterprise applies every field rule to in and returns the
// normalised enterprise (without ID and times). The USCC's uniqueness is
// checked separately, against the database or a whole import.
func validateEnterprise(ctx context.Context, lk *lookup, who *auth.User, in EnterpriseInput) (Enterprise, fielderr.List, error) {
	var errs fielderr.List
	e := Enterprise{
		USCC: codes.NormalizeUSCC(in.USCC), USCCChecksumOK: true, Name: clean(in.Name),
		RegionCode: strings.TrimSpace(in.RegionCode), LegalRep: clean(in.LegalRep), Address: clean(in.Address),
		ContactName: clean(in.ContactName), Status: StatusActive,
	}
	reason := clean(in.USCCOverrideReason)
	if e.USCC == "" {
		errs.Add("uscc", "rule.required")
	} else if err := codes.CheckUSCC(e.USCC); err != nil {
		switch {
		case !errors.Is(err, codes.ErrUSCCChecksum):
			errs.Add("uscc", err.Error())
		case canWrite(who) && reason != "":
			e.USCCChecksumOK, e.USCCOverrideReason = false, reason
			fielderr.CheckText(&errs, "uscc_override_reason", reason, true, 500)
		default:
			errs.Add("uscc", err.Error(), "overridable", canWrite(who))
		}
	}
	fielderr.CheckText(&errs, "name", e.Name, true, 200)
	fielderr.CheckText(&errs, "legal_rep", e.LegalRep, false, 50)
	fielderr.CheckText(&errs, "address", e.Address, false, 200)
	fielderr.CheckText(&errs, "contact_name", e.ContactName, false, 50)

	if e.RegionCode == "" && who != nil {
		if l, _ := RegionLevel(who.RegionCode); l == LevelCounty {
			e.RegionCode = who.RegionCode
		}
	}
	regionOK := false
	if e.RegionCode == "" {
		errs.Add("region_code", "rule.required")
	} else if r, err := lk.region(ctx, e.RegionCode); err != nil {
		return e, nil, err
	} else {
		switch {
		case r == nil:
			errs.Add("region_code", "rule.region.unknown")
		case r.Level == LevelTownship:
			errs.Add("region_code", "rule.region.township")
		case who == nil || !RegionCovers(who.RegionCode, r.Code):
			errs.Add("region_code", "rule.region.out_of_scope")
		default:
			regionOK = true
		}
	}
	if t := clean(in.Township); t != "" && regionOK {
		code, err := lk.townshipNamed(ctx, e.RegionCode, t)
		if err != nil {
			return e, nil, err
		}
		if code == "" {
			errs.Add("township", "rule.township.not_in_region")
		}
		e.TownshipCode = code
	}
	if s := strings.TrimSpace(in.Industry); s != "" {
		if e.Industry = normIndustry(s); e.Industry == "" {
			errs.Add("industry", "rule.industry.unknown")
		}
	}
	if p := strings.TrimSpace(in.ContactPhone); p != "" {
		var ok bool
		if e.ContactPhone, ok = NormalizePhone(p); !ok {
			errs.Add("contact_phone", "rule.phone.format")
		}
	}
	if g := strings.Join(strings.Fields(in.GLN), ""); g != "" {
		switch err := codes.CheckGLN(g); {
		case errors.Is(err, codes.ErrGS1Length):
			errs.Add("gln", "rule.gln.length")
		case err != nil:
			errs.Add("gln", err.Error())
		default:
			e.GLN = g
		}
	}
	if s := strings.TrimSpace(in.Status); s != "" {
		if e.Status = normStatus(s); e.Status == "" {
			errs.Add("status", "rule.enterprise.status")
		}
	}
	if id := strings.TrimSpace(in.DepartmentID); id != "" {
		d, err := lk.department(ctx, id)
		if err != nil {
			return e, nil, err
		}
		if d == nil || (regionOK && !RegionCovers(d.RegionCode, e.RegionCode)) {
			errs.Add("department_id", "rule.department.unknown")
		} else {
			e.DepartmentID = d.ID
		}
	}
	return e, errs, nil
}

// glnTaken reports whether another enterprise has the GLN: a GLN names one
// party, wherever it is registered.
func glnTaken(ctx context.Context, q store.Queryer, gln, selfID string) (bool, error) {
	if gln == "" {
		return false, nil
	}
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM enterprises WHERE gln = ? AND id <> ?`, gln, selfID).Scan(&n)
	return n > 0, err
}

// takenError names the field of a code another enterprise registered in the
// moment since it was checked (the USCC's or the GLN's unique index).
func takenError(err error) error {
	switch {
	case !store.IsUniqueViolation(err):
		return err
	case strings.Contains(err.Error(), "gln"):
		return fielderr.New("gln", "rule.gln.taken")
	}
	return fielderr.New("uscc", "rule.uscc.taken")
}

// usccTaken reports whether another enterprise of the region has the code.
func usccTaken(ctx context.Context, q store.Queryer, region, uscc, selfID string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM enterprises WHERE region_code = ? AND uscc = ? AND id <> ?`, region, uscc, selfID).Scan(&n)
	return n > 0, err
}

const enterpriseInsert = `INSERT INTO enterprises (id, region_code, uscc, uscc_checksum_ok, uscc_override, name, search_key,
	legal_rep, address, township_code, industry, contact_name, contact_phone, gln, status, department_id, created_at, updated_at)
	VALUES `

const enterpriseInsertRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func (e *Enterprise) insertArgs() []any {
	return []any{e.ID, e.RegionCode, e.USCC, e.USCCChecksumOK, e.USCCOverrideReason, e.Name, SearchKey(e.Name),
		e.LegalRep, e.Address, nullable(e.TownshipCode), e.Industry, e.ContactName, e.ContactPhone, e.GLN, e.Status,
		nullable(e.DepartmentID), e.CreatedAt, e.UpdatedAt}
}

// CreateEnterprise registers an enterprise. Only officers and the office may.
// A USCC that fails its checksum is refused (rule.uscc.checksum, with the
// param overridable=true for those who may override) unless an officer or the
// office gives USCCOverrideReason; a code already registered in the region
// is refused with rule.uscc.taken.
func CreateEnterprise(ctx context.Context, db *store.DB, who *auth.User, in EnterpriseInput) (*Enterprise, error) {
	if !canWrite(who) {
		return nil, fielderr.ErrForbidden
	}
	var out *Enterprise
	err := db.Tx(ctx, func(tx *store.Tx) error {
		e, errs, err := validateEnterprise(ctx, newLookup(tx), who, in)
		if err != nil {
			return err
		}
		if !errs.Has("uscc") && !errs.Has("region_code") {
			taken, err := usccTaken(ctx, tx, e.RegionCode, e.USCC, "")
			if err != nil {
				return err
			}
			if taken {
				errs.Add("uscc", "rule.uscc.taken")
			}
		}
		if taken, err := glnTaken(ctx, tx, e.GLN, ""); err != nil {
			return err
		} else if taken {
			errs.Add("gln", "rule.gln.taken")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		e.ID = store.NewID()
		e.CreatedAt = store.Now()
		e.UpdatedAt = e.CreatedAt
		if _, err := tx.Exec(ctx, enterpriseInsert+enterpriseInsertRow, e.insertArgs()...); err != nil {
			return takenError(err)
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "enterprise", EntityID: e.ID,
			RegionCode: e.RegionCode, After: e}); err != nil {
			return err
		}
		if err := jobs.Emit(ctx, tx, "enterprise.created", enterpriseEvent(&e, nil)); err != nil {
			return err
		}
		out = &e
		return nil
	})
	if err != nil {
		return nil, err
	}
	return GetEnterprise(ctx, db, who, out.ID)
}

func enterpriseEvent(e *Enterprise, changed []string) map[string]any {
	m := map[string]any{"id": e.ID, "region_code": e.RegionCode, "uscc": e.USCC, "name": e.Name, "status": e.Status}
	if changed != nil {
		m["changed"] = changed
	}
	return m
}

// UpdateEnterprise changes the fields given in p (only officers and the
// office may). The whole record must still pass every rule afterwards.
func UpdateEnterprise(ctx context.Context, db *store.DB, who *auth.User, id string, p EnterprisePatch) (*Enterprise, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := getEnterprise(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if !canSee(who, before) {
			return fielderr.ErrNotFound
		}
		if !canWrite(who) {
			return fielderr.ErrForbidden
		}
		in := EnterpriseInput{
			USCC: before.USCC, USCCOverrideReason: before.USCCOverrideReason, Name: before.Name,
			RegionCode: before.RegionCode, LegalRep: before.LegalRep, Address: before.Address,
			Township: before.TownshipCode, Industry: before.Industry, ContactName: before.ContactName,
			ContactPhone: before.ContactPhone, GLN: before.GLN, Status: before.Status, DepartmentID: before.DepartmentID,
		}
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&in.USCC, p.USCC)
		set(&in.USCCOverrideReason, p.USCCOverrideReason)
		set(&in.Name, p.Name)
		set(&in.RegionCode, p.RegionCode)
		set(&in.LegalRep, p.LegalRep)
		set(&in.Address, p.Address)
		set(&in.Township, p.Township)
		set(&in.Industry, p.Industry)
		set(&in.ContactName, p.ContactName)
		set(&in.ContactPhone, p.ContactPhone)
		set(&in.GLN, p.GLN)
		set(&in.Status, p.Status)
		set(&in.DepartmentID, p.DepartmentID)
		if p.RegionCode != nil && *p.RegionCode == "" {
			// Clearing the region must not fall back to the editor's own.
			return fielderr.New("region_code", "rule.required")
		}
		e, errs, err := validateEnterprise(ctx, newLookup(tx), who, in)
		if err != nil {
			return err
		}
		if !errs.Has("uscc") && !errs.Has("region_code") && (e.USCC != before.USCC || e.RegionCode != before.RegionCode) {
			taken, err := usccTaken(ctx, tx, e.RegionCode, e.USCC, id)
			if err != nil {
				return err
			}
			if taken {
				errs.Add("uscc", "rule.uscc.taken")
			}
		}
		if e.GLN != before.GLN {
			if taken, err := glnTaken(ctx, tx, e.GLN, id); err != nil {
				return err
			} else if taken {
				errs.Add("gln", "rule.gln.taken")
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		e.ID, e.CreatedAt, e.UpdatedAt = before.ID, before.CreatedAt, store.Now()
		old := before.stored()
		changed := changedFields(old, e)
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE enterprises SET region_code = ?, uscc = ?, uscc_checksum_ok = ?, uscc_override = ?,
			name = ?, search_key = ?, legal_rep = ?, address = ?, township_code = ?, industry = ?, contact_name = ?,
			contact_phone = ?, gln = ?, status = ?, department_id = ?, updated_at = ? WHERE id = ?`,
			e.RegionCode, e.USCC, e.USCCChecksumOK, e.USCCOverrideReason, e.Name, SearchKey(e.Name), e.LegalRep,
			e.Address, nullable(e.TownshipCode), e.Industry, e.ContactName, e.ContactPhone, e.GLN, e.Status,
			nullable(e.DepartmentID), e.UpdatedAt, e.ID); err != nil {
			return takenError(err)
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "enterprise", EntityID: e.ID,
			RegionCode: e.RegionCode, Before: old, After: e}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "enterprise.updated", enterpriseEvent(&e, changed))
	})
	if err != nil {
		return nil, err
	}
	return GetEnterprise(ctx, db, who, id)
}

func changedFields(a, b Enterprise) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("uscc", a.USCC != b.USCC)
	add("uscc_checksum_ok", a.USCCChecksumOK != b.USCCChecksumOK)
	add("uscc_override_reason", a.USCCOverrideReason != b.USCCOverrideReason)
	add("name", a.Name != b.Name)
	add("region_code", a.RegionCode != b.RegionCode)
	add("legal_rep", a.LegalRep != b.LegalRep)
	add("address", a.Address != b.Address)
	add("township_code", a.TownshipCode != b.TownshipCode)
	add("industry", a.Industry != b.Industry)
	add("contact_name", a.ContactName != b.ContactName)
	add("contact_phone", a.ContactPhone != b.ContactPhone)
	add("gln", a.GLN != b.GLN)
	add("status", a.Status != b.Status)
	add("department_id", a.DepartmentID != b.DepartmentID)
	return out
}

// canSee: staff see their region's enterprises, an enterprise user its own.
func canSee(who *auth.User, e *Enterprise) bool {
	switch {
	case isEnterpriseUser(who):
		return e.ID == who.EnterpriseID
	case isStaff(who):
		return RegionCovers(who.RegionCode, e.RegionCode)
	}
	return false
}

const enterpriseCols = `e.id, e.region_code, COALESCE(r.name, ''), e.uscc, e.uscc_checksum_ok, e.uscc_override, e.name,
	e.legal_rep, e.address, COALESCE(e.township_code, ''), COALESCE(t.name, ''), e.industry, e.contact_name,
	e.contact_phone, e.gln, e.status, COALESCE(e.department_id, ''), COALESCE(d.name, ''), e.created_at, e.updated_at`

const enterpriseJoins = ` LEFT JOIN regions r ON r.code = e.region_code LEFT JOIN regions t ON t.code = e.township_code
	LEFT JOIN departments d ON d.id = e.department_id`

func scanEnterprise(row interface{ Scan(...any) error }) (*Enterprise, error) {
	var e Enterprise
	err := row.Scan(&e.ID, &e.RegionCode, &e.RegionName, &e.USCC, &e.USCCChecksumOK, &e.USCCOverrideReason, &e.Name,
		&e.LegalRep, &e.Address, &e.TownshipCode, &e.TownshipName, &e.Industry, &e.ContactName, &e.ContactPhone,
		&e.GLN, &e.Status, &e.DepartmentID, &e.DepartmentName, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

func getEnterprise(ctx context.Context, q store.Queryer, id, lock string) (*Enterprise, error) {
	return getRow(ctx, q, `SELECT `+enterpriseCols+` FROM enterprises e`+enterpriseJoins+` WHERE e.id = ?`, "e", id, lock, scanEnterprise)
}

// GetEnterprise returns one enterprise that who may see; any other is
// fielderr.ErrNotFound.
func GetEnterprise(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Enterprise, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	e, err := getEnterprise(ctx, q, id, "")
	if err != nil {
		return nil, err
	}
	if !canSee(who, e) {
		return nil, fielderr.ErrNotFound
	}
	return e, nil
}

// FindEnterpriseByUSCC returns the enterprise with the code (in any form
// NormalizeUSCC accepts) among those who may see, or fielderr.ErrNotFound.
func FindEnterpriseByUSCC(ctx context.Context, q store.Queryer, who *auth.User, uscc string) (*Enterprise, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	// The regions the user may see, listed, let the (region, USCC) index
	// answer instead of a scan of every enterprise.
	scope := who.RegionCode
	if isEnterpriseUser(who) {
		scope = ""
	}
	rows, err := q.Query(ctx, `SELECT `+enterpriseCols+` FROM enterprises e`+enterpriseJoins+` WHERE e.uscc = ?
		AND e.region_code IN (SELECT code FROM regions WHERE level <> ? AND code LIKE ?) ORDER BY e.region_code`,
		codes.NormalizeUSCC(uscc), LevelTownship, RegionPrefix(scope)+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			return nil, err
		}
		if canSee(who, e) {
			return e, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return nil, fielderr.ErrNotFound
}
