package subscribe

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// Request is the body of POST /queries/{name}/subscriptions: the binding's
// AbstractQuerySubscription with exactly one of QueryStreamSubscription
// ("stream": true) and QueryScheduleSubscription (schedule, reportIfEmpty).
// reportIfEmpty applies to schedules only: a stream reports events as they
// come, and there is no "empty" moment to report.
type Request struct {
	Dest              string    `json:"dest"`
	SignatureToken    string    `json:"signatureToken,omitempty"`
	InitialRecordTime string    `json:"initialRecordTime,omitempty"`
	ReportIfEmpty     bool      `json:"reportIfEmpty,omitempty"`
	Stream            *bool     `json:"stream,omitempty"`
	Schedule          *Schedule `json:"schedule,omitempty"`
}

// Subscription is a webhook subscription to a named query. Its
// signatureToken stays inside the package: it signs deliveries and is
// never shown.
type Subscription struct {
	ID                string
	QueryID           string
	QueryName         string
	Owner             string
	Dest              string
	Signed            bool // a signatureToken was given
	Stream            bool
	Schedule          *Schedule // nil for a stream
	ReportIfEmpty     bool
	EPCFormat         string
	InitialRecordTime int64
	MinRecordTime     int64 // the watermark: matching events recorded before it were delivered
	LastNotifiedAt    int64 // 0 before the first acknowledged delivery
	CreatedAt         int64
	CreatedBy         string

	token         string
	windowEnd     int64
	pageToken     string
	nextRunAt     int64
	nextAttemptAt int64
	attempts      int
	lastError     string
	lease         int64
}

// Limits of a subscription request.
const (
	MaxDestLength  = 2048
	MaxTokenLength = 1024
)

// checkDest accepts https URLs, and plain http only to this machine (a
// receiver under test, or a relay on the same host).
func checkDest(dest string) bool {
	u, err := url.Parse(dest)
	if err != nil || u.Host == "" || u.Opaque != "" || len(dest) > MaxDestLength {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		return host == "localhost" || ip != nil && ip.IsLoopback()
	}
	return false
}

// controls are a subscription's checked controls, webhook or live.
type controls struct {
	epcFormat string
	initial   int64 // initialRecordTime, Unix ms
	stream    bool
	schedule  *compiledSchedule
	nextRun   int64 // Unix ms of the schedule's first run
}

// checkControls checks what webhook and live subscriptions share: the EPC
// format, initialRecordTime, and exactly one of a stream and a schedule.
// Problems point into the request body (/stream, /schedule/minute…).
func checkControls(req Request, epcFormat string, now time.Time) (controls, []trace.Problem) {
	if epcFormat == "" {
		epcFormat = trace.FormatDigitalLink
	}
	c := controls{epcFormat: epcFormat, initial: now.UnixMilli(), stream: req.Stream != nil && *req.Stream}
	var problems []trace.Problem
	if req.InitialRecordTime != "" {
		t, err := time.Parse(time.RFC3339Nano, req.InitialRecordTime)
		if err != nil {
			problems = append(problems, trace.Problem{Pointer: "/initialRecordTime", Rule: "rule.epcis.time", Detail: req.InitialRecordTime})
		}
		c.initial = t.UnixMilli()
	}
	if !trace.ValidFormat(epcFormat) {
		problems = append(problems, trace.Problem{Pointer: "GS1-EPC-Format", Rule: "rule.epcis.epc_format", Detail: epcFormat})
	}
	switch {
	case c.stream == (req.Schedule != nil):
		// Both or neither: a stream must be asked for explicitly ("stream":
		// true), never by default, and it excludes a schedule.
		problems = append(problems, trace.Problem{Pointer: "/stream", Rule: "rule.epcis.subscription.kind"})
	case req.Schedule != nil:
		var bad []trace.Problem
		c.schedule, bad = req.Schedule.compile()
		problems = append(problems, bad...)
		if c.schedule != nil {
			c.nextRun = c.schedule.next(now.In(scheduleZone)).UnixMilli()
		}
	}
	return c, problems
}

// Subscribe adds a subscription to owner's query queryName. epcFormat is
// the GS1-EPC-Format the deliveries use ("" for the default, Digital Link).
// It answers ErrNoQuery when owner has no such query, and *Invalid
// (SubscriptionControlsException) for a bad request.
func Subscribe(ctx context.Context, db *store.DB, owner, queryName string, req Request, epcFormat string, now time.Time) (*Subscription, error) {
	var problems []trace.Problem
	if !checkDest(req.Dest) {
		problems = append(problems, trace.Problem{Pointer: "/dest", Rule: "rule.epcis.subscription.dest", Detail: req.Dest})
	}
	if utf8.RuneCountInString(req.SignatureToken) > MaxTokenLength {
		problems = append(problems, trace.Problem{Pointer: "/signatureToken", Rule: "rule.epcis.subscription.token"})
	}
	c, more := checkControls(req, epcFormat, now)
	if problems = append(problems, more...); len(problems) > 0 {
		return nil, invalidSubscription(problems...)
	}
	epcFormat, initial, stream, nextRun := c.epcFormat, c.initial, c.stream, c.nextRun
	s := &Subscription{ID: store.NewID(), QueryName: queryName, Owner: owner, Dest: req.Dest, Signed: req.SignatureToken != "",
		Stream: stream, Schedule: req.Schedule, ReportIfEmpty: req.ReportIfEmpty && !stream, EPCFormat: epcFormat,
		InitialRecordTime: initial, MinRecordTime: initial, CreatedAt: store.Now(), CreatedBy: audit.ActorFrom(ctx).ID,
		token: req.SignatureToken, nextRunAt: nextRun}
	var schedule string
	if s.Schedule != nil {
		b, _ := json.Marshal(s.Schedule)
		schedule = string(b)
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		q, err := GetQuery(ctx, tx, owner, queryName)
		if err != nil {
			return err
		}
		s.QueryID = q.ID
		if _, err := tx.Exec(ctx, `INSERT INTO epcis_subscriptions (id, query_id, owner_id, dest, signature_token, stream, schedule,
			report_if_empty, epc_format, initial_record_time, min_record_time, next_run_at, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, s.QueryID, owner, s.Dest, s.token, s.Stream, schedule, s.ReportIfEmpty, s.EPCFormat,
			s.InitialRecordTime, s.MinRecordTime, s.nextRunAt, s.CreatedAt, s.CreatedBy); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "epcis_subscription", EntityID: s.ID, After: s.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// auditView is what the audit log keeps of a subscription: everything but
// the token.
func (s *Subscription) auditView() map[string]any {
	return map[string]any{"query": s.QueryName, "owner": s.Owner, "dest": s.Dest, "signed": s.Signed,
		"stream": s.Stream, "schedule": s.Schedule, "reportIfEmpty": s.ReportIfEmpty, "epcFormat": s.EPCFormat,
		"initialRecordTime": s.InitialRecordTime}
}

const subscriptionColumns = `s.id, s.query_id, q.name, s.owner_id, s.dest, s.signature_token, s.stream, s.schedule,
	s.report_if_empty, s.epc_format, s.initial_record_time, s.min_record_time, s.last_notified_at, s.created_at, s.created_by,
	s.window_end, s.page_token, s.next_run_at, s.next_attempt_at, s.attempts, s.last_error, s.lease_until`

func scanSubscription(row interface{ Scan(...any) error }, extra ...any) (*Subscription, error) {
	s := &Subscription{}
	var schedule string
	var notified sql.NullInt64
	dst := []any{&s.ID, &s.QueryID, &s.QueryName, &s.Owner, &s.Dest, &s.token, &s.Stream, &schedule,
		&s.ReportIfEmpty, &s.EPCFormat, &s.InitialRecordTime, &s.MinRecordTime, &notified, &s.CreatedAt, &s.CreatedBy,
		&s.windowEnd, &s.pageToken, &s.nextRunAt, &s.nextAttemptAt, &s.attempts, &s.lastError, &s.lease}
	if err := row.Scan(append(dst, extra...)...); err != nil {
		return nil, err
	}
	s.Signed = s.token != ""
	s.LastNotifiedAt = notified.Int64
	if schedule != "" {
		s.Schedule = &Schedule{}
		if err := json.Unmarshal([]byte(schedule), s.Schedule); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func listSubscriptions(ctx context.Context, db store.Queryer, q *Query) ([]*Subscription, error) {
	rows, err := db.Query(ctx, `SELECT `+subscriptionColumns+` FROM epcis_subscriptions s JOIN epcis_queries q ON q.id = s.query_id
		WHERE s.query_id = ? ORDER BY s.created_at, s.id`, q.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ListSubscriptions returns the subscriptions to owner's query queryName,
// oldest first, or ErrNoQuery.
func ListSubscriptions(ctx context.Context, db *store.DB, owner, queryName string) ([]*Subscription, error) {
	q, err := GetQuery(ctx, db, owner, queryName)
	if err != nil {
		return nil, err
	}
	return listSubscriptions(ctx, db, q)
}

// GetSubscription returns one subscription to owner's query queryName:
// ErrNoQuery or ErrNoSubscription when either is missing.
func GetSubscription(ctx context.Context, db store.Queryer, owner, queryName, id string) (*Subscription, error) {
	q, err := GetQuery(ctx, db, owner, queryName)
	if err != nil {
		return nil, err
	}
	s, err := scanSubscription(db.QueryRow(ctx, `SELECT `+subscriptionColumns+` FROM epcis_subscriptions s
		JOIN epcis_queries q ON q.id = s.query_id WHERE s.id = ? AND s.query_id = ?`, id, q.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSubscription
	}
	return s, err
}

// Unsubscribe deletes a subscription; deliveries stop with it.
func Unsubscribe(ctx context.Context, db *store.DB, owner, queryName, id string) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		s, err := GetSubscription(ctx, tx, owner, queryName, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM epcis_subscriptions WHERE id = ?`, s.ID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "delete", Entity: "epcis_subscription", EntityID: s.ID, Before: s.auditView()})
	})
}
