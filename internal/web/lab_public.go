package web

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/lab"
	"github.com/hallmark-platform/hallmark/internal/lab/judge"
	"github.com/hallmark-platform/hallmark/internal/lab/limits"
)

// registerLabPublicRoutes: the page anyone holding a printed report uses
// to check it (检验报告真伪查询). It needs the number and the verification code
// printed beside it; the code is the secret, so the page shows nothing of a
// report without it, and a wrong number and a wrong code read alike.
func (s *Server) registerLabPublicRoutes() {
	s.handle("GET /public/reports/verify", auth.PermPublic, s.reportVerify)
}

// Lookups one address may make per window. A code has 23^8 values, so the
// limit is not what keeps codes secret; it keeps a script from using the
// page as a cheap oracle and the database from being hammered.
const (
	reportVerifyPerWindow = 30
	reportVerifyWindow    = time.Minute
)

// reportVerifyLimiter counts lookups per client address in fixed windows.
type reportVerifyLimiter struct {
	mu    sync.Mutex
	start time.Time
	count map[string]int
}

// reportVerifyLimiters holds one limiter per server, so that two servers in one
// process (tests) do not share their counts.
var reportVerifyLimiters sync.Map // *Server → *reportVerifyLimiter

// allow counts a lookup from ip at now and reports whether it is within
// the limit.
func (l *reportVerifyLimiter) allow(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= reportVerifyWindow || now.Before(l.start) {
		l.start, l.count = now, map[string]int{}
	}
	l.count[ip]++
	return l.count[ip] <= reportVerifyPerWindow
}

func (s *Server) verifyLimits() *reportVerifyLimiter {
	l, _ := reportVerifyLimiters.LoadOrStore(s, &reportVerifyLimiter{count: map[string]int{}})
	return l.(*reportVerifyLimiter)
}

// reportVerifyPage is what the verification page shows.
type reportVerifyPage struct {
	No, Code string
	// Asked: a number or a code was given, so there is an answer to show.
	Asked  bool
	Result *lab.Verification
}

// Is reports whether the answer is state, for the template.
func (p *reportVerifyPage) Is(state string) bool { return p.Result != nil && p.Result.State == state }

// LimitText shows the limit an item was judged by as a reader of the
// printed report finds it there: "≤ 0.2 mg/kg", "不得检出", "3.0–5.0 g/100g".
func (p *reportVerifyPage) LimitText(l *lab.LimitCopy, lang string) string {
	if l == nil {
		return ""
	}
	c := judge.Comparison(l.Comparison)
	switch c {
	case judge.Within:
		return strings.TrimSpace(l.Min + "–" + l.Max + " " + l.Unit)
	case judge.NotDetected:
		return limits.ComparisonLabel(c, lang)
	case judge.AtLeast, judge.Above:
		return strings.TrimSpace(limits.ComparisonLabel(c, lang) + " " + l.Min + " " + l.Unit)
	}
	return strings.TrimSpace(limits.ComparisonLabel(c, lang) + " " + l.Max + " " + l.Unit)
}

// reportVerify answers GET /public/reports/verify?no=…&code=…: an HTML page
// in the visitor's language, or the lab.Verification as JSON when the
// client asks for application/json.
func (s *Server) reportVerify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := &reportVerifyPage{No: strings.TrimSpace(q.Get("no")), Code: strings.TrimSpace(q.Get("code"))}
	p.Asked = p.No != "" || p.Code != ""
	h := w.Header()
	h.Add("Vary", "Accept")
	// The code is in the address: keep it out of other sites' logs and out
	// of search engines.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
	asJSON := wantsJSON(r)
	if asJSON && !p.Asked {
		var errs fielderr.List
		errs.Add("no", "rule.required")
		errs.Add("code", "rule.required")
		s.problem(w, r, http.StatusUnprocessableEntity, "error.validation", errs)
		return
	}
	if p.Asked {
		if !s.verifyLimits().allow(clientIP(r), s.cfg.Now()) {
			h.Set("Retry-After", "60")
			if asJSON {
				s.problem(w, r, http.StatusTooManyRequests, "lab.verify.too_many", nil)
				return
			}
			s.errorPage(w, r, http.StatusTooManyRequests, "lab.verify.too_many")
			return
		}
		v, err := lab.Verify(r.Context(), s.db, p.No, p.Code)
		if err != nil {
			if asJSON {
				s.apiError(w, r, err)
				return
			}
			s.pageError(w, r, err)
			return
		}
		p.Result = v
		if asJSON {
			writeJSON(w, http.StatusOK, v)
			return
		}
	}
	v := s.newView(r, "lab.verify.title", p)
	s.render(w, r, http.StatusOK, "public_report_verify", v)
}
