package plan_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

// ibClock is a movable clock for plan operations.
type ibClock struct{ now time.Time }

func (c *ibClock) at(t testing.TB, day string) { c.now = ibDay(t, day).Add(10 * time.Hour) }

// bulletinPlan is a hand-built half year: ten tasks of three departments in
// every state, with reports and lights before and after the period's end
// (30 June 2021), and three rectifications that the bulletin lists.
type bulletinPlan struct {
	id                                 string
	m1, m2, m3, m4, m5, m6, f1, f2, f3 string
	h1                                 string
	r1, r2, r3                         string
}

func buildBulletinPlan(t *testing.T, ctx context.Context, clock *ibClock, w *ibWorld) *bulletinPlan {
	t.Helper()
	b := &bulletinPlan{}
	var item string
	b.id, item = w.plan(t, "2021年质量强旗工作要点")
	mk, fm, hs := w.market.ID, w.farm.ID, w.housing.ID
	task := func(seq int, title, dept string, s ibTask) string {
		s.Plan, s.Item, s.Seq, s.Title, s.Dept = b.id, item, seq, title, dept
		return w.task(t, s)
	}
	b.m1 = task(1, "双随机抽查全覆盖", mk, ibTask{DoneOn: "2021-03-15", Deadline: "2021-06-30", Owner: w.marketUser.ID})
	w.report(t, b.m1, "2021-03-10", 60, "过半")
	w.report(t, b.m1, "2021-03-15", 100, "全部完成")
	b.m2 = task(2, "企业信用风险分类", mk, ibTask{})
	w.light(t, b.m2, "2021-01-05", "green", "light.cause.on_track", "")
	w.report(t, b.m2, "2021-03-31", 40, "按计划推进")
	w.report(t, b.m2, "2021-06-20", 55, "已完成第二批")
	b.m3 = task(3, "计量器具强制检定", mk, ibTask{Light: "red"})
	w.light(t, b.m3, "2021-01-05", "green", "light.cause.on_track", "")
	w.light(t, b.m3, "2021-04-01", "yellow", "light.cause.lag", `{"lag":"15"}`)
	w.light(t, b.m3, "2021-05-01", "red", "light.cause.lag", `{"lag":"35"}`)
	w.report(t, b.m3, "2021-05-10", 10, "")
	b.m4 = task(4, "重点商品备案", mk, ibTask{Measure: "trace.filings", Percent: 70, Light: "green"})
	b.m5 = task(5, "质量提升行动", mk, ibTask{DoneOn: "2021-07-10"})
	w.light(t, b.m5, "2021-01-05", "green", "", "")
	w.report(t, b.m5, "2021-06-25", 90, "收尾阶段")
	b.m6 = task(6, "标准化示范", mk, ibTask{Light: "red"})
	w.light(t, b.m6, "2021-01-05", "green", "", "")
	w.light(t, b.m6, "2021-04-01", "yellow", "light.cause.lag", "")
	w.light(t, b.m6, "2021-05-15", "green", "", "")
	w.light(t, b.m6, "2021-06-10", "yellow", "light.cause.missed", "")
	w.light(t, b.m6, "2021-07-02", "red", "light.cause.escalated", "") // after the period
	w.report(t, b.m6, "2021-05-31", 30, "推进中")
	w.report(t, b.m6, "2021-07-05", 80, "加快推进") // after the period
	b.f1 = task(1, "绿色有机认证", fm, ibTask{})
	w.light(t, b.f1, "2021-01-05", "green", "", "")
	w.report(t, b.f1, "2021-06-01", 50, "牧区推广")
	b.f2 = task(2, "农产品质量追溯", fm, ibTask{})
	w.light(t, b.f2, "2021-01-05", "green", "", "")
	w.light(t, b.f2, "2021-06-01", "yellow", "light.cause.lag", "")
	w.report(t, b.f2, "2021-05-01", 20, "资金未到位")
	b.f3 = task(3, "兽药残留监测", fm, ibTask{DoneOn: "2021-06-30", Deadline: "2021-06-30"})
	w.light(t, b.f3, "2021-01-05", "green", "", "")
	w.report(t, b.f3, "2021-04-15", 50, "")
	b.h1 = task(1, "工程质量安全手册", hs, ibTask{Deadline: "2021-05-31"})
	w.report(t, b.h1, "2021-03-01", 20, "施工许可延迟")
	// Not in the bulletin: a draft, a sub-task, and a task published after the period.
	task(2, "草稿任务", hs, ibTask{Status: "draft"})
	task(3, "子任务", hs, ibTask{Parent: b.h1})
	task(4, "下半年任务", hs, ibTask{PublishedOn: "2021-07-01"})

	clock.at(t, "2021-04-12")
	in, err := plan.CreateInspection(ctx, w.db, w.office, plan.InspectionInput{PlanID: b.id, Title: "一季度督查",
		DepartmentID: mk, VisitDate: "2021-04-12"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.AddInspectionTasks(ctx, w.db, w.office, in.ID, []string{b.m2, b.m3}); err != nil {
		t.Fatal(err)
	}
	demand := func(taskID, content, dept, deadline string) string {
		f, err := plan.RecordFinding(ctx, w.db, w.office, in.ID, plan.FindingInput{TaskID: taskID, Content: content})
		if err != nil {
			t.Fatal(err)
		}
		r, err := plan.DemandRectification(ctx, w.db, w.office, f.ID, plan.RectificationInput{DepartmentID: dept, Demand: "整改：" + content, Deadline: deadline})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	b.r1 = demand(b.m3, "检定计划未落实", "", "2021-05-31")
	b.r2 = demand("", "配合单位职责不清", fm, "2021-07-15")
	b.r3 = demand(b.m2, "分类结果未公示", "", "2021-04-30")
	clock.at(t, "2021-04-28")
	if _, err := plan.AddRectificationUpdate(ctx, w.db, w.marketUser, b.r3, plan.RectificationUpdateInput{Kind: plan.UpdateDone, Note: "已公示"}); err != nil {
		t.Fatal(err)
	}
	clock.at(t, "2021-05-06")
	if _, err := plan.CloseRectification(ctx, w.db, w.office, b.r3, "核查属实"); err != nil {
		t.Fatal(err)
	}
	clock.at(t, "2021-07-05")
	demand(b.m2, "七月新发现", "", "2021-07-31") // after the period: not listed
	clock.at(t, "2021-07-20")
	return b
}

func TestBulletinFiguresOnAHandBuiltPlan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		clock := &ibClock{}
		ctx := plan.WithClock(context.Background(), func() time.Time { return clock.now })
		w := newIBWorld(t, db)
		p := buildBulletinPlan(t, ctx, clock, w)

		before := ibSnapshot(t, db)
		_, err := plan.GenerateBulletin(ctx, db, w.office, plan.BulletinInput{PlanID: p.id, From: "2021-07-01", To: "2021-06-30"})
		ibWantRule(t, err, "to", "rule.date.min")
		_, err = plan.GenerateBulletin(ctx, db, w.office, plan.BulletinInput{PlanID: "nope", From: "2021-1-1", To: ""})
		ibWantRule(t, err, "plan", "rule.plan.unknown")
		ibWantRule(t, err, "from", "rule.date.format")
		ibWantRule(t, err, "to", "rule.required")
		_, err = plan.GenerateBulletin(ctx, db, w.outsider, plan.BulletinInput{PlanID: p.id, From: "2021-01-01", To: "2021-06-30"})
		ibWantRule(t, err, "plan", "rule.plan.unknown")
		ibWantIs(t, errOf(plan.GenerateBulletin(ctx, db, w.marketUser, plan.BulletinInput{PlanID: p.id, From: "2021-01-01", To: "2021-06-30"})), fielderr.ErrForbidden)
		if after := ibSnapshot(t, db); after != before {
			t.Fatalf("refused bulletins changed the database:\n%s\n%s", before, after)
		}

		b, err := plan.GenerateBulletin(ctx, db, w.office, plan.BulletinInput{PlanID: p.id, From: "2021-01-01", To: "2021-06-30",
			DocNumber: "阿左质强办〔2021〕5号"})
		if err != nil {
			t.Fatal(err)
		}
		if b.Title != "2021年质量强旗工作要点进展情况通报" || b.Issuer != w.officeDept.Name || b.Status != plan.BulletinDraft || b.Version != 1 {
			t.Fatalf("header %+v", b)
		}
		if !strings.Contains(b.Narrative, "共安排任务10项，已完成2项") {
			t.Fatalf("narrative %q", b.Narrative)
		}
		// Stored and read back, the figures are the same.
		got, err := plan.GetBulletin(ctx, db, w.office, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		d := got.Data
		want := plan.BulletinSummary{Total: 10, Done: 2, Green: 4, Yellow: 2, Red: 2, Progress: 54.5, DoneRate: 20,
			Measured: 1, Reported: 9, Rectifications: 3, RectificationsOpen: 2, RectificationsOverdue: 1}
		if d.Summary != want {
			t.Fatalf("summary\n%+v, want\n%+v", d.Summary, want)
		}

		type deptWant struct {
			id                              string
			total, done, green, yellow, red int
			progress                        float64
			rows                            []string
			standing                        []string
		}
		wantDepts := []deptWant{
			{w.farm.ID, 3, 1, 1, 1, 0, 56.7, []string{p.f1, p.f2, p.f3}, []string{"green", "yellow", "done"}},
			{w.market.ID, 6, 1, 3, 1, 1, 59.2, []string{p.m1, p.m2, p.m3, p.m4, p.m5, p.m6},
				[]string{"done", "green", "red", "green", "green", "yellow"}},
			{w.housing.ID, 1, 0, 0, 0, 1, 20, []string{p.h1}, []string{"red"}},
		}
		if len(d.Departments) != len(wantDepts) {
			t.Fatalf("%d departments, want 3: %+v", len(d.Departments), d.Departments)
		}
		rows := map[string]plan.BulletinRow{}
		for i, wd := range wantDepts {
			gd := d.Departments[i]
			if gd.ID != wd.id || gd.Total != wd.total || gd.Done != wd.done || gd.Green != wd.green || gd.Yellow != wd.yellow ||
				gd.Red != wd.red || gd.Progress != wd.progress {
				t.Fatalf("department %d = %+v, want %+v", i, gd, wd)
			}
			var ids, standing []string
			for _, r := range gd.Rows {
				ids = append(ids, r.TaskID)
				standing = append(standing, r.Standing)
				rows[r.TaskID] = r
			}
			if !slices.Equal(ids, wd.rows) || !slices.Equal(standing, wd.standing) {
				t.Fatalf("%s rows %v %v, want %v %v", gd.Name, ids, standing, wd.rows, wd.standing)
			}
		}
		// As of the period's end: later reports, lights and completion do not count.
		if r := rows[p.m5]; r.Progress != 90 || r.Standing != "green" || r.Note != "收尾阶段" {
			t.Fatalf("m5 %+v", r)
		}
		if r := rows[p.m6]; r.Progress != 30 || r.Light != "yellow" || r.YellowCount != 2 || r.Cause != "light.cause.missed" {
			t.Fatalf("m6 %+v", r)
		}
		// Explanation: the last report's note, else the light's cause.
		if r := rows[p.m3]; r.Explanation("zh-CN") == "" || r.Cause != "light.cause.lag" || r.CauseParams["lag"] != "35" || r.Rectify != p.r1 {
			t.Fatalf("m3 %+v", r)
		}
		if r := rows[p.m2]; r.Explanation("en") != "已完成第二批" || r.Progress != 55 {
			t.Fatalf("m2 %+v", r)
		}
		if r := rows[p.m4]; !r.Measured || r.MeasureKey != "trace.filings" || r.Progress != 70 {
			t.Fatalf("m4 (measured) %+v", r)
		}
		if r := rows[p.h1]; r.Light != "red" || r.Owner != "" || r.Note != "施工许可延迟" {
			t.Fatalf("h1 (past its deadline) %+v", r)
		}
		if r := rows[p.m1]; r.Owner != w.marketUser.Name || r.DoneOn != "2021-03-15" || r.Progress != 100 || r.Label != "一" {
			t.Fatalf("m1 %+v", r)
		}

		var good []string
		for _, e := range d.GoodExamples {
			good = append(good, e.TaskID+":"+e.Reason)
		}
		if want := []string{p.m1 + ":early", p.m5 + ":ahead", p.m4 + ":ahead", p.m2 + ":ahead", p.f1 + ":ahead"}; !slices.Equal(good, want) {
			t.Fatalf("good examples %v, want %v", good, want)
		}
		if d.GoodExamples[0].DaysEarly != 107 {
			t.Fatalf("m1 done %d days early, want 107", d.GoodExamples[0].DaysEarly)
		}

		if len(d.Laggards) != 2 {
			t.Fatalf("laggards %+v", d.Laggards)
		}
		if l := d.Laggards[0]; l.DepartmentID != w.market.ID || l.Red != 1 || l.RepeatedYellow != 1 || len(l.Items) != 2 ||
			l.Items[0].TaskID != p.m3 || l.Items[1].TaskID != p.m6 {
			t.Fatalf("first laggard %+v", l)
		}
		if l := d.Laggards[1]; l.DepartmentID != w.housing.ID || l.Red != 1 || l.RepeatedYellow != 0 || len(l.Items) != 1 || l.Items[0].TaskID != p.h1 {
			t.Fatalf("second laggard %+v", l)
		}

		type rectWant struct {
			id, dept, deadline, status string
			overdue                    bool
		}
		var rects []rectWant
		for _, r := range d.Rectifications {
			rects = append(rects, rectWant{r.ID, r.DepartmentID, r.Deadline, r.Status, r.Overdue})
		}
		wantRects := []rectWant{
			{p.r3, w.market.ID, "2021-04-30", "closed", false},
			{p.r1, w.market.ID, "2021-05-31", "open", true},
			{p.r2, w.farm.ID, "2021-07-15", "open", false},
		}
		if !slices.Equal(rects, wantRects) {
			t.Fatalf("rectifications\n%+v, want\n%+v", rects, wantRects)
		}

		var trend []string
		for _, pt := range d.Trend {
			trend = append(trend, pt.Day+"="+strconv.FormatFloat(pt.Progress, 'f', -1, 64)+"/"+strconv.Itoa(pt.Done))
		}
		wantTrend := []string{"2021-01-31=0/0", "2021-02-28=0/0", "2021-03-31=16/1", "2021-04-30=21/1", "2021-05-31=27/1", "2021-06-30=54.5/2"}
		if !slices.Equal(trend, wantTrend) {
			t.Fatalf("trend %v, want %v", trend, wantTrend)
		}

		// Who may read it: the office always, the departments once published.
		ibWantIs(t, errOf(plan.GetBulletin(ctx, db, w.marketUser, b.ID)), fielderr.ErrNotFound)
		if list, err := plan.ListBulletins(ctx, db, w.marketUser, plan.BulletinFilter{}); err != nil || len(list) != 0 {
			t.Fatalf("market lists %+v, %v", list, err)
		}
		if list, err := plan.ListBulletins(ctx, db, w.office, plan.BulletinFilter{PlanID: p.id}); err != nil || len(list) != 1 || list[0].Data != nil {
			t.Fatalf("office lists %+v, %v", list, err)
		}
	})
}

func TestPublishedBulletinIsImmutableAndRevisedAsANewVersion(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		clock := &ibClock{}
		ctx := plan.WithClock(context.Background(), func() time.Time { return clock.now })
		w := newIBWorld(t, db)
		p := buildBulletinPlan(t, ctx, clock, w)
		b, err := plan.GenerateBulletin(ctx, db, w.office, plan.BulletinInput{PlanID: p.id, From: "2021-01-01", To: "2021-06-30"})
		if err != nil {
			t.Fatal(err)
		}
		title, doc, narrative := "关于2021年上半年质量强旗工作进展情况的通报", "阿左质强办〔2021〕5号", "上半年，各成员单位……"
		b, err = plan.UpdateBulletinDraft(ctx, db, w.office, b.ID, plan.BulletinPatch{Title: &title, DocNumber: &doc, Narrative: &narrative})
		if err != nil {
			t.Fatal(err)
		}
		if b.Title != title || b.DocNumber != doc || b.Narrative != narrative || b.Data == nil || b.Data.Summary.Total != 10 {
			t.Fatalf("draft %+v", b)
		}
		bad := "2021-02-30"
		ibWantRule(t, errOf(plan.UpdateBulletinDraft(ctx, db, w.office, b.ID, plan.BulletinPatch{IssuedOn: &bad})), "issued_on", "rule.date.format")
		ibWantIs(t, errOf(plan.UpdateBulletinDraft(ctx, db, w.marketUser, b.ID, plan.BulletinPatch{Title: &title})), fielderr.ErrNotFound)
		ibWantIs(t, errOf(plan.PublishBulletin(ctx, db, w.marketUser, b.ID)), fielderr.ErrNotFound)
		ibWantRule(t, errOf(plan.ReviseBulletin(ctx, db, w.office, b.ID)), "status", "rule.bulletin.not_published")

		clock.at(t, "2021-07-21")
		v1, err := plan.PublishBulletin(ctx, db, w.office, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v1.Status != plan.BulletinPublished || v1.IssuedOn != "2021-07-21" || v1.PublishedBy != w.office.ID {
			t.Fatalf("published %+v", v1)
		}
		// Once published, nothing changes: each field tried is named.
		before := ibSnapshot(t, db)
		other := "改"
		_, err = plan.UpdateBulletinDraft(ctx, db, w.office, b.ID, plan.BulletinPatch{Title: &other, Narrative: &other})
		ibWantRule(t, err, "title", "rule.bulletin.published")
		ibWantRule(t, err, "narrative", "rule.bulletin.published")
		ibWantRule(t, errOf(plan.RecomputeBulletin(ctx, db, w.office, b.ID)), "data", "rule.bulletin.published")
		ibWantRule(t, errOf(plan.PublishBulletin(ctx, db, w.office, b.ID)), "status", "rule.bulletin.published")
		if after := ibSnapshot(t, db); after != before {
			t.Fatalf("edits of a published bulletin changed the database:\n%s\n%s", before, after)
		}
		// The departments now see it.
		if seen, err := plan.GetBulletin(ctx, db, w.farmUser, b.ID); err != nil || seen.Narrative != narrative {
			t.Fatalf("farm reads %+v, %v", seen, err)
		}

		// A correction is version 2, superseding version 1 once published.
		v2, err := plan.ReviseBulletin(ctx, db, w.office, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v2.ID == b.ID || v2.Version != 2 || v2.Supersedes != b.ID || v2.Status != plan.BulletinDraft || v2.Title != title ||
			v2.Narrative != narrative || v2.Data.Summary != v1.Data.Summary {
			t.Fatalf("revision %+v", v2)
		}
		ibWantRule(t, errOf(plan.ReviseBulletin(ctx, db, w.office, b.ID)), "status", "rule.bulletin.revised")
		// The data has moved on since: the correction recomputes as of the same end.
		if _, err := db.Exec(ctx, `UPDATE tasks SET status = 'done', done_at = ? WHERE id = ?`, ibAt(t, "2021-06-29"), p.h1); err != nil {
			t.Fatal(err)
		}
		v2, err = plan.RecomputeBulletin(ctx, db, w.office, v2.ID)
		if err != nil || v2.Data.Summary.Done != 3 || v2.Data.Summary.Red != 1 {
			t.Fatalf("recomputed %+v, %v", v2.Data.Summary, err)
		}
		fix := "（更正）" + title
		if _, err := plan.UpdateBulletinDraft(ctx, db, w.office, v2.ID, plan.BulletinPatch{Title: &fix}); err != nil {
			t.Fatal(err)
		}
		if old, _ := plan.GetBulletin(ctx, db, w.office, b.ID); old.Status != plan.BulletinPublished || old.SupersededBy != "" {
			t.Fatalf("an unpublished correction superseded the original: %+v", old)
		}
		clock.at(t, "2021-07-23")
		if _, err := plan.PublishBulletin(ctx, db, w.office, v2.ID); err != nil {
			t.Fatal(err)
		}
		old, err := plan.GetBulletin(ctx, db, w.office, b.ID)
		if err != nil || old.Status != plan.BulletinSuperseded || old.SupersededBy != v2.ID || old.Title != title || old.Data.Summary.Done != 2 {
			t.Fatalf("original after the correction %+v, %v", old, err)
		}
		ibWantRule(t, errOf(plan.ReviseBulletin(ctx, db, w.office, b.ID)), "status", "rule.bulletin.revised")
		list, err := plan.ListBulletins(ctx, db, w.farmUser, plan.BulletinFilter{PlanID: p.id})
		if err != nil || len(list) != 2 || list[0].Version != 2 || list[1].Version != 1 {
			t.Fatalf("farm lists %+v, %v", list, err)
		}
		if n := ibCount(t, db, `SELECT COUNT(*) FROM events WHERE topic LIKE 'bulletin.%'`); n != 7 {
			t.Fatalf("%d bulletin events, want 7 (generated, updated, published, revised, updated ×2, published)", n)
		}
	})
}

func TestBulletinExportsToExcel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		clock := &ibClock{}
		ctx := plan.WithClock(context.Background(), func() time.Time { return clock.now })
		w := newIBWorld(t, db)
		p := buildBulletinPlan(t, ctx, clock, w)
		b, err := plan.GenerateBulletin(ctx, db, w.office, plan.BulletinInput{PlanID: p.id, From: "2021-01-01", To: "2021-06-30",
			DocNumber: "阿左质强办〔2021〕5号"})
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range []string{"zh-CN", "en"} {
			var buf bytes.Buffer
			if err := plan.ExportBulletin(&buf, b, lang); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			names := plan.BulletinSheetNames(lang)
			if got := f.GetSheetList(); !slices.Equal(got, names) {
				t.Fatalf("%s sheets %v, want %v", lang, got, names)
			}
			table, err := f.GetRows(names[1])
			if err != nil {
				t.Fatal(err)
			}
			if len(table) != 11 {
				t.Fatalf("%s: %d rows in the department table, want a header and 10", lang, len(table))
			}
			found := false
			for _, r := range table[1:] {
				if r[2] == "计量器具强制检定" {
					found = true
					wantDept, wantStatus := "阿拉善左旗市场监督管理局", "红灯"
					if lang == "en" {
						wantDept, wantStatus = "Market Regulation Bureau", "Red"
					}
					if r[0] != wantDept || r[5] != "10" || r[6] != wantStatus {
						t.Fatalf("%s row %v", lang, r)
					}
				}
			}
			if !found {
				t.Fatalf("%s: table lacks the red task: %v", lang, table)
			}
			if lang == "zh-CN" && (table[1][0] != "阿拉善左旗农牧局" || table[10][0] != "阿拉善左旗住房和城乡建设局") {
				t.Fatalf("departments out of order: %v", table)
			}
			rect, err := f.GetRows(names[2])
			if err != nil || len(rect) != 4 {
				t.Fatalf("%s rectifications %v, %v", lang, rect, err)
			}
			summary, err := f.GetRows(names[0])
			if err != nil {
				t.Fatal(err)
			}
			if summary[0][0] != b.Title || summary[1][1] != "阿左质强办〔2021〕5号" {
				t.Fatalf("summary head %v", summary[:3])
			}
			f.Close()
		}
	})
}

func TestBulletinChartsAreWellFormedSVG(t *testing.T) {
	t.Parallel()
	b := &plan.Bulletin{Data: &plan.BulletinData{
		Departments: []plan.BulletinDepartment{
			{ID: "a", Name: "市场监管局", NameEn: "Market & <Quality>", Progress: 59.2, Red: 1},
			{ID: "b", Name: "农牧局", Progress: 100},
			{ID: "c", Name: "住建局\"特别\"", Progress: 0, Yellow: 2},
			{ID: "", Name: "", Progress: 12.5},
		},
		Trend: []plan.BulletinTrendPoint{{Day: "2021-01-31"}, {Day: "2021-02-28", Progress: 5}, {Day: "2021-03-15", Progress: 16}},
	}}
	for _, lang := range []string{"zh-CN", "en"} {
		bars := plan.BulletinChartSVG(b, plan.ChartDepartments, lang)
		elems := svgElements(t, bars)
		if elems["rect.bar"] != len(b.Data.Departments) {
			t.Fatalf("%s: %d bars, want one per department (%d):\n%s", lang, elems["rect.bar"], len(b.Data.Departments), bars)
		}
		if lang == "en" && !bytes.Contains(bars, []byte("Market &amp; &lt;Quality&gt;")) {
			t.Fatalf("names not escaped:\n%s", bars)
		}
		line := plan.BulletinChartSVG(b, plan.ChartTrend, lang)
		elems = svgElements(t, line)
		if elems["circle.point"] != 3 || elems["polyline.line"] != 1 {
			t.Fatalf("%s trend elements %v:\n%s", lang, elems, line)
		}
		label := "3月15日"
		if lang == "en" {
			label = "Mar 15"
		}
		if !bytes.Contains(line, []byte(label)) {
			t.Fatalf("%s trend lacks the label %q:\n%s", lang, label, line)
		}
	}
	if plan.BulletinChartSVG(b, "pie", "zh-CN") != nil || plan.BulletinChartSVG(&plan.Bulletin{}, plan.ChartTrend, "en") != nil {
		t.Fatal("unknown chart or missing figures should give nil")
	}
}

// svgElements parses doc as XML and counts elements by name.class.
func svgElements(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	out := map[string]int{}
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Space + " " + se.Name.Local
			}
			key := se.Name.Local
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					key += "." + a.Value
				}
			}
			out[key]++
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Fatalf("root element %q, want svg in the SVG namespace", root)
	}
	return out
}
