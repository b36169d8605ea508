package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/backup"
)

func cmdBackup(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, db := flags("backup", errOut)
	dest := fs.String("out", "", "where to write the copy (must not exist)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dest == "" {
		fmt.Fprintln(errOut, "hallmark backup: --out FILE is required")
		return errUsage
	}
	d, err := app.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := backup.SQLite(ctx, d, *dest); err != nil {
		return err
	}
	fmt.Fprintf(out, "backup written to %s and checked\n", *dest)
	return nil
}
