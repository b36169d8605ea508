package plan

import (
	"context"
	"strconv"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// RectificationReminders is the daily job for rectifications. On today (a
// calendar day in Asia/Shanghai) it reminds the department of every open
// rectification due within RectificationDueSoonWorkdays working days
// (notification "rectification.due", params demand, deadline, days,
// department, task, inspection), and tells the department and the office of
// the region of every overdue one ("rectification.overdue"). Each reminder
// goes once per rectification and deadline, however often the job runs;
// moving a deadline earns a fresh reminder. It returns how many
// rectifications got a new reminder.
func RectificationReminders(ctx context.Context, db *store.DB, today time.Time) (int, error) {
	cal, err := workday.Load(ctx, db)
	if err != nil {
		return 0, err
	}
	day := workday.FormatDate(today)
	edge := workday.FormatDate(cal.AddWorkdays(today, RectificationDueSoonWorkdays))
	rows, err := db.Query(ctx, `SELECT `+rectificationCols+`, i.title`+rectificationFrom+`
		WHERE r.status <> ? AND r.deadline <= ? ORDER BY r.deadline, r.id`, RectificationClosed, edge)
	if err != nil {
		return 0, err
	}
	type due struct {
		r          *Rectification
		inspection string
		kind       string
		days       int
	}
	var todo []due
	for rows.Next() {
		var r Rectification
		var title string
		if err := rows.Scan(&r.ID, &r.FindingID, &r.InspectionID, &r.PlanID, &r.RegionCode, &r.TaskID, &r.TaskTitle,
			&r.DepartmentID, &r.DepartmentName, &r.Finding, &r.Severity, &r.Demand, &r.Deadline, &r.Status,
			&r.ReportedAt, &r.ReportedBy, &r.ClosedAt, &r.ClosedBy, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt, &title); err != nil {
			rows.Close()
			return 0, err
		}
		r.judge(day)
		switch {
		case r.Overdue:
			todo = append(todo, due{&r, title, "rectification.overdue", 0})
		case r.Status == RectificationOpen && r.Deadline >= day:
			deadline, err := workday.ParseDate(r.Deadline)
			if err != nil {
				continue // validated on the way in; a hand-edited row is not worth failing the job over
			}
			todo = append(todo, due{&r, title, "rectification.due", cal.CountWorkdays(today, deadline)})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range todo {
		n, err := remindRectification(ctx, db, d.r, d.inspection, d.kind, d.days)
		if err != nil {
			return sent, err
		}
		if n > 0 {
			sent++
		}
	}
	return sent, nil
}

func remindRectification(ctx context.Context, db *store.DB, r *Rectification, inspection, kind string, days int) (int, error) {
	users := 0
	err := db.Tx(ctx, func(tx *store.Tx) error {
		params := rectificationParams(r, inspection)
		params["days"] = strconv.Itoa(days)
		n := notify.Notice{Kind: kind, Params: params, Link: "/rectifications/" + r.ID,
			DedupeKey: kind + ":" + r.ID + ":" + r.Deadline}
		if r.DepartmentID != "" {
			c, err := notify.ToDepartment(ctx, tx, r.DepartmentID, n)
			if err != nil {
				return err
			}
			users += c
		}
		if kind == "rectification.overdue" {
			c, err := notify.ToRole(ctx, tx, r.RegionCode, auth.RoleAdmin, n)
			if err != nil {
				return err
			}
			users += c
		}
		if users == 0 {
			return nil // everyone had it already: nothing happened worth a record
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "remind", Entity: "rectification", EntityID: r.ID,
			RegionCode: r.RegionCode, After: map[string]any{"kind": kind, "deadline": r.Deadline, "days": days, "users": users}}); err != nil {
			return err
		}
		ev := rectificationEvent(r)
		ev["days"] = days
		return jobs.Emit(ctx, tx, kind, ev)
	})
	return users, err
}
