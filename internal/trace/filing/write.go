package filing

import (
	"context"
	"strconv"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/ledger"
)

// Domain events.
const (
	TopicSubmitted = "filing.submitted"
	TopicReviewed  = "filing.reviewed"
)

func isEnterpriseUser(who *auth.User) bool {
	return who != nil && !who.Disabled && who.Role == auth.RoleEnterprise && who.EnterpriseID != ""
}

func isStaff(who *auth.User) bool {
	if who == nil || who.Disabled || who.RegionCode == "" {
		return false
	}
	switch who.Role {
	case auth.RoleAdmin, auth.RoleOfficer, auth.RoleInspector:
		return true
	}
	return false
}

// canFile: an enterprise for itself, an officer or the office for an
// enterprise of its region.
func canFile(who *auth.User) bool {
	return who.Can(auth.PermTraceCapture) && (isEnterpriseUser(who) || isStaff(who) && who.Role != auth.RoleInspector)
}

func canRead(who *auth.User) bool {
	return who.Can(auth.PermTraceRead) && (isEnterpriseUser(who) || isStaff(who))
}

func canSee(who *auth.User, region, enterpriseID string) bool {
	switch {
	case isEnterpriseUser(who):
		return enterpriseID == who.EnterpriseID
	case isStaff(who):
		return registry.RegionCovers(who.RegionCode, region)
	}
	return false
}

func actorName(who *auth.User) string {
	if who.Name != "" {
		return who.Name
	}
	return who.Username
}

// Submit files a key commodity. Every bad field is named in a
// fielderr.List; lots' fields as lots.{i}.lot, lots.{i}.quantity,
// lots.{i}.unit.
func Submit(ctx context.Context, db *store.DB, who *auth.User, in Input) (*Filing, error) {
	if !canFile(who) {
		return nil, fielderr.ErrForbidden
	}
	cats, err := Categories(ctx, db)
	if err != nil {
		return nil, err
	}
	var id string
	err = db.Tx(ctx, func(tx *store.Tx) error {
		var errs fielderr.List
		ent, err := ledger.Enterprise(ctx, tx, who, in.EnterpriseID, in.EnterpriseUSCC)
		if err != nil {
			fe, ok := fielderr.As(err)
			if !ok {
				return err
			}
			errs = append(errs, fe...)
		}
		f, lots, more, err := check(ctx, tx, in, cats, "")
		if err != nil {
			return err
		}
		errs = append(errs, more...)
		files, ferrs, err := ledger.CheckFiles(ctx, tx, in.Files)
		if err != nil {
			return err
		}
		errs = append(errs, ferrs...)
		if err := errs.Err(); err != nil {
			return err
		}
		now := store.Now()
		f.ID, f.RegionCode, f.EnterpriseID, f.EnterpriseName = store.NewID(), ent.RegionCode, ent.ID, ent.Name
		f.Status, f.Version, f.SubmittedAt, f.CreatedBy, f.CreatedAt, f.UpdatedAt = StatusSubmitted, 1, now, who.ID, now, now
		f.Lots, f.Files = lots, files
		if _, err := tx.Exec(ctx, `INSERT INTO filings (id, region_code, enterprise_id, product_name, category, category_note,
			gtin, product_code, spec, manufacturer, licence_no, supplier_name, supplier_uscc, documents, status, version,
			submitted_at, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, f.RegionCode, f.EnterpriseID, f.ProductName, f.Category, f.CategoryNote, f.GTIN, f.ProductCode, f.Spec,
			f.Manufacturer, f.LicenceNo, f.SupplierName, f.SupplierUSCC, f.Documents, f.Status, f.Version, f.SubmittedAt,
			f.CreatedBy, f.CreatedAt, f.UpdatedAt); err != nil {
			return err
		}
		if err := writeParts(ctx, tx, &f); err != nil {
			return err
		}
		if err := history(ctx, tx, who, &f, "", ""); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "filing", EntityID: f.ID,
			RegionCode: f.RegionCode, After: f}); err != nil {
			return err
		}
		id = f.ID
		return submitted(ctx, tx, &f)
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, db, who, id)
}

// Resubmit edits a returned filing and submits it again. A filing in any
// other state is refused on "status" (rule.filing.not_returned).
func Resubmit(ctx context.Context, db *store.DB, who *auth.User, id string, in Input) (*Filing, error) {
	if !canFile(who) {
		return nil, fielderr.ErrForbidden
	}
	cats, err := Categories(ctx, db)
	if err != nil {
		return nil, err
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		before, err := get(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if !canSee(who, before.RegionCode, before.EnterpriseID) {
			return fielderr.ErrNotFound
		}
		if before.Status != StatusReturned {
			return fielderr.New("status", "rule.filing.not_returned")
		}
		f, lots, errs, err := check(ctx, tx, in, cats, before.Category)
		if err != nil {
			return err
		}
		files, ferrs, err := ledger.CheckFiles(ctx, tx, in.Files)
		if err != nil {
			return err
		}
		if err := append(errs, ferrs...).Err(); err != nil {
			return err
		}
		if err := loadParts(ctx, tx, before); err != nil {
			return err
		}
		now := store.Now()
		f.ID, f.RegionCode, f.EnterpriseID, f.EnterpriseName = before.ID, before.RegionCode, before.EnterpriseID, before.EnterpriseName
		f.Status, f.Version, f.SubmittedAt, f.CreatedBy, f.CreatedAt, f.UpdatedAt = StatusSubmitted, before.Version+1, now,
			before.CreatedBy, before.CreatedAt, now
		f.Lots, f.Files = lots, files
		if _, err := tx.Exec(ctx, `UPDATE filings SET product_name = ?, category = ?, category_note = ?, gtin = ?,
			product_code = ?, spec = ?, manufacturer = ?, licence_no = ?, supplier_name = ?, supplier_uscc = ?, documents = ?,
			status = ?, return_reason = '', version = ?, submitted_at = ?, reviewed_at = NULL, reviewed_by = '', updated_at = ?
			WHERE id = ?`, f.ProductName, f.Category, f.CategoryNote, f.GTIN, f.ProductCode, f.Spec, f.Manufacturer,
			f.LicenceNo, f.SupplierName, f.SupplierUSCC, f.Documents, f.Status, f.Version, f.SubmittedAt, f.UpdatedAt, f.ID); err != nil {
			return err
		}
		for _, t := range []string{"filing_lots", "filing_files"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE filing_id = ?`, f.ID); err != nil {
				return err
			}
		}
		if err := writeParts(ctx, tx, &f); err != nil {
			return err
		}
		if err := history(ctx, tx, who, &f, StatusReturned, ""); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "resubmit", Entity: "filing", EntityID: f.ID,
			RegionCode: f.RegionCode, Before: before, After: f}); err != nil {
			return err
		}
		return submitted(ctx, tx, &f)
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, db, who, id)
}

// Review decides on a submitted filing: approve, or return with a reason.
// Only holders of auth.PermRecallWrite whose region covers the filing's may
// review. Refusals: "decision" rule.filing.decision (neither approve nor
// return), rule.filing.not_submitted (already decided); "reason"
// rule.required (a return without one).
func Review(ctx context.Context, db *store.DB, who *auth.User, id string, in ReviewInput) (*Filing, error) {
	if !who.Can(auth.PermRecallWrite) || !isStaff(who) {
		return nil, fielderr.ErrForbidden
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := get(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if !canSee(who, before.RegionCode, before.EnterpriseID) {
			return fielderr.ErrNotFound
		}
		reason := strings.TrimSpace(strings.ReplaceAll(in.Reason, "\r\n", "\n"))
		var errs fielderr.List
		to := ""
		switch in.Decision {
		case DecisionApprove:
			to = StatusApproved
		case DecisionReturn:
			to = StatusReturned
			fielderr.CheckText(&errs, "reason", reason, true, 1000)
		default:
			errs.Add("decision", "rule.filing.decision")
		}
		if to != "" && before.Status != StatusSubmitted {
			errs.Add("decision", "rule.filing.not_submitted")
		}
		if to == StatusApproved {
			fielderr.CheckText(&errs, "reason", reason, false, 1000)
		}
		if err := errs.Err(); err != nil {
			return err
		}
		f := *before
		now := store.Now()
		f.Status, f.ReviewedAt, f.ReviewedBy, f.UpdatedAt = to, now, who.ID, now
		f.ReturnReason = ""
		if to == StatusReturned {
			f.ReturnReason = reason
		}
		if _, err := tx.Exec(ctx, `UPDATE filings SET status = ?, return_reason = ?, reviewed_at = ?, reviewed_by = ?,
			updated_at = ? WHERE id = ?`, f.Status, f.ReturnReason, f.ReviewedAt, f.ReviewedBy, f.UpdatedAt, f.ID); err != nil {
			return err
		}
		if err := history(ctx, tx, who, &f, before.Status, reason); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "review", Entity: "filing", EntityID: f.ID, RegionCode: f.RegionCode,
			Before: map[string]any{"status": before.Status},
			After:  map[string]any{"status": f.Status, "reason": reason, "version": f.Version}}); err != nil {
			return err
		}
		kind := "filing.approved"
		if to == StatusReturned {
			kind = "filing.returned"
		}
		if _, err := notify.ToEnterprise(ctx, tx, f.EnterpriseID, notify.Notice{Kind: kind,
			Params: map[string]string{"product": f.ProductName, "reason": reason}, Link: "/filings/" + f.ID,
			DedupeKey: "filing.reviewed:" + f.ID + ":" + strconv.Itoa(f.Version)}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, TopicReviewed, map[string]any{"id": f.ID, "enterprise_id": f.EnterpriseID,
			"region_code": f.RegionCode, "status": f.Status, "version": f.Version})
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, db, who, id)
}

// writeParts stores a filing's lots and files.
func writeParts(ctx context.Context, tx *store.Tx, f *Filing) error {
	for i, l := range f.Lots {
		if _, err := tx.Exec(ctx, `INSERT INTO filing_lots (filing_id, position, lot, quantity, unit) VALUES (?, ?, ?, ?, ?)`,
			f.ID, i, l.Lot, l.Quantity, l.Unit); err != nil {
			return err
		}
	}
	for _, file := range f.Files {
		if _, err := tx.Exec(ctx, `INSERT INTO filing_files (filing_id, hash, name, size, mime) VALUES (?, ?, ?, ?, ?)`,
			f.ID, file.Hash, file.Name, file.Size, file.Mime); err != nil {
			return err
		}
	}
	return nil
}

// history keeps a change of state.
func history(ctx context.Context, tx *store.Tx, who *auth.User, f *Filing, from, reason string) error {
	_, err := tx.Exec(ctx, `INSERT INTO filing_history (id, filing_id, version, at, actor_id, actor_name, from_status,
		to_status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		store.NewID(), f.ID, f.Version, f.UpdatedAt, who.ID, actorName(who), from, f.Status, reason)
	return err
}

// submitted tells the office (every holder of auth.PermRecallWrite in the
// filing's region) of a submission, and emits its domain event.
func submitted(ctx context.Context, tx *store.Tx, f *Filing) error {
	n := notify.Notice{Kind: "filing.submitted", Params: map[string]string{"enterprise": f.EnterpriseName, "product": f.ProductName},
		Link: "/filings/" + f.ID, DedupeKey: "filing.submitted:" + f.ID + ":" + strconv.Itoa(f.Version)}
	for _, r := range auth.Roles {
		if !auth.RoleHas(r, auth.PermRecallWrite) {
			continue
		}
		if _, err := notify.ToRole(ctx, tx, f.RegionCode, r, n); err != nil {
			return err
		}
	}
	return jobs.Emit(ctx, tx, TopicSubmitted, map[string]any{"id": f.ID, "enterprise_id": f.EnterpriseID,
		"region_code": f.RegionCode, "category": f.Category, "version": f.Version})
}
