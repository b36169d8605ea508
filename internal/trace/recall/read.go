package recall

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// isStaff: the roles that see every recall of their region.
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

// isOfficer: who may open, close and decide (auth.PermRecallWrite).
func isOfficer(who *auth.User) bool { return isStaff(who) && who.Can(auth.PermRecallWrite) }

// enterpriseOf is the enterprise an enterprise user acts for, "" otherwise.
func enterpriseOf(who *auth.User) string {
	if who == nil || who.Disabled || who.Role != auth.RoleEnterprise {
		return ""
	}
	return who.EnterpriseID
}

// recallCols are read from "recalls r".
const recallCols = `r.id, r.region_code, r.epc, r.lot_uri, r.product, r.level, r.reason, r.status, r.department_id,
	r.proposal_id, r.start_due, r.finish_due, r.light, r.lots, r.holders, r.holders_done, r.opened_by, r.opened_at,
	r.closed_by, COALESCE(r.closed_at, 0), r.close_reason, r.updated_at`

func scanRecall(row interface{ Scan(...any) error }) (*Recall, error) {
	var r Recall
	err := row.Scan(&r.ID, &r.RegionCode, &r.EPC, &r.LotURI, &r.Product, &r.Level, &r.Reason, &r.Status, &r.DepartmentID,
		&r.ProposalID, &r.StartDue, &r.FinishDue, &r.Light, &r.Lots, &r.Holders, &r.HoldersDone, &r.OpenedBy, &r.OpenedAt,
		&r.ClosedBy, &r.ClosedAt, &r.CloseReason, &r.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func getRecall(ctx context.Context, q store.Queryer, id, lock string) (*Recall, error) {
	r, err := scanRecall(q.QueryRow(ctx, `SELECT `+recallCols+` FROM recalls r WHERE r.id = ?`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fielderr.ErrNotFound
	}
	return r, err
}

// visible returns the recall when who may see it: staff of its region, or
// an enterprise among its holders; anything else is fielderr.ErrNotFound.
func visible(ctx context.Context, q store.Queryer, who *auth.User, id, lock string) (*Recall, error) {
	if !isStaff(who) && enterpriseOf(who) == "" {
		return nil, fielderr.ErrForbidden
	}
	r, err := getRecall(ctx, q, id, lock)
	if err != nil {
		return nil, err
	}
	if isStaff(who) {
		if !registry.RegionCovers(who.RegionCode, r.RegionCode) {
			return nil, fielderr.ErrNotFound
		}
		return r, nil
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM recall_holders WHERE recall_id = ? AND enterprise_id = ?`,
		id, enterpriseOf(who)).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fielderr.ErrNotFound
	}
	return r, nil
}

// Get returns a recall with its scope, holders, confirmations and history,
// and its lights judged now. An enterprise sees its own holder entry and the
// lots it holds only, and no history; staff see everything.
func Get(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Recall, error) {
	r, err := visible(ctx, q, who, id, "")
	if err != nil {
		return nil, err
	}
	if err := loadParts(ctx, q, r, enterpriseOf(who)); err != nil {
		return nil, err
	}
	if err := judgeNow(ctx, q, r); err != nil {
		return nil, err
	}
	return r, nil
}

// judgeNow sets the lights of r (with its holders loaded) at the context's
// time.
func judgeNow(ctx context.Context, q store.Queryer, r *Recall) error {
	c, err := LoadClock(ctx, q)
	if err != nil {
		return err
	}
	cal, err := workday.Load(ctx, q)
	if err != nil {
		return err
	}
	c.lights(cal, nowOf(ctx), r)
	return nil
}

// loadParts fills the scope, holders (only enterprise's when it is not "")
// and, for staff, the history.
func loadParts(ctx context.Context, q store.Queryer, r *Recall, enterprise string) error {
	holders, err := loadHolders(ctx, q, r.ID, enterprise)
	if err != nil {
		return err
	}
	r.Parties = holders
	lots, err := loadLots(ctx, q, r.ID)
	if err != nil {
		return err
	}
	if enterprise != "" {
		// Only the lots the enterprise holds: the rest of the chain is not
		// its business.
		mine := map[string]bool{}
		for _, h := range holders {
			for _, hd := range h.Holdings {
				mine[hd.Lot] = true
			}
		}
		kept := lots[:0]
		for _, l := range lots {
			if mine[l.URI] {
				l.Path = nil
				kept = append(kept, l)
			}
		}
		r.Scope = kept
		return nil
	}
	r.Scope = lots
	r.History, err = loadHistory(ctx, q, r.ID)
	return err
}

func loadLots(ctx context.Context, q store.Queryer, recallID string) ([]Lot, error) {
	rows, err := q.Query(ctx, `SELECT uri, tier, qty, uom, path FROM recall_lots WHERE recall_id = ? ORDER BY tier, uri`, recallID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Lot
	for rows.Next() {
		var l Lot
		var qty sql.NullFloat64
		var path string
		if err := rows.Scan(&l.URI, &l.Tier, &qty, &l.UOM, &path); err != nil {
			return nil, err
		}
		l.Quantity, l.HasQty = qty.Float64, qty.Valid
		if err := json.Unmarshal([]byte(path), &l.Path); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

const holderCols = `id, enterprise_id, name, parties, custody, handled, status, light, notified,
	COALESCE(started_at, 0), COALESCE(done_at, 0)`

func scanHolder(row interface{ Scan(...any) error }) (*Holder, error) {
	var h Holder
	var parties string
	if err := row.Scan(&h.ID, &h.EnterpriseID, &h.Name, &parties, &h.Custody, &h.Handled, &h.Status, &h.Light,
		&h.Notified, &h.StartedAt, &h.DoneAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(parties), &h.Parties); err != nil {
		return nil, err
	}
	h.Holdings, h.Confirmations = []Holding{}, []Confirmation{}
	return &h, nil
}

func loadHolders(ctx context.Context, q store.Queryer, recallID, enterprise string) ([]Holder, error) {
	query := `SELECT ` + holderCols + ` FROM recall_holders WHERE recall_id = ?`
	args := []any{recallID}
	if enterprise != "" {
		query += ` AND enterprise_id = ?`
		args = append(args, enterprise)
	}
	rows, err := q.Query(ctx, query+` ORDER BY seq`, args...)
	if err != nil {
		return nil, err
	}
	var out []Holder
	index := map[string]int{}
	for rows.Next() {
		h, err := scanHolder(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		index[h.ID] = len(out)
		out = append(out, *h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT holder_id, lot_uri, party_uri, qty, uom FROM recall_holdings WHERE recall_id = ?
		ORDER BY holder_id, lot_uri, party_uri`, recallID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var hid string
		var hd Holding
		var qty sql.NullFloat64
		if err := rows.Scan(&hid, &hd.Lot, &hd.Party, &qty, &hd.UOM); err != nil {
			rows.Close()
			return nil, err
		}
		hd.Quantity, hd.HasQty = qty.Float64, qty.Valid
		if i, ok := index[hid]; ok {
			out[i].Holdings = append(out[i].Holdings, hd)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT `+confirmationCols+` FROM recall_confirmations WHERE recall_id = ? ORDER BY created_at, id`, recallID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanConfirmation(rows)
		if err != nil {
			return nil, err
		}
		if i, ok := index[c.HolderID]; ok {
			out[i].Confirmations = append(out[i].Confirmations, *c)
		}
	}
	return out, rows.Err()
}

const confirmationCols = `id, holder_id, lot_uri, action, qty, uom, note, evidence_hash, evidence_name, event_id,
	complete, created_by, created_at`

func scanConfirmation(row interface{ Scan(...any) error }) (*Confirmation, error) {
	var c Confirmation
	err := row.Scan(&c.ID, &c.HolderID, &c.Lot, &c.Action, &c.Quantity, &c.UOM, &c.Note, &c.EvidenceHash, &c.EvidenceName,
		&c.EventID, &c.Complete, &c.CreatedBy, &c.CreatedAt)
	return &c, err
}

func loadHistory(ctx context.Context, q store.Queryer, recallID string) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT at, actor_id, actor_name, kind, params FROM recall_history WHERE recall_id = ?
		ORDER BY at, id`, recallID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var params string
		if err := rows.Scan(&e.At, &e.ActorID, &e.ActorName, &e.Kind, &params); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(params), &e.Params)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Filter selects recalls for List.
type Filter struct {
	Status string // open, closed or "" for both
	Level  int    // 1–3 or 0 for all
	Light  string // green, yellow, red (open recalls, judged now) or ""
	Search string // part of the lot identifier, the product or the reason
	From   string // opened on or after (YYYY-MM-DD)
	To     string // opened on or before (YYYY-MM-DD)
	Limit  int
	Offset int
}

// MaxLimit bounds one page of List.
const MaxLimit = 500

// List returns the recalls who may see, newest first, with their lights
// judged now, and how many match in all. An enterprise sees the recalls it
// holds a part of.
func List(ctx context.Context, q store.Queryer, who *auth.User, f Filter) ([]Recall, int, error) {
	var where []string
	var args []any
	switch {
	case isStaff(who):
		cond, a := registry.RegionScopeSQL("r.region_code", who.RegionCode)
		where, args = append(where, cond), append(args, a...)
	case enterpriseOf(who) != "":
		where = append(where, `r.id IN (SELECT recall_id FROM recall_holders WHERE enterprise_id = ?)`)
		args = append(args, enterpriseOf(who))
	default:
		return nil, 0, fielderr.ErrForbidden
	}
	var errs fielderr.List
	switch f.Status {
	case "":
	case StatusOpen, StatusClosed:
		where, args = append(where, `r.status = ?`), append(args, f.Status)
	default:
		errs.Add("status", "rule.choice")
	}
	if f.Level != 0 {
		if f.Level < MinLevel || f.Level > MaxLevel {
			errs.Add("level", "rule.recall.level")
		} else {
			where, args = append(where, `r.level = ?`), append(args, f.Level)
		}
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
		where = append(where, `(r.epc LIKE ? ESCAPE '\' OR r.lot_uri LIKE ? ESCAPE '\' OR r.product LIKE ? ESCAPE '\' OR r.reason LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like)
	}
	for _, d := range []struct {
		field, value, op string
		shift            int
	}{{"from", f.From, ">=", 0}, {"to", f.To, "<", 1}} {
		if d.value == "" {
			continue
		}
		day, err := workday.ParseDate(d.value)
		if err != nil {
			errs.Add(d.field, "rule.date")
			continue
		}
		where, args = append(where, `r.opened_at `+d.op+` ?`), append(args, day.AddDate(0, 0, d.shift).UnixMilli())
	}
	switch f.Light {
	case "", LightGreen, LightYellow, LightRed:
	default:
		errs.Add("light", "rule.choice")
	}
	if err := errs.Err(); err != nil {
		return nil, 0, err
	}
	query := `SELECT ` + recallCols + ` FROM recalls r WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY r.opened_at DESC, r.id DESC`
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, 0, err
	}
	var all []Recall
	for rows.Next() {
		r, err := scanRecall(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		all = append(all, *r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	// Lights are judged now, so the list and the recall's page agree;
	// there are few recalls in a region, and judging needs their holders.
	c, err := LoadClock(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	cal, err := workday.Load(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	now := nowOf(ctx)
	kept := all[:0]
	for _, r := range all {
		hs, err := holderStates(ctx, q, r.ID, enterpriseOf(who))
		if err != nil {
			return nil, 0, err
		}
		r.Parties = hs
		c.lights(cal, now, &r)
		r.Parties = nil
		if f.Light != "" && r.Light != f.Light {
			continue
		}
		kept = append(kept, r)
	}
	total := len(kept)
	limit := f.Limit
	if limit <= 0 || limit > MaxLimit {
		limit = 50
	}
	start := min(max(f.Offset, 0), total)
	return kept[start:min(start+limit, total)], total, nil
}

// holderStates loads only the holders' states, which is all a light needs.
func holderStates(ctx context.Context, q store.Queryer, recallID, enterprise string) ([]Holder, error) {
	query := `SELECT status FROM recall_holders WHERE recall_id = ?`
	args := []any{recallID}
	if enterprise != "" {
		query += ` AND enterprise_id = ?`
		args = append(args, enterprise)
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Holder
	for rows.Next() {
		var h Holder
		if err := rows.Scan(&h.Status); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// StateOfLot returns the open recall that covers the lot (canonical
// identifier, codes.CanonicalID): a recall of the lot itself or one whose
// scope holds it, the most severe level first; nil when there is none. It is
// public information (the product page shows a banner), so it asks for no
// user, and it returns the recall without its scope or holders.
func StateOfLot(ctx context.Context, db store.Queryer, canonicalURI string) (*Recall, error) {
	r, err := scanRecall(db.QueryRow(ctx, `SELECT `+recallCols+` FROM recalls r
		WHERE r.status = ? AND (r.lot_uri = ? OR r.id IN (SELECT recall_id FROM recall_lots WHERE uri = ?))
		ORDER BY r.level, r.opened_at DESC LIMIT 1`, StatusOpen, canonicalURI, canonicalURI))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// StatesOfLots is StateOfLot for each of several lots (canonical URIs):
// the lots under an open recall, each with the recall that covers it.
func StatesOfLots(ctx context.Context, db store.Queryer, canonicalURIs []string) (map[string]*Recall, error) {
	out := map[string]*Recall{}
	seen := map[string]bool{}
	for _, u := range canonicalURIs {
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		r, err := StateOfLot(ctx, db, u)
		if err != nil {
			return nil, err
		}
		if r != nil {
			out[u] = r
		}
	}
	return out, nil
}

// DashboardFigures returns the number of open recalls and how many of them
// are overdue (red) now, over every region: the office's home page.
func DashboardFigures(ctx context.Context, db *store.DB) (open, overdue int, err error) {
	rows, err := db.Query(ctx, `SELECT `+recallCols+` FROM recalls r WHERE r.status = ?`, StatusOpen)
	if err != nil {
		return 0, 0, err
	}
	var rs []Recall
	for rows.Next() {
		r, err := scanRecall(rows)
		if err != nil {
			rows.Close()
			return 0, 0, err
		}
		rs = append(rs, *r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	c, err := LoadClock(ctx, db)
	if err != nil {
		return 0, 0, err
	}
	cal, err := workday.Load(ctx, db)
	if err != nil {
		return 0, 0, err
	}
	now := nowOf(ctx)
	for _, r := range rs {
		if r.Parties, err = holderStates(ctx, db, r.ID, ""); err != nil {
			return 0, 0, err
		}
		c.lights(cal, now, &r)
		open++
		if r.Light == LightRed {
			overdue++
		}
	}
	return open, overdue, nil
}
