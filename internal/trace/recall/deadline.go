package recall

import (
	"context"
	"fmt"
	"time"

	"github.com/hallmark-platform/hallmark/internal/settings"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Settings are the recall clocks. The defaults are 食品召回管理办法 (原CFDA令
// 第12号): start within 24/48/72 hours, finish within 10/20/30 working days.
// domain-cn.md §6.3 reports a revision that may shorten the start limits;
// the office sets the new values here when it takes effect, and recalls
// opened before keep the clocks they were opened with.
var Settings = []settings.Bounded{
	{Key: "recall.level1.start_hours", Def: 24, Min: 1, Max: 720},
	{Key: "recall.level2.start_hours", Def: 48, Min: 1, Max: 720},
	{Key: "recall.level3.start_hours", Def: 72, Min: 1, Max: 720},
	{Key: "recall.level1.finish_workdays", Def: 10, Min: 1, Max: 250},
	{Key: "recall.level2.finish_workdays", Def: 20, Min: 1, Max: 250},
	{Key: "recall.level3.finish_workdays", Def: 30, Min: 1, Max: 250},
	// A finish deadline this many working days away or nearer lights yellow.
	{Key: "recall.due_soon_workdays", Def: 3, Min: 0, Max: 30},
	// A start deadline this many hours away or nearer lights yellow.
	{Key: "recall.start_due_soon_hours", Def: 12, Min: 0, Max: 720},
}

// Clock is the settings in force.
type Clock struct {
	StartHours        [MaxLevel + 1]int
	FinishWorkdays    [MaxLevel + 1]int
	DueSoonWorkdays   int
	StartDueSoonHours int
}

// LoadClock reads the recall settings.
func LoadClock(ctx context.Context, q store.Queryer) (Clock, error) {
	var c Clock
	vals, err := settings.Ints(ctx, q, Settings)
	if err != nil {
		return c, err
	}
	for l := MinLevel; l <= MaxLevel; l++ {
		c.StartHours[l] = vals[fmt.Sprintf("recall.level%d.start_hours", l)]
		c.FinishWorkdays[l] = vals[fmt.Sprintf("recall.level%d.finish_workdays", l)]
	}
	c.DueSoonWorkdays = vals["recall.due_soon_workdays"]
	c.StartDueSoonHours = vals["recall.start_due_soon_hours"]
	return c, nil
}

// Deadlines returns the start deadline (an instant) and the last day to
// finish of a recall of level opened at: the n-th working day after the
// day it opened, as "自公告发布之日起10个工作日内完成" counts.
func (c Clock) Deadlines(cal *workday.Calendar, level int, opened time.Time) (start time.Time, finish string) {
	start = opened.Add(time.Duration(c.StartHours[level]) * time.Hour)
	finish = workday.FormatDate(cal.AddWorkdays(workday.Midnight(opened), c.FinishWorkdays[level]))
	return start, finish
}

// judge is the light of something that must start by startDue and finish by
// the end of finishDue: red once a clock it has not met has run out, yellow
// when one is near, green otherwise; "" once done.
func (c Clock) judge(cal *workday.Calendar, now time.Time, startDue int64, finishDue string, started, done bool) string {
	if done {
		return ""
	}
	last, err := workday.ParseDate(finishDue)
	if err != nil {
		return LightRed // validated on the way in; a hand-edited row is better loud
	}
	end := last.AddDate(0, 0, 1)
	ms := now.UnixMilli()
	if !now.Before(end) || !started && ms >= startDue {
		return LightRed
	}
	today := workday.Midnight(now)
	if cal.CountWorkdays(today, last) <= c.DueSoonWorkdays {
		return LightYellow
	}
	if !started && startDue-ms <= int64(c.StartDueSoonHours)*int64(time.Hour/time.Millisecond) {
		return LightYellow
	}
	return LightGreen
}

// rank orders lights by severity.
func rank(light string) int {
	switch light {
	case LightRed:
		return 3
	case LightYellow:
		return 2
	case LightGreen:
		return 1
	}
	return 0
}

// lights judges every holder of r at now and the recall as the worst of
// them (green while there are none, "" once closed). It sets Light on r and
// its holders (r.Parties must be loaded).
func (c Clock) lights(cal *workday.Calendar, now time.Time, r *Recall) {
	if r.Status == StatusClosed {
		r.Light = ""
		for i := range r.Parties {
			r.Parties[i].Light = ""
		}
		return
	}
	worst := LightGreen
	for i := range r.Parties {
		h := &r.Parties[i]
		h.Light = c.judge(cal, now, r.StartDue, r.FinishDue, h.Status != HolderPending, h.Status == HolderDone)
		if rank(h.Light) > rank(worst) {
			worst = h.Light
		}
	}
	if len(r.Parties) == 0 {
		// Nobody to confirm: the finish clock still runs until an officer
		// closes the recall.
		worst = c.judge(cal, now, r.StartDue, r.FinishDue, true, false)
	}
	r.Light = worst
}
