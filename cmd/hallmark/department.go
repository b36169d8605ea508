package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/registry"
)

// cmdDepartment adds and lists member departments, so that a new
// installation can create the office and its first accounts without the
// demo.
func cmdDepartment(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		fmt.Fprintln(errOut, "usage: hallmark department add|list [flags]")
		return errUsage
	}
	sub := args[0]
	fs, db := flags("department "+sub, errOut)
	region := fs.String("region", "152923", "GB/T 2260 region code")
	name := fs.String("name", "", "full name, e.g. 额济纳旗市场监督管理局 (add)")
	short := fs.String("short", "", "short name, e.g. 市场监管局 (add)")
	nameEn := fs.String("name-en", "", "English name (add)")
	office := fs.Bool("office", false, "this is the leading group's office (add)")
	remit := fs.String("remit", "", "GB/T 4754 sections it supervises, comma-separated, e.g. C,F,H (add)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	ctx = audit.WithActor(ctx, audit.Actor{ID: "cli", Name: "hallmark department " + sub})
	d, err := app.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	if sub == "list" {
		list, err := registry.ListDepartments(ctx, d, *region)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSHORT\tOFFICE\tREMIT\tID")
		for _, x := range list {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", x.Name, x.ShortName, x.IsOffice, strings.Join(x.Remit, ","), x.ID)
		}
		return tw.Flush()
	}
	var sections []string
	if *remit != "" {
		sections = strings.Split(*remit, ",")
	}
	// The command line stands in for the region's office, the only one
	// that may add departments.
	who := &auth.User{ID: "cli", Username: "cli", Role: auth.RoleAdmin, RegionCode: *region}
	dep, err := registry.CreateDepartment(ctx, d, who, registry.DepartmentInput{RegionCode: *region, Name: *name,
		ShortName: *short, NameEn: *nameEn, IsOffice: *office, Remit: sections})
	if err != nil {
		return explain(err)
	}
	fmt.Fprintf(out, "added %s, id %s\n", dep.Name, dep.ID)
	return nil
}
