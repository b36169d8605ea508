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

// Reminder kinds: notification kinds ("notify.<kind>" in the catalogs) and
// the kinds kept in task_reminders.
const (
	RemindDueSoon = "task.due_soon"      // {task} {deadline} {days}: to the owner
	RemindOverdue = "task.overdue"       // {task} {deadline} {days}: to the owner and the lead department
	RemindMissed  = "task.report_missed" // {task} {period}: to the owner
	RemindRed     = "task.red"           // {task} {department} {owner}: to the lead department and the office
)

// ReminderResult counts the reminders a run sent (occasions, not
// notifications: one occasion may notify several people).
type ReminderResult struct {
	DueSoon       int `json:"due_soon"`
	Overdue       int `json:"overdue"`
	Missed        int `json:"missed"`
	Red           int `json:"red"`
	Notifications int `json:"notifications"`
}

type remindRow struct {
	id, title, region, dept, deptName, owner, ownerName, deadline, light, missed, rule string
	lightSince                                                                         int64
}

// SendReminders sends the day's task reminders:
//
//   - due soon: a deadline within the plan rule's DueSoonDays working days
//     (today included), to the owner;
//   - overdue: past the deadline and not done, to the owner and every user of
//     the lead department;
//   - report missed: the period whose report is missing, to the owner;
//   - red: escalation after a task turns red, to every user of the lead
//     department and to the office (the admins of the task's region). The
//     platform has no "head of department" role; the department's users
//     include its head, and the office is who acts on a red item (督办).
//
// Each reminder is sent once per occasion: per deadline (a changed deadline
// is a new occasion), per missed period, per spell of red (from the moment
// the task turned red). The occasions sent are kept in task_reminders and
// the notifications carry dedupe keys built from the task, the kind and the
// occasion, so running it twice a day, or after a restart, sends nothing new.
func SendReminders(ctx context.Context, db *store.DB, today time.Time) (ReminderResult, error) {
	var res ReminderResult
	cal, err := workday.Load(ctx, db)
	if err != nil {
		return res, err
	}
	today = workday.Midnight(today)
	rows, err := db.Query(ctx, `SELECT t.id, t.title, t.region_code, COALESCE(t.lead_department_id, ''), COALESCE(d.name, ''),
		COALESCE(t.owner_id, ''), COALESCE(NULLIF(u.name, ''), u.username, ''), t.deadline, t.light, t.missed_period,
		COALESCE(t.light_since, 0), p.light_rule
		FROM tasks t JOIN plans p ON p.id = t.plan_id LEFT JOIN departments d ON d.id = t.lead_department_id
		LEFT JOIN users u ON u.id = t.owner_id WHERE `+openCond)
	if err != nil {
		return res, err
	}
	var tasks []remindRow
	for rows.Next() {
		var r remindRow
		if err := rows.Scan(&r.id, &r.title, &r.region, &r.dept, &r.deptName, &r.owner, &r.ownerName, &r.deadline,
			&r.light, &r.missed, &r.lightSince, &r.rule); err != nil {
			rows.Close()
			return res, err
		}
		tasks = append(tasks, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	sent := map[string]bool{}
	srows, err := db.Query(ctx, `SELECT r.task_id, r.kind, r.occasion FROM task_reminders r
		JOIN tasks t ON t.id = r.task_id JOIN plans p ON p.id = t.plan_id WHERE `+openCond)
	if err != nil {
		return res, err
	}
	for srows.Next() {
		var id, kind, occasion string
		if err := srows.Scan(&id, &kind, &occasion); err != nil {
			srows.Close()
			return res, err
		}
		sent[id+"\x00"+kind+"\x00"+occasion] = true
	}
	srows.Close()
	if err := srows.Err(); err != nil {
		return res, err
	}

	type reminder struct {
		row            *remindRow
		kind, occasion string
		params         map[string]string
	}
	var due []reminder
	rules := map[string]Rule{}
	add := func(r *remindRow, kind, occasion string, params map[string]string) {
		if !sent[r.id+"\x00"+kind+"\x00"+occasion] {
			params["task"] = shorten(r.title, 80)
			due = append(due, reminder{r, kind, occasion, params})
		}
	}
	for i := range tasks {
		r := &tasks[i]
		deadline, err := workday.ParseDate(r.deadline)
		if err != nil {
			continue
		}
		rule, ok := rules[r.rule]
		if !ok {
			rule = parseRule(r.rule)
			rules[r.rule] = rule
		}
		switch left := cal.CountWorkdays(today, deadline); {
		case today.After(deadline):
			add(r, RemindOverdue, r.deadline, map[string]string{"deadline": r.deadline, "days": strconv.Itoa(-left)})
		case left <= rule.DueSoonDays:
			add(r, RemindDueSoon, r.deadline, map[string]string{"deadline": r.deadline, "days": strconv.Itoa(left)})
		}
		if r.missed != "" {
			add(r, RemindMissed, r.missed, map[string]string{"period": r.missed})
		}
		if r.light == Red && r.lightSince > 0 {
			add(r, RemindRed, strconv.FormatInt(r.lightSince, 10), map[string]string{"department": r.deptName, "owner": r.ownerName})
		}
	}
	if len(due) == 0 {
		return res, nil
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		res = ReminderResult{}
		now := planNowMs(ctx)
		for _, m := range due {
			n := notify.Notice{Kind: m.kind, Params: m.params, Link: "/tasks/" + m.row.id,
				DedupeKey: m.kind + ":" + m.row.id + ":" + m.occasion}
			count := 0
			if m.row.owner != "" && m.kind != RemindRed {
				n.UserID = m.row.owner
				if err := notify.Send(ctx, tx, n); err != nil {
					return err
				}
				count++
			}
			if (m.kind == RemindOverdue || m.kind == RemindRed) && m.row.dept != "" {
				c, err := notify.ToDepartment(ctx, tx, m.row.dept, n)
				if err != nil {
					return err
				}
				count += c
			}
			if m.kind == RemindRed {
				c, err := notify.ToRole(ctx, tx, m.row.region, auth.RoleAdmin, n)
				if err != nil {
					return err
				}
				count += c
			}
			res.Notifications += count
			if _, err := tx.Exec(ctx, `INSERT INTO task_reminders (task_id, kind, occasion, sent_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (task_id, kind, occasion) DO NOTHING`, m.row.id, m.kind, m.occasion, now); err != nil {
				return err
			}
			switch m.kind {
			case RemindDueSoon:
				res.DueSoon++
			case RemindOverdue:
				res.Overdue++
			case RemindMissed:
				res.Missed++
			case RemindRed:
				res.Red++
			}
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "remind", Entity: "task_reminders",
			EntityID: workday.FormatDate(today), After: res}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "task.reminders.sent", map[string]any{"day": workday.FormatDate(today), "result": res})
	})
	return res, err
}

// shorten cuts s to n characters, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
