package judge

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
)

// dec is an exact decimal: unscaled × 10^-scale. Results and limits stay in
// this form from the text they were typed as to the comparison, because a
// binary float cannot hold 0.1 and would put a value that sits exactly on a
// limit on the wrong side of it.
type dec struct {
	unscaled *big.Int
	scale    int // digits after the decimal point; negative for trailing zeros of an integer
}

var decimalRe = regexp.MustCompile(`^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$`)

var errNotNumber = errors.New("not a decimal number")

// parseDec reads plain decimal text ("0.020", "-3", ".5", "1.2e-3").
func parseDec(s string) (dec, error) {
	g := decimalRe.FindStringSubmatch(s)
	if g == nil || g[2]+g[3] == "" {
		return dec{}, errNotNumber
	}
	u, ok := new(big.Int).SetString(g[2]+g[3], 10)
	if !ok {
		return dec{}, errNotNumber
	}
	if g[1] == "-" {
		u.Neg(u)
	}
	scale := len(g[3])
	if g[4] != "" {
		var exp int
		neg := strings.HasPrefix(g[4], "-")
		for _, c := range strings.TrimLeft(g[4], "+-") {
			exp = exp*10 + int(c-'0')
		}
		if neg {
			exp = -exp
		}
		scale -= exp
	}
	return dec{unscaled: u, scale: scale}, nil
}

// places is the number of decimal places the text was written with.
func places(s string) int {
	d, err := parseDec(s)
	if err != nil {
		return 0
	}
	return d.scale
}

var ten = big.NewInt(10)

func pow10(n int) *big.Int { return new(big.Int).Exp(ten, big.NewInt(int64(n)), nil) }

// shift multiplies d by 10^n exactly.
func (d dec) shift(n int) dec { return dec{unscaled: new(big.Int).Set(d.unscaled), scale: d.scale - n} }

// cmp compares d with e: -1, 0 or +1.
func (d dec) cmp(e dec) int {
	a, b := new(big.Int).Set(d.unscaled), new(big.Int).Set(e.unscaled)
	switch {
	case d.scale < e.scale:
		a.Mul(a, pow10(e.scale-d.scale))
	case e.scale < d.scale:
		b.Mul(b, pow10(d.scale-e.scale))
	}
	return a.Cmp(b)
}

func (d dec) sign() int { return d.unscaled.Sign() }

// String writes d with exactly its scale's places; a negative scale is
// written out as trailing zeros ("13" at scale -2 is "1300").
func (d dec) String() string {
	u := new(big.Int).Abs(d.unscaled)
	neg := d.unscaled.Sign() < 0
	if d.scale <= 0 {
		s := u.Mul(u, pow10(-d.scale)).String()
		if neg {
			return "-" + s
		}
		return s
	}
	digits := u.String()
	if len(digits) <= d.scale {
		digits = strings.Repeat("0", d.scale-len(digits)+1) + digits
	}
	s := digits[:len(digits)-d.scale] + "." + digits[len(digits)-d.scale:]
	if neg {
		return "-" + s
	}
	return s
}

// round rounds d to places decimal places (negative: to tens, hundreds …)
// by GB/T 8170-2008 §3.3: a dropped part below half goes, above half adds
// one, exactly half rounds to the even neighbour. "5 followed by any
// non-zero digit" is above half, which comparing the whole dropped part
// with half gets right without looking at digits one by one — and rounding
// once, from the full value, is what §3.4 (不允许连续修约) requires.
// Negative values round their absolute value (§3.3.5).
func (d dec) round(places int) dec {
	if d.scale <= places {
		// Already coarse enough: pad to the requested places.
		return dec{unscaled: new(big.Int).Mul(d.unscaled, pow10(places-d.scale)), scale: places}
	}
	drop := d.scale - places
	abs := new(big.Int).Abs(d.unscaled)
	q, r := new(big.Int).QuoRem(abs, pow10(drop), new(big.Int))
	half := new(big.Int).Mul(big.NewInt(5), pow10(drop-1))
	switch c := r.Cmp(half); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	if d.unscaled.Sign() < 0 {
		q.Neg(q)
	}
	return dec{unscaled: q, scale: places}
}

// Compare compares two decimal texts exactly: -1 when a < b, 0 when equal
// ("0.020" equals "0.02"), +1 when a > b.
func Compare(a, b string) (int, error) {
	x, err := parseDec(strings.TrimSpace(a))
	if err != nil {
		return 0, err
	}
	y, err := parseDec(strings.TrimSpace(b))
	if err != nil {
		return 0, err
	}
	return x.cmp(y), nil
}
