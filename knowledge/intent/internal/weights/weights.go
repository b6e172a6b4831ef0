// Package weights is the on-disk form of a trained intent model: a small
// JSON header (labels, training config, source hashes, threshold) and the
// weights as little-endian float32.
//
// The model is an embedding bag followed by one linear layer. Because mean
// pooling and the linear layer are both linear, logits = W·mean(E[f]) + b =
// mean(W·E[f]) + b, so the file stores each feature row already projected
// onto the labels (W·E[f]). Inference is then a sum of a few short rows.
package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/wotschiedam/wotbot/knowledge/intent/internal/features"
)

const magic = "WOTINTENT1\n"

// TrainConfig is everything besides the data that decides the weights.
type TrainConfig struct {
	Features features.Config `json:"features"`
	Dim      int             `json:"dim"`
	Epochs   int             `json:"epochs"`
	Batch    int             `json:"batch"`
	LR       float64         `json:"lr"`
	Seed     uint64          `json:"seed"`
	Dropout  float64         `json:"feature_dropout"`
	Ensemble int             `json:"ensemble"`  // models averaged, each with its own seed
	ValEvery int             `json:"val_every"` // every n-th example of an intent is validation data when tuning the threshold
}

// Header describes a model file.
type Header struct {
	Labels      []string    `json:"labels"`
	Config      TrainConfig `json:"config"`
	DataSHA256  string      `json:"data_sha256"` // of intents.yaml
	Threshold   float64     `json:"threshold"`   // below this confidence: out_of_scope
	MinCoverage float64     `json:"min_coverage"`
	// Temperature divides the logits before the softmax, so that the
	// confidence is a probability (fitted on held-back training data);
	// 0 means 1.
	Temperature float64 `json:"temperature,omitempty"`
	// CalibSHA256 is the SHA-256 of the held-out questions the temperature
	// was fitted on, when it was fitted on such (see train.LoadHeldOut).
	CalibSHA256   string  `json:"calib_sha256,omitempty"`
	Examples      int     `json:"examples"`
	ValAccuracy   float64 `json:"val_accuracy"`
	ValExamples   int     `json:"val_examples"`
	TrainAccuracy float64 `json:"train_accuracy"`
}

// Model is a trained model.
type Model struct {
	Header
	Features []uint32  // sorted feature ids seen in training
	Rows     []float32 // len(Features)*len(Labels): W·E[f] per feature
	Bias     []float32 // len(Labels)
}

// Marshal encodes m.
func (m *Model) Marshal() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	h, err := json.Marshal(m.Header)
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(magic)
	writeU32(&b, uint32(len(h)))
	b.Write(h)
	writeU32(&b, uint32(len(m.Features)))
	for _, f := range m.Features {
		writeU32(&b, f)
	}
	for _, x := range m.Rows {
		writeU32(&b, math.Float32bits(x))
	}
	for _, x := range m.Bias {
		writeU32(&b, math.Float32bits(x))
	}
	return b.Bytes(), nil
}

// Unmarshal decodes a model written by Marshal.
func Unmarshal(data []byte) (*Model, error) {
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, errors.New("not an intent model file")
	}
	r := bytes.NewReader(data[len(magic):])
	n, err := readU32(r)
	if err != nil {
		return nil, fmt.Errorf("read header size: %w", err)
	}
	if int(n) > r.Len() {
		return nil, errors.New("truncated header")
	}
	h := make([]byte, n)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	m := &Model{}
	if err := json.Unmarshal(h, &m.Header); err != nil {
		return nil, fmt.Errorf("decode header: %w", err)
	}
	nf, err := readU32(r)
	if err != nil {
		return nil, fmt.Errorf("read feature count: %w", err)
	}
	nl := len(m.Labels)
	want := (int(nf) + int(nf)*nl + nl) * 4
	if r.Len() != want {
		return nil, fmt.Errorf("weights: %d bytes, want %d", r.Len(), want)
	}
	rest := data[len(data)-want:]
	u32 := func(i int) uint32 { return binary.LittleEndian.Uint32(rest[4*i:]) }
	m.Features = make([]uint32, nf)
	for i := range m.Features {
		m.Features[i] = u32(i)
	}
	m.Rows = make([]float32, int(nf)*nl)
	for i := range m.Rows {
		m.Rows[i] = math.Float32frombits(u32(int(nf) + i))
	}
	m.Bias = make([]float32, nl)
	for i := range m.Bias {
		m.Bias[i] = math.Float32frombits(u32(int(nf) + len(m.Rows) + i))
	}
	return m, m.check()
}

func (m *Model) check() error {
	nl := len(m.Labels)
	switch {
	case nl == 0:
		return errors.New("model has no labels")
	case len(m.Bias) != nl:
		return fmt.Errorf("bias has %d values for %d labels", len(m.Bias), nl)
	case len(m.Rows) != len(m.Features)*nl:
		return fmt.Errorf("%d row values for %d features × %d labels", len(m.Rows), len(m.Features), nl)
	case !slices.IsSorted(m.Features):
		return errors.New("feature ids not sorted")
	case m.Config.Features.Buckets == 0:
		return errors.New("feature config has no buckets")
	}
	return nil
}

func writeU32(b *bytes.Buffer, v uint32) {
	var x [4]byte
	binary.LittleEndian.PutUint32(x[:], v)
	b.Write(x[:])
}

func readU32(r io.Reader) (uint32, error) {
	var x [4]byte
	if _, err := io.ReadFull(r, x[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(x[:]), nil
}
