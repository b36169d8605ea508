package registry

import (
	"context"
	"strconv"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// NotifyExpiringLicences tells the holders of every licence that is
// expiring or expired on today, and the users of the enterprise's
// supervising department, once per licence and state: notification kinds
// "licence.expiring" and "licence.expired" (catalog keys
// "notify.licence.expiring" and "notify.licence.expired", with the params
// number, kind, enterprise, valid_to and days). It emits the same-named
// event and returns how many licences it reported. A renewed licence (a new
// valid_to) is reported afresh when its new end approaches; running the job
// again on the same day reports nothing.
func NotifyExpiringLicences(ctx context.Context, db *store.DB, today time.Time) (int, error) {
	days, err := ExpiringDays(ctx, db)
	if err != nil {
		return 0, err
	}
	edge := civilDay(today).AddDate(0, 0, days).Format(dateLayout)
	type due struct{ id, mark string }
	rows, err := db.Query(ctx, `SELECT id, valid_to, revoked, notified_state FROM licences
		WHERE revoked = ? AND valid_to <= ? AND notified_state <> ('expired:' || valid_to) ORDER BY valid_to, id`, false, edge)
	if err != nil {
		return 0, err
	}
	var todo []due
	for rows.Next() {
		var id, validTo, notified string
		var revoked bool
		if err := rows.Scan(&id, &validTo, &revoked, &notified); err != nil {
			rows.Close()
			return 0, err
		}
		state, _ := LicenceState(validTo, revoked, today, days)
		if mark := state + ":" + validTo; (state == StateExpiring || state == StateExpired) && mark != notified {
			todo = append(todo, due{id, mark})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range todo {
		sent, err := notifyLicence(ctx, db, d.id, today, days)
		if err != nil {
			return n, err
		}
		if sent {
			n++
		}
	}
	return n, nil
}

// notifyLicence reports one licence in its own transaction, re-reading it
// under lock so that two runs at once report it once.
func notifyLicence(ctx context.Context, db *store.DB, id string, today time.Time, days int) (bool, error) {
	sent := false
	err := db.Tx(ctx, func(tx *store.Tx) error {
		l, err := getLicence(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		var notified, deptID string
		if err := tx.QueryRow(ctx, `SELECT l.notified_state, COALESCE(e.department_id, '') FROM licences l
			JOIN enterprises e ON e.id = l.enterprise_id WHERE l.id = ?`, id).Scan(&notified, &deptID); err != nil {
			return err
		}
		l.computeState(today, days)
		mark := l.State + ":" + l.ValidTo
		if (l.State != StateExpiring && l.State != StateExpired) || mark == notified {
			return nil
		}
		kind := "licence." + l.State
		n := notify.Notice{
			Kind: kind,
			Params: map[string]string{"number": l.Number, "kind": l.Kind, "enterprise": l.EnterpriseName,
				"valid_to": l.ValidTo, "days": strconv.Itoa(l.DaysLeft)},
			Link:      "/licences/" + l.ID,
			DedupeKey: kind + ":" + l.ID + ":" + l.ValidTo,
		}
		users, err := notify.ToEnterprise(ctx, tx, l.EnterpriseID, n)
		if err != nil {
			return err
		}
		if deptID != "" {
			m, err := notify.ToDepartment(ctx, tx, deptID, n)
			if err != nil {
				return err
			}
			users += m
		}
		if _, err := tx.Exec(ctx, `UPDATE licences SET notified_state = ? WHERE id = ?`, mark, id); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "notify", Entity: "licence", EntityID: l.ID, RegionCode: l.RegionCode,
			After: map[string]any{"state": l.State, "valid_to": l.ValidTo, "days_left": l.DaysLeft, "users": users}}); err != nil {
			return err
		}
		ev := licenceEvent(l)
		ev["state"], ev["days_left"], ev["department_id"] = l.State, l.DaysLeft, deptID
		sent = true
		return jobs.Emit(ctx, tx, kind, ev)
	})
	return sent, err
}
