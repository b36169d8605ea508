package plan

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Bulletin statuses. A published bulletin is immutable; a correction is a
// new version that, once published, marks the one it corrects superseded.
const (
	BulletinDraft      = "draft"
	BulletinPublished  = "published"
	BulletinSuperseded = "superseded"
)

// Limits on bulletin fields.
const (
	BulletinTitleMax     = 200
	BulletinDocNumberMax = 100
	BulletinIssuerMax    = 100
	BulletinNarrativeMax = 20000
)

// Bulletin is a progress bulletin (通报) on a plan for a period.
type Bulletin struct {
	ID           string        `json:"id"`
	PlanID       string        `json:"plan_id"`
	RegionCode   string        `json:"region_code"`
	From         string        `json:"from"`
	To           string        `json:"to"`
	Title        string        `json:"title"`
	DocNumber    string        `json:"doc_number"` // 文号, e.g. 阿左质强办〔2021〕3号
	Issuer       string        `json:"issuer"`     // the issuing office
	IssuedOn     string        `json:"issued_on"`  // YYYY-MM-DD
	Narrative    string        `json:"narrative"`
	Status       string        `json:"status"`
	Version      int           `json:"version"`
	Supersedes   string        `json:"supersedes,omitempty"`
	SupersededBy string        `json:"superseded_by,omitempty"`
	SupersededAt int64         `json:"superseded_at,omitempty"`
	PublishedAt  int64         `json:"published_at,omitempty"`
	PublishedBy  string        `json:"published_by,omitempty"`
	CreatedBy    string        `json:"created_by"`
	CreatedAt    int64         `json:"created_at"`
	UpdatedAt    int64         `json:"updated_at"`
	Data         *BulletinData `json:"data,omitempty"` // nil in lists
}

// BulletinInput generates a bulletin. Title defaults to the plan's title
// with "进展情况通报" ("progress bulletin"), Issuer to the region's office
// department, Narrative to a paragraph drafted from the figures (in who's
// language).
type BulletinInput struct {
	PlanID    string `json:"plan"`
	From      string `json:"from"` // YYYY-MM-DD
	To        string `json:"to"`   // YYYY-MM-DD; the figures are as of the end of this day
	Title     string `json:"title"`
	DocNumber string `json:"doc_number"`
	Issuer    string `json:"issuer"`
	IssuedOn  string `json:"issued_on"`
	Narrative string `json:"narrative"`
}

// BulletinPatch changes a draft's fields that are not nil.
type BulletinPatch struct {
	Title     *string `json:"title,omitempty"`
	DocNumber *string `json:"doc_number,omitempty"`
	Issuer    *string `json:"issuer,omitempty"`
	IssuedOn  *string `json:"issued_on,omitempty"`
	Narrative *string `json:"narrative,omitempty"`
}

// BulletinFilter selects bulletins; empty fields do not filter.
type BulletinFilter struct {
	PlanID string
	Status string
	Limit  int // default 100, at most 1000
	Offset int
}

const bulletinCols = `id, plan_id, region_code, period_from, period_to, title, doc_number, issuer, issued_on, narrative,
	status, version, COALESCE(supersedes, ''), COALESCE(superseded_by, ''), COALESCE(superseded_at, 0),
	COALESCE(published_at, 0), COALESCE(published_by, ''), created_by, created_at, updated_at`

func scanBulletin(r interface{ Scan(...any) error }, extra ...any) (*Bulletin, error) {
	var b Bulletin
	dest := append([]any{&b.ID, &b.PlanID, &b.RegionCode, &b.From, &b.To, &b.Title, &b.DocNumber, &b.Issuer, &b.IssuedOn,
		&b.Narrative, &b.Status, &b.Version, &b.Supersedes, &b.SupersededBy, &b.SupersededAt, &b.PublishedAt,
		&b.PublishedBy, &b.CreatedBy, &b.CreatedAt, &b.UpdatedAt}, extra...)
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fielderr.ErrNotFound
		}
		return nil, err
	}
	return &b, nil
}

// bulletinHead is what the audit trail keeps of a bulletin: its header and
// summary. The full table is in the row itself, and once published never
// changes; copying a few megabytes into every audit record would only bloat
// the chain.
func bulletinHead(b *Bulletin) map[string]any {
	m := map[string]any{"id": b.ID, "plan_id": b.PlanID, "from": b.From, "to": b.To, "title": b.Title,
		"doc_number": b.DocNumber, "issuer": b.Issuer, "issued_on": b.IssuedOn, "narrative": b.Narrative,
		"status": b.Status, "version": b.Version, "supersedes": b.Supersedes}
	if b.Data != nil {
		m["summary"] = b.Data.Summary
	}
	return m
}

func bulletinEvent(b *Bulletin) map[string]any {
	return map[string]any{"id": b.ID, "plan_id": b.PlanID, "region_code": b.RegionCode, "from": b.From, "to": b.To,
		"status": b.Status, "version": b.Version, "supersedes": b.Supersedes}
}

// checkBulletinText validates the editable header fields in place.
func checkBulletinText(errs *fielderr.List, b *Bulletin) {
	b.Title, b.DocNumber, b.Issuer = cleanText(b.Title), cleanText(b.DocNumber), cleanText(b.Issuer)
	b.Narrative = cleanLines(b.Narrative)
	fielderr.CheckText(errs, "title", b.Title, true, BulletinTitleMax)
	fielderr.CheckText(errs, "doc_number", b.DocNumber, false, BulletinDocNumberMax)
	fielderr.CheckText(errs, "issuer", b.Issuer, false, BulletinIssuerMax)
	fielderr.CheckText(errs, "narrative", b.Narrative, false, BulletinNarrativeMax)
	b.IssuedOn = checkDay(errs, "issued_on", b.IssuedOn, false)
}

// GenerateBulletin computes a bulletin for a plan and period from the data
// as of the end of in.To and stores it as a draft. Only the office of the
// plan's region may. Over 5,000 tasks it reads five queries and aggregates
// in memory.
func GenerateBulletin(ctx context.Context, db *store.DB, who *auth.User, in BulletinInput) (*Bulletin, error) {
	if who == nil || who.Role != auth.RoleAdmin {
		return nil, fielderr.ErrForbidden
	}
	var errs fielderr.List
	from := checkDay(&errs, "from", in.From, true)
	to := checkDay(&errs, "to", in.To, true)
	if from != "" && to != "" && to < from {
		errs.Add("to", "rule.date.min", "min", from)
	}
	planID := strings.TrimSpace(in.PlanID)
	p, err := getPlan(ctx, db, planID, "")
	switch {
	case planID == "":
		errs.Add("plan", "rule.required")
	case errors.Is(err, fielderr.ErrNotFound) || (err == nil && !registry.RegionCovers(who.RegionCode, p.RegionCode)):
		errs.Add("plan", "rule.plan.unknown")
	case err != nil:
		return nil, err
	case !officeOf(who, p.RegionCode):
		return nil, fielderr.ErrForbidden
	case p.Status == PlanDraft:
		errs.Add("plan", "rule.plan.draft")
	}
	now := planNowMs(ctx)
	b := &Bulletin{ID: store.NewID(), PlanID: planID, From: from, To: to, Title: in.Title, DocNumber: in.DocNumber,
		Issuer: in.Issuer, IssuedOn: in.IssuedOn, Narrative: in.Narrative, Status: BulletinDraft, Version: 1,
		CreatedBy: who.ID, CreatedAt: now, UpdatedAt: now}
	if p != nil {
		b.RegionCode = p.RegionCode
		if strings.TrimSpace(b.Title) == "" {
			b.Title = defaultBulletinTitle(p.Title, who.Lang)
		}
		if strings.TrimSpace(b.Issuer) == "" {
			if err := db.QueryRow(ctx, `SELECT name FROM departments WHERE region_code = ? AND is_office = ? ORDER BY id LIMIT 1`,
				p.RegionCode, true).Scan(&b.Issuer); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
		}
	}
	checkBulletinText(&errs, b)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	// The figures are read on the reader pool, outside the write
	// transaction, so that a large plan does not hold the writer.
	b.Data, err = computeBulletin(ctx, db, p, from, to)
	if err != nil {
		return nil, err
	}
	if b.Narrative == "" {
		b.Narrative = narrative(b.Data, who.Lang)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		return insertBulletin(ctx, tx, b, "bulletin.generated")
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func defaultBulletinTitle(plan, lang string) string {
	if isEn(lang) {
		return "Progress bulletin: " + plan
	}
	return plan + "进展情况通报"
}

func insertBulletin(ctx context.Context, tx *store.Tx, b *Bulletin, topic string) error {
	data, err := json.Marshal(b.Data)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO bulletins (id, plan_id, region_code, period_from, period_to, title, doc_number,
		issuer, issued_on, narrative, data, status, version, supersedes, created_by, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		b.ID, b.PlanID, b.RegionCode, b.From, b.To, b.Title, b.DocNumber, b.Issuer, b.IssuedOn, b.Narrative, string(data),
		b.Status, b.Version, nullable(b.Supersedes), b.CreatedBy, b.CreatedAt, b.UpdatedAt); err != nil {
		if store.IsUniqueViolation(err) {
			return fielderr.New("status", "rule.bulletin.revised")
		}
		return err
	}
	if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "bulletin", EntityID: b.ID,
		RegionCode: b.RegionCode, After: bulletinHead(b)}); err != nil {
		return err
	}
	return jobs.Emit(ctx, tx, topic, bulletinEvent(b))
}

// lockBulletin reads a bulletin (without its data) for a write by the
// office.
func lockBulletin(ctx context.Context, tx *store.Tx, who *auth.User, id string) (*Bulletin, error) {
	b, err := scanBulletin(tx.QueryRow(ctx, `SELECT `+bulletinCols+` FROM bulletins WHERE id = ?`+tx.ForUpdate(), id))
	if err != nil {
		return nil, err
	}
	if !officeOf(who, b.RegionCode) {
		if bulletinReader(who, b) {
			return nil, fielderr.ErrForbidden
		}
		return nil, fielderr.ErrNotFound
	}
	return b, nil
}

// immutable refuses a change to a bulletin that is no longer a draft,
// naming each field the caller tried to change.
func immutable(b *Bulletin, fields ...string) error {
	if b.Status == BulletinDraft {
		return nil
	}
	if len(fields) == 0 {
		fields = []string{"status"}
	}
	var errs fielderr.List
	for _, f := range fields {
		errs.Add(f, "rule.bulletin.published", "version", b.Version)
	}
	return errs.Err()
}

// UpdateBulletinDraft changes a draft's header and narrative. A published
// bulletin refuses every change, naming each field given: a correction is a
// revision (ReviseBulletin).
func UpdateBulletinDraft(ctx context.Context, db *store.DB, who *auth.User, id string, p BulletinPatch) (*Bulletin, error) {
	var out *Bulletin
	err := db.Tx(ctx, func(tx *store.Tx) error {
		b, err := lockBulletin(ctx, tx, who, id)
		if err != nil {
			return err
		}
		var fields []string
		for _, f := range []struct {
			name string
			v    *string
			dst  *string
		}{{"title", p.Title, &b.Title}, {"doc_number", p.DocNumber, &b.DocNumber}, {"issuer", p.Issuer, &b.Issuer},
			{"issued_on", p.IssuedOn, &b.IssuedOn}, {"narrative", p.Narrative, &b.Narrative}} {
			if f.v != nil {
				fields = append(fields, f.name)
			}
		}
		if err := immutable(b, fields...); err != nil {
			return err
		}
		before := *b
		if p.Title != nil {
			b.Title = *p.Title
		}
		if p.DocNumber != nil {
			b.DocNumber = *p.DocNumber
		}
		if p.Issuer != nil {
			b.Issuer = *p.Issuer
		}
		if p.IssuedOn != nil {
			b.IssuedOn = *p.IssuedOn
		}
		if p.Narrative != nil {
			b.Narrative = *p.Narrative
		}
		var errs fielderr.List
		checkBulletinText(&errs, b)
		if err := errs.Err(); err != nil {
			return err
		}
		b.UpdatedAt = planNowMs(ctx)
		if _, err := tx.Exec(ctx, `UPDATE bulletins SET title = ?, doc_number = ?, issuer = ?, issued_on = ?, narrative = ?,
			updated_at = ? WHERE id = ?`, b.Title, b.DocNumber, b.Issuer, b.IssuedOn, b.Narrative, b.UpdatedAt, b.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "bulletin", EntityID: b.ID,
			RegionCode: b.RegionCode, Before: bulletinHead(&before), After: bulletinHead(b)}); err != nil {
			return err
		}
		out = b
		return jobs.Emit(ctx, tx, "bulletin.updated", bulletinEvent(b))
	})
	if err != nil {
		return nil, err
	}
	return GetBulletin(ctx, db, who, out.ID)
}

// RecomputeBulletin computes a draft's figures afresh from the data as it
// is now (still as of the end of its period), for a draft generated before
// late reports came in or for a revision correcting the data.
func RecomputeBulletin(ctx context.Context, db *store.DB, who *auth.User, id string) (*Bulletin, error) {
	b, err := GetBulletin(ctx, db, who, id)
	if err != nil {
		return nil, err
	}
	if !officeOf(who, b.RegionCode) {
		return nil, fielderr.ErrForbidden
	}
	if err := immutable(b, "data"); err != nil {
		return nil, err
	}
	p, err := getPlan(ctx, db, b.PlanID, "")
	if err != nil {
		return nil, err
	}
	data, err := computeBulletin(ctx, db, p, b.From, b.To)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := lockBulletin(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if err := immutable(cur, "data"); err != nil {
			return err
		}
		cur.Data, cur.UpdatedAt = data, planNowMs(ctx)
		if _, err := tx.Exec(ctx, `UPDATE bulletins SET data = ?, updated_at = ? WHERE id = ?`, string(raw), cur.UpdatedAt, id); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "recompute", Entity: "bulletin", EntityID: id,
			RegionCode: cur.RegionCode, Before: map[string]any{"summary": b.Data.Summary}, After: bulletinHead(cur)}); err != nil {
			return err
		}
		b = cur
		return jobs.Emit(ctx, tx, "bulletin.updated", bulletinEvent(cur))
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// PublishBulletin publishes a draft, after which it never changes. An
// empty issue date becomes today's. Publishing a revision marks the
// bulletin it corrects superseded.
func PublishBulletin(ctx context.Context, db *store.DB, who *auth.User, id string) (*Bulletin, error) {
	err := db.Tx(ctx, func(tx *store.Tx) error {
		b, err := lockBulletin(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if err := immutable(b); err != nil {
			return err
		}
		before := *b
		now := planNowMs(ctx)
		if b.IssuedOn == "" {
			b.IssuedOn = workday.FormatDate(planNow(ctx))
		}
		b.Status, b.PublishedAt, b.PublishedBy, b.UpdatedAt = BulletinPublished, now, who.ID, now
		if b.Supersedes != "" {
			old, err := scanBulletin(tx.QueryRow(ctx, `SELECT `+bulletinCols+` FROM bulletins WHERE id = ?`+tx.ForUpdate(), b.Supersedes))
			if err != nil {
				return err
			}
			if old.Status != BulletinPublished {
				return fielderr.New("supersedes", "rule.bulletin.revised")
			}
			if _, err := tx.Exec(ctx, `UPDATE bulletins SET status = ?, superseded_by = ?, superseded_at = ?, updated_at = ? WHERE id = ?`,
				BulletinSuperseded, b.ID, now, now, old.ID); err != nil {
				return err
			}
			if err := audit.Write(ctx, tx, audit.Entry{Action: "supersede", Entity: "bulletin", EntityID: old.ID,
				RegionCode: old.RegionCode, Before: map[string]any{"status": old.Status},
				After: map[string]any{"status": BulletinSuperseded, "superseded_by": b.ID}}); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE bulletins SET status = ?, issued_on = ?, published_at = ?, published_by = ?, updated_at = ? WHERE id = ?`,
			b.Status, b.IssuedOn, b.PublishedAt, b.PublishedBy, b.UpdatedAt, b.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "publish", Entity: "bulletin", EntityID: b.ID,
			RegionCode: b.RegionCode, Before: bulletinHead(&before), After: bulletinHead(b)}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "bulletin.published", bulletinEvent(b))
	})
	if err != nil {
		return nil, err
	}
	return GetBulletin(ctx, db, who, id)
}

// ReviseBulletin starts a correction of a published bulletin: a new draft,
// version+1, copying its header, narrative and figures, that supersedes it
// once published. A bulletin has at most one revision.
func ReviseBulletin(ctx context.Context, db *store.DB, who *auth.User, id string) (*Bulletin, error) {
	var out *Bulletin
	err := db.Tx(ctx, func(tx *store.Tx) error {
		old, err := lockBulletin(ctx, tx, who, id)
		if err != nil {
			return err
		}
		switch old.Status {
		case BulletinDraft:
			return fielderr.New("status", "rule.bulletin.not_published")
		case BulletinSuperseded:
			return fielderr.New("status", "rule.bulletin.revised")
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM bulletins WHERE supersedes = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fielderr.New("status", "rule.bulletin.revised")
		}
		var raw string
		if err := tx.QueryRow(ctx, `SELECT data FROM bulletins WHERE id = ?`, id).Scan(&raw); err != nil {
			return err
		}
		var data BulletinData
		if err := json.Unmarshal([]byte(raw), &data); err != nil {
			return err
		}
		now := planNowMs(ctx)
		b := &Bulletin{ID: store.NewID(), PlanID: old.PlanID, RegionCode: old.RegionCode, From: old.From, To: old.To,
			Title: old.Title, DocNumber: old.DocNumber, Issuer: old.Issuer, IssuedOn: "", Narrative: old.Narrative,
			Status: BulletinDraft, Version: old.Version + 1, Supersedes: old.ID, CreatedBy: who.ID, CreatedAt: now,
			UpdatedAt: now, Data: &data}
		out = b
		return insertBulletin(ctx, tx, b, "bulletin.revised")
	})
	return out, err
}

// bulletinReader: the office sees its region's bulletins in every state;
// the region's departments see them once published.
func bulletinReader(who *auth.User, b *Bulletin) bool {
	return officeOf(who, b.RegionCode) ||
		b.Status != BulletinDraft && active(who) && registry.RegionCovers(who.RegionCode, b.RegionCode)
}

// GetBulletin returns a bulletin with its figures.
func GetBulletin(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Bulletin, error) {
	var raw string
	b, err := scanBulletin(q.QueryRow(ctx, `SELECT `+bulletinCols+`, data FROM bulletins WHERE id = ?`, id), &raw)
	if err != nil {
		return nil, err
	}
	if !bulletinReader(who, b) {
		return nil, fielderr.ErrNotFound
	}
	b.Data = &BulletinData{}
	if err := json.Unmarshal([]byte(raw), b.Data); err != nil {
		return nil, err
	}
	return b, nil
}

// ListBulletins lists bulletins without their figures, the latest period
// first and, within a period, the latest version first. Departments see
// only published (and superseded) ones.
func ListBulletins(ctx context.Context, q store.Queryer, who *auth.User, f BulletinFilter) ([]Bulletin, error) {
	if !active(who) {
		return nil, fielderr.ErrForbidden
	}
	cond := `region_code LIKE ?`
	args := []any{registry.RegionPrefix(who.RegionCode) + "%"}
	if !isOffice(who) {
		cond += ` AND status <> ?`
		args = append(args, BulletinDraft)
	}
	if f.PlanID != "" {
		cond += ` AND plan_id = ?`
		args = append(args, f.PlanID)
	}
	if f.Status != "" {
		cond += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	args = append(args, min(f.Limit, 1000), max(0, f.Offset))
	rows, err := q.Query(ctx, `SELECT `+bulletinCols+` FROM bulletins WHERE `+cond+
		` ORDER BY period_to DESC, period_from DESC, version DESC, id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Bulletin{}
	for rows.Next() {
		b, err := scanBulletin(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}
