// Command gen trains the intent model from knowledge/intents.yaml and writes
// the weights the intent package embeds. It also copies
// knowledge/crisis.yaml next to them, because go:embed cannot reach a parent
// directory. Run it through `go generate ./knowledge/...`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/knowledge/intent/train"
)

// CrisisHeader starts the copy of crisis.yaml, so nobody edits the copy.
const crisisHeader = "# GENERATED from knowledge/crisis.yaml by `go generate ./knowledge/...`. Edit that file, not this copy.\n"

func main() {
	in := flag.String("in", "../intents.yaml", "training data")
	out := flag.String("out", "model.bin", "weights file to write")
	crisisIn := flag.String("crisis-in", "../crisis.yaml", "crisis patterns")
	crisisOut := flag.String("crisis-out", "crisis_gen.yaml", "embedded copy of the crisis patterns")
	lexOut := flag.String("lexicon-out", "lexicon_gen.yaml", "words that tell Turkish, Arabic and Polish apart")
	calib := flag.String("calibrate", "", "comma-separated held-out question files (never trained on) to fit the temperature on")
	flag.Parse()
	var calibFiles []string
	if *calib != "" {
		calibFiles = strings.Split(*calib, ",")
	}
	if err := run(*in, *out, *crisisIn, *crisisOut, *lexOut, calibFiles); err != nil {
		log.Fatal(err)
	}
}

func run(in, out, crisisIn, crisisOut, lexOut string, calibFiles []string) error {
	crisis, err := os.ReadFile(crisisIn)
	if err != nil {
		return fmt.Errorf("read crisis patterns: %w", err)
	}
	if err := writeIfChanged(crisisOut, append([]byte(crisisHeader), crisis...)); err != nil {
		return err
	}

	exs, sum, err := train.LoadFile(in)
	if err != nil {
		return err
	}
	lex, err := train.MarshalLexicon(train.Lexicon(exs))
	if err != nil {
		return err
	}
	if err := writeIfChanged(lexOut, lex); err != nil {
		return err
	}
	var calib []train.Example
	calibSum := ""
	if len(calibFiles) > 0 {
		if calib, calibSum, err = train.LoadHeldOut(calibFiles); err != nil {
			return err
		}
	}
	start := time.Now()
	m, err := train.Fit(train.Default, exs, sum, calib)
	if err != nil {
		return err
	}
	m.CalibSHA256 = calibSum
	m.Examples = len(exs)
	data, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := writeIfChanged(out, data); err != nil {
		return err
	}
	log.Printf("intent model: %d examples, %d features, %d bytes, temperature %.3f (fitted on %d held-out questions), threshold %.2f, min coverage %.2f, validation accuracy %.3f (%d), train accuracy %.3f, trained in %v",
		len(exs), len(m.Features), len(data), m.Temperature, len(calib), m.Threshold, m.MinCoverage, m.ValAccuracy, m.ValExamples, m.TrainAccuracy, time.Since(start).Round(time.Millisecond))
	return nil
}

// writeIfChanged keeps the file's mtime when the content is the same, so
// regenerating does not dirty the build cache for nothing.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
