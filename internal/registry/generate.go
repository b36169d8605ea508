package registry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Synthetic names are built from these parts so that searches behave as on
// real data: a place prefix, a two-character brand, a trade and a legal form.
var (
	genPlaces = map[string][]string{
		"152921": {"阿拉善左旗", "阿拉善", "巴彦浩特", "内蒙古", "阿左旗", ""},
		"152922": {"阿拉善右旗", "阿右旗", "阿拉善", "内蒙古", ""},
		"152923": {"额济纳旗", "额济纳", "阿拉善", "内蒙古", ""},
	}
	genBrand   = []rune("鑫源泰丰华兴盛达利昌隆恒通宏金瑞祥福和顺安康宇辉晨明天正信诚德嘉润博远腾驼沙漠蒙草原绿洲胡杨贺兰山银星海峰骏驰宏图伟业新阳光大众百川聚合永久春秋")
	genTrades  = []string{"商贸", "食品", "牧业", "农牧业", "建材", "餐饮", "酒店", "超市", "驼奶", "肉业", "盐化", "化工", "物流", "建筑工程", "矿业", "能源", "旅游", "文化传媒", "科技", "种植", "养殖", "乳业", "药业", "沙产业", "汽车维修", "家电", "石材", "肉苁蓉", "酒业", "印刷"}
	genForms   = []string{"有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司", "农民专业合作社", "经销部", "店"}
	genSurname = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
	genGiven   = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红梅林玉兰海燕巴特尔其其格乌兰图雅苏和布仁")
	genIndustr = []string{"A", "A", "A", "B", "C", "C", "C", "E", "F", "F", "F", "F", "G", "H", "H", "H", "I", "K", "L", "O", "R"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// GenerateEnterprises adds n synthetic enterprises with valid USCCs across
// the three banners of Alxa League (most in Alxa Left Banner), for demos and
// benchmarks. The same seed gives the same enterprises; running it twice with
// one seed adds nothing the second time. It seeds the regions first.
func GenerateEnterprises(ctx context.Context, db *store.DB, n int, seed int64) error {
	if err := SeedRegions(ctx, db); err != nil {
		return err
	}
	towns := map[string][]Region{}
	depts := map[string][]string{}
	for _, banner := range []string{"152921", "152922", "152923"} {
		kids, err := Regions(ctx, db, banner)
		if err != nil {
			return err
		}
		towns[banner] = kids
		ds, err := ListDepartments(ctx, db, banner)
		if err != nil {
			return err
		}
		for _, d := range ds {
			depts[banner] = append(depts[banner], d.ID)
		}
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x6861_6c6c))
	now := store.Now()
	const perStmt, perTx = 500, 10000
	seen := map[string]bool{}
	made := 0
	for made < n {
		batch := make([]Enterprise, 0, min(perTx, n-made))
		for len(batch) < cap(batch) {
			region := "152921"
			switch x := r.IntN(100); {
			case x >= 92:
				region = "152923"
			case x >= 80:
				region = "152922"
			}
			uscc := codes.GenerateUSCC(r, region)
			if seen[region+uscc] {
				continue
			}
			seen[region+uscc] = true
			brand := string([]rune{pick(r, genBrand), pick(r, genBrand)})
			name := pick(r, genPlaces[region]) + brand + pick(r, genTrades) + pick(r, genForms)
			town := pick(r, towns[region])
			rep := string(pick(r, genSurname)) + string(pick(r, genGiven))
			if r.IntN(2) == 0 {
				rep += string(pick(r, genGiven))
			}
			e := Enterprise{
				ID: store.NewID(), RegionCode: region, USCC: uscc, USCCChecksumOK: true, Name: name,
				LegalRep: rep, Address: fmt.Sprintf("%s%s%d号", town.Name, pick(r, []string{"新华街", "王府街", "额鲁特大街", "土尔扈特路", "达来路", "巴彦路"}), 1+r.IntN(300)),
				TownshipCode: town.Code, Industry: pick(r, genIndustr), ContactName: rep,
				ContactPhone: fmt.Sprintf("1%d%09d", 3+r.IntN(7), r.IntN(1_000_000_000)), Status: StatusActive,
				CreatedAt: now, UpdatedAt: now,
			}
			if x := r.IntN(100); x < 5 {
				e.Status = StatusClosed
			} else if x < 8 {
				e.Status = StatusSuspended
			}
			if ds := depts[region]; len(ds) > 0 {
				e.DepartmentID = pick(r, ds)
			}
			batch = append(batch, e)
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for i := 0; i < len(batch); i += perStmt {
				if err := insertEnterprises(ctx, tx, batch[i:min(i+perStmt, len(batch))], true); err != nil {
					return err
				}
			}
			if made == 0 {
				if err := audit.Write(ctx, tx, audit.Entry{Action: "generate", Entity: "enterprise", EntityID: "synthetic",
					After: map[string]any{"count": n, "seed": seed}}); err != nil {
					return err
				}
				return jobs.Emit(ctx, tx, "enterprise.generated", map[string]any{"count": n, "seed": seed})
			}
			return nil
		})
		if err != nil {
			return err
		}
		made += len(batch)
	}
	return analyze(ctx, db)
}

// analyze refreshes the planner's statistics after a bulk load, so that the
// first searches do not run on plans made for an empty table. On PostgreSQL
// the vacuum also marks the new pages all-visible, which lets counts run as
// index-only scans of the search index instead of reading the table.
func analyze(ctx context.Context, db *store.DB) error {
	q := "ANALYZE"
	if db.Dialect == store.Postgres {
		q = "VACUUM (ANALYZE) enterprises"
	}
	_, err := db.Exec(ctx, q)
	return err
}

// insertEnterprises writes rows in one multi-row INSERT; ignoreTaken skips
// codes already registered in their region instead of failing.
func insertEnterprises(ctx context.Context, tx *store.Tx, rows []Enterprise, ignoreTaken bool) error {
	if len(rows) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(enterpriseInsert)
	args := make([]any, 0, len(rows)*17)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(enterpriseInsertRow)
		args = append(args, rows[i].insertArgs()...)
	}
	if ignoreTaken {
		b.WriteString(" ON CONFLICT (region_code, uscc) DO NOTHING")
	}
	_, err := tx.Exec(ctx, b.String(), args...)
	return err
}
