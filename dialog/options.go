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
	}
	if err := yaml.Unmarshal(keywordsYAML, &raw); err != nil {
		return nil, fmt.Errorf("parse keywords.yaml: %w", err)
	}
	k := &keywords{commands: map[string]string{}, options: map[string][]string{}, selfWords: map[string]bool{}}
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

// stepOptions lists the option data offered at each option step.
var stepOptions = map[Step][]string{
	StepWho:            {"who:self", "who:other"},
	StepOtherConsent:   {"other_consent:yes", "other_consent:no"},
	StepConsentMethod:  {"consent_method:link", "consent_method:declared"},
	StepOtherConfirm:   {"other_confirm:yes", "other_confirm:no"},
	StepTopic:          {"topic:money", "topic:parenting", "topic:housing", "topic:care", "topic:loneliness", "topic:work", "topic:violence", "topic:other"},
	StepUrgency:        {"urgency:normal", "urgency:urgent", "urgency:danger"},
	StepPhone:          {"phone:chat"},
	StepLocation:       {"location:wot", "location:wijk", "location:home"},
	StepPrivacyConsent: {"privacy_consent:yes", "privacy_consent:no"},
	StepConfirm:        {"confirm:send", "confirm:edit", "confirm:stop"},
}

// editFields are the answers that can be changed at confirm, in summary order.
var editFields = []Step{StepWho, StepConsentMethod, StepOtherName, StepTopic, StepDescription, StepUrgency, StepName, StepPhone, StepLocation}

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
