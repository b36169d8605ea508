package registry

import (
	"context"
	"time"

	"github.com/hallmark-platform/hallmark/internal/measure"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Counts the register offers to tasks that follow the data (measure keys).
const (
	MeasureEnterprisesRegistered = "registry.enterprises.registered"
	MeasureLicencesIssued        = "registry.licences.issued"
	MeasureLicencesRenewed       = "registry.licences.renewed"
	MeasureKeyCommoditiesFiled   = "registry.products.key_commodities"
)

func init() {
	measure.Register(measure.Counter{Key: MeasureEnterprisesRegistered,
		NameZH: "登记在册的企业", NameEN: "Enterprises registered", Unit: "unit.enterprises",
		Count: func(ctx context.Context, q store.Queryer, region string, from, to time.Time) (float64, error) {
			// Entered into the register during the window.
			return countIn(ctx, q, `SELECT COUNT(*) FROM enterprises WHERE created_at >= ? AND created_at < ?`, "region_code",
				region, store.Millis(from), store.Millis(to))
		}})
	measure.Register(measure.Counter{Key: MeasureLicencesIssued,
		NameZH: "核发的许可证", NameEN: "Licences issued", Unit: "unit.licences",
		Count: func(ctx context.Context, q store.Queryer, region string, from, to time.Time) (float64, error) {
			// Valid from a day in the window: the day of issue.
			return countIn(ctx, q, `SELECT COUNT(*) FROM licences l WHERE l.valid_from >= ? AND l.valid_from < ?`, "l.region_code",
				region, shanghaiDate(from), shanghaiDate(to))
		}})
	measure.Register(measure.Counter{Key: MeasureLicencesRenewed,
		NameZH: "延续（换发）的许可证", NameEN: "Licences renewed", Unit: "unit.licences",
		Count: func(ctx context.Context, q store.Queryer, region string, from, to time.Time) (float64, error) {
			// Issued in the window to an enterprise that held an earlier
			// licence of the same kind: a renewal, not a first licence.
			return countIn(ctx, q, `SELECT COUNT(*) FROM licences l WHERE l.valid_from >= ? AND l.valid_from < ?
				AND EXISTS (SELECT 1 FROM licences p WHERE p.enterprise_id = l.enterprise_id AND p.kind = l.kind
				AND p.id <> l.id AND p.valid_from < l.valid_from)`, "l.region_code", region, shanghaiDate(from), shanghaiDate(to))
		}})
	measure.Register(measure.Counter{Key: MeasureKeyCommoditiesFiled,
		NameZH: "备案的重点商品", NameEN: "Key commodities filed", Unit: "unit.products",
		Count: func(ctx context.Context, q store.Queryer, region string, from, to time.Time) (float64, error) {
			return countIn(ctx, q, `SELECT COUNT(*) FROM products WHERE key_commodity = ? AND created_at >= ? AND created_at < ?`,
				"region_code", region, true, store.Millis(from), store.Millis(to))
		}})
}

// countIn runs a COUNT query limited to the regions under region.
func countIn(ctx context.Context, q store.Queryer, query, column, region string, args ...any) (float64, error) {
	cond, rargs := RegionScopeSQL(column, region)
	var n int64
	err := q.QueryRow(ctx, query+` AND `+cond, append(args, rargs...)...).Scan(&n)
	return float64(n), err
}

// shanghaiDate is t's calendar date in Asia/Shanghai, the form licence dates
// are stored in.
func shanghaiDate(t time.Time) string { return t.In(chinaTime).Format(time.DateOnly) }
