package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
)

// cmdGen fills a database with synthetic data for benchmarks. The same seed
// gives the same data.
func cmdGen(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, db := flags("gen", errOut)
	n := fs.Int("enterprises", 0, "how many synthetic enterprises to add")
	tasks := fs.Int("tasks", 0, "add a published plan with this many tasks (with owners, deadlines and progress)")
	region := fs.String("region", "152923", "region of the generated plan")
	seed := fs.Int64("seed", 1, "random seed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n <= 0 && *tasks <= 0 {
		fmt.Fprintln(errOut, "hallmark gen: say how much to generate, e.g. --enterprises 100000 or --tasks 10000")
		return errUsage
	}
	ctx = audit.WithActor(ctx, audit.Actor{ID: "gen", Name: "hallmark gen"})
	d, err := app.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	if *tasks > 0 {
		start := time.Now()
		id, err := plan.GeneratePlan(ctx, d, *region, *tasks, *seed)
		if err != nil {
			return err
		}
		res, err := plan.Recompute(ctx, d, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "generated plan %s with %d tasks in %s (%d lights set)\n", id, *tasks,
			time.Since(start).Round(time.Millisecond), res.Lights)
		if *n <= 0 {
			return nil
		}
	}
	count := func() (int, error) {
		var c int
		err := d.QueryRow(ctx, `SELECT COUNT(*) FROM enterprises`).Scan(&c)
		return c, err
	}
	before, err := count()
	if err != nil {
		return err
	}
	start := time.Now()
	if err := registry.GenerateEnterprises(ctx, d, *n, *seed); err != nil {
		return err
	}
	after, err := count()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "generated %d enterprises in %s (%d in the database)\n", after-before,
		time.Since(start).Round(time.Millisecond), after)
	return nil
}
