package handbook

import (
	"testing"
	"time"
)

func TestTodayIsVietnams(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 6, 30, 16, 59, 59, 0, time.UTC), "2026-06-30"},
		{time.Date(2026, 6, 30, 17, 0, 0, 0, time.UTC), "2026-07-01"},
		{time.Date(2026, 7, 1, 6, 0, 0, 0, time.FixedZone("CET", 2*3600)), "2026-07-01"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "2027-01-01"},
	} {
		if got := Today(tc.at).String(); got != tc.want {
			t.Errorf("Today(%v) = %s, want %s", tc.at, got, tc.want)
		}
	}
}
