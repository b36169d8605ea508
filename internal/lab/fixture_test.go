package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

const region = "152921"

// world is a banner with its market-regulation bureau (an officer and an
// inspector), two testing institutions with two users each, and two
// enterprises with one user each.
type world struct {
	t                   *testing.T
	db                  *store.DB
	dept                string
	officer, inspector  *auth.User
	instA, instB        *lab.Institution
	labA1, labA2, labB1 *auth.User
	ent, other          string // enterprise IDs
	entUser, otherUser  *auth.User
	photo               string // a seal photo's blob hash
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rule returns the rule of field in err, or "" when err names no such field.
func rule(err error, field string) string {
	l, ok := fielderr.As(err)
	if !ok {
		return ""
	}
	for _, e := range l {
		if e.Field == field {
			return e.Rule
		}
	}
	return ""
}

// shanghai is a wall-clock time in China.
func shanghai(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, workday.Shanghai)
}

// at is a context acting as who at t.
func at(who *auth.User, t time.Time) context.Context {
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: who.ID, Name: who.Name})
	return lab.WithClock(ctx, func() time.Time { return t })
}

// pngBytes is the smallest file the blob store takes for a PNG.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, db: db, dept: store.NewID()}
	bs, err := blob.Open(t.TempDir())
	must(t, err)
	must(t, db.Tx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`INSERT INTO regions (code, name, level) VALUES ('150000', '内蒙古自治区', 'province')`,
			`INSERT INTO regions (code, name, level, parent_code) VALUES ('152900', '阿拉善盟', 'prefecture', '150000')`,
			`INSERT INTO regions (code, name, level, parent_code) VALUES ('152921', '阿拉善左旗', 'county', '152900')`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO departments (id, region_code, name, is_office, created_at, updated_at)
			VALUES (?, '152921', '市场监督管理局', TRUE, 0, 0)`, w.dept); err != nil {
			return err
		}
		w.ent, w.other = store.NewID(), store.NewID()
		for i, id := range []string{w.ent, w.other} {
			if _, err := tx.Exec(ctx, `INSERT INTO enterprises (id, region_code, uscc, name, department_id, created_at, updated_at)
				VALUES (?, '152921', ?, ?, ?, 0, 0)`, id, codes.USCCFromSerial(region, uint64(200+i)), []string{"驼乡乳业", "沙漠食品"}[i], w.dept); err != nil {
				return err
			}
		}
		f, err := bs.Put(ctx, tx, bytes.NewReader(pngBytes), "seal.png", "image/png")
		w.photo = f.Hash
		return err
	}))
	actx := audit.WithActor(ctx, audit.System)
	user := func(name string, role auth.Role, f func(*auth.NewUser)) *auth.User {
		nu := auth.NewUser{Username: name, Name: name, Password: "correct-horse-9", Role: role, RegionCode: region}
		f(&nu)
		u, err := auth.CreateUser(actx, db, nu)
		must(t, err)
		return u
	}
	w.officer = user("officer", auth.RoleOfficer, func(u *auth.NewUser) { u.DepartmentID = w.dept })
	w.inspector = user("inspector", auth.RoleInspector, func(u *auth.NewUser) { u.DepartmentID = w.dept })
	w.entUser = user("dairy", auth.RoleEnterprise, func(u *auth.NewUser) { u.EnterpriseID = w.ent })
	w.otherUser = user("desert", auth.RoleEnterprise, func(u *auth.NewUser) { u.EnterpriseID = w.other })

	octx := at(w.officer, shanghai(2026, 1, 5, 9, 0))
	w.instA, err = lab.CreateInstitution(octx, db, w.officer, lab.InstitutionInput{Name: "阿拉善左旗检验检测中心",
		USCC: codes.USCCFromSerial(region, 900), ReportPrefix: "ALS", CMANumber: "230512345678", CMAValidFrom: "2023-03-01",
		CMAValidTo: "2029-02-28", CNASNumber: "L1234", Scope: []lab.ScopeEntry{
			{Category: "乳制品", Item: "铅", Method: "GB 5009.12-2023"},
			{Category: "乳制品", Item: "菌落总数", Method: "GB 4789.2-2022"},
			{Category: "乳制品", Item: "蛋白质", Method: "GB 5009.5-2016"},
		}})
	must(t, err)
	w.instB, err = lab.CreateInstitution(octx, db, w.officer, lab.InstitutionInput{Name: "阿拉善盟产品质量检验所",
		USCC: codes.USCCFromSerial(region, 901), ReportPrefix: "ALM", CMANumber: "230512340001", CMAValidFrom: "2024-01-01",
		CMAValidTo: "2029-12-31", Scope: []lab.ScopeEntry{
			{Category: "乳制品", Item: "铅", Method: "GB 5009.12-2023"},
			{Category: "乳制品", Item: "菌落总数", Method: "GB 4789.2-2022"},
		}})
	must(t, err)
	instUser := func(name string, in *lab.Institution) *auth.User {
		return user(name, auth.RoleInstitution, func(u *auth.NewUser) { u.InstitutionID = in.ID })
	}
	w.labA1, w.labA2, w.labB1 = instUser("lab-a1", w.instA), instUser("lab-a2", w.instA), instUser("lab-b1", w.instB)
	return w
}

// task sets a sampling task of dairy products for institution A.
func (w *world) task(ctx context.Context, kind string) *lab.Task {
	w.t.Helper()
	tk, err := lab.CreateSamplingTask(ctx, w.db, w.officer, lab.TaskInput{Title: "2026年乳制品监督抽检", Category: "乳制品",
		Kind: kind, Items: []string{"铅", "菌落总数"}, InstitutionID: w.instA.ID, PeriodFrom: "2026-01-01",
		PeriodTo: "2026-12-31", Enterprises: []string{w.ent}})
	must(w.t, err)
	return tk
}

// sample records a sample of the task from the dairy.
func (w *world) sample(ctx context.Context, tk *lab.Task, sampledOn string) *lab.Sample {
	w.t.Helper()
	s, err := lab.CreateSample(ctx, w.db, w.officer, lab.SampleInput{TaskID: tk.ID, EnterpriseID: w.ent, ProductName: "驼奶粉",
		Lot: "20260105A", Quantity: 6, Unit: "袋", SampledOn: sampledOn, Samplers: []string{"张三", "李四"},
		SealPhotos: []string{w.photo}})
	must(w.t, err)
	return s
}

// step records a custody step, failing the test on refusal.
func (w *world) step(ctx context.Context, who *auth.User, s *lab.Sample, step string) {
	w.t.Helper()
	_, err := lab.AddCustodyStep(ctx, w.db, who, s.ID, lab.CustodyInput{Step: step})
	must(w.t, err)
}

func isNotFound(err error) bool  { return errors.Is(err, fielderr.ErrNotFound) }
func isForbidden(err error) bool { return errors.Is(err, fielderr.ErrForbidden) }

func fielderrAs(err error) (fielderr.List, bool) { return fielderr.As(err) }

// events returns the payloads of the outbox's events of topic, oldest first.
func events(t *testing.T, db *store.DB, topic string) []map[string]any {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT payload FROM events WHERE topic = ? ORDER BY created_at, id`, topic)
	must(t, err)
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var p string
		must(t, rows.Scan(&p))
		m := map[string]any{}
		must(t, json.Unmarshal([]byte(p), &m))
		out = append(out, m)
	}
	must(t, rows.Err())
	return out
}
