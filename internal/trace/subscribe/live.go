package subscribe

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
)

// Live is a subscription held open by a connected client: the REST
// binding's WebSocket subscription (GET /queries/{name}/events with stream=true
// or a schedule). It lives as long as its connection and keeps its
// watermark in memory; nothing of it is stored, and a client that
// reconnects says where to resume with initialRecordTime.
type Live struct {
	ID            string
	QueryID       string
	QueryName     string
	Owner         string
	EPCFormat     string
	Stream        bool
	ReportIfEmpty bool
	MinRecordTime int64 // the watermark: matching events recorded before it were sent

	query    map[string]any
	schedule *compiledSchedule
}

// liveParams are the URL parameters of a live subscription: the controls
// of a webhook subscription without dest and signatureToken (the
// connection is the destination).
var liveParams = map[string]bool{"stream": true, "initialRecordTime": true, "reportIfEmpty": true,
	"second": true, "minute": true, "hour": true, "dayOfMonth": true, "month": true, "dayOfWeek": true}

// OpenLive checks a live subscription to owner's query queryName from the
// URL parameters p and the GS1-EPC-Format header. It answers ErrNoQuery
// when owner has no such query and *Invalid (SubscriptionControlsException,
// each problem naming its parameter) for bad parameters.
func OpenLive(ctx context.Context, db *store.DB, owner, queryName string, p url.Values, epcFormat string, now time.Time) (*Live, error) {
	var problems []trace.Problem
	req := Request{InitialRecordTime: p.Get("initialRecordTime")}
	for k, v := range p {
		switch {
		case !liveParams[k]:
			problems = append(problems, trace.Problem{Pointer: k, Rule: "rule.epcis.query.unknown"})
		case len(v) > 1:
			problems = append(problems, trace.Problem{Pointer: k, Rule: "rule.epcis.query.repeated"})
		}
	}
	var stream bool
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"stream", &stream}, {"reportIfEmpty", &req.ReportIfEmpty}} {
		switch v := p.Get(b.name); v {
		case "", "false":
		case "true":
			*b.dst = true
		default:
			problems = append(problems, trace.Problem{Pointer: b.name, Rule: "rule.epcis.query.boolean", Detail: v})
		}
	}
	if stream {
		req.Stream = &stream
	}
	sch := Schedule{Second: p.Get("second"), Minute: p.Get("minute"), Hour: p.Get("hour"),
		DayOfMonth: p.Get("dayOfMonth"), Month: p.Get("month"), DayOfWeek: p.Get("dayOfWeek")}
	if sch != (Schedule{}) {
		req.Schedule = &sch
	}
	c, more := checkControls(req, epcFormat, now)
	for _, m := range more {
		// The controls came as URL parameters: name them so.
		m.Pointer = strings.TrimPrefix(strings.TrimPrefix(m.Pointer, "/schedule/"), "/")
		problems = append(problems, m)
	}
	if len(problems) > 0 {
		return nil, invalidSubscription(problems...)
	}
	q, err := GetQuery(ctx, db, owner, queryName)
	if err != nil {
		return nil, err
	}
	return &Live{ID: store.NewID(), QueryID: q.ID, QueryName: q.Name, Owner: owner, EPCFormat: c.epcFormat,
		Stream: c.stream, ReportIfEmpty: req.ReportIfEmpty && !c.stream, MinRecordTime: c.initial,
		query: q.Query, schedule: c.schedule}, nil
}

// LivePoll is how often a live stream looks for newly recorded events.
const LivePoll = time.Second

// RunLive sends l's results through send, one EPCISQueryDocument per page:
// a stream's new events about every LivePoll (and Settle), a schedule's
// events since its last report whenever it comes round. Before each round
// allowed says whether the client may still see them (its account or token
// may have gone meanwhile). It returns when ctx ends, when send or allowed
// fails, or with ErrNoQuery once the query has been deleted: deleting a
// query ends its live subscriptions as it does its webhooks.
func (d *Deliverer) RunLive(ctx context.Context, l *Live, allowed func(context.Context) error, send func(context.Context, []byte) error) error {
	base, lo, hi, err := windowed(l.query)
	if err != nil {
		return err
	}
	poll := d.LivePoll
	if poll <= 0 {
		poll = LivePoll
	}
	for {
		wait := poll
		if l.schedule != nil {
			wait = time.Until(l.schedule.next(time.Now().In(scheduleZone)))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if err := allowed(ctx); err != nil {
			return err
		}
		q, err := GetQuery(ctx, d.DB, l.Owner, l.QueryName)
		if errors.Is(err, ErrNoQuery) || err == nil && q.ID != l.QueryID {
			return ErrNoQuery
		}
		if err != nil {
			return err
		}
		// As for webhooks, the window ends a little in the past, so that a
		// capture still committing is not overtaken.
		end := max(store.Now()-d.Settle.Milliseconds(), l.MinRecordTime)
		token, sent := "", false
		for {
			evs, next, err := d.page(ctx, l.Owner, l.EPCFormat, token, base, max(l.MinRecordTime, lo), min(end, hi))
			if err != nil {
				return err
			}
			if len(evs) > 0 || l.ReportIfEmpty && !sent {
				b, err := resultDocument(l.QueryName, l.ID, evs)
				if err != nil {
					return err
				}
				if err := send(ctx, b); err != nil {
					return err
				}
				sent = true
			}
			if next == "" {
				break
			}
			token = next
		}
		l.MinRecordTime = end
	}
}
