package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The held-out crisis check in Turkish, Arabic and Polish, through the
// whole bot (ask, first message of a conversation, no --lang): fresh crisis
// wording gets 112, Veilig Thuis and 113; ordinary hardship gets the crisis
// answer at most once in 100 messages; a question about the help with
// domestic violence gets 112 and Veilig Thuis.
func TestCrisisHeldoutLangBot(t *testing.T) {
	c, err := newCore(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../knowledge/intent/testdata/crisis_heldout_lang.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var byLang map[string]struct {
		MustHit      []string `yaml:"must_hit"`
		MustNotHit   []string `yaml:"must_not_hit"`
		HelpQuestion []string `yaml:"help_question"`
	}
	if err := yaml.Unmarshal(data, &byLang); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)
	has := func(s string, want ...string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	}
	for _, lang := range []string{"tr", "ar", "pl"} {
		cases := byLang[lang]
		if len(cases.MustHit) < 20 || len(cases.MustNotHit) < 60 || len(cases.HelpQuestion) == 0 {
			t.Fatalf("%s: too few cases", lang)
		}
		hit := 0
		for _, s := range cases.MustHit {
			if res := c.ask(s, "", now); res.Intent == "crisis" && has(res.Answer, "112", "0800-2000", "0800-0113") {
				hit++
			} else {
				t.Errorf("%s: crisis %q got %s without the safety numbers", lang, s, res.Intent)
			}
		}
		alarms := 0
		for _, s := range cases.MustNotHit {
			if res := c.ask(s, "", now); res.Intent == "crisis" {
				alarms++
				t.Logf("%s: crisis answer to %q", lang, s)
			}
		}
		if alarms*100 > len(cases.MustNotHit) {
			t.Errorf("%s: %d of %d hardship messages got the crisis answer, want at most 1 in 100", lang, alarms, len(cases.MustNotHit))
		}
		for _, s := range cases.HelpQuestion {
			if res := c.ask(s, "", now); !has(res.Answer, "112", "0800-2000") {
				t.Errorf("%s: question about help with violence %q got %s without 112 and Veilig Thuis", lang, s, res.Intent)
			}
		}
		t.Logf("%s: crisis answer for %d/%d crisis messages, %d/%d hardship messages", lang, hit, len(cases.MustHit), alarms, len(cases.MustNotHit))
	}
}
