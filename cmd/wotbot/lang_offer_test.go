package main

import (
	"slices"
	"strings"
	"testing"
)

// Questions first in every language (issue 14 for the residents of issue
// 16): a message that only tells a problem gets an answer and the offer, the
// intake starts when the resident asks to register, a bare yes or no is not
// a greeting, and a time question is answered for the day it names.
func TestQuestionsFirstInEachLanguage(t *testing.T) {
	c, err := newCore(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// The offer's buttons: register myself, register someone else. Which one
	// depends on the classifier's reading of whose problem it is.
	offers := map[string][]string{
		"tr": {"Kendim için kayıt", "Başka birini kaydet"},
		"ar": {"التسجيل لنفسي", "تسجيل شخص آخر"},
		"pl": {"Zgłoszenie dla siebie", "Zgłoszenie innej osoby"},
	}
	tests := []struct {
		text, lang string
		step       string // the step the answer leaves the chat at
		offer      bool   // a button to register must be offered
		contains   []string
	}{
		// Problems told, no request to register: the offer, no intake.
		{"borçlarım var", "tr", "", true, nil},
		{"yardım istiyorum", "tr", "", true, nil},
		{"mam długi i nie wiem co robić", "pl", "", true, nil},
		{"potrzebuję pomocy", "pl", "", true, nil},
		{"عندي ديون كثيرة", "ar", "", true, nil},
		// Asking to register, with and without diacritics.
		{"kayıt olmak istiyorum", "tr", "topic", false, nil},
		{"kayıt", "tr", "who", false, nil},
		{"kendim için başvurmak istiyorum", "tr", "topic", false, nil},
		{"chcę się zapisać", "pl", "topic", false, nil},
		{"chce sie zglosic", "pl", "topic", false, nil},
		{"بغيت نتسجل", "ar", "topic", false, nil},
		{"أريد التسجيل", "ar", "topic", false, nil},
		// A bare no with nothing offered asks what they mean.
		{"Hayır", "tr", "", false, []string{"Ne demek istediğinizi"}},
		// Time questions: the day asked about.
		{"yarın açık mısınız", "tr", "", false, []string{"Yarın (perşembe)"}},
		{"czy w sobotę jest otwarte", "pl", "", false, []string{"Sobota"}},
		{"هل أنتم مفتوحون يوم الخميس؟", "ar", "", false, []string{"الخميس", "18.00"}},
	}
	for _, tt := range tests {
		res := c.ask(tt.text, tt.lang, residentsNow)
		full := res.Answer + "\n" + strings.Join(res.Options, "\n")
		if res.Step != tt.step {
			t.Errorf("%s %q: step %q, want %q (intent %s)", tt.lang, tt.text, res.Step, tt.step, res.Intent)
		}
		if tt.offer && !slices.ContainsFunc(offers[tt.lang], func(o string) bool { return slices.Contains(res.Options, o) }) {
			t.Errorf("%s %q: no offer to register:\n%s", tt.lang, tt.text, full)
		}
		for _, s := range tt.contains {
			if !strings.Contains(full, s) {
				t.Errorf("%s %q: answer lacks %q:\n%s", tt.lang, tt.text, s, full)
			}
		}
	}
}
