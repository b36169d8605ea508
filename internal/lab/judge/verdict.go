package judge

import (
	"strings"
)

// Reason keys (locales/*.json). Each message's placeholders are filled from
// Verdict.Args, given as name, value pairs.
const (
	reasonNoLimit      = "lab.judge.reason.no_limit"
	reasonBadLimit     = "lab.judge.reason.bad_limit"
	reasonNoValue      = "lab.judge.reason.no_value"
	reasonBadValue     = "lab.judge.reason.bad_value"
	reasonNoUnit       = "lab.judge.reason.no_unit"
	reasonUnitMismatch = "lab.judge.reason.unit_mismatch"
	reasonCompared     = "lab.judge.reason.compared"
	reasonRounded      = "lab.judge.reason.compared_rounded"
	reasonInRange      = "lab.judge.reason.in_range"
	reasonInRangeRnd   = "lab.judge.reason.in_range_rounded"
	reasonForbidden    = "lab.judge.reason.detected_forbidden"
)

// Not-detected reasons come in two families with the same suffixes and
// arguments: "nd." for a result reported as not detected, "lt_lod." for a
// value reported below its own detection limit, which counts as not
// detected.
const (
	ndMaxOK        = "max_ok"          // LOD ≤ maximum: conforming
	ndMaxLODHigh   = "max_lod_high"    // LOD > maximum: cannot show conformity
	ndNoLOD        = "no_lod"          // no LOD known: cannot show anything
	ndBelowMin     = "below_min"       // LOD ≤ minimum: below the minimum
	ndMinLODHigh   = "min_lod_high"    // LOD > minimum: cannot tell
	ndForbiddenOK  = "forbidden_ok"    // not detected where it must not be
	ndForbiddenLOD = "forbidden_lod"   // the method's LOD is above the standard method's
	ndForbiddenAny = "forbidden_nolod" // not detected, no LOD to compare, none required
)

// Judge holds a measured result against a limit and says why.
//
// Numbers are compared exactly, as decimals, after converting the result
// (and its detection limit) to the limit's unit; a unit that does not
// convert leaves the result not judged. With l.Rounded the result is first
// rounded to the limit's places by GB/T 8170 (round half to even);
// otherwise the full value is compared. "≤" is met by a value exactly at
// the limit, "<" is not.
//
// "Not detected" — reported so, or a value below the detection limit the
// result gives — means only that the true value is below the detection
// limit (LOD: the result's own, else the limit's). So:
//   - against a maximum, it conforms when LOD ≤ maximum; with the LOD above
//     the maximum, or no LOD at all, the result cannot show conformity and is
//     not judged;
//   - against a minimum (or a range's lower end above zero) it fails when
//     LOD ≤ minimum, and is otherwise not judged;
//   - against "must not be detected" (不得检出) it conforms, unless the limit
//     names the standard method's LOD and the result's method was less
//     sensitive (its LOD higher), which is not judged. Any detected value is
//     nonconforming, whatever its unit.
func Judge(l *Limit, m Measured) Verdict {
	if l == nil {
		return Verdict{Conclusion: NotJudged, Reason: reasonNoLimit}
	}
	src := strings.TrimSpace(l.Standard + " " + l.Clause)
	if len(Validate(*l)) > 0 {
		return Verdict{Conclusion: NotJudged, Reason: reasonBadLimit, Args: []any{"source", src}}
	}
	j := judgement{l: l, m: m, src: src}
	return j.run()
}

type judgement struct {
	l   *Limit
	m   Measured
	src string
}

func (j judgement) notJudged(reason string, args ...any) Verdict {
	return Verdict{Conclusion: NotJudged, Reason: reason, Args: append(args, "source", j.src)}
}

func (j judgement) run() Verdict {
	l, m := j.l, j.m
	raw, nd := "", m.NotDetected
	lodText := ""
	if strings.TrimSpace(m.Value) != "" {
		v, isND, err := ParseValue(m.Value)
		switch {
		case err != nil:
			return j.notJudged(reasonBadValue, "value", m.Value)
		case isND:
			nd, lodText = true, v
		case !m.NotDetected:
			// A number beside a "not detected" flag is ignored: the flag
			// is what the institution reported.
			raw = v
		}
	}
	if strings.TrimSpace(m.LOD) != "" {
		v, isND, err := ParseValue(m.LOD)
		if err != nil || isND {
			return j.notJudged(reasonBadValue, "value", m.LOD)
		}
		lodText = v
	}
	if !nd && raw == "" {
		return j.notJudged(reasonNoValue)
	}

	// A value below the detection limit the result itself gives was not
	// detected by that method.
	family := "lab.judge.reason.nd."
	if !nd && lodText != "" {
		v, _ := parseDec(raw)
		lod, _ := parseDec(lodText)
		if v.cmp(lod) < 0 {
			nd, family = true, "lab.judge.reason.lt_lod."
		}
	}

	if !nd {
		if l.Comparison == NotDetected {
			return Verdict{Conclusion: Nonconforming, Compared: raw, Unit: m.Unit, Reason: reasonForbidden,
				Args: []any{"value", withUnit(raw, m.Unit), "source", j.src}}
		}
		return j.detected(raw)
	}

	// The detection limit in the limit's unit: the result's, else the one
	// the limit's method gives.
	var lod *dec
	lodShown := ""
	if lodText != "" && l.Comparison == NotDetected && l.LOD == "" {
		// Nothing to hold the LOD against: it is only reported.
		d, _ := parseDec(lodText)
		lod, lodShown = &d, withUnit(lodText, m.Unit)
	} else if lodText != "" {
		if strings.TrimSpace(m.Unit) == "" {
			return j.notJudged(reasonNoUnit, "limit_unit", l.Unit)
		}
		d, _ := parseDec(lodText)
		c, err := convert(d, m.Unit, l.Unit)
		if err != nil {
			return j.notJudged(reasonUnitMismatch, "unit", m.Unit, "limit_unit", l.Unit)
		}
		lod, lodShown = &c, conversion(lodText, m.Unit, c.String(), l.Unit)
	} else if l.LOD != "" && l.Comparison != NotDetected {
		d, _ := parseDec(l.LOD)
		lod, lodShown = &d, withUnit(l.LOD, l.Unit)
	}
	v := Verdict{Compared: "ND", Unit: l.Unit}
	if v.Unit == "" {
		v.Unit = m.Unit
	}
	if lod != nil {
		v.Compared = "<" + lod.String()
	}
	set := func(conclusion, suffix string, args ...any) Verdict {
		v.Conclusion, v.Reason = conclusion, family+suffix
		v.Args = append([]any{"value", withUnit(raw, m.Unit), "lod", lodShown}, append(args, "source", j.src)...)
		return v
	}

	switch l.Comparison {
	case NotDetected:
		if lod == nil {
			return set(Conforming, ndForbiddenAny)
		}
		if l.LOD != "" {
			std, _ := parseDec(l.LOD)
			if lod.cmp(std) > 0 {
				return set(NotJudged, ndForbiddenLOD, "limit_lod", withUnit(l.LOD, l.Unit))
			}
		}
		return set(Conforming, ndForbiddenOK)
	case AtMost, Below:
		return j.ndAgainstMax(lod, set)
	case AtLeast, Above, Within:
		lo, _ := parseDec(l.Min)
		if l.Comparison == Within && lo.sign() <= 0 {
			// A range from zero is a maximum for a value that was not detected.
			return j.ndAgainstMax(lod, set)
		}
		limit := withUnit(l.Min, l.Unit)
		if lod == nil {
			return set(NotJudged, ndNoLOD, "limit", limit)
		}
		// The true value is below the LOD; with LOD ≤ minimum it is below
		// the minimum too, and "> minimum" fails as well as "≥ minimum".
		if lod.cmp(lo) <= 0 {
			return set(Nonconforming, ndBelowMin, "limit", limit)
		}
		return set(NotJudged, ndMinLODHigh, "limit", limit)
	}
	return j.notJudged(reasonBadLimit)
}

func (j judgement) ndAgainstMax(lod *dec, set func(string, string, ...any) Verdict) Verdict {
	limit := withUnit(j.l.Max, j.l.Unit)
	if lod == nil {
		return set(NotJudged, ndNoLOD, "limit", limit)
	}
	hi, _ := parseDec(j.l.Max)
	// The true value is below the LOD, so LOD ≤ maximum puts it below the
	// maximum: that satisfies "< maximum" as well as "≤ maximum".
	if lod.cmp(hi) <= 0 {
		return set(Conforming, ndMaxOK, "limit", limit)
	}
	return set(NotJudged, ndMaxLODHigh, "limit", limit)
}

// detected compares a detected value (decimal text in the result's unit)
// with the limit.
func (j judgement) detected(raw string) Verdict {
	l, m := j.l, j.m
	if strings.TrimSpace(m.Unit) == "" {
		return j.notJudged(reasonNoUnit, "limit_unit", l.Unit)
	}
	d, _ := parseDec(raw)
	c, err := convert(d, m.Unit, l.Unit)
	if err != nil {
		return j.notJudged(reasonUnitMismatch, "unit", m.Unit, "limit_unit", l.Unit)
	}
	shown := conversion(raw, m.Unit, c.String(), l.Unit)
	compared := c
	if l.Rounded {
		p := 0
		for _, s := range []string{l.Min, l.Max} {
			if s != "" {
				p = max(p, places(s))
			}
		}
		compared = c.round(p)
	}
	v := Verdict{Compared: compared.String(), Unit: l.Unit}
	value := withUnit(compared.String(), l.Unit)
	args := func(a ...any) []any {
		out := []any{"value", shown}
		if l.Rounded {
			out = append(out, "rounded", value)
		}
		return append(append(out, a...), "source", j.src)
	}
	key := reasonCompared
	if l.Rounded {
		key = reasonRounded
	}
	mx, _ := parseDec(l.Max)
	mn, _ := parseDec(l.Min)
	verdict := func(ok bool, op, limit string) Verdict {
		v.Conclusion = Nonconforming
		if ok {
			v.Conclusion = Conforming
		}
		v.Reason, v.Args = key, args("op", op, "limit", withUnit(limit, l.Unit))
		return v
	}
	switch l.Comparison {
	case AtMost:
		if compared.cmp(mx) <= 0 {
			return verdict(true, "≤", l.Max)
		}
		return verdict(false, ">", l.Max)
	case Below:
		if compared.cmp(mx) < 0 {
			return verdict(true, "<", l.Max)
		}
		return verdict(false, "≥", l.Max)
	case AtLeast:
		if compared.cmp(mn) >= 0 {
			return verdict(true, "≥", l.Min)
		}
		return verdict(false, "<", l.Min)
	case Above:
		if compared.cmp(mn) > 0 {
			return verdict(true, ">", l.Min)
		}
		return verdict(false, "≤", l.Min)
	case Within:
		switch {
		case compared.cmp(mn) < 0:
			return verdict(false, "<", l.Min)
		case compared.cmp(mx) > 0:
			return verdict(false, ">", l.Max)
		}
		v.Conclusion, v.Reason = Conforming, reasonInRange
		if l.Rounded {
			v.Reason = reasonInRangeRnd
		}
		v.Args = args("min", withUnit(l.Min, l.Unit), "max", withUnit(l.Max, l.Unit))
		return v
	}
	return j.notJudged(reasonBadLimit)
}

func withUnit(v, u string) string {
	if u == "" {
		return v
	}
	return v + " " + u
}

// conversion shows a value and, when its unit was converted, what it became:
// "21 μg/kg = 0.021 mg/kg".
func conversion(v, from, c, to string) string {
	if SameUnit(from, to) {
		return withUnit(c, to)
	}
	return withUnit(v, from) + " = " + withUnit(c, to)
}

// Round rounds decimal text to places decimal places by GB/T 8170-2008
// (四舍六入五成双: a dropped part under half goes, over half — a 5 followed
// by any non-zero digit — adds one, exactly half goes to the even
// neighbour), in one step from the full value. places may be negative to
// round to tens (-1), hundreds (-2) …: Round("1268", -2) is "1300". The
// result has exactly places decimals when places > 0.
func Round(value string, places int) (string, error) {
	d, err := parseDec(strings.TrimSpace(value))
	if err != nil {
		return "", err
	}
	return d.round(places).String(), nil
}
