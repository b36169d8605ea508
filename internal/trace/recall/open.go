package recall

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Text limits.
const (
	MaxReason = 2000
	MaxNote   = 2000
)

// OpenInput opens a recall: the lot in any form codes.CanonicalID accepts
// (EPC URN, GS1 Digital Link, other URI), the level and the reason.
type OpenInput struct {
	EPC    string `json:"epc"`
	Level  int    `json:"level"`
	Reason string `json:"reason"`
}

// Open opens a recall (officers only): it validates the input, traces the
// lot forward, and in one transaction stores the recall with its scope,
// notifies every holding enterprise and the officer's department, and
// audits it. Refusals name the field: level (rule.recall.level), epc
// (rule.epcis.identifier, rule.recall.pattern, rule.recall.no_events,
// rule.recall.not_goods, rule.recall.already_open), reason.
func Open(ctx context.Context, db *store.DB, who *auth.User, in OpenInput) (*Recall, error) {
	return open(ctx, db, who, in, nil)
}

func open(ctx context.Context, db *store.DB, who *auth.User, in OpenInput, from *Proposal) (*Recall, error) {
	if !isOfficer(who) {
		return nil, fielderr.ErrForbidden
	}
	var errs fielderr.List
	lot, err := canonicalLot(in.EPC)
	if err != nil {
		l, _ := fielderr.As(err)
		errs = append(errs, l...)
	}
	if in.Level < MinLevel || in.Level > MaxLevel {
		errs.Add("level", "rule.recall.level", "min", MinLevel, "max", MaxLevel)
	}
	in.Reason = strings.TrimSpace(in.Reason)
	fielderr.CheckText(&errs, "reason", in.Reason, true, MaxReason)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	sc, err := computeScope(ctx, db, lot)
	if err != nil {
		return nil, err
	}
	clock, err := LoadClock(ctx, db)
	if err != nil {
		return nil, err
	}
	cal, err := workday.Load(ctx, db)
	if err != nil {
		return nil, err
	}
	now := nowOf(ctx)
	startDue, finishDue := clock.Deadlines(cal, in.Level, now)
	r := &Recall{ID: store.NewID(), RegionCode: who.RegionCode, EPC: strings.TrimSpace(in.EPC), LotURI: lot,
		Level: in.Level, Reason: in.Reason, Status: StatusOpen, DepartmentID: who.DepartmentID,
		StartDue: startDue.UnixMilli(), FinishDue: finishDue, Lots: len(sc.lots), Holders: len(sc.holders),
		OpenedBy: who.ID, OpenedAt: now.UnixMilli(), UpdatedAt: now.UnixMilli()}
	if from != nil {
		r.ProposalID, r.Product = from.ID, from.Product
		if from.RegionCode != "" {
			r.RegionCode = from.RegionCode
		}
	}
	for _, h := range sc.holders {
		r.Parties = append(r.Parties, *h)
	}
	clock.lights(cal, now, r)
	err = db.Tx(ctx, func(tx *store.Tx) error {
		var taken int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM recalls WHERE lot_uri = ? AND status = ?`, lot, StatusOpen).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return fielderr.New("epc", "rule.recall.already_open")
		}
		if err := insertRecall(ctx, tx, r, sc); err != nil {
			return err
		}
		if from != nil {
			if err := decide(ctx, tx, from, ProposalConfirmed, r.ID, "", who, now); err != nil {
				return err
			}
		}
		if err := history(ctx, tx, r.ID, now, "opened", map[string]string{"level": strconv.Itoa(r.Level), "lot": r.LotURI,
			"lots": strconv.Itoa(r.Lots), "holders": strconv.Itoa(r.Holders)}); err != nil {
			return err
		}
		if err := notifyOpened(ctx, tx, r, now); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "recall", EntityID: r.ID, RegionCode: r.RegionCode,
			After: summary(r)})
	})
	if store.IsUniqueViolation(err) {
		return nil, fielderr.New("epc", "rule.recall.already_open")
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// summary is what the audit trail keeps of a recall: the recall row, not
// its (reproducible) scope.
func summary(r *Recall) map[string]any {
	return map[string]any{"epc": r.EPC, "lot": r.LotURI, "level": r.Level, "reason": r.Reason, "status": r.Status,
		"start_due": r.StartDue, "finish_due": r.FinishDue, "lots": r.Lots, "holders": r.Holders,
		"holders_done": r.HoldersDone, "proposal_id": r.ProposalID, "close_reason": r.CloseReason}
}

func insertRecall(ctx context.Context, tx *store.Tx, r *Recall, sc *scope) error {
	if _, err := tx.Exec(ctx, `INSERT INTO recalls (id, region_code, epc, lot_uri, product, level, reason, status, department_id,
		proposal_id, start_due, finish_due, light, light_at, lots, holders, holders_done, opened_by, opened_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.ID, r.RegionCode, r.EPC, r.LotURI, r.Product, r.Level, r.Reason, r.Status, r.DepartmentID, r.ProposalID,
		r.StartDue, r.FinishDue, r.Light, r.OpenedAt, r.Lots, r.Holders, 0, r.OpenedBy, r.OpenedAt, r.UpdatedAt); err != nil {
		return err
	}
	for _, l := range sc.lots {
		path, err := json.Marshal(l.Path)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO recall_lots (recall_id, uri, tier, qty, uom, path) VALUES (?,?,?,?,?,?)`,
			r.ID, l.URI, l.Tier, qtyArg(l.Quantity, l.HasQty), l.UOM, string(path)); err != nil {
			return err
		}
	}
	for i := range r.Parties {
		h := &r.Parties[i]
		h.ID = store.NewID()
		parties, err := json.Marshal(h.Parties)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO recall_holders (id, recall_id, seq, enterprise_id, name, parties, custody, handled,
			status, light, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			h.ID, r.ID, i, h.EnterpriseID, h.Name, string(parties), h.Custody, h.Handled, h.Status, h.Light, r.OpenedAt); err != nil {
			return err
		}
		for _, hd := range h.Holdings {
			if _, err := tx.Exec(ctx, `INSERT INTO recall_holdings (recall_id, holder_id, lot_uri, party_uri, qty, uom)
				VALUES (?,?,?,?,?,?)`, r.ID, h.ID, hd.Lot, hd.Party, qtyArg(hd.Quantity, hd.HasQty), hd.UOM); err != nil {
				return err
			}
		}
		h.Confirmations = []Confirmation{}
	}
	return nil
}

func qtyArg(q float64, ok bool) any {
	if !ok {
		return nil
	}
	return q
}

// history appends a line to the recall's history, attributed to the actor
// in ctx.
func history(ctx context.Context, tx *store.Tx, recallID string, at time.Time, kind string, params map[string]string) error {
	a := audit.ActorFrom(ctx)
	b, err := json.Marshal(params)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO recall_history (id, recall_id, at, actor_id, actor_name, kind, params) VALUES (?,?,?,?,?,?,?)`,
		store.NewID(), recallID, at.UnixMilli(), a.ID, a.Name, kind, string(b))
	return err
}

// params are the placeholders every recall notification fills.
func params(r *Recall) map[string]string {
	lot := r.LotURI
	if r.Product != "" {
		lot = r.Product + " " + lot
	}
	return map[string]string{"lot": lot, "level": strconv.Itoa(r.Level), "reason": r.Reason,
		"start_due": time.UnixMilli(r.StartDue).In(workday.Shanghai).Format("2006-01-02 15:04"), "finish_due": r.FinishDue}
}

// notifyOpened tells every mapped holder (on its own part's page) and the
// opening department (on the recall's page); the history records how many
// were told and how many holders are left for the officer to contact.
func notifyOpened(ctx context.Context, tx *store.Tx, r *Recall, now time.Time) error {
	p := params(r)
	told, users, unmapped := 0, 0, 0
	for i := range r.Parties {
		h := &r.Parties[i]
		if h.EnterpriseID == "" {
			unmapped++
			continue
		}
		n, err := notify.ToEnterprise(ctx, tx, h.EnterpriseID, notify.Notice{Kind: "recall.opened", Params: p,
			Link: "/recalls/" + r.ID + "/holders/" + h.ID, DedupeKey: "recall.opened:" + r.ID + ":" + h.ID})
		if err != nil {
			return err
		}
		h.Notified = n
		if _, err := tx.Exec(ctx, `UPDATE recall_holders SET notified = ? WHERE id = ?`, n, h.ID); err != nil {
			return err
		}
		if n > 0 {
			told++
		}
		users += n
	}
	if r.DepartmentID != "" {
		if _, err := notify.ToDepartment(ctx, tx, r.DepartmentID, notify.Notice{Kind: "recall.opened.department", Params: p,
			Link: "/recalls/" + r.ID, DedupeKey: "recall.opened:" + r.ID}); err != nil {
			return err
		}
	}
	return history(ctx, tx, r.ID, now, "notified", map[string]string{"enterprises": strconv.Itoa(told),
		"users": strconv.Itoa(users), "unmapped": strconv.Itoa(unmapped)})
}
