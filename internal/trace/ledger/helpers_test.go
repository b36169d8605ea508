package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Codes that pass GB 32100 (domain-cn.md §1.4).
const (
	usccShop    = "91152201078371135X"
	usccWhole   = "911522010783710635"
	usccFarm    = "914403001922038216"
	usccRight   = "91440300708461136T"
	usccOutside = "91440300192317458F"
	gtinMilk    = "6901234567892"
)

type fixture struct {
	db                  *store.DB
	ctx                 context.Context
	officer, right      *auth.User
	shop, whole, other  *registry.Enterprise
	shopUser, wholeUser *auth.User
	otherUser           *auth.User
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{ID: "test", Name: "test"})
	if err := registry.SeedRegions(ctx, db); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, ctx: ctx}
	f.officer = &auth.User{ID: "officer-1", Role: auth.RoleOfficer, RegionCode: "152921"}
	f.right = &auth.User{ID: "right-1", Role: auth.RoleOfficer, RegionCode: "152922"}
	mk := func(who *auth.User, uscc, name, region string) *registry.Enterprise {
		e, err := registry.CreateEnterprise(ctx, db, who, registry.EnterpriseInput{USCC: uscc, Name: name, RegionCode: region,
			Address: name + "地址", ContactPhone: "0483-8221234"})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return e
	}
	f.shop = mk(f.officer, usccShop, "巴彦浩特便民超市", "152921")
	f.whole = mk(f.officer, usccWhole, "阿拉善盟副食品批发有限公司", "152921")
	f.other = mk(f.right, usccRight, "阿拉善右旗粮油店", "152922")
	f.shopUser = entUser(f.shop)
	f.wholeUser = entUser(f.whole)
	f.otherUser = entUser(f.other)
	if _, err := registry.CreateProduct(ctx, db, f.wholeUser, registry.ProductInput{Name: "纯牛奶 250mL", GTIN: gtinMilk}); err != nil {
		t.Fatal(err)
	}
	return f
}

func entUser(e *registry.Enterprise) *auth.User {
	return &auth.User{ID: "user-" + e.ID, Role: auth.RoleEnterprise, RegionCode: e.RegionCode, EnterpriseID: e.ID}
}

// day is a date n days before today in China.
func day(n int) string {
	return time.Now().In(workday.Shanghai).AddDate(0, 0, -n).Format(time.DateOnly)
}
