package lab

import (
	"context"
	"time"

	"github.com/hallmark-platform/hallmark/internal/settings"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Settings are the clocks and thresholds of the testing system.
var Settings = []settings.Bounded{
	// 产品质量法 第十五条: an objection within 15 days of receiving the
	// result, counted as calendar days (workday.AddDays: the last day rolls
	// forward to a working day).
	{Key: "lab.objection.product_days", Def: 15, Min: 1, Max: 90},
	// 食品安全法 第八十八条: within 7 working days.
	{Key: "lab.objection.food_workdays", Def: 7, Min: 1, Max: 60},
	// A report issued more than this many working days after the sample
	// was received is slow (产品安全抽样: report within 20 working days of
	// receipt, domain-cn.md §6.2).
	{Key: "lab.turnaround.max_workdays", Def: 20, Min: 1, Max: 250},
	// … or more than this many times the median of the institution's
	// reports of the same category, once it has issued min_reports of them.
	{Key: "lab.turnaround.median_factor", Def: 3, Min: 2, Max: 20},
	{Key: "lab.turnaround.min_reports", Def: 5, Min: 3, Max: 100},
}

// Config is the settings in force.
type Config struct {
	ProductDays   int
	FoodWorkdays  int
	MaxTurnaround int
	MedianFactor  int
	MinReports    int
}

// ReminderDays are the days before a CMA certificate ends on which its
// institution and the office are reminded (the renewal must be applied for
// at least three months before, domain-cn.md §7.1).
var ReminderDays = []int{90, 30, 7}

// LoadConfig reads the settings.
func LoadConfig(ctx context.Context, q store.Queryer) (Config, error) {
	vals, err := settings.Ints(ctx, q, Settings)
	if err != nil {
		return Config{}, err
	}
	return Config{ProductDays: vals["lab.objection.product_days"], FoodWorkdays: vals["lab.objection.food_workdays"],
		MaxTurnaround: vals["lab.turnaround.max_workdays"], MedianFactor: vals["lab.turnaround.median_factor"],
		MinReports: vals["lab.turnaround.min_reports"]}, nil
}

// ObjectionDeadline is the last day (YYYY-MM-DD, China time) an enterprise
// may object to a result of the given kind delivered at delivered.
func (c Config) ObjectionDeadline(cal *workday.Calendar, kind string, delivered time.Time) string {
	if kind == KindFood {
		return workday.FormatDate(cal.AddWorkdays(workday.Midnight(delivered), c.FoodWorkdays))
	}
	return workday.FormatDate(cal.AddDays(workday.Midnight(delivered), c.ProductDays))
}
