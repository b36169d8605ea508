package plan_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/measure"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestReportProgressRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-01-10", plan.Rule{})
		tk := w.task(t, "2024-01-10", "农畜产品抽检", "", "2024-06-30")
		w.report(t, "2024-02-01", tk.ID, 40, "")
		ctx := w.at(t, "2024-02-02")
		reports := func() int { return w.count(t, `SELECT COUNT(*) FROM progress_reports WHERE task_id = ?`, tk.ID) }
		before := reports()
		report := func(in plan.ReportInput) error {
			_, err := plan.ReportProgress(ctx, db, w.farmUser, tk.ID, in)
			return err
		}
		e := pwRule(t, report(plan.ReportInput{Percent: 101}), "percent", "rule.percent.range")
		if e.Params["max"] != 100 {
			t.Errorf("params %v", e.Params)
		}
		pwRule(t, report(plan.ReportInput{Percent: -1}), "percent", "rule.percent.range")
		e = pwRule(t, report(plan.ReportInput{Percent: 30}), "reason", "rule.progress.below_last")
		if e.Params["last"] != "40" {
			t.Errorf("params %v", e.Params)
		}
		pwRule(t, report(plan.ReportInput{Percent: 50, Files: []plan.File{{Hash: strings.Repeat("a", 64), Name: "x.pdf"}}}),
			"files", "rule.file.unknown")
		pwRule(t, report(plan.ReportInput{Percent: 50, Note: strings.Repeat("很", 5001)}), "note", "rule.max_length")
		if got := reports(); got != before {
			t.Fatalf("refused reports stored: %d → %d", before, got)
		}
		if got := w.get(t, tk.ID); got.Progress != 40 {
			t.Fatalf("refused report changed progress to %v", got.Progress)
		}
		// With a reason, progress may go down.
		if err := report(plan.ReportInput{Percent: 30, Reason: "部分样品复检不合格，重新抽样"}); err != nil {
			t.Fatal(err)
		}
		if got := w.get(t, tk.ID); got.Progress != 30 {
			t.Errorf("progress %v after a lower report with a reason", got.Progress)
		}

		// Other departments, drafts, closed and measured tasks.
		_, err := plan.ReportProgress(ctx, db, w.housingUser, tk.ID, plan.ReportInput{Percent: 50})
		pwRule(t, err, "task", "rule.task.other_department")
		marketDraft, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: w.itemID, Title: "计量检定",
			LeadDepartmentID: w.market.ID, OwnerID: w.marketUser.ID, Deadline: "2024-05-31"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = plan.ReportProgress(ctx, db, w.office, marketDraft.ID, plan.ReportInput{Percent: 10})
		pwRule(t, err, "task", "rule.task.not_published")
		_, err = plan.ReportProgress(ctx, db, w.marketUser, marketDraft.ID, plan.ReportInput{Percent: 10})
		pwIs(t, err, fielderr.ErrNotFound)

		w.report(t, "2024-02-03", tk.ID, 100, "")
		if _, err := plan.CloseTask(ctx, db, w.office, tk.ID); err != nil {
			t.Fatal(err)
		}
		_, err = plan.ReportProgress(ctx, db, w.farmUser, tk.ID, plan.ReportInput{Percent: 100})
		pwRule(t, err, "task", "rule.task.closed")

		measured, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: w.subItemID, Title: "新增注册企业",
			OwnerID: w.farmUser.ID, Deadline: "2024-12-31", MeasureKey: pwMeasure, MeasureTarget: 10})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.PublishTask(ctx, db, w.office, measured.ID); err != nil {
			t.Fatal(err)
		}
		_, err = plan.ReportProgress(ctx, db, w.farmUser, measured.ID, plan.ReportInput{Percent: 50})
		pwRule(t, err, "task", "rule.task.measured")
	})
}

func TestReportSignsMarksDoneAndKeepsEvidence(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-01-10", plan.Rule{})
		tk := w.task(t, "2024-01-10", "农畜产品抽检", "", "2024-06-30")
		bs, err := blob.Open(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		var f blob.File
		if err := db.Tx(context.Background(), func(tx *store.Tx) error {
			f, err = bs.Put(context.Background(), tx, bytes.NewReader([]byte("%PDF-1.4\n抽检报告\n%%EOF")), "抽检报告.pdf", "application/pdf")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ctx := w.at(t, "2024-03-12")
		r, err := plan.ReportProgress(ctx, db, w.farmUser2, tk.ID, plan.ReportInput{Percent: 60, Note: "完成抽检 120 批次",
			Files: []plan.File{{Hash: f.Hash, Name: "3月抽检报告.pdf"}}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Period != "2024-03" || r.Percent != 60 || len(r.Files) != 1 || r.Files[0].Mime != blob.PDF || r.Files[0].Name != "3月抽检报告.pdf" {
			t.Errorf("report %+v", r)
		}
		got := w.get(t, tk.ID)
		if got.Status != plan.TaskSigned || got.SignedBy != w.farmUser2.ID || got.Progress != 60 || got.LastReportAt != r.ReportedAt {
			t.Errorf("after the first report: %+v", got)
		}
		w.report(t, "2024-05-20", tk.ID, 100, "")
		got = w.get(t, tk.ID)
		if got.Status != plan.TaskDone || got.Light != plan.Green || got.LightCause != plan.CauseDone || got.DoneAt == 0 {
			t.Errorf("after 100%%: %s %s %s", got.Status, got.Light, got.LightCause)
		}
		rs, err := plan.ListReports(ctx, db, w.housingUser, tk.ID)
		if err != nil || len(rs) != 2 || rs[1].Files[0].Hash != f.Hash || rs[0].Percent != 100 || rs[1].ReporterName != "农牧局 钱七" {
			t.Errorf("reports %+v, %v", rs, err)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM audit_log WHERE entity = 'task' AND action = 'report' AND entity_id = ?`, tk.ID); n != 2 {
			t.Errorf("%d audit records of reports", n)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM events WHERE topic = ?`, plan.TopicProgress); n != 2 {
			t.Errorf("%d progress events", n)
		}
		// A done task taken back below 100 (with a reason) is open again.
		w.report(t, "2024-05-21", tk.ID, 90, "验收发现资料不全")
		if got := w.get(t, tk.ID); got.Status != plan.TaskSigned || got.DoneAt != 0 {
			t.Errorf("after going back to 90: %s, done at %d", got.Status, got.DoneAt)
		}
	})
}

// pwMeasure is a count the tests set by hand, per region, in the settings
// table.
const pwMeasure = "plantest.count"

var pwMeasureOnce sync.Once

func init() {
	pwMeasureOnce.Do(func() {
		measure.Register(measure.Counter{Key: pwMeasure, NameZH: "测试计数", NameEN: "Test count", Unit: "unit.items",
			Count: func(ctx context.Context, q store.Queryer, region string, from, to time.Time) (float64, error) {
				var v float64
				err := q.QueryRow(ctx, `SELECT COALESCE(MAX(CAST(value AS DOUBLE PRECISION)), 0) FROM settings WHERE key = ?`,
					pwMeasure+"."+region).Scan(&v)
				return v, err
			}})
	})
}

func setCount(t *testing.T, db *store.DB, region string, v int) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, pwMeasure+"."+region, fmt.Sprint(v), 0); err != nil {
		t.Fatal(err)
	}
}

func TestMeasuredTaskFollowsTheCount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-01-10", plan.Rule{})
		ctx := w.at(t, "2024-01-10")
		_, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: w.subItemID, MeasureKey: "no.such.count"})
		pwRule(t, err, "measure", "rule.task.measure_unknown")
		_, err = plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: w.subItemID, MeasureKey: pwMeasure,
			MeasureBaseline: 100, MeasureTarget: 50})
		pwRule(t, err, "measure_target", "rule.task.measure_target")

		setCount(t, db, "152921", 100)
		tk, err := plan.CreateTask(ctx, db, w.office, plan.TaskInput{ItemID: w.subItemID, Title: "新增市场主体备案 200 户",
			OwnerID: w.farmUser.ID, Deadline: "2024-12-31", MeasureKey: pwMeasure, MeasureBaseline: 100, MeasureTarget: 300})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.PublishTask(ctx, db, w.office, tk.ID); err != nil {
			t.Fatal(err)
		}
		if got := w.get(t, tk.ID); got.Progress != 0 {
			t.Errorf("progress at the baseline %v", got.Progress)
		}
		setCount(t, db, "152921", 190)
		res := w.recompute(t, "2024-06-03")
		if res.Measured != 1 {
			t.Errorf("recompute %+v", res)
		}
		got := w.get(t, tk.ID)
		if got.Progress != 45 || got.Light != plan.Green {
			t.Errorf("at 190 of 100→300: %v%% %s", got.Progress, got.Light)
		}
		// No report is owed, so none is missed.
		if got.MissedPeriod != "" {
			t.Errorf("measured task missed %s", got.MissedPeriod)
		}
		if res := w.recompute(t, "2024-06-04"); res.Measured != 0 {
			t.Errorf("unchanged count recorded again: %+v", res)
		}
		setCount(t, db, "152921", 320)
		w.recompute(t, "2024-07-01")
		got = w.get(t, tk.ID)
		if got.Progress != 100 || got.Status != plan.TaskDone || got.Light != plan.Green {
			t.Errorf("past the target: %v%% %s %s", got.Progress, got.Status, got.Light)
		}
		rs, err := plan.ListReports(ctx, db, w.office, tk.ID)
		if err != nil || len(rs) != 2 || !rs[0].Measured || rs[0].Percent != 100 || rs[1].Percent != 45 {
			t.Errorf("measured reports %+v, %v", rs, err)
		}
	})
}
