package plan_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

func TestGeneratePlan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := plan.WithClock(context.Background(), func() time.Time { return pwDay(t, "2024-07-01").Add(9 * time.Hour) })
		id, err := plan.GeneratePlan(ctx, db, "152923", 300, 7)
		if err != nil {
			t.Fatal(err)
		}
		w := &pw{db: db}
		if n := w.count(t, `SELECT COUNT(*) FROM tasks WHERE plan_id = ?`, id); n != 300 {
			t.Fatalf("%d tasks", n)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM tasks t JOIN users u ON u.id = t.owner_id
			WHERE t.plan_id = ? AND u.department_id = t.lead_department_id AND t.deadline <> '' AND t.status <> 'draft'`, id); n != 300 {
			t.Errorf("%d of 300 tasks published with an owner of the lead department and a deadline", n)
		}
		if n := w.count(t, `SELECT COUNT(DISTINCT lead_department_id) FROM tasks WHERE plan_id = ?`, id); n < 5 {
			t.Errorf("tasks spread over %d departments", n)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM progress_reports`); n < 300 {
			t.Errorf("%d reports", n)
		}
		res, err := plan.Recompute(ctx, db, workday.Date(2024, 7, 1))
		if err != nil {
			t.Fatal(err)
		}
		if res.Tasks == 0 || res.Lights != res.Tasks {
			t.Errorf("first recompute %+v: every open task gets a light", res)
		}
		for _, l := range []string{plan.Green, plan.Yellow, plan.Red} {
			if n := w.count(t, `SELECT COUNT(*) FROM tasks WHERE light = ?`, l); n == 0 {
				t.Errorf("no %s task in a generated plan", l)
			}
		}
		if res, err := plan.Recompute(ctx, db, workday.Date(2024, 7, 1)); err != nil || res.Changed != 0 {
			t.Errorf("second recompute on the same day: %+v, %v", res, err)
		}
	})
}

// BenchmarkRecompute10k recomputes the lights of a generated plan of 10,000
// tasks. "daily" runs day after day, as the scheduled job does (few lights
// change); "all_change" alternates between two days on which almost every
// light differs, so each run writes nearly every row and its history.
func BenchmarkRecompute10k(b *testing.B) {
	open := map[string]func(testing.TB) *store.DB{"sqlite": storetest.SQLite}
	if os.Getenv(storetest.PostgresEnv) != "" {
		open["postgres"] = storetest.Postgres
	}
	for _, name := range []string{"sqlite", "postgres"} {
		if open[name] == nil {
			continue
		}
		b.Run(name, func(b *testing.B) {
			db := open[name](b)
			ctx := plan.WithClock(context.Background(), func() time.Time { return workday.Date(2024, 7, 1).Add(9 * time.Hour) })
			if _, err := plan.GeneratePlan(ctx, db, "152921", 10_000, 1); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			first, err := plan.Recompute(ctx, db, workday.Date(2024, 7, 1))
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("first recompute: %d tasks, %d lights set, %v", first.Tasks, first.Lights, time.Since(start))
			b.Run("daily", func(b *testing.B) {
				day, changed := workday.Date(2024, 7, 2), 0
				for b.Loop() {
					res, err := plan.Recompute(ctx, db, day)
					if err != nil {
						b.Fatal(err)
					}
					changed += res.Changed
					day = day.AddDate(0, 0, 1)
				}
				b.ReportMetric(float64(changed)/float64(b.N), "changed/op")
			})
			b.Run("all_change", func(b *testing.B) {
				days := []time.Time{workday.Date(2024, 3, 1), workday.Date(2025, 2, 3)}
				i, changed := 0, 0
				for b.Loop() {
					res, err := plan.Recompute(ctx, db, days[i%2])
					if err != nil {
						b.Fatal(err)
					}
					changed += res.Changed
					i++
				}
				b.ReportMetric(float64(changed)/float64(b.N), "changed/op")
			})
		})
	}
}
