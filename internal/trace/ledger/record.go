package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/clock"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// TopicRecorded is the domain event emitted for each entry recorded.
const TopicRecorded = "ledger.recorded"

// isEnterpriseUser: an enterprise's own account.
func isEnterpriseUser(who *auth.User) bool {
	return who != nil && !who.Disabled && who.Role == auth.RoleEnterprise && who.EnterpriseID != ""
}

// isStaff: the roles that see their region's books.
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

// canRecord: who may record entries at all (an enterprise its own, an
// officer or the office for an enterprise of its region).
func canRecord(who *auth.User) bool {
	return who.Can(auth.PermTraceCapture) && (isEnterpriseUser(who) || isStaff(who) && who.Role != auth.RoleInspector)
}

func canRead(who *auth.User) bool {
	return who.Can(auth.PermTraceRead) && (isEnterpriseUser(who) || isStaff(who))
}

// Enterprise resolves the enterprise an entry (or a filing) is recorded
// for: an enterprise user's own, whatever else is given; for an officer the
// one named by id, or else by USCC, among those the officer may see. Errors
// name the field ("enterprise_id" or "enterprise_uscc").
func Enterprise(ctx context.Context, q store.Queryer, who *auth.User, id, uscc string) (*registry.Enterprise, error) {
	if isEnterpriseUser(who) {
		if id != "" && id != who.EnterpriseID {
			return nil, fielderr.New("enterprise_id", "rule.enterprise.unknown")
		}
		return registry.GetEnterprise(ctx, q, who, who.EnterpriseID)
	}
	id, uscc = strings.TrimSpace(id), code(uscc)
	switch {
	case id != "":
		e, err := registry.GetEnterprise(ctx, q, who, id)
		if errors.Is(err, fielderr.ErrNotFound) {
			return nil, fielderr.New("enterprise_id", "rule.enterprise.unknown")
		}
		return e, err
	case uscc != "":
		e, err := registry.FindEnterpriseByUSCC(ctx, q, who, uscc)
		if errors.Is(err, fielderr.ErrNotFound) {
			return nil, fielderr.New("enterprise_uscc", "rule.enterprise.unknown")
		}
		return e, err
	}
	return nil, fielderr.New("enterprise_uscc", "rule.required")
}

// Today is the day in the county, by the context's clock (clock.With):
// dates after it are refused.
func Today(ctx context.Context) string {
	return clock.Now(ctx).In(workday.Shanghai).Format(time.DateOnly)
}

// RecordIncoming records an incoming check and captures its receiving
// event. A field error (fielderr.List) names each bad field; the
// enterprise's field is enterprise_id or enterprise_uscc.
func RecordIncoming(ctx context.Context, db *store.DB, who *auth.User, in IncomingInput) (*Entry, error) {
	return record(ctx, db, who, in.common())
}

// RecordSale records a sale and captures its shipping event.
func RecordSale(ctx context.Context, db *store.DB, who *auth.User, in SaleInput) (*Entry, error) {
	return record(ctx, db, who, in.common())
}

func record(ctx context.Context, db *store.DB, who *auth.User, in input) (*Entry, error) {
	if !canRecord(who) {
		return nil, fielderr.ErrForbidden
	}
	var e Entry
	err := db.Tx(ctx, func(tx *store.Tx) error {
		ent, err := Enterprise(ctx, tx, who, in.enterpriseID, in.enterpriseUSCC)
		var errs fielderr.List
		if err != nil {
			fe, ok := fielderr.As(err)
			if !ok {
				return err
			}
			errs = append(errs, fe...)
		}
		var more fielderr.List
		e, more, err = prepare(ctx, tx, in, ent, Today(ctx), newLookups())
		if err != nil {
			return err
		}
		errs = append(errs, more...)
		files, ferrs, err := CheckFiles(ctx, tx, in.files)
		if err != nil {
			return err
		}
		errs = append(errs, ferrs...)
		if err := errs.Err(); err != nil {
			return err
		}
		e.Files = files
		e.ID = store.NewID()
		e.EventID = EventIDOf(e.ID)
		e.CreatedBy, e.CreatedAt = audit.ActorFrom(ctx).ID, store.Now()
		return storeWithEvents(ctx, tx, []Entry{e}, "create")
	})
	if err != nil {
		return nil, err
	}
	return Get(ctx, db, who, e.ID)
}

// CheckFiles confirms that each attachment was uploaded (blob.Store.Put)
// and returns them with their stored size and type; a file that was not is
// a field error on "files" (rule.file.unknown).
func CheckFiles(ctx context.Context, q store.Queryer, in []blob.File) ([]blob.File, fielderr.List, error) {
	var errs fielderr.List
	var out []blob.File
	seen := map[string]bool{}
	for _, f := range in {
		if seen[f.Hash] {
			continue
		}
		seen[f.Hash] = true
		st, err := blob.Stat(ctx, q, f.Hash)
		if errors.Is(err, fielderr.ErrNotFound) {
			errs.Add("files", "rule.file.unknown", "name", f.Name)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		st.Name = clean(f.Name)
		if st.Name == "" {
			st.Name = f.Hash[:12]
		}
		out = append(out, st)
	}
	return out, errs, nil
}

const entryInsert = `INSERT INTO ledger_entries (id, kind, region_code, enterprise_id, party_uscc, party_name, party_address,
	party_contact, party_enterprise_id, party_id, product_name, gtin, spec, product_code, lot, lot_id, quantity, unit,
	production_date, shelf_life, shelf_life_unit, expiry_date, event_date, licence_no, test_report_no, cert_no, invoice_no,
	note, retain_until, event_id, created_by, created_at) VALUES `

const entryWidth = 32

// insertBatch bounds one multi-row insert (32 parameters a row) under both
// databases' parameter limits.
const insertBatch = 200

// insert writes entries, their files, their audit records and their domain
// events inside tx.
func insert(ctx context.Context, tx *store.Tx, entries []Entry, action string) error {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", entryWidth), ", ") + ")"
	for i := 0; i < len(entries); i += insertBatch {
		part := entries[i:min(i+insertBatch, len(entries))]
		args := make([]any, 0, len(part)*entryWidth)
		for _, e := range part {
			args = append(args, e.ID, e.Kind, e.RegionCode, e.EnterpriseID, e.PartyUSCC, e.PartyName, e.PartyAddress,
				e.PartyContact, e.PartyEnterpriseID, e.PartyID, e.ProductName, e.GTIN, e.Spec, e.ProductCode, e.Lot, e.LotID,
				e.Quantity, e.Unit, e.ProductionDate, e.ShelfLife, e.ShelfLifeUnit, e.ExpiryDate, e.Date, e.LicenceNo,
				e.TestReportNo, e.CertNo, e.InvoiceNo, e.Note, e.RetainUntil, e.EventID, e.CreatedBy, e.CreatedAt)
		}
		q := entryInsert + strings.TrimSuffix(strings.Repeat(row+", ", len(part)), ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	entries2 := make([]audit.Entry, len(entries))
	events := make([]any, len(entries))
	for i, e := range entries {
		for _, f := range e.Files {
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_files (entry_id, hash, name, size, mime) VALUES (?, ?, ?, ?, ?)`,
				e.ID, f.Hash, f.Name, f.Size, f.Mime); err != nil {
				return err
			}
		}
		entries2[i] = audit.Entry{Action: action, Entity: "ledger_entry", EntityID: e.ID, RegionCode: e.RegionCode, After: e}
		events[i] = map[string]any{"id": e.ID, "kind": e.Kind, "enterprise_id": e.EnterpriseID, "region_code": e.RegionCode,
			"lot_id": e.LotID, "party_id": e.PartyID, "event_id": e.EventID}
	}
	if err := audit.WriteMany(ctx, tx, entries2); err != nil {
		return err
	}
	return jobs.EmitMany(ctx, tx, TopicRecorded, events)
}

// storeWithEvents writes entries and their events inside tx: an entry is never kept
// without its event, nor an event without its entry.
func storeWithEvents(ctx context.Context, tx *store.Tx, entries []Entry, action string) error {
	if err := insert(ctx, tx, entries, action); err != nil {
		return err
	}
	return capture(ctx, tx, entries)
}

// capture stores the entries' events (one document, all or nothing) and
// marks the entries captured, inside tx.
func capture(ctx context.Context, tx *store.Tx, entries []Entry) error {
	doc, err := document(entries)
	if err != nil {
		return err
	}
	job, err := trace.CaptureTx(ctx, tx, doc, trace.Options{Owner: entries[0].EnterpriseID})
	if err != nil {
		return fmt.Errorf("ledger: capture: %w", err)
	}
	now := store.Now()
	for i := 0; i < len(entries); i += 500 {
		part := entries[i:min(i+500, len(entries))]
		args := []any{now, job.ID}
		for _, e := range part {
			args = append(args, e.ID)
		}
		if _, err := tx.Exec(ctx, `UPDATE ledger_entries SET captured_at = ?, capture_id = ? WHERE id IN (`+
			strings.Repeat(",?", len(part))[1:]+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

// CaptureMissing captures the events of entries recorded at least minAge
// ago that have none on record, enterprise by enterprise, and returns how
// many it marked. Entries are written with their events in one transaction
// now; stores from before kept them in two, and a stop between left entries
// to capture here. Capture is idempotent, so an event stored before such a
// stop is not stored twice. It runs every few minutes from the job runner.
func CaptureMissing(ctx context.Context, db *store.DB, minAge time.Duration) (int, error) {
	before := store.Now() - minAge.Milliseconds()
	rows, err := db.Query(ctx, `SELECT `+entryCols+entryFrom+` WHERE l.captured_at IS NULL AND l.created_at <= ?
		ORDER BY l.enterprise_id, l.created_at LIMIT 5000`, before)
	if err != nil {
		return 0, err
	}
	var pending []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		pending = append(pending, *e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for i := 0; i < len(pending); {
		j := i
		for j < len(pending) && pending[j].EnterpriseID == pending[i].EnterpriseID && j-i < 1000 {
			j++
		}
		part := pending[i:j]
		if err := db.Tx(ctx, func(tx *store.Tx) error { return capture(ctx, tx, part) }); err != nil {
			return n, err
		}
		n += len(part)
		i = j
	}
	return n, nil
}
