package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/auth"
)

// TestFirstAccountsWithoutDemo walks a new installation from an empty
// database to a signed-in office account using only the command line.
func TestFirstAccountsWithoutDemo(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dsn string) {
		code, out, errOut := hallmark(t, "", "department", "add", "--db", dsn, "--name", "额济纳旗市场监督管理局",
			"--short", "市场监管局", "--office", "--remit", "C,F,H")
		if code != 0 {
			t.Fatalf("department add: %d %s %s", code, out, errOut)
		}
		id := regexp.MustCompile(`id (\S+)`).FindStringSubmatch(out)
		if id == nil {
			t.Fatalf("no id in %q", out)
		}
		if code, out, _ := hallmark(t, "", "department", "list", "--db", dsn); code != 0 || !strings.Contains(out, "市场监管局") {
			t.Fatalf("department list: %d %s", code, out)
		}
		code, out, errOut = hallmark(t, "s3cret-office-pw\n", "user", "add", "--db", dsn, "--username", "chief",
			"--role", "admin", "--department", id[1], "--password-stdin")
		if code != 0 {
			t.Fatalf("user add: %d %s %s", code, out, errOut)
		}
		db := openDB(t, dsn)
		if _, err := auth.Authenticate(context.Background(), db, "chief", "s3cret-office-pw", "192.0.2.9"); err != nil {
			t.Fatalf("the new account cannot sign in: %v", err)
		}
		// A mistyped extra argument is refused, not ignored.
		if code, _, _ := hallmark(t, "", "migrate", "--db", dsn, "extra"); code != 2 {
			t.Fatalf("migrate with a stray argument exited %d", code)
		}
	})
}
