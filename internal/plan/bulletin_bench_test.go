package plan_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// ibBulk inserts rows into table in multi-row statements inside tx.
func ibBulk(ctx context.Context, tx *store.Tx, table string, cols []string, rows [][]any) error {
	per := max(1, 20000/len(cols)) // well under both databases' parameter limits
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(len(rows), start+per)]
		args := make([]any, 0, len(part)*len(cols))
		for _, r := range part {
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(one+",", len(part)), ",")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

// generateBulletinPlan stores a 2021 plan of n top-level tasks across 20
// departments, with a monthly report for every task up to its progress,
// three light changes each, and a rectification for one task in 25, the
// way a busy year looks by December.
func generateBulletinPlan(tb testing.TB, db *store.DB, n int) (planID string, office *auth.User) {
	tb.Helper()
	ctx := context.Background()
	if err := registry.SeedRegions(ctx, db); err != nil {
		tb.Fatal(err)
	}
	office = &auth.User{ID: "office", Role: auth.RoleAdmin, RegionCode: "152921"}
	var depts []string
	for i := range 20 {
		d, err := registry.CreateDepartment(ctx, db, office, registry.DepartmentInput{Name: fmt.Sprintf("成员单位%02d", i), IsOffice: i == 0})
		if err != nil {
			tb.Fatal(err)
		}
		depts = append(depts, d.ID)
	}
	rng := rand.New(rand.NewPCG(2021, 5))
	at := func(day string) int64 {
		d, err := workday.ParseDate(day)
		if err != nil {
			tb.Fatal(err)
		}
		return store.Millis(d.Add(10 * time.Hour))
	}
	planID = store.NewID()
	now := store.Now()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO plans (id, region_code, year, title, status, published_at, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?)`, planID, "152921", 2021, "2021年质量强旗工作要点", "published", at("2021-01-04"), now, now); err != nil {
			return err
		}
		var items, tasks, reports, lights, insp, findings, rects [][]any
		for i := range 50 {
			items = append(items, []any{store.NewID(), planID, "152921", i + 1, fmt.Sprint(i + 1), 1, fmt.Sprintf("工作要点%d", i+1), now, now})
		}
		inspection := store.NewID()
		insp = append(insp, []any{inspection, planID, "152921", "全年督查", "scheduled", depts[1], "2021-06-15", "done", "", "office", now, now})
		for i := range n {
			id := store.NewID()
			dept := depts[1+i%19]
			deadline := fmt.Sprintf("2021-%02d-28", 3+rng.IntN(10))
			percent := float64(rng.IntN(101))
			status, done := "signed", any(nil)
			if percent == 100 {
				status, done = "done", at(deadline)
			}
			light := []string{"green", "yellow", "red"}[rng.IntN(3)]
			measure := ""
			if i%10 == 0 {
				measure = "registry.enterprises.registered"
			}
			tasks = append(tasks, []any{id, planID, items[i%50][0], "152921", i, fmt.Sprintf("任务%d", i), dept, "2021-01-01",
				deadline, measure, status, percent, light, "light.cause.lag", at("2021-01-05"), done, now, now})
			for m := 1; m <= 12; m++ {
				reports = append(reports, []any{store.NewID(), id, "152921", fmt.Sprintf("2021-%02d", m), percent * float64(m) / 12,
					fmt.Sprintf("第%d月进展", m), "u", at(fmt.Sprintf("2021-%02d-05", m))})
			}
			for k, l := range []string{"green", "yellow", light} {
				day := fmt.Sprintf("2021-%02d-10", 1+4*k)
				lights = append(lights, []any{store.NewID(), id, l, "light.cause.lag", `{"lag":"12"}`, day, at(day)})
			}
			if i%25 == 0 {
				f := store.NewID()
				visit := at("2021-06-15")
				findings = append(findings, []any{f, inspection, id, "152921", "进度滞后", "normal", visit})
				rects = append(rects, []any{store.NewID(), f, "152921", dept, "限期整改", "2021-07-31", "open", visit, visit})
			}
		}
		for _, x := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"plan_items", []string{"id", "plan_id", "region_code", "seq", "label", "level", "content", "created_at", "updated_at"}, items},
			{"tasks", []string{"id", "plan_id", "item_id", "region_code", "seq", "title", "lead_department_id", "start_date",
				"deadline", "measure_key", "status", "percent", "light", "light_cause", "published_at", "done_at", "created_at", "updated_at"}, tasks},
			{"progress_reports", []string{"id", "task_id", "region_code", "period", "percent", "note", "reported_by", "reported_at"}, reports},
			{"task_lights", []string{"id", "task_id", "light", "cause", "params", "day", "at"}, lights},
			{"inspections", []string{"id", "plan_id", "region_code", "title", "kind", "department_id", "visit_date", "status",
				"notes", "created_by", "created_at", "updated_at"}, insp},
			{"findings", []string{"id", "inspection_id", "task_id", "region_code", "content", "severity", "created_at"}, findings},
			{"rectifications", []string{"id", "finding_id", "region_code", "department_id", "demand", "deadline", "status",
				"created_at", "updated_at"}, rects},
		} {
			if err := ibBulk(ctx, tx, x.table, x.cols, x.rows); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if db.Dialect == store.Postgres {
		if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
			tb.Fatal(err)
		}
	} else if _, err := db.Exec(ctx, `PRAGMA optimize`); err != nil {
		tb.Fatal(err)
	}
	return planID, office
}

func benchmarkGenerateBulletin(b *testing.B, db *store.DB) {
	planID, office := generateBulletinPlan(b, db, 5000)
	ctx := context.Background()
	in := plan.BulletinInput{PlanID: planID, From: "2021-01-01", To: "2021-12-31"}
	var last *plan.Bulletin
	for b.Loop() {
		bl, err := plan.GenerateBulletin(ctx, db, office, in)
		if err != nil {
			b.Fatal(err)
		}
		last = bl
	}
	if last.Data.Summary.Total != 5000 || len(last.Data.Departments) != 19 || len(last.Data.Trend) != 12 {
		b.Fatalf("summary %+v, %d departments, %d trend points", last.Data.Summary, len(last.Data.Departments), len(last.Data.Trend))
	}
}

// BenchmarkGenerateBulletin5k generates a bulletin over 5,000 tasks with a
// year of monthly reports (60,000) and light changes (15,000); the target
// is under 2 s per bulletin on either database.
func BenchmarkGenerateBulletin5k(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkGenerateBulletin(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) {
		if !ibHavePostgres() {
			b.Skip(storetest.PostgresEnv + " is not set")
		}
		benchmarkGenerateBulletin(b, storetest.Postgres(b))
	})
}

// TestGenerateBulletinOver5000Tasks checks the bulletin the benchmark times
// counts what it should at that size (speed is BenchmarkGenerateBulletin5k's
// to measure, not a test's).
func TestGenerateBulletinOver5000Tasks(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 80,000 rows")
	}
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		planID, office := generateBulletinPlan(t, db, 5000)
		bl, err := plan.GenerateBulletin(context.Background(), db, office, plan.BulletinInput{PlanID: planID, From: "2021-01-01", To: "2021-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		if bl.Data.Summary.Total != 5000 || bl.Data.Summary.Rectifications != 200 {
			t.Fatalf("summary %+v", bl.Data.Summary)
		}
	})
}

func ibHavePostgres() bool { return os.Getenv(storetest.PostgresEnv) != "" }
