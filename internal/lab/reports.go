package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/workday"
)

// Report states. A report is drafted, then issued by a second user of the
// institution; a revision supersedes it; it may be revoked with a reason.
const (
	StatusDraft      = "draft"
	StatusIssued     = "issued"
	StatusSuperseded = "superseded"
	StatusRevoked    = "revoked"
)

// Report conclusions.
const (
	Conforming    = judge.Conforming
	Nonconforming = judge.Nonconforming
)

// Report is one version of a test report (检验报告). Number and Version
// together identify it; a revision keeps the number and takes the next
// version.
type Report struct {
	ID              string `json:"id"`
	RegionCode      string `json:"region_code"`
	InstitutionID   string `json:"institution_id"`
	InstitutionName string `json:"institution_name,omitempty"`
	SampleID        string `json:"sample_id"`
	SampleNumber    string `json:"sample_number,omitempty"`
	EnterpriseID    string `json:"enterprise_id,omitempty"`
	Number          string `json:"number"`
	Version         int    `json:"version"`
	Status          string `json:"status"`
	Conclusion      string `json:"conclusion,omitempty"` // conforming | nonconforming once drafted
	// Content is the snapshot that was (or is to be) issued; Fingerprint
	// the SHA-256 of its JSON.
	Content     *Content `json:"content,omitempty"`
	Fingerprint string   `json:"fingerprint,omitempty"`
	// VerificationCode is shown only to the institution, officials and the
	// enterprise the report concerns (see View).
	VerificationCode  string `json:"verification_code,omitempty"`
	DraftedBy         string `json:"drafted_by"`
	DraftedAt         int64  `json:"drafted_at"`
	ApprovedBy        string `json:"approved_by,omitempty"`
	IssuedAt          int64  `json:"issued_at,omitempty"`
	DeliveredAt       int64  `json:"delivered_at,omitempty"`
	ObjectionDeadline string `json:"objection_deadline,omitempty"` // YYYY-MM-DD; "" for a re-test's report, which is final
	Supersedes        string `json:"supersedes,omitempty"`
	SupersededBy      string `json:"superseded_by,omitempty"`
	RevisionReason    string `json:"revision_reason,omitempty"`
	RevokedBy         string `json:"revoked_by,omitempty"`
	RevokedAt         int64  `json:"revoked_at,omitempty"`
	RevokeReason      string `json:"revoke_reason,omitempty"`
	RetestOf          string `json:"retest_of,omitempty"`   // the original report a re-test report answers
	RetestedBy        string `json:"retested_by,omitempty"` // the re-test report that replaced this one's result
	TurnaroundDays    int    `json:"turnaround_days,omitempty"`
	FinalAt           int64  `json:"final_at,omitempty"` // when the result could no longer be challenged
	UpdatedAt         int64  `json:"updated_at"`
}

// Content is what a report states, the part its fingerprint covers. Go
// encodes a struct's fields in declaration order and a map's keys sorted,
// so the same content always gives the same JSON and the same fingerprint.
type Content struct {
	Number      string        `json:"number"`
	Version     int           `json:"version"`
	Institution ContentParty  `json:"institution"`
	Enterprise  ContentParty  `json:"enterprise"`
	Sample      ContentSample `json:"sample"`
	Items       []ContentItem `json:"items"`
	Conclusion  string        `json:"conclusion"`
	IssuedOn    string        `json:"issued_on,omitempty"`
	RetestOf    string        `json:"retest_of,omitempty"` // number of the report re-tested
}

// ContentParty names the institution or enterprise on a report.
type ContentParty struct {
	Name string `json:"name"`
	USCC string `json:"uscc"`
	CMA  string `json:"cma,omitempty"`
}

// ContentSample is the sample as a report describes it.
type ContentSample struct {
	Number     string   `json:"number"`
	Product    string   `json:"product"`
	Category   string   `json:"category"`
	Lot        string   `json:"lot"`
	Quantity   float64  `json:"quantity"`
	Unit       string   `json:"unit"`
	SampledOn  string   `json:"sampled_on"`
	ReceivedOn string   `json:"received_on,omitempty"`
	Samplers   []string `json:"samplers"`
}

// ContentItem is one item's line on a report.
type ContentItem struct {
	Item       string     `json:"item"`
	Value      string     `json:"value"`
	Unit       string     `json:"unit,omitempty"`
	Method     string     `json:"method,omitempty"`
	LOD        string     `json:"lod,omitempty"`
	Limit      *LimitCopy `json:"limit,omitempty"`
	Conclusion string     `json:"conclusion"`
}

// fingerprint is the SHA-256 of the content's JSON, in hex.
func fingerprint(c *Content) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

const reportCols = `r.id, r.region_code, r.institution_id, COALESCE(i.name, ''), r.sample_id, COALESCE(s.number, ''),
	COALESCE(s.enterprise_id, ''), r.number, r.version, r.status, r.conclusion, r.content, r.fingerprint, r.verification_code,
	r.drafted_by, r.drafted_at, r.approved_by, COALESCE(r.issued_at, 0), COALESCE(r.delivered_at, 0), r.objection_deadline,
	r.supersedes, r.superseded_by, r.revision_reason, r.revoked_by, COALESCE(r.revoked_at, 0), r.revoke_reason, r.retest_of,
	r.retested_by, COALESCE(r.turnaround_days, 0), COALESCE(r.final_at, 0), r.updated_at`

const reportFrom = ` FROM lab_reports r LEFT JOIN lab_institutions i ON i.id = r.institution_id
	LEFT JOIN lab_samples s ON s.id = r.sample_id`

func scanReport(row scanner) (*Report, error) {
	var r Report
	var content string
	if err := row.Scan(&r.ID, &r.RegionCode, &r.InstitutionID, &r.InstitutionName, &r.SampleID, &r.SampleNumber,
		&r.EnterpriseID, &r.Number, &r.Version, &r.Status, &r.Conclusion, &content, &r.Fingerprint, &r.VerificationCode,
		&r.DraftedBy, &r.DraftedAt, &r.ApprovedBy, &r.IssuedAt, &r.DeliveredAt, &r.ObjectionDeadline, &r.Supersedes,
		&r.SupersededBy, &r.RevisionReason, &r.RevokedBy, &r.RevokedAt, &r.RevokeReason, &r.RetestOf, &r.RetestedBy,
		&r.TurnaroundDays, &r.FinalAt, &r.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	if content != "" {
		r.Content = &Content{}
		if err := json.Unmarshal([]byte(content), r.Content); err != nil {
			return nil, fmt.Errorf("lab report %s content: %w", r.ID, err)
		}
	}
	return &r, nil
}

func loadReport(ctx context.Context, q store.Queryer, id string) (*Report, error) {
	return scanReport(q.QueryRow(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.id = ?`, id))
}

// latestReport is the newest version of the sample's report, or nil.
func latestReport(ctx context.Context, q store.Queryer, sampleID string) (*Report, error) {
	r, err := scanReport(q.QueryRow(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.sample_id = ? ORDER BY r.version DESC LIMIT 1`, sampleID))
	if errors.Is(err, fielderr.ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// latestByNumber is the newest version of a report number, or ErrNotFound.
func latestByNumber(ctx context.Context, q store.Queryer, number string) (*Report, error) {
	return scanReport(q.QueryRow(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.number = ? ORDER BY r.version DESC LIMIT 1`,
		strings.TrimSpace(number)))
}

// canSeeReport: officials of the region, the issuing institution, and the
// enterprise the report concerns once it has been issued (never a draft).
func canSeeReport(who *auth.User, r *Report) bool {
	switch {
	case inRegion(who, r.RegionCode):
		return true
	case institutionOf(who) != "":
		return institutionOf(who) == r.InstitutionID
	case enterpriseOf(who) != "":
		return enterpriseOf(who) == r.EnterpriseID && r.Status != StatusDraft
	}
	return false
}

// View returns the report as who may see it: the verification code only
// for the institution, officials and the enterprise it concerns.
func (r Report) View(who *auth.User) Report {
	if !canSeeReport(who, &r) {
		r.VerificationCode = ""
	}
	return r
}

// buildContent assembles what a report of the sample states from its
// results as they stand. Conclusion: nonconforming when any item is, else
// conforming (items that could not be judged are shown as such and do not
// make the sample fail).
func buildContent(ctx context.Context, q store.Queryer, s *Sample, inst *Institution, number string, version int) (*Content, error) {
	results, err := loadResults(ctx, q, s.ID)
	if err != nil {
		return nil, err
	}
	var entName, entUSCC string
	if err := q.QueryRow(ctx, `SELECT name, uscc FROM enterprises WHERE id = ?`, s.EnterpriseID).Scan(&entName, &entUSCC); err != nil {
		return nil, err
	}
	c := &Content{Number: number, Version: version,
		Institution: ContentParty{Name: inst.Name, USCC: inst.USCC, CMA: inst.CMANumber},
		Enterprise:  ContentParty{Name: entName, USCC: entUSCC},
		Sample: ContentSample{Number: s.Number, Product: s.ProductName, Category: s.Category, Lot: s.Lot, Quantity: s.Quantity,
			Unit: s.Unit, SampledOn: s.SampledOn, Samplers: s.Samplers},
		Items: []ContentItem{}, Conclusion: Conforming}
	if s.ReceivedAt != 0 {
		c.Sample.ReceivedOn = millisDate(s.ReceivedAt)
	}
	for _, r := range results {
		c.Items = append(c.Items, ContentItem{Item: r.Item, Value: r.Value, Unit: r.Unit, Method: r.Method, LOD: r.LOD,
			Limit: r.Limit, Conclusion: r.Conclusion})
		if r.Conclusion == Nonconforming {
			c.Conclusion = Nonconforming
		}
	}
	return c, nil
}

// requiredItems are the items a report of the sample must cover: the
// task's, or for a re-test the items objected to.
func requiredItems(ctx context.Context, q store.Queryer, s *Sample) ([]string, error) {
	if s.ObjectionID != "" {
		var items string
		if err := q.QueryRow(ctx, `SELECT items FROM lab_objections WHERE id = ?`, s.ObjectionID).Scan(&items); err != nil {
			return nil, err
		}
		var out []string
		return out, json.Unmarshal([]byte(items), &out)
	}
	t, err := loadTask(ctx, q, s.TaskID)
	if err != nil {
		return nil, err
	}
	return t.Items, nil
}

// DraftReport drafts the report of a sample from its results (a user of
// the sample's institution, once the sample is tested). A report's number
// is the institution's prefix, the year and a serial of the institution and
// year: "ALS-2026-0001". Drafting again while the draft awaits approval
// replaces it. Refusals on "sample": rule.lab.report.not_tested,
// rule.lab.report.missing_items (param items), rule.lab.report.nothing_judged
// (no item could be judged), rule.lab.institution_inactive;
// a sample whose report is issued already is an alteration attempt
// (rule.lab.report.issued, audited and flagged): a change is a revision.
func DraftReport(ctx context.Context, db *store.DB, who *auth.User, sampleID string) (*Report, error) {
	inst, err := actingInstitution(ctx, db, who)
	if err != nil {
		return nil, err
	}
	now := nowOf(ctx)
	var out *Report
	var attempt *alteration
	err = db.Tx(ctx, func(tx *store.Tx) error {
		s, err := loadSample(ctx, tx, sampleID, tx.ForUpdate())
		if err != nil {
			return err
		}
		if s.InstitutionID != inst.ID {
			return fielderr.ErrNotFound
		}
		latest, err := latestReport(ctx, tx, s.ID)
		if err != nil {
			return err
		}
		if latest != nil && latest.Status != StatusDraft {
			attempt = &alteration{report: latest, action: "draft"}
			return attempt
		}
		if err := checkReady(ctx, tx, inst, s); err != nil {
			return err
		}
		r := latest
		if r == nil {
			n, err := nextNumber(ctx, tx, "report:"+inst.ID, now.In(workday.Shanghai).Year())
			if err != nil {
				return err
			}
			r = &Report{ID: store.NewID(), RegionCode: s.RegionCode, InstitutionID: inst.ID, InstitutionName: inst.Name,
				SampleID: s.ID, SampleNumber: s.Number, EnterpriseID: s.EnterpriseID,
				Number: fmt.Sprintf("%s-%d-%04d", inst.ReportPrefix, now.In(workday.Shanghai).Year(), n), Version: 1, Status: StatusDraft}
			if s.ObjectionID != "" {
				// The re-test answers the report the enterprise objected to.
				if err := tx.QueryRow(ctx, `SELECT report_id FROM lab_objections WHERE id = ?`, s.ObjectionID).Scan(&r.RetestOf); err != nil {
					return err
				}
			}
		}
		before := *r
		if r.Content, err = buildContent(ctx, tx, s, inst, r.Number, r.Version); err != nil {
			return err
		}
		if r.RetestOf != "" {
			orig, err := loadReport(ctx, tx, r.RetestOf)
			if err != nil {
				return err
			}
			r.Content.RetestOf = orig.Number
		}
		r.Conclusion, r.DraftedBy, r.DraftedAt, r.UpdatedAt = r.Content.Conclusion, who.ID, now.UnixMilli(), now.UnixMilli()
		content, err := json.Marshal(r.Content)
		if err != nil {
			return err
		}
		if latest == nil {
			_, err = tx.Exec(ctx, `INSERT INTO lab_reports (id, region_code, institution_id, sample_id, number, version, status,
				conclusion, content, drafted_by, drafted_at, supersedes, revision_reason, retest_of, updated_at)
				VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
				r.ID, r.RegionCode, r.InstitutionID, r.SampleID, r.Number, r.Version, r.Status, r.Conclusion, string(content),
				r.DraftedBy, r.DraftedAt, r.Supersedes, r.RevisionReason, r.RetestOf, r.UpdatedAt)
		} else {
			_, err = tx.Exec(ctx, `UPDATE lab_reports SET conclusion = ?, content = ?, drafted_by = ?, drafted_at = ?, updated_at = ?
				WHERE id = ? AND status = ?`, r.Conclusion, string(content), r.DraftedBy, r.DraftedAt, r.UpdatedAt, r.ID, StatusDraft)
		}
		if err != nil {
			return err
		}
		entry := audit.Entry{Action: "draft", Entity: "lab_report", EntityID: r.ID, RegionCode: r.RegionCode, After: r}
		if latest != nil {
			entry.Before = before
		}
		out = r
		return audit.Write(ctx, tx, entry)
	})
	if attempt != nil {
		return nil, refuseAlteration(ctx, db, who, attempt)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkReady refuses a report of a sample not yet tested, of an institution
// not active, or missing a required item.
func checkReady(ctx context.Context, q store.Queryer, inst *Institution, s *Sample) error {
	var errs fielderr.List
	if inst.Status != InstitutionActive {
		errs.Add("sample", "rule.lab.institution_inactive")
	}
	if stepIndex(s.Custody) < stepIndex(StepTested) {
		errs.Add("sample", "rule.lab.report.not_tested")
	}
	required, err := requiredItems(ctx, q, s)
	if err != nil {
		return err
	}
	results, err := loadResults(ctx, q, s.ID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	judged := 0
	for _, r := range results {
		have[fold(r.Item)] = true
		if r.Conclusion == Conforming || r.Conclusion == Nonconforming {
			judged++
		}
	}
	var missing []string
	for _, it := range required {
		if !have[fold(it)] {
			missing = append(missing, it)
		}
	}
	switch {
	case len(missing) > 0:
		errs.Add("sample", "rule.lab.report.missing_items", "items", strings.Join(missing, "、"))
	case judged == 0:
		// Without a single judged item a conclusion would claim what nothing
		// showed: the catalogue lacks the limits, or every value failed to
		// read. The institution fixes that first.
		errs.Add("sample", "rule.lab.report.nothing_judged")
	}
	return errs.Err()
}

// GetReport returns the newest version of a report number.
func GetReport(ctx context.Context, q store.Queryer, who *auth.User, number string) (*Report, error) {
	r, err := latestByNumber(ctx, q, number)
	if err != nil {
		return nil, err
	}
	if !canSeeReport(who, r) {
		// An enterprise may not see a revision still in draft: it sees the
		// version in force.
		if enterpriseOf(who) != "" && r.Status == StatusDraft && r.Version > 1 {
			return GetReportVersion(ctx, q, who, number, r.Version-1)
		}
		return nil, fielderr.ErrNotFound
	}
	v := r.View(who)
	return &v, nil
}

// GetReportVersion returns one version of a report number.
func GetReportVersion(ctx context.Context, q store.Queryer, who *auth.User, number string, version int) (*Report, error) {
	r, err := scanReport(q.QueryRow(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.number = ? AND r.version = ?`,
		strings.TrimSpace(number), version))
	if err != nil {
		return nil, err
	}
	if !canSeeReport(who, r) {
		return nil, fielderr.ErrNotFound
	}
	v := r.View(who)
	return &v, nil
}

// ReportFilter selects reports. By default only the version in force of
// each number is listed (drafts, issued, revoked); AllVersions adds the
// superseded ones.
type ReportFilter struct {
	Status        string `json:"status"`
	Conclusion    string `json:"conclusion"`
	InstitutionID string `json:"institution_id"`
	SampleID      string `json:"sample_id"`
	AllVersions   bool   `json:"all_versions"`
	Limit         int    `json:"limit"`
	Offset        int    `json:"offset"`
}

// ListReports lists the reports who may see, newest first, and the total.
func ListReports(ctx context.Context, q store.Queryer, who *auth.User, f ReportFilter) ([]Report, int, error) {
	var cond string
	var args []any
	switch {
	case isOfficial(who):
		cond, args = registry.RegionScopeSQL("r.region_code", who.RegionCode)
	case institutionOf(who) != "":
		cond, args = "r.institution_id = ?", []any{institutionOf(who)}
	case enterpriseOf(who) != "":
		cond, args = "s.enterprise_id = ? AND r.status <> ?", []any{enterpriseOf(who), StatusDraft}
	default:
		return nil, 0, fielderr.ErrForbidden
	}
	if !f.AllVersions {
		cond += ` AND r.status <> ?`
		args = append(args, StatusSuperseded)
	}
	if f.Status != "" {
		if !contains([]string{StatusDraft, StatusIssued, StatusSuperseded, StatusRevoked}, f.Status) {
			return nil, 0, fielderr.New("status", "rule.choice")
		}
		cond += ` AND r.status = ?`
		args = append(args, f.Status)
	}
	if f.Conclusion != "" {
		if f.Conclusion != Conforming && f.Conclusion != Nonconforming {
			return nil, 0, fielderr.New("conclusion", "rule.choice")
		}
		cond += ` AND r.conclusion = ?`
		args = append(args, f.Conclusion)
	}
	if f.InstitutionID != "" {
		cond += ` AND r.institution_id = ?`
		args = append(args, f.InstitutionID)
	}
	if f.SampleID != "" {
		cond += ` AND r.sample_id = ?`
		args = append(args, f.SampleID)
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*)`+reportFrom+` WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := q.Query(ctx, `SELECT `+reportCols+reportFrom+` WHERE `+cond+
		` ORDER BY r.drafted_at DESC, r.number DESC, r.version DESC LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, 0, err
		}
		r.Content = nil // lists show the head; GetReport the whole
		out = append(out, r.View(who))
	}
	return out, total, rows.Err()
}
