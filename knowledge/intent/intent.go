// Package intent labels a resident's message with one of the bot's intents.
//
// A crisis safety net (phrases in knowledge/crisis.yaml) runs first; then a
// small neural model (an embedding bag over hashed word and character
// n-grams, trained with spago by the generator in ./gen) scores the intents.
// Uncertain or unreadable input becomes out_of_scope. The model weights are
// generated: after changing knowledge/intents.yaml or knowledge/crisis.yaml,
// run `go generate ./knowledge/...`; a test fails while they are stale.
package intent

//go:generate go run ./gen -in ../intents.yaml -out model.bin -crisis-in ../crisis.yaml -crisis-out crisis_gen.yaml -lexicon-out lexicon_gen.yaml

import (
	_ "embed"
	"fmt"

	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/knowledge/intent/internal/features"
	"github.com/wotschiedam/wotbot/knowledge/intent/internal/weights"
)

// Intents that other packages match on.
const (
	Crisis     = "crisis"
	OutOfScope = "out_of_scope"
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

var _ dialog.Classifier = (*Classifier)(nil)

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

// Classify labels text. A crisis phrase wins over everything else, with
// confidence 1. Input the model is unsure about, or cannot read at all
// (empty, emoji only, gibberish), is out_of_scope.
func (c *Classifier) Classify(text string) dialog.Classification {
	norm := features.Normalize(text)
	lang := detectLang(text, norm, c.lexicon)
	if hit, phraseLang := c.crisis.match(norm); hit {
		// Words of distress are rarely function words: the phrase's own
		// language tells when nothing else does.
		if lang == "" {
			lang = phraseLang
		}
		return dialog.Classification{Intent: Crisis, Confidence: 1, Lang: lang, Keyword: true}
	}
	set := c.feat.Extract(norm)
	if len(set.IDs) == 0 {
		return dialog.Classification{Intent: OutOfScope, Confidence: 1, Lang: lang}
	}
	r := c.scorer.Score(set, nil)
	if r.Known == 0 || r.Coverage < c.minCoverage {
		return dialog.Classification{Intent: OutOfScope, Confidence: 1 - r.Coverage, Lang: lang}
	}
	if r.Confidence < c.threshold {
		return dialog.Classification{Intent: OutOfScope, Confidence: 1 - r.Confidence, Lang: lang}
	}
	return dialog.Classification{Intent: c.labels[r.Label], Confidence: r.Confidence, Lang: lang}
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
