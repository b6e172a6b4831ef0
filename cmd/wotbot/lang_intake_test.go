package main

import (
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts")

var refPattern = regexp.MustCompile(`WOT-[A-Z2-9]{6}`)

// A whole intake in Turkish, Arabic and Polish through the terminal protocol
// (chat --jsonl), with no --lang: the first message sets the language, and
// it stays. Golden files hold every protocol line (references masked).
// The request reaches the stream with its language, the resident's own
// words as typed, and a foreign or Arabic-digit phone number in E.164.
func TestIntakeInEachLanguage(t *testing.T) {
	want := map[string]struct{ phone, notice string }{
		"tr": {"+905321234567", "WOT ekibi Hollandaca çalışır"},
		"ar": {"+31612345678", "فريق \u2068WOT\u2069 يعمل باللغة الهولندية"},
		"pl": {"+48512345678", "Zespół WOT pracuje po niderlandzku"},
	}
	for _, lang := range []string{"tr", "ar", "pl"} {
		t.Run(lang, func(t *testing.T) {
			script, err := os.ReadFile("testdata/intake_" + lang + ".txt")
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t)
			c := e.chat(t, "lang-"+lang+"-"+randomID(), "--now", monday)
			var out strings.Builder
			var all []line
			var description string
			for _, msg := range strings.Split(strings.TrimSpace(string(script)), "\n") {
				if strings.Contains(msg, ". ") {
					description = msg
				}
				out.WriteString("> " + msg + "\n")
				for _, l := range c.say(msg) {
					all = append(all, l)
					b, _ := json.Marshal(l)
					out.WriteString(refPattern.ReplaceAllString(string(b), "WOT-XXXXXX") + "\n")
				}
			}
			if step(all) != "done" || all[len(all)-1].Ref == "" {
				t.Fatalf("intake did not finish: %+v", all[len(all)-1])
			}
			notices := 0
			for _, l := range all {
				if strings.Contains(l.Text, want[lang].notice) {
					notices++
				}
			}
			if notices != 1 {
				t.Errorf("the team-works-in-Dutch notice came %d times, want once", notices)
			}
			entries := e.entries(t)
			if len(entries) != 1 {
				t.Fatalf("%d requests on the stream, want 1", len(entries))
			}
			req := entries[0]
			if req.Language != lang || req.Phone != want[lang].phone || req.Description != description {
				t.Errorf("request language %q phone %q description %q; want %q, %q, %q",
					req.Language, req.Phone, req.Description, lang, want[lang].phone, description)
			}
			golden := "testdata/intake_" + lang + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantOut, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out.String() != string(wantOut) {
				t.Errorf("transcript differs from %s (run with -update and review the diff):\n%s", golden, out.String())
			}
		})
	}
}
