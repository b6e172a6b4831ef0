package knowledge

import (
	"io/fs"
	"os"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wotschiedam/wotbot/locales"
)

// aspectCase is one held-out question of testdata/aspects_lang.yaml.
type aspectCase struct {
	Lang   string `yaml:"lang"`
	Intent string `yaml:"intent"`
	Aspect string `yaml:"aspect"`
	Text   string `yaml:"text"`
}

// aspectSets are the held-out questions of the aspect word lists in
// Turkish, Arabic and Polish, each with the share per language whose aspect
// the lists must find: a little under what they find now (see the commit
// that sets it), so a change that loses words fails here. The first set was
// written before the words and covers every aspect; the second after them
// (its gaps were then fixed, so it is no longer held out); the third before
// that fix, and never tuned on: its figure is the honest one.
var aspectSets = []struct {
	file  string
	floor map[string]float64
	every bool // has a question for every aspect in every language
}{
	{"testdata/aspects_lang.yaml", map[string]float64{"tr": 0.95, "ar": 0.95, "pl": 0.95}, true},
	{"testdata/aspects_lang2.yaml", map[string]float64{"tr": 0.95, "ar": 0.95, "pl": 0.95}, false},
	{"testdata/aspects_lang3.yaml", map[string]float64{"tr": 0.90, "ar": 0.75, "pl": 0.85}, false},
}

// The word lists find the aspect of Turkish, Arabic and Polish questions
// they were not written from.
func TestAspectLanguages(t *testing.T) {
	b := newBase(t)
	for _, set := range aspectSets {
		t.Run(set.file, func(t *testing.T) {
			checkAspectSet(t, b, set.file, set.floor, set.every)
		})
	}
}

func checkAspectSet(t *testing.T, b *Base, file string, floor map[string]float64, every bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cases []aspectCase
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	total, right := map[string]int{}, map[string]int{}
	covered := map[string]bool{}
	for _, c := range cases {
		if _, ok := floor[c.Lang]; !ok {
			t.Errorf("%s: %q: language %q has no floor", file, c.Text, c.Lang)
			continue
		}
		if c.Aspect != "" {
			covered[c.Lang+" "+c.Intent+"."+c.Aspect] = true
		}
		total[c.Lang]++
		got := b.Aspect(c.Intent, c.Text)
		if got == c.Aspect {
			right[c.Lang]++
			continue
		}
		t.Logf("%s %s %q: aspect %q, want %q", c.Lang, c.Intent, c.Text, got, c.Aspect)
	}
	if every {
		// Every aspect of the intents the file is about has a question
		// in every language, so no aspect goes unmeasured.
		var want []string
		for in, as := range b.aspects.byIntent {
			switch in {
			case "what_help", "for_whom", "procedure", "privacy", "register_other":
			default:
				continue
			}
			for _, x := range as {
				for lang := range floor {
					if k := lang + " " + in + "." + x.name; !covered[k] {
						want = append(want, k)
					}
				}
			}
		}
		sort.Strings(want)
		for _, k := range want {
			t.Errorf("%s: no question for %s", file, k)
		}
	}
	langs := make([]string, 0, len(floor))
	for lang := range floor {
		langs = append(langs, lang)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		if total[lang] == 0 {
			t.Errorf("%s: no questions in %s", file, lang)
			continue
		}
		acc := float64(right[lang]) / float64(total[lang])
		t.Logf("%s: %d/%d aspects right (%.1f%%)", lang, right[lang], total[lang], 100*acc)
		if acc < floor[lang] {
			t.Errorf("%s %s: %.1f%% of aspects right, floor %.0f%%", file, lang, 100*acc, 100*floor[lang])
		}
	}
}

// A word listed under two aspects of one intent only adds to both: it
// cannot tell them apart, and one of the two lists is wrong.
func TestAspectWordsUnique(t *testing.T) {
	b := newBase(t)
	for in, as := range b.aspects.byIntent {
		seen := map[aspectWord]string{}
		for _, x := range as {
			for _, w := range x.words {
				if prev, ok := seen[w]; ok {
					if prev == x.name {
						t.Errorf("aspects.yaml %s.%s: %q listed twice", in, x.name, w.text)
					} else {
						t.Errorf("aspects.yaml %s: %q is under both %s and %s", in, w.text, prev, x.name)
					}
					continue
				}
				seen[w] = x.name
			}
		}
	}
}

// A word that a prefix (a word ending in *) of the same intent already
// matches counts twice, or for two aspects: "ولدي" beside "ولدي*" made
// parenting outweigh addiction.
func TestAspectWordsNotCovered(t *testing.T) {
	b := newBase(t)
	for in, as := range b.aspects.byIntent {
		for _, x := range as {
			for _, p := range x.words {
				if !p.prefix {
					continue
				}
				for _, y := range as {
					for _, w := range y.words {
						if w == p || !strings.HasPrefix(w.text, p.text) {
							continue
						}
						t.Errorf("aspects.yaml %s: %s %q is already matched by %s %q*", in, y.name, w.text, x.name, p.text)
					}
				}
			}
		}
	}
}

// aspectLanguages are the languages that have an aspects.LANG.yaml.
func aspectLanguages(t *testing.T) []string {
	var out []string
	for _, lang := range locales.Languages {
		if _, err := fs.Stat(MessageFiles(), "aspects."+lang+".yaml"); err == nil {
			out = append(out, lang)
		}
	}
	if len(out) == 0 {
		t.Fatal("no aspects.LANG.yaml at all")
	}
	return out
}
