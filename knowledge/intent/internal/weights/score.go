package weights

import (
	"math"

	"github.com/wotschiedam/wotbot/knowledge/intent/internal/features"
)

// Scorer runs a model. It is safe for concurrent use.
type Scorer struct {
	m *Model
	// slots map a feature id to its row: an open-addressing table at most
	// half full. A feature not in it was never seen in training and is left
	// out of the mean. A dense table over all buckets would make a lookup
	// one load, but costs 4 MB at 2^20 buckets to build at every Load, and
	// misses the cache more often than this one of about 1 MB.
	slots []slot
	mask  uint32
}

type slot struct {
	key uint32 // feature id + 1; 0 is empty
	row int32
}

// NewScorer prepares m for scoring.
func NewScorer(m *Model) *Scorer {
	size := 16
	for size < 2*len(m.Features) {
		size <<= 1
	}
	s := &Scorer{m: m, slots: make([]slot, size), mask: uint32(size - 1)}
	for i, f := range m.Features {
		for j := hashID(f) & s.mask; ; j = (j + 1) & s.mask {
			if s.slots[j].key == 0 {
				s.slots[j] = slot{key: f + 1, row: int32(i)}
				break
			}
		}
	}
	return s
}

func hashID(f uint32) uint32 { return f * 2654435761 }

// row returns the row of feature f, or -1 when training never saw it.
func (s *Scorer) row(f uint32) int {
	for j := hashID(f) & s.mask; ; j = (j + 1) & s.mask {
		switch s.slots[j].key {
		case 0:
			return -1
		case f + 1:
			return int(s.slots[j].row)
		}
	}
}

// Model returns the scored model.
func (s *Scorer) Model() *Model { return s.m }

// Result is what the model makes of one message.
type Result struct {
	Label      int     // index into Labels
	Confidence float64 // softmax probability of Label
	Coverage   float64 // share of character n-grams seen in training
	Known      int     // number of known features
}

// Score returns the most probable label for a feature set. probs, when
// not nil, receives the full distribution (len(Labels)).
func (s *Scorer) Score(set features.Set, probs []float64) Result {
	nl := len(s.m.Labels)
	var acc [64]float32
	sum := acc[:nl]
	if nl > len(acc) {
		sum = make([]float32, nl)
	}
	var known, knownChars int
	if s.m.Config.Features.TwoBags {
		var tacc [64]float32
		terms := tacc[:nl]
		if nl > len(tacc) {
			terms = make([]float32, nl)
		}
		knownTerms := s.add(terms, set.Terms)
		knownChars = s.add(sum, set.Chars)
		for j := range sum {
			if knownChars > 0 {
				sum[j] /= float32(knownChars)
			}
			if knownTerms > 0 {
				sum[j] += terms[j] / float32(knownTerms)
			}
		}
		known = knownTerms + knownChars
	} else {
		known = s.add(sum, set.IDs)
		for _, f := range set.Chars {
			if s.row(f) >= 0 {
				knownChars++
			}
		}
		for j := range sum {
			if known > 0 {
				sum[j] /= float32(known)
			}
		}
	}
	res := Result{Known: known}
	if len(set.Chars) > 0 {
		res.Coverage = float64(knownChars) / float64(len(set.Chars))
	}
	// Softmax over mean(rows) + bias, in float64 for a stable confidence.
	var lg [64]float64
	logits := lg[:nl]
	if nl > len(lg) {
		logits = make([]float64, nl)
	}
	maxv := math.Inf(-1)
	invT := 1.0
	if s.m.Temperature > 0 {
		invT = 1 / s.m.Temperature
	}
	for j := range logits {
		v := (float64(s.m.Bias[j]) + float64(sum[j])) * invT
		logits[j] = v
		if v > maxv {
			maxv = v
			res.Label = j
		}
	}
	total := 0.0
	for j, v := range logits {
		e := math.Exp(v - maxv)
		logits[j] = e
		total += e
	}
	res.Confidence = 1 / total
	if probs != nil {
		for j := range logits {
			probs[j] = logits[j] / total
		}
	}
	return res
}

// add sums the rows of the known features in ids into sum and returns how
// many were known.
func (s *Scorer) add(sum []float32, ids []uint32) int {
	nl := len(sum)
	known := 0
	for _, f := range ids {
		r := s.row(f)
		if r < 0 {
			continue
		}
		known++
		row := s.m.Rows[r*nl : (r+1)*nl]
		for j, v := range row {
			sum[j] += v
		}
	}
	return known
}
