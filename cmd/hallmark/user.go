package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/hallmark-platform/hallmark/internal/app"
	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/locales"
)

var stdin io.Reader = os.Stdin

func cmdUser(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(errOut, "usage: hallmark user add|list|passwd [flags]")
		return errUsage
	}
	sub, args := args[0], args[1:]
	fs, db := flags("user "+sub, errOut)
	var (
		username  = fs.String("username", "", "the account's username")
		name      = fs.String("name", "", "display name (add)")
		role      = fs.String("role", "", "admin, officer, inspector, institution, enterprise or expert (add; list filter)")
		region    = fs.String("region", "152923", "GB/T 2260 region code (add)")
		dept      = fs.String("department", "", "department id (add: admin, officer, inspector)")
		ent       = fs.String("enterprise", "", "enterprise id (add: enterprise)")
		inst      = fs.String("institution", "", "institution id (add: institution)")
		fromStdin = fs.Bool("password-stdin", false, "read the password from standard input instead of asking")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if sub != "add" && sub != "list" && sub != "passwd" {
		fmt.Fprintf(errOut, "unknown: hallmark user %s (add, list, passwd)\n", sub)
		return errUsage
	}
	// The command line acts as the system, recorded as such in the audit trail.
	ctx = audit.WithActor(ctx, audit.Actor{ID: "cli", Name: "hallmark " + sub})
	d, err := app.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	readPassword := func() (string, error) {
		if !*fromStdin {
			fmt.Fprint(errOut, "password: ")
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	switch sub {
	case "add":
		pw, err := readPassword()
		if err != nil {
			return err
		}
		if auth.Role(*role) == auth.RoleInstitution && *inst != "" {
			// The database cannot hold the link; the register is checked here.
			if err := lab.CheckUserInstitution(ctx, d, *inst, *region); err != nil {
				return explain(err)
			}
		}
		u, err := auth.CreateUser(ctx, d, auth.NewUser{Username: *username, Name: *name, Password: pw,
			Role: auth.Role(*role), RegionCode: *region, DepartmentID: *dept, EnterpriseID: *ent, InstitutionID: *inst})
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(out, "added %s (%s), id %s\n", u.Username, u.Role, u.ID)
	case "passwd":
		u, err := auth.UserByUsername(ctx, d, *username)
		if err != nil {
			return fmt.Errorf("no user %q", *username)
		}
		pw, err := readPassword()
		if err != nil {
			return err
		}
		if err := auth.ResetPassword(ctx, d, u.ID, pw); err != nil {
			return explain(err)
		}
		fmt.Fprintf(out, "password of %s set\n", u.Username)
	case "list":
		users, total, err := auth.ListUsers(ctx, d, auth.UserFilter{Role: auth.Role(*role), Limit: 500})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tNAME\tROLE\tREGION\tDISABLED\tID")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", u.Username, u.Name, u.Role, u.RegionCode, u.Disabled, u.ID)
		}
		tw.Flush()
		fmt.Fprintf(out, "%d users\n", total)
	default:
		fmt.Fprintf(errOut, "unknown: hallmark user %s (add, list, passwd)\n", sub)
		return errUsage
	}
	return nil
}

// explain turns field errors into lines a person at a terminal can act on.
func explain(err error) error {
	list, ok := fielderr.As(err)
	if !ok {
		return err
	}
	var b strings.Builder
	for _, e := range list {
		fmt.Fprintf(&b, "\n  --%s: %s", flagName(e.Field), explainRule(e.Rule, e.Params))
	}
	return errors.New("invalid input:" + b.String())
}

// explainRule is a rule's message for a terminal, in English: logs and
// scripts are read by administrators of either language.
func explainRule(rule string, params map[string]any) string {
	return locales.T(locales.EN, rule, params)
}

// flagName maps a domain field to the flag that sets it.
func flagName(field string) string {
	switch field {
	case "new":
		return "password"
	}
	return strings.TrimSuffix(strings.TrimSuffix(field, "_id"), "_code")
}
