package filing_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace/filing"
)

type fixture struct {
	db                         *store.DB
	ctx                        context.Context
	office, officer, inspector *auth.User
	right                      *auth.User
	shop, other                *registry.Enterprise
	shopUser, otherUser        *auth.User
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	if err := registry.SeedRegions(ctx, db); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, ctx: ctx}
	depts := map[string]string{}
	for _, region := range []string{"152921", "152922"} {
		d, err := registry.CreateDepartment(ctx, db, &auth.User{ID: "setup", Role: auth.RoleAdmin, RegionCode: region},
			registry.DepartmentInput{Name: "市场监督管理局 " + region, IsOffice: true})
		if err != nil {
			t.Fatal(err)
		}
		depts[region] = d.ID
	}
	user := func(name string, role auth.Role, region, ent string) *auth.User {
		dept := ""
		if role != auth.RoleEnterprise {
			dept = depts[region]
		}
		u, err := auth.CreateUser(ctx, db, auth.NewUser{Username: name, Name: name, Password: "correct-horse-9", Role: role,
			RegionCode: region, EnterpriseID: ent, DepartmentID: dept})
		if err != nil {
			t.Fatalf("user %s: %v", name, err)
		}
		return u
	}
	f.office = user("office", auth.RoleAdmin, "152921", "")
	f.officer = user("officer", auth.RoleOfficer, "152921", "")
	f.inspector = user("inspector", auth.RoleInspector, "152921", "")
	f.right = user("right", auth.RoleOfficer, "152922", "")
	mk := func(who *auth.User, uscc, name, region string) *registry.Enterprise {
		e, err := registry.CreateEnterprise(ctx, db, who, registry.EnterpriseInput{USCC: uscc, Name: name, RegionCode: region})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return e
	}
	f.shop = mk(f.officer, "91152201078371135X", "巴彦浩特母婴用品店", "152921")
	f.other = mk(f.right, "91440300708461136T", "阿拉善右旗建材商店", "152922")
	f.shopUser = user("shop", auth.RoleEnterprise, "152921", f.shop.ID)
	f.otherUser = user("other", auth.RoleEnterprise, "152922", f.other.ID)
	return f
}

func formula() filing.Input {
	return filing.Input{ProductName: "较大婴儿配方奶粉（6-12月龄，2段）", Category: "infant_formula", GTIN: "6901234567892",
		Spec: "800g/罐", Manufacturer: "内蒙古某乳业有限公司", LicenceNo: "SC10515290100015", SupplierName: "阿拉善盟母婴用品批发部",
		Lots:      []filing.Lot{{Lot: "20240301", Quantity: 48, Unit: "罐"}, {Lot: "20240315", Quantity: 24, Unit: "H87"}},
		Documents: "出厂检验报告 No. 2024-0301；产品注册证书 国食注字YP20180001"}
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	list, ok := fielderr.As(err)
	if !ok {
		t.Fatalf("want a field error, got %v", err)
	}
	out := map[string]string{}
	for _, e := range list {
		out[e.Field] = e.Rule
	}
	return out
}

// kinds lists the kinds of u's notifications.
func kinds(t *testing.T, f *fixture, u *auth.User) []string {
	t.Helper()
	list, _, err := notify.List(f.ctx, f.db, u.ID, false, 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range list {
		out = append(out, n.Kind)
	}
	slices.Sort(out)
	return out
}

func TestReviewFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		fl, err := filing.Submit(f.ctx, db, f.shopUser, formula())
		if err != nil {
			t.Fatal(err)
		}
		if fl.Status != filing.StatusSubmitted || fl.EnterpriseID != f.shop.ID || len(fl.Lots) != 2 || fl.Lots[0].Unit != "XCX" || fl.Lots[1].Unit != "H87" {
			t.Fatalf("submitted %+v", fl)
		}
		// The office of the region hears of it; the enterprise does not.
		for _, u := range []*auth.User{f.office, f.officer} {
			if got := kinds(t, f, u); !slices.Equal(got, []string{"filing.submitted"}) {
				t.Fatalf("%s: %v", u.Username, got)
			}
		}
		if got := kinds(t, f, f.right); len(got) != 0 {
			t.Fatalf("another region's officer told: %v", got)
		}

		// The enterprise cannot review, nor can an inspector; a return needs a reason.
		if _, err := filing.Review(f.ctx, db, f.shopUser, fl.ID, filing.ReviewInput{Decision: filing.DecisionApprove}); !errors.Is(err, fielderr.ErrForbidden) {
			t.Fatalf("enterprise reviews: %v", err)
		}
		if _, err := filing.Review(f.ctx, db, f.inspector, fl.ID, filing.ReviewInput{Decision: filing.DecisionApprove}); !errors.Is(err, fielderr.ErrForbidden) {
			t.Fatalf("inspector reviews: %v", err)
		}
		if _, err := filing.Review(f.ctx, db, f.right, fl.ID, filing.ReviewInput{Decision: filing.DecisionApprove}); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("another region reviews: %v", err)
		}
		if got := fields(t, mustErr(filing.Review(f.ctx, db, f.officer, fl.ID, filing.ReviewInput{Decision: filing.DecisionReturn}))); got["reason"] != "rule.required" {
			t.Fatalf("return without reason: %v", got)
		}
		if got := fields(t, mustErr(filing.Review(f.ctx, db, f.officer, fl.ID, filing.ReviewInput{Decision: "maybe"}))); got["decision"] != "rule.filing.decision" {
			t.Fatalf("bad decision: %v", got)
		}
		// A submitted filing cannot be edited yet.
		if got := fields(t, mustErr(filing.Resubmit(f.ctx, db, f.shopUser, fl.ID, formula()))); got["status"] != "rule.filing.not_returned" {
			t.Fatalf("edit while submitted: %v", got)
		}

		returned, err := filing.Review(f.ctx, db, f.officer, fl.ID, filing.ReviewInput{Decision: filing.DecisionReturn,
			Reason: "请补充产品注册证书扫描件"})
		if err != nil || returned.Status != filing.StatusReturned || returned.ReturnReason != "请补充产品注册证书扫描件" {
			t.Fatalf("return: %+v %v", returned, err)
		}
		if got := kinds(t, f, f.shopUser); !slices.Equal(got, []string{"filing.returned"}) {
			t.Fatalf("enterprise told %v", got)
		}
		if !filing.CanEdit(f.shopUser, returned) || filing.CanEdit(f.otherUser, returned) {
			t.Fatal("who may edit")
		}

		in := formula()
		in.Lots = append(in.Lots, filing.Lot{Lot: "20240320", Quantity: 12, Unit: "XBX"})
		again, err := filing.Resubmit(f.ctx, db, f.shopUser, fl.ID, in)
		if err != nil || again.Status != filing.StatusSubmitted || again.Version != 2 || len(again.Lots) != 3 || again.ReturnReason != "" {
			t.Fatalf("resubmit: %+v %v", again, err)
		}
		// The office is told again, once per submission.
		if got := kinds(t, f, f.officer); !slices.Equal(got, []string{"filing.submitted", "filing.submitted"}) {
			t.Fatalf("officer told %v", got)
		}
		approved, err := filing.Review(f.ctx, db, f.office, fl.ID, filing.ReviewInput{Decision: filing.DecisionApprove})
		if err != nil || approved.Status != filing.StatusApproved || approved.ReviewedBy != f.office.ID {
			t.Fatalf("approve: %+v %v", approved, err)
		}
		if got := fields(t, mustErr(filing.Review(f.ctx, db, f.office, fl.ID, filing.ReviewInput{Decision: filing.DecisionReturn, Reason: "x"}))); got["decision"] != "rule.filing.not_submitted" {
			t.Fatalf("review twice: %v", got)
		}
		var steps []string
		for _, c := range approved.History {
			steps = append(steps, c.From+">"+c.To)
		}
		if want := []string{">submitted", "submitted>returned", "returned>submitted", "submitted>approved"}; !slices.Equal(steps, want) {
			t.Fatalf("history %v, want %v", steps, want)
		}
		if approved.History[1].Reason != "请补充产品注册证书扫描件" || approved.History[1].ActorName != "officer" {
			t.Fatalf("the return in history: %+v", approved.History[1])
		}
		if got := kinds(t, f, f.shopUser); !slices.Equal(got, []string{"filing.approved", "filing.returned"}) {
			t.Fatalf("enterprise told %v", got)
		}
	})
}

func mustErr(_ *filing.Filing, err error) error { return err }

func TestFilingRulesAndVisibility(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		_, err := filing.Submit(f.ctx, db, f.shopUser, filing.Input{Category: "rare_earth", GTIN: "123",
			LicenceNo: "SC1", SupplierUSCC: "91152201078371135Y",
			Lots: []filing.Lot{{Lot: "", Quantity: -1, Unit: "斤"}}})
		got := fields(t, err)
		for k, v := range map[string]string{"product_name": "rule.required", "category": "rule.filing.category",
			"gtin": "rule.gs1.length", "spec": "rule.required", "manufacturer": "rule.required",
			"licence_no": "rule.licence.sc.format", "supplier_uscc": "rule.uscc.checksum", "supplier_name": "rule.required",
			"lots.0.lot": "rule.required", "lots.0.quantity": "rule.ledger.quantity", "lots.0.unit": "rule.ledger.unit",
			"documents": "rule.filing.documents"} {
			if got[k] != v {
				t.Errorf("%s: %q, want %q", k, got[k], v)
			}
		}
		in := formula()
		in.Category, in.Lots, in.GTIN = filing.CategoryOther, nil, ""
		got = fields(t, mustErr(filing.Submit(f.ctx, db, f.shopUser, in)))
		if got["category_note"] != "rule.required" || got["lots"] != "rule.filing.lots" || got["gtin"] != "rule.filing.code" {
			t.Fatalf("got %v", got)
		}

		// The office switches rare earths on (and building materials off).
		if err := filing.SetCategories(f.ctx, db, f.officer, []string{"rare_earth"}); !errors.Is(err, fielderr.ErrForbidden) {
			t.Fatalf("an officer changed the categories: %v", err)
		}
		if err := filing.SetCategories(f.ctx, db, f.office, []string{"infant_formula", "agri_inputs", "rare_earth"}); err != nil {
			t.Fatal(err)
		}
		cats, err := filing.Categories(f.ctx, db)
		if err != nil || !slices.Equal(cats, []string{"infant_formula", "agri_inputs", "rare_earth", "other"}) {
			t.Fatalf("categories %v %v", cats, err)
		}
		in = formula()
		in.Category = "rare_earth"
		mine, err := filing.Submit(f.ctx, db, f.shopUser, in)
		if err != nil {
			t.Fatal(err)
		}
		in.Category = "building_materials"
		if got := fields(t, mustErr(filing.Submit(f.ctx, db, f.shopUser, in))); got["category"] != "rule.filing.category" {
			t.Fatalf("a switched-off category: %v", got)
		}

		// An officer files for an enterprise of the region by USCC.
		in = formula()
		in.EnterpriseUSCC = "91152201078371135X"
		byOfficer, err := filing.Submit(f.ctx, db, f.officer, in)
		if err != nil || byOfficer.EnterpriseID != f.shop.ID {
			t.Fatalf("officer files: %v", err)
		}
		theirs, err := filing.Submit(f.ctx, db, f.otherUser, formula())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := filing.Get(f.ctx, db, f.shopUser, theirs.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("the shop reads another's filing: %v", err)
		}
		list, total, err := filing.List(f.ctx, db, f.shopUser, filing.Filter{})
		if err != nil || total != 2 {
			t.Fatalf("shop's list: %d %v", total, err)
		}
		for _, x := range list {
			if x.EnterpriseID != f.shop.ID {
				t.Fatalf("shop sees %s", x.EnterpriseName)
			}
		}
		if _, total, _ := filing.List(f.ctx, db, f.officer, filing.Filter{Category: "rare_earth"}); total != 1 {
			t.Fatalf("category filter: %d", total)
		}
		if _, total, _ := filing.List(f.ctx, db, f.inspector, filing.Filter{Q: "母婴"}); total != 2 {
			t.Fatalf("q filter: %d", total)
		}
		if _, err := filing.Get(f.ctx, db, f.right, mine.ID); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("the right banner reads the left's filing: %v", err)
		}
	})
}
