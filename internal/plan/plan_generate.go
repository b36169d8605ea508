package plan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Parts of synthetic work points: the four systems of the speech, and
// subjects and kinds of work that a banner's plan is made of.
var (
	genSystems = []string{"完善质量监管体系", "完善质量溯源体系", "完善质量检测体系", "完善质量诚信体系", "强化组织保障和宣传引导"}
	genTopics  = []string{"食品安全抽检", "特种设备安全", "计量器具检定", "重点商品备案", "农畜产品质量安全", "建设工程质量",
		"标准化示范", "质量月", "质量奖", "“双随机、一公开”抽查", "食用农产品承诺达标合格证", "认证认可", "检验检测机构",
		"产品质量监督抽查", "缺陷产品召回", "进货查验和索证索票", "驼产品地理标志", "旅游服务质量", "农资打假", "信用风险分类"}
	genActions = []string{"专项行动", "工作", "排查整治", "业务培训", "督导检查", "宣传活动", "示范创建", "数据归集"}
	genGenDept = []string{"市场监督管理局", "农牧局", "住房和城乡建设局", "文化旅游体育局", "工业和信息化局", "卫生健康委员会",
		"交通运输局", "应急管理局", "商务局", "教育局"}
)

// GeneratePlan adds a published plan of the current year (by the context's
// clock) to region with n tasks spread across the region's departments,
// each with an owner of its department, a deadline in the year, and
// progress reports up to today, for demos and benchmarks. A region without
// departments gets the usual member departments, and a department without
// an enabled user gets one. Lights are left to the first Recompute. The
// same seed gives the same work (titles, departments, dates, progress).
func GeneratePlan(ctx context.Context, db *store.DB, region string, n int, seed int64) (string, error) {
	if err := registry.SeedRegions(ctx, db); err != nil {
		return "", err
	}
	reg, err := registry.GetRegion(ctx, db, region)
	if err != nil {
		return "", fmt.Errorf("region %s: %w", region, err)
	}
	office := &auth.User{ID: audit.ActorFrom(ctx).ID, Role: auth.RoleAdmin, RegionCode: region}
	depts, err := registry.ListDepartments(ctx, db, region)
	if err != nil {
		return "", err
	}
	if len(depts) == 0 {
		for i, name := range genGenDept {
			d, err := registry.CreateDepartment(ctx, db, office, registry.DepartmentInput{RegionCode: region,
				Name: reg.Name + name, IsOffice: i == 0})
			if err != nil {
				return "", err
			}
			depts = append(depts, *d)
		}
	}
	r := mrand.New(mrand.NewSource(seed))
	owners := map[string][]string{}
	deptIDs := make([]string, 0, len(depts))
	for _, d := range depts {
		ids, err := enabledUsers(ctx, db, d.ID)
		if err != nil {
			return "", err
		}
		if len(ids) == 0 {
			var pw [12]byte
			_, _ = rand.Read(pw[:])
			short := d.ShortName
			if short == "" {
				short = d.Name
			}
			u, err := auth.CreateUser(ctx, db, auth.NewUser{Username: fmt.Sprintf("gen.%s.%d", region, len(deptIDs)+1),
				Name: short + " 责任人", Password: hex.EncodeToString(pw[:]), Role: auth.RoleOfficer,
				RegionCode: region, DepartmentID: d.ID})
			if err != nil {
				return "", err
			}
			ids = []string{u.ID}
		}
		owners[d.ID] = ids
		deptIDs = append(deptIDs, d.ID)
	}

	today := planToday(ctx)
	year := today.Year()
	p, err := CreatePlan(ctx, db, office, PlanInput{RegionCode: region, Year: year,
		Title: fmt.Sprintf("%s%d年质量强旗工作要点（生成）", reg.Name, year), DocNumber: fmt.Sprintf("质强办〔%d〕%d号", year, 1+r.Intn(20))})
	if err != nil {
		return "", err
	}
	var items []*Item
	for i, sys := range genSystems {
		top, err := AddItem(ctx, db, office, p.ID, ItemInput{Label: []string{"一、", "二、", "三、", "四、", "五、"}[i], Content: sys})
		if err != nil {
			return "", err
		}
		for j := 0; j < 4; j++ {
			it, err := AddItem(ctx, db, office, p.ID, ItemInput{ParentID: top.ID,
				Label:            []string{"（一）", "（二）", "（三）", "（四）"}[j],
				Content:          "开展" + genPick(r, genTopics) + genPick(r, genActions),
				LeadDepartmentID: genPick(r, deptIDs), Deadline: workday.FormatDate(workday.Date(year, 12, 31)), Weight: float64(2 + r.Intn(9))})
			if err != nil {
				return "", err
			}
			items = append(items, it)
		}
	}

	jan1 := workday.Date(year, 1, 1)
	now := planNowMs(ctx)
	tasks := make([]Task, 0, n)
	var supporting [][2]string
	var reports []Report
	for i := 0; i < n; i++ {
		it := items[r.Intn(len(items))]
		lead := genPick(r, deptIDs)
		start := jan1.AddDate(0, 0, r.Intn(90))
		deadline := start.AddDate(0, 0, 30+r.Intn(300))
		if deadline.Year() > year {
			deadline = workday.Date(year, 12, 31)
		}
		t := Task{ID: store.NewID(), PlanID: p.ID, ItemID: it.ID, RegionCode: region, Seq: i + 1,
			Title:            fmt.Sprintf("%s%s（%d）", genPick(r, genTopics), genPick(r, genActions), i+1),
			LeadDepartmentID: lead, OwnerID: genPick(r, owners[lead]), StartDate: workday.FormatDate(start),
			Deadline: workday.FormatDate(deadline), Weight: float64(1 + r.Intn(5)), Status: TaskSigned,
			PublishedAt: store.Millis(start.Add(9 * time.Hour)), CreatedAt: now, UpdatedAt: now}
		t.SignedAt, t.SignedBy = t.PublishedAt, t.OwnerID
		for _, d := range deptIDs {
			if d != lead && r.Intn(len(deptIDs)) < 2 {
				t.Supporting = append(t.Supporting, d)
				supporting = append(supporting, [2]string{t.ID, d})
			}
		}
		// Reports on the report day of each month since the start, most
		// keeping pace with the calendar, some falling behind.
		pace := 0.6 + 0.6*r.Float64()
		span := deadline.Sub(start).Hours()
		for day := start.AddDate(0, 0, 20+r.Intn(10)); !day.After(today) && !day.After(deadline); day = day.AddDate(0, 1, 0) {
			if r.Intn(8) == 0 {
				continue // a missed month
			}
			pct := min(100, float64(int(100*pace*day.Sub(start).Hours()/span)))
			pct = max(pct, t.Progress)
			reports = append(reports, Report{ID: store.NewID(), TaskID: t.ID, Period: PeriodOf(Monthly, day).Key,
				Percent: pct, Note: "按计划推进", ReportedBy: t.OwnerID, ReportedAt: store.Millis(day.Add(10 * time.Hour))})
			t.Progress, t.LastReportAt = pct, store.Millis(day.Add(10*time.Hour))
			if pct >= 100 {
				t.Status, t.DoneAt = TaskDone, t.LastReportAt
				break
			}
		}
		tasks = append(tasks, t)
	}

	err = db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE plans SET status = ?, published_at = ? WHERE id = ?`, PlanPublished,
			store.Millis(jan1.Add(9*time.Hour)), p.ID); err != nil {
			return err
		}
		for i := 0; i < len(tasks); i += writeBatch {
			part := tasks[i:min(i+writeBatch, len(tasks))]
			args := make([]any, 0, len(part)*24)
			for _, t := range part {
				args = append(args, t.ID, t.PlanID, t.ItemID, t.RegionCode, t.Seq, t.Title, t.LeadDepartmentID,
					strings.Join(t.Supporting, ","), t.OwnerID, t.StartDate, t.Deadline, t.Weight, t.Status, t.Progress,
					nullMs(t.LastReportAt), t.PublishedAt, t.SignedAt, t.SignedBy, nullMs(t.DoneAt), taskSearchKey(&t),
					t.CreatedAt, t.UpdatedAt)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO tasks (id, plan_id, item_id, region_code, seq, title, lead_department_id,
				supporting, owner_id, start_date, deadline, weight, status, percent, last_report_at, published_at, signed_at,
				signed_by, done_at, search_key, created_at, updated_at) VALUES `+valuesList(len(part), 22), args...); err != nil {
				return err
			}
		}
		for i := 0; i < len(supporting); i += writeBatch {
			part := supporting[i:min(i+writeBatch, len(supporting))]
			args := make([]any, 0, len(part)*2)
			for _, s := range part {
				args = append(args, s[0], s[1])
			}
			if _, err := tx.Exec(ctx, `INSERT INTO task_supporting (task_id, department_id) VALUES `+valuesList(len(part), 2), args...); err != nil {
				return err
			}
		}
		for i := 0; i < len(reports); i += writeBatch {
			part := reports[i:min(i+writeBatch, len(reports))]
			args := make([]any, 0, len(part)*10)
			for _, rp := range part {
				args = append(args, rp.ID, rp.TaskID, region, rp.Period, rp.Percent, rp.Note, "", false, rp.ReportedBy, rp.ReportedAt)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO progress_reports (id, task_id, region_code, period, percent, note, reason,
				measured, reported_by, reported_at) VALUES `+valuesList(len(part), 10), args...); err != nil {
				return err
			}
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "generate", Entity: "plan", EntityID: p.ID, RegionCode: region,
			After: map[string]any{"tasks": n, "reports": len(reports), "seed": seed}}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "plan.generated", map[string]any{"id": p.ID, "region_code": region, "tasks": n})
	})
	if err != nil {
		return "", err
	}
	analyze := "ANALYZE"
	if db.Dialect == store.Postgres {
		analyze = "ANALYZE tasks, progress_reports, task_supporting"
	}
	if _, err := db.Exec(ctx, analyze); err != nil {
		return "", err
	}
	return p.ID, nil
}

func genPick[T any](r *mrand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

func enabledUsers(ctx context.Context, q store.Queryer, dept string) ([]string, error) {
	return store.Column[string](ctx, q, `SELECT id FROM users WHERE department_id = ? AND disabled = ? ORDER BY id`, dept, false)
}
