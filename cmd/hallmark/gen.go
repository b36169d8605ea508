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
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/genealogy"
)

// cmdGen fills a database with synthetic data for benchmarks. The same seed
// gives the same data.
func cmdGen(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, db := flags("gen", errOut)
	n := fs.Int("enterprises", 0, "how many synthetic enterprises to add")
	tasks := fs.Int("tasks", 0, "add a published plan with this many tasks (with owners, deadlines and progress)")
	region := fs.String("region", "152923", "region of the generated plan")
	lots := fs.Int("trace-lots", 0, "add a supply network (farms, processors, distributors, retailers) with this many harvest lots, about ten EPCIS events each")
	seed := fs.Int64("seed", 1, "random seed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n <= 0 && *tasks <= 0 && *lots <= 0 {
		fmt.Fprintln(errOut, "hallmark gen: say how much to generate, e.g. --enterprises 100000, --tasks 10000 or --trace-lots 1000000")
		return errUsage
	}
	ctx = audit.WithActor(ctx, audit.Actor{ID: "gen", Name: "hallmark gen"})
	open := app.Open
	if *lots > 0 {
		// A supply network is millions of events for a benchmark database.
		open = app.OpenBulk
	}
	d, err := open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	if *lots > 0 {
		if err := genTrace(ctx, d, out, *lots, *seed); err != nil {
			return err
		}
		if *n <= 0 && *tasks <= 0 {
			return nil
		}
	}
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

// genTrace captures a generated supply network through the EPCIS capture
// path, one 1,000-event document at a time, reporting progress.
func genTrace(ctx context.Context, d *store.DB, out io.Writer, lots int, seed int64) error {
	start := time.Now()
	docs := 0
	events, err := genealogy.LoadNetwork(ctx, d, genealogy.NetworkSpec{Lots: lots, Seed: seed}, func(events int) {
		if docs++; docs%100 == 0 {
			fmt.Fprintf(out, "%d events captured (%.0f/s)\n", events, float64(events)/time.Since(start).Seconds())
		}
	})
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(out, "generated a supply network of %d harvest lots: %d events in %s (%.0f events/s)\n",
		lots, events, took.Round(time.Millisecond), float64(events)/took.Seconds())
	return nil
}
