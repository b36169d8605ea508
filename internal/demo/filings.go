package demo

import (
	"context"
	"fmt"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/filing"
)

// demoFiling is a key-commodity filing the demo makes, and what the office
// has decided on it ("" while it waits for review).
type demoFiling struct {
	industry string // the filing enterprise's kind, as the demo's enterprise names carry it
	in       filing.Input
	decision string
	reason   string
}

// loadFilings files key commodities (重点商品备案) for a building-materials
// dealer and two agricultural-input dealers: one filing approved by the
// market regulation bureau, one returned with its reason, one waiting for
// review.
func loadFilings(ctx context.Context, db *store.DB) error {
	officer, err := auth.UserByUsername(ctx, db, "officer-scj")
	if err != nil {
		return err
	}
	filings := []demoFiling{
		{industry: "%建材%", decision: filing.DecisionApprove, in: filing.Input{ProductName: "普通硅酸盐水泥 P·O 42.5",
			Category: "building_materials", ProductCode: "PO42.5-50KG", Spec: "50 kg/袋", Manufacturer: "乌海市西水泥有限责任公司",
			LicenceNo: "(蒙)XK08-001-00321", SupplierName: "乌海市西水泥有限责任公司",
			Lots:      []filing.Lot{{Lot: "SN2026-1108", Quantity: 40, Unit: "TNE"}, {Lot: "SN2026-1115", Quantity: 25, Unit: "TNE"}},
			Documents: "全国工业产品生产许可证 (蒙)XK08-001-00321\n出厂检验报告 SN2026-1108、SN2026-1115\n产品合格证"}},
		{industry: "%农资%", decision: filing.DecisionReturn, reason: "未附产品质量检验报告，请补充第三方检验报告后重新提交。",
			in: filing.Input{ProductName: "复合肥料（15-15-15）", Category: "agri_inputs", ProductCode: "NPK-151515",
				Spec: "40 kg/袋", Manufacturer: "内蒙古河套化肥有限公司", LicenceNo: "内农肥（2024）准字3021号",
				SupplierName: "巴彦淖尔市丰收农资有限公司",
				Lots:         []filing.Lot{{Lot: "F20261012", Quantity: 300, Unit: "XBG"}},
				Documents:    "肥料登记证 内农肥（2024）准字3021号"}},
		{industry: "%农资%", in: filing.Input{ProductName: "玉米种子（西蒙6号）", Category: "agri_inputs", ProductCode: "XM6-2026",
			Spec: "2 kg/袋", Manufacturer: "内蒙古西蒙种业有限公司", LicenceNo: "A(蒙)农种许字(2023)第0012号",
			SupplierName: "内蒙古西蒙种业有限公司",
			Lots:         []filing.Lot{{Lot: "XM2026-03", Quantity: 800, Unit: "XBG"}},
			Documents:    "农作物种子生产经营许可证 A(蒙)农种许字(2023)第0012号\n品种审定编号 蒙审玉2019012号\n种子质量检验报告 ZJ2026-0457"}},
	}
	used := map[string]int{}
	for _, f := range filings {
		var id string
		if err := db.QueryRow(ctx, `SELECT id FROM enterprises WHERE name LIKE ? AND status = 'active' ORDER BY created_at, id LIMIT 1 OFFSET ?`,
			f.industry, used[f.industry]).Scan(&id); err != nil {
			return fmt.Errorf("demo filing enterprise %s: %w", f.industry, err)
		}
		used[f.industry]++
		f.in.EnterpriseID = id
		got, err := filing.Submit(ctx, db, officer, f.in)
		if err != nil {
			return fmt.Errorf("demo filing %s: %w", f.in.ProductName, err)
		}
		if f.decision != "" {
			if _, err := filing.Review(ctx, db, officer, got.ID, filing.ReviewInput{Decision: f.decision, Reason: f.reason}); err != nil {
				return fmt.Errorf("demo review of %s: %w", f.in.ProductName, err)
			}
		}
	}
	return nil
}
