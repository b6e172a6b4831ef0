package knowledge

import "testing"

func TestAspect(t *testing.T) {
	b := newBase(t)
	tests := []struct{ intent, q, want string }{
		{"what_help", "Helpen jullie bij het aanvragen van een uitkering?", "income"},
		{"what_help", "helpen jullie ook met het zoeken van een woning?", "housing"},
		{"what_help", "ik heb schulden", "debts"},
		{"what_help", "can you help me fill in forms? my dutch is not so good", "forms"},
		{"what_help", "wat doen jullie allemaal", ""},
		{"procedure", "kan het gesprek bij mij thuis?", "location"},
		{"procedure", "hoe lang duurt het?", "duration"},
		{"procedure", "kan ik samen met mijn oma langskomen", "bring"},
		{"privacy", "ik wil dat mijn gegevens verwijderd worden", "deletion"},
		{"privacy", "is het vertrouwelijk?", "confidential"},
		{"for_whom", "ik ben mantelzorger voor mijn vader, is het WOT ook voor mij?", "carers"},
		{"opening_hours", "is er een avondopenstelling?", "evening"},
		{"opening_hours", "kan ik na mijn werk langskomen, ik ben pas om half 6 vrij", "evening"},
		{"opening_hours", "i work until 5, can i come after work", "evening"},
		{"opening_hours", "zijn jullie morgen open", "tomorrow"},
		{"opening_hours", "open met kerst?", "holiday"},
		{"opening_hours", "tot hoe laat kan ik bellen", "phone"},
		{"opening_hours", "kan ik vanmiddag om 3 uur langskomen", "today"},
		{"opening_hours", "wanneer zijn jullie open", ""},
		{"opening_hours", "mijn telefoon is dood, kan ik langskomen bij de balie?", ""},
		{"what_help", "ik heb hulp nodig in huis want ik kan niet meer goed lopen", "care"},
		{"what_help", "ik zorg elke dag voor mijn zieke moeder", "carers"},
		{"what_help", "i have no food at home", "debts"},
		{"costs", "wat kost het", ""},
	}
	for _, tt := range tests {
		if got := b.Aspect(tt.intent, tt.q); got != tt.want {
			t.Errorf("Aspect(%s, %q) = %q, want %q", tt.intent, tt.q, got, tt.want)
		}
	}
}

func TestAspectAnswers(t *testing.T) {
	b := newBase(t)
	// Every language with an aspects.LANG.yaml answers every aspect.
	for _, lang := range aspectLanguages(t) {
		for _, name := range b.aspects.names() {
			if a := b.lang(lang).answers[name]; a == "" {
				t.Errorf("%s: no answer for aspect %s", lang, name)
			}
		}
	}
}
