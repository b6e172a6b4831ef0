// Package intent labels a resident's message with one of the bot's intents.
//
// A crisis safety net (phrases in knowledge/crisis.yaml) runs first; then a
// small neural model (an embedding bag over hashed word and character
// n-grams, trained with spago by the generator in ./gen) scores the intents.
// Uncertain or unreadable input becomes out_of_scope. The model weights are
// generated: after changing knowledge/intents.yaml, knowledge/crisis.yaml
// or the held-out questions the confidence is calibrated on
// (knowledge/testdata/heldout*.yaml), run `go generate ./knowledge/...`; a
// test fails while they are stale.
package intent

//go:generate go run ./gen -in ../intents.yaml -out model.bin -crisis-in ../crisis.yaml -crisis-out crisis_gen.yaml -lexicon-out lexicon_gen.yaml -calibrate ../testdata/heldout.yaml,../testdata/heldout.tr.yaml,../testdata/heldout.ar.yaml,../testdata/heldout.pl.yaml

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/wotschiedam/wotbot/knowledge/intent/internal/features"
	"github.com/wotschiedam/wotbot/knowledge/intent/internal/weights"
	"github.com/wotschiedam/wotbot/knowledge/label"
)

// The labels this package treats specially, by their short names.
const (
	Crisis     = label.Crisis
	OutOfScope = label.OutOfScope
)

//go:embed model.bin
var modelFile []byte

//go:embed crisis_gen.yaml
var crisisFile []byte

//go:embed lexicon_gen.yaml
var lexiconFile []byte

// Classifier labels messages. It is safe for concurrent use.
type Classifier struct {
	scorer      *weights.Scorer
	feat        features.Config
	labels      []string
	threshold   float64
	minCoverage float64
	crisis      *crisisNet
	lexicon     map[string]int // word -> score index of the language it tells
}

// Load reads the embedded model and crisis phrases.
func Load() (*Classifier, error) {
	m, err := weights.Unmarshal(modelFile)
	if err != nil {
		return nil, fmt.Errorf("load intent model: %w", err)
	}
	cn, err := parseCrisis(crisisFile)
	if err != nil {
		return nil, fmt.Errorf("load crisis phrases: %w", err)
	}
	lex, err := parseLexicon(lexiconFile)
	if err != nil {
		return nil, fmt.Errorf("load language lexicon: %w", err)
	}
	return &Classifier{
		scorer:      weights.NewScorer(m),
		feat:        m.Config.Features,
		labels:      m.Labels,
		threshold:   m.Threshold,
		minCoverage: m.MinCoverage,
		crisis:      cn,
		lexicon:     lex,
	}, nil
}

// The model alone calls a message a crisis only when it is this sure (the
// confidence is a calibrated probability); below, its next guess stands.
// The keyword net catches the plain crisis messages; the model is for the
// ones worded in a way no phrase foresaw, and must not frighten people over
// an idiom.
const crisisMin = 0.6

// A greeting that is this likely to be another intent as well, in a
// message of four words or more, is taken as that intent.
const greetingQuestion = 0.15

// When the top intent is below clarifyBelow and the next one at least
// clarifyMin, the classifier offers both (and a third that close) as
// Alternatives, and the bot asks which is meant.
const (
	clarifyBelow = 0.4
	clarifyMin   = 0.25
)

// Classify labels text. A crisis phrase wins over everything else, with
// confidence 1. Input the model is unsure about, or cannot read at all
// (empty, emoji only, gibberish), is out_of_scope. The confidence is a
// probability: the model's softmax, temperature-scaled on held-out
// questions it was never trained on.
func (c *Classifier) Classify(text string) label.Classification {
	norm := features.Normalize(text)
	lang := detectLang(text, norm, c.lexicon)
	if hit, phraseLang := c.crisis.match(norm); hit {
		// Words of distress are rarely function words: the phrase's own
		// language tells when nothing else does.
		if lang == "" {
			lang = phraseLang
		}
		return label.Classification{Intent: Crisis, Confidence: 1, Lang: lang, Keyword: true}
	}
	distress, _ := c.crisis.distress.match(norm)
	out, next, nextP := c.classifyNorm(norm, lang, distress)
	if out.Intent == "greeting" && nextP >= greetingNext && questionIntents[next] {
		if q, ok := c.afterGreeting(norm, lang, distress); ok && q.Intent == next {
			return q
		}
	}
	return out
}

// classifyNorm runs the model on normalised text (no crisis phrase in it).
// It also returns the runner-up intent and its probability.
func (c *Classifier) classifyNorm(norm, lang string, distress bool) (out label.Classification, next string, nextP float64) {
	set := c.feat.Extract(norm)
	if len(set.IDs) == 0 {
		return label.Classification{Intent: OutOfScope, Confidence: 1, Lang: lang, Distress: distress}, "", 0
	}
	var buf [64]float64
	probs := buf[:len(c.labels)]
	r := c.scorer.Score(set, probs)
	if r.Known == 0 || r.Coverage < c.minCoverage {
		return label.Classification{Intent: OutOfScope, Confidence: 1 - r.Coverage, Lang: lang, Distress: distress}, "", 0
	}
	first, second, third := top3(probs)
	if c.labels[first] == Crisis && (probs[first] < crisisMin || distress) {
		first, second, third = second, third, -1
	}
	// "goedemiddag, wat kost het?": a greeting with a question in it is
	// the question.
	if c.labels[first] == label.Greeting && second >= 0 && probs[second] >= max(greetingQuestion, c.threshold) &&
		c.labels[second] != Crisis && c.labels[second] != OutOfScope && strings.Count(norm, " ") >= 3 {
		first, second, third = second, third, -1
	}
	if second >= 0 {
		next, nextP = c.labels[second], probs[second]
	}
	p := probs[first]
	if p < c.threshold {
		return label.Classification{Intent: OutOfScope, Confidence: 1 - p, Lang: lang, Distress: distress}, next, nextP
	}
	out = label.Classification{Intent: c.labels[first], Confidence: p, Lang: lang, Distress: distress}
	if p < clarifyBelow && second >= 0 && probs[second] >= clarifyMin && c.labels[second] != Crisis && c.labels[second] != OutOfScope {
		out.Alternatives = []string{c.labels[first], c.labels[second]}
		if third >= 0 && probs[third] >= clarifyMin && c.labels[third] != Crisis && c.labels[third] != OutOfScope {
			out.Alternatives = append(out.Alternatives, c.labels[third])
		}
	}
	return out, next, nextP
}

// afterGreeting reads a message that opens with a greeting and goes on
// ("السلام عليكم، متى تفتحون؟"): the greeting's words can outweigh a short
// question in the mean of the features. When the first one to three words
// are a greeting by themselves and the rest, of two words or more, is a
// question the model is sure of, it returns what the rest asks. Classify
// takes it only when the whole message had it as the runner-up: a greeting
// that merely goes on ("good morning to you") has no question in it.
func (c *Classifier) afterGreeting(norm, lang string, distress bool) (label.Classification, bool) {
	var best label.Classification
	found := false
	cut := 0
	for k := 1; k <= maxGreetingWords; k++ {
		i := strings.IndexByte(norm[cut:], ' ')
		if i < 0 {
			break
		}
		cut += i
		prefix, rest := norm[:cut], norm[cut+1:]
		cut++
		if strings.Count(rest, " ") < 1 {
			break // "goede avond": no question left
		}
		if g, _, _ := c.classifyNorm(prefix, lang, false); g.Intent != "greeting" || g.Confidence < greetingSure {
			continue
		}
		q, _, _ := c.classifyNorm(rest, lang, distress)
		if !questionIntents[q.Intent] {
			continue
		}
		if q.Confidence >= greetingSure && (!found || q.Confidence > best.Confidence) {
			best, found = q, true
		}
	}
	return best, found
}

// questionIntents are the intents a question after a greeting may have.
var questionIntents = map[string]bool{
	"for_whom": true, "what_help": true, "opening_hours": true, "contact": true,
	"procedure": true, "costs": true, "privacy": true, "client_support": true,
}

// A greeting opens a message in at most this many words; it and the
// question after it must each be this likely on their own.
const (
	maxGreetingWords = 3
	greetingSure     = 0.8
)

// The runner-up after a greeting is looked into when it is this likely.
const greetingNext = 0.05

// top3 returns the indexes of the three highest values (-1 when fewer).
func top3(p []float64) (a, b, c int) {
	a, b, c = -1, -1, -1
	for i, v := range p {
		switch {
		case a < 0 || v > p[a]:
			a, b, c = i, a, b
		case b < 0 || v > p[b]:
			b, c = i, b
		case c < 0 || v > p[c]:
			c = i
		}
	}
	return a, b, c
}

// Distress reports whether text shows distress that is not an emergency.
func (c *Classifier) Distress(text string) bool {
	hit, _ := c.crisis.distress.match(features.Normalize(text))
	return hit
}

// IsCrisis reports whether text contains a crisis phrase.
func (c *Classifier) IsCrisis(text string) bool {
	hit, _ := c.crisis.match(features.Normalize(text))
	return hit
}

// Labels returns the intents the classifier can return.
func (c *Classifier) Labels() []string {
	return append([]string(nil), c.labels...)
}
