package knowledge

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"
)

// aspects tells, per intent, which aspect a question asks about
// (aspects.yaml): "helpen jullie met schulden?" is what_help, aspect debts.
type aspects struct {
	byIntent map[string][]aspect // in file order: the first wins a tie
}

type aspect struct {
	name  string
	words []aspectWord
}

type aspectWord struct {
	text   string // folded; several words joined by single spaces
	prefix bool   // ended in *: matches words that start with it
}

func parseAspects(data []byte) (*aspects, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse aspects.yaml: %w", err)
	}
	a := &aspects{byIntent: map[string][]aspect{}}
	if len(doc.Content) == 0 {
		return a, nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("aspects.yaml: want a map of intents")
	}
	// A yaml.Node keeps the order of the keys, which decides ties.
	for i := 0; i+1 < len(top.Content); i += 2 {
		intent, body := top.Content[i].Value, top.Content[i+1]
		if body.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("aspects.yaml %s: want a map of aspects", intent)
		}
		for j := 0; j+1 < len(body.Content); j += 2 {
			as := aspect{name: body.Content[j].Value}
			var ws []string
			if err := body.Content[j+1].Decode(&ws); err != nil {
				return nil, fmt.Errorf("aspects.yaml %s.%s: %w", intent, as.name, err)
			}
			for _, w := range ws {
				prefix := strings.HasSuffix(w, "*")
				f := foldText(strings.TrimSuffix(w, "*"))
				if f == "" {
					return nil, fmt.Errorf("aspects.yaml %s.%s: empty word %q", intent, as.name, w)
				}
				as.words = append(as.words, aspectWord{text: f, prefix: prefix})
			}
			a.byIntent[intent] = append(a.byIntent[intent], as)
		}
	}
	return a, nil
}

// names lists every intent.aspect pair, for the message check.
func (a *aspects) names() []string {
	var out []string
	for in, as := range a.byIntent {
		for _, x := range as {
			out = append(out, in+"."+x.name)
		}
	}
	return out
}

// find returns the aspect of intent that text names most, or "".
func (a *aspects) find(intent, text string) string {
	as := a.byIntent[intent]
	if len(as) == 0 {
		return ""
	}
	padded := " " + foldText(text) + " "
	best, bestN := "", 0
	for _, x := range as {
		n := 0
		for _, w := range x.words {
			hit := false
			if w.prefix {
				hit = strings.Contains(padded, " "+w.text)
			} else {
				hit = strings.Contains(padded, " "+w.text+" ")
			}
			if hit {
				// A phrase says more than a single word: "zorg voor mijn"
				// outweighs "zorg".
				n += 1 + strings.Count(w.text, " ")
			}
		}
		if n > bestN {
			best, bestN = x.name, n
		}
	}
	return best
}

// foldText lowercases text, strips accents and turns everything but letters
// and digits into single spaces.
func foldText(s string) string {
	s = norm.NFKD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '\'' || r == '’':
			continue // "m'n" -> "mn"
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSpace(b.String())
}
