package label_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wotschiedam/wotbot/knowledge/label"
	"github.com/wotschiedam/wotbot/locales"
)

// The labels are a contract with what reads `ask --json` and the metrics:
// this list is written out here on purpose, so a rename cannot pass with the
// model regenerated to match.
func TestLabelsAreTheContract(t *testing.T) {
	want := []string{
		"greeting", "thanks", "goodbye", "about", "for_whom", "what_help",
		"opening_hours", "contact", "procedure", "costs", "privacy",
		"client_support", "register_self", "register_other", "human", "crisis",
		"out_of_scope",
	}
	if got := label.All(); !slices.Equal(got, want) {
		t.Errorf("label.All() = %q,\nthe contract is %q", got, want)
	}
	for _, l := range want {
		if !label.Known(l) {
			t.Errorf("Known(%q) = false", l)
		}
	}
	for _, s := range []string{"", "Greeting", "opening hours", "procedure.ways", "other_area"} {
		if label.Known(s) {
			t.Errorf("Known(%q) = true", s)
		}
	}
}

// TestEveryLabelAnsweredAndLearned ties each label to its answer in every
// language (knowledge/answers.LANG.yaml) and to its examples in every
// language (knowledge/intents.yaml), and every answer, aspect and example
// back to a label: a label cannot be added, renamed or dropped in one place
// only.
func TestEveryLabelAnsweredAndLearned(t *testing.T) {
	// answer.other_area is no intent's: it tells a resident of another
	// neighbourhood where their own team is.
	notLabels := map[string]bool{"other_area": true}

	for _, lang := range locales.Languages {
		var answers map[string]any
		readYAML(t, "../answers."+lang+".yaml", &answers)
		for _, l := range label.All() {
			if s, _ := answers["answer."+l].(string); strings.TrimSpace(s) == "" {
				t.Errorf("answers.%s.yaml: no answer.%s", lang, l)
			}
		}
		for key := range answers {
			name, ok := strings.CutPrefix(key, "answer.")
			if !ok || notLabels[name] {
				continue
			}
			if !label.Known(name) {
				t.Errorf("answers.%s.yaml: %s answers no intent label", lang, key)
			}
		}
		var aspectAnswers map[string]any
		readYAML(t, "../aspects."+lang+".yaml", &aspectAnswers)
		for key := range aspectAnswers {
			name, _, _ := strings.Cut(strings.TrimPrefix(key, "answer."), ".")
			if !label.Known(name) {
				t.Errorf("aspects.%s.yaml: %s is below no intent label", lang, key)
			}
		}
	}

	var aspects map[string]any
	readYAML(t, "../aspects.yaml", &aspects)
	for name := range aspects {
		if !label.Known(name) {
			t.Errorf("aspects.yaml: %s is no intent label", name)
		}
	}

	var examples []map[string]any
	readYAML(t, "../intents.yaml", &examples)
	learned := map[string]map[string]int{} // label -> language -> examples
	for _, e := range examples {
		name, _ := e["intent"].(string)
		if !label.Known(name) {
			t.Errorf("intents.yaml: intent %q is no label", name)
			continue
		}
		if learned[name] == nil {
			learned[name] = map[string]int{}
		}
		for _, lang := range locales.Languages {
			list, _ := e[lang].([]any)
			learned[name][lang] += len(list)
		}
	}
	for _, l := range label.All() {
		for _, lang := range locales.Languages {
			if learned[l][lang] == 0 {
				t.Errorf("intents.yaml: %s has no %s examples", l, lang)
			}
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
