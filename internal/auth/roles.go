// Package auth owns users, roles, sessions, API tokens and permissions.
package auth

// Role is what a user is in the programme.
type Role string

const (
	RoleAdmin       Role = "admin"       // the leading-group office; may do all an officer may
	RoleOfficer     Role = "officer"     // a member department
	RoleInspector   Role = "inspector"   // drawn for inspections, records findings
	RoleInstitution Role = "institution" // a testing institution
	RoleEnterprise  Role = "enterprise"  // an enterprise, sees only its own non-public data
	RoleExpert      Role = "expert"      // scores quality-award applications
)

// Roles lists every role, in display order.
var Roles = []Role{RoleAdmin, RoleOfficer, RoleInspector, RoleInstitution, RoleEnterprise, RoleExpert}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Permission is what a route or action requires.
type Permission string

const (
	// PermPublic: anyone, signed in or not.
	PermPublic Permission = "public"
	// PermSignedIn: any signed-in user (home, notifications, own password, own tokens).
	PermSignedIn Permission = "signed-in"
	// PermRegistryRead: see enterprises, licences and products (an enterprise sees only its own).
	PermRegistryRead Permission = "registry.read"
	// PermRegistryWrite: create and edit enterprises, import them.
	PermRegistryWrite Permission = "registry.write"
	// PermLicenceWrite: keep licences and products (an enterprise only its own).
	PermLicenceWrite Permission = "licence.write"
	// PermAuditRead: read the audit trail.
	PermAuditRead Permission = "audit.read"
	// PermUserAdmin: manage users.
	PermUserAdmin Permission = "user.admin"
	// PermCalendarWrite: edit the working-day calendar and settings.
	PermCalendarWrite Permission = "calendar.write"
	// PermDepartmentWrite: keep the list of the leading group's member departments.
	PermDepartmentWrite Permission = "department.write"
	// PermPlanRead: see the year's plans, tasks, inspections and published bulletins
	// (a department sees the tasks it leads or supports).
	PermPlanRead Permission = "plan.read"
	// PermPlanWrite: draw up plans and tasks, run inspections of the work, issue bulletins.
	PermPlanWrite Permission = "plan.write"
	// PermTaskReport: sign for tasks and report their progress, answer rectifications.
	PermTaskReport Permission = "task.report"
	// PermTraceRead: query EPCIS events and trace lots (an enterprise sees only
	// the events it captured).
	PermTraceRead Permission = "trace.read"
	// PermTraceCapture: capture EPCIS events, record incoming checks and sales,
	// file key commodities (an enterprise only its own).
	PermTraceCapture Permission = "trace.capture"
	// PermTraceGraph: trace lots forward and backward across enterprises
	// (officials only: a trace crosses every enterprise's records).
	PermTraceGraph Permission = "trace.graph"
	// PermRecallWrite: open recalls, review key-commodity filings.
	PermRecallWrite Permission = "recall.write"
	// PermLabRead: see the testing system: institutions, sampling tasks,
	// samples, results and reports (an institution what is assigned to it,
	// an enterprise its own samples and reports).
	PermLabRead Permission = "lab.read"
	// PermLabManage: keep the register of institutions and the limits
	// catalogue, set sampling tasks, assign re-tests, read and resolve the
	// supervision flags.
	PermLabManage Permission = "lab.manage"
	// PermLabSample: record samples taken and their custody (officials who
	// take samples and institutions commissioned to).
	PermLabSample Permission = "lab.sample"
	// PermLabTest: enter results, draft, approve, revise and revoke reports
	// (an institution, for what is assigned to it).
	PermLabTest Permission = "lab.test"
	// PermLabReportState: revoke an issued report and record when it reached
	// the enterprise (the issuing institution, and officers of the region
	// who supervise it).
	PermLabReportState Permission = "lab.report.state"
	// PermLabObject: object to a report within the statutory window (an
	// enterprise, to reports on its own samples).
	PermLabObject Permission = "lab.object"
)

// grants says which roles hold each permission beyond the public and
// signed-in ones. Admin holds everything.
var grants = map[Permission][]Role{
	PermRegistryRead:    {RoleOfficer, RoleInspector, RoleEnterprise},
	PermRegistryWrite:   {RoleOfficer},
	PermLicenceWrite:    {RoleOfficer, RoleEnterprise},
	PermAuditRead:       {},
	PermUserAdmin:       {},
	PermCalendarWrite:   {},
	PermDepartmentWrite: {},
	PermPlanRead:        {RoleOfficer, RoleInspector},
	PermPlanWrite:       {},
	PermTaskReport:      {RoleOfficer},
	PermTraceRead:       {RoleOfficer, RoleInspector, RoleEnterprise},
	PermTraceCapture:    {RoleOfficer, RoleEnterprise},
	PermTraceGraph:      {RoleOfficer, RoleInspector},
	PermRecallWrite:     {RoleOfficer},
	PermLabRead:         {RoleOfficer, RoleInspector, RoleInstitution, RoleEnterprise},
	PermLabManage:       {RoleOfficer},
	PermLabSample:       {RoleOfficer, RoleInspector, RoleInstitution},
	PermLabTest:         {RoleInstitution},
	PermLabReportState:  {RoleOfficer, RoleInstitution},
	PermLabObject:       {RoleEnterprise},
}

// Permissions lists every permission a route may declare.
func Permissions() []Permission {
	out := []Permission{PermPublic, PermSignedIn}
	for p := range grants {
		out = append(out, p)
	}
	return out
}

// Known reports whether p is a declared permission.
func Known(p Permission) bool {
	if p == PermPublic || p == PermSignedIn {
		return true
	}
	_, ok := grants[p]
	return ok
}

// RoleHas reports whether role r holds permission p.
func RoleHas(r Role, p Permission) bool {
	switch {
	case p == PermPublic:
		return true
	case !r.Valid():
		return false
	case p == PermSignedIn, r == RoleAdmin:
		return Known(p)
	}
	for _, x := range grants[p] {
		if x == r {
			return true
		}
	}
	return false
}

// User is a signed-in account.
type User struct {
	ID            string
	Username      string
	Name          string
	Role          Role
	RegionCode    string
	DepartmentID  string // set for admin, officer and inspector
	EnterpriseID  string // set for enterprise users
	InstitutionID string // set for institution users
	Lang          string // "zh-CN", "en" or "" for the browser's choice
	Disabled      bool

	CreatedAt         int64 // Unix ms
	PasswordChangedAt int64 // Unix ms
}

// Can reports whether u holds p.
func (u *User) Can(p Permission) bool {
	if u == nil {
		return p == PermPublic
	}
	return RoleHas(u.Role, p)
}
