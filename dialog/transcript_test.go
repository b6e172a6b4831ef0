package dialog

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts")

// TestTranscripts plays each conversation in testdata/transcripts and
// compares what the resident reads with the golden file next to it, so a
// change to any sentence or step is seen in review.
func TestTranscripts(t *testing.T) {
	scripts, err := filepath.Glob("testdata/transcripts/*.txt")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, script := range scripts {
		t.Run(filepath.Base(script), func(t *testing.T) {
			data, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			c := newConvo(t)
			var out strings.Builder
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if lang, ok := strings.CutPrefix(line, "# lang: "); ok {
					c.s.Lang = lang
					continue
				}
				fmt.Fprintf(&out, "> %s\n", line)
				for _, r := range c.send(line).Replies {
					fmt.Fprintf(&out, "[%s] %s\n", r.Step, r.Text)
					for i, o := range r.Options {
						fmt.Fprintf(&out, "    %d. %s (%s)\n", i+1, o.Label, o.Data)
					}
					if r.Ref != "" {
						fmt.Fprintf(&out, "    ref %s\n", r.Ref)
					}
				}
			}
			for _, e := range c.effects {
				fmt.Fprintf(&out, "effect %T %+v\n", e, e)
			}
			golden := strings.TrimSuffix(script, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out.String() != string(want) {
				t.Errorf("transcript differs from %s (run with -update and review the diff):\n%s", golden, out.String())
			}
		})
	}
}
