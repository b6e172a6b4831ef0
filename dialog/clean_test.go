package dialog

import (
	"strings"
	"testing"
)

// CleanText, for text passed between people, cleans as the intake does and
// keeps line breaks, without the intake's cap.
func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"Betaal \u202eNAAR\u202c nu":   "Betaal NAAR nu",
		"bel\a me\x1b[31m rood":        "bel me[31m rood",
		"  regel een\nregel twee\r\n ": "regel een\nregel twee",
		"tab\there":                    "tab here",
		"\ufeffhallo\u200f":            "hallo",
		"ongeldig \xff":                "ongeldig \uFFFD",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("a", 3*maxInput)
	if got := CleanText(long); got != long {
		t.Errorf("CleanText capped a long text at %d", len(got))
	}
	if got := clean(long, true); len(got) != maxInput {
		t.Errorf("clean no longer caps: %d", len(got))
	}
}
