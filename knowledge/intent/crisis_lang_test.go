package intent

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

type crisisCases struct {
	MustHit    []string `yaml:"must_hit"`
	MustNotHit []string `yaml:"must_not_hit"`
}

func loadCrisisLang(t testing.TB) map[string]crisisCases {
	t.Helper()
	data, err := os.ReadFile("testdata/crisis_lang.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var byLang map[string]crisisCases
	if err := yaml.Unmarshal(data, &byLang); err != nil {
		t.Fatal(err)
	}
	return byLang
}

// Crisis in Turkish, Arabic (script and Darija) and Polish: every case gets
// the safety numbers (through the keyword net, so it also interrupts a
// free-text answer), and everyday messages raise no false alarm.
func TestCrisisOtherLanguages(t *testing.T) {
	c := mustLoad(t)
	byLang := loadCrisisLang(t)
	for _, lang := range []string{"tr", "ar", "pl"} {
		cases := byLang[lang]
		if len(cases.MustHit) < 20 || len(cases.MustNotHit) < 15 {
			t.Fatalf("%s: only %d crisis and %d everyday cases", lang, len(cases.MustHit), len(cases.MustNotHit))
		}
		hit, model := 0, 0
		for _, s := range cases.MustHit {
			got := c.Classify(s)
			switch {
			case got.Intent == Crisis && got.Keyword:
				hit++
			case got.Intent == Crisis:
				model++
				t.Errorf("%s: %q caught by the model only, not the keyword net", lang, s)
			default:
				t.Errorf("%s: crisis message not caught: %q (got %s)", lang, s, got.Intent)
			}
		}
		false_ := 0
		for _, s := range cases.MustNotHit {
			if c.IsCrisis(s) {
				false_++
				t.Errorf("%s: false alarm on %q", lang, s)
			}
		}
		t.Logf("%s: crisis recall %d/%d by the keyword net (+%d by the model alone), false alarms %d/%d",
			lang, hit, len(cases.MustHit), model, false_, len(cases.MustNotHit))
	}
}
