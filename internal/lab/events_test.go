package lab_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
)

func TestNonconformingLotEmittedOnceForRecall(t *testing.T) {
	if lab.TopicNonconforming != recall.TopicNonconforming {
		t.Fatalf("lab emits %q, recall listens to %q", lab.TopicNonconforming, recall.TopicNonconforming)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 10, 9, 0))
		w.catalogue(ctx)
		s := w.tested(ctx, lab.KindFood, "2026-03-09", "0.35")
		r := w.issue(ctx, s, w.labA1, w.labA2)

		evs := events(t, db, lab.TopicNonconforming)
		if len(evs) != 1 {
			t.Fatalf("%d lot.nonconforming events", len(evs))
		}
		var raw string
		must(t, db.QueryRow(context.Background(), `SELECT payload FROM events WHERE topic = ?`, lab.TopicNonconforming).Scan(&raw))
		// recall's own payload type reads it.
		var rc recall.Nonconforming
		must(t, json.Unmarshal([]byte(raw), &rc))
		if rc.EnterpriseID != w.ent || rc.Product != "驼奶粉" || rc.Lot != s.LotURI || rc.ReportID != r.Number {
			t.Errorf("recall reads %+v", rc)
		}
		var full lab.NonconformingEvent
		must(t, json.Unmarshal([]byte(raw), &full))
		if full.ReportRowID != r.ID || full.ReportNumber != r.Number || full.SampleNumber != s.Number || full.SampleID != s.ID || full.LotText != "20260105A" ||
			full.InstitutionID != w.instA.ID || full.DepartmentID != w.dept || full.RegionCode != region || full.Final ||
			full.ObjectionDeadline != r.ObjectionDeadline || len(full.Items) != 1 || full.Items[0].Name != "铅" ||
			full.Items[0].Value != "0.35" || full.Items[0].Limit == nil || full.Items[0].Limit.Max != "0.2" || full.Kind != lab.KindFood {
			t.Errorf("payload %+v", full)
		}
		if !hasNotice(t, db, w.officer.ID, "lab.report.nonconforming") {
			t.Error("the task's department was not told")
		}
		if !hasNotice(t, db, w.entUser.ID, "lab.report.issued.nonconforming") {
			t.Error("the enterprise was not told")
		}
		if hasNotice(t, db, w.otherUser.ID, "lab.report.issued.nonconforming") {
			t.Error("another enterprise was told")
		}

		// The recall module proposes a recall of the lot from it.
		runner := jobs.NewRunner(db, nil)
		recall.Register(runner, db)
		_, err := runner.RunOnce(context.Background())
		must(t, err)
		props, err := recall.ListProposals(context.Background(), db, w.officer, recall.ProposalPending)
		must(t, err)
		if len(props) != 1 || props[0].EPC != s.LotURI || len(props[0].Items) != 1 || props[0].Items[0] != "铅" ||
			props[0].ReportID != r.Number || props[0].EnterpriseName != "驼乡乳业" {
			t.Errorf("recall proposals %+v", props)
		}

		// A revision that still fails emits nothing more.
		rev, err := lab.ReviseReport(ctx, db, w.labA1, r.Number, "补充方法信息")
		must(t, err)
		_, err = lab.ApproveReport(ctx, db, w.labA2, rev.ID)
		must(t, err)
		if n := len(events(t, db, lab.TopicNonconforming)); n != 1 {
			t.Errorf("%d lot.nonconforming events after a revision", n)
		}
		if n := len(events(t, db, lab.TopicReportIssued)); n != 2 {
			t.Errorf("%d lab.report.issued events for two versions", n)
		}
	})
}

func TestIssueFlagsLapsedQualificationAndSlowTurnaround(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 2, 9, 0))
		w.catalogue(ctx)
		// Five reports of dairy, each issued the working day after receipt.
		day := shanghai(2026, 3, 2, 9, 0)
		for range 5 {
			c := at(w.labA1, day)
			s := w.tested(c, lab.KindProduct, "2026-03-01", "0.05")
			w.issue(at(w.labA2, day.AddDate(0, 0, 1)), s, w.labA1, w.labA2)
			day = day.AddDate(0, 0, 7)
		}
		if f, err := lab.Flags(ctx, db, w.officer, lab.FlagFilter{}); err != nil || len(f) != 0 {
			t.Fatalf("flags after ordinary reports: %+v %v", f, err)
		}
		// Received Monday 6 April, issued Friday 10 April: 4 working days,
		// four times the median of one.
		s := w.tested(at(w.labA1, shanghai(2026, 4, 6, 9, 0)), lab.KindProduct, "2026-04-03", "0.05")
		slow := w.issue(at(w.labA2, shanghai(2026, 4, 10, 16, 0)), s, w.labA1, w.labA2)
		flags, err := lab.Flags(ctx, db, w.officer, lab.FlagFilter{Kind: lab.FlagSlowTurnaround})
		must(t, err)
		if len(flags) != 1 || flags[0].SubjectID != slow.ID || flags[0].Detail["days"] != float64(4) || flags[0].Detail["median_days"] != float64(1) {
			t.Errorf("slow-turnaround flags %+v (turnaround %d)", flags, slow.TurnaroundDays)
		}

		// The certificate ended before the next report was issued.
		end := "2026-04-30"
		_, err = lab.UpdateInstitution(ctx, db, w.officer, w.instA.ID, lab.InstitutionPatch{CMAValidTo: &end})
		must(t, err)
		s = w.tested(at(w.labA1, shanghai(2026, 5, 6, 9, 0)), lab.KindProduct, "2026-05-06", "0.05")
		lapsed := w.issue(at(w.labA2, shanghai(2026, 5, 7, 9, 0)), s, w.labA1, w.labA2)
		flags, err = lab.Flags(ctx, db, w.officer, lab.FlagFilter{Kind: lab.FlagLapsedQualification})
		must(t, err)
		if len(flags) != 1 || flags[0].SubjectID != lapsed.ID || flags[0].Detail["valid_to"] != end {
			t.Errorf("lapsed-qualification flags %+v", flags)
		}

		// The office's summary, and resolving a flag.
		sum, err := lab.FlagSummary(ctx, db, w.officer)
		must(t, err)
		if len(sum) != 2 || sum[0].InstitutionID != w.instA.ID || sum[0].Open != 2 || sum[0].ByKind[lab.FlagSlowTurnaround] != 1 ||
			sum[1].Total != 0 {
			t.Errorf("summary %+v", sum)
		}
		if _, err := lab.Flags(ctx, db, w.labA1, lab.FlagFilter{}); !isForbidden(err) {
			t.Errorf("an institution reads the flags: %v", err)
		}
		res, err := lab.ResolveFlag(ctx, db, w.officer, flags[0].ID, "已约谈，证书续期中")
		must(t, err)
		if res.ResolvedAt == 0 {
			t.Errorf("resolved %+v", res)
		}
		if _, err := lab.ResolveFlag(ctx, db, w.officer, flags[0].ID, "again"); rule(err, "flag") != "rule.lab.flag.resolved" {
			t.Errorf("resolving twice: %v", err)
		}
		open, err := lab.Flags(ctx, db, w.officer, lab.FlagFilter{OpenOnly: true})
		must(t, err)
		if len(open) != 1 {
			t.Errorf("%d open flags", len(open))
		}
	})
}

func TestExpiryRemindersSentOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		admin, err := auth.CreateUser(audit.WithActor(context.Background(), audit.System), db, auth.NewUser{Username: "office",
			Name: "office", Password: "correct-horse-9", Role: auth.RoleAdmin, RegionCode: region, DepartmentID: w.dept})
		must(t, err)
		// Institution A's certificate ends on 28 February 2029.
		for _, c := range []struct {
			day  time.Time
			want int
		}{
			{shanghai(2028, 11, 1, 6, 20), 0},  // 119 days left
			{shanghai(2028, 12, 1, 6, 20), 1},  // 89: the 90-day reminder
			{shanghai(2028, 12, 1, 7, 0), 0},   // the same day again
			{shanghai(2028, 12, 20, 6, 20), 0}, // still within the 90 days
			{shanghai(2029, 2, 1, 6, 20), 1},   // 27: the 30-day reminder
			{shanghai(2029, 2, 25, 6, 20), 1},  // 3: the 7-day reminder
			{shanghai(2029, 3, 1, 6, 20), 1},   // ended
			{shanghai(2029, 3, 2, 6, 20), 0},
		} {
			n, err := lab.RemindExpiring(lab.WithClock(context.Background(), func() time.Time { return c.day }), db, c.day)
			must(t, err)
			if n != c.want {
				t.Errorf("%s: %d reminders, want %d", c.day.Format(time.DateOnly), n, c.want)
			}
		}
		for _, u := range []*auth.User{w.labA1, w.labA2, admin} {
			var expiring, expired int
			must(t, db.QueryRow(context.Background(), `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'lab.cma.expiring'`, u.ID).Scan(&expiring))
			must(t, db.QueryRow(context.Background(), `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'lab.cma.expired'`, u.ID).Scan(&expired))
			if expiring != 3 || expired != 1 {
				t.Errorf("%s got %d expiring and %d expired reminders", u.Username, expiring, expired)
			}
		}
		if hasNotice(t, db, w.labB1.ID, "lab.cma.expiring") {
			t.Error("institution B, valid to the end of 2029, was reminded")
		}
	})
}

func TestResultsBecomeFinalWhenTheWindowCloses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.labA1, shanghai(2026, 3, 10, 9, 0))
		w.catalogue(ctx)
		s := w.tested(ctx, lab.KindProduct, "2026-03-09", "0.05")
		r := w.issue(ctx, s, w.labA1, w.labA2)
		if r.ObjectionDeadline != "2026-03-25" || r.FinalAt != 0 {
			t.Fatalf("issued %+v", r)
		}
		w.step(ctx, w.labA1, s, lab.StepRetained)
		_, err := lab.AddCustodyStep(ctx, db, w.labA1, s.ID, lab.CustodyInput{Step: lab.StepDisposed})
		if p, _ := fieldErr(err, "step"); rule(err, "step") != "rule.lab.custody.reserve_needed" || p["until"] != "2026-03-25" {
			t.Errorf("disposed of within the objection window: %v", err)
		}
		for _, c := range []struct {
			day  time.Time
			want int
		}{{shanghai(2026, 3, 25, 6, 20), 0}, {shanghai(2026, 3, 26, 6, 20), 1}, {shanghai(2026, 3, 27, 6, 20), 0}} {
			n, err := lab.FinaliseResults(context.Background(), db, c.day)
			must(t, err)
			if n != c.want {
				t.Errorf("%s: %d results made final, want %d", c.day.Format(time.DateOnly), n, c.want)
			}
		}
		// Final: the reserve may go.
		w.step(at(w.labA1, shanghai(2026, 3, 26, 9, 0)), w.labA1, s, lab.StepDisposed)
		evs := events(t, db, lab.TopicResultFinal)
		if len(evs) != 1 || evs[0]["report_id"] != r.ID || evs[0]["conclusion"] != lab.Conforming || evs[0]["final"] != true {
			t.Errorf("final events %v", evs)
		}
		if n := len(events(t, db, lab.TopicNonconforming)); n != 0 {
			t.Errorf("%d lot.nonconforming events for a conforming result", n)
		}
	})
}
