package bot_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/dialog"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts")

var consentToken = regexp.MustCompile(`start[= ](c[A-Za-z0-9_-]+)`)

// TestTranscripts plays each conversation in testdata/transcripts through
// the whole message path (real knowledge base and classifier, sessions,
// held requests and the hand-off stream on Redis) and compares what every
// chat reads, and what reaches staff, with the golden file next to it.
//
// Script lines: "# now: RFC3339" sets the clock, "# lang: en" the language
// of chats opened after it, "@name" switches to (or opens) a chat, "!data"
// taps a button, anything else is typed. "{token}" stands for the consent
// link token the bot gave last.
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
			now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			s := bottest.New(t, bottest.WithNow(func() time.Time { return now }))
			n := 0
			s.Conversations.Engine.NewID = func() string { n++; return fmt.Sprintf("t-%06d", n) }
			c := s.Conversations
			chat, lang, token := "resident", "nl", ""
			var out strings.Builder
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				switch {
				case strings.HasPrefix(line, "# now: "):
					at, err := time.Parse(time.RFC3339, strings.TrimPrefix(line, "# now: "))
					if err != nil {
						t.Fatal(err)
					}
					now = at
					fmt.Fprintf(&out, "%s\n", line)
					continue
				case strings.HasPrefix(line, "# lang: "):
					lang = strings.TrimPrefix(line, "# lang: ")
					continue
				case strings.HasPrefix(line, "#") || line == "":
					continue
				case strings.HasPrefix(line, "@"):
					chat = strings.TrimPrefix(line, "@")
					fmt.Fprintf(&out, "\n=== chat %s\n", chat)
					continue
				}
				msg := dialog.Message{Kind: dialog.KindText, Text: strings.ReplaceAll(line, "{token}", token)}
				if data, ok := strings.CutPrefix(line, "!"); ok {
					msg = dialog.Message{Kind: dialog.KindOption, Data: data}
				}
				fmt.Fprintf(&out, "> %s\n", line)
				replies, err := c.Handle(context.Background(), bot.Inbound{Channel: "telegram", ChatID: chat, Lang: lang, Msg: msg})
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				for _, r := range replies {
					fmt.Fprintf(&out, "[%s] %s\n", r.Step, r.Text)
					for i, o := range r.Options {
						fmt.Fprintf(&out, "    %d. %s (%s)\n", i+1, o.Label, o.Data)
					}
					if m := consentToken.FindStringSubmatch(r.Text); m != nil {
						token = m[1]
					}
				}
			}
			entries, err := s.Redis.XRange(context.Background(), s.Stream, "-", "+").Result()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "\n=== on the hand-off stream (no staff desk runs here; a desk drops what /vergeet withdrew): %d\n", len(entries))
			for _, e := range entries {
				var req map[string]any
				if err := json.Unmarshal([]byte(e.Values["request"].(string)), &req); err != nil {
					t.Fatal(err)
				}
				b, _ := json.MarshalIndent(req, "", "  ")
				fmt.Fprintf(&out, "%s\n", b)
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
