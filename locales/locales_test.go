package locales_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/locales"
)

func load(t *testing.T) *locales.Catalog {
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
	for in, want := range map[string]string{"en-GB": "en", "EN": "en", "nl-BE": "nl", "": "nl", "tr": "nl", "english": "nl"} {
		if got := locales.Norm(in); got != want {
			t.Errorf("Norm(%q) = %q, want %q", in, got, want)
		}
	}
	if got := cat.T("en", "no.such.message", nil); got != "no.such.message" {
		t.Errorf("missing message renders %q", got)
	}
}

// Numbers come from configuration and facts (SESSION_TTL, RETENTION_DAYS,
// the link's days, phone numbers, the call-back days), never from a
// sentence: a sentence that wrote "30 dagen" would stay "30" when the
// setting changes. Only these fixed figures may be written out.
var fixedFigures = map[string]bool{
	"113":         true, // the name of the suicide prevention line, "113 Zelfmoordpreventie"
	"06-12345678": true, // example numbers in the phone step's help
	"010-1234567": true,
	"10":          true, // "a Dutch number has 10 digits"
	"1":           true, // "1 uur", "1 hour": the singular form of a configured duration
}

var figure = regexp.MustCompile(`[0-9][0-9.:\- ]*[0-9]|[0-9]`)

func TestNoFigureWrittenIntoASentence(t *testing.T) {
	cat := load(t)
	for _, lang := range locales.Languages {
		for _, id := range cat.IDs(lang) {
			// Rendered without data, every template value is "<no value>":
			// what is left was written into the sentence.
			raw := cat.T(lang, id, nil)
			text := strings.ReplaceAll(raw, "<no value>", " ")
			for _, f := range figure.FindAllString(text, -1) {
				if !fixedFigures[strings.TrimSpace(f)] {
					t.Errorf("%s %s: %q is written into the sentence; take it from the facts or the configuration: %q", lang, id, f, raw)
				}
			}
		}
	}
}
