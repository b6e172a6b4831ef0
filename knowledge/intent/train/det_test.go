package train

import (
	"slices"
	"testing"
)

// The fixture test in package intent is too small to catch rare races in
// spago's concurrent backward pass; this one trains on the real data (two
// short runs are enough to have caught losses.CrossEntropy's).
func TestTrainingOnFullDataIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the full data")
	}
	exs, _, err := LoadFile("../../intents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Default
	cfg.Ensemble = 1
	cfg.Epochs = 2
	var first []float32
	for i := range 3 {
		m, err := Train(cfg, exs)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = m.Rows
		} else if !slices.Equal(first, m.Rows) {
			t.Fatalf("training run %d gave other weights than run 0", i)
		}
	}
}
