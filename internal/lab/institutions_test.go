package lab_test

import (
	"context"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func TestInstitutionRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := at(w.officer, shanghai(2026, 2, 2, 9, 0))
		good := lab.InstitutionInput{Name: "额济纳旗检验检测中心", USCC: codes.USCCFromSerial(region, 902), ReportPrefix: "EJN",
			CMANumber: "230512340002", CMAValidFrom: "2025-01-01", CMAValidTo: "2030-12-31"}

		bad := good
		bad.USCC = good.USCC[:17] + "0"
		if bad.USCC == good.USCC {
			bad.USCC = good.USCC[:17] + "1"
		}
		bad.CMANumber = "CMA-12"
		bad.CMAValidTo = "2024-12-31"
		bad.CNASNumber = "12"
		bad.Scope = []lab.ScopeEntry{{Category: "乳制品"}}
		_, err := lab.CreateInstitution(ctx, db, w.officer, bad)
		for field, want := range map[string]string{"uscc": "rule.uscc.checksum", "cma_number": "rule.lab.cma_number",
			"cma_valid_to": "rule.lab.dates", "cnas_number": "rule.lab.cnas_number", "scope[0].item": "rule.required"} {
			if got := rule(err, field); got != want {
				t.Errorf("%s: %q, want %q (%v)", field, got, want, err)
			}
		}
		taken := good
		taken.ReportPrefix = "als"
		if _, err := lab.CreateInstitution(ctx, db, w.officer, taken); rule(err, "report_prefix") != "rule.lab.report_prefix_taken" {
			t.Errorf("a prefix another institution uses: %v", err)
		}
		if _, err := lab.CreateInstitution(ctx, db, w.entUser, good); !isForbidden(err) {
			t.Errorf("an enterprise registers an institution: %v", err)
		}
		if _, err := lab.CreateInstitution(ctx, db, w.inspector, good); !isForbidden(err) {
			t.Errorf("an inspector registers an institution: %v", err)
		}
		good.CNASNumber = "cnas l5678"
		good.Scope = []lab.ScopeEntry{{Category: "肉制品", Item: "亚硝酸盐"}, {Category: "肉制品", Item: "亚硝酸盐"}}
		in, err := lab.CreateInstitution(ctx, db, w.officer, good)
		must(t, err)
		if in.CNASNumber != "CNAS L5678" || len(in.Scope) != 1 || in.RegionCode != region || in.Status != lab.InstitutionActive {
			t.Errorf("created %+v", in)
		}

		// Suspending needs a reason; with one, the register says so.
		suspended := lab.InstitutionSuspended
		if _, err := lab.UpdateInstitution(ctx, db, w.officer, in.ID, lab.InstitutionPatch{Status: &suspended}); rule(err, "status_reason") != "rule.required" {
			t.Errorf("suspend without a reason: %v", err)
		}
		reason := "监督检查发现超范围出具报告"
		scope := []lab.ScopeEntry{{Category: "肉制品", Item: "亚硝酸盐"}, {Category: "肉制品", Item: "菌落总数"}}
		up, err := lab.UpdateInstitution(ctx, db, w.officer, in.ID, lab.InstitutionPatch{Status: &suspended, StatusReason: &reason, Scope: &scope})
		must(t, err)
		got, err := lab.GetInstitution(ctx, db, w.entUser, in.ID)
		must(t, err)
		if got.Status != lab.InstitutionSuspended || got.StatusReason != reason || len(got.Scope) != 2 || !got.Covers("肉制品", "菌落总数") {
			t.Errorf("after update %+v (returned %+v)", got, up)
		}
		if got.QualifiedOn("2026-02-02") {
			t.Error("a suspended institution counts as qualified")
		}
		if !w.instA.QualifiedOn("2026-02-02") || w.instA.QualifiedOn("2029-03-01") || w.instA.QualifiedOn("2023-02-28") {
			t.Error("qualification dates are not the certificate's")
		}
		// Covers matches full-width and spaced spellings of the same item.
		if !w.instA.Covers(" 乳制品", "菌落 总数") || w.instA.Covers("乳制品", "黄曲霉毒素M1") {
			t.Error("scope matching")
		}

		list, err := lab.ListInstitutions(ctx, db, w.officer, lab.InstitutionFilter{Category: "乳制品", Item: "蛋白质"})
		must(t, err)
		if len(list) != 1 || list[0].ID != w.instA.ID {
			t.Errorf("institutions qualified for protein in dairy: %+v", list)
		}
		list, err = lab.ListInstitutions(ctx, db, w.labB1, lab.InstitutionFilter{Status: lab.InstitutionActive})
		must(t, err)
		if len(list) != 2 {
			t.Errorf("%d active institutions", len(list))
		}

		var audits int
		must(t, db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE entity = 'lab_institution' AND entity_id = ?`, in.ID).Scan(&audits))
		if audits != 2 {
			t.Errorf("%d audit records of the institution", audits)
		}

		// An institution account must name a registered institution of its region.
		if err := lab.CheckUserInstitution(ctx, db, "inst-1", region); rule(err, "institution_id") != "rule.lab.institution_unknown" {
			t.Errorf("an unknown institution for a user: %v", err)
		}
		must(t, lab.CheckUserInstitution(ctx, db, w.instA.ID, region))
		// An account tied to no registered institution acts for none.
		stray, err := auth.CreateUser(audit.WithActor(context.Background(), audit.System), db, auth.NewUser{Username: "stray",
			Password: "correct-horse-9", Role: auth.RoleInstitution, RegionCode: region, InstitutionID: "inst-1"})
		must(t, err)
		if _, err := lab.DraftReport(ctx, db, stray, "any"); !isForbidden(err) {
			t.Errorf("an account of no registered institution drafts: %v", err)
		}
	})
}
