package workday

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// TopicChanged is the event emitted when an administrator sets or clears a
// day, so that modules holding computed deadlines can recompute them.
// Its payload is ChangedEvent.
const TopicChanged = "calendar.changed"

// ChangedEvent is the payload of TopicChanged. Kind is empty when the
// override was cleared (the built-in arrangement applies again).
type ChangedEvent struct {
	Day  string `json:"day"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Limits on what an administrator may enter.
const (
	NameMax = 50   // runes
	YearMin = 2000 // earliest year an override may be set for
	YearMax = 2100 // latest
)

// Load returns the calendar: the built-in arrangements with the
// administrators' overrides from calendar_days on top (an override wins).
func Load(ctx context.Context, q store.Queryer) (*Calendar, error) {
	special := maps.Clone(official.special)
	rows, err := q.Query(ctx, `SELECT day, kind, name, updated_at FROM calendar_days`)
	if err != nil {
		return nil, fmt.Errorf("load calendar: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day, kind, name string
		var at int64
		if err := rows.Scan(&day, &kind, &name, &at); err != nil {
			return nil, fmt.Errorf("load calendar: %w", err)
		}
		n, e, err := overrideEntry(day, kind, name, at)
		if err != nil {
			// A row that cannot be read must not silently drop out of
			// deadline arithmetic.
			return nil, fmt.Errorf("load calendar: calendar_days row %q: %w", day, err)
		}
		special[n] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load calendar: %w", err)
	}
	return newCalendar(special), nil
}

func overrideEntry(day, kind, name string, at int64) (int, entry, error) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return 0, entry{}, err
	}
	if kind != KindHoliday && kind != KindWorkday {
		return 0, entry{}, fmt.Errorf("unknown kind %q", kind)
	}
	return civilDayNum(t.Date()), entry{workday: kind == KindWorkday, name: name, override: true, updatedAt: at}, nil
}

// stored is a calendar_days row as the audit record shows it.
type stored struct {
	Day  string `json:"day"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// checkDay validates an administrator's date and returns it in canonical form.
func checkDay(errs *fielderr.List, day string) string {
	day = strings.TrimSpace(day)
	if day == "" {
		errs.Add("day", "rule.required")
		return ""
	}
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		errs.Add("day", "rule.date.format")
		return ""
	}
	if y := t.Year(); y < YearMin || y > YearMax {
		errs.Add("day", "rule.date.range", "min", YearMin, "max", YearMax)
		return ""
	}
	return day
}

// SetDay makes day ('YYYY-MM-DD') a holiday day off (kind KindHoliday) or a
// working day (KindWorkday) whatever the built-in arrangement says, with an
// optional name shown beside it. Setting a day to what it already is changes
// nothing and writes no audit record.
func SetDay(ctx context.Context, db *store.DB, day, kind, name string) error {
	var errs fielderr.List
	day = checkDay(&errs, day)
	kind = strings.ToLower(strings.TrimSpace(kind))
	switch kind {
	case "":
		errs.Add("kind", "rule.required")
	case KindHoliday, KindWorkday:
	default:
		errs.Add("kind", "rule.calendar.kind")
	}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > NameMax {
		errs.Add("name", "rule.max_length", "max", NameMax)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *store.Tx) error {
		before, err := getStored(ctx, tx, day)
		if err != nil {
			return err
		}
		after := stored{Day: day, Kind: kind, Name: name}
		if before != nil && *before == after {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_days (day, kind, name, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name, updated_at = excluded.updated_at`,
			day, kind, name, store.Now()); err != nil {
			return fmt.Errorf("set calendar day: %w", err)
		}
		entry := audit.Entry{Action: "create", Entity: "calendar_day", EntityID: day, After: after}
		if before != nil {
			entry.Action, entry.Before = "update", *before
		}
		if err := audit.Write(ctx, tx, entry); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, TopicChanged, ChangedEvent{Day: day, Kind: kind, Name: name})
	})
}

// ClearDay removes the override for day, so the built-in arrangement (or
// the plain weekend rule) applies again. It returns fielderr.ErrNotFound when
// day has no override.
func ClearDay(ctx context.Context, db *store.DB, day string) error {
	var errs fielderr.List
	day = checkDay(&errs, day)
	if err := errs.Err(); err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *store.Tx) error {
		before, err := getStored(ctx, tx, day)
		if err != nil {
			return err
		}
		if before == nil {
			return fielderr.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM calendar_days WHERE day = ?`, day); err != nil {
			return fmt.Errorf("clear calendar day: %w", err)
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "delete", Entity: "calendar_day", EntityID: day, Before: *before}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, TopicChanged, ChangedEvent{Day: day})
	})
}

func getStored(ctx context.Context, tx *store.Tx, day string) (*stored, error) {
	var s stored
	err := tx.QueryRow(ctx, `SELECT day, kind, name FROM calendar_days WHERE day = ?`+tx.ForUpdate(), day).Scan(&s.Day, &s.Kind, &s.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read calendar day: %w", err)
	}
	return &s, nil
}

// Days lists the special days of year in date order: the built-in holiday
// days off and make-up working days, with the administrators' overrides in
// place of the entries they replace (marked Override, with the replaced
// entry in OfficialKind/OfficialName).
func Days(ctx context.Context, q store.Queryer, year int) ([]Day, error) {
	cal, err := Load(ctx, q)
	if err != nil {
		return nil, err
	}
	return cal.Year(year), nil
}

// Year lists the calendar's special days in year, in date order.
func (c *Calendar) Year(year int) []Day {
	lo, hi := civilDayNum(year, time.January, 1), civilDayNum(year, time.December, 31)
	var out []Day
	for i := sort.SearchInts(c.days, lo); i < len(c.days) && c.days[i] <= hi; i++ {
		out = append(out, c.special[c.days[i]].day(c.days[i]))
	}
	return out
}
