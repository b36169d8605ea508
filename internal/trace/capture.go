package trace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace/eventhash"
)

// Limits announced to clients (OPTIONS /epcis/capture) and enforced.
const (
	CaptureLimit         = 10000      // events per document
	CaptureFileSizeLimit = 64 << 20   // bytes per document
	SingleEventSizeLimit = 1 << 20    // bytes per POST /events
	behaviourRollback    = "rollback" // all or nothing (default)
	behaviourProceed     = "proceed"  // keep the good events
	eventListPath        = "/epcisBody/eventList"
	queryEventListPath   = "/epcisBody/queryResults/resultsBody/eventList"
)

// ErrDuplicate refuses a single event whose eventID is already taken by a
// different event.
var ErrDuplicate = errors.New("epcis: event ID already captured")

// Options say who captures and how.
type Options struct {
	Owner     string // enterprise ID the events belong to; "" for the office
	Behaviour string // "rollback" (default) or "proceed"
}

// Job is a capture job as the REST binding reports it.
type Job struct {
	ID         string    `json:"captureID"`
	CreatedAt  int64     `json:"-"`
	FinishedAt int64     `json:"-"`
	Running    bool      `json:"running"`
	Success    bool      `json:"success"`
	Behaviour  string    `json:"captureErrorBehaviour"`
	Events     int       `json:"-"`
	Errors     []Problem `json:"errors"`
	Owner      string    `json:"-"`
	CreatedBy  string    `json:"-"`
}

// eventsOf finds the event list of an EPCIS document or query document and
// the JSON pointer it lives at.
func eventsOf(doc map[string]any) ([]any, string, *ValidationError) {
	body, _ := doc["epcisBody"].(map[string]any)
	switch doc["type"] {
	case "EPCISDocument":
		return list(body["eventList"]), eventListPath, nil
	case "EPCISQueryDocument":
		qr, _ := body["queryResults"].(map[string]any)
		rb, _ := qr["resultsBody"].(map[string]any)
		return list(rb["eventList"]), queryEventListPath, nil
	}
	return nil, "", invalid("/type", "rule.epcis.document_type", "expected EPCISDocument or EPCISQueryDocument")
}

// CheckDocument validates a whole document without storing it: the envelope
// and every event against the GS1 schema, then identifiers and times, and
// the identifiers of its master data, as Capture does. It
// returns the parsed events in document order.
func CheckDocument(doc map[string]any, behaviour string) ([]*event, *ValidationError) {
	c, bad := startCheck(doc, store.Now())
	if bad != nil {
		return nil, bad
	}
	out := []*event{}
	problems := &ValidationError{}
	if _, bad := masterDataOf(doc); bad != nil {
		problems.Problems = append(problems.Problems, bad.Problems...)
	}
	for i := range c.chunks {
		evs, bad := c.chunk(i)
		out = append(out, evs...)
		if bad != nil {
			problems.Problems = append(problems.Problems, bad.Problems...)
			if behaviour != behaviourProceed && len(problems.Problems) >= 10 {
				break
			}
		}
	}
	c.stop()
	if len(problems.Problems) > 0 {
		return out, problems
	}
	return out, nil
}

// checkChunk is how many events a checker takes at a time: small enough
// that storing can start soon after checking does, large enough that the
// store writes them in few statements.
const checkChunk = 100

// checkSlots bounds how many chunks are checked at once across all
// captures: one core is left to writing (SQLite's single writer, or the
// PostgreSQL server beside us), so that checking the next documents does not
// slow the one being written, which every capture waits for.
var checkSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))

// checking is a document's events being checked on every core, chunk by
// chunk, so that a capture stores one chunk while the next is checked.
type checking struct {
	chunks []checkedChunk
	quit   chan struct{}
	wg     sync.WaitGroup
}

type checkedChunk struct {
	done   chan struct{}
	events []*event
	bad    *ValidationError
}

// startCheck checks the envelope at once and starts checking the events;
// recordTime (Unix ms) is written into each event as it will be stored.
func startCheck(doc map[string]any, recordTime int64) (*checking, *ValidationError) {
	s, err := compiled()
	if err != nil {
		return nil, invalid("", "rule.epcis.schema", err.Error())
	}
	evs, at, bad := eventsOf(doc)
	if bad != nil {
		return nil, bad
	}
	if len(evs) > CaptureLimit {
		return nil, invalid(at, "rule.epcis.capture_limit", fmt.Sprintf("%d events, at most %d", len(evs), CaptureLimit))
	}
	// The envelope is checked with an empty event list, the events one by
	// one, so each problem points at its event.
	env := withEvents(doc, []any{})
	if v := checkSchema(s.root, env, ""); v != nil {
		return nil, v
	}
	ns := eventhash.NamespacesOf(doc)
	extra := userContexts(doc)
	rt := formatRecordTime(recordTime)
	c := &checking{chunks: make([]checkedChunk, (len(evs)+checkChunk-1)/checkChunk), quit: make(chan struct{})}
	for i := range c.chunks {
		c.chunks[i].done = make(chan struct{})
	}
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), len(c.chunks)) {
		c.wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(c.chunks) {
					return
				}
				select {
				case <-c.quit:
					return
				default:
				}
				ch := &c.chunks[i]
				checkSlots <- struct{}{}
				problems := &ValidationError{}
				for j := i * checkChunk; j < min((i+1)*checkChunk, len(evs)); j++ {
					p := ptr(at, j)
					m, ok := evs[j].(map[string]any)
					if !ok {
						problems.Problems = append(problems.Problems, invalid(p, "rule.epcis.schema", "not an object").Problems...)
						continue
					}
					e, bad := checkEvent(s, m, p, ns, false)
					if bad != nil {
						problems.Problems = append(problems.Problems, bad.Problems...)
						continue
					}
					if _, ok := m["@context"]; !ok && len(extra) > 0 {
						// Events are stored and returned one by one: each keeps
						// the namespaces its extensions were declared with.
						m["@context"] = extra
					}
					if err := e.marshal(rt); err != nil {
						problems.Problems = append(problems.Problems, invalid(p, "rule.epcis.schema", err.Error()).Problems...)
						continue
					}
					ch.events = append(ch.events, e)
				}
				<-checkSlots
				if len(problems.Problems) > 0 {
					ch.bad = problems
				}
				close(ch.done)
			}
		})
	}
	return c, nil
}

// chunk waits for chunk i and returns its good events and its problems.
func (c *checking) chunk(i int) ([]*event, *ValidationError) {
	<-c.chunks[i].done
	return c.chunks[i].events, c.chunks[i].bad
}

// stop ends the checking early (the rest is not needed) and waits for the
// checkers to leave.
func (c *checking) stop() {
	close(c.quit)
	c.wg.Wait()
}

func formatRecordTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

func checkEvent(s *schemas, m map[string]any, at string, ns eventhash.Namespaces, single bool) (*event, *ValidationError) {
	sch := s.forEvent(m)
	if single {
		sch = s.root
	}
	if v := checkSchema(sch, m, at); v != nil {
		return nil, v
	}
	e, bad := parseEvent(m, at)
	if bad != nil {
		return nil, bad
	}
	h, err := eventhash.ID(m, ns)
	if err != nil {
		return nil, invalid(at, "rule.epcis.hash", err.Error())
	}
	e.hashID = h
	if e.eventID == "" {
		e.eventID = h
	}
	return e, nil
}

// userContexts returns the document's own @context entries beyond the
// standard context: the namespaces of its user extensions.
func userContexts(doc map[string]any) []any {
	var out []any
	for _, c := range append(list(doc["@context"]), doc["@context"]) {
		if m, ok := c.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// withEvents returns a shallow copy of doc whose event list is evs.
func withEvents(doc map[string]any, evs []any) map[string]any {
	cp := make(map[string]any, len(doc))
	for k, v := range doc {
		cp[k] = v
	}
	body, _ := doc["epcisBody"].(map[string]any)
	nb := make(map[string]any, len(body))
	for k, v := range body {
		nb[k] = v
	}
	if doc["type"] == "EPCISQueryDocument" {
		qr, _ := body["queryResults"].(map[string]any)
		nq := make(map[string]any, len(qr))
		for k, v := range qr {
			nq[k] = v
		}
		rb, _ := qr["resultsBody"].(map[string]any)
		nr := make(map[string]any, len(rb))
		for k, v := range rb {
			nr[k] = v
		}
		nr["eventList"] = evs
		nq["resultsBody"] = nr
		nb["queryResults"] = nq
	} else {
		nb["eventList"] = evs
	}
	cp["epcisBody"] = nb
	return cp
}

// Capture validates an EPCIS document and stores its events. With the
// default behaviour (rollback) a document with any bad event is refused
// whole and nothing is stored; with "proceed" the good events are stored and
// the job lists the bad ones. The job record, the events and the audit record
// are written in one transaction.
func Capture(ctx context.Context, db *store.DB, doc map[string]any, o Options) (*Job, error) {
	// Storing a chunk overlaps checking the next: the writer holds the
	// transaction open while the checkers work, and a document refused
	// part-way rolls back whole.
	c, o, err := beginCapture(doc, o)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	var job *Job
	err = db.Tx(ctx, func(tx *store.Tx) error {
		job, err = c.write(ctx, tx, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

// CaptureTx is Capture inside the caller's transaction, for records that
// must not exist without their events (an incoming check, a recall
// confirmation): both are stored, or neither. A refused document returns
// its error and the caller's transaction should be rolled back.
func CaptureTx(ctx context.Context, tx *store.Tx, doc map[string]any, o Options) (*Job, error) {
	c, o, err := beginCapture(doc, o)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	return c.write(ctx, tx, o)
}

// capturing is a document being checked, with the job it will be stored as.
type capturing struct {
	*checking
	job    *Job
	now    int64
	master []masterElement
}

func beginCapture(doc map[string]any, o Options) (*capturing, Options, error) {
	if o.Behaviour == "" {
		o.Behaviour = behaviourRollback
	}
	if o.Behaviour != behaviourRollback && o.Behaviour != behaviourProceed {
		return nil, o, invalid("GS1-Capture-Error-Behaviour", "rule.epcis.behaviour", "rollback or proceed")
	}
	now := store.Now()
	c, bad := startCheck(doc, now)
	if bad != nil {
		return nil, o, bad
	}
	master, bad := masterDataOf(doc)
	if bad != nil {
		c.stop()
		return nil, o, bad
	}
	return &capturing{checking: c, now: now, master: master,
		job: &Job{ID: store.NewID(), CreatedAt: now, Behaviour: o.Behaviour, Owner: o.Owner}}, o, nil
}

// write stores the events as their chunks pass the check, then the job and
// its audit record.
func (c *capturing) write(ctx context.Context, tx *store.Tx, o Options) (*Job, error) {
	job := c.job
	job.CreatedBy = audit.ActorFrom(ctx).ID
	problems := &ValidationError{}
	good := 0
	w := newWriter(tx, job, false, c.now)
	for i := range c.chunks {
		evs, bad := c.chunk(i)
		good += len(evs)
		if bad != nil {
			problems.Problems = append(problems.Problems, bad.Problems...)
			if o.Behaviour == behaviourRollback && len(problems.Problems) >= 10 {
				break
			}
		}
		if len(problems.Problems) > 0 && o.Behaviour == behaviourRollback {
			continue // refused whole: only the problems matter now
		}
		n, err := w.store(ctx, evs)
		if err != nil {
			return nil, err
		}
		job.Events += n
	}
	if len(problems.Problems) > 0 {
		if o.Behaviour == behaviourRollback || good == 0 {
			return nil, problems
		}
		job.Errors = append(problems.Problems, job.Errors...)
	}
	stored, kept, err := w.storeMasterData(ctx, c.master)
	if err != nil {
		return nil, err
	}
	job.FinishedAt = store.Now()
	job.Success = len(job.Errors) == 0
	if err := insertJob(ctx, tx, job); err != nil {
		return nil, err
	}
	after := map[string]any{"events": job.Events, "owner": o.Owner, "behaviour": o.Behaviour, "errors": len(job.Errors)}
	if len(c.master) > 0 {
		after["master_data"], after["master_data_kept"] = stored, kept
	}
	return job, audit.Write(ctx, tx, audit.Entry{Action: "capture", Entity: "epcis_capture", EntityID: job.ID, After: after})
}

// CaptureJSON decodes and captures a JSON-LD document with the default
// behaviour, for loaders and benchmarks; it returns the number of events
// stored.
func CaptureJSON(ctx context.Context, db *store.DB, b []byte, owner string) (int, error) {
	doc, err := Decode(b)
	if err != nil {
		return 0, err
	}
	job, err := Capture(ctx, db, doc, Options{Owner: owner})
	if err != nil {
		return 0, err
	}
	return job.Events, nil
}

// CaptureEvent stores one event sent on its own (POST /events). It answers
// ErrDuplicate when its eventID is already taken by another event; sending
// the same event again changes nothing and returns its ID.
func CaptureEvent(ctx context.Context, db *store.DB, m map[string]any, owner string) (string, error) {
	s, err := compiled()
	if err != nil {
		return "", err
	}
	e, bad := checkEvent(s, m, "", eventhash.NamespacesOf(m), true)
	if bad != nil {
		return "", bad
	}
	job := &Job{ID: store.NewID(), CreatedAt: store.Now(), Behaviour: behaviourRollback, Owner: owner, CreatedBy: audit.ActorFrom(ctx).ID}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		n, err := newWriter(tx, job, true, store.Now()).store(ctx, []*event{e})
		if err != nil {
			return err
		}
		if n == 0 {
			return nil // the very same event again
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "capture", Entity: "epcis_event", EntityID: e.eventID,
			After: map[string]any{"type": e.typ, "owner": owner}})
	})
	return e.eventID, err
}

func insertJob(ctx context.Context, tx *store.Tx, j *Job) error {
	errs, _ := json.Marshal(orEmpty(j.Errors))
	_, err := tx.Exec(ctx, `INSERT INTO epcis_captures (id, created_at, finished_at, running, success, behaviour, events, errors, owner_id, created_by)
		VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)`,
		j.ID, j.CreatedAt, j.FinishedAt, boolInt(j.Success), j.Behaviour, j.Events, string(errs), j.Owner, j.CreatedBy)
	return err
}

func orEmpty(p []Problem) []Problem {
	if p == nil {
		return []Problem{}
	}
	return p
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// GetJob returns a capture job; an owner other than "" sees only its own.
func GetJob(ctx context.Context, db *store.DB, id, owner string) (*Job, error) {
	j := &Job{ID: id}
	var fin *int64
	var running, success int
	var errs string
	err := db.QueryRow(ctx, `SELECT created_at, finished_at, running, success, behaviour, events, errors, owner_id, created_by
		FROM epcis_captures WHERE id = ?`, id).Scan(&j.CreatedAt, &fin, &running, &success, &j.Behaviour, &j.Events, &errs, &j.Owner, &j.CreatedBy)
	if errors.Is(err, errNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if owner != "" && j.Owner != owner {
		return nil, errNotFound
	}
	if fin != nil {
		j.FinishedAt = *fin
	}
	j.Running, j.Success = running == 1, success == 1
	_ = json.Unmarshal([]byte(errs), &j.Errors)
	return j, nil
}

// ListJobs returns the latest capture jobs, newest first.
func ListJobs(ctx context.Context, db *store.DB, owner string, limit int) ([]*Job, error) {
	q := `SELECT id FROM epcis_captures`
	var args []any
	if owner != "" {
		q += ` WHERE owner_id = ?`
		args = append(args, owner)
	}
	q += ` ORDER BY created_at DESC LIMIT ?`
	args = append(args, limit)
	ids, err := store.Column[string](ctx, db, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]*Job, 0, len(ids))
	for _, id := range ids {
		j, err := GetJob(ctx, db, id, "")
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// errNotFound is the platform's not-found, so the web layer maps it as any other.
var errNotFound = fielderr.ErrNotFound

// IsNotFound reports whether err means the thing asked for does not exist
// (or is not the caller's to see).
func IsNotFound(err error) bool {
	return errors.Is(err, errNotFound) || errors.Is(err, errNoRows)
}

func joinPlaceholders(n, width int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
}
