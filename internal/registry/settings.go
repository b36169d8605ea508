package registry

import (
	"context"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/settings"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// SettingExpiringDays is the settings key for how many days before its end a
// licence counts as expiring.
const SettingExpiringDays = "licence.expiring_days"

// DefaultExpiringDays applies until the office sets another value.
const DefaultExpiringDays = 30

// ExpiringDays returns the licence.expiring_days setting.
func ExpiringDays(ctx context.Context, q store.Queryer) (int, error) {
	n, err := settings.Int(ctx, q, SettingExpiringDays, DefaultExpiringDays)
	if err != nil || n < 1 {
		return DefaultExpiringDays, err
	}
	return n, nil
}

// SetExpiringDays changes licence.expiring_days (1–365; otherwise rule.range
// on "value"). Only the office may.
func SetExpiringDays(ctx context.Context, db *store.DB, who *auth.User, days int) error {
	if !isStaff(who) || who.Role != auth.RoleAdmin {
		return fielderr.ErrForbidden
	}
	return settings.SetInt(ctx, db, SettingExpiringDays, days, 1, 365)
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
