package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// pw is a banner (Alxa Left, 152921) whose office runs a plan through the
// domain functions: the office at the market-regulation bureau, the
// agriculture bureau (farm) and the housing bureau, with their users.
type pw struct {
	db                        *store.DB
	office                    *auth.User // admin of the market bureau, the office
	market, farm, housing     *registry.Department
	marketUser                *auth.User
	farmUser, farmUser2       *auth.User
	farmRetired               *auth.User // disabled
	housingUser               *auth.User
	rightOffice               *auth.User // the office of Alxa Right Banner
	planID, itemID, subItemID string
}

func newPW(t *testing.T, db *store.DB) *pw {
	t.Helper()
	ctx := context.Background()
	if err := registry.SeedRegions(ctx, db); err != nil {
		t.Fatal(err)
	}
	w := &pw{db: db}
	boot := &auth.User{ID: "boot", Role: auth.RoleAdmin, RegionCode: "152921"}
	dept := func(name, short string, office bool) *registry.Department {
		d, err := registry.CreateDepartment(ctx, db, boot, registry.DepartmentInput{Name: name, ShortName: short, IsOffice: office})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	w.market = dept("阿拉善左旗市场监督管理局", "市场监管局", true)
	w.farm = dept("阿拉善左旗农牧局", "农牧局", false)
	w.housing = dept("阿拉善左旗住房和城乡建设局", "住建局", false)
	w.office = w.user(t, "office", "质强办 主任", auth.RoleAdmin, w.market.ID, false)
	w.marketUser = w.user(t, "market1", "市场监管局 张三", auth.RoleOfficer, w.market.ID, false)
	w.farmUser = w.user(t, "farm1", "农牧局 王五", auth.RoleOfficer, w.farm.ID, false)
	w.farmUser2 = w.user(t, "farm2", "农牧局 钱七", auth.RoleOfficer, w.farm.ID, false)
	w.farmRetired = w.user(t, "farm9", "农牧局 退休", auth.RoleOfficer, w.farm.ID, true)
	w.housingUser = w.user(t, "housing1", "住建局 赵六", auth.RoleOfficer, w.housing.ID, false)
	w.rightOffice = &auth.User{ID: "right-office", Role: auth.RoleAdmin, RegionCode: "152922"}
	return w
}

// user stores an account straight in its table: these tests are about
// plans, and hashing a password per account would only slow them down.
func (w *pw) user(t *testing.T, username, name string, role auth.Role, dept string, disabled bool) *auth.User {
	t.Helper()
	u := &auth.User{ID: store.NewID(), Username: username, Name: name, Role: role, RegionCode: "152921", DepartmentID: dept, Disabled: disabled}
	now := store.Now()
	if _, err := w.db.Exec(context.Background(), `INSERT INTO users (id, username, name, password_hash, role, region_code,
		department_id, lang, disabled, password_changed_at, created_at, updated_at, search_key)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, u.ID, username, name, "x", string(role), "152921", dept, "", disabled, now, now, now,
		strings.ToLower(username+" "+name)); err != nil {
		t.Fatal(err)
	}
	return u
}

func pwDay(t testing.TB, day string) time.Time {
	t.Helper()
	d, err := workday.ParseDate(day)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// at returns a context whose clock reads 10:00 on day in Asia/Shanghai.
func (w *pw) at(t testing.TB, day string) context.Context {
	t.Helper()
	now := pwDay(t, day).Add(10 * time.Hour)
	return plan.WithClock(context.Background(), func() time.Time { return now })
}

// plan creates a monthly 2024 plan with one work point (and a second-level
// item under it) led by the farm bureau, and publishes it on day.
func (w *pw) plan(t *testing.T, day string, rule plan.Rule) {
	t.Helper()
	ctx := w.at(t, day)
	p, err := plan.CreatePlan(ctx, w.db, w.office, plan.PlanInput{Year: 2024, Title: "2024年质量强旗工作要点",
		DocNumber: "阿左质强办〔2024〕1号", LightRule: rule})
	if err != nil {
		t.Fatal(err)
	}
	it, err := plan.AddItem(ctx, w.db, w.office, p.ID, plan.ItemInput{Label: "一、", Content: "完善质量监管体系"})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := plan.AddItem(ctx, w.db, w.office, p.ID, plan.ItemInput{ParentID: it.ID, Label: "（一）",
		Content: "开展农畜产品质量安全专项整治", LeadDepartmentID: w.farm.ID, Supporting: []string{w.housing.ID},
		Leader: "副旗长 孙八", Deadline: "2024-12-31", Target: "抽检合格率≥98%", Weight: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := plan.PublishPlan(ctx, w.db, w.office, p.ID); err != nil {
		t.Fatal(err)
	}
	w.planID, w.itemID, w.subItemID = p.ID, it.ID, sub.ID
}

// task creates and publishes a task of the farm bureau owned by farm1 on
// day, running from start to deadline.
func (w *pw) task(t *testing.T, day, title, start, deadline string) *plan.Task {
	t.Helper()
	ctx := w.at(t, day)
	tk, err := plan.CreateTask(ctx, w.db, w.office, plan.TaskInput{ItemID: w.subItemID, Title: title,
		OwnerID: w.farmUser.ID, StartDate: start, Deadline: deadline})
	if err != nil {
		t.Fatal(err)
	}
	tk, err = plan.PublishTask(ctx, w.db, w.office, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (w *pw) get(t *testing.T, id string) *plan.Task {
	t.Helper()
	tk, err := plan.GetTask(context.Background(), w.db, w.office, id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (w *pw) report(t *testing.T, day, taskID string, percent float64, reason string) {
	t.Helper()
	if _, err := plan.ReportProgress(w.at(t, day), w.db, w.farmUser, taskID, plan.ReportInput{Percent: percent,
		Note: "按计划推进", Reason: reason}); err != nil {
		t.Fatalf("report %v%% on %s: %v", percent, day, err)
	}
}

func (w *pw) recompute(t *testing.T, day string) plan.RecomputeResult {
	t.Helper()
	res, err := plan.Recompute(w.at(t, day), w.db, pwDay(t, day))
	if err != nil {
		t.Fatalf("recompute on %s: %v", day, err)
	}
	return res
}

func (w *pw) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// pwRule fails unless err is a field error naming field with rule.
func pwRule(t *testing.T, err error, field, rule string) fielderr.Error {
	t.Helper()
	l, ok := fielderr.As(err)
	if !ok {
		t.Fatalf("error = %v, want %s on %s", err, rule, field)
	}
	for _, e := range l {
		if e.Field == field && e.Rule == rule {
			return e
		}
	}
	t.Fatalf("errors %v do not include %s on %s", l, rule, field)
	return fielderr.Error{}
}

func pwIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// lights lists a task's recorded light changes as "previous→light cause".
func (w *pw) lights(t *testing.T, id string) []string {
	t.Helper()
	hist, err := plan.LightHistory(context.Background(), w.db, w.office, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range hist {
		out = append(out, c.Day+" "+c.Previous+"→"+c.Light+" "+strings.TrimPrefix(c.Cause, "light.cause."))
	}
	return out
}
