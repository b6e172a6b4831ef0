package main

import (
	"testing"
	"time"
)

// STAFF_REMIND_HOURS sets when the desk reminds staff; a value that is not
// a span of the day stops the start.
func TestStaffRemindHours(t *testing.T) {
	for _, tc := range []struct {
		value    string
		from, to time.Duration
		wantErr  bool
	}{
		{"", 0, 0, false}, // unset: the desk's default (08:30-17:00)
		{"08:00-16:30", 8 * time.Hour, 16*time.Hour + 30*time.Minute, false},
		{"9.00-17.00", 9 * time.Hour, 17 * time.Hour, false},
		{"17:00-08:00", 0, 0, true},
		{"altijd", 0, 0, true},
	} {
		env := func(k string) string {
			if k == "STAFF_REMIND_HOURS" {
				return tc.value
			}
			return ""
		}
		cfg, err := deskConfig(env)
		if (err != nil) != tc.wantErr {
			t.Errorf("STAFF_REMIND_HOURS=%q: error %v, want error %v", tc.value, err, tc.wantErr)
			continue
		}
		if err == nil && (cfg.WorkingHours.From != tc.from || cfg.WorkingHours.To != tc.to) {
			t.Errorf("STAFF_REMIND_HOURS=%q: %v", tc.value, cfg.WorkingHours)
		}
	}
}
