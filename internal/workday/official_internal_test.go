package workday

import (
	"strings"
	"testing"
)

// The start-up check of the built-in table catches the transcription slips
// that would otherwise move deadlines silently.
func TestBuildOfficialCatchesSlips(t *testing.T) {
	t.Parallel()
	cases := []struct {
		p    period
		want string
	}{
		{period{"春节", "2025-01-28", "2025-02-04", 7, nil}, "the notice says 7"},
		{period{"劳动节", "2025-05-01", "2025-05-05", 5, []string{"2025-04-28"}}, "not a Saturday or Sunday"},
		{period{"国庆节", "2025-10-01", "2025-10-08", 8, []string{"2025-10-08"}}, "listed twice"},
		{period{"元旦", "2025-13-01", "2025-13-01", 1, nil}, "month out of range"},
	}
	for _, c := range cases {
		_, err := buildOfficial([]notice{{year: 2025, periods: []period{c.p}}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error with %q", c.p, err, c.want)
		}
	}
	if _, err := buildOfficial(notices); err != nil {
		t.Fatal(err)
	}
}
