package web

import "time"

// parseDay reads a 'YYYY-MM-DD' date as midnight in Asia/Shanghai, the
// calendar every date in Hallmark is counted in.
func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	return t, err == nil
}
