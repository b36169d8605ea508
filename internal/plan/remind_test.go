package plan_test

import (
	"context"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/plan"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestRemindersAreSentOncePerOccasion(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newPW(t, db)
		w.plan(t, "2024-02-20", plan.Rule{})
		soon := w.task(t, "2024-02-20", "合格证推行", "", "2024-04-10")
		overdue := w.task(t, "2024-02-20", "春季农资打假", "", "2024-03-29")
		w.task(t, "2024-02-20", "绿色食品认证", "", "2024-12-31")
		w.report(t, "2024-03-04", overdue.ID, 50, "")
		w.report(t, "2024-04-02", soon.ID, 90, "")
		w.recompute(t, "2024-04-03")
		if got := w.get(t, overdue.ID); got.Light != plan.Red {
			t.Fatalf("overdue task is %s", got.Light)
		}
		send := func(day string) plan.ReminderResult {
			t.Helper()
			res, err := plan.SendReminders(w.at(t, day), db, pwDay(t, day))
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		res := send("2024-04-03")
		// farm1 owns all three; farm2 is in the department; farm9 is
		// disabled; the office hears of the red task.
		if res.DueSoon != 1 || res.Overdue != 1 || res.Missed != 1 || res.Red != 1 || res.Notifications != 1+2+1+3 {
			t.Errorf("first run %+v", res)
		}
		kinds := func(userID string) map[string]int {
			ns, _, err := notify.List(context.Background(), db, userID, false, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, n := range ns {
				out[n.Kind]++
				if n.Link == "" || n.Params["task"] == "" {
					t.Errorf("notification without link or task: %+v", n)
				}
			}
			return out
		}
		owner := kinds(w.farmUser.ID)
		if owner[plan.RemindDueSoon] != 1 || owner[plan.RemindOverdue] != 1 || owner[plan.RemindMissed] != 1 || owner[plan.RemindRed] != 1 {
			t.Errorf("owner got %v", owner)
		}
		if got := kinds(w.farmUser2.ID); got[plan.RemindOverdue] != 1 || got[plan.RemindRed] != 1 || len(got) != 2 {
			t.Errorf("colleague got %v", got)
		}
		if got := kinds(w.office.ID); got[plan.RemindRed] != 1 || len(got) != 1 {
			t.Errorf("office got %v", got)
		}
		if got := kinds(w.farmRetired.ID); len(got) != 0 {
			t.Errorf("disabled user got %v", got)
		}
		if got := kinds(w.housingUser.ID); len(got) != 0 {
			t.Errorf("supporting department got %v", got)
		}
		ns, _, _ := notify.List(context.Background(), db, w.farmUser.ID, false, 100, 0)
		for _, n := range ns {
			if n.Kind == plan.RemindDueSoon && (n.Params["days"] != "4" || n.Params["deadline"] != "2024-04-10" || n.Link != "/tasks/"+soon.ID) {
				t.Errorf("due-soon params %v link %s (3→10 April 2024 is 4 working days)", n.Params, n.Link)
			}
			if n.Kind == plan.RemindMissed && n.Params["period"] != "2024-03" {
				t.Errorf("missed params %v", n.Params)
			}
		}

		total := w.count(t, `SELECT COUNT(*) FROM notifications`)
		if res := send("2024-04-03"); res != (plan.ReminderResult{}) {
			t.Errorf("second run the same day sent %+v", res)
		}
		if res := send("2024-04-08"); res.DueSoon != 0 || res.Overdue != 0 || res.Red != 0 {
			t.Errorf("a later day repeated reminders: %+v", res)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM notifications`); n != total {
			t.Errorf("notifications %d → %d", total, n)
		}
		// A new deadline is a new occasion.
		later := "2024-04-12"
		if _, err := plan.UpdateTask(w.at(t, "2024-04-08"), db, w.office, soon.ID, plan.TaskPatch{Deadline: &later, Reason: "延期"}); err != nil {
			t.Fatal(err)
		}
		if res := send("2024-04-08"); res.DueSoon != 1 {
			t.Errorf("after the deadline moved: %+v", res)
		}
	})
}
