// Package train fits the intent model with spago: an embedding bag over
// hashed word and character n-gram features, mean-pooled, then a linear
// layer and softmax. It runs only in the generator and in tests; the bot
// itself runs the exported weights in plain Go (package intent).
package train

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/initializers"
	"github.com/nlpodyssey/spago/mat"
	"github.com/nlpodyssey/spago/mat/float"
	"github.com/nlpodyssey/spago/mat/rand"
	"github.com/nlpodyssey/spago/nn"
	"github.com/nlpodyssey/spago/nn/embedding"
	"github.com/nlpodyssey/spago/nn/linear"
	"github.com/nlpodyssey/spago/optimizers/adam"
	"gopkg.in/yaml.v3"

	"github.com/wotschiedam/wotbot/knowledge/intent/internal/features"
	"github.com/wotschiedam/wotbot/knowledge/intent/internal/weights"
	"github.com/wotschiedam/wotbot/knowledge/label"
)

// Labels are the intents, in the order the model scores them.
var Labels = label.All()

// OutOfScope is the label uncertain input falls back to.
const OutOfScope = label.OutOfScope

// Default is the configuration of the shipped model.
var Default = weights.TrainConfig{
	Features: features.Default,
	Dim:      32,
	Epochs:   20,
	Batch:    1,
	LR:       0.01,
	Seed:     20240601,
	Dropout:  0.3,
	ValEvery: 5,
	Ensemble: 4,
}

// Example is one labelled training sentence.
type Example struct {
	Text   string
	Intent string
	Lang   string
}

// LoadFile reads intents.yaml and returns its examples in file order, with
// the SHA-256 of the file.
func LoadFile(path string) ([]Example, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read training data: %w", err)
	}
	exs, err := Parse(data)
	if err != nil {
		return nil, "", fmt.Errorf("parse %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	return exs, hex.EncodeToString(sum[:]), nil
}

// LoadHeldOut reads held-out questions (a list of {text, intent, lang}),
// file after file, and returns them with the SHA-256 of the files' contents
// in that order.
func LoadHeldOut(paths []string) ([]Example, string, error) {
	h := sha256.New()
	var exs []Example
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, "", fmt.Errorf("read held-out questions: %w", err)
		}
		h.Write(data)
		var items []struct{ Text, Intent, Lang string }
		if err := yaml.Unmarshal(data, &items); err != nil {
			return nil, "", fmt.Errorf("parse %s: %w", p, err)
		}
		for _, it := range items {
			if !slices.Contains(Labels, it.Intent) {
				return nil, "", fmt.Errorf("%s: unknown intent %q", p, it.Intent)
			}
			exs = append(exs, Example{Text: it.Text, Intent: it.Intent, Lang: it.Lang})
		}
	}
	return exs, hex.EncodeToString(h.Sum(nil)), nil
}

// Languages are the example lists of an intent in intents.yaml, in the
// order examples are read.
var Languages = []string{"nl", "en", "tr", "ar", "pl"}

// Parse decodes intents.yaml: a list of {intent, nl: [...], en: [...],
// tr: [...], ar: [...], pl: [...]}.
func Parse(data []byte) ([]Example, error) {
	var doc []struct {
		Intent string   `yaml:"intent"`
		NL     []string `yaml:"nl"`
		EN     []string `yaml:"en"`
		TR     []string `yaml:"tr"`
		AR     []string `yaml:"ar"`
		PL     []string `yaml:"pl"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var exs []Example
	for _, d := range doc {
		if !label.Known(d.Intent) {
			return nil, fmt.Errorf("unknown intent %q", d.Intent)
		}
		for i, list := range [][]string{d.NL, d.EN, d.TR, d.AR, d.PL} {
			for _, t := range list {
				exs = append(exs, Example{Text: t, Intent: d.Intent, Lang: Languages[i]})
			}
		}
	}
	if len(exs) == 0 {
		return nil, fmt.Errorf("no examples")
	}
	return exs, nil
}

// Fit tunes the out-of-scope threshold on a validation slice of exs (every
// ValEvery-th example of each intent), then trains the final model on all
// of exs. With calib, questions written apart from exs and never trained
// on, the temperature is fitted on the final model's answers to them;
// without, on the validation slice.
func Fit(cfg weights.TrainConfig, exs []Example, dataSHA string, calib []Example) (*weights.Model, error) {
	var fitSet, valSet []Example
	seen := map[string]int{}
	for _, e := range exs {
		seen[e.Intent]++
		if cfg.ValEvery > 0 && seen[e.Intent]%cfg.ValEvery == 0 {
			valSet = append(valSet, e)
		} else {
			fitSet = append(fitSet, e)
		}
	}
	m, err := Train(cfg, exs)
	if err != nil {
		return nil, fmt.Errorf("train on all examples: %w", err)
	}
	threshold, minCov, valAcc, temp := 0.0, 0.0, 0.0, 1.0
	if len(calib) > 0 {
		temp = FitTemperature(m, calib)
	}
	if len(valSet) > 0 {
		fm, err := Train(cfg, fitSet)
		if err != nil {
			return nil, fmt.Errorf("train on fit slice: %w", err)
		}
		if len(calib) == 0 {
			temp = FitTemperature(fm, valSet)
		}
		fm.Temperature = temp
		threshold, minCov, valAcc = tune(weights.NewScorer(fm), cfg, valSet)
	}
	m.DataSHA256 = dataSHA
	m.Temperature = temp
	m.Threshold = threshold
	m.MinCoverage = minCov
	m.ValAccuracy = valAcc
	m.ValExamples = len(valSet)
	m.TrainAccuracy = Accuracy(weights.NewScorer(m), cfg, exs, 0, 0)
	return m, nil
}

// Predict labels text the way the classifier does, without the crisis net.
func Predict(s *weights.Scorer, text string, threshold, minCov float64) (string, weights.Result) {
	set := s.Model().Config.Features.Extract(features.Normalize(text))
	r := s.Score(set, nil)
	label := s.Model().Labels[r.Label]
	if r.Known == 0 || r.Confidence < threshold || r.Coverage < minCov {
		label = OutOfScope
	}
	return label, r
}

// Accuracy is the share of exs that Predict gets right.
func Accuracy(s *weights.Scorer, cfg weights.TrainConfig, exs []Example, threshold, minCov float64) float64 {
	if len(exs) == 0 {
		return 0
	}
	ok := 0
	for _, e := range exs {
		if l, _ := Predict(s, e.Text, threshold, minCov); l == e.Intent {
			ok++
		}
	}
	return float64(ok) / float64(len(exs))
}

// tune picks the confidence threshold and minimum n-gram coverage that do
// best on the validation slice plus seeded random gibberish (which must come
// out as out_of_scope). Within the best plateau it takes the middle, which
// is more robust than an edge.
func tune(s *weights.Scorer, cfg weights.TrainConfig, val []Example) (threshold, minCov, acc float64) {
	val = append(slices.Clip(val), gibberish(cfg.Seed, len(val)/10+5)...)
	type pred struct {
		label string
		r     weights.Result
		gold  string
	}
	preds := make([]pred, len(val))
	for i, e := range val {
		l, r := Predict(s, e.Text, 0, 0)
		preds[i] = pred{l, r, e.Intent}
	}
	best := -1.0
	for _, mc := range []float64{0, 0.1, 0.2, 0.3, 0.4} {
		var accs []float64
		for t := 0; t <= 90; t++ {
			th := float64(t) / 100
			ok := 0
			for _, p := range preds {
				l := p.label
				if p.r.Confidence < th || p.r.Coverage < mc {
					l = OutOfScope
				}
				if l == p.gold {
					ok++
				}
			}
			accs = append(accs, float64(ok)/float64(len(preds)))
		}
		top := slices.Max(accs)
		if top <= best+1e-9 {
			continue
		}
		best = top
		first := slices.Index(accs, top)
		last := first
		for last+1 < len(accs) && accs[last+1] == top {
			last++
		}
		threshold = float64((first+last)/2) / 100
		minCov = mc
	}
	return threshold, minCov, best
}

// FitTemperature finds the temperature that makes the model's softmax a
// probability (temperature scaling, Guo et al. 2017): the one with the
// least negative log-likelihood of the right intent on exs, which must be
// examples the model was not trained on.
func FitTemperature(m *weights.Model, exs []Example) float64 {
	type item struct {
		logits []float64
		label  int
	}
	nl := len(m.Labels)
	saved := m.Temperature
	m.Temperature = 1
	s := weights.NewScorer(m)
	var items []item
	probs := make([]float64, nl)
	for _, e := range exs {
		label := slices.Index(m.Labels, e.Intent)
		set := m.Config.Features.Extract(features.Normalize(e.Text))
		if label < 0 || len(set.IDs) == 0 {
			continue
		}
		s.Score(set, probs)
		lg := make([]float64, nl)
		for j, p := range probs {
			lg[j] = math.Log(max(p, 1e-300)) // log-softmax: logits up to a constant
		}
		items = append(items, item{lg, label})
	}
	m.Temperature = saved
	nll := func(t float64) float64 {
		sum := 0.0
		for _, it := range items {
			maxv := slices.Max(it.logits) / t
			z := 0.0
			for _, v := range it.logits {
				z += math.Exp(v/t - maxv)
			}
			sum -= it.logits[it.label]/t - maxv - math.Log(z)
		}
		return sum
	}
	best, bestNLL := 1.0, math.Inf(1)
	for t := 0.5; t <= 6.0001; t += 0.05 {
		if v := nll(t); v < bestNLL-1e-12 {
			best, bestNLL = t, v
		}
	}
	return math.Round(best*1000) / 1000
}

// gibberish makes n seeded random letter strings.
func gibberish(seed uint64, n int) []Example {
	r := rand.NewLockedRand(seed + 7)
	const letters = "bcdfghjklmnpqrstvwxzaeiouyqxzkj"
	out := make([]Example, n)
	for i := range out {
		words := 1 + r.Intn(3)
		var b []byte
		for w := 0; w < words; w++ {
			if w > 0 {
				b = append(b, ' ')
			}
			for k := 4 + r.Intn(6); k > 0; k-- {
				b = append(b, letters[r.Intn(len(letters))])
			}
		}
		out[i] = Example{Text: string(b), Intent: OutOfScope}
	}
	return out
}

// net is the spago model being trained.
type net struct {
	nn.Module
	Emb *embedding.Model
	Out *linear.Model
}

// Train fits a model on exs, deterministically for a given cfg and order
// of exs. The result has no threshold set (see Fit).
//
// With cfg.Ensemble > 1 it trains that many models with consecutive seeds
// and averages their exported rows. The logits are linear in the rows, so
// the average is exactly the ensemble's mean logits, at the run-time cost
// of one model.
func Train(cfg weights.TrainConfig, exs []Example) (*weights.Model, error) {
	n := max(cfg.Ensemble, 1)
	var avg *weights.Model
	for k := range n {
		c := cfg
		c.Seed = cfg.Seed + uint64(k)
		m, err := trainOne(c, exs)
		if err != nil {
			return nil, fmt.Errorf("ensemble member %d: %w", k, err)
		}
		if avg == nil {
			avg = m
			avg.Config = cfg
			continue
		}
		if !slices.Equal(avg.Features, m.Features) {
			return nil, fmt.Errorf("ensemble member %d has other features", k)
		}
		for i, v := range m.Rows {
			avg.Rows[i] += v
		}
		for i, v := range m.Bias {
			avg.Bias[i] += v
		}
	}
	for i := range avg.Rows {
		avg.Rows[i] /= float32(n)
	}
	for i := range avg.Bias {
		avg.Bias[i] /= float32(n)
	}
	return avg, nil
}

func trainOne(cfg weights.TrainConfig, exs []Example) (*weights.Model, error) {
	if len(exs) == 0 {
		return nil, fmt.Errorf("no training examples")
	}
	if cfg.Dim <= 0 || cfg.Epochs <= 0 || cfg.Batch <= 0 || cfg.LR <= 0 || cfg.Features.Buckets == 0 {
		return nil, fmt.Errorf("invalid training config %+v", cfg)
	}
	// Forward ops would otherwise run in goroutines; synchronous execution
	// keeps training reproducible (and is faster for graphs this small).
	ag.SetForceSyncExecution(true)

	// Feature ids → dense embedding rows, numbered in order of first
	// appearance so the numbering is deterministic.
	rowOf := map[uint32]int{}
	var ids []uint32
	type sample struct {
		bags  [][]int // embedding rows per bag; the pooled vector sums the bag means
		label int
	}
	samples := make([]sample, 0, len(exs))
	toRows := func(fs []uint32) []int {
		rows := make([]int, len(fs))
		for i, f := range fs {
			r, ok := rowOf[f]
			if !ok {
				r = len(ids)
				rowOf[f] = r
				ids = append(ids, f)
			}
			rows[i] = r
		}
		return rows
	}
	for _, e := range exs {
		label := slices.Index(Labels, e.Intent)
		if label < 0 {
			return nil, fmt.Errorf("unknown intent %q", e.Intent)
		}
		set := cfg.Features.Extract(features.Normalize(e.Text))
		if len(set.IDs) == 0 {
			continue // nothing to learn from ("👍")
		}
		bags := [][]uint32{set.IDs}
		if cfg.Features.TwoBags {
			bags = [][]uint32{set.Terms, set.Chars}
		}
		smp := sample{label: label}
		for _, b := range bags {
			if len(b) > 0 {
				smp.bags = append(smp.bags, toRows(b))
			}
		}
		samples = append(samples, smp)
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("no example has features")
	}

	rng := rand.NewLockedRand(cfg.Seed)
	nl := len(Labels)
	m := &net{
		Emb: embedding.New[float32](len(ids), cfg.Dim),
		Out: linear.New[float32](cfg.Dim, nl),
	}
	bound := 1 / float64(cfg.Dim)
	row := make([]float32, cfg.Dim)
	for _, p := range m.Emb.Weights {
		for j := range row {
			row[j] = float32((rng.Float64()*2 - 1) * bound)
		}
		p.SetData(float.Make(row...))
	}
	initializers.XavierUniform(m.Out.W, 1, rng)

	opt := adam.New(adam.NewDefaultConfig())
	opt.StepSize = cfg.LR
	opt.TimeStep = 0
	opt.IncExample()

	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	var kept []int
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for bi, si := range order {
			s := samples[si]
			// Each row occurs once per example, so every parameter gets
			// exactly one gradient per backward pass: the result does not
			// depend on the order spago's backward goroutines finish in.
			var pooled mat.Tensor
			for _, rows := range s.bags {
				kept = kept[:0]
				for _, r := range rows {
					if cfg.Dropout == 0 || rng.Float64() >= cfg.Dropout {
						kept = append(kept, r)
					}
				}
				if len(kept) == 0 {
					kept = append(kept, rows[rng.Intn(len(rows))])
				}
				vecs := m.Emb.MustEncode(kept)
				avg := mat.NewDense[float32](mat.WithShape(len(kept), 1), mat.WithBacking(fill(len(kept), 1/float32(len(kept)))))
				mean := ag.MulT(ag.Stack(vecs...), avg)
				if pooled == nil {
					pooled = mean
				} else {
					pooled = ag.Add(pooled, mean)
				}
			}
			logits := ag.Affine(m.Out.B, m.Out.W, pooled)
			// -log softmax(logits)[label], built as a chain in which every
			// node has one consumer. losses.CrossEntropy reads the logits
			// twice, and spago's concurrent backward pass then made runs
			// differ in the last bits.
			loss := ag.Neg(ag.Log(ag.At(ag.Softmax(logits), s.label)))
			if err := ag.Backward(loss); err != nil {
				return nil, fmt.Errorf("backward: %w", err)
			}
			if (bi+1)%cfg.Batch == 0 || bi == len(order)-1 {
				if err := step(m, opt); err != nil {
					return nil, err
				}
			}
		}
	}
	return export(m, ids, cfg)
}

// step applies one optimiser update, parameter by parameter in a fixed
// order (optimizers.Optimize would run them in goroutines).
func step(m *net, opt *adam.Adam) error {
	var params []*nn.Param
	nn.ForEachParam(m, func(p *nn.Param) {
		if p.HasGrad() {
			params = append(params, p)
		}
	})
	for _, p := range params {
		if err := opt.OptimizeParams(p); err != nil {
			return fmt.Errorf("optimise: %w", err)
		}
	}
	m.Emb.ZeroGrad()
	opt.IncExample()
	return nil
}

func fill(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// export projects every embedding row onto the labels (W·E[f]) and sorts
// the rows by feature id.
func export(m *net, ids []uint32, cfg weights.TrainConfig) (*weights.Model, error) {
	nl := len(Labels)
	w := m.Out.W.Data().F64() // nl × dim, row-major
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(ids[a]) - int(ids[b]) })
	out := &weights.Model{
		Header:   weights.Header{Labels: slices.Clone(Labels), Config: cfg, Examples: 0},
		Features: make([]uint32, len(ids)),
		Rows:     make([]float32, len(ids)*nl),
		Bias:     make([]float32, nl),
	}
	for k, i := range order {
		out.Features[k] = ids[i]
		e := m.Emb.Weights[i].Data().F64()
		for j := 0; j < nl; j++ {
			var v float64
			for d := 0; d < cfg.Dim; d++ {
				v += w[j*cfg.Dim+d] * e[d]
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("training diverged (feature %d)", ids[i])
			}
			out.Rows[k*nl+j] = float32(v)
		}
	}
	for j, b := range m.Out.B.Data().F64() {
		out.Bias[j] = float32(b)
	}
	return out, nil
}

// LexiconLanguages are the languages whose words the lexicon lists.
var LexiconLanguages = []string{"tr", "ar", "pl"}

// Lexicon lists, per language of LexiconLanguages, the normalised words
// that occur in that language's examples and in no other language's: the
// words that tell a Turkish, Arabic or Polish message from the rest.
// Dutch words residents mix in ("wot", "afspraak", "uitkering") occur in
// several languages' examples and so tell nothing.
func Lexicon(exs []Example) map[string][]string {
	langsOf := map[string]map[string]bool{}
	for _, e := range exs {
		for _, w := range strings.Fields(features.Normalize(e.Text)) {
			if len(w) < 2 || strings.Trim(w, "0123456789") == "" {
				continue
			}
			if langsOf[w] == nil {
				langsOf[w] = map[string]bool{}
			}
			langsOf[w][e.Lang] = true
		}
	}
	out := map[string][]string{}
	for w, ls := range langsOf {
		if len(ls) != 1 {
			continue
		}
		for l := range ls {
			if slices.Contains(LexiconLanguages, l) {
				out[l] = append(out[l], w)
			}
		}
	}
	for _, l := range LexiconLanguages {
		slices.Sort(out[l])
	}
	return out
}

// MarshalLexicon writes the lexicon as the YAML file the classifier embeds.
func MarshalLexicon(lex map[string][]string) ([]byte, error) {
	var b strings.Builder
	b.WriteString("# GENERATED from knowledge/intents.yaml by `go generate ./knowledge/...`: the words\n")
	b.WriteString("# that occur in the examples of one of these languages and of no other.\n")
	for _, l := range LexiconLanguages {
		data, err := yaml.Marshal(map[string][]string{l: lex[l]})
		if err != nil {
			return nil, fmt.Errorf("encode lexicon: %w", err)
		}
		b.Write(data)
	}
	return []byte(b.String()), nil
}
