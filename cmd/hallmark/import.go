package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/registry"
)

// cmdImport loads reference data from files: more GB/T 2260 divisions from
// CSV, or enterprises from the .xlsx template, with the same all-or-nothing
// checks as the import page.
func cmdImport(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || (args[0] != "regions" && args[0] != "enterprises") {
		fmt.Fprintln(errOut, "usage: hallmark import regions|enterprises --file F [--as USERNAME]")
		return errUsage
	}
	what := args[0]
	fs, db := flags("import "+what, errOut)
	file := fs.String("file", "", "the CSV (regions) or .xlsx (enterprises) file")
	as := fs.String("as", "admin", "import enterprises as this user (an officer or the office), whose region they join")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *file == "" {
		fmt.Fprintln(errOut, "hallmark import: --file is required")
		return errUsage
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := app.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	if what == "regions" {
		ctx = audit.WithActor(ctx, audit.Actor{ID: "cli", Name: "hallmark import regions"})
		n, err := registry.LoadRegionsCSV(ctx, d, f)
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(out, "%d divisions added or renamed\n", n)
		return nil
	}
	u, err := auth.UserByUsername(ctx, d, *as)
	if err != nil {
		return fmt.Errorf("no user %q to import as (--as)", *as)
	}
	ctx = audit.WithActor(ctx, audit.Actor{ID: u.ID, Name: u.Username})
	st, err := f.Stat()
	if err != nil {
		return err
	}
	report, err := registry.ImportEnterprises(ctx, d, u, f, st.Size())
	if err != nil {
		for _, e := range report.Errors {
			fmt.Fprintf(out, "row %d, column %s: %s (%q)\n", e.Row, e.Column, explainRule(e.Rule, e.Params), e.Value)
		}
		if len(report.Errors) > 0 {
			return fmt.Errorf("%d problems in %d rows: nothing imported", len(report.Errors), report.Rows)
		}
		return explain(err)
	}
	fmt.Fprintf(out, "%d enterprises imported\n", report.Inserted)
	return nil
}
