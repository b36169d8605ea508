package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/audit"
)

func cmdAudit(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(errOut, "usage: hallmark audit verify [--db …]")
		return errUsage
	}
	fs, db := flags("audit verify", errOut)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	d, err := app.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := audit.Verify(ctx, d)
	var broken *audit.BrokenError
	if errors.As(err, &broken) {
		fmt.Fprintf(out, "audit chain BROKEN at record %d: %s (%d records before it are intact)\n", broken.Seq, broken.Reason, n)
		return fmt.Errorf("audit chain broken at record %d", broken.Seq)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "audit chain intact: %d records\n", n)
	return nil
}
