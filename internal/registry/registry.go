// Package registry is the banner's register of administrative divisions,
// member departments, enterprises, their licences and their products. It owns
// the rules for each field, who may see and change which rows, and the
// spreadsheet import and export of the register.
//
// Visibility: officers, inspectors and the office (admin) see every
// enterprise in their region and the regions under it; an enterprise user
// sees only its own enterprise, and any other looks missing
// (fielderr.ErrNotFound). Enterprises are written by officers and the
// office; licences and products also by the enterprise itself.
package registry

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Limits on list pages.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

func pageLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// isStaff: the roles that see the whole register of their region.
func isStaff(who *auth.User) bool {
	if who == nil || who.Disabled {
		return false
	}
	switch who.Role {
	case auth.RoleAdmin, auth.RoleOfficer, auth.RoleInspector:
		return who.RegionCode != ""
	}
	return false
}

// canWrite: officers and the office change the register.
func canWrite(who *auth.User) bool {
	return isStaff(who) && (who.Role == auth.RoleAdmin || who.Role == auth.RoleOfficer)
}

func isEnterpriseUser(who *auth.User) bool {
	return who != nil && !who.Disabled && who.Role == auth.RoleEnterprise && who.EnterpriseID != ""
}

// canRead: who may read the register at all.
func canRead(who *auth.User) bool { return isStaff(who) || isEnterpriseUser(who) }

// clean trims a free-text field and folds runs of white space into one space.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// nullable turns "" into SQL NULL for optional foreign keys.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// labels names codes in Chinese and English.
type labels map[string][2]string // code → zh, en

// of is code's name in lang; an unknown code is its own name.
func (l labels) of(code, lang string) string {
	n, ok := l[code]
	if !ok {
		return code
	}
	if isEnglish(lang) {
		return n[1]
	}
	return n[0]
}

// getRow reads the row query finds for id, or fielderr.ErrNotFound. A
// lock (tx.ForUpdate()) locks only the row of table alias: PostgreSQL does
// not lock the nullable side of an outer join.
func getRow[T any](ctx context.Context, q store.Queryer, query, alias, id, lock string,
	scan func(interface{ Scan(...any) error }) (*T, error)) (*T, error) {
	if lock != "" {
		query += " FOR UPDATE OF " + alias
	}
	v, err := scan(q.QueryRow(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fielderr.ErrNotFound
	}
	return v, err
}
