package recall

import (
	"context"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// RecomputeResult says what a recompute changed.
type RecomputeResult struct {
	Recalls  int // open recalls judged
	Changed  int // recalls or holders whose stored light changed
	Reminded int // new reminders sent (holders and departments)
}

// Recompute judges every open recall and its holders at the context's time,
// stores the lights that changed (with a history line for the recall's),
// and reminds: a holder whose clock is near (yellow) hears once per clock
// ("recall.due"), a holder that missed one (red) hears once per clock
// ("recall.overdue") and so does the recall's department. The changes of a
// run are audited as one record.
func Recompute(ctx context.Context, db *store.DB) (RecomputeResult, error) {
	var res RecomputeResult
	clock, err := LoadClock(ctx, db)
	if err != nil {
		return res, err
	}
	cal, err := workday.Load(ctx, db)
	if err != nil {
		return res, err
	}
	now := nowOf(ctx)
	ids, err := store.Column[string](ctx, db, `SELECT id FROM recalls WHERE status = ? ORDER BY opened_at, id`, StatusOpen)
	if err != nil {
		return res, err
	}
	for _, id := range ids {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			r, err := getRecall(ctx, tx, id, tx.ForUpdate())
			if err != nil || r.Status != StatusOpen {
				return err
			}
			stored := r.Light
			if r.Parties, err = loadHolders(ctx, tx, r.ID, ""); err != nil {
				return err
			}
			storedHolder := make([]string, len(r.Parties))
			for i, h := range r.Parties {
				storedHolder[i] = h.Light
			}
			clock.lights(cal, now, r)
			res.Recalls++
			changed, reminded := 0, 0
			for i := range r.Parties {
				h := &r.Parties[i]
				if h.Light != storedHolder[i] {
					changed++
					if _, err := tx.Exec(ctx, `UPDATE recall_holders SET light = ? WHERE id = ?`, h.Light, h.ID); err != nil {
						return err
					}
				}
				n, err := remind(ctx, tx, r, h, now)
				if err != nil {
					return err
				}
				reminded += n
			}
			res.Reminded += reminded
			if r.Light != stored {
				changed++
				if _, err := tx.Exec(ctx, `UPDATE recalls SET light = ?, light_at = ? WHERE id = ?`, r.Light, now.UnixMilli(), r.ID); err != nil {
					return err
				}
				if err := history(ctx, tx, r.ID, now, "light_"+r.Light, nil); err != nil {
					return err
				}
			}
			res.Changed += changed
			if changed == 0 && reminded == 0 {
				return nil
			}
			return audit.Write(ctx, tx, audit.Entry{Action: "recompute", Entity: "recall_lights", EntityID: r.ID,
				RegionCode: r.RegionCode, Before: stored, After: map[string]any{"light": r.Light, "reminded": reminded}})
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// remind sends a holder's reminder for its light, once per recall, holder
// and clock, and returns how many new notifications went out.
func remind(ctx context.Context, tx *store.Tx, r *Recall, h *Holder, now time.Time) (int, error) {
	if h.Light != LightYellow && h.Light != LightRed {
		return 0, nil
	}
	// The clock the light is about: the finish once its last day is over
	// (or near, for a holder under way), else the start.
	clock := "start"
	if last, err := workday.ParseDate(r.FinishDue); err == nil && !now.Before(last.AddDate(0, 0, 1)) || h.Status != HolderPending {
		clock = "finish"
	}
	p := params(r)
	p["holder"] = holderName(h)
	p["clock"] = clock
	key := r.ID + ":" + h.ID + ":" + clock
	sent := 0
	if h.Light == LightYellow {
		if h.EnterpriseID == "" {
			return 0, nil
		}
		n, err := notify.ToEnterprise(ctx, tx, h.EnterpriseID, notify.Notice{Kind: "recall.due." + clock, Params: p,
			Link: "/recalls/" + r.ID + "/holders/" + h.ID, DedupeKey: "recall.due:" + key})
		return n, err
	}
	if h.EnterpriseID != "" {
		n, err := notify.ToEnterprise(ctx, tx, h.EnterpriseID, notify.Notice{Kind: "recall.overdue." + clock, Params: p,
			Link: "/recalls/" + r.ID + "/holders/" + h.ID, DedupeKey: "recall.overdue:" + key})
		if err != nil {
			return 0, err
		}
		sent += n
	}
	if r.DepartmentID != "" {
		n, err := notify.ToDepartment(ctx, tx, r.DepartmentID, notify.Notice{Kind: "recall.overdue.department", Params: p,
			Link: "/recalls/" + r.ID, DedupeKey: "recall.overdue:" + key})
		if err != nil {
			return sent, err
		}
		sent += n
	}
	if sent > 0 {
		if err := history(ctx, tx, r.ID, now, "reminded_"+clock, map[string]string{"holder": p["holder"]}); err != nil {
			return sent, err
		}
	}
	return sent, nil
}
