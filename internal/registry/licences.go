package registry

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/jobs"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Licence kinds.
const (
	KindSC    = "SC"    // 食品生产许可 (food production)
	KindJY    = "JY"    // 食品经营许可 (food business)
	KindXK    = "XK"    // 工业产品生产许可证 (industrial product production)
	KindOther = "other" // any other licence or filing, number not checked
)

// LicenceKinds lists the kinds in display order.
var LicenceKinds = []string{KindSC, KindJY, KindXK, KindOther}

var kindLabels = labels{
	KindSC:    {"食品生产许可证", "Food production licence"},
	KindJY:    {"食品经营许可证", "Food business licence"},
	KindXK:    {"工业产品生产许可证", "Industrial product production licence"},
	KindOther: {"其他许可", "Other licence"},
}

// LicenceKindLabel is a kind's name in lang.
func LicenceKindLabel(kind, lang string) string { return kindLabels.of(kind, lang) }

// Licence states, computed when read.
const (
	StateValid    = "valid"
	StateExpiring = "expiring" // valid, with licence.expiring_days or fewer days left
	StateExpired  = "expired"
	StateRevoked  = "revoked"
)

// LicenceStates lists the states in display order.
var LicenceStates = []string{StateValid, StateExpiring, StateExpired, StateRevoked}

var stateLabels = labels{
	StateValid:    {"有效", "Valid"},
	StateExpiring: {"即将到期", "Expiring"},
	StateExpired:  {"已过期", "Expired"},
	StateRevoked:  {"已吊销", "Revoked"},
}

// LicenceStateLabel is a state's name in lang.
func LicenceStateLabel(state, lang string) string { return stateLabels.of(state, lang) }

// Licence is a licence held by an enterprise. State and DaysLeft (days
// from today to ValidTo, the last valid day; negative once expired) are
// computed when it is read.
type Licence struct {
	ID             string `json:"id"`
	RegionCode     string `json:"region_code"`
	EnterpriseID   string `json:"enterprise_id"`
	EnterpriseName string `json:"enterprise_name,omitempty"`
	Kind           string `json:"kind"`
	Number         string `json:"number"`
	Scope          string `json:"scope"`
	Issuer         string `json:"issuer"`
	ValidFrom      string `json:"valid_from"`
	ValidTo        string `json:"valid_to"`
	Revoked        bool   `json:"revoked"`
	RevokedAt      int64  `json:"revoked_at,omitempty"`
	RevokeReason   string `json:"revoke_reason,omitempty"`
	State          string `json:"state"`
	DaysLeft       int    `json:"days_left"`
	CreatedAt      int64  `json:"created_at"`
	UpdatedAt      int64  `json:"updated_at"`
}

func (l Licence) stored() Licence {
	l.EnterpriseName, l.State, l.DaysLeft = "", "", 0
	return l
}

// LicenceState computes a licence's state on today (its calendar date in
// China) and the days left until validTo. A licence is expiring while
// 0 ≤ days left ≤ expiringDays, and expired from the day after validTo.
func LicenceState(validTo string, revoked bool, today time.Time, expiringDays int) (state string, daysLeft int) {
	to, ok := parseDate(validTo)
	if ok {
		daysLeft = int(to.Sub(civilDay(today)).Hours() / 24)
	}
	switch {
	case revoked:
		return StateRevoked, daysLeft
	case !ok || daysLeft < 0:
		return StateExpired, daysLeft
	case daysLeft <= expiringDays:
		return StateExpiring, daysLeft
	}
	return StateValid, daysLeft
}

// LicenceInput creates a licence. Dates are YYYY-MM-DD; ValidTo must be
// after ValidFrom. EnterpriseID defaults to an enterprise user's own.
type LicenceInput struct {
	EnterpriseID string `json:"enterprise_id"`
	Kind         string `json:"kind"`
	Number       string `json:"number"`
	Scope        string `json:"scope"`
	Issuer       string `json:"issuer"`
	ValidFrom    string `json:"valid_from"`
	ValidTo      string `json:"valid_to"`
}

// LicencePatch changes the fields that are not nil.
type LicencePatch struct {
	Kind      *string `json:"kind,omitempty"`
	Number    *string `json:"number,omitempty"`
	Scope     *string `json:"scope,omitempty"`
	Issuer    *string `json:"issuer,omitempty"`
	ValidFrom *string `json:"valid_from,omitempty"`
	ValidTo   *string `json:"valid_to,omitempty"`
}

// Province-level codes of GB/T 2260, which the SC and JY numbers embed.
var provinceCodes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true, "41": true,
	"42": true, "43": true, "44": true, "45": true, "46": true, "50": true, "51": true, "52": true,
	"53": true, "54": true, "61": true, "62": true, "63": true, "64": true, "65": true, "71": true,
	"81": true, "82": true,
}

var (
	// SC + 1 food/additive + 2 category + 6 division + 4 sequence + 1 check
	// (食品生产许可管理办法 第二十九条).
	scRe = regexp.MustCompile(`^SC[12][0-9]{13}$`)
	// The QS mark it replaced: void since 2018-10-01.
	qsRe = regexp.MustCompile(`^QS[0-9]{12}$`)
	// JY + 1 business type (1 sales, 2 catering, 3 canteen) + 6 division
	// + 6 sequence + 1 check (食品经营许可管理办法).
	jyRe = regexp.MustCompile(`^JY[1-3][0-9]{13}$`)
	// (province)XK + 2 industry + 3 product + 5 sequence.
	xkRe = regexp.MustCompile(`^(\((?:京|津|沪|渝|冀|豫|云|辽|黑|湘|皖|鲁|新|苏|浙|赣|鄂|桂|甘|晋|蒙|陕|吉|闽|贵|粤|青|藏|川|宁|琼|台)\))?XK([0-9]{2})-?([0-9]{3})-?([0-9]{5})$`)
)

// qsVoidFrom is the first day on which a QS number no longer counts.
const qsVoidFrom = "2018-10-01"

// NormalizeLicenceNumber folds widths, removes spaces and upper-cases the
// letters of a licence number, and writes XK numbers with their dashes.
func NormalizeLicenceNumber(kind, number string) string {
	s := width.Fold.String(strings.TrimSpace(number))
	if kind == KindOther {
		return clean(s)
	}
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if kind == KindXK {
		if m := xkRe.FindStringSubmatch(s); m != nil {
			return m[1] + "XK" + m[2] + "-" + m[3] + "-" + m[4]
		}
	}
	return s
}

// QuotedLicenceRule is the rule a licence number quoted on another record
// (a supplier's licence on an incoming check, a filing) breaks: an SC or JY
// number must have its format; anything else is free text. "" when none.
func QuotedLicenceRule(number string) string {
	switch {
	case strings.HasPrefix(number, "SC") && !scRe.MatchString(number):
		return "rule.licence.sc.format"
	case strings.HasPrefix(number, "JY") && !jyRe.MatchString(number):
		return "rule.licence.jy.format"
	}
	return ""
}

// checkLicenceNumber adds the format rule a normalised number breaks.
func checkLicenceNumber(errs *fielderr.List, kind, number, validTo string) {
	if number == "" {
		errs.Add("number", "rule.required")
		return
	}
	switch kind {
	case KindSC:
		switch {
		case qsRe.MatchString(number):
			if validTo == "" || validTo >= qsVoidFrom {
				errs.Add("number", "rule.licence.sc.qs_void")
			}
		case !scRe.MatchString(number):
			errs.Add("number", "rule.licence.sc.format")
		case !provinceCodes[number[5:7]]:
			errs.Add("number", "rule.licence.division")
		}
	case KindJY:
		switch {
		case !jyRe.MatchString(number):
			errs.Add("number", "rule.licence.jy.format")
		case !provinceCodes[number[3:5]]:
			errs.Add("number", "rule.licence.division")
		}
	case KindXK:
		if !xkRe.MatchString(number) {
			errs.Add("number", "rule.licence.xk.format")
		}
	default:
		fielderr.CheckText(errs, "number", number, true, 100)
	}
}

// validateLicence checks l's own fields (not its enterprise) and normalises
// them in place.
func validateLicence(errs *fielderr.List, l *Licence) {
	l.Kind = strings.TrimSpace(l.Kind)
	switch strings.ToUpper(l.Kind) {
	case KindSC, KindJY, KindXK:
		l.Kind = strings.ToUpper(l.Kind)
	case "OTHER":
		l.Kind = KindOther
	default:
		errs.Add("kind", "rule.licence.kind")
	}
	l.Scope, l.Issuer = clean(l.Scope), clean(l.Issuer)
	fielderr.CheckText(errs, "scope", l.Scope, false, 500)
	fielderr.CheckText(errs, "issuer", l.Issuer, false, 100)
	dates := true
	for _, d := range []struct {
		field string
		v     *string
	}{{"valid_from", &l.ValidFrom}, {"valid_to", &l.ValidTo}} {
		*d.v = strings.TrimSpace(width.Fold.String(*d.v))
		if *d.v == "" {
			errs.Add(d.field, "rule.required")
			dates = false
			continue
		}
		t, ok := parseDate(*d.v)
		if !ok {
			errs.Add(d.field, "rule.date")
			dates = false
			continue
		}
		*d.v = t.Format(dateLayout)
	}
	if dates && l.ValidTo <= l.ValidFrom {
		errs.Add("valid_to", "rule.licence.dates")
	}
	if !errs.Has("kind") {
		l.Number = NormalizeLicenceNumber(l.Kind, l.Number)
		checkLicenceNumber(errs, l.Kind, l.Number, l.ValidTo)
	}
}

// writableEnterprise loads the enterprise a licence or product belongs to,
// if who may keep its licences and products: officers and the office for
// their region, an enterprise user for its own. Anything else is reported
// as an unknown enterprise, so that existence does not leak.
func writableEnterprise(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Enterprise, error) {
	if id == "" {
		return nil, fielderr.New("enterprise_id", "rule.required")
	}
	e, err := getEnterprise(ctx, q, id, "")
	if errors.Is(err, fielderr.ErrNotFound) || (err == nil && !canSee(who, e)) {
		return nil, fielderr.New("enterprise_id", "rule.enterprise.unknown")
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// canKeep: who may create and change licences and products at all.
func canKeep(who *auth.User) bool { return canWrite(who) || isEnterpriseUser(who) }

const licenceCols = `l.id, l.region_code, l.enterprise_id, COALESCE(e.name, ''), l.kind, l.number, l.scope, l.issuer,
	l.valid_from, l.valid_to, l.revoked, COALESCE(l.revoked_at, 0), l.revoke_reason, l.created_at, l.updated_at`

const licenceFrom = ` FROM licences l LEFT JOIN enterprises e ON e.id = l.enterprise_id`

func scanLicence(row interface{ Scan(...any) error }) (*Licence, error) {
	var l Licence
	err := row.Scan(&l.ID, &l.RegionCode, &l.EnterpriseID, &l.EnterpriseName, &l.Kind, &l.Number, &l.Scope, &l.Issuer,
		&l.ValidFrom, &l.ValidTo, &l.Revoked, &l.RevokedAt, &l.RevokeReason, &l.CreatedAt, &l.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

func (l *Licence) computeState(today time.Time, days int) {
	l.State, l.DaysLeft = LicenceState(l.ValidTo, l.Revoked, today, days)
}

func licenceTaken(ctx context.Context, q store.Queryer, l *Licence) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM licences WHERE region_code = ? AND kind = ? AND number = ? AND id <> ?`,
		l.RegionCode, l.Kind, l.Number, l.ID).Scan(&n)
	return n > 0, err
}

// CreateLicence records a licence of an enterprise. Officers and the office
// may for any enterprise of their region, an enterprise user for its own.
func CreateLicence(ctx context.Context, db *store.DB, who *auth.User, in LicenceInput) (*Licence, error) {
	if !canKeep(who) {
		return nil, fielderr.ErrForbidden
	}
	if in.EnterpriseID == "" && isEnterpriseUser(who) {
		in.EnterpriseID = who.EnterpriseID
	}
	var id string
	err := db.Tx(ctx, func(tx *store.Tx) error {
		ent, err := writableEnterprise(ctx, tx, who, in.EnterpriseID)
		if err != nil {
			return err
		}
		now := store.Now()
		l := Licence{ID: store.NewID(), RegionCode: ent.RegionCode, EnterpriseID: ent.ID, Kind: in.Kind, Number: in.Number,
			Scope: in.Scope, Issuer: in.Issuer, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo, CreatedAt: now, UpdatedAt: now}
		var errs fielderr.List
		validateLicence(&errs, &l)
		if !errs.Has("number") && !errs.Has("kind") {
			taken, err := licenceTaken(ctx, tx, &l)
			if err != nil {
				return err
			}
			if taken {
				errs.Add("number", "rule.licence.number_taken")
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO licences (id, region_code, enterprise_id, kind, number, scope, issuer,
			valid_from, valid_to, revoked, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.ID, l.RegionCode, l.EnterpriseID, l.Kind, l.Number, l.Scope, l.Issuer, l.ValidFrom, l.ValidTo, false,
			l.CreatedAt, l.UpdatedAt); err != nil {
			if store.IsUniqueViolation(err) {
				return fielderr.New("number", "rule.licence.number_taken")
			}
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "create", Entity: "licence", EntityID: l.ID,
			RegionCode: l.RegionCode, After: l.stored()}); err != nil {
			return err
		}
		id = l.ID
		return jobs.Emit(ctx, tx, "licence.created", licenceEvent(&l))
	})
	if err != nil {
		return nil, err
	}
	return GetLicence(ctx, db, who, id)
}

func licenceEvent(l *Licence) map[string]any {
	return map[string]any{"id": l.ID, "region_code": l.RegionCode, "enterprise_id": l.EnterpriseID, "kind": l.Kind,
		"number": l.Number, "valid_to": l.ValidTo}
}

func getLicence(ctx context.Context, q store.Queryer, id, lock string) (*Licence, error) {
	return getRow(ctx, q, `SELECT `+licenceCols+licenceFrom+` WHERE l.id = ?`, "l", id, lock, scanLicence)
}

// canSeeOwned: the visibility rule for rows that belong to an enterprise.
func canSeeOwned(who *auth.User, region, enterpriseID string) bool {
	switch {
	case isEnterpriseUser(who):
		return enterpriseID == who.EnterpriseID
	case isStaff(who):
		return RegionCovers(who.RegionCode, region)
	}
	return false
}

// GetLicence returns a licence who may see, with its state as of now.
func GetLicence(ctx context.Context, q store.Queryer, who *auth.User, id string) (*Licence, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	l, err := getLicence(ctx, q, id, "")
	if err != nil {
		return nil, err
	}
	if !canSeeOwned(who, l.RegionCode, l.EnterpriseID) {
		return nil, fielderr.ErrNotFound
	}
	days, err := ExpiringDays(ctx, q)
	if err != nil {
		return nil, err
	}
	l.computeState(time.Now(), days)
	return l, nil
}

// UpdateLicence changes the fields given in p. A revoked licence cannot
// change (rule.licence.revoked).
func UpdateLicence(ctx context.Context, db *store.DB, who *auth.User, id string, p LicencePatch) (*Licence, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := getLicence(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if !canSeeOwned(who, before.RegionCode, before.EnterpriseID) {
			return fielderr.ErrNotFound
		}
		if !canKeep(who) {
			return fielderr.ErrForbidden
		}
		if before.Revoked {
			return fielderr.New("revoked", "rule.licence.revoked")
		}
		l := *before
		for _, f := range []struct {
			dst *string
			src *string
		}{{&l.Kind, p.Kind}, {&l.Number, p.Number}, {&l.Scope, p.Scope}, {&l.Issuer, p.Issuer},
			{&l.ValidFrom, p.ValidFrom}, {&l.ValidTo, p.ValidTo}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		var errs fielderr.List
		validateLicence(&errs, &l)
		if !errs.Has("number") && !errs.Has("kind") && (l.Number != before.Number || l.Kind != before.Kind) {
			taken, err := licenceTaken(ctx, tx, &l)
			if err != nil {
				return err
			}
			if taken {
				errs.Add("number", "rule.licence.number_taken")
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if l.stored() == before.stored() {
			return nil
		}
		l.UpdatedAt = store.Now()
		if _, err := tx.Exec(ctx, `UPDATE licences SET kind = ?, number = ?, scope = ?, issuer = ?, valid_from = ?,
			valid_to = ?, updated_at = ? WHERE id = ?`,
			l.Kind, l.Number, l.Scope, l.Issuer, l.ValidFrom, l.ValidTo, l.UpdatedAt, l.ID); err != nil {
			if store.IsUniqueViolation(err) {
				return fielderr.New("number", "rule.licence.number_taken")
			}
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "update", Entity: "licence", EntityID: l.ID,
			RegionCode: l.RegionCode, Before: before.stored(), After: l.stored()}); err != nil {
			return err
		}
		return jobs.Emit(ctx, tx, "licence.updated", licenceEvent(&l))
	})
	if err != nil {
		return nil, err
	}
	return GetLicence(ctx, db, who, id)
}

// RevokeLicence marks a licence revoked, with the reason (required). Only
// officers and the office may; the enterprise cannot revoke its own.
func RevokeLicence(ctx context.Context, db *store.DB, who *auth.User, id, reason string) (*Licence, error) {
	if !canRead(who) {
		return nil, fielderr.ErrForbidden
	}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		before, err := getLicence(ctx, tx, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if !canSeeOwned(who, before.RegionCode, before.EnterpriseID) {
			return fielderr.ErrNotFound
		}
		if !canWrite(who) {
			return fielderr.ErrForbidden
		}
		if before.Revoked {
			return fielderr.New("revoked", "rule.licence.revoked")
		}
		reason = clean(reason)
		var errs fielderr.List
		fielderr.CheckText(&errs, "reason", reason, true, 500)
		if err := errs.Err(); err != nil {
			return err
		}
		l := *before
		l.Revoked, l.RevokedAt, l.RevokeReason, l.UpdatedAt = true, store.Now(), reason, store.Now()
		if _, err := tx.Exec(ctx, `UPDATE licences SET revoked = ?, revoked_at = ?, revoke_reason = ?, updated_at = ? WHERE id = ?`,
			true, l.RevokedAt, l.RevokeReason, l.UpdatedAt, l.ID); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Entry{Action: "revoke", Entity: "licence", EntityID: l.ID,
			RegionCode: l.RegionCode, Before: before.stored(), After: l.stored()}); err != nil {
			return err
		}
		ev := licenceEvent(&l)
		ev["reason"] = reason
		return jobs.Emit(ctx, tx, "licence.revoked", ev)
	})
	if err != nil {
		return nil, err
	}
	return GetLicence(ctx, db, who, id)
}

// LicenceFilter selects licences. State is computed on Today (now when
// zero). Q matches the number or the enterprise's name.
type LicenceFilter struct {
	EnterpriseID string    `json:"enterprise_id"`
	Kind         string    `json:"kind"`
	State        string    `json:"state"`
	Q            string    `json:"q"`
	Today        time.Time `json:"-"`
	Limit        int       `json:"limit"`
	Offset       int       `json:"offset"`
}

func (f LicenceFilter) where(who *auth.User, days int) (string, []any, time.Time) {
	today := f.Today
	if today.IsZero() {
		today = time.Now()
	}
	var parts []string
	var args []any
	add := func(c string, a ...any) { parts = append(parts, c); args = append(args, a...) }
	if isEnterpriseUser(who) {
		add("l.enterprise_id = ?", who.EnterpriseID)
	} else {
		c, a := RegionScopeSQL("l.region_code", who.RegionCode)
		add(c, a...)
	}
	if f.EnterpriseID != "" {
		add("l.enterprise_id = ?", f.EnterpriseID)
	}
	if f.Kind != "" {
		k := strings.TrimSpace(f.Kind)
		if strings.EqualFold(k, KindOther) {
			k = KindOther
		} else {
			k = strings.ToUpper(k)
		}
		add("l.kind = ?", k)
	}
	day := civilDay(today)
	todayS, edgeS := day.Format(dateLayout), day.AddDate(0, 0, days).Format(dateLayout)
	switch f.State {
	case StateRevoked:
		add("l.revoked = ?", true)
	case StateExpired:
		add("l.revoked = ? AND l.valid_to < ?", false, todayS)
	case StateExpiring:
		add("l.revoked = ? AND l.valid_to >= ? AND l.valid_to <= ?", false, todayS, edgeS)
	case StateValid:
		add("l.revoked = ? AND l.valid_to > ?", false, edgeS)
	case "":
	default:
		add("1 = 0")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		num := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToUpper(strings.Join(strings.Fields(width.Fold.String(q)), ""))) + "%"
		add(`(l.number LIKE ? ESCAPE '\' OR e.search_key LIKE ? ESCAPE '\')`, num, searchPattern(q))
	}
	return strings.Join(parts, " AND "), args, today
}

// ListLicences returns a page of the licences who may see that match f,
// soonest-ending first, and how many match in all.
func ListLicences(ctx context.Context, q store.Queryer, who *auth.User, f LicenceFilter) ([]Licence, int, error) {
	if !canRead(who) {
		return nil, 0, fielderr.ErrForbidden
	}
	days, err := ExpiringDays(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	cond, args, today := f.where(who, days)
	var total int
	if err := q.QueryRow(ctx, `SELECT COUNT(*)`+licenceFrom+` WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := q.Query(ctx, `SELECT `+licenceCols+licenceFrom+` WHERE `+cond+` ORDER BY l.valid_to, l.number, l.id LIMIT ? OFFSET ?`,
		append(args, pageLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Licence{}
	for rows.Next() {
		l, err := scanLicence(rows)
		if err != nil {
			return nil, 0, err
		}
		l.computeState(today, days)
		out = append(out, *l)
	}
	return out, total, rows.Err()
}
