// Command hallmark runs the Hallmark quality-programme platform.
//
//	hallmark [serve] [--addr :8080] [--db hallmark.db] [--demo]
//	hallmark migrate | user | backup | audit verify | gen | version
//
// Every flag has an environment twin: --db is HALLMARK_DB, --addr is
// HALLMARK_ADDR.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks a command-line mistake: the usage has been printed.
var errUsage = errors.New("usage")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, out, errOut io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the web server (the default)", cmdServe},
		{"migrate", "apply database migrations", cmdMigrate},
		{"department", "add or list member departments (department add|list)", cmdDepartment},
		{"user", "add, list users or set a password (user add|list|passwd)", cmdUser},
		{"backup", "write a consistent copy of a live SQLite database", cmdBackup},
		{"audit", "verify the audit chain (audit verify)", cmdAudit},
		{"import", "load divisions (CSV) or enterprises (.xlsx) (import regions|enterprises)", cmdImport},
		{"gen", "generate synthetic data for benchmarks", cmdGen},
		{"version", "print the version", cmdVersion},
	}
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	name := "serve"
	if len(args) > 0 && args[0] != "" && (args[0][0] != '-' || args[0] == "-h" || args[0] == "--help") {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "--help" {
		usage(out)
		return 0
	}
	for _, c := range commands() {
		if c.name == name {
			err := c.run(ctx, args, out, errOut)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
				return 2
			default:
				fmt.Fprintln(errOut, "hallmark "+name+":", err)
				return 1
			}
		}
	}
	fmt.Fprintf(errOut, "hallmark: unknown command %q\n\n", name)
	usage(errOut)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Hallmark — 质量强旗综合管理平台\n\nUsage: hallmark <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hallmark <command> -h' for a command's flags.")
}

// flags returns a flag set for a subcommand with the database flag that every
// command that opens the database takes.
func flags(name string, errOut io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("hallmark "+name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	db := fs.String("db", envOr("HALLMARK_DB", "hallmark.db"), "SQLite file, or a postgres:// DSN (env HALLMARK_DB)")
	return fs, db
}

// parse parses a subcommand's flags and refuses anything left over, so a
// mistyped argument is not silently ignored.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func cmdVersion(_ context.Context, _ []string, out, _ io.Writer) error {
	fmt.Fprintln(out, "hallmark", version)
	return nil
}
