package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/demo"
	"github.com/hallmark-platform/hallmark/internal/store"
)

func cmdServe(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, db := flags("serve", errOut)
	addr := fs.String("addr", envOr("HALLMARK_ADDR", ":8080"), "listen address (env HALLMARK_ADDR)")
	loadDemo := fs.Bool("demo", envOr("HALLMARK_DEMO", "") == "1", "load the demo banner (额济纳旗) into an empty database (env HALLMARK_DEMO=1)")
	secure := fs.Bool("secure-cookies", envOr("HALLMARK_SECURE_COOKIES", "") == "1", "mark cookies Secure, when served over TLS (env HALLMARK_SECURE_COOKIES=1)")
	public := fs.String("public-url", envOr("HALLMARK_PUBLIC_URL", ""), "the address the public reaches the platform at, e.g. https://trace.example.gov.cn, for QR labels and report links (env HALLMARK_PUBLIC_URL; default: the address each request came to)")
	privateHooks := fs.Bool("private-webhooks", envOr("HALLMARK_PRIVATE_WEBHOOKS", "") == "1", "let EPCIS webhook subscriptions deliver to this machine and private networks, e.g. a relay on the same host (env HALLMARK_PRIVATE_WEBHOOKS=1; default: public addresses only)")
	blobs := fs.String("blobs", envOr("HALLMARK_BLOBS", ""), "folder of evidence files (env HALLMARK_BLOBS; default: blobs/ beside the SQLite file, ./blobs for PostgreSQL)")
	verbose := fs.Bool("v", false, "log every request")
	if err := parse(fs, args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := newLogger(errOut, level)
	inst, err := app.Start(ctx, app.Options{Addr: *addr, DB: *db, Demo: *loadDemo, Logger: log, Secure: *secure, PublicURL: *public, PrivateWebhooks: *privateHooks, Blobs: *blobs})
	if err != nil {
		return err
	}
	where := *db
	if store.IsPostgres(where) {
		where = "PostgreSQL"
	}
	fmt.Fprintf(out, "Hallmark %s listening on %s (database: %s, started in %s)\n", version, inst.URL, where,
		inst.Started.Round(time.Millisecond))
	if *loadDemo {
		fmt.Fprintf(out, "Demo accounts %v, password %q (demo only).\n", app.DemoAccounts(), demo.Password)
	}
	<-ctx.Done()
	fmt.Fprintln(out, "shutting down…")
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return inst.Stop(shutdown)
}

func cmdMigrate(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs, db := flags("migrate", errOut)
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := app.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	cur, latest, err := d.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "database at version %d (latest %d)\n", cur, latest)
	return nil
}
