package workday_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

func load(t *testing.T, db *store.DB) *workday.Calendar {
	t.Helper()
	cal, err := workday.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func TestOverrideChangesDeadline(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := audit.WithActor(context.Background(), audit.Actor{ID: "u1", Name: "office admin"})
		from := day(t, "2025-09-22")
		if got := workday.FormatDate(load(t, db).AddWorkdays(from, 10)); got != "2025-10-11" {
			t.Fatalf("before override: %s", got)
		}
		// Suppose the make-up Sunday 28 September is cancelled locally: the
		// deadline moves a working day later, to Monday 13 October.
		if err := workday.SetDay(ctx, db, "2025-09-28", "holiday", "  国庆节（本地调整） "); err != nil {
			t.Fatal(err)
		}
		cal := load(t, db)
		if got := workday.FormatDate(cal.AddWorkdays(from, 10)); got != "2025-10-13" {
			t.Errorf("after override: %s, want 2025-10-13", got)
		}
		if name, ok := cal.Holiday(day(t, "2025-09-28")); !ok || name != "国庆节（本地调整）" {
			t.Errorf("Holiday = %q, %v", name, ok)
		}
		// The built-in calendar is untouched.
		if !workday.Official().IsWorkday(day(t, "2025-09-28")) {
			t.Error("Official() changed by an override")
		}

		// A working Saturday outside any notice.
		if err := workday.SetDay(ctx, db, "2025-11-15", "WORKDAY", ""); err != nil {
			t.Fatal(err)
		}
		if !load(t, db).IsWorkday(day(t, "2025-11-15")) {
			t.Error("override to workday not applied")
		}

		days, err := workday.Days(ctx, db, 2025)
		if err != nil {
			t.Fatal(err)
		}
		var sawSep28, sawNov15, sawOfficial bool
		for _, d := range days {
			switch d.Date {
			case "2025-09-28":
				sawSep28 = true
				if !d.Override || d.Kind != workday.KindHoliday || d.OfficialKind != workday.KindWorkday || d.OfficialName != "国庆节、中秋节" || d.UpdatedAt == 0 {
					t.Errorf("listed override = %+v", d)
				}
			case "2025-11-15":
				sawNov15 = d.Override && d.Kind == workday.KindWorkday && d.OfficialKind == ""
			case "2025-10-01":
				sawOfficial = !d.Override && d.Kind == workday.KindHoliday && d.Source == "国办发明电〔2024〕12号"
			}
		}
		if !sawSep28 || !sawNov15 || !sawOfficial {
			t.Errorf("Days(2025) misses entries: %v %v %v in %+v", sawSep28, sawNov15, sawOfficial, days)
		}
		for i := 1; i < len(days); i++ {
			if days[i-1].Date >= days[i].Date {
				t.Fatalf("Days not in date order at %s", days[i].Date)
			}
		}

		// Clearing restores the notice.
		if err := workday.ClearDay(ctx, db, "2025-09-28"); err != nil {
			t.Fatal(err)
		}
		if got := workday.FormatDate(load(t, db).AddWorkdays(from, 10)); got != "2025-10-11" {
			t.Errorf("after clearing: %s", got)
		}
		if err := workday.ClearDay(ctx, db, "2025-09-28"); !errors.Is(err, fielderr.ErrNotFound) {
			t.Errorf("clearing twice: %v, want ErrNotFound", err)
		}

		// Each change is audited, attributed to the actor, in order.
		recs, total, err := audit.List(ctx, db, audit.Filter{Entity: "calendar_day"})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 {
			t.Fatalf("%d audit records, want 3 (set, set, clear)", total)
		}
		if recs[0].Action != "delete" || recs[0].EntityID != "2025-09-28" || recs[2].Action != "create" ||
			recs[0].ActorName != "office admin" || !strings.Contains(recs[2].After, "国庆节（本地调整）") {
			t.Errorf("audit records: %+v", recs)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Error(err)
		}
		var events int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM events WHERE topic = ?`, workday.TopicChanged).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if events != 3 {
			t.Errorf("%d %s events, want 3", events, workday.TopicChanged)
		}
	})
}

func TestSetDayUpdateAndNoop(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := workday.SetDay(ctx, db, "2028-01-03", "holiday", "元旦"); err != nil {
			t.Fatal(err)
		}
		if err := workday.SetDay(ctx, db, "2028-01-03", "holiday", "元旦"); err != nil {
			t.Fatal(err)
		}
		if err := workday.SetDay(ctx, db, "2028-01-03", "holiday", "元旦（补休）"); err != nil {
			t.Fatal(err)
		}
		recs, total, err := audit.List(ctx, db, audit.Filter{Entity: "calendar_day", EntityID: "2028-01-03"})
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || recs[0].Action != "update" || !strings.Contains(recs[0].Before, `"元旦"`) {
			t.Errorf("want create then update (the repeat writes nothing), got %d: %+v", total, recs)
		}
		if name, ok := load(t, db).Holiday(day(t, "2028-01-03")); !ok || name != "元旦（补休）" {
			t.Errorf("Holiday = %q, %v", name, ok)
		}
	})
}

func TestBadInputRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cases := []struct {
			day, kind, name string
			want            map[string]string // field → rule
		}{
			{"", "", "", map[string]string{"day": "rule.required", "kind": "rule.required"}},
			{"2025-02-30", "holiday", "", map[string]string{"day": "rule.date.format"}},
			{"2025/10/01", "holiday", "", map[string]string{"day": "rule.date.format"}},
			{"20251001", "workday", "", map[string]string{"day": "rule.date.format"}},
			{"1999-10-01", "holiday", "", map[string]string{"day": "rule.date.range"}},
			{"2025-10-01", "weekend", "", map[string]string{"kind": "rule.calendar.kind"}},
			{"2025-10-01", "holiday", strings.Repeat("节", workday.NameMax+1), map[string]string{"name": "rule.max_length"}},
		}
		for _, c := range cases {
			err := workday.SetDay(ctx, db, c.day, c.kind, c.name)
			list, ok := fielderr.As(err)
			if !ok {
				t.Errorf("SetDay(%q, %q): %v, want a field error", c.day, c.kind, err)
				continue
			}
			if len(list) != len(c.want) {
				t.Errorf("SetDay(%q, %q): %v, want %v", c.day, c.kind, list, c.want)
			}
			for _, e := range list {
				if c.want[e.Field] != e.Rule {
					t.Errorf("SetDay(%q, %q): %s: %s, want %q", c.day, c.kind, e.Field, e.Rule, c.want[e.Field])
				}
			}
		}
		if _, ok := fielderr.As(workday.ClearDay(ctx, db, "yesterday")); !ok {
			t.Error("ClearDay accepted a bad date")
		}
		var rows, audits, events int
		if err := db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM calendar_days), (SELECT COUNT(*) FROM audit_log),
			(SELECT COUNT(*) FROM events)`).Scan(&rows, &audits, &events); err != nil {
			t.Fatal(err)
		}
		if rows != 0 || audits != 0 || events != 0 {
			t.Errorf("bad input left %d rows, %d audit records, %d events", rows, audits, events)
		}
	})
}

func TestLoadRefusesCorruptRow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO calendar_days (day, kind, name, updated_at) VALUES ('2025-10-09', 'maybe', '', 0)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := workday.Load(ctx, db); err == nil || !strings.Contains(err.Error(), "2025-10-09") {
			t.Errorf("Load with a corrupt row: %v, want an error naming it", err)
		}
	})
}
