// Package recall runs the recall and delisting of nonconforming lots
// (召回、不合格产品退市, domain-cn.md §6.3).
//
// An officer opens a recall on a lot at level 1, 2 or 3 with a reason, or
// confirms a proposal that a nonconforming test result raised (topic
// TopicNonconforming). At opening Hallmark traces the lot forward through
// the trace graph and keeps the result as the recall's scope: every
// downstream lot and every party that holds or held one, each party mapped
// to a registered enterprise where it can be. Every holding enterprise and
// the officer's department are notified in the same transaction.
//
// Each holder confirms what it removed from sale, returned or destroyed.
// A confirmation is also captured as an EPCIS ObjectEvent with the holder as
// owner (traceability.md §8.1: recalled / returned / destroyed), so the
// recall shows in the lot's own event history. The recall closes by itself
// when every holder has confirmed its part complete, or an officer closes it
// with a reason.
//
// Clocks follow the level (食品召回管理办法): start within 24/48/72 hours,
// finish within 10/20/30 working days counted on the official calendar
// (internal/workday). Both are settings, read when a recall opens and fixed
// on it. A daily job recomputes the lights and reminds each holder once per
// clock.
package recall

import (
	"context"
	"time"

	"github.com/hallmark-platform/hallmark/internal/clock"
)

// Levels (一级, 二级, 三级).
const (
	MinLevel = 1
	MaxLevel = 3
)

// Recall states.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Holder states: pending until its first confirmation, started after it,
// done once it confirms its part complete.
const (
	HolderPending = "pending"
	HolderStarted = "started"
	HolderDone    = "done"
)

// Lights.
const (
	LightGreen  = "green"
	LightYellow = "yellow"
	LightRed    = "red"
)

// Actions a holder confirms, each captured as an EPCIS event with the
// disposition and business step of traceability.md §8.1.
const (
	ActionRemoved   = "removed"   // taken off sale (下架): disposition recalled, bizStep holding
	ActionReturned  = "returned"  // sent or taken back: disposition returned, bizStep receiving
	ActionDestroyed = "destroyed" // destroyed or rendered harmless: disposition destroyed, bizStep destroying
)

// Actions lists the actions in display order.
var Actions = []string{ActionRemoved, ActionReturned, ActionDestroyed}

// cbv is the disposition and business step of an action.
var cbv = map[string][2]string{
	ActionRemoved:   {"recalled", "holding"},
	ActionReturned:  {"returned", "receiving"},
	ActionDestroyed: {"destroyed", "destroying"},
}

// Recall is a recall with, on Get, its scope, holders and history.
type Recall struct {
	ID           string `json:"id"`
	RegionCode   string `json:"region_code"`
	EPC          string `json:"epc"`
	LotURI       string `json:"lot"`
	Product      string `json:"product,omitempty"`
	Level        int    `json:"level"`
	Reason       string `json:"reason"`
	Status       string `json:"status"`
	DepartmentID string `json:"department_id,omitempty"`
	ProposalID   string `json:"proposal_id,omitempty"`
	// StartDue is when every holder must have started (Unix ms);
	// FinishDue the last day (YYYY-MM-DD, Asia/Shanghai) to finish.
	StartDue    int64  `json:"start_due"`
	FinishDue   string `json:"finish_due"`
	Light       string `json:"light"`
	Lots        int    `json:"lots_count"`
	Holders     int    `json:"holders_count"`
	HoldersDone int    `json:"holders_done"`
	OpenedBy    string `json:"opened_by"`
	OpenedAt    int64  `json:"opened_at"`
	ClosedBy    string `json:"closed_by,omitempty"`
	ClosedAt    int64  `json:"closed_at,omitempty"`
	CloseReason string `json:"close_reason,omitempty"`
	UpdatedAt   int64  `json:"updated_at"`

	// Filled by Get. An enterprise sees only its own holder and the lots
	// it holds; Scope is the whole snapshot for staff.
	Scope   []Lot    `json:"scope,omitempty"`
	Parties []Holder `json:"holders,omitempty"`
	History []Entry  `json:"history,omitempty"`
}

// Lot is one lot of a recall's scope.
type Lot struct {
	URI string `json:"lot"`
	// Tier is the number of trace edges from the recalled lot (0 for it).
	Tier     int     `json:"tier"`
	Quantity float64 `json:"quantity,omitempty"`
	HasQty   bool    `json:"has_quantity"`
	UOM      string  `json:"uom,omitempty"`
	// Path is how the trace reached the lot, from the recalled lot.
	Path []Step `json:"path"`
}

// Step is one edge of a path.
type Step struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Kind    string `json:"kind"` // transformed, packed, shipped, received
	At      int64  `json:"at"`
	EventID string `json:"event_id,omitempty"`
}

// Holder is a party that holds or held lots of the scope: a registered
// enterprise (EnterpriseID set, its users are notified) or an identifier no
// enterprise could be found for (listed for the officer to contact).
type Holder struct {
	ID           string   `json:"id"`
	EnterpriseID string   `json:"enterprise_id,omitempty"`
	Name         string   `json:"name,omitempty"`
	Parties      []string `json:"parties"`
	// Custody: goods went to it (shipping or receiving); Handled: it
	// captured events on a lot of the scope.
	Custody       bool           `json:"custody"`
	Handled       bool           `json:"handled"`
	Status        string         `json:"status"`
	Light         string         `json:"light"`
	Notified      int            `json:"notified"`
	StartedAt     int64          `json:"started_at,omitempty"`
	DoneAt        int64          `json:"done_at,omitempty"`
	Holdings      []Holding      `json:"holdings"`
	Confirmations []Confirmation `json:"confirmations"`
}

// Holding is a lot a holder holds or held, through one of its identifiers
// (Party is "" when the holder only captured events on the lot).
type Holding struct {
	Lot      string  `json:"lot"`
	Party    string  `json:"party,omitempty"`
	Quantity float64 `json:"quantity,omitempty"`
	HasQty   bool    `json:"has_quantity"`
	UOM      string  `json:"uom,omitempty"`
}

// Confirmation is what a holder reports it did with a lot.
type Confirmation struct {
	ID           string  `json:"id"`
	HolderID     string  `json:"holder_id"`
	Lot          string  `json:"lot"`
	Action       string  `json:"action"`
	Quantity     float64 `json:"quantity"`
	UOM          string  `json:"uom,omitempty"`
	Note         string  `json:"note,omitempty"`
	EvidenceHash string  `json:"evidence_hash,omitempty"`
	EvidenceName string  `json:"evidence_name,omitempty"`
	// EventID is the EPCIS event that records the same act.
	EventID   string `json:"event_id"`
	Complete  bool   `json:"complete"`
	CreatedBy string `json:"created_by"`
	CreatedAt int64  `json:"created_at"`
}

// Entry is one line of a recall's history; Kind names the message
// "recall.history.<kind>" and Params fill it. Kinds: opened, notified,
// confirmed_<action>, holder_done, reminded_<start|finish>, light_<light>,
// closed (by an officer, with a reason), closed_confirmed (every holder
// confirmed).
type Entry struct {
	At        int64             `json:"at"`
	ActorID   string            `json:"actor_id"`
	ActorName string            `json:"actor_name,omitempty"`
	Kind      string            `json:"kind"`
	Params    map[string]string `json:"params,omitempty"`
}

// WithClock returns a context whose writes and judgements use now instead
// of the wall clock (tests, and the web server's configured clock).
func WithClock(ctx context.Context, now func() time.Time) context.Context {
	return clock.With(ctx, now)
}

func nowOf(ctx context.Context) time.Time { return clock.Now(ctx) }
