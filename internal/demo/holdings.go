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

const issuer = "额济纳旗市场监督管理局"

var productNames = map[bool][]string{ // food or not
	true:  {"风干牛肉", "手撕驼肉", "驼奶粉", "酸奶", "奶皮子", "奶茶粉", "黑枸杞", "肉苁蓉片", "锁阳茶", "蜜瓜干", "沙葱酱", "手把羊肉", "奶酪", "胡杨蜂蜜"},
	false: {"复合肥料", "水泥砖", "砂石骨料", "防风固沙网", "汽车配件", "润滑油", "民族工艺品", "石材", "饲料添加剂", "塑料大棚膜"},
}

// loadHoldings gives an enterprise its licences and products. Every food
// business holds a JY licence, food producers an SC licence as well, other
// producers an industrial-product licence; roughly one in eight expires
// within the month and one in twelve has lapsed, so the office and the
// licence job have something to act on.
func loadHoldings(ctx context.Context, db *store.DB, office *auth.User, rng *rand.Rand, e *registry.Enterprise, food, production bool, i int, now time.Time) error {
	type lic struct{ kind, number string }
	var lics []lic
	seq := i + 1
	switch {
	case food && production:
		lics = append(lics, lic{registry.KindSC, fmt.Sprintf("SC1%02d%s%04d%d", 1+rng.IntN(30), Region, seq, rng.IntN(10))})
	case food:
		lics = append(lics, lic{registry.KindJY, fmt.Sprintf("JY%d%s%06d%d", 1+rng.IntN(2), Region, seq, rng.IntN(10))})
	case production:
		lics = append(lics, lic{registry.KindXK, fmt.Sprintf("(蒙)XK%02d-%03d-%05d", 10+rng.IntN(20), 1+rng.IntN(300), seq)})
	}
	for j, l := range lics {
		from := now.AddDate(-1-rng.IntN(3), -rng.IntN(12), 0)
		to := from.AddDate(5, 0, -1)
		switch {
		case i == 0 && j == 0, i%8 == 3: // the demo enterprise's own licence is about to expire
			to = now.AddDate(0, 0, 3+rng.IntN(25))
		case i%12 == 5:
			to = now.AddDate(0, 0, -1-rng.IntN(60))
		}
		if !from.Before(to) {
			from = to.AddDate(-5, 0, 1)
		}
		_, err := registry.CreateLicence(ctx, db, office, registry.LicenceInput{EnterpriseID: e.ID, Kind: l.kind,
			Number: l.number, Issuer: issuer, Scope: scopeFor(l.kind),
			ValidFrom: from.Format(time.DateOnly), ValidTo: to.Format(time.DateOnly)})
		if err != nil {
			return fmt.Errorf("demo licence %s of %s: %w", l.number, e.Name, err)
		}
	}
	if !production && !food {
		return nil
	}
	names := productNames[food]
	for k := 0; k < 1+rng.IntN(3); k++ {
		name := names[rng.IntN(len(names))]
		_, err := registry.CreateProduct(ctx, db, office, registry.ProductInput{EnterpriseID: e.ID,
			Name: name, GTIN: codes.GTIN13FromSerial("6970", uint64(i*10+k)),
			Category: map[bool]string{true: "食品", false: "工业产品"}[food], KeyCommodity: food && k == 0})
		if err != nil {
			return fmt.Errorf("demo product %s of %s: %w", name, e.Name, err)
		}
	}
	return nil
}

func scopeFor(kind string) string {
	switch kind {
	case registry.KindSC:
		return "肉制品、乳制品"
	case registry.KindJY:
		return "预包装食品销售，散装食品销售，热食类食品制售"
	case registry.KindXK:
		return "建筑用材料"
	}
	return ""
}
