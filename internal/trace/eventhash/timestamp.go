package eventhash

import (
	"time"
)

// canonicalTime writes a timestamp in UTC with millisecond precision
// (rules 8, 9): "2020-03-04T11:00:30+01:00" -> "2020-03-04T10:00:30.000Z".
// More than three decimals are rounded half up on the fourth, the rule CBV
// 2.1 states and the reference's TimeStampRoundOff vector shows for CBV 2.0
// (.1415 -> .142, .1414 -> .141, .1007 -> .101); CBV 2.0 itself says
// nothing (RalphTro/epcis-event-hash-generator #84, #115). The reference
// rounds with Python's round(), half to even, so it alone writes .1445 as
// .144. A millisecond rounded up to 1000 carries into the next second,
// where the reference fails on the event.
//
// A timestamp without offset is read as UTC (the reference uses the local
// time of the machine it runs on). Text that is not a timestamp is returned
// unchanged, as by the reference.
func canonicalTime(s string) string { return string(appendTime(nil, s)) }

// appendTime appends canonicalTime(s) to b.
func appendTime(b []byte, s string) []byte {
	t, ok := parseTime(s)
	if !ok {
		return append(b, s...)
	}
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
}

// parseTime reads YYYY-MM-DD[T| ]hh:mm[:ss[.fraction]][Z|±hh[:mm]] and
// rounds it to milliseconds. Digits beyond the sixth are ignored, as the
// reference's parser ignores them; they cannot change the rounding, which
// looks at the fourth.
func parseTime(s string) (time.Time, bool) {
	p := &scanner{s: s}
	year, ok1 := p.num(4)
	ok2 := p.lit('-')
	month, ok3 := p.num(2)
	ok4 := p.lit('-')
	day, ok5 := p.num(2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || p.done() {
		return time.Time{}, false
	}
	if !p.lit('T') && !p.lit('t') && !p.lit(' ') {
		return time.Time{}, false
	}
	hour, ok1 := p.num(2)
	ok2 = p.lit(':')
	minute, ok3 := p.num(2)
	if !(ok1 && ok2 && ok3) {
		return time.Time{}, false
	}
	sec, micro := 0, 0
	if p.lit(':') {
		var ok bool
		if sec, ok = p.num(2); !ok {
			return time.Time{}, false
		}
		if p.lit('.') || p.lit(',') {
			digits := 0
			for !p.done() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				if digits < 6 {
					micro = micro*10 + int(p.s[p.i]-'0')
				}
				digits++
				p.i++
			}
			if digits == 0 {
				return time.Time{}, false
			}
			for ; digits < 6; digits++ {
				micro *= 10
			}
		}
	}
	loc := time.UTC
	switch {
	case p.done():
	case p.lit('Z') || p.lit('z'):
	case p.s[p.i] == '+' || p.s[p.i] == '-':
		sign := 1
		if p.s[p.i] == '-' {
			sign = -1
		}
		p.i++
		oh, ok := p.num(2)
		if !ok {
			return time.Time{}, false
		}
		om := 0
		if !p.done() {
			p.lit(':')
			if om, ok = p.num(2); !ok {
				return time.Time{}, false
			}
		}
		loc = time.FixedZone("", sign*(oh*3600+om*60))
	}
	if !p.done() || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	ms := micro / 1000
	if micro%1000 >= 500 {
		ms++
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc)
	return t.Add(time.Duration(ms) * time.Millisecond), true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

type scanner struct {
	s string
	i int
}

func (p *scanner) done() bool { return p.i >= len(p.s) }

func (p *scanner) lit(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// num reads exactly n decimal digits.
func (p *scanner) num(n int) (int, bool) {
	if p.i+n > len(p.s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(p.s[p.i : p.i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v, true
}
