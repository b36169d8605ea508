package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/registry"
	"github.com/hallmark-platform/hallmark/internal/settings"
	"github.com/hallmark-platform/hallmark/internal/trace/recall"
	"github.com/hallmark-platform/hallmark/internal/workday"
	"github.com/hallmark-platform/hallmark/locales"
)

// registerAdminRoutes adds the office's administration pages: accounts, the
// working-day calendar and the tunable settings.
func (s *Server) registerAdminRoutes() {
	users, cal := auth.PermUserAdmin, auth.PermCalendarWrite

	s.handle("GET /admin/users", users, s.adminUsers)
	s.handle("GET /admin/users/new", users, s.adminUserNew)
	s.handle("POST /admin/users", users, s.adminUserCreate)
	s.handle("GET /admin/users/{id}", users, s.adminUser)
	s.handle("POST /admin/users/{id}", users, s.adminUserUpdate)
	s.handle("POST /admin/users/{id}/reset-password", users, s.adminUserResetPassword)
	s.handle("POST /admin/users/{id}/disable", users, s.adminUserDisable)
	s.handle("POST /admin/users/{id}/enable", users, s.adminUserEnable)

	s.handle("GET /admin/calendar", cal, s.adminCalendar)
	s.handle("POST /admin/calendar", cal, s.adminCalendarSet)
	s.handle("POST /admin/calendar/{day}/clear", cal, s.adminCalendarClear)

	s.handle("GET /admin/settings", cal, s.adminSettings)
	s.handle("POST /admin/settings", cal, s.adminSettingsSave)
}

const adminFlashKey = "admin.flash"

// adminFlash keeps a message key for the page the browser is redirected to.
// Token clients have no session to carry it, and storing one for them would
// leave an orphan session row per request.
func (s *Server) adminFlash(r *http.Request, key string) {
	if s.sessions.GetString(r.Context(), sessionUserKey) != "" {
		s.sessions.Put(r.Context(), adminFlashKey, key)
	}
}

func (s *Server) adminPopFlash(r *http.Request, v *view) {
	if key := s.sessions.PopString(r.Context(), adminFlashKey); key != "" {
		v.Flash = v.T(key)
	}
}

// ---- users ----

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) {
	me := userFrom(r.Context())
	q := r.URL.Query()
	pg := pageOf(r, 50)
	role := auth.Role(q.Get("role"))
	if !role.Valid() {
		role = ""
	}
	list, total, err := auth.ListUsers(r.Context(), s.db, auth.UserFilter{Role: role, RegionCode: me.RegionCode,
		Q: q.Get("q"), Limit: pg.Limit, Offset: pg.Offset})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	depts, err := registry.ListDepartments(r.Context(), s.db, me.RegionCode)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	lang := langFrom(r.Context())
	deptNames := map[string]string{}
	for _, d := range depts {
		deptNames[d.ID] = d.DisplayName(lang)
	}
	pg.Total = total
	v := s.newView(r, "admin.users.title", map[string]any{"Users": list, "Page": pg, "Filter": q,
		"Roles": auth.Roles, "DeptNames": deptNames})
	s.adminPopFlash(r, v)
	s.render(w, r, http.StatusOK, "admin_users", v)
}

// adminUserPage is what the new-user and user pages show.
type adminUserPage struct {
	User        *auth.User // nil on the new-user form
	Self        bool       // the administrator is looking at their own account
	Roles       []auth.Role
	Departments []registry.Department
	// Institutions are the region's registered testing institutions an
	// institution account may be tied to.
	Institutions []lab.Institution
	DeptName     string
	InstName     string
	Enterprise   *registry.Enterprise
	Reset        *form // the reset-password form, with its own errors
}

func (s *Server) adminUserNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["role"] = string(auth.RoleOfficer)
	s.adminRenderUserForm(w, r, http.StatusOK, f)
}

func (s *Server) adminRenderUserForm(w http.ResponseWriter, r *http.Request, status int, f *form) {
	me := userFrom(r.Context())
	depts, err := registry.ListDepartments(r.Context(), s.db, me.RegionCode)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	insts, err := lab.ListInstitutions(r.Context(), s.db, me, lab.InstitutionFilter{})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(r, "admin.users.new", &adminUserPage{Roles: auth.Roles, Departments: depts, Institutions: insts})
	v.Form = f
	s.render(w, r, status, "admin_user", v)
}

var adminUserFields = []string{"username", "name", "role", "department_id", "enterprise_id", "institution_id"}

func (s *Server) adminUserCreate(w http.ResponseWriter, r *http.Request) {
	me := userFrom(r.Context())
	lang := langFrom(r.Context())
	f := formFrom(r, adminUserFields...)
	role := auth.Role(f.Values["role"])
	entID, entKnown, err := s.adminEnterpriseID(r, me, role, f.Values["enterprise_id"])
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	instID, instKnown, err := s.adminInstitutionID(r, role, me.RegionCode, f.Values["institution_id"])
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// New accounts belong to the administrator's region: the departments
	// offered are that region's, and checkPlace requires them to agree.
	u, err := auth.CreateUser(r.Context(), s.db, auth.NewUser{
		Username: f.Values["username"], Name: f.Values["name"], Password: r.PostFormValue("password"),
		Role: role, RegionCode: me.RegionCode, DepartmentID: f.Values["department_id"],
		EnterpriseID: entID, InstitutionID: instID,
	})
	// Unreachable while an enterprise (institution) account requires its
	// enterprise (institution): an unresolved one was passed on empty
	// precisely so that CreateUser refuses it alongside any other bad field.
	switch {
	case err == nil && !entKnown:
		err = fielderr.New("enterprise_id", "rule.enterprise.unknown")
	case err == nil && !instKnown:
		err = fielderr.New("institution_id", "rule.lab.institution_unknown")
	}
	if err != nil {
		if !f.setErrors(lang, adminUserErrors(err, role, entKnown, instKnown)) {
			s.pageError(w, r, err)
			return
		}
		s.adminRenderUserForm(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	s.adminFlash(r, "admin.users.created")
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(u.ID), http.StatusSeeOther)
}

// adminEnterpriseID resolves what the administrator typed for an enterprise
// account, the enterprise's id or its USCC (which is what they will have to
// hand), to the enterprise's id. For other roles the text passes unchanged, so
// that auth reports it as not belonging to the role. known is false when the
// enterprise cannot be found; the id returned is then empty, which auth
// refuses for an enterprise account, so the form fails as a whole.
func (s *Server) adminEnterpriseID(r *http.Request, me *auth.User, role auth.Role, typed string) (id string, known bool, err error) {
	if role != auth.RoleEnterprise || typed == "" {
		return typed, true, nil
	}
	e, err := s.adminFindEnterprise(r, me, typed)
	switch {
	case errors.Is(err, fielderr.ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	return e.ID, true, nil
}

func (s *Server) adminFindEnterprise(r *http.Request, me *auth.User, idOrUSCC string) (*registry.Enterprise, error) {
	e, err := registry.GetEnterprise(r.Context(), s.db, me, idOrUSCC)
	if errors.Is(err, fielderr.ErrNotFound) {
		e, err = registry.FindEnterpriseByUSCC(r.Context(), s.db, me, idOrUSCC)
	}
	if errors.Is(err, fielderr.ErrForbidden) {
		err = fielderr.ErrNotFound
	}
	return e, err
}

// adminUserErrors words auth's field errors for the form: an empty role is
// missing rather than invalid, and an enterprise that was typed but not
// found is unknown rather than missing.
func adminUserErrors(err error, role auth.Role, entKnown, instKnown bool) error {
	list, ok := fielderr.As(err)
	if !ok {
		return err
	}
	var out fielderr.List
	for _, e := range list {
		switch {
		case e.Field == "role" && role == "":
			e = fielderr.Error{Field: "role", Rule: "rule.required"}
		case e.Field == "enterprise_id" && !entKnown, e.Field == "institution_id" && !instKnown:
			continue
		}
		out = append(out, e)
	}
	if !entKnown {
		out.Add("enterprise_id", "rule.enterprise.unknown")
	}
	if !instKnown {
		out.Add("institution_id", "rule.lab.institution_unknown")
	}
	return out
}

// adminInstitutionID checks the institution an institution account is to
// act for: a registered institution of the account's region. Like an
// unknown enterprise, an unknown one is passed on empty, so that the
// account is refused with every other bad field.
func (s *Server) adminInstitutionID(r *http.Request, role auth.Role, region, id string) (string, bool, error) {
	if role != auth.RoleInstitution || id == "" {
		return id, true, nil
	}
	err := lab.CheckUserInstitution(r.Context(), s.db, id, region)
	if _, ok := fielderr.As(err); ok {
		return "", false, nil
	}
	return id, err == nil, err
}

// adminTarget loads the account an administration route names. Accounts of
// other regions are not found: an office administers its own region.
func (s *Server) adminTarget(r *http.Request) (*auth.User, error) {
	u, err := auth.GetUser(r.Context(), s.db, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if u.RegionCode != userFrom(r.Context()).RegionCode {
		return nil, fielderr.ErrNotFound
	}
	return u, nil
}

func (s *Server) adminUser(w http.ResponseWriter, r *http.Request) {
	target, err := s.adminTarget(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.adminRenderUser(w, r, http.StatusOK, target, nil, nil)
}

// adminRenderUser shows an account with its edit, reset-password and
// disable forms. edit and reset carry a failed submission; an edit form
// without values shows the stored ones (with edit's summary, if any).
func (s *Server) adminRenderUser(w http.ResponseWriter, r *http.Request, status int, target *auth.User, edit, reset *form) {
	me := userFrom(r.Context())
	lang := langFrom(r.Context())
	depts, err := registry.ListDepartments(r.Context(), s.db, target.RegionCode)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	insts, err := lab.ListInstitutions(r.Context(), s.db, me, lab.InstitutionFilter{})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := &adminUserPage{User: target, Self: target.ID == me.ID, Roles: auth.Roles, Departments: depts, Institutions: insts, Reset: reset}
	if p.Reset == nil {
		p.Reset = newForm()
	}
	for _, in := range insts {
		if in.ID == target.InstitutionID {
			p.InstName = in.Name
		}
	}
	for _, d := range depts {
		if d.ID == target.DepartmentID {
			p.DeptName = d.DisplayName(lang)
		}
	}
	if target.EnterpriseID != "" {
		e, err := s.adminFindEnterprise(r, me, target.EnterpriseID)
		switch {
		case err == nil:
			p.Enterprise = e
		case !errors.Is(err, fielderr.ErrNotFound):
			s.pageError(w, r, err)
			return
		}
	}
	if edit == nil {
		edit = newForm()
	}
	if len(edit.Values) == 0 {
		edit.Values["name"] = target.Name
		edit.Values["role"] = string(target.Role)
		edit.Values["department_id"] = target.DepartmentID
		edit.Values["enterprise_id"] = target.EnterpriseID
		if p.Enterprise != nil {
			edit.Values["enterprise_id"] = p.Enterprise.USCC
		}
		edit.Values["institution_id"] = target.InstitutionID
	}
	v := s.newView(r, "admin.users.user", p)
	v.Title = target.Username
	v.Form = edit
	s.adminPopFlash(r, v)
	s.render(w, r, status, "admin_user", v)
}

func (s *Server) adminUserUpdate(w http.ResponseWriter, r *http.Request) {
	target, err := s.adminTarget(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	me := userFrom(r.Context())
	lang := langFrom(r.Context())
	f := formFrom(r, adminUserFields...)
	role := auth.Role(f.Values["role"])
	// An administrator who demoted themself could lock the office out of
	// its own administration.
	if target.ID == me.ID && role != auth.RoleAdmin {
		f.Errors["role"] = locales.T(lang, "rule.user.self_role", nil)
		s.adminRenderUser(w, r, http.StatusUnprocessableEntity, target, f, nil)
		return
	}
	entID, entKnown, err := s.adminEnterpriseID(r, me, role, f.Values["enterprise_id"])
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	instID, instKnown, err := s.adminInstitutionID(r, role, target.RegionCode, f.Values["institution_id"])
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	_, err = auth.UpdateUser(r.Context(), s.db, target.ID, auth.UserUpdate{
		Name: f.Values["name"], Role: role, RegionCode: target.RegionCode, DepartmentID: f.Values["department_id"],
		EnterpriseID: entID, InstitutionID: instID,
	})
	switch { // see adminUserCreate
	case err == nil && !entKnown:
		err = fielderr.New("enterprise_id", "rule.enterprise.unknown")
	case err == nil && !instKnown:
		err = fielderr.New("institution_id", "rule.lab.institution_unknown")
	}
	if err != nil {
		if !f.setErrors(lang, adminUserErrors(err, role, entKnown, instKnown)) {
			s.pageError(w, r, err)
			return
		}
		s.adminRenderUser(w, r, http.StatusUnprocessableEntity, target, f, nil)
		return
	}
	s.adminFlash(r, "admin.users.saved")
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(target.ID), http.StatusSeeOther)
}

func (s *Server) adminUserResetPassword(w http.ResponseWriter, r *http.Request) {
	target, err := s.adminTarget(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	reset := newForm()
	if err := auth.ResetPassword(r.Context(), s.db, target.ID, r.PostFormValue("new")); err != nil {
		if !reset.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		s.adminRenderUser(w, r, http.StatusUnprocessableEntity, target, nil, reset)
		return
	}
	s.adminFlash(r, "admin.users.password_reset")
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(target.ID), http.StatusSeeOther)
}

func (s *Server) adminUserDisable(w http.ResponseWriter, r *http.Request) {
	s.adminSetDisabled(w, r, true)
}
func (s *Server) adminUserEnable(w http.ResponseWriter, r *http.Request) {
	s.adminSetDisabled(w, r, false)
}

func (s *Server) adminSetDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	target, err := s.adminTarget(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if disabled && target.ID == userFrom(r.Context()).ID {
		edit := newForm()
		edit.Summary = locales.T(langFrom(r.Context()), "admin.users.cannot_disable_self", nil)
		s.adminRenderUser(w, r, http.StatusConflict, target, edit, nil)
		return
	}
	if err := auth.SetDisabled(r.Context(), s.db, target.ID, disabled); err != nil {
		s.pageError(w, r, err)
		return
	}
	key := "admin.users.enabled"
	if disabled {
		key = "admin.users.disabled"
	}
	s.adminFlash(r, key)
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(target.ID), http.StatusSeeOther)
}

// ---- working-day calendar ----

// adminCalendarRow is one row of the calendar page: a single day, or a run
// of consecutive official days off of one holiday, so that a year fits on a
// phone screen. Overrides are always rows of their own, since each can be
// cleared.
type adminCalendarRow struct {
	workday.Day        // the first day of the run
	To          string // the last day of the run; "" for a single day
	Count       int    // days in the run
	Weekday     int    // of a single day: 0 Sunday … 6 Saturday
}

type adminCalendarPage struct {
	Year, Prev, Next int
	Rows             []adminCalendarRow
	// The built-in arrangements cover First–Last; outside them the
	// calendar knows only weekends and overrides, which the page says.
	First, Last int
	NoOfficial  bool
}

// adminCalendarRows groups days (in date order) into the page's rows.
func adminCalendarRows(days []workday.Day) []adminCalendarRow {
	var rows []adminCalendarRow
	var lastDay time.Time
	for _, d := range days {
		t, err := workday.ParseDate(d.Date)
		if err != nil {
			continue
		}
		if n := len(rows); n > 0 {
			prev := &rows[n-1]
			if !d.Override && !prev.Override && d.Kind == workday.KindHoliday && prev.Kind == d.Kind &&
				prev.Name == d.Name && prev.Provisional == d.Provisional && lastDay.AddDate(0, 0, 1).Equal(t) {
				prev.To, prev.Count, lastDay = d.Date, prev.Count+1, t
				continue
			}
		}
		rows = append(rows, adminCalendarRow{Day: d, Count: 1, Weekday: int(t.Weekday())})
		lastDay = t
	}
	return rows
}

// adminYear reads the year asked for, falling back to the current one.
func adminYear(s string, now time.Time) int {
	if y, err := strconv.Atoi(s); err == nil && y >= workday.YearMin && y <= workday.YearMax {
		return y
	}
	return now.In(workday.Shanghai).Year()
}

func (s *Server) adminCalendar(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Values["kind"] = workday.KindHoliday
	s.adminRenderCalendar(w, r, http.StatusOK, adminYear(r.URL.Query().Get("year"), s.cfg.Now()), f)
}

func (s *Server) adminRenderCalendar(w http.ResponseWriter, r *http.Request, status, year int, f *form) {
	days, err := workday.Days(r.Context(), s.db, year)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	first, last := workday.OfficialYears()
	p := &adminCalendarPage{Year: year, Prev: max(workday.YearMin, year-1), Next: min(workday.YearMax, year+1),
		First: first, Last: last, NoOfficial: year < first || year > last}
	p.Rows = adminCalendarRows(days)
	v := s.newView(r, "admin.calendar.title", p)
	v.Form = f
	s.adminPopFlash(r, v)
	s.render(w, r, status, "admin_calendar", v)
}

func (s *Server) adminCalendarSet(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r, "day", "kind", "name")
	if err := workday.SetDay(r.Context(), s.db, f.Values["day"], f.Values["kind"], f.Values["name"]); err != nil {
		if !f.setErrors(langFrom(r.Context()), err) {
			s.pageError(w, r, err)
			return
		}
		year := adminYear(r.PostFormValue("year"), s.cfg.Now())
		if t, err := workday.ParseDate(f.Values["day"]); err == nil {
			year = adminYear(strconv.Itoa(t.Year()), s.cfg.Now())
		}
		s.adminRenderCalendar(w, r, http.StatusUnprocessableEntity, year, f)
		return
	}
	t, _ := workday.ParseDate(f.Values["day"])
	s.adminFlash(r, "admin.calendar.saved")
	http.Redirect(w, r, "/admin/calendar?year="+strconv.Itoa(t.Year()), http.StatusSeeOther)
}

func (s *Server) adminCalendarClear(w http.ResponseWriter, r *http.Request) {
	day := r.PathValue("day")
	if err := workday.ClearDay(r.Context(), s.db, day); err != nil {
		// A path that names no date names no override either.
		if _, bad := fielderr.As(err); bad {
			err = fielderr.ErrNotFound
		}
		s.pageError(w, r, err)
		return
	}
	t, _ := workday.ParseDate(day)
	s.adminFlash(r, "admin.calendar.cleared")
	http.Redirect(w, r, "/admin/calendar?year="+strconv.Itoa(t.Year()), http.StatusSeeOther)
}

// ---- settings ----

// adminIntSetting is an integer setting the settings page offers; its form
// field is named by its key.
type adminIntSetting struct {
	Key, Label, Help string
	Def, Min, Max    int
}

var adminIntSettings = append(append([]adminIntSetting{
	{Key: registry.SettingExpiringDays, Label: "admin.settings.expiring_days", Help: "admin.settings.expiring_days_help",
		Def: registry.DefaultExpiringDays, Min: 1, Max: 365},
}, boundedSettings(recall.Settings)...), boundedSettings(lab.Settings)...)

// boundedSettings offers a domain's clocks and thresholds on the settings
// page, each labelled admin.settings.<key> and explained by <key>.help.
func boundedSettings(list []settings.Bounded) []adminIntSetting {
	out := make([]adminIntSetting, len(list))
	for i, b := range list {
		out[i] = adminIntSetting{Key: b.Key, Label: "admin.settings." + b.Key, Help: "admin.settings." + b.Key + ".help",
			Def: b.Def, Min: b.Min, Max: b.Max}
	}
	return out
}

func (s *Server) adminSettings(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	for _, st := range adminIntSettings {
		n, err := settings.Int(r.Context(), s.db, st.Key, st.Def)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		f.Values[st.Key] = strconv.Itoa(n)
	}
	s.adminRenderSettings(w, r, http.StatusOK, f)
}

func (s *Server) adminRenderSettings(w http.ResponseWriter, r *http.Request, status int, f *form) {
	v := s.newView(r, "admin.settings.title", map[string]any{"Ints": adminIntSettings})
	v.Form = f
	s.adminPopFlash(r, v)
	s.render(w, r, status, "admin_settings", v)
}

func (s *Server) adminSettingsSave(w http.ResponseWriter, r *http.Request) {
	lang := langFrom(r.Context())
	keys := make([]string, len(adminIntSettings))
	for i, st := range adminIntSettings {
		keys[i] = st.Key
	}
	f := formFrom(r, keys...)
	// Every value is checked before any is stored, so that a bad one leaves
	// all of them as they were. A setting the form does not send is left as
	// it is.
	values := make([]int, len(adminIntSettings))
	sent := make([]bool, len(adminIntSettings))
	var errs fielderr.List
	for i, st := range adminIntSettings {
		if _, sent[i] = r.PostForm[st.Key]; !sent[i] {
			continue
		}
		raw := f.Values[st.Key]
		n, err := strconv.Atoi(raw)
		switch {
		case raw == "":
			errs.Add(st.Key, "rule.required")
		case err != nil:
			errs.Add(st.Key, "rule.integer")
		case n < st.Min || n > st.Max:
			errs.Add(st.Key, "rule.range", "min", st.Min, "max", st.Max)
		}
		values[i] = n
	}
	if len(errs) == 0 {
		for i, st := range adminIntSettings {
			if !sent[i] {
				continue
			}
			err := settings.SetInt(r.Context(), s.db, st.Key, values[i], st.Min, st.Max)
			if list, ok := fielderr.As(err); ok {
				for _, e := range list {
					errs.Add(st.Key, e.Rule, "min", e.Params["min"], "max", e.Params["max"])
				}
				break
			}
			if err != nil {
				s.pageError(w, r, err)
				return
			}
		}
	}
	if len(errs) > 0 {
		for i, st := range adminIntSettings {
			if !sent[i] {
				n, err := settings.Int(r.Context(), s.db, st.Key, st.Def)
				if err != nil {
					s.pageError(w, r, err)
					return
				}
				f.Values[st.Key] = strconv.Itoa(n)
			}
		}
		f.setErrors(lang, errs)
		s.adminRenderSettings(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	s.adminFlash(r, "admin.settings.saved")
	http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
}
