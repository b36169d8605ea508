package web

import (
	"net/url"
	"time"

	"github.com/hallmark-platform/hallmark/internal/fielderr"
)

// parseDay reads a 'YYYY-MM-DD' date as midnight in Asia/Shanghai, the
// calendar every date in Hallmark is counted in.
func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	return t, err == nil
}

// fieldErr is a one-field error list for the API's own checks.
func fieldErr(field, rule string, params ...any) fielderr.List {
	var l fielderr.List
	l.Add(field, rule, params...)
	return l
}

// urlPathEscape escapes a file name for a Content-Disposition filename*.
func urlPathEscape(name string) string { return url.PathEscape(name) }
