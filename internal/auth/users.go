package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Limits on account fields.
const (
	UsernameMin    = 3
	UsernameMax    = 32
	PasswordMin    = 8
	PasswordMax    = 128
	NameMax        = 64
	usernameKeyMax = 64 // bytes of a typed username kept as a throttling key
)

// Langs are the languages a user may choose; "" follows the browser.
var Langs = []string{"", "zh-CN", "en"}

// NewUser is what an administrator fills in to create an account.
type NewUser struct {
	Username      string
	Name          string
	Password      string
	Role          Role
	RegionCode    string
	DepartmentID  string // required for admin, officer and inspector
	EnterpriseID  string // required for enterprise users
	InstitutionID string // required for institution users
	Lang          string
}

// UserUpdate is an administrator's change to an account's name and place.
type UserUpdate struct {
	Name          string
	Role          Role
	RegionCode    string
	DepartmentID  string
	EnterpriseID  string
	InstitutionID string
}

// UserFilter selects users for the administration list. Empty fields do not
// filter; Q matches the username or name, ignoring case and full-width forms.
type UserFilter struct {
	Role          Role
	RegionCode    string
	DepartmentID  string
	EnterpriseID  string
	InstitutionID string
	Q             string
	Limit         int // default 50, at most 500
	Offset        int
}

const userCols = `id, username, name, role, region_code, COALESCE(department_id, ''), COALESCE(enterprise_id, ''),
	COALESCE(institution_id, ''), lang, disabled, created_at, password_changed_at`

type scanner interface{ Scan(dest ...any) error }

func scanUser(r scanner, extra ...any) (*User, error) {
	var u User
	var role string
	dest := append([]any{&u.ID, &u.Username, &u.Name, &role, &u.RegionCode, &u.DepartmentID, &u.EnterpriseID,
		&u.InstitutionID, &u.Lang, &u.Disabled, &u.CreatedAt, &u.PasswordChangedAt}, extra...)
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fielderr.ErrNotFound
		}
		return nil, err
	}
	u.Role = Role(role)
	return &u, nil
}

// NormalizeUsername folds what people type into the stored form: trimmed,
// narrow (an IME may produce full-width Latin letters) and lower-case.
func NormalizeUsername(s string) string {
	return strings.ToLower(width.Fold.String(strings.TrimSpace(s)))
}

func searchKey(parts ...string) string {
	return strings.ToLower(width.Fold.String(strings.Join(parts, " ")))
}

func validUsername(s string) bool {
	if len(s) < UsernameMin || len(s) > UsernameMax {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func checkPassword(errs *fielderr.List, field, password, username string) {
	n := utf8.RuneCountInString(password)
	switch {
	case password == "":
		errs.Add(field, "rule.required")
	case n < PasswordMin:
		errs.Add(field, "rule.password.short", "min", PasswordMin)
	case n > PasswordMax:
		errs.Add(field, "rule.password.long", "max", PasswordMax)
	case username != "" && strings.EqualFold(password, username):
		errs.Add(field, "rule.password.same_as_username")
	}
}

func validLang(lang string) bool {
	for _, l := range Langs {
		if l == lang {
			return true
		}
	}
	return false
}

// checkPlace validates a role and the region, department, enterprise and
// institution it is tied to. An id that the role does not use is refused
// rather than dropped: a department on an enterprise account would widen
// what department scoping lets it see.
func checkPlace(ctx context.Context, q store.Queryer, errs *fielderr.List, role Role, region, dept, ent, inst string) error {
	if !role.Valid() {
		errs.Add("role", "rule.role.invalid")
	}
	if region == "" {
		errs.Add("region_code", "rule.required")
	} else {
		var n int
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM regions WHERE code = ?`, region).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			errs.Add("region_code", "rule.region.unknown")
		}
	}
	needDept := role == RoleAdmin || role == RoleOfficer || role == RoleInspector
	switch {
	case needDept && dept == "":
		errs.Add("department_id", "rule.required")
	case !needDept && dept != "" && role.Valid():
		errs.Add("department_id", "rule.role.mismatch")
	case dept != "" && !errs.Has("region_code"):
		var deptRegion string
		err := q.QueryRow(ctx, `SELECT region_code FROM departments WHERE id = ?`, dept).Scan(&deptRegion)
		switch {
		case errors.Is(err, sql.ErrNoRows) || err == nil && deptRegion != region:
			errs.Add("department_id", "rule.department.unknown")
		case err != nil:
			return err
		}
	}
	switch {
	case role == RoleEnterprise && ent == "":
		errs.Add("enterprise_id", "rule.required")
	case role != RoleEnterprise && ent != "" && role.Valid():
		errs.Add("enterprise_id", "rule.role.mismatch")
	}
	switch {
	case role == RoleInstitution && inst == "":
		errs.Add("institution_id", "rule.required")
	case role != RoleInstitution && inst != "" && role.Valid():
		errs.Add("institution_id", "rule.role.mismatch")
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateUser validates nu and stores the account. Bad input returns a
// fielderr.List and stores nothing.
func CreateUser(ctx context.Context, db *store.DB, nu NewUser) (*User, error) {
	nu.Username = NormalizeUsername(nu.Username)
	nu.Name = strings.TrimSpace(nu.Name)
	nu.RegionCode = strings.TrimSpace(nu.RegionCode)
	nu.DepartmentID = strings.TrimSpace(nu.DepartmentID)
	nu.EnterpriseID = strings.TrimSpace(nu.EnterpriseID)
	nu.InstitutionID = strings.TrimSpace(nu.InstitutionID)

	var errs fielderr.List
	switch {
	case nu.Username == "":
		errs.Add("username", "rule.required")
	case !validUsername(nu.Username):
		errs.Add("username", "rule.username.format", "min", UsernameMin, "max", UsernameMax)
	}
	if utf8.RuneCountInString(nu.Name) > NameMax {
		errs.Add("name", "rule.max_length", "max", NameMax)
	}
	checkPassword(&errs, "password", nu.Password, nu.Username)
	if !validLang(nu.Lang) {
		errs.Add("lang", "rule.lang")
	}
	if err := checkPlace(ctx, db, &errs, nu.Role, nu.RegionCode, nu.DepartmentID, nu.EnterpriseID, nu.InstitutionID); err != nil {
		return nil, err
	}
	if !errs.Has("username") {
		if _, err := UserByUsername(ctx, db, nu.Username); err == nil {
			errs.Add("username", "rule.username.taken")
		} else if !errors.Is(err, fielderr.ErrNotFound) {
			return nil, err
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	// Hash outside the transaction: on SQLite the transaction holds the only
	// writer connection, and a hash takes tens of milliseconds.
	hash, err := HashPassword(ctx, nu.Password)
	if err != nil {
		return nil, err
	}
	now := store.Millis(timeNow(ctx))
	u := &User{ID: store.NewID(), Username: nu.Username, Name: nu.Name, Role: nu.Role, RegionCode: nu.RegionCode,
		DepartmentID: nu.DepartmentID, EnterpriseID: nu.EnterpriseID, InstitutionID: nu.InstitutionID,
		Lang: nu.Lang, CreatedAt: now, PasswordChangedAt: now}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, username, name, password_hash, role, region_code,
			department_id, enterprise_id, institution_id, lang, disabled, password_changed_at, created_at,
			updated_at, search_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			u.ID, u.Username, u.Name, hash, string(u.Role), u.RegionCode, nullIfEmpty(u.DepartmentID),
			nullIfEmpty(u.EnterpriseID), nullIfEmpty(u.InstitutionID), u.Lang, false, now, now, now,
			searchKey(u.Username, u.Name)); err != nil {
			if store.IsUniqueViolation(err) {
				return fielderr.New("username", "rule.username.taken")
			}
			return fmt.Errorf("create user: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "user", EntityID: u.ID,
			RegionCode: u.RegionCode, After: u})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// GetUser returns the user with id, or fielderr.ErrNotFound.
func GetUser(ctx context.Context, q store.Queryer, id string) (*User, error) {
	return scanUser(q.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// UserByUsername returns the user with username (normalised first), or
// fielderr.ErrNotFound.
func UserByUsername(ctx context.Context, q store.Queryer, username string) (*User, error) {
	return scanUser(q.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, NormalizeUsername(username)))
}

// userForUpdate reads a user and its password hash inside tx, locking the row.
func userForUpdate(ctx context.Context, tx *store.Tx, id string) (*User, string, error) {
	var hash string
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE id = ?`+tx.ForUpdate(), id), &hash)
	return u, hash, err
}

// ListUsers returns the users matching f ordered by username, and how many
// match in all.
func ListUsers(ctx context.Context, q store.Queryer, f UserFilter) ([]User, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Role != "" {
		add("role = ?", string(f.Role))
	}
	if f.RegionCode != "" {
		add("region_code = ?", f.RegionCode)
	}
	if f.DepartmentID != "" {
		add("department_id = ?", f.DepartmentID)
	}
	if f.EnterpriseID != "" {
		add("enterprise_id = ?", f.EnterpriseID)
	}
	if f.InstitutionID != "" {
		add("institution_id = ?", f.InstitutionID)
	}
	if s := searchKey(strings.TrimSpace(f.Q)); s != "" {
		add(`search_key LIKE ? ESCAPE '\'`, "%"+escapeLike(s)+"%")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM users`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := q.Query(ctx, `SELECT `+userCols+` FROM users`+cond+` ORDER BY username LIMIT ? OFFSET ?`,
		append(args, limit, max(0, f.Offset))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *u)
	}
	return out, total, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UpdateUser changes an account's name, role and place. The username and
// password are not changed here.
func UpdateUser(ctx context.Context, db *store.DB, userID string, up UserUpdate) (*User, error) {
	up.Name = strings.TrimSpace(up.Name)
	var errs fielderr.List
	if utf8.RuneCountInString(up.Name) > NameMax {
		errs.Add("name", "rule.max_length", "max", NameMax)
	}
	if err := checkPlace(ctx, db, &errs, up.Role, strings.TrimSpace(up.RegionCode), strings.TrimSpace(up.DepartmentID),
		strings.TrimSpace(up.EnterpriseID), strings.TrimSpace(up.InstitutionID)); err != nil {
		return nil, err
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var after *User
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, _, err := userForUpdate(ctx, tx, userID)
		if err != nil {
			return err
		}
		a := *before
		a.Name, a.Role = up.Name, up.Role
		a.RegionCode, a.DepartmentID = strings.TrimSpace(up.RegionCode), strings.TrimSpace(up.DepartmentID)
		a.EnterpriseID, a.InstitutionID = strings.TrimSpace(up.EnterpriseID), strings.TrimSpace(up.InstitutionID)
		if _, err := tx.Exec(ctx, `UPDATE users SET name = ?, role = ?, region_code = ?, department_id = ?,
			enterprise_id = ?, institution_id = ?, search_key = ?, updated_at = ? WHERE id = ?`,
			a.Name, string(a.Role), a.RegionCode, nullIfEmpty(a.DepartmentID), nullIfEmpty(a.EnterpriseID),
			nullIfEmpty(a.InstitutionID), searchKey(a.Username, a.Name), store.Millis(timeNow(ctx)), userID); err != nil {
			return err
		}
		after = &a
		return audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "user", EntityID: userID,
			RegionCode: a.RegionCode, Before: before, After: a})
	})
	return after, err
}

// SetPassword changes a user's own password after checking the old one. A
// wrong old password is a fielderr on field "old"; rule errors on the new one name field "new".
func SetPassword(ctx context.Context, db *store.DB, userID, oldPassword, newPassword string) error {
	return changePassword(ctx, db, userID, &oldPassword, newPassword)
}

// ResetPassword sets a user's password without the old one, for an
// administrator; the route that calls it must require PermUserAdmin.
func ResetPassword(ctx context.Context, db *store.DB, userID, newPassword string) error {
	return changePassword(ctx, db, userID, nil, newPassword)
}

func changePassword(ctx context.Context, db *store.DB, userID string, old *string, newPassword string) error {
	u, err := GetUser(ctx, db, userID)
	if err != nil {
		return err
	}
	var errs fielderr.List
	if old != nil && *old == "" {
		errs.Add("old", "rule.required")
	}
	checkPassword(&errs, "new", newPassword, u.Username)
	if err := errs.Err(); err != nil {
		return err
	}
	if old != nil {
		var stored string
		if err := db.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&stored); err != nil {
			return err
		}
		ok, err := VerifyPassword(ctx, stored, *old)
		if err != nil && !errors.Is(err, ErrMalformedHash) {
			return err
		}
		if !ok {
			return fielderr.New("old", "rule.password.wrong")
		}
	}
	hash, err := HashPassword(ctx, newPassword)
	if err != nil {
		return err
	}
	action := "password-change"
	if old == nil {
		action = "password-reset"
	}
	now := store.Millis(timeNow(ctx))
	return db.Tx(ctx, func(tx *store.Tx) error {
		u, _, err := userForUpdate(ctx, tx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?`,
			hash, now, now, userID); err != nil {
			return err
		}
		// Only the time of the change is recorded: a hash in the audit trail
		// would be kept forever and is an offline-cracking target.
		return audit.Write(ctx, tx, audit.Entry{Action: action, Entity: "user", EntityID: userID,
			RegionCode: u.RegionCode, Before: map[string]any{"password_changed_at": u.PasswordChangedAt},
			After: map[string]any{"password_changed_at": now}})
	})
}

// SetLang stores the user's language: "zh-CN", "en" or "" (the browser's).
func SetLang(ctx context.Context, db *store.DB, userID, lang string) error {
	if !validLang(lang) {
		return fielderr.New("lang", "rule.lang")
	}
	return updateUser(ctx, db, userID, "update", func(u *User) { u.Lang = lang },
		`UPDATE users SET lang = ?, updated_at = ? WHERE id = ?`, lang)
}

// SetDisabled disables or enables an account. A disabled user cannot sign in
// and their API tokens stop working; their existing browser sessions end at
// the next request, when the web layer finds the flag.
func SetDisabled(ctx context.Context, db *store.DB, userID string, disabled bool) error {
	action := "enable"
	if disabled {
		action = "disable"
	}
	return updateUser(ctx, db, userID, action, func(u *User) { u.Disabled = disabled },
		`UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?`, disabled)
}

func updateUser(ctx context.Context, db *store.DB, userID, action string, change func(*User), stmt string, v any) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		before, _, err := userForUpdate(ctx, tx, userID)
		if err != nil {
			return err
		}
		after := *before
		change(&after)
		if after == *before {
			return nil
		}
		if _, err := tx.Exec(ctx, stmt, v, store.Millis(timeNow(ctx)), userID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: action, Entity: "user", EntityID: userID,
			RegionCode: before.RegionCode, Before: before, After: after})
	})
}
