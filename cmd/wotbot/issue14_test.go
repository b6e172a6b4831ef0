package main

import (
	"strings"
	"testing"
)

// TestIssue14Misses asks the questions issue 14 names, through the whole
// bot, and checks the answer each resident should have had.
func TestIssue14Misses(t *testing.T) {
	c, err := newCore(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, lang string
		intent     string // "" when any
		step       string // the step the answer leaves the chat at
		contains   []string
		not        []string
	}{
		{"ik ben dakloos", "nl", "", "", []string{"woning", "Aanmelden voor mezelf"}, []string{"Tot ziens"}},
		{"ja", "nl", "out_of_scope", "", []string{"Ik weet niet precies wat u bedoelt"}, []string{"Tot ziens"}},
		{"nee", "nl", "out_of_scope", "", []string{"Ik weet niet precies wat u bedoelt"}, []string{"cliëntondersteun"}},
		{"ik heb niks te eten", "nl", "what_help", "", []string{"geld"}, []string{"kost u niets"}},
		{"ik snap het niet", "nl", "", "", nil, []string{"Ik stel u een paar korte vragen"}},
		{"sign up", "en", "register_self", "who", nil, nil},
		{"helpen jullie ook bij opvoeding? mijn puber luistert niet", "nl", "what_help", "", []string{"opvoed", "Aanmelden voor mezelf"}, nil},
		{"ik zit diep in de schulden, gaat het WOT mij ook geld kosten?", "nl", "costs", "", []string{"niets"}, nil},
		{"ik zie door de bomen het bos niet meer, kan ik bij jullie komen?", "nl", "", "", nil, []string{"Ik stel u een paar korte vragen"}},
		{"ik ben mantelzorger voor mijn vader, is het WOT ook voor mij?", "nl", "for_whom", "", []string{"mantelzorg"}, nil},
		{"ik ben mantelzorger en ik trek het niet meer", "nl", "", "", []string{"113"}, []string{"Is er nu gevaar"}},
		{"kan ik samen met mijn oma langskomen", "nl", "procedure", "", []string{"samen"}, nil},
		{"can you help me fill in forms? my dutch is not so good", "en", "what_help", "", []string{"Formulierenbrigade"}, []string{"112"}},
		{"Helpen jullie bij het aanvragen van een uitkering?", "nl", "what_help", "", []string{"uitkering"}, nil},
		{"helpen jullie ook met het zoeken van een woning?", "nl", "what_help", "", []string{"woning"}, nil},
		{"kan het gesprek bij mij thuis?", "nl", "procedure", "", []string{"thuis"}, []string{"Aanmelden kan op drie manieren"}},
		{"is er een avondopenstelling?", "nl", "opening_hours", "", []string{"donderdag", "18.00"}, nil},
		{"kan ik na mijn werk langskomen, ik ben pas om half 6 vrij", "nl", "opening_hours", "", []string{"donderdag", "18.00"}, nil},
		{"ik wil dat mijn gegevens verwijderd worden", "nl", "privacy", "", []string{"/vergeet"}, nil},
		{"ik ga dood van de verveling", "nl", "", "", nil, []string{"Is er nu gevaar"}},
		{"mijn telefoon is dood", "nl", "", "", nil, []string{"Is er nu gevaar"}},
		{"m'n baas vermoordt me", "nl", "", "", nil, []string{"Is er nu gevaar"}},
		{"help me fill in forms", "en", "", "", nil, []string{"Is there danger right now"}},
		{"ik zit er helemaal doorheen", "nl", "", "", []string{"113", "Aanmelden voor mezelf"}, []string{"kost u niets", "Is er nu gevaar"}},
		{"ik trek het niet meer", "nl", "", "", []string{"113"}, []string{"Is er nu gevaar"}},
	}
	for _, tt := range tests {
		res := c.ask(tt.text, tt.lang, residentsNow)
		full := res.Answer + "\n" + strings.Join(res.Options, "\n")
		if tt.intent != "" && res.Intent != tt.intent {
			t.Errorf("%q: intent %s (%.2f), want %s", tt.text, res.Intent, res.Confidence, tt.intent)
		}
		if res.Step != tt.step {
			t.Errorf("%q: step %q, want %q", tt.text, res.Step, tt.step)
		}
		for _, s := range tt.contains {
			if !strings.Contains(full, s) {
				t.Errorf("%q: answer lacks %q:\n%s", tt.text, s, full)
			}
		}
		for _, s := range tt.not {
			if strings.Contains(full, s) {
				t.Errorf("%q: answer has %q:\n%s", tt.text, s, full)
			}
		}
	}
}

// TestChatQuestionsFirst walks the terminal protocol: a bare problem gets an
// answer and the offer, "ja" takes the offer; "nee" declines one; a bare
// "ja" with nothing offered asks what the resident means, and says no
// goodbye.
func TestChatQuestionsFirst(t *testing.T) {
	e := newEnv(t)
	c := e.chat(t, "e2e-"+randomID(), "--now", monday)
	ls := c.say("ja")
	expectStep(t, ls, "")
	if contains(ls, "Tot ziens") || !contains(ls, "Ik weet niet precies wat u bedoelt") {
		t.Fatalf("bare ja: %+v", ls)
	}
	ls = c.say("ik ben dakloos")
	expectStep(t, ls, "")
	if !contains(ls, "woning") || len(ls[len(ls)-1].Options) == 0 {
		t.Fatalf("bare problem: %+v", ls)
	}
	expectStep(t, c.say("ja"), "topic")
	c.say("stop")

	ls = c.say("helpen jullie ook bij opvoeding? mijn puber luistert niet")
	expectStep(t, ls, "")
	if !contains(ls, "opvoed") {
		t.Fatalf("problem and question: %+v", ls)
	}
	ls = c.say("nee")
	expectStep(t, ls, "")
	if contains(ls, "Tot ziens") || !contains(ls, "Heeft u nog een vraag") {
		t.Fatalf("nee to the offer: %+v", ls)
	}
}
