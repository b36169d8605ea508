// Package demo loads the demo banner, 额济纳旗 (Ejina Banner, 152923): its
// townships, the leading group's member departments, a few hundred
// enterprises with licences (some expiring, some expired) and products, and
// one account per role. Everything goes through the domain packages, so the
// demo is validated, audited and evented like real data.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Region is the demo banner.
const Region = "152923"

// Password is every demo account's password.
const Password = "hallmark-demo"

// ErrNotEmpty is returned when the database already holds data: the demo
// never mixes with real records.
var ErrNotEmpty = errors.New("the database already holds data; the demo loads only into an empty database (use a new --db file)")

// department is a member unit of the leading group.
type department struct {
	name, short, en string
	office          bool
	remit           []string // GB/T 4754 sections it supervises
}

// The member departments the speech names (市场监管、农牧、住建、文化和旅游、工信), the
// office at the market-regulation bureau, and the others a banner's leading
// group usually has.
var departments = []department{
	{"额济纳旗市场监督管理局", "市场监管局", "Market Regulation Bureau", true, []string{"C", "F", "H", "O"}},
	{"额济纳旗农牧局", "农牧局", "Agriculture and Animal Husbandry Bureau", false, []string{"A"}},
	{"额济纳旗住房和城乡建设局", "住建局", "Housing and Urban-Rural Development Bureau", false, []string{"E", "K"}},
	{"额济纳旗文化旅游体育局", "文旅局", "Culture, Tourism and Sports Bureau", false, []string{"R", "N"}},
	{"额济纳旗工业和信息化局", "工信局", "Industry and Information Technology Bureau", false, []string{"B", "C", "D", "I"}},
	{"额济纳旗卫生健康委员会", "卫健委", "Health Commission", false, []string{"Q"}},
	{"额济纳旗交通运输局", "交通局", "Transport Bureau", false, []string{"G"}},
	{"额济纳旗应急管理局", "应急局", "Emergency Management Bureau", false, nil},
	{"额济纳旗商务局", "商务局", "Commerce Bureau", false, []string{"F"}},
	{"额济纳旗教育局", "教育局", "Education Bureau", false, []string{"P"}},
}

// Load fills an empty database with the demo banner. Files (the photos of
// the samples' seals) go into the blob folder blobDir ("" for the
// database's default, blob.DirFor). now fixes the demo's "today" so licence
// states come out as intended.
func Load(ctx context.Context, db *store.DB, blobDir string, log *slog.Logger, now time.Time) error {
	empty, err := isEmpty(ctx, db)
	if err != nil {
		return err
	}
	if !empty {
		return ErrNotEmpty
	}
	begin := time.Now()
	ctx = audit.WithActor(ctx, audit.Actor{ID: "demo", Name: "demo loader"})
	if err := registry.SeedRegions(ctx, db); err != nil {
		return fmt.Errorf("demo regions: %w", err)
	}
	// The loader acts as the office of the demo banner.
	office := &auth.User{ID: "demo", Username: "demo", Role: auth.RoleAdmin, RegionCode: Region}
	deptIDs := map[string]string{}
	for _, d := range departments {
		made, err := registry.CreateDepartment(ctx, db, office, registry.DepartmentInput{
			RegionCode: Region, Name: d.name, ShortName: d.short, NameEn: d.en, IsOffice: d.office, Remit: d.remit})
		if err != nil {
			return fmt.Errorf("demo department %s: %w", d.name, err)
		}
		deptIDs[d.short] = made.ID
	}
	office.DepartmentID = deptIDs["市场监管局"]
	rng := rand.New(rand.NewPCG(2021, 152923))
	ents, err := loadEnterprises(ctx, db, office, rng, deptIDs, now)
	if err != nil {
		return err
	}
	labs, err := loadInstitutions(ctx, db, office, now)
	if err != nil {
		return err
	}
	if err := loadUsers(ctx, db, deptIDs, ents[0], labs); err != nil {
		return err
	}
	if err := loadPlan(ctx, db, deptIDs, now); err != nil {
		return err
	}
	parties, err := loadTrace(ctx, db, now)
	if err != nil {
		return err
	}
	// The samples are judged against the shipped limits (a new installation
	// has them; the demo's database may not have been opened by the app).
	if _, err := limits.SeedDefaults(ctx, db); err != nil {
		return fmt.Errorf("demo limits: %w", err)
	}
	if blobDir == "" {
		blobDir = blob.DirFor(db.DSN())
	}
	blobs, err := blob.Open(blobDir)
	if err != nil {
		return err
	}
	report, err := loadLab(ctx, db, blobs, now, parties)
	if err != nil {
		return err
	}
	if err := loadRecall(ctx, db, now, parties.yoghurtB, parties.firstShop, report); err != nil {
		return err
	}
	if err := loadFilings(ctx, db); err != nil {
		return err
	}
	if log != nil {
		log.Info("demo banner loaded", "region", Region, "departments", len(departments),
			"enterprises", len(ents), "took", time.Since(begin).Round(time.Millisecond))
	}
	return nil
}

func isEmpty(ctx context.Context, db *store.DB) (bool, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM enterprises) + (SELECT COUNT(*) FROM departments)`).Scan(&n)
	return n == 0, err
}

// Users lists the demo accounts: username, role, display name.
var Users = []struct {
	Username string
	Role     auth.Role
	Name     string
	Dept     string
}{
	{"admin", auth.RoleAdmin, "系统管理员", "市场监管局"},
	{"office", auth.RoleAdmin, "领导小组办公室 王主任", "市场监管局"},
	{"officer", auth.RoleOfficer, "农牧局 李科长", "农牧局"},
	{"inspector", auth.RoleInspector, "市场监管局 张执法", "市场监管局"},
	{"lab", auth.RoleInstitution, "检验检测中心 检验员 孙工", ""},
	{"lab-signer", auth.RoleInstitution, "检验检测中心 授权签字人 高工", ""},
	{"vehicle-station", auth.RoleInstitution, "机动车检测站 检验员", ""},
	{"enterprise", auth.RoleEnterprise, "企业填报员", ""},
	{"shop", auth.RoleEnterprise, "超市 质量负责人", ""},
	{"expert", auth.RoleExpert, "质量奖评审专家 赵工", ""},
}

func loadUsers(ctx context.Context, db *store.DB, deptIDs map[string]string, firstEnterprise string, labs map[string]string) error {
	for _, u := range Users {
		nu := auth.NewUser{Username: u.Username, Name: u.Name, Password: Password, Role: u.Role, RegionCode: Region}
		switch u.Role {
		case auth.RoleAdmin, auth.RoleOfficer, auth.RoleInspector:
			nu.DepartmentID = deptIDs[u.Dept]
		case auth.RoleEnterprise:
			nu.EnterpriseID = firstEnterprise
			if u.Username == "shop" {
				// The second supermarket of the supply chains: its rape
				// failed the quality month's round, its yoghurt awaits testing.
				if err := db.QueryRow(ctx, `SELECT id FROM enterprises WHERE name LIKE ? AND status = 'active'
					ORDER BY created_at, id LIMIT 1 OFFSET 1`, "%超市%").Scan(&nu.EnterpriseID); err != nil {
					return fmt.Errorf("demo supermarket: %w", err)
				}
			}
		case auth.RoleInstitution:
			nu.InstitutionID = labs[institutionAccounts[u.Username]]
		}
		if _, err := auth.CreateUser(ctx, db, nu); err != nil {
			return fmt.Errorf("demo user %s: %w", u.Username, err)
		}
	}
	return nil
}
