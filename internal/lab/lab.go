// Package lab runs the testing system (质量检测体系, domain-cn.md §6–7):
// testing institutions with their CMA qualification and capability scope,
// sampling tasks, samples and their chain of custody, results judged
// against the limits catalogue, reports that anyone can verify, the
// enterprise's objection and the re-test, and the supervision of the
// institutions themselves.
//
// Who does what:
//   - officials (admin, officer; inspectors read) keep the register of
//     institutions of their region, set sampling tasks, assign re-tests and
//     read supervision flags;
//   - an institution's users record the samples assigned to it, their
//     custody and results, and draft and approve its reports (two different
//     users: 授权签字人 approve what another drafted);
//   - an enterprise sees its own samples and reports and objects within the
//     statutory window.
//
// Issued reports never change. A correction is a new version that
// supersedes the old one, with a reason; an attempt to change an issued
// report is refused, audited and flagged. A nonconforming result emits
// TopicNonconforming (the recall module proposes a recall from it) once per
// sample: see event.go for when.
package lab

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/clock"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Text limits.
const (
	MaxName   = 200
	MaxText   = 200
	MaxReason = 2000
	MaxItems  = 200
)

// WithClock returns a context whose writes and judgements use now instead
// of the wall clock (tests, and the web server's configured clock).
func WithClock(ctx context.Context, now func() time.Time) context.Context {
	return clock.With(ctx, now)
}

func nowOf(ctx context.Context) time.Time { return clock.Now(ctx) }

// isOfficial: staff who see the testing system of their region.
func isOfficial(who *auth.User) bool {
	if who == nil || who.Disabled || who.RegionCode == "" {
		return false
	}
	switch who.Role {
	case auth.RoleAdmin, auth.RoleOfficer, auth.RoleInspector:
		return true
	}
	return false
}

// isManager: officials who may change the register, set tasks and assign
// re-tests (inspectors only read).
func isManager(who *auth.User) bool {
	return isOfficial(who) && (who.Role == auth.RoleAdmin || who.Role == auth.RoleOfficer)
}

// institutionOf is the institution an institution user acts for, "" for
// anyone else.
func institutionOf(who *auth.User) string {
	if who == nil || who.Disabled || who.Role != auth.RoleInstitution {
		return ""
	}
	return who.InstitutionID
}

// enterpriseOf is the enterprise an enterprise user acts for, "" otherwise.
func enterpriseOf(who *auth.User) string {
	if who == nil || who.Disabled || who.Role != auth.RoleEnterprise {
		return ""
	}
	return who.EnterpriseID
}

// inRegion reports whether an official's region covers code.
func inRegion(who *auth.User, code string) bool {
	return isOfficial(who) && registry.RegionCovers(who.RegionCode, code)
}

// fold is the key categories and items are matched on, the limits
// catalogue's own (width, case, spaces, "以…计" notes), so that a scope
// entry, a result and a limit for "铅（以 Pb 计）" and "铅" meet.
func fold(s string) string { return limits.Key(s) }

// scanner is a row or rows.
type scanner interface{ Scan(...any) error }

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fielderr.ErrNotFound
	}
	return err
}

// checkDate validates a 'YYYY-MM-DD' field.
func checkDate(errs *fielderr.List, field, v string, required bool) {
	if v == "" {
		if required {
			errs.Add(field, "rule.required")
		}
		return
	}
	if _, err := workday.ParseDate(v); err != nil {
		errs.Add(field, "rule.date.format")
	}
}

// nextNumber takes the next value of a yearly counter inside tx.
func nextNumber(ctx context.Context, tx *store.Tx, scope string, year int) (int, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO lab_counters (scope, year, last) VALUES (?, ?, 0) ON CONFLICT (scope, year) DO NOTHING`,
		scope, year); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE lab_counters SET last = last + 1 WHERE scope = ? AND year = ?`, scope, year); err != nil {
		return 0, err
	}
	var n int
	err := tx.QueryRow(ctx, `SELECT last FROM lab_counters WHERE scope = ? AND year = ?`, scope, year).Scan(&n)
	return n, err
}

// codeAlphabet leaves out characters people confuse on paper (0/O, 1/I/L,
// 2/Z, 5/S, 8/B, U/V): a verification code is read off a printed report.
const codeAlphabet = "34679ACDEFGHJKMNPQRTWXY"

// CodeLength is the length of a verification code: 23^8 ≈ 7.8·10^10
// codes, so guessing one for a known number is hopeless.
const CodeLength = 8

func newCode() string {
	out := make([]byte, 0, CodeLength)
	b := make([]byte, 16)
	for len(out) < CodeLength {
		if _, err := rand.Read(b); err != nil {
			panic(fmt.Sprintf("lab: no randomness: %v", err))
		}
		for _, c := range b {
			// 230 = 10·23: rejecting the rest keeps every character equally likely.
			if c < 230 && len(out) < CodeLength {
				out = append(out, codeAlphabet[int(c)%len(codeAlphabet)])
			}
		}
	}
	return string(out)
}

// normalizeCode folds what a reader types: case, spaces and dashes.
func normalizeCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "", "-", "").Replace(s)
}
