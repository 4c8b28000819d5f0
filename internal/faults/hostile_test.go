package faults

import (
	"strings"
	"testing"
)

// TestHostileScheduleRefused: a fault schedule is refused for its shape
// (config.CheckTOML) before the TOML parser sees it.
func TestHostileScheduleRefused(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"dotted key", strings.Repeat("a.", 4096) + "a = 1\n", "dotted parts"},
		{"nested inline tables", "a = " + strings.Repeat("{b=", 2048) + "1" + strings.Repeat("}", 2048) + "\n", "nested"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseSchedule([]byte(tc.text), 4); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseSchedule: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
