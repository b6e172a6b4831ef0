package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// questions are the held-out questions in every language: realistic
// traffic the model never saw.
func questions(b *testing.B) []string {
	b.Helper()
	var out []string
	for _, f := range []string{"heldout.yaml", "heldout.tr.yaml", "heldout.ar.yaml", "heldout.pl.yaml"} {
		data, err := os.ReadFile("../../knowledge/testdata/" + f)
		if err != nil {
			b.Fatal(err)
		}
		var rows []struct{ Text string }
		if err := yaml.Unmarshal(data, &rows); err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, r.Text)
		}
	}
	return out
}

// BenchmarkAsk is classify + answer for one question, as `ask` does it. It
// reports the median and p99 of the single questions besides the mean.
func BenchmarkAsk(b *testing.B) {
	c, err := newCore(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	qs := questions(b)
	now := time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		c.ask(qs[i%len(qs)], "", now)
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkAskBatch is `ask --json --batch` in process: questions per second.
func BenchmarkAskBatch(b *testing.B) {
	c, err := newCore(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	var in bytes.Buffer
	for _, q := range questions(b) {
		line, _ := json.Marshal(askLine{Text: q, Now: "2026-11-26T17:00:00+01:00"})
		in.Write(line)
		in.WriteByte('\n')
	}
	n := strings.Count(in.String(), "\n")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var out bytes.Buffer
		if err := c.askBatch(context.Background(), bytes.NewReader(in.Bytes()), &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "questions/s")
}

// BenchmarkAskProcess is `wotbot ask` from process start to answer.
func BenchmarkAskProcess(b *testing.B) {
	for i := 0; i < b.N; i++ {
		out, err := exec.Command(binary, "ask", "zijn jullie nu open?").Output()
		if err != nil || len(out) == 0 {
			b.Fatalf("ask: %v %q", err, out)
		}
	}
}

// FuzzAskLine feeds arbitrary bytes to the ask --batch line parser and the
// message path behind it: every line must give one well-formed answer.
func FuzzAskLine(f *testing.F) {
	c, err := newCore(os.Getenv)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{`{"text": "zijn jullie nu open?"}`, `{"text": "x", "lang": "en", "now": "2026-11-26T17:00:00+01:00"}`,
		`{"text": 5}`, `not json`, `{"now": "gisteren"}`, `{"text": "\u0000\u202e😀"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		res := c.askJSONLine(line)
		if res.Error == "" && (res.Answer == "" || res.Intent == "") {
			t.Fatalf("line %q: answer %+v", line, res)
		}
		if res.Lang != "nl" && res.Lang != "en" {
			t.Fatalf("line %q: lang %q", line, res.Lang)
		}
	})
}
