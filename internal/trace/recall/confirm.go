package recall

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// ConfirmInput is a holder's report of what it did with a lot of the
// scope. HolderID may be left empty by an enterprise (its own part); an
// officer recording for a holder (one not registered, after a call) names
// it. Lot may be left empty when the holder holds one lot only. UOM is a
// UN/CEFACT code (KGM, EA …), defaulting to the holding's. Complete says
// the holder's part is done.
type ConfirmInput struct {
	HolderID string   `json:"holder_id"`
	Lot      string   `json:"lot"`
	Action   string   `json:"action"`
	Quantity *float64 `json:"quantity"`
	UOM      string   `json:"uom"`
	Note     string   `json:"note"`
	Complete bool     `json:"complete"`
	// Evidence is a file already in the blob store (the web layer stores
	// the upload first); not settable through the JSON API.
	EvidenceHash string `json:"-"`
	EvidenceName string `json:"-"`
}

var uomPattern = regexp.MustCompile(`^[A-Z0-9]{2,3}$`)

// mayConfirm: an enterprise for its own part, an officer for any holder.
func mayConfirm(who *auth.User) bool {
	return isOfficer(who) || enterpriseOf(who) != "" && who.Can(auth.PermTraceCapture)
}

// Confirm records a holder's confirmation. It first captures the act as an
// EPCIS ObjectEvent owned by the holder (disposition recalled, returned or
// destroyed), then, in one transaction, stores the confirmation with the
// event's ID, moves the holder on (started; done when complete), audits it,
// and closes the recall when every holder is done. Refusals name the field:
// holder_id, lot, action, quantity, uom, note, evidence; recall
// (rule.recall.closed) when the recall is closed.
func Confirm(ctx context.Context, db *store.DB, who *auth.User, recallID string, in ConfirmInput) (*Confirmation, error) {
	if !mayConfirm(who) {
		return nil, fielderr.ErrForbidden
	}
	r, err := visible(ctx, db, who, recallID, "")
	if err != nil {
		return nil, err
	}
	if r.Status != StatusOpen {
		return nil, fielderr.New("recall", "rule.recall.closed")
	}
	holders, err := loadHolders(ctx, db, r.ID, enterpriseOf(who))
	if err != nil {
		return nil, err
	}
	h, errs := pickHolder(holders, who, strings.TrimSpace(in.HolderID))
	c := &Confirmation{ID: store.NewID(), Action: in.Action, UOM: strings.TrimSpace(in.UOM), Note: strings.TrimSpace(in.Note),
		Complete: in.Complete, EvidenceHash: in.EvidenceHash, EvidenceName: strings.TrimSpace(in.EvidenceName), CreatedBy: who.ID}
	var held *Holding
	if h != nil {
		held, errs = pickLot(h, strings.TrimSpace(in.Lot), errs)
		c.HolderID = h.ID
	}
	if _, ok := cbv[in.Action]; !ok {
		errs.Add("action", "rule.recall.action")
	}
	switch {
	case in.Quantity == nil:
		errs.Add("quantity", "rule.required")
	case *in.Quantity < 0 || math.IsNaN(*in.Quantity) || math.IsInf(*in.Quantity, 0) || *in.Quantity > 1e12:
		errs.Add("quantity", "rule.recall.quantity")
	default:
		c.Quantity = *in.Quantity
	}
	if c.UOM == "" && held != nil {
		c.UOM = held.UOM
	}
	if c.UOM != "" && !uomPattern.MatchString(c.UOM) {
		errs.Add("uom", "rule.recall.uom")
	}
	if len([]rune(c.Note)) > MaxNote {
		errs.Add("note", "rule.max_length", "max", MaxNote)
	}
	if c.EvidenceHash != "" {
		if _, err := blob.Stat(ctx, db, c.EvidenceHash); err != nil {
			errs.Add("evidence", "rule.file.unknown", "name", c.EvidenceName)
		}
	}
	if h != nil && h.Status == HolderDone {
		errs.Add("holder_id", "rule.recall.holder_done")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	c.Lot = held.Lot
	now := nowOf(ctx)
	c.CreatedAt = now.UnixMilli()
	class, err := isClass(ctx, db, c.Lot)
	if err != nil {
		return nil, err
	}
	c.EventID = "urn:uuid:" + c.ID
	// The confirmation and its EPCIS event are stored together or not at all.
	err = db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := getRecall(ctx, tx, r.ID, tx.ForUpdate())
		if err != nil {
			return err
		}
		if cur.Status != StatusOpen {
			return fielderr.New("recall", "rule.recall.closed")
		}
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM recall_holders WHERE id = ?`+tx.ForUpdate(), h.ID).Scan(&status); err != nil {
			return err
		}
		if status == HolderDone {
			return fielderr.New("holder_id", "rule.recall.holder_done")
		}
		job, err := trace.CaptureTx(ctx, tx, confirmationDocument(c, class, now), trace.Options{Owner: h.EnterpriseID})
		if trace.IsValidation(err) {
			// The snapshot's lot is an identifier capture refuses in this
			// place (a pattern of the scope): name the field it came from.
			return fielderr.New("lot", "rule.epcis.schema")
		}
		if err != nil {
			return err
		}
		if !job.Success {
			return fielderr.New("action", "rule.epcis.schema")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO recall_confirmations (id, recall_id, holder_id, lot_uri, action, qty, uom, note,
			evidence_hash, evidence_name, event_id, complete, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			c.ID, r.ID, h.ID, c.Lot, c.Action, c.Quantity, c.UOM, c.Note, c.EvidenceHash, c.EvidenceName, c.EventID,
			c.Complete, c.CreatedBy, c.CreatedAt); err != nil {
			return err
		}
		next := status
		if status == HolderPending {
			next = HolderStarted
			if _, err := tx.Exec(ctx, `UPDATE recall_holders SET started_at = ? WHERE id = ?`, c.CreatedAt, h.ID); err != nil {
				return err
			}
		}
		if c.Complete {
			next = HolderDone
			if _, err := tx.Exec(ctx, `UPDATE recall_holders SET done_at = ? WHERE id = ?`, c.CreatedAt, h.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE recall_holders SET status = ?, updated_at = ? WHERE id = ?`, next, c.CreatedAt, h.ID); err != nil {
			return err
		}
		if err := history(ctx, tx, r.ID, now, "confirmed_"+c.Action, map[string]string{"holder": holderName(h),
			"quantity": strconv.FormatFloat(c.Quantity, 'f', -1, 64), "uom": c.UOM, "lot": c.Lot}); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "recall_confirmation", EntityID: c.ID,
			RegionCode: r.RegionCode, After: c}); err != nil {
			return err
		}
		if next != HolderDone {
			_, err := tx.Exec(ctx, `UPDATE recalls SET updated_at = ? WHERE id = ?`, c.CreatedAt, r.ID)
			return err
		}
		if err := history(ctx, tx, r.ID, now, "holder_done", map[string]string{"holder": holderName(h)}); err != nil {
			return err
		}
		return holderDone(ctx, tx, cur, now)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// holderName is how the history names a holder: its enterprise, else its
// first identifier.
func holderName(h *Holder) string {
	if h.Name != "" {
		return h.Name
	}
	if len(h.Parties) > 0 {
		return h.Parties[0]
	}
	return h.ID
}

// pickHolder finds the holder a confirmation is for.
func pickHolder(holders []Holder, who *auth.User, id string) (*Holder, fielderr.List) {
	var errs fielderr.List
	if id == "" {
		if enterpriseOf(who) != "" && len(holders) == 1 {
			return &holders[0], nil
		}
		errs.Add("holder_id", "rule.required")
		return nil, errs
	}
	for i := range holders {
		if holders[i].ID == id {
			return &holders[i], nil
		}
	}
	errs.Add("holder_id", "rule.recall.holder_unknown")
	return nil, errs
}

// pickLot finds the holding a confirmation is about.
func pickLot(h *Holder, lot string, errs fielderr.List) (*Holding, fielderr.List) {
	if lot == "" {
		lots := map[string]bool{}
		for _, hd := range h.Holdings {
			lots[hd.Lot] = true
		}
		if len(lots) == 1 {
			return &h.Holdings[0], errs
		}
		errs.Add("lot", "rule.required")
		return nil, errs
	}
	if id, err := canonicalLot(lot); err == nil {
		lot = id
	}
	for i := range h.Holdings {
		if h.Holdings[i].Lot == lot {
			return &h.Holdings[i], errs
		}
	}
	errs.Add("lot", "rule.recall.lot_not_held")
	return nil, errs
}

// holderDone counts a holder done and closes the recall when it was the
// last one, telling the department.
func holderDone(ctx context.Context, tx *store.Tx, r *Recall, now time.Time) error {
	var left int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM recall_holders WHERE recall_id = ? AND status <> ?`, r.ID, HolderDone).Scan(&left); err != nil {
		return err
	}
	r.HoldersDone = r.Holders - left
	if _, err := tx.Exec(ctx, `UPDATE recalls SET holders_done = ?, updated_at = ? WHERE id = ?`, r.HoldersDone, now.UnixMilli(), r.ID); err != nil {
		return err
	}
	if left > 0 {
		return nil
	}
	return closeTx(ctx, tx, r, "", now)
}

// closeTx closes r; reason "" means every holder confirmed.
func closeTx(ctx context.Context, tx *store.Tx, r *Recall, reason string, now time.Time) error {
	before := summary(r)
	actor := audit.ActorFrom(ctx)
	r.Status, r.CloseReason, r.ClosedAt, r.ClosedBy, r.Light = StatusClosed, reason, now.UnixMilli(), actor.ID, ""
	if _, err := tx.Exec(ctx, `UPDATE recalls SET status = ?, close_reason = ?, closed_at = ?, closed_by = ?, light = '',
		light_at = ?, updated_at = ? WHERE id = ?`, r.Status, reason, r.ClosedAt, r.ClosedBy, r.ClosedAt, r.ClosedAt, r.ID); err != nil {
		return err
	}
	kind, p := "closed_confirmed", map[string]string{}
	if reason != "" {
		kind, p = "closed", map[string]string{"reason": reason}
	}
	if err := history(ctx, tx, r.ID, now, kind, p); err != nil {
		return err
	}
	if r.DepartmentID != "" {
		np := params(r)
		np["close_reason"] = reason
		if _, err := notify.ToDepartment(ctx, tx, r.DepartmentID, notify.Notice{Kind: "recall.closed", Params: np,
			Link: "/recalls/" + r.ID, DedupeKey: "recall.closed:" + r.ID}); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "recall", EntityID: r.ID, RegionCode: r.RegionCode,
		Before: before, After: summary(r)})
}

// Close closes an open recall with a reason (officers only), e.g. when the
// holders left cannot be reached and the goods are accounted for otherwise.
func Close(ctx context.Context, db *store.DB, who *auth.User, id, reason string) (*Recall, error) {
	if !isOfficer(who) {
		return nil, fielderr.ErrForbidden
	}
	if _, err := visible(ctx, db, who, id, ""); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	var errs fielderr.List
	fielderr.CheckText(&errs, "reason", reason, true, MaxReason)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var r *Recall
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = getRecall(ctx, tx, id, tx.ForUpdate()); err != nil {
			return err
		}
		if r.Status != StatusOpen {
			return fielderr.New("reason", "rule.recall.closed")
		}
		return closeTx(ctx, tx, r, reason, nowOf(ctx))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// isClass reports whether events name the lot as a class (a quantity list)
// rather than as an instance (an EPC list).
func isClass(ctx context.Context, q store.Queryer, lot string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM epcis_event_nodes x JOIN trace_nodes t ON t.id = x.node
		WHERE t.uri = ? AND x.role BETWEEN 6 AND 9`, lot).Scan(&n)
	return n > 0, err
}

// confirmationDocument is the EPCIS document of a confirmation: one
// ObjectEvent OBSERVE whose eventID is the confirmation's, with the action's
// disposition and business step (traceability.md §8.1).
func confirmationDocument(c *Confirmation, class bool, now time.Time) map[string]any {
	step := cbv[c.Action]
	local := now.In(workday.Shanghai)
	ev := map[string]any{
		"type":                "ObjectEvent",
		"eventID":             "urn:uuid:" + c.ID,
		"eventTime":           local.Format("2006-01-02T15:04:05.000-07:00"),
		"eventTimeZoneOffset": local.Format("-07:00"),
		"action":              "OBSERVE",
		"bizStep":             step[1],
		"disposition":         step[0],
	}
	if class {
		qe := map[string]any{"epcClass": c.Lot, "quantity": c.Quantity}
		if c.UOM != "" {
			qe["uom"] = c.UOM
		}
		ev["quantityList"] = []any{qe}
	} else {
		ev["epcList"] = []any{c.Lot}
	}
	return map[string]any{
		"@context":      []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"},
		"type":          "EPCISDocument",
		"schemaVersion": "2.0",
		"creationDate":  local.Format("2006-01-02T15:04:05.000-07:00"),
		"epcisBody":     map[string]any{"eventList": []any{ev}},
	}
}
