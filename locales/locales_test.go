package locales_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/locales"
)

func load(t testing.TB) *locales.Catalog {
	t.Helper()
	cat, err := locales.Load(knowledge.MessageFiles())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// Every sentence must exist in every language, or someone reads a message ID.
func TestEveryMessageInEveryLanguage(t *testing.T) {
	cat := load(t)
	for _, lang := range locales.Languages {
		for _, other := range locales.Languages {
			for _, id := range cat.IDs(other) {
				if !cat.Has(lang, id) {
					t.Errorf("message %q is in %s but missing in %s", id, other, lang)
				}
			}
		}
	}
	if len(cat.IDs("nl")) < 100 {
		t.Fatalf("only %d Dutch messages: were the files loaded?", len(cat.IDs("nl")))
	}
}

var (
	templateAction = regexp.MustCompile(`{{[^}]*}}`)
	sentenceEnd    = regexp.MustCompile(`[.!?:]+(\s+|$)`)
)

// Dutch at B1 means short sentences: the average stays under 15 words.
func TestDutchIsPlain(t *testing.T) {
	cat := load(t)
	words, sentences := 0, 0
	for _, id := range cat.IDs("nl") {
		if strings.HasPrefix(id, "opt.") || strings.HasPrefix(id, "stepname.") {
			continue // button labels and step names are not sentences
		}
		text := templateAction.ReplaceAllString(cat.T("nl", id, nil), "X")
		for _, s := range sentenceEnd.Split(text, -1) {
			if n := len(strings.Fields(s)); n > 0 {
				words += n
				sentences++
				if n > 25 {
					t.Errorf("%s: a sentence of %d words: %q", id, n, s)
				}
			}
		}
	}
	avg := float64(words) / float64(sentences)
	t.Logf("Dutch: %d sentences, %.1f words on average", sentences, avg)
	if avg >= 15 {
		t.Fatalf("average Dutch sentence is %.1f words, want under 15", avg)
	}
}

func TestNormAndFallback(t *testing.T) {
	cat := load(t)
	for in, want := range map[string]string{"en-GB": "en", "EN": "en", "nl-BE": "nl", "": "nl", "tr": "tr", "TR-tr": "tr", "ar-MA": "ar", "pl_PL": "pl", "de": "nl", "english": "nl"} {
		if got := locales.Norm(in); got != want {
			t.Errorf("Norm(%q) = %q, want %q", in, got, want)
		}
	}
	if got := cat.T("en", "no.such.message", nil); got != "no.such.message" {
		t.Errorf("missing message renders %q", got)
	}
}

type glossaryEntry struct {
	Term string            `yaml:"term"`
	Tr   map[string]string `yaml:",inline"`
}

// The glossary fixes how each Dutch institution is named per language: its
// Dutch name stays, with a short explanation. A translation of a Dutch
// message that names WOT, Wmo, Veilig Thuis, zorgcentrale or huisarts keeps
// the Dutch name, and each language explains each term it uses somewhere.
func TestGlossary(t *testing.T) {
	cat := load(t)
	data, err := os.ReadFile("glossary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var entries []glossaryEntry
	if err := yaml.Unmarshal(data, &entries); err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{"WOT": true, "Wmo": true, "Veilig Thuis": true, "zorgcentrale": true, "huisarts": true}
	for _, e := range entries {
		for _, lang := range locales.Languages[1:] {
			if e.Tr[lang] == "" {
				t.Errorf("glossary: %s has no %s entry", e.Term, lang)
			}
		}
		if !kept[e.Term] {
			continue
		}
		delete(kept, e.Term)
		for _, lang := range []string{"tr", "ar", "pl"} {
			used := false
			for _, id := range cat.IDs("nl") {
				if !strings.Contains(cat.T("nl", id, nil), e.Term) {
					continue
				}
				used = true
				if got := cat.T(lang, id, nil); !strings.Contains(got, e.Term) {
					t.Errorf("%s %s: the Dutch name %q is missing: %q", lang, id, e.Term, got)
				}
			}
			// The explanation (the part after the Dutch name) appears at
			// least once where the term is used.
			expl := strings.TrimSpace(strings.TrimPrefix(e.Tr[lang], e.Term))
			expl = strings.Trim(expl, "()")
			if used && expl != "" && !anyMessageContains(cat, lang, expl) {
				t.Errorf("%s: %s is never explained (%q)", lang, e.Term, expl)
			}
		}
	}
	for term := range kept {
		t.Errorf("glossary has no entry for %s", term)
	}
}

func anyMessageContains(cat *locales.Catalog, lang, s string) bool {
	for _, id := range cat.IDs(lang) {
		if strings.Contains(cat.T(lang, id, nil), s) {
			return true
		}
	}
	return false
}

// Every language file says whether a native speaker reviewed it.
func TestReviewStatusInHeaders(t *testing.T) {
	for _, pattern := range []string{"*.tr.yaml", "*.ar.yaml", "*.pl.yaml", "../knowledge/answers.*.yaml"} {
		names, _ := filepath.Glob(pattern)
		for _, name := range names {
			if strings.HasSuffix(name, ".nl.yaml") || strings.HasSuffix(name, ".en.yaml") {
				continue
			}
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			head, _, _ := strings.Cut(string(data), "\n\n")
			if !strings.Contains(head, "Review status:") {
				t.Errorf("%s: no review status in its header", name)
			}
		}
	}
}
