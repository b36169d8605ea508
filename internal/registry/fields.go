package registry

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"golang.org/x/text/width"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
)

// Enterprise statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusClosed    = "closed"
)

// Statuses lists the enterprise statuses in display order.
var Statuses = []string{StatusActive, StatusSuspended, StatusClosed}

var statusLabels = labels{
	StatusActive:    {"在营", "Active"},
	StatusSuspended: {"停业", "Suspended"},
	StatusClosed:    {"注销", "Closed"},
}

// StatusLabel is a status's name in lang.
func StatusLabel(status, lang string) string { return statusLabels.of(status, lang) }

// normStatus accepts a status code or its label in either language (and the
// registrar's own words 存续, 开业, 吊销); "" when it is none of these.
func normStatus(s string) string {
	s = strings.ToLower(strings.TrimSpace(width.Fold.String(s)))
	switch s {
	case "存续", "开业", "在业":
		return StatusActive
	case "吊销", "撤销":
		return StatusClosed
	}
	for code, l := range statusLabels {
		if s == code || s == l[0] || s == strings.ToLower(l[1]) {
			return code
		}
	}
	return ""
}

var (
	mobileRe   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRe = regexp.MustCompile(`^(0[0-9]{2,3})-?([0-9]{7,8})(?:-([0-9]{1,6}))?$`)
	serviceRe  = regexp.MustCompile(`^([48]00)-?([0-9]{3})-?([0-9]{4})$`)
)

// NormalizePhone accepts a mainland mobile number (optionally with +86), a
// landline with its area code ("0483-8221234", "(0483)8221234", with an
// optional "-extension"), or a 400/800 service number, and returns its
// canonical form; ok is false for anything else.
func NormalizePhone(s string) (string, bool) {
	s = width.Fold.String(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u3000':
			return -1
		case '(', ')', '（', '）':
			return '-'
		case '—', '–':
			return '-'
		}
		return r
	}, s)
	s = strings.Trim(strings.ReplaceAll(s, "--", "-"), "-")
	// Mobile numbers are written in groups ("139-4781-2345") and with the
	// country code; only the digits count.
	mobile := strings.ReplaceAll(s, "-", "")
	for _, p := range []string{"+86", "0086", "86"} {
		if strings.HasPrefix(mobile, p) && len(mobile)-len(p) == 11 {
			mobile = mobile[len(p):]
			break
		}
	}
	if mobileRe.MatchString(mobile) {
		return mobile, true
	}
	if m := serviceRe.FindStringSubmatch(s); m != nil {
		return m[1] + "-" + m[2] + "-" + m[3], true
	}
	if m := landlineRe.FindStringSubmatch(s); m != nil {
		area, num := m[1], m[2]
		if !strings.Contains(s[:min(len(s), 5)], "-") {
			// Without a separator the area code's length comes from its
			// first digits: 010 and 02x have three digits, the rest four.
			digits := area + num
			alen := 4
			if digits[1] == '1' || digits[1] == '2' {
				alen = 3
			}
			area, num = digits[:alen], digits[alen:]
			if len(num) < 7 || len(num) > 8 {
				return "", false
			}
		}
		out := area + "-" + num
		if m[3] != "" {
			out += "-" + m[3]
		}
		return out, true
	}
	return "", false
}

// lookup caches the regions and departments a batch of validations refers
// to, so that an import of many rows asks the database once per value.
type lookup struct {
	q       store.Queryer
	regions map[string]*Region
	depts   map[string]*Department
	byName  map[string]map[string]string // region → department name or short name → id
	kids    map[string]map[string]string // region → township name → code
}

func newLookup(q store.Queryer) *lookup {
	return &lookup{q: q, regions: map[string]*Region{}, depts: map[string]*Department{},
		byName: map[string]map[string]string{}, kids: map[string]map[string]string{}}
}

func (l *lookup) region(ctx context.Context, code string) (*Region, error) {
	if r, ok := l.regions[code]; ok {
		return r, nil
	}
	r, err := GetRegion(ctx, l.q, code)
	if err != nil && !errors.Is(err, fielderr.ErrNotFound) {
		return nil, err
	}
	l.regions[code] = r
	return r, nil
}

func (l *lookup) department(ctx context.Context, id string) (*Department, error) {
	if d, ok := l.depts[id]; ok {
		return d, nil
	}
	d, err := GetDepartment(ctx, l.q, id)
	if err != nil && !errors.Is(err, fielderr.ErrNotFound) {
		return nil, err
	}
	l.depts[id] = d
	return d, nil
}

// departmentNamed finds a department of region (or of a region above it) by
// its name or short name, as an import names it.
func (l *lookup) departmentNamed(ctx context.Context, region, name string) (string, error) {
	m, ok := l.byName[region]
	if !ok {
		m = map[string]string{}
		all, err := ListDepartments(ctx, l.q, "")
		if err != nil {
			return "", err
		}
		// Nearer departments win over ones further up.
		for pass := 0; pass < 2; pass++ {
			for _, d := range all {
				if !RegionCovers(d.RegionCode, region) || (pass == 1) != (d.RegionCode == region) {
					continue
				}
				for _, k := range []string{d.Name, d.ShortName, d.NameEn} {
					if k != "" {
						m[strings.ToLower(k)] = d.ID
					}
				}
				dd := d
				l.depts[d.ID] = &dd
			}
		}
		l.byName[region] = m
	}
	return m[strings.ToLower(clean(name))], nil
}

// townshipNamed finds a township under region by name (full, or without
// its 镇/苏木/街道办事处 suffix) or by code.
func (l *lookup) townshipNamed(ctx context.Context, region, name string) (string, error) {
	m, ok := l.kids[region]
	if !ok {
		m = map[string]string{}
		kids, err := Regions(ctx, l.q, region)
		if err != nil {
			return "", err
		}
		for _, k := range kids {
			if k.Level != LevelTownship {
				continue
			}
			m[k.Code] = k.Code
			m[k.Name] = k.Code
			if k.NameEn != "" {
				m[strings.ToLower(k.NameEn)] = k.Code
			}
			kk := k
			l.regions[k.Code] = &kk
		}
		l.kids[region] = m
	}
	name = clean(name)
	if c, ok := m[name]; ok {
		return c, nil
	}
	return m[strings.ToLower(name)], nil
}
