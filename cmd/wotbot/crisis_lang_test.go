package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wotschiedam/wotbot/dialog"
)

// What the crisis answer says in each language about the languages 113 and
// Veilig Thuis speak: Dutch and English, and no promise of more.
var speaksDutchEnglish = map[string]string{
	"tr": "Hollandaca ve İngilizce konuşur",
	"ar": "يتكلمون الهولندية والإنجليزية",
	"pl": "mówią po niderlandzku i po angielsku",
}

// Every crisis case in Turkish, Arabic and Polish gets 112, Veilig Thuis
// and 113, in the language it was written in, at once, in any state: idle
// in a Dutch conversation, and at every step of an intake in that language.
func TestCrisisInEveryLanguageAndState(t *testing.T) {
	c, err := newCore(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../knowledge/intent/testdata/crisis_lang.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]struct {
		MustHit    []string `yaml:"must_hit"`
		MustNotHit []string `yaml:"must_not_hit"`
	}
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)
	steps := []dialog.Step{dialog.StepNone, dialog.StepWho, dialog.StepTopic, dialog.StepDescription,
		dialog.StepUrgency, dialog.StepName, dialog.StepPhone, dialog.StepLocation,
		dialog.StepPrivacyConsent, dialog.StepConfirm}
	for lang, marker := range speaksDutchEnglish {
		shown, total := 0, 0
		for _, msg := range cases[lang].MustHit {
			states := []dialog.State{{Lang: "nl"}} // a Dutch conversation, idle
			for _, st := range steps[1:] {
				states = append(states, dialog.State{Lang: lang, Step: st, Intake: &dialog.Intake{
					ID: "t", Topic: "money", Urgency: "normal", Description: "x", Name: "x", ContactVia: "chat", Location: "wot",
				}})
			}
			for _, s := range states {
				total++
				turn := c.engine.Handle(s, dialog.Message{Kind: dialog.KindText, Text: msg}, now)
				text := ""
				for _, r := range turn.Replies {
					text += r.Text + "\n"
				}
				ok := true
				for _, want := range []string{"112", "0800-2000", "0800-0113", "Veilig Thuis", marker} {
					if !strings.Contains(text, want) {
						ok = false
						t.Errorf("%s at %q: %q: the reply lacks %q:\n%s", lang, s.Step, msg, want, text)
					}
				}
				if !strings.Contains(turn.Replies[0].Text, "112") {
					ok = false
					t.Errorf("%s at %q: %q: the first reply is not the safety numbers", lang, s.Step, msg)
				}
				if ok {
					shown++
				}
			}
		}
		t.Logf("%s: safety numbers in %s in %d/%d (message, state) pairs", lang, lang, shown, total)
	}
}

// A held-out question in Turkish, Arabic or Polish, asked as the first
// message of a conversation (ask without --lang), is answered in its own
// language, and its everyday messages raise no crisis answer.
func TestAnswerInTheQuestionsLanguage(t *testing.T) {
	c, err := newCore(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)
	for _, lang := range []string{"tr", "ar", "pl"} {
		data, err := os.ReadFile("../../knowledge/testdata/heldout." + lang + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		var items []struct{ Text, Intent string }
		if err := yaml.Unmarshal(data, &items); err != nil {
			t.Fatal(err)
		}
		same, crisisShown, crisis := 0, 0, 0
		for _, it := range items {
			res := c.ask(it.Text, "", now)
			if res.Lang == lang {
				same++
			} else {
				t.Logf("%s: %q answered in %s", lang, it.Text, res.Lang)
			}
			if it.Intent == "crisis" {
				crisis++
				if strings.Contains(res.Answer, "112") && strings.Contains(res.Answer, "0800-0113") {
					crisisShown++
				} else {
					t.Errorf("%s: crisis %q got no safety numbers", lang, it.Text)
				}
			}
		}
		rate := float64(same) / float64(len(items))
		t.Logf("%s: answered in %s for %d/%d held-out questions (%.3f); crisis numbers %d/%d", lang, lang, same, len(items), rate, crisisShown, crisis)
		if rate < 0.98 {
			t.Errorf("%s: answered in the question's language for %.3f, want >= 0.98", lang, rate)
		}
	}
}
