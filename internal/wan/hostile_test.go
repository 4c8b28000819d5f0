package wan

import (
	"strings"
	"testing"
)

// TestHostileMatrixRefused: a latency matrix is refused for its size or
// its shape (config.CheckTOML) before the TOML parser sees it.
func TestHostileMatrixRefused(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"dotted key", strings.Repeat("a.", 4096) + "a = 1\n", "dotted parts"},
		{"nested arrays", "a = " + strings.Repeat("[", 4096) + strings.Repeat("]", 4096) + "\n", "nested"},
		{"oversized", strings.Repeat("# x\n", MaxMatrixBytes/4+1), "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
