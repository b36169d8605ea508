package recall

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/notify"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// TopicNonconforming is the domain event a nonconforming result emits;
// its payload is Nonconforming. Each event proposes one recall.
const TopicNonconforming = "lot.nonconforming"

// Nonconforming is the payload of TopicNonconforming. Items are the failing
// test items, as the emitter lists them (strings, or objects with a name).
type Nonconforming struct {
	EnterpriseID string          `json:"enterprise_id"`
	Product      string          `json:"product"`
	Lot          string          `json:"lot"`
	Items        json.RawMessage `json:"items"`
	ReportID     string          `json:"report_id"`
}

// Proposal states.
const (
	ProposalPending   = "pending"
	ProposalConfirmed = "confirmed"
	ProposalDismissed = "dismissed"
)

// Proposal is a recall proposed by a nonconforming result.
type Proposal struct {
	ID             string   `json:"id"`
	EventID        string   `json:"event_id"`
	RegionCode     string   `json:"region_code"`
	EnterpriseID   string   `json:"enterprise_id,omitempty"`
	EnterpriseName string   `json:"enterprise_name,omitempty"`
	Product        string   `json:"product"`
	EPC            string   `json:"lot"`
	Items          []string `json:"items"`
	ReportID       string   `json:"report_id,omitempty"`
	Status         string   `json:"status"`
	RecallID       string   `json:"recall_id,omitempty"`
	DecisionReason string   `json:"decision_reason,omitempty"`
	DecidedBy      string   `json:"decided_by,omitempty"`
	DecidedAt      int64    `json:"decided_at,omitempty"`
	CreatedAt      int64    `json:"created_at"`
}

// itemNames turns the payload's items into text: strings as they are,
// objects by their name (or item) field, anything else as its JSON.
func itemNames(raw json.RawMessage) []string {
	out := []string{}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one != "" {
			out = append(out, one)
		}
		return out
	}
	var list []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &list) != nil {
		if s := strings.TrimSpace(string(raw)); s != "" && s != "null" {
			out = append(out, s)
		}
		return out
	}
	for _, it := range list {
		var s string
		if json.Unmarshal(it, &s) == nil {
			out = append(out, s)
			continue
		}
		var m map[string]any
		if json.Unmarshal(it, &m) == nil {
			for _, k := range []string{"name", "item", "title"} {
				if v, ok := m[k].(string); ok && v != "" {
					s = v
					break
				}
			}
		}
		if s == "" {
			s = string(it)
		}
		out = append(out, s)
	}
	return out
}

// Register wires the recall's event handler and daily job into the runner:
// proposals from nonconforming results, and at 06:10 China time (after the
// plan's lights) the recall lights and reminders.
func Register(r *jobs.Runner, db *store.DB) {
	r.Handle(TopicNonconforming, "recall.propose", func(ctx context.Context, tx *store.Tx, ev jobs.Event) error {
		_, err := Propose(ctx, tx, ev)
		return err
	})
	r.Daily("recall.lights", 6*time.Hour+10*time.Minute, func(ctx context.Context, day time.Time) error {
		_, err := Recompute(ctx, db)
		return err
	})
}

// Propose stores the proposal an event raises, once per event however often
// it is delivered, and tells the enterprise's supervising department (or,
// without one, the office of its region). It reports whether a new proposal
// was stored.
func Propose(ctx context.Context, tx *store.Tx, ev jobs.Event) (bool, error) {
	var p Nonconforming
	if err := ev.Decode(&p); err != nil {
		return false, err
	}
	items := itemNames(p.Items)
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return false, err
	}
	var region, dept, name string
	if p.EnterpriseID != "" {
		err := tx.QueryRow(ctx, `SELECT region_code, COALESCE(department_id, ''), name FROM enterprises WHERE id = ?`,
			p.EnterpriseID).Scan(&region, &dept, &name)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
	}
	pr := Proposal{ID: store.NewID(), EventID: ev.ID, RegionCode: region, EnterpriseID: p.EnterpriseID, Product: p.Product,
		EPC: strings.TrimSpace(p.Lot), Items: items, ReportID: p.ReportID, Status: ProposalPending, CreatedAt: store.Now()}
	res, err := tx.Exec(ctx, `INSERT INTO recall_proposals (id, event_id, region_code, enterprise_id, product, epc, items,
		report_id, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (event_id) DO NOTHING`,
		pr.ID, pr.EventID, pr.RegionCode, pr.EnterpriseID, pr.Product, pr.EPC, string(itemsJSON), pr.ReportID, pr.Status, pr.CreatedAt)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err // delivered before: nothing more to do
	}
	n := notify.Notice{Kind: "recall.proposed", Params: map[string]string{"enterprise": name, "product": pr.Product,
		"lot": pr.EPC, "items": strings.Join(items, "、")}, Link: "/recalls/proposals", DedupeKey: "recall.proposed:" + pr.ID}
	switch {
	case dept != "":
		_, err = notify.ToDepartment(ctx, tx, dept, n)
	case region != "":
		_, err = notify.ToRole(ctx, tx, region, auth.RoleAdmin, n)
	}
	if err != nil {
		return false, err
	}
	return true, audit.Write(audit.WithActor(ctx, audit.System), tx, audit.Entry{Action: "create", Entity: "recall_proposal",
		EntityID: pr.ID, RegionCode: region, After: pr})
}

const proposalCols = `p.id, p.event_id, p.region_code, p.enterprise_id, COALESCE(e.name, ''), p.product, p.epc, p.items,
	p.report_id, p.status, p.recall_id, p.decision_reason, p.decided_by, COALESCE(p.decided_at, 0), p.created_at`

const proposalFrom = ` FROM recall_proposals p LEFT JOIN enterprises e ON e.id = p.enterprise_id`

func scanProposal(row interface{ Scan(...any) error }) (*Proposal, error) {
	var p Proposal
	var items string
	if err := row.Scan(&p.ID, &p.EventID, &p.RegionCode, &p.EnterpriseID, &p.EnterpriseName, &p.Product, &p.EPC, &items,
		&p.ReportID, &p.Status, &p.RecallID, &p.DecisionReason, &p.DecidedBy, &p.DecidedAt, &p.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(items), &p.Items); err != nil {
		p.Items = []string{items}
	}
	return &p, nil
}

// proposalScope is the condition for the proposals who may see: those of
// the officer's region, and those whose enterprise nobody could place.
func proposalScope(who *auth.User) (string, []any) {
	cond, args := registry.RegionScopeSQL("p.region_code", who.RegionCode)
	return `(` + cond + ` OR p.region_code = '')`, args
}

// ListProposals lists the proposals an officer may decide, newest first;
// status "" lists every state.
func ListProposals(ctx context.Context, q store.Queryer, who *auth.User, status string) ([]Proposal, error) {
	if !isOfficer(who) {
		return nil, fielderr.ErrForbidden
	}
	cond, args := proposalScope(who)
	switch status {
	case "":
	case ProposalPending, ProposalConfirmed, ProposalDismissed:
		cond += ` AND p.status = ?`
		args = append(args, status)
	default:
		return nil, fielderr.New("status", "rule.choice")
	}
	rows, err := q.Query(ctx, `SELECT `+proposalCols+proposalFrom+` WHERE `+cond+` ORDER BY p.created_at DESC, p.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Proposal{}
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// GetProposal returns one proposal an officer may decide.
func GetProposal(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Proposal, error) {
	if !isOfficer(who) {
		return nil, fielderr.ErrForbidden
	}
	cond, args := proposalScope(who)
	p, err := scanProposal(q.QueryRow(ctx, `SELECT `+proposalCols+proposalFrom+` WHERE p.id = ? AND `+cond,
		append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fielderr.ErrNotFound
	}
	return p, err
}

// DefaultReason is the reason a confirmed proposal's form starts with.
func (p *Proposal) DefaultReason() string {
	s := strings.TrimSpace(p.EnterpriseName + " " + p.Product)
	if len(p.Items) > 0 {
		s += fmt.Sprintf(": %s", strings.Join(p.Items, "、"))
	}
	if p.ReportID != "" {
		s += " (" + p.ReportID + ")"
	}
	return strings.TrimSpace(s)
}

// ConfirmProposal opens the recall a pending proposal proposes, at the
// level the officer chooses, and marks the proposal confirmed in the same
// transaction.
func ConfirmProposal(ctx context.Context, db *store.DB, who *auth.User, id string, level int, reason string) (*Recall, error) {
	p, err := GetProposal(ctx, db, who, id)
	if err != nil {
		return nil, err
	}
	if p.Status != ProposalPending {
		return nil, fielderr.New("proposal", "rule.recall.proposal_decided")
	}
	return open(ctx, db, who, OpenInput{EPC: p.EPC, Level: level, Reason: reason}, p)
}

// DismissProposal sets a pending proposal aside with a reason.
func DismissProposal(ctx context.Context, db *store.DB, who *auth.User, id, reason string) (*Proposal, error) {
	p, err := GetProposal(ctx, db, who, id)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	var errs fielderr.List
	fielderr.CheckText(&errs, "reason", reason, true, MaxReason)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		return decide(ctx, tx, p, ProposalDismissed, "", reason, who, nowOf(ctx))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// decide moves a pending proposal to its decision, with an audit record;
// one decided meanwhile is refused.
func decide(ctx context.Context, tx *store.Tx, p *Proposal, status, recallID, reason string, who *auth.User, now time.Time) error {
	before := *p
	res, err := tx.Exec(ctx, `UPDATE recall_proposals SET status = ?, recall_id = ?, decision_reason = ?, decided_by = ?,
		decided_at = ? WHERE id = ? AND status = ?`, status, recallID, reason, who.ID, now.UnixMilli(), p.ID, ProposalPending)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return err
		}
		return fielderr.New("proposal", "rule.recall.proposal_decided")
	}
	p.Status, p.RecallID, p.DecisionReason, p.DecidedBy, p.DecidedAt = status, recallID, reason, who.ID, now.UnixMilli()
	return audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "recall_proposal", EntityID: p.ID, RegionCode: p.RegionCode,
		Before: before, After: *p})
}
