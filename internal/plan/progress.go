package plan

import (
	"context"
	"errors"
	"math"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// MaxReportFiles is how many evidence files one report may carry.
const MaxReportFiles = 20

// ReportInput is a department's progress report on a task.
type ReportInput struct {
	Percent float64 `json:"percent"` // 0–100; 100 marks the task done
	Note    string  `json:"note"`
	Reason  string  `json:"reason"` // required when Percent is below the last report
	Files   []File  `json:"files"`  // files stored with blob.Store.Put: Hash, and the Name to show
}

// TopicProgress is the event emitted with each progress report.
const TopicProgress = "task.progress"

// ReportProgress records a progress report on a task by a user of its lead
// department, in the current period of the plan's cadence, and evaluates
// the task's light at once. Reporting on a task published but not yet
// signed for signs it. It is refused with a field-named error when:
//
//   - "percent" rule.percent.range: Percent is below 0 or above 100;
//   - "reason" rule.progress.below_last: Percent is below the last report and
//     no reason is given;
//   - "task" rule.task.other_department: the task is led by another
//     department (a task who cannot see at all is fielderr.ErrNotFound);
//   - "task" rule.task.closed, rule.task.not_published: the task is closed,
//     or still a draft;
//   - "task" rule.task.measured: the task's progress follows a count;
//   - "files" rule.file.unknown, rule.file.too_many: a file that was not
//     uploaded, or more than MaxReportFiles.
func ReportProgress(ctx context.Context, db *store.DB, who *auth.User, taskID string, in ReportInput) (*Report, error) {
	var out *Report
	err := db.Tx(ctx, func(tx *store.Tx) error {
		t, err := departmentTask(ctx, tx, who, taskID)
		if err != nil {
			return err
		}
		if t.MeasureKey != "" {
			return fielderr.New("task", "rule.task.measured")
		}
		r := Report{ID: store.NewID(), TaskID: t.ID, Percent: math.Round(in.Percent*10) / 10, Note: cleanNote(in.Note),
			Reason: cleanNote(in.Reason), ReportedBy: who.ID, ReporterName: who.Name, ReportedAt: planNowMs(ctx), Files: []File{}}
		if r.ReporterName == "" {
			r.ReporterName = who.Username
		}
		r.Period = PeriodOf(planCadence(ctx, tx, t.PlanID), store.Time(r.ReportedAt)).Key
		var errs fielderr.List
		switch {
		case math.IsNaN(in.Percent) || in.Percent < 0 || in.Percent > 100:
			errs.Add("percent", "rule.percent.range", "min", 0, "max", 100)
		case r.Percent < t.Progress && r.Reason == "":
			errs.Add("reason", "rule.progress.below_last", "last", pct(t.Progress))
		}
		fielderr.CheckText(&errs, "note", r.Note, false, 5000)
		fielderr.CheckText(&errs, "reason", r.Reason, false, 1000)
		if len(in.Files) > MaxReportFiles {
			errs.Add("files", "rule.file.too_many", "max", MaxReportFiles)
		} else {
			seen := map[string]bool{}
			for _, f := range in.Files {
				if seen[f.Hash] {
					continue
				}
				seen[f.Hash] = true
				st, err := blob.Stat(ctx, tx, f.Hash)
				if err != nil {
					if errors.Is(err, fielderr.ErrNotFound) {
						errs.Add("files", "rule.file.unknown", "name", f.Name)
						continue
					}
					return err
				}
				st.Name = cleanText(f.Name)
				if st.Name == "" {
					st.Name = f.Hash[:12]
				}
				r.Files = append(r.Files, st)
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}

		if t.Status == TaskPublished {
			if err := sign(ctx, tx, who, t); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO progress_reports (id, task_id, region_code, period, percent, note, reason,
			measured, reported_by, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.TaskID, t.RegionCode, r.Period, r.Percent, r.Note, r.Reason, false, r.ReportedBy, r.ReportedAt); err != nil {
			return err
		}
		for _, f := range r.Files {
			if _, err := tx.Exec(ctx, `INSERT INTO report_files (report_id, hash, name, size, mime) VALUES (?, ?, ?, ?, ?)`,
				r.ID, f.Hash, f.Name, f.Size, f.Mime); err != nil {
				return err
			}
		}
		status, doneAt := t.Status, any(nil)
		switch {
		case r.Percent >= 100:
			status, doneAt = TaskDone, r.ReportedAt
			if t.Status == TaskDone {
				doneAt = t.DoneAt
			}
		case t.Status == TaskDone:
			status = TaskSigned
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET percent = ?, last_report_at = ?, missed_period = '', status = ?,
			done_at = ?, updated_at = ? WHERE id = ?`, r.Percent, r.ReportedAt, status, doneAt, r.ReportedAt, t.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "report", Entity: "task", EntityID: t.ID,
			RegionCode: t.RegionCode, Before: map[string]any{"percent": t.Progress, "status": t.Status}, After: r}); err != nil {
			return err
		}
		if err := jobs.Emit(ctx, tx, TopicProgress, map[string]any{"task_id": t.ID, "report_id": r.ID,
			"region_code": t.RegionCode, "lead_department": t.LeadDepartmentID, "percent": r.Percent,
			"previous": t.Progress, "status": status}); err != nil {
			return err
		}
		out = &r
		return refreshTask(ctx, tx, t.ID)
	})
	return out, err
}

// planCadence is a plan's cadence (monthly when it cannot be read).
func planCadence(ctx context.Context, q store.Queryer, planID string) string {
	var c string
	if err := q.QueryRow(ctx, `SELECT cadence FROM plans WHERE id = ?`, planID).Scan(&c); err != nil {
		return Monthly
	}
	return c
}

// ListReports lists a task's progress reports, newest first, with their
// evidence files.
func ListReports(ctx context.Context, q store.Queryer, who *auth.User, taskID string) ([]Report, error) {
	if _, err := GetTask(ctx, q, who, taskID); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT r.id, r.task_id, r.period, r.percent, r.note, r.reason, r.measured, r.reported_by,
		COALESCE(NULLIF(u.name, ''), u.username, ''), r.reported_at
		FROM progress_reports r LEFT JOIN users u ON u.id = r.reported_by
		WHERE r.task_id = ? ORDER BY r.reported_at DESC, r.id DESC`, taskID)
	if err != nil {
		return nil, err
	}
	out := []Report{}
	index := map[string]int{}
	for rows.Next() {
		var r Report
		if err := rows.Scan(&r.ID, &r.TaskID, &r.Period, &r.Percent, &r.Note, &r.Reason, &r.Measured, &r.ReportedBy,
			&r.ReporterName, &r.ReportedAt); err != nil {
			rows.Close()
			return nil, err
		}
		r.Files = []File{}
		index[r.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	files, err := q.Query(ctx, `SELECT f.report_id, f.hash, f.name, f.size, f.mime FROM report_files f
		JOIN progress_reports r ON r.id = f.report_id WHERE r.task_id = ? ORDER BY f.name, f.hash`, taskID)
	if err != nil {
		return nil, err
	}
	defer files.Close()
	for files.Next() {
		var id string
		var f File
		if err := files.Scan(&id, &f.Hash, &f.Name, &f.Size, &f.Mime); err != nil {
			return nil, err
		}
		if i, ok := index[id]; ok {
			out[i].Files = append(out[i].Files, f)
		}
	}
	return out, files.Err()
}
