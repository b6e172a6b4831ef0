package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// resident is one question of the held-out split knowledge/testdata/residents.yaml.
type resident struct {
	Text     string   `yaml:"text"`
	Intent   string   `yaml:"intent"`
	Lang     string   `yaml:"lang"`
	Aspect   string   `yaml:"aspect"`
	Contains []string `yaml:"contains"`
	Distress bool     `yaml:"distress"`
}

const residentsPath = "../../knowledge/testdata/residents.yaml"

func loadResidents(t testing.TB) []resident {
	t.Helper()
	data, err := os.ReadFile(residentsPath)
	if err != nil {
		t.Fatal(err)
	}
	var rs []resident
	if err := yaml.Unmarshal(data, &rs); err != nil {
		t.Fatalf("parse %s: %v", residentsPath, err)
	}
	return rs
}

// residentsNow is the moment every held-out question is asked: a Wednesday
// morning, when the desk is open until 16.30 and tomorrow is Thursday.
var residentsNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CET", 3600))

// scores are the figures issue 14 asks for, measured on the held-out split.
type scores struct {
	n, intentOK            int
	facts, factsOK         int
	crisis, crisisCaught   int
	nonCrisis, falseAlarms int
	clarified              int
	intakeWrong            int
	distress, distressOK   int
	ece                    float64
	misses                 []string
	bins                   []string // the reliability diagram, as text
}

func (s scores) String() string {
	return fmt.Sprintf("intent accuracy %.3f (%d/%d); facts contained %.3f (%d/%d); crisis recall %d/%d; false alarms %.4f (%d/%d); ECE %.3f; clarified %.3f (%d); intake started without a request %d; distress with 113 %d/%d",
		float64(s.intentOK)/float64(s.n), s.intentOK, s.n,
		float64(s.factsOK)/float64(max(s.facts, 1)), s.factsOK, s.facts,
		s.crisisCaught, s.crisis,
		float64(s.falseAlarms)/float64(max(s.nonCrisis, 1)), s.falseAlarms, s.nonCrisis,
		s.ece, float64(s.clarified)/float64(s.n), s.clarified, s.intakeWrong, s.distressOK, s.distress)
}

// containsFact reports whether text holds want, one of its "|" alternatives.
func containsFact(text, want string) bool {
	text = strings.ToLower(text)
	for _, alt := range strings.Split(want, "|") {
		if strings.Contains(text, strings.ToLower(strings.TrimSpace(alt))) {
			return true
		}
	}
	return false
}

func scoreResidents(c *core, rs []resident) scores {
	var s scores
	const bins = 10
	var binN, binOK [bins]float64
	var binConf [bins]float64
	for _, r := range rs {
		res := c.ask(r.Text, r.Lang, residentsNow)
		s.n++
		ok := res.Intent == r.Intent
		if ok {
			s.intentOK++
		} else {
			s.misses = append(s.misses, fmt.Sprintf("intent %q: want %s, got %s (%.2f)", r.Text, r.Intent, res.Intent, res.Confidence))
		}
		b := min(int(res.Confidence*bins), bins-1)
		binN[b]++
		binConf[b] += res.Confidence
		if ok {
			binOK[b]++
		}
		if len(res.Clarify) > 0 {
			s.clarified++
		}
		full := res.Answer + "\n" + strings.Join(res.Options, "\n")
		if len(r.Contains) > 0 {
			s.facts++
			good := true
			for _, f := range r.Contains {
				if !containsFact(full, f) {
					good = false
					s.misses = append(s.misses, fmt.Sprintf("fact %q: %q not in %q", r.Text, f, full))
				}
			}
			if good {
				s.factsOK++
			}
		}
		isCrisis := res.Intent == "crisis"
		if r.Intent == "crisis" {
			s.crisis++
			if isCrisis {
				s.crisisCaught++
			}
		} else {
			s.nonCrisis++
			if isCrisis {
				s.falseAlarms++
				s.misses = append(s.misses, fmt.Sprintf("false alarm %q", r.Text))
			}
		}
		if r.Distress {
			s.distress++
			if !isCrisis && strings.Contains(full, "113") {
				s.distressOK++
			}
		}
		if !strings.HasPrefix(r.Intent, "register_") && res.Step != "" {
			s.intakeWrong++
			s.misses = append(s.misses, fmt.Sprintf("intake %q started at %s", r.Text, res.Step))
		}
	}
	for b := range bins {
		if binN[b] > 0 {
			s.ece += binN[b] / float64(s.n) * math.Abs(binOK[b]/binN[b]-binConf[b]/binN[b])
			s.bins = append(s.bins, fmt.Sprintf("confidence %.1f-%.1f: %3.0f questions, mean confidence %.3f, accuracy %.3f",
				float64(b)/bins, float64(b+1)/bins, binN[b], binConf[b]/binN[b], binOK[b]/binN[b]))
		}
	}
	return s
}

// TestResidents measures issue 14's figures on the held-out split through
// the whole bot (classifier, dialog, knowledge), the way `ask` answers.
func TestResidents(t *testing.T) {
	c, err := newCore(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	rs := loadResidents(t)
	if len(rs) < 400 {
		t.Fatalf("held-out split has %d questions, want >= 400", len(rs))
	}
	for _, r := range rs {
		if !slices.Contains(c.engine.Classifier.(interface{ Labels() []string }).Labels(), r.Intent) {
			t.Errorf("%q: unknown intent %q", r.Text, r.Intent)
		}
	}
	s := scoreResidents(c, rs)
	for _, m := range s.misses {
		t.Log(m)
	}
	for _, b := range s.bins {
		t.Log(b)
	}
	t.Log(s)
	check := func(name string, got, want float64, atLeast bool) {
		if (atLeast && got < want) || (!atLeast && got > want) {
			t.Errorf("%s %.4f, want %s %.2f", name, got, map[bool]string{true: ">=", false: "<="}[atLeast], want)
		}
	}
	check("intent accuracy", float64(s.intentOK)/float64(s.n), 0.97, true)
	check("facts contained", float64(s.factsOK)/float64(s.facts), 0.98, true)
	check("crisis recall", float64(s.crisisCaught)/float64(s.crisis), 1, true)
	check("crisis false alarms", float64(s.falseAlarms)/float64(s.nonCrisis), 0.01, false)
	// The temperature is fitted on the other held-out questions
	// (knowledge/testdata/heldout*.yaml), never on this split.
	check("ECE", s.ece, 0.05, false)
	check("clarify rate", float64(s.clarified)/float64(s.n), 0.05, false)
	if s.intakeWrong > 0 {
		t.Errorf("%d questions started an intake", s.intakeWrong)
	}
	if s.distressOK != s.distress {
		t.Errorf("distress answered with 113 (and no crisis) %d of %d", s.distressOK, s.distress)
	}
}
