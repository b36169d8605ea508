package registry

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// SettingExpiringDays is the settings key for how many days before its end a
// licence counts as expiring.
const SettingExpiringDays = "licence.expiring_days"

// DefaultExpiringDays applies until the office sets another value.
const DefaultExpiringDays = 30

// ExpiringDays returns the licence.expiring_days setting.
func ExpiringDays(ctx context.Context, q store.Queryer) (int, error) {
	var v string
	err := q.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`, SettingExpiringDays).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultExpiringDays, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return DefaultExpiringDays, nil
	}
	return n, nil
}

// SetExpiringDays changes licence.expiring_days (1–365). Only the office may.
func SetExpiringDays(ctx context.Context, db *store.DB, who *auth.User, days int) error {
	if !isStaff(who) || who.Role != auth.RoleAdmin {
		return fielderr.ErrForbidden
	}
	if days < 1 || days > 365 {
		return fielderr.New("days", "rule.range", "min", 1, "max", 365)
	}
	return db.Tx(ctx, func(tx *store.Tx) error {
		before, err := ExpiringDays(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			SettingExpiringDays, strconv.Itoa(days), store.Now()); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "setting", EntityID: SettingExpiringDays,
			Before: before, After: days}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "setting.updated", map[string]any{"key": SettingExpiringDays, "value": days})
	})
}

// China keeps one time zone and no daylight saving, so a fixed offset needs
// no zone database on the server.
var chinaTime = time.FixedZone("CST", 8*3600)

// civilDay is t's calendar date in China, at UTC midnight, so that date
// differences are whole days.
func civilDay(t time.Time) time.Time {
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

const dateLayout = "2006-01-02"

// parseDate accepts YYYY-MM-DD (and the YYYY/MM/DD and YYYY.MM.DD forms
// printed on certificates, with or without leading zeros).
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{dateLayout, "2006-1-2", "2006/1/2", "2006.1.2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
