package dialog

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wotschiedam/wotbot/locales"
)

//go:embed keywords.yaml
var keywordsYAML []byte

// keywords are the typed words that stand for commands and options.
type keywords struct {
	commands  map[string]string   // folded phrase -> command
	options   map[string][]string // option data -> folded phrases
	selfWords map[string]bool     // words that show a resident speaks of themselves
	yes, no   map[string]bool     // folded short replies
	// registerWords ask to register; a trailing * (kept) matches word starts.
	registerWords []string
	howWords      map[string]bool // "hoe", "how": a question about registering
	questionWords map[string]bool // words that make a message ask something
}

// asksSomething reports whether text asks a question or for something.
func (k *keywords) asksSomething(text string) bool {
	if strings.Contains(text, "?") {
		return true
	}
	for _, w := range strings.Fields(fold(text)) {
		if k.questionWords[w] {
			return true
		}
	}
	return false
}

// asksHow reports whether text asks how something is done.
func (k *keywords) asksHow(text string) bool {
	for _, w := range strings.Fields(fold(text)) {
		if k.howWords[w] {
			return true
		}
	}
	return false
}

// asksToRegister reports whether text asks to register in so many words.
func (k *keywords) asksToRegister(text string) bool {
	for _, w := range strings.Fields(fold(text)) {
		for _, r := range k.registerWords {
			if p, ok := strings.CutSuffix(r, "*"); ok {
				if strings.HasPrefix(w, p) {
					return true
				}
			} else if w == r {
				return true
			}
		}
	}
	return false
}

// firstPerson reports whether text speaks of the writer ("ik", "mij", "my").
func (k *keywords) firstPerson(text string) bool {
	for _, w := range strings.Fields(fold(text)) {
		if k.selfWords[w] {
			return true
		}
	}
	return false
}

func loadKeywords() (*keywords, error) {
	var raw struct {
		Commands    map[string][]string `yaml:"commands"`
		Options     map[string][]string `yaml:"options"`
		FirstPerson []string            `yaml:"first_person"`
		ShortYes    []string            `yaml:"short_yes"`
		ShortNo     []string            `yaml:"short_no"`
		Register    []string            `yaml:"register_words"`
		How         []string            `yaml:"how_words"`
		Question    []string            `yaml:"question_words"`
	}
	if err := yaml.Unmarshal(keywordsYAML, &raw); err != nil {
		return nil, fmt.Errorf("parse keywords.yaml: %w", err)
	}
	k := &keywords{commands: map[string]string{}, options: map[string][]string{}, selfWords: map[string]bool{},
		yes: map[string]bool{}, no: map[string]bool{}, howWords: map[string]bool{}}
	for _, w := range raw.How {
		k.howWords[fold(w)] = true
	}
	k.questionWords = map[string]bool{}
	for _, w := range raw.Question {
		k.questionWords[fold(w)] = true
	}
	for _, w := range raw.ShortYes {
		k.yes[fold(w)] = true
	}
	for _, w := range raw.ShortNo {
		k.no[fold(w)] = true
	}
	for _, w := range raw.Register {
		star := strings.HasSuffix(w, "*")
		f := fold(w)
		if star {
			f += "*"
		}
		k.registerWords = append(k.registerWords, f)
	}
	for _, w := range raw.FirstPerson {
		k.selfWords[fold(w)] = true
	}
	for cmd, words := range raw.Commands {
		for _, w := range words {
			k.commands[fold(w)] = cmd
		}
	}
	for data, words := range raw.Options {
		for _, w := range words {
			k.options[data] = append(k.options[data], fold(w))
		}
	}
	return k, nil
}

var (
	fullMenu  = []string{"menu:reg_self", "menu:reg_other", "menu:hours", "menu:contact", "menu:for_whom", "menu:costs", "menu:procedure", "menu:human"}
	shortMenu = []string{"menu:reg_self", "menu:menu"}
	langMenu  = []string{"lang:nl", "lang:en", "lang:tr", "lang:ar", "lang:pl"}
)

// labelID is the message ID of an option's label: "topic:money" -> "opt.topic.money".
func labelID(data string) string { return "opt." + strings.ReplaceAll(data, ":", ".") }

// match finds which of the offered options a typed answer means: its number,
// its label (in either language), or one of its keywords. The longest keyword
// found wins; a tie between options is no match, so the question is asked again
// rather than guessed.
func (e *Engine) match(text string, offered []string) (string, bool) {
	if len(offered) == 0 {
		return "", false
	}
	f := fold(text)
	if f == "" {
		return "", false
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(f, "optie "), "option ")); err == nil {
		if n >= 1 && n <= len(offered) {
			return offered[n-1], true
		}
		return "", false
	}
	for _, data := range offered {
		for _, lang := range locales.Languages {
			for _, id := range []string{labelID(data), labelID(data) + ".other"} {
				if e.Catalog.Has(lang, id) && fold(e.Catalog.T(lang, id, nil)) == f {
					return data, true
				}
			}
		}
	}
	best, bestLen, tie := "", 0, false
	padded := " " + f + " "
	for _, data := range offered {
		for _, kw := range e.keywords.options[data] {
			if kw == "" || !strings.Contains(padded, " "+kw+" ") {
				continue
			}
			switch {
			case len(kw) > bestLen:
				best, bestLen, tie = data, len(kw), false
			case len(kw) == bestLen && data != best:
				tie = true
			}
		}
	}
	if best == "" || tie {
		return "", false
	}
	// A long story that happens to contain a keyword is not a choice.
	if len(strings.Fields(f)) > 12 {
		return "", false
	}
	return best, true
}
