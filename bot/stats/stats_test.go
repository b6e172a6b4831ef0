package stats

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var ams, _ = time.LoadLocation("Europe/Amsterdam")

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ams) }

// Two weeks of counters: Sunday 29 November belongs to the week of Monday
// 23 November, Monday 30 November starts the next.
func testDays() []Day {
	return []Day{
		{Date: day(2026, 11, 23), Requests: map[string]int64{"requests": 3, "topic:money": 2, "topic:care": 1,
			"urgency:normal": 2, "urgency:danger": 1, "channel:telegram": 3, "for_other": 1, "consent:confirmed": 1, "claimed_late": 1},
			ClaimSeconds: []float64{600, 3600, 7200}, Intents: map[string]int64{"opening_hours": 4, "costs": 1, "out_of_scope": 2}},
		{Date: day(2026, 11, 29), Requests: map[string]int64{"requests": 1, "topic:money": 1, "urgency:urgent": 1,
			"channel:web": 1, "for_other": 1, "consent:declared": 1},
			ClaimSeconds: []float64{60}, OpenLate: 0, Intents: map[string]int64{"costs": 4}},
		{Date: day(2026, 11, 30), Requests: map[string]int64{"requests": 2, "topic:housing": 2, "urgency:normal": 2, "channel:telegram": 2},
			OpenLate: 1, Intents: map[string]int64{"out_of_scope": 1}},
	}
}

func TestWeeks(t *testing.T) {
	weeks := Weeks(testDays())
	if len(weeks) != 2 || !weeks[0].Start.Equal(day(2026, 11, 23)) || !weeks[1].Start.Equal(day(2026, 11, 30)) {
		t.Fatalf("weeks: %+v", weeks)
	}
	w := weeks[0]
	if w.Requests != 4 || w.Topic["money"] != 3 || w.Topic["care"] != 1 || w.Urgency["danger"] != 1 || w.Channel["web"] != 1 {
		t.Errorf("counts: %+v", w)
	}
	if w.ForOther != 2 || w.Consent["confirmed"] != 1 || w.Consent["declared"] != 1 || w.ForOtherShare() != 0.5 {
		t.Errorf("for someone else: %d %v %v", w.ForOther, w.Consent, w.ForOtherShare())
	}
	if w.Late != 1 || w.LateShare() != 0.25 {
		t.Errorf("late: %d %v", w.Late, w.LateShare())
	}
	// Claim times 60 s, 10 min, 1 h, 2 h: median (nearest rank) 10 min, p90 2 h.
	if w.Claimed != 4 || w.ClaimMedian != 10*time.Minute || w.ClaimP90 != 2*time.Hour {
		t.Errorf("claims: %d, median %v, p90 %v", w.Claimed, w.ClaimMedian, w.ClaimP90)
	}
	if w.Questions != 11 || w.Unplaced != 2 || w.Intents["costs"] != 5 || w.Intents[Unplaced] != 0 {
		t.Errorf("questions: %d, unplaced %d, %v", w.Questions, w.Unplaced, w.Intents)
	}
	if top := Top(w.Intents, 1); len(top) != 1 || top[0] != (KV{"costs", 5}) {
		t.Errorf("top intent: %v", top)
	}
	if weeks[1].Late != 1 || weeks[1].Claimed != 0 {
		t.Errorf("second week: late %d, claimed %d", weeks[1].Late, weeks[1].Claimed)
	}
	if tot := Total(weeks); tot.Requests != 6 || tot.Topic["housing"] != 2 || tot.Unplaced != 3 {
		t.Errorf("total: %+v", tot)
	}
}

func TestQuantile(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		q    float64
		want float64
	}{
		{nil, 0.5, 0}, {[]float64{5}, 0.9, 5}, {[]float64{1, 2, 3, 4}, 0.5, 2}, {[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9},
	} {
		if got := quantile(tc.in, tc.q); got != tc.want {
			t.Errorf("quantile(%v, %v) = %v, want %v", tc.in, tc.q, got, tc.want)
		}
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	names := Names{Topic: func(k string) string { return map[string]string{"money": "Geld en schulden"}[k] + "|" + k }}
	if err := WriteText(&b, Weeks(testDays()), names, 2); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Week 48 (2026-11-23 to 2026-11-29)", "requests              4", "Geld en schulden|money 3",
		"time to claim         median 10m, p90 2h00m (4 claimed)", "past call-back date   1 (25%)",
		"for someone else      2 (50%); consent by link 1, declared 1", "questions asked most  costs 5; opening_hours 4",
		"questions not placed  2 of 11 (18%)", "Week 49", "time to claim         - (none claimed)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	b.Reset()
	WriteText(&b, nil, Names{}, 2)
	if !strings.Contains(b.String(), "No requests") {
		t.Errorf("empty period: %q", b.String())
	}
}

func TestWritePNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.png")
	if err := WritePNG(path, Weeks(testDays()), Names{}, 5); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
		t.Errorf("image %v too small", b)
	}
	// An empty period still draws (empty panels), rather than failing.
	if err := WritePNG(filepath.Join(t.TempDir(), "empty.png"), nil, Names{}, 5); err != nil {
		t.Errorf("empty period: %v", err)
	}
}

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{"money": "money", "opening_hours": "opening_hours", "": "other",
		"Anna Bakker": "other", "geld\n": "other", strings.Repeat("a", 41): "other"} {
		if got := Label(in); got != want {
			t.Errorf("Label(%q) = %q, want %q", in, got, want)
		}
	}
}
