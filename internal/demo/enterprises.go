package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// A banner's register is mostly small shops, restaurants, hotels and
// herders' co-operatives around the seat (达来呼布镇), with a port economy at
// 策克 and tourism around the poplar forests.
var (
	placeWords = []string{"胡杨", "居延", "黑城", "弱水", "达来", "策克", "东风", "额济纳", "巴彦", "苏泊淖尔",
		"怪树林", "红城", "金塔", "大漠", "戈壁", "驼乡", "天鹅湖", "赛汉", "古日乃", "温图"}
	trades = []struct {
		word, industry, dept string
		food, production     bool
	}{
		{"肉食品加工", "C", "市场监管局", true, true},
		{"乳业", "C", "市场监管局", true, true},
		{"沙产业开发", "C", "工信局", false, true},
		{"建材", "C", "住建局", false, true},
		{"商贸", "F", "商务局", true, false},
		{"超市", "F", "市场监管局", true, false},
		{"农资经销", "F", "农牧局", false, false},
		{"餐饮", "H", "市场监管局", true, false},
		{"酒店", "H", "文旅局", true, false},
		{"民宿", "H", "文旅局", false, false},
		{"旅游开发", "N", "文旅局", false, false},
		{"养殖专业合作社", "A", "农牧局", false, false},
		{"汽车维修", "O", "交通局", false, false},
		{"建筑工程", "E", "住建局", false, false},
		{"物流", "G", "交通局", false, false},
		{"矿业", "B", "工信局", false, true},
		{"文化传媒", "R", "文旅局", false, false},
		{"药房", "F", "卫健委", false, false},
	}
	suffixes  = []string{"有限公司", "有限责任公司", "有限公司", "商行", "有限公司"}
	surnames  = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "巴图", "额尔敦", "苏和", "乌力吉", "其其格"}
	given     = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "桂兰", "宝音"}
	townships = []string{"152923100", "152923100", "152923100", "152923001", "152923002", "152923101", "152923104",
		"152923102", "152923200", "152923201", "152923202", "152923203", "152923204", "152923205"}
	streets = []string{"达来呼布镇怪树林路", "达来呼布镇居延路", "达来呼布镇胡杨路", "达来呼布镇额济纳路", "东风镇航天路",
		"策克镇口岸大街", "达来呼布镇弱水路", "达来呼布镇金塔路"}
)

// enterpriseCount is how many enterprises the demo registers.
const enterpriseCount = 240

// loadEnterprises registers the demo enterprises and returns their IDs in
// order. The first is the demo enterprise account's own: a meat processor
// with food licences, products and one licence about to expire.
func loadEnterprises(ctx context.Context, db *store.DB, office *auth.User, rng *rand.Rand, deptIDs map[string]string, now time.Time) ([]string, error) {
	ids := make([]string, 0, enterpriseCount)
	seen := map[string]bool{}
	for i := 0; i < enterpriseCount; i++ {
		t := trades[rng.IntN(len(trades))]
		if i == 0 {
			t = trades[0]
		}
		var name string
		for {
			name = "额济纳旗" + placeWords[rng.IntN(len(placeWords))] + t.word + suffixes[rng.IntN(len(suffixes))]
			if t.industry == "A" {
				name = "额济纳旗" + placeWords[rng.IntN(len(placeWords))] + t.word
			}
			if !seen[name] {
				break
			}
			name = ""
			if len(seen) > 5000 {
				return nil, fmt.Errorf("demo: ran out of enterprise names")
			}
			seen[fmt.Sprint(i)] = true
		}
		seen[name] = true
		person := surnames[rng.IntN(len(surnames))] + given[rng.IntN(len(given))]
		in := registry.EnterpriseInput{
			USCC:         codes.USCCFromSerial(Region, uint64(1_000_000+i*7919)),
			Name:         name,
			RegionCode:   Region,
			LegalRep:     person,
			Address:      fmt.Sprintf("内蒙古自治区阿拉善盟额济纳旗%s%d号", streets[rng.IntN(len(streets))], 1+rng.IntN(300)),
			Township:     townships[rng.IntN(len(townships))],
			Industry:     t.industry,
			ContactName:  person,
			ContactPhone: fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1_000_000_000)),
			Status:       registry.StatusActive,
			DepartmentID: deptIDs[t.dept],
		}
		switch {
		case i%37 == 5:
			in.Status = registry.StatusSuspended
		case i%53 == 7:
			in.Status = registry.StatusClosed
		}
		e, err := registry.CreateEnterprise(ctx, db, office, in)
		if err != nil {
			return nil, fmt.Errorf("demo enterprise %s: %w", name, err)
		}
		ids = append(ids, e.ID)
		if err := loadHoldings(ctx, db, office, rng, e, t.food, t.production, i, now); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
