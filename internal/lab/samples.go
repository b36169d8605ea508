package lab

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/blob"
	"github.com/hallmark-platform/hallmark/internal/codes"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/trace"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Custody steps, in the only order they may happen. A sample is "sampled"
// when it is recorded; the steps after it are recorded one by one.
const (
	StepSampled  = "sampled"
	StepSent     = "sent"     // sealed sample sent to the institution
	StepReceived = "received" // the institution checked the seal and took it in
	StepTested   = "tested"
	StepRetained = "retained" // the reserve (备样) put away for a re-test
	StepDisposed = "disposed"
)

// Steps lists the custody steps in order.
var Steps = []string{StepSampled, StepSent, StepReceived, StepTested, StepRetained, StepDisposed}

func stepIndex(s string) int {
	for i, x := range Steps {
		if x == s {
			return i
		}
	}
	return -1
}

// MinSamplers is the number of samplers a sampling needs (产品质量法 and
// 抽查办法: 抽样人员不得少于2名).
const MinSamplers = 2

// MaxPhotos bounds the seal photos of one sample.
const MaxPhotos = 20

// Sample is one sample (样品) with, on Get, its custody and results.
type Sample struct {
	ID             string   `json:"id"`
	RegionCode     string   `json:"region_code"`
	Number         string   `json:"number"`
	TaskID         string   `json:"task_id"`
	InstitutionID  string   `json:"institution_id"`
	Institution    string   `json:"institution_name,omitempty"`
	EnterpriseID   string   `json:"enterprise_id"`
	EnterpriseName string   `json:"enterprise_name,omitempty"`
	ProductID      string   `json:"product_id,omitempty"`
	ProductName    string   `json:"product_name"`
	Category       string   `json:"category"`
	Kind           string   `json:"kind"`
	Lot            string   `json:"lot"`               // as written on the sampling form
	LotURI         string   `json:"lot_uri,omitempty"` // the lot's identity in the trace graph
	Quantity       float64  `json:"quantity"`
	Unit           string   `json:"unit"`
	SampledOn      string   `json:"sampled_on"`
	Samplers       []string `json:"samplers"`
	SealPhotos     []string `json:"seal_photos"`
	Custody        string   `json:"custody"` // the last step recorded
	ReceivedAt     int64    `json:"received_at,omitempty"`
	RetestOf       string   `json:"retest_of,omitempty"` // the original sample of a re-test
	ObjectionID    string   `json:"objection_id,omitempty"`
	CreatedBy      string   `json:"created_by"`
	CreatedAt      int64    `json:"created_at"`
	UpdatedAt      int64    `json:"updated_at"`

	Steps   []CustodyStep `json:"steps,omitempty"`
	Results []Result      `json:"results,omitempty"`
}

// CustodyStep is one recorded step.
type CustodyStep struct {
	Step      string `json:"step"`
	At        int64  `json:"at"`
	ActorID   string `json:"actor_id"`
	ActorName string `json:"actor_name"`
	Note      string `json:"note,omitempty"`
}

// SampleInput records a sample of a task. Category and Kind default to the
// task's. Lot is the lot as printed (an EPC URN, a GS1 Digital Link, or a
// plain lot code). SealPhotos are hashes of images stored with internal/blob.
type SampleInput struct {
	TaskID       string   `json:"task_id"`
	EnterpriseID string   `json:"enterprise_id"`
	ProductID    string   `json:"product_id"`
	ProductName  string   `json:"product_name"`
	Category     string   `json:"category"`
	Kind         string   `json:"kind"`
	Lot          string   `json:"lot"`
	Quantity     float64  `json:"quantity"`
	Unit         string   `json:"unit"`
	SampledOn    string   `json:"sampled_on"`
	Samplers     []string `json:"samplers"`
	SealPhotos   []string `json:"seal_photos"`
}

// canRecordSample: officials of the task's region — inspectors included:
// the law-enforcement staff who take samples on the spot (抽样) — and the
// task's institution (institutions often sample under commission).
func canRecordSample(who *auth.User, t *Task) bool {
	return isOfficial(who) && registry.RegionCovers(who.RegionCode, t.RegionCode) ||
		institutionOf(who) != "" && institutionOf(who) == t.InstitutionID
}

// CreateSample records a sample under a task and gives it the next number
// of its region and year ("CY2026-000123"). Refusals name the field:
// samplers (rule.lab.samplers: at least two different people),
// enterprise_id (rule.enterprise.unknown, rule.lab.sample.not_target),
// product_id, lot (rule.ledger.lot_gs1), seal_photos (rule.lab.seal_photo),
// sampled_on (rule.lab.sample.outside_period, rule.ledger.date_future),
// task_id (rule.lab.task_closed).
func CreateSample(ctx context.Context, db *store.DB, who *auth.User, in SampleInput) (*Sample, error) {
	t, err := loadTask(ctx, db, strings.TrimSpace(in.TaskID))
	if errors.Is(err, fielderr.ErrNotFound) {
		return nil, fielderr.New("task_id", "rule.lab.task_unknown")
	}
	if err != nil {
		return nil, err
	}
	if !canRecordSample(who, t) {
		return nil, fielderr.ErrForbidden
	}
	s, err := validateSample(ctx, db, who, t, in)
	if err != nil {
		return nil, err
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		return insertSample(ctx, tx, s, "CY")
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func validateSample(ctx context.Context, q store.Queryer, who *auth.User, t *Task, in SampleInput) (*Sample, error) {
	now := nowOf(ctx)
	s := &Sample{ID: store.NewID(), RegionCode: t.RegionCode, TaskID: t.ID, InstitutionID: t.InstitutionID,
		Institution: t.Institution, EnterpriseID: strings.TrimSpace(in.EnterpriseID), ProductID: strings.TrimSpace(in.ProductID),
		ProductName: strings.TrimSpace(in.ProductName), Category: strings.TrimSpace(in.Category), Kind: strings.TrimSpace(in.Kind),
		Lot: strings.TrimSpace(in.Lot), Quantity: in.Quantity, Unit: strings.TrimSpace(in.Unit),
		SampledOn: strings.TrimSpace(in.SampledOn), Samplers: []string{}, SealPhotos: []string{}, Custody: StepSampled,
		CreatedBy: who.ID, CreatedAt: now.UnixMilli(), UpdatedAt: now.UnixMilli()}
	if s.Category == "" {
		s.Category = t.Category
	}
	if s.Kind == "" {
		s.Kind = t.Kind
	}
	var errs fielderr.List
	if t.Status != TaskOpen {
		errs.Add("task_id", "rule.lab.task_closed")
	}
	var uscc string
	if s.EnterpriseID == "" {
		errs.Add("enterprise_id", "rule.required")
	} else {
		var region string
		err := q.QueryRow(ctx, `SELECT region_code, uscc, name FROM enterprises WHERE id = ?`, s.EnterpriseID).Scan(&region, &uscc, &s.EnterpriseName)
		switch {
		case errors.Is(err, sql.ErrNoRows) || err == nil && !registry.RegionCovers(t.RegionCode, region) && region != t.RegionCode:
			errs.Add("enterprise_id", "rule.enterprise.unknown")
		case err != nil:
			return nil, err
		case len(t.Enterprises) > 0 && !contains(t.Enterprises, s.EnterpriseID):
			errs.Add("enterprise_id", "rule.lab.sample.not_target")
		}
	}
	var gtin string
	if s.ProductID != "" && !errs.Has("enterprise_id") {
		var owner, name string
		err := q.QueryRow(ctx, `SELECT enterprise_id, name, gtin FROM products WHERE id = ?`, s.ProductID).Scan(&owner, &name, &gtin)
		switch {
		case errors.Is(err, sql.ErrNoRows) || err == nil && owner != s.EnterpriseID:
			errs.Add("product_id", "rule.lab.product_unknown")
		case err != nil:
			return nil, err
		case s.ProductName == "":
			s.ProductName = name
		}
	}
	fielderr.CheckText(&errs, "product_name", s.ProductName, true, MaxName)
	fielderr.CheckText(&errs, "category", s.Category, true, MaxText)
	checkKind(&errs, "kind", s.Kind)
	fielderr.CheckText(&errs, "lot", s.Lot, true, MaxText)
	if math.IsNaN(s.Quantity) || math.IsInf(s.Quantity, 0) || s.Quantity <= 0 {
		errs.Add("quantity", "rule.ledger.quantity")
	}
	fielderr.CheckText(&errs, "unit", s.Unit, true, 20)
	checkDate(&errs, "sampled_on", s.SampledOn, true)
	if !errs.Has("sampled_on") {
		switch {
		case s.SampledOn > workday.FormatDate(now):
			errs.Add("sampled_on", "rule.ledger.date_future")
		case s.SampledOn < t.PeriodFrom || s.SampledOn > t.PeriodTo:
			errs.Add("sampled_on", "rule.lab.sample.outside_period", "from", t.PeriodFrom, "to", t.PeriodTo)
		}
	}
	s.Samplers = cleanList(in.Samplers)
	if len(s.Samplers) < MinSamplers {
		errs.Add("samplers", "rule.lab.samplers", "min", MinSamplers)
	}
	for i, name := range s.Samplers {
		fielderr.CheckText(&errs, fmt.Sprintf("samplers[%d]", i), name, true, 50)
	}
	if err := checkPhotos(ctx, q, &errs, in.SealPhotos, s); err != nil {
		return nil, err
	}
	if !errs.Has("lot") && !errs.Has("enterprise_id") && !errs.Has("product_name") {
		uri, err := lotIdentity(ctx, q, s, uscc, gtin)
		if err != nil {
			l, ok := fielderr.As(err)
			if !ok {
				return nil, err
			}
			errs = append(errs, l...)
		}
		s.LotURI = uri
	}
	return s, errs.Err()
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// checkPhotos wants at least one photo of the seal, each an uploaded image.
func checkPhotos(ctx context.Context, q store.Queryer, errs *fielderr.List, hashes []string, s *Sample) error {
	for _, h := range hashes {
		h = strings.ToLower(strings.TrimSpace(h))
		if h != "" && !contains(s.SealPhotos, h) {
			s.SealPhotos = append(s.SealPhotos, h)
		}
	}
	switch {
	case len(s.SealPhotos) == 0:
		errs.Add("seal_photos", "rule.lab.seal_photo_required")
		return nil
	case len(s.SealPhotos) > MaxPhotos:
		errs.Add("seal_photos", "rule.file.too_many", "max", MaxPhotos)
		return nil
	}
	for i, h := range s.SealPhotos {
		f, err := blob.Stat(ctx, q, h)
		switch {
		case errors.Is(err, fielderr.ErrNotFound):
			errs.Add(fmt.Sprintf("seal_photos[%d]", i), "rule.file.unknown", "name", h)
		case err != nil:
			return err
		case f.Mime != blob.JPEG && f.Mime != blob.PNG && f.Mime != blob.WebP:
			errs.Add(fmt.Sprintf("seal_photos[%d]", i), "rule.lab.seal_photo")
		}
	}
	return nil
}

// lotIdentity is the identifier the trace graph knows the lot by: an EPC
// URN or Digital Link in its canonical form; for a plain lot code, the lot
// the enterprise's own ledger recorded under that code for the product, or
// else the identifier the ledger would mint for it (trace.LotURI), so that
// a recall proposed from this sample traces the same node.
func lotIdentity(ctx context.Context, q store.Queryer, s *Sample, uscc, gtin string) (string, error) {
	lower := strings.ToLower(s.Lot)
	switch {
	case codes.IsEPCPattern(s.Lot):
		return "", fielderr.New("lot", "rule.recall.pattern")
	case strings.HasPrefix(lower, "urn:epc:"):
		// A typo in an EPC is refused here rather than kept as a name no
		// event will ever carry.
		id, err := codes.CanonicalID(s.Lot)
		if err != nil {
			return "", fielderr.New("lot", "rule.epcis.identifier")
		}
		return id, nil
	case strings.HasPrefix(lower, "urn:") || strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		id, err := trace.Canonical(s.Lot)
		if err != nil {
			return "", fielderr.New("lot", "rule.epcis.identifier")
		}
		return id, nil
	}
	// A plain lot code, which may itself hold a colon ("A:0105").
	var id string
	err := q.QueryRow(ctx, `SELECT lot_id FROM ledger_entries WHERE enterprise_id = ? AND product_code = ? AND lot = ?
		ORDER BY created_at DESC, id DESC LIMIT 1`, s.EnterpriseID, trace.ProductCode(gtin, s.ProductName), s.Lot).Scan(&id)
	switch {
	case err == nil && id != "":
		return id, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	id, err = trace.LotURI(uscc, gtin, s.ProductName, s.Lot)
	if err != nil {
		return "", fielderr.New("lot", "rule.ledger.lot_gs1")
	}
	return id, nil
}

// insertSample numbers and stores a sample: prefix, the sampling year and a
// six-digit serial of the region and year.
func insertSample(ctx context.Context, tx *store.Tx, s *Sample, prefix string) error {
	day, err := workday.ParseDate(s.SampledOn)
	if err != nil {
		return err
	}
	if s.Number == "" {
		n, err := nextNumber(ctx, tx, "sample:"+s.RegionCode, day.Year())
		if err != nil {
			return err
		}
		s.Number = fmt.Sprintf("%s%d-%06d", prefix, day.Year(), n)
	}
	samplers, _ := json.Marshal(s.Samplers)
	photos, _ := json.Marshal(s.SealPhotos)
	if _, err := tx.Exec(ctx, `INSERT INTO lab_samples (id, region_code, number, task_id, institution_id, enterprise_id,
		product_id, product_name, category, kind, lot, lot_uri, quantity, unit, sampled_on, samplers, seal_photos, custody,
		retest_of, objection_id, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		s.ID, s.RegionCode, s.Number, s.TaskID, s.InstitutionID, s.EnterpriseID, s.ProductID, s.ProductName, s.Category,
		s.Kind, s.Lot, s.LotURI, s.Quantity, s.Unit, s.SampledOn, string(samplers), string(photos), s.Custody, s.RetestOf,
		s.ObjectionID, s.CreatedBy, s.CreatedAt, s.UpdatedAt); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "lab_sample", EntityID: s.ID, RegionCode: s.RegionCode,
		After: s})
}

const sampleCols = `s.id, s.region_code, s.number, s.task_id, s.institution_id, COALESCE(i.name, ''), s.enterprise_id,
	COALESCE(e.name, ''), s.product_id, s.product_name, s.category, s.kind, s.lot, s.lot_uri, s.quantity, s.unit,
	s.sampled_on, s.samplers, s.seal_photos, s.custody, COALESCE(s.received_at, 0), s.retest_of, s.objection_id,
	s.created_by, s.created_at, s.updated_at`

const sampleFrom = ` FROM lab_samples s LEFT JOIN lab_institutions i ON i.id = s.institution_id
	LEFT JOIN enterprises e ON e.id = s.enterprise_id`

func scanSample(row scanner) (*Sample, error) {
	var s Sample
	var samplers, photos string
	if err := row.Scan(&s.ID, &s.RegionCode, &s.Number, &s.TaskID, &s.InstitutionID, &s.Institution, &s.EnterpriseID,
		&s.EnterpriseName, &s.ProductID, &s.ProductName, &s.Category, &s.Kind, &s.Lot, &s.LotURI, &s.Quantity, &s.Unit,
		&s.SampledOn, &samplers, &photos, &s.Custody, &s.ReceivedAt, &s.RetestOf, &s.ObjectionID, &s.CreatedBy,
		&s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal([]byte(samplers), &s.Samplers); err != nil {
		return nil, fmt.Errorf("lab sample %s samplers: %w", s.ID, err)
	}
	if err := json.Unmarshal([]byte(photos), &s.SealPhotos); err != nil {
		return nil, fmt.Errorf("lab sample %s photos: %w", s.ID, err)
	}
	return &s, nil
}

func loadSample(ctx context.Context, q store.Queryer, id, lock string) (*Sample, error) {
	if lock != "" {
		// Lock the sample row alone: PostgreSQL refuses FOR UPDATE on the
		// nullable side of an outer join.
		var x string
		if err := q.QueryRow(ctx, `SELECT id FROM lab_samples WHERE id = ?`+lock, id).Scan(&x); err != nil {
			return nil, notFound(err)
		}
	}
	return scanSample(q.QueryRow(ctx, `SELECT `+sampleCols+sampleFrom+` WHERE s.id = ?`, id))
}

// canSeeSample: officials of the region, the institution that tests it, and
// the enterprise it was taken from.
func canSeeSample(who *auth.User, s *Sample) bool {
	switch {
	case inRegion(who, s.RegionCode):
		return true
	case institutionOf(who) != "":
		return institutionOf(who) == s.InstitutionID
	case enterpriseOf(who) != "":
		return enterpriseOf(who) == s.EnterpriseID
	}
	return false
}

// GetSample returns a sample with its custody steps and results.
func GetSample(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Sample, error) {
	s, err := loadSample(ctx, q, id, "")
	if err != nil {
		return nil, err
	}
	if !canSeeSample(who, s) {
		return nil, fielderr.ErrNotFound
	}
	if s.Steps, err = loadSteps(ctx, q, id); err != nil {
		return nil, err
	}
	if s.Results, err = loadResults(ctx, q, id); err != nil {
		return nil, err
	}
	return s, nil
}

func loadSteps(ctx context.Context, q store.Queryer, sampleID string) ([]CustodyStep, error) {
	rows, err := q.Query(ctx, `SELECT step, at, actor_id, actor_name, note FROM lab_custody WHERE sample_id = ? ORDER BY at, created_at`, sampleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CustodyStep{}
	for rows.Next() {
		var c CustodyStep
		if err := rows.Scan(&c.Step, &c.At, &c.ActorID, &c.ActorName, &c.Note); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	// Steps happen in their fixed order, which also orders steps recorded
	// within the same millisecond.
	sort.SliceStable(out, func(a, b int) bool { return stepIndex(out[a].Step) < stepIndex(out[b].Step) })
	return out, rows.Err()
}

// SampleFilter selects samples; empty fields select all.
type SampleFilter struct {
	TaskID       string `json:"task_id"`
	EnterpriseID string `json:"enterprise_id"`
	Custody      string `json:"custody"`
	Limit        int    `json:"limit"`
	Offset       int    `json:"offset"`
}

// ListSamples lists the samples who may see, newest first: officials those
// of their region, an institution those assigned to it, an enterprise its
// own. It returns the page and the total.
func ListSamples(ctx context.Context, q store.Queryer, who *auth.User, f SampleFilter) ([]Sample, int, error) {
	var cond string
	var args []any
	switch {
	case isOfficial(who):
		cond, args = registry.RegionScopeSQL("s.region_code", who.RegionCode)
	case institutionOf(who) != "":
		cond, args = "s.institution_id = ?", []any{institutionOf(who)}
	case enterpriseOf(who) != "":
		cond, args = "s.enterprise_id = ?", []any{enterpriseOf(who)}
	default:
		return nil, 0, fielderr.ErrForbidden
	}
	if f.TaskID != "" {
		cond += ` AND s.task_id = ?`
		args = append(args, f.TaskID)
	}
	if f.EnterpriseID != "" {
		cond += ` AND s.enterprise_id = ?`
		args = append(args, f.EnterpriseID)
	}
	if f.Custody != "" {
		if stepIndex(f.Custody) < 0 {
			return nil, 0, fielderr.New("custody", "rule.choice")
		}
		cond += ` AND s.custody = ?`
		args = append(args, f.Custody)
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM lab_samples s WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := q.Query(ctx, `SELECT `+sampleCols+sampleFrom+` WHERE `+cond+` ORDER BY s.created_at DESC, s.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Sample{}
	for rows.Next() {
		s, err := scanSample(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *s)
	}
	return out, total, rows.Err()
}

// CustodyInput records a step. At is when it happened (Unix ms; 0 for now):
// a step recorded after the fact carries its own time, which may not be in
// the future nor before the step before it.
type CustodyInput struct {
	Step string `json:"step"`
	At   int64  `json:"at"`
	Note string `json:"note"`
}

// AddCustodyStep records the next step of a sample's custody. Steps follow
// sent → received → tested → retained → disposed, one at a time; any other
// step is refused on "step" with rule.lab.custody.order (params expected,
// the step due). Disposal waits until the result is final
// (rule.lab.custody.reserve_needed, param until: the objection deadline). Sending may be recorded by the officials of the region or
// the institution; every later step by the institution alone.
func AddCustodyStep(ctx context.Context, db *store.DB, who *auth.User, sampleID string, in CustodyInput) (*Sample, error) {
	now := nowOf(ctx)
	in.Step, in.Note = strings.TrimSpace(in.Step), strings.TrimSpace(in.Note)
	at := in.At
	if at == 0 {
		at = now.UnixMilli()
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		s, err := loadSample(ctx, tx, sampleID, tx.ForUpdate())
		if err != nil {
			return err
		}
		if !canSeeSample(who, s) {
			return fielderr.ErrNotFound
		}
		own := institutionOf(who) != "" && institutionOf(who) == s.InstitutionID
		if !own && !(in.Step == StepSent && isOfficial(who)) {
			return fielderr.ErrForbidden
		}
		var errs fielderr.List
		i := stepIndex(in.Step)
		next := ""
		if cur := stepIndex(s.Custody); cur+1 < len(Steps) {
			next = Steps[cur+1]
		}
		switch {
		case in.Step == "":
			errs.Add("step", "rule.required")
		case i <= 0:
			errs.Add("step", "rule.choice")
		case in.Step != next:
			errs.Add("step", "rule.lab.custody.order", "step", in.Step, "expected", next)
		}
		fielderr.CheckText(&errs, "note", in.Note, false, MaxReason)
		if in.Step == StepDisposed && !errs.Has("step") {
			if err := checkDisposal(ctx, tx, &errs, s); err != nil {
				return err
			}
		}
		var last int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(at), 0) FROM lab_custody WHERE sample_id = ?`, s.ID).Scan(&last); err != nil {
			return err
		}
		sampled, _ := workday.ParseDate(s.SampledOn)
		switch {
		case at > now.UnixMilli():
			errs.Add("at", "rule.ledger.date_future")
		case at < last || at < sampled.UnixMilli():
			errs.Add("at", "rule.lab.custody.before_previous")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		a := audit.ActorFrom(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO lab_custody (id, sample_id, step, at, actor_id, actor_name, note, created_at)
			VALUES (?,?,?,?,?,?,?,?)`, store.NewID(), s.ID, in.Step, at, who.ID, firstNonEmpty(who.Name, a.Name, who.Username),
			in.Note, now.UnixMilli()); err != nil {
			if store.IsUniqueViolation(err) {
				return fielderr.New("step", "rule.lab.custody.order", "step", in.Step, "expected", next)
			}
			return err
		}
		before := s.Custody
		q := `UPDATE lab_samples SET custody = ?, updated_at = ? WHERE id = ?`
		args := []any{in.Step, now.UnixMilli(), s.ID}
		if in.Step == StepReceived {
			q = `UPDATE lab_samples SET custody = ?, received_at = ?, updated_at = ? WHERE id = ?`
			args = []any{in.Step, at, now.UnixMilli(), s.ID}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Action: "custody", Entity: "lab_sample", EntityID: s.ID, RegionCode: s.RegionCode,
			Before: before, After: map[string]any{"step": in.Step, "at": at, "note": in.Note}})
	})
	if err != nil {
		return nil, err
	}
	return GetSample(ctx, db, who, sampleID)
}

// checkDisposal keeps the reserve until the result is final: the reserve
// is what a re-test tests (抽查办法: 备样 kept until the objection period
// ends). A sample may be disposed of once its report is final (the
// objection window closed, or it is a re-test's), re-tested, or revoked.
func checkDisposal(ctx context.Context, tx *store.Tx, errs *fielderr.List, s *Sample) error {
	r, err := latestReport(ctx, tx, s.ID)
	if err != nil {
		return err
	}
	if r != nil && r.Status == StatusDraft && r.Supersedes != "" {
		if r, err = loadReport(ctx, tx, r.Supersedes); err != nil {
			return err
		}
	}
	switch {
	case r == nil || r.Status == StatusDraft:
		errs.Add("step", "rule.lab.custody.reserve_needed", "until", "")
	case r.Status == StatusRevoked || r.FinalAt != 0 || r.RetestedBy != "":
	default:
		errs.Add("step", "rule.lab.custody.reserve_needed", "until", r.ObjectionDeadline)
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// millisDate is the China date of a Unix-ms instant.
func millisDate(ms int64) string { return workday.FormatDate(time.UnixMilli(ms)) }
