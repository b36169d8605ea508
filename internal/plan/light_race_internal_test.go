package plan

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// A report made between a recompute's read and its write wins: the write
// skips the row the report changed, and records no change of light for it.
func TestLightWriteSkipsRowsChangedSinceTheRead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		day := func(s string) time.Time {
			d, err := workday.ParseDate(s)
			if err != nil {
				t.Fatal(err)
			}
			return d.Add(10 * time.Hour)
		}
		at := func(s string) context.Context {
			now := day(s)
			return WithClock(context.Background(), func() time.Time { return now })
		}
		ctx := at("2024-02-20")
		if err := registry.SeedRegions(ctx, db); err != nil {
			t.Fatal(err)
		}
		office := &auth.User{ID: "office", Role: auth.RoleAdmin, RegionCode: "152921"}
		farm, err := registry.CreateDepartment(ctx, db, office, registry.DepartmentInput{Name: "农牧局"})
		if err != nil {
			t.Fatal(err)
		}
		now := store.Now()
		if _, err := db.Exec(ctx, `INSERT INTO users (id, username, name, password_hash, role, region_code, department_id,
			lang, disabled, password_changed_at, created_at, updated_at) VALUES ('farm1', 'farm1', '', 'x', 'officer', '152921', ?,
			'', ?, ?, ?, ?)`, farm.ID, false, now, now, now); err != nil {
			t.Fatal(err)
		}
		farmUser := &auth.User{ID: "farm1", Role: auth.RoleOfficer, RegionCode: "152921", DepartmentID: farm.ID}
		p, err := CreatePlan(ctx, db, office, PlanInput{Year: 2024, Title: "要点"})
		if err != nil {
			t.Fatal(err)
		}
		it, err := AddItem(ctx, db, office, p.ID, ItemInput{Content: "抽检", LeadDepartmentID: farm.ID})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := CreateTask(ctx, db, office, TaskInput{ItemID: it.ID, OwnerID: "farm1", StartDate: "2024-03-01", Deadline: "2024-06-28"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := PublishPlan(ctx, db, office, p.ID); err != nil {
			t.Fatal(err)
		}

		// The recompute of 20 March reads the task at 0% and finds it yellow.
		e, err := newEvaluator(ctx, db, "", day("2024-03-20"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := loadLightRows(ctx, db, openCond)
		if err != nil || len(rows) != 1 {
			t.Fatalf("%d rows, %v", len(rows), err)
		}
		u, changed, err := e.assess(ctx, db, &rows[0])
		if err != nil || !changed || u.light != Yellow {
			t.Fatalf("assessed %+v %v %v", u, changed, err)
		}
		// Meanwhile the department reports 40%.
		if _, err := ReportProgress(at("2024-03-20"), db, farmUser, tk.ID, ReportInput{Percent: 40}); err != nil {
			t.Fatal(err)
		}
		var applied []lightUpdate
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			applied, err = writeLights(ctx, tx, e.day, e.now, []lightUpdate{u})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("stale update applied")
		}
		got, err := GetTask(ctx, db, office, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Light != Green || got.Progress != 40 {
			t.Errorf("after the race: %s %v%%", got.Light, got.Progress)
		}
		var stale int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM task_lights WHERE light = 'yellow'`).Scan(&stale); err != nil || stale != 0 {
			t.Errorf("%d yellow changes recorded, %v", stale, err)
		}
	})
}
