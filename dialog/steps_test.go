package dialog

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wotschiedam/wotbot/locales"
)

// TestStepTableHasItsSentences: a row of the intake table is only half a
// step without its sentences. Every question, step name, option label and
// edit button a row implies exists in every language, and every option
// answers its own step (validOption relies on the prefix).
func TestStepTableHasItsSentences(t *testing.T) {
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Step]bool{}
	for _, sp := range append(slices.Clone(intakeSteps), heldStep) {
		if seen[sp.step] {
			t.Errorf("step %s has two rows", sp.step)
		}
		seen[sp.step] = true
		ids := []string{"stepname." + string(sp.step)}
		for _, q := range []string{sp.question, sp.questionOther, sp.questionLink} {
			if q != "" {
				ids = append(ids, q)
			}
		}
		for _, o := range sp.options {
			if kind, _, _ := strings.Cut(o, ":"); Step(kind) != sp.step {
				t.Errorf("step %s offers %s, an option of another step", sp.step, o)
			}
			ids = append(ids, labelID(o))
		}
		if sp.editable {
			ids = append(ids, labelID("edit:"+string(sp.step)))
		}
		if sp.freeText == (len(sp.options) > 0) && sp.step != StepPhone {
			t.Errorf("step %s: free text %v with options %v", sp.step, sp.freeText, sp.options)
		}
		for _, lang := range locales.Languages {
			for _, id := range ids {
				if !cat.Has(lang, id) {
					t.Errorf("step %s: %s missing in %s", sp.step, id, lang)
				}
			}
		}
	}
	if last := intakeSteps[len(intakeSteps)-1].step; last != StepConfirm {
		t.Errorf("the intake ends at %s, want confirm", last)
	}
}

// TestHelpSaysWhereTheIntakeIs: /help in the middle of an intake says which
// question of how many it is, for oneself (9 questions) and for someone
// else (12), and asks the question again.
func TestHelpSaysWhereTheIntakeIs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []string // option data, or text for a free-text step
		want    []Step   // the step after each answer (the first: after /aanmelden)
	}{
		{
			name:    "self",
			answers: []string{"who:self", "topic:money", "Ik heb schulden.", "urgency:normal", "Jan", "phone:chat", "location:wot", "privacy_consent:yes"},
			want:    []Step{StepWho, StepTopic, StepDescription, StepUrgency, StepName, StepPhone, StepLocation, StepPrivacyConsent, StepConfirm},
		},
		{
			name: "other",
			answers: []string{"who:other", "other_consent:yes", "consent_method:declared", "Kees", "topic:care", "Hij valt vaak.",
				"urgency:urgent", "Piet", "phone:chat", "location:home", "privacy_consent:yes"},
			want: []Step{StepWho, StepOtherConsent, StepConsentMethod, StepOtherName, StepTopic, StepDescription,
				StepUrgency, StepName, StepPhone, StepLocation, StepPrivacyConsent, StepConfirm},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConvo(t)
			c.send("/aanmelden")
			for i, step := range tc.want {
				c.expectStep(step)
				c.send("/help")
				c.expectStep(step)
				total := len(tc.want)
				if i == 0 {
					total = 9 // not yet told for whom: counted as for oneself
				}
				c.expectText(fmt.Sprintf("vraag %d van %d: %s", i+1, total, c.e.Catalog.T("nl", "stepname."+string(step), nil)))
				if i == len(tc.answers) {
					break
				}
				if a := tc.answers[i]; strings.Contains(a, ":") {
					c.msg(Message{Kind: KindOption, Data: a})
				} else {
					c.send(a)
				}
			}
		})
	}
}

// TestEditOffersOnlyThisIntakesAnswers: the edit menu lists the answers this
// intake has, in the order they were asked, and a button for an answer it
// does not have (left from before "for someone else" became "for myself",
// or never offered) is refused rather than asked.
func TestEditOffersOnlyThisIntakesAnswers(t *testing.T) {
	c := newConvo(t)
	c.send("/aanmelden")
	for _, d := range []string{"who:other", "other_consent:yes", "consent_method:declared"} {
		c.msg(Message{Kind: KindOption, Data: d})
	}
	c.send("Kees")
	c.msg(Message{Kind: KindOption, Data: "topic:care"})
	c.send("Hij valt vaak.")
	c.msg(Message{Kind: KindOption, Data: "urgency:normal"})
	c.send("Piet")
	for _, d := range []string{"phone:chat", "location:wot", "privacy_consent:yes", "confirm:edit"} {
		c.msg(Message{Kind: KindOption, Data: d})
	}
	wantOther := []string{"edit:who", "edit:consent_method", "edit:other_name", "edit:topic", "edit:description",
		"edit:urgency", "edit:name", "edit:phone", "edit:location"}
	if got := c.s.Offered; !slices.Equal(got, wantOther) {
		t.Fatalf("edit menu for someone else = %q, want %q", got, wantOther)
	}
	// For myself after all: the name of the other is gone.
	c.msg(Message{Kind: KindOption, Data: "edit:who"})
	c.msg(Message{Kind: KindOption, Data: "who:self"})
	c.expectStep(StepConfirm)
	c.msg(Message{Kind: KindOption, Data: "confirm:edit"})
	wantSelf := []string{"edit:who", "edit:topic", "edit:description", "edit:urgency", "edit:name", "edit:phone", "edit:location"}
	if got := c.s.Offered; !slices.Equal(got, wantSelf) {
		t.Fatalf("edit menu for myself = %q, want %q", got, wantSelf)
	}
	for _, stale := range []string{"edit:other_name", "edit:consent_method", "edit:privacy_consent", "edit:done", "edit:"} {
		c.msg(Message{Kind: KindOption, Data: stale})
		c.expectStep(StepConfirm)
		c.expectText("eerdere vraag")
	}
	c.msg(Message{Kind: KindOption, Data: "edit:location"})
	c.expectStep(StepLocation)
	c.msg(Message{Kind: KindOption, Data: "location:wijk"})
	c.expectStep(StepConfirm)
	c.msg(Message{Kind: KindOption, Data: "confirm:send"})
	r := c.submitted()[0]
	if r.ForOther || r.OtherName != "" || r.Location != "wijk" || r.Name != "Piet" {
		t.Fatalf("request = %+v", r)
	}
}
