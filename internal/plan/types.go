// Package plan runs the office's backbone: a year's work points (工作要点)
// decomposed into tasks with one owner each (每项工作有人管), progress reports,
// status lights computed on working days, reminders, the office's
// inspections of the work (督查) and periodic bulletins (通报).
package plan

import "github.com/hallmark-platform/hallmark/internal/blob"

// Plan statuses.
const (
	PlanDraft     = "draft"
	PlanPublished = "published"
	PlanClosed    = "closed"
)

// Task statuses: a task is drafted, published to its owner, signed for
// (签收) by the lead department, done, and finally closed by the office.
const (
	TaskDraft     = "draft"
	TaskPublished = "published"
	TaskSigned    = "signed"
	TaskDone      = "done"
	TaskClosed    = "closed"
)

// Lights.
const (
	Green  = "green"
	Yellow = "yellow"
	Red    = "red"
)

// Plan is a year's programme of work points.
type Plan struct {
	ID          string `json:"id"`
	RegionCode  string `json:"region_code"`
	Year        int    `json:"year"`
	Title       string `json:"title"`
	DocNumber   string `json:"doc_number"`
	Cadence     string `json:"cadence"`    // monthly (default), quarterly, biweekly
	ReportDay   int    `json:"report_day"` // day of the period by which its report is due
	LightRule   Rule   `json:"light_rule"`
	Status      string `json:"status"`
	PublishedAt int64  `json:"published_at,omitempty"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
}

// Rule is the configurable status-light rule. A zero field means its
// default, the rule of domain-cn.md §10 (see Rule.Normalize).
type Rule struct {
	YellowLag      float64 `json:"yellow_lag"`      // points behind time-proportional progress that turn a task yellow (default 10)
	RedLag         float64 `json:"red_lag"`         // more points behind than this turn it red (default 30)
	DueSoonDays    int     `json:"due_soon_days"`   // working days before the deadline that count as "due soon" (default 5)
	EscalateYellow int     `json:"escalate_yellow"` // consecutive report periods behind schedule that turn a yellow red (default 2)
	IgnoreMissed   bool    `json:"ignore_missed"`   // a missed report does not turn a task yellow (default: it does)
}

// Item is a work point in the plan document's own hierarchy (一、(一) 1.).
type Item struct {
	ID               string   `json:"id"`
	PlanID           string   `json:"plan_id"`
	ParentID         string   `json:"parent_id,omitempty"`
	Seq              int      `json:"seq"`
	Label            string   `json:"label"` // "一", "(一)", "1."
	Level            int      `json:"level"` // 1, 2, 3
	Content          string   `json:"content"`
	LeadDepartmentID string   `json:"lead_department_id,omitempty"`
	Supporting       []string `json:"supporting"` // department IDs (配合单位)
	Leader           string   `json:"leader"`     // responsible leader (责任领导)
	Deadline         string   `json:"deadline"`   // YYYY-MM-DD
	Target           string   `json:"target"`     // quantified target or acceptance criterion
	Weight           float64  `json:"weight"`     // assessment weight (考核分值)
}

// Task is a unit of work with exactly one owner once published.
type Task struct {
	ID               string   `json:"id"`
	PlanID           string   `json:"plan_id"`
	ItemID           string   `json:"item_id"`
	ParentTaskID     string   `json:"parent_task_id,omitempty"`
	RegionCode       string   `json:"region_code"`
	Seq              int      `json:"seq"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	LeadDepartmentID string   `json:"lead_department"`
	LeadDepartment   string   `json:"lead_department_name,omitempty"`
	Supporting       []string `json:"supporting"` // department IDs (配合单位)
	OwnerID          string   `json:"owner"`
	OwnerName        string   `json:"owner_name,omitempty"`
	Leader           string   `json:"leader"`
	StartDate        string   `json:"start_date"`
	Deadline         string   `json:"deadline"`
	Target           string   `json:"target"`
	Weight           float64  `json:"weight"`
	MeasureKey       string   `json:"measure,omitempty"` // a platform count this task follows, instead of reported percentages
	MeasureTarget    float64  `json:"measure_target,omitempty"`
	MeasureBaseline  float64  `json:"measure_baseline,omitempty"`
	Status           string   `json:"status"`
	Progress         float64  `json:"progress"` // percent, 0–100
	LastReportAt     int64    `json:"last_report_at,omitempty"`
	Light            string   `json:"light"` // green, yellow, red ("" before publication)
	LightCause       string   `json:"light_cause,omitempty"`
	LightSince       int64    `json:"light_since,omitempty"`
	YellowStreak     int      `json:"yellow_streak"`           // consecutive report periods behind schedule
	YellowPeriod     string   `json:"yellow_period,omitempty"` // the last period counted in YellowStreak
	MissedPeriod     string   `json:"missed_period,omitempty"` // the report period whose report is missing, "" when none is
	PublishedAt      int64    `json:"published_at,omitempty"`
	SignedAt         int64    `json:"signed_at,omitempty"`
	SignedBy         string   `json:"signed_by,omitempty"`
	DoneAt           int64    `json:"done_at,omitempty"`
	ClosedAt         int64    `json:"closed_at,omitempty"`
	CreatedAt        int64    `json:"created_at"`
	UpdatedAt        int64    `json:"updated_at"`
}

// Report is one progress report on a task.
type Report struct {
	ID         string  `json:"id"`
	TaskID     string  `json:"task_id"`
	Period     string  `json:"period"` // "2021-03" for a monthly plan
	Percent    float64 `json:"percent"`
	Note       string  `json:"note"`
	Reason     string  `json:"reason,omitempty"` // why progress went down
	Measured   bool    `json:"measured"`
	ReportedBy string  `json:"reported_by"` // a user ID; "system" for measured reports
	// ReporterName is the reporting user's name (empty for measured reports).
	ReporterName string `json:"reported_by_name,omitempty"`
	ReportedAt   int64  `json:"reported_at"`
	Files        []File `json:"files,omitempty"`
}

// File is an evidence file attached to a report: a file stored with
// blob.Store.Put, and the name it was uploaded under.
type File = blob.File

// Change is one recorded change of a published task's deadline, owner or
// lead department, with the reason given for it.
type Change struct {
	ID        string `json:"id"`
	TaskID    string `json:"task_id"`
	Field     string `json:"field"` // deadline, owner, lead_department
	Old       string `json:"old"`   // a date, or a user or department ID
	New       string `json:"new"`
	OldName   string `json:"old_name"` // the user's or department's name, for owner and lead_department
	NewName   string `json:"new_name"`
	Reason    string `json:"reason"`
	ActorID   string `json:"actor_id"`
	ActorName string `json:"actor_name,omitempty"`
	At        int64  `json:"at"`
}

// LightChange is one change of a task's light, with its cause.
type LightChange struct {
	TaskID   string            `json:"task_id"`
	Light    string            `json:"light"`
	Previous string            `json:"previous"`
	Cause    string            `json:"cause"` // message key, e.g. "light.cause.lag"
	Params   map[string]string `json:"params,omitempty"`
	Day      string            `json:"day"`
	At       int64             `json:"at"`
}
