package lab

import (
	"context"
	"strconv"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// RemindExpiring reminds each institution whose CMA certificate ends
// within ReminderDays of day, and the office (admins) of its region: once
// at 90, 30 and 7 days before the end and once when it has ended, each
// reminder once per certificate end (a renewed certificate is reminded
// afresh). A run that finds an institution past several thresholds at once
// (the job did not run for a while) sends only the nearest. It returns how
// many reminders it sent; a second run on the same day sends none.
func RemindExpiring(ctx context.Context, db *store.DB, day time.Time) (int, error) {
	edge := workday.FormatDate(workday.Midnight(day).AddDate(0, 0, ReminderDays[0]))
	rows, err := db.Query(ctx, `SELECT `+institutionCols+` FROM lab_institutions WHERE status <> ? AND cma_valid_to <= ?
		ORDER BY cma_valid_to, id`, InstitutionRevoked, edge)
	if err != nil {
		return 0, err
	}
	var due []*Institution
	for rows.Next() {
		in, err := scanInstitution(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, in := range due {
		left := daysUntil(day, in.CMAValidTo)
		threshold := -1
		switch {
		case left < 0:
			threshold = 0 // ended
		default:
			for _, d := range ReminderDays {
				if left <= d {
					threshold = d // ReminderDays runs from the farthest to the nearest
				}
			}
		}
		if threshold < 0 {
			continue
		}
		ok, err := remindOne(ctx, db, in, threshold, left)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

func remindOne(ctx context.Context, db *store.DB, in *Institution, threshold, left int) (bool, error) {
	sent := false
	err := db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO lab_reminders (institution_id, valid_to, days, sent_at) VALUES (?,?,?,?)
			ON CONFLICT (institution_id, valid_to, days) DO NOTHING`, in.ID, in.CMAValidTo, threshold, nowOf(ctx).UnixMilli())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		kind := "lab.cma.expiring"
		if threshold == 0 {
			kind = "lab.cma.expired"
		}
		key := kind + ":" + in.ID + ":" + in.CMAValidTo + ":" + strconv.Itoa(threshold)
		p := map[string]string{"institution": in.Name, "cma_number": in.CMANumber, "valid_to": in.CMAValidTo,
			"days": strconv.Itoa(max(left, 0))}
		n := notify.Notice{Kind: kind, Params: p, Link: "/lab/institutions/" + in.ID, DedupeKey: key}
		if _, err := notify.ToInstitution(ctx, tx, in.ID, n); err != nil {
			return err
		}
		if _, err := notify.ToRole(ctx, tx, in.RegionCode, auth.RoleAdmin, n); err != nil {
			return err
		}
		sent = true
		return audit.Write(ctx, tx, audit.Entry{Action: "remind", Entity: "lab_institution", EntityID: in.ID,
			RegionCode: in.RegionCode, After: map[string]any{"valid_to": in.CMAValidTo, "days": threshold, "days_left": left}})
	})
	return sent, err
}
