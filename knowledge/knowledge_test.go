package knowledge

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// The knowledge base is what the dialog engine asks.
var _ dialog.Knowledge = (*Base)(nil)

func newBase(tb testing.TB) *Base {
	tb.Helper()
	cat, err := locales.Load(MessageFiles())
	if err != nil {
		tb.Fatalf("load catalog: %v", err)
	}
	b, err := New(cat)
	if err != nil {
		tb.Fatalf("new knowledge base: %v", err)
	}
	return b
}

func TestNewIsFast(t *testing.T) {
	cat, err := locales.Load(MessageFiles())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := New(cat); err != nil {
		t.Fatal(err)
	}
	// A few ms normally; generous for -race on a busy machine.
	d := time.Since(start)
	t.Logf("New took %v", d)
	if d > 200*time.Millisecond {
		t.Errorf("New took %v", d)
	}
}

func TestNewNeedsMessages(t *testing.T) {
	cat, err := locales.Load() // without the answers files
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cat); err == nil {
		t.Error("New without the answers' messages: no error")
	}
}

// Every message exists in every language, and every intent has an answer.
func TestMessagesInBothLanguages(t *testing.T) {
	b := newBase(t)
	ids := map[string]bool{}
	for _, lang := range locales.Languages {
		for _, id := range b.cat.IDs(lang) {
			ids[id] = true
		}
	}
	for id := range ids {
		for _, lang := range locales.Languages {
			if !b.cat.Has(lang, id) {
				t.Errorf("message %s missing in %s", id, lang)
			}
		}
	}
	for _, in := range Intents() {
		if !ids["answer."+in] {
			t.Errorf("intent %s has no answer", in)
		}
	}
}

// wayForward finds a next step in an answer: a phone number, a command to
// type, the menu, or a place to go.
var wayForward = regexp.MustCompile(`(?i)\d{3,4}-\d|typ|type|menu|aanmeld|register|langskomen|visit|vragen|questions|yazın|menü|arayın|اكتبوا|القائمة|اتصلوا|wpisać|zadzwonić`)

func TestAnswers(t *testing.T) {
	b := newBase(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, b.Location())
	for _, lang := range locales.Languages {
		for _, in := range Intents() {
			a := b.Answer(in, lang, "", now)
			switch {
			case a == "":
				t.Errorf("%s/%s: empty answer", lang, in)
			case strings.Contains(a, "{{") || strings.Contains(a, "<no value>") || strings.Contains(a, "answer."):
				t.Errorf("%s/%s: unfilled template: %q", lang, in, a)
			case !wayForward.MatchString(a):
				t.Errorf("%s/%s: no way forward: %q", lang, in, a)
			}
		}
	}
}

func TestAnswerContent(t *testing.T) {
	b := newBase(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, b.Location())
	tests := []struct {
		intent, lang string
		want         []string
	}{
		{"contact", "nl", []string{"Dr. Willem Dreesplein 2", "3119 CW Schiedam", "010-473 86 71", "nieuwland@wotschiedam.nl", "010-754 15 15", "08.00 tot 20.00"}},
		{"contact", "en", []string{"Wijkcentrum Dreesplein", "010-473 86 71", "010-754 15 15"}},
		{"crisis", "nl", []string{"112", "0800-2000", "0800-0113", "113.nl"}},
		{"crisis", "en", []string{"112", "0800-2000", "0800-0113", "113.nl"}},
		{"procedure", "nl", []string{"zonder afspraak", "5 werkdagen", "4 weken", "contactpersoon", "bij u thuis", "iemand meenemen", "snel hulp"}},
		{"for_whom", "nl", []string{"mantelzorg", "eenzaamheid", "opvoeding", "schulden", "uitkering", "woning", "verslaving", "door de bomen het bos"}},
		{"what_help", "nl", []string{"opvoeden", "geldzaken en schulden", "Wmo", "jeugd-ggz", "huiselijk geweld", "Mevis", "Stroomopwaarts", "Formulierenbrigade"}},
		{"about", "nl", []string{"MEE Rotterdam Rijnmond", "SWS Welzijn", "Flexus Jeugdzorg", "HOEDEN", "schuldhulpverlening", "6 WOT's"}},
		{"what_help", "nl", []string{"Wmo (hulp van de gemeente, zoals hulp in huis)"}},
		{"opening_hours", "nl", []string{"kunnen veranderen", "zorgcentrale", "010-754 15 15"}},
		{"costs", "nl", []string{"kost u niets"}},
		{"privacy", "nl", []string{"vertrouwelijk", "toestemming"}},
		{"client_support", "nl", []string{"onafhankelijke cliëntondersteuning", "beperking", "bezwaar", "klachten"}},
		{"register_other", "nl", []string{"goed vindt", "toestemming", "samen met die persoon"}},
		{"register_other", "en", []string{"agrees", "together"}},
		{"human", "nl", []string{"drie manieren", "010-754 15 15", "elke dag van 08.00 tot 20.00", "Dreesplein", "aanmelden"}},
		{"out_of_scope", "nl", []string{"niet mee helpen", "menu", "010-754 15 15"}},
		{"no_such_intent", "nl", []string{"niet mee helpen"}},
		{"no_such_intent", "en-GB", []string{"cannot help"}},
	}
	for _, tt := range tests {
		a := b.Answer(tt.intent, tt.lang, "", now)
		for _, w := range tt.want {
			if !strings.Contains(a, w) {
				t.Errorf("%s/%s: want %q in\n%s", tt.lang, tt.intent, w, a)
			}
		}
	}
}

func TestFacts(t *testing.T) {
	f := newBase(t).Facts()
	if f.Desk.Phone != "010-473 86 71" || f.CareLine.Phone != "010-754 15 15" {
		t.Errorf("phones: desk %q, care line %q", f.Desk.Phone, f.CareLine.Phone)
	}
	if f.CareLine.Opens != "08.00" || f.CareLine.Closes != "20.00" {
		t.Errorf("care line hours %s-%s, want 08.00-20.00 from the team file (teams/*.yaml)", f.CareLine.Opens, f.CareLine.Closes)
	}
	if f.WOT.TeamsInCity != 6 || len(f.Organisations) != 7 || len(f.Topics) != 7 || len(f.Partners) != 7 {
		t.Errorf("facts: %+v", f)
	}
}

// sentences splits text into sentences: at . ! ? followed by a space or the
// end, and at line ends. A dot inside a number (09.30) or after a known
// abbreviation does not end a sentence.
func sentences(text string) []string {
	abbrev := map[string]bool{"dr.": true, "bijv.": true, "o.a.": true}
	var out []string
	for _, line := range strings.Split(text, "\n") {
		start := 0
		rs := []rune(line)
		for i, r := range rs {
			if r != '.' && r != '!' && r != '?' {
				continue
			}
			if i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
				continue
			}
			fs := strings.Fields(string(rs[start : i+1]))
			if r == '.' && len(fs) > 0 && abbrev[strings.ToLower(fs[len(fs)-1])] {
				continue
			}
			out = append(out, string(rs[start:i+1]))
			start = i + 1
		}
		out = append(out, string(rs[start:]))
	}
	var kept []string
	for _, s := range out {
		if wordCount(s) > 0 {
			kept = append(kept, strings.TrimSpace(s))
		}
	}
	return kept
}

func wordCount(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			n++
		}
	}
	return n
}

func TestSentenceSplitter(t *testing.T) {
	got := sentences("Bel Dr. Jansen om 09.30 uur. Kan dat? Ja!\nmaandag: 09.30 tot 16.30")
	want := []string{"Bel Dr. Jansen om 09.30 uur.", "Kan dat?", "Ja!", "maandag: 09.30 tot 16.30"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sentences = %q, want %q", got, want)
	}
}

// B1 Dutch: short sentences. The average over all Dutch answers (the fixed
// ones and the hours answers of the golden matrix) stays under 15 words, and
// no single sentence runs on.
func TestDutchB1(t *testing.T) {
	b := newBase(t)
	var texts []string
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, b.Location())
	for _, in := range Intents() {
		texts = append(texts, b.Answer(in, "nl", "", now))
	}
	for _, tm := range goldenTimes(b.Location()) {
		for _, q := range goldenQuestions {
			texts = append(texts, b.Answer("opening_hours", "nl", q, tm))
		}
	}
	words, count := 0, 0
	for _, text := range texts {
		for _, s := range sentences(text) {
			n := wordCount(s)
			words += n
			count++
			if n > 22 {
				t.Errorf("sentence of %d words: %q", n, s)
			}
		}
	}
	avg := float64(words) / float64(count)
	t.Logf("Dutch: %d sentences, %.1f words on average", count, avg)
	if avg >= 15 {
		t.Errorf("average sentence length %.1f words, want under 15", avg)
	}
}

// Answers may come from many chats at once (the memo is shared).
func TestAnswerConcurrent(t *testing.T) {
	b := newBase(t)
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, b.Location())
	done := make(chan string)
	for g := range 4 {
		go func() {
			var last string
			for i := range 200 {
				last = b.Answer("opening_hours", locales.Languages[g%2], "morgen open?", start.Add(time.Duration(i)*time.Hour))
			}
			done <- last
		}()
	}
	for range 4 {
		if a := <-done; a == "" {
			t.Error("empty answer")
		}
	}
}

// A resident of another neighbourhood hears honestly that other teams
// exist and how to find theirs; no address is made up.
func TestOtherArea(t *testing.T) {
	b := newBase(t)
	now := time.Date(2026, 11, 28, 11, 0, 0, 0, b.Location())
	for _, tt := range []struct{ intent, lang, q, area string }{
		{"for_whom", "nl", "ik woon in Kethel, kan ik bij jullie terecht?", "Kethel"},
		{"opening_hours", "nl", "Ik woon in schiedam oost. Wanneer zijn jullie open?", "Schiedam-Oost"},
		{"out_of_scope", "en", "I live in Groenoord", "Groenoord"},
	} {
		a := b.Answer(tt.intent, tt.lang, tt.q, now)
		for _, w := range []string{tt.area, "Nieuwland", "6", "WOT Schiedam", "nieuwland@wotschiedam.nl"} {
			if !strings.Contains(a, w) {
				t.Errorf("%q: want %q in\n%s", tt.q, w, a)
			}
		}
		if strings.Count(a, "Dreesplein") > 0 && tt.intent != "opening_hours" {
			t.Errorf("%q: gives Nieuwland's address as if it were theirs:\n%s", tt.q, a)
		}
	}
	for _, q := range []string{"ik woon in Nieuwland", "Centrum voor jeugd en gezin", "wanneer zijn jullie open", "oosterstraat"} {
		if got := b.OtherArea("nl", q); got != "" {
			t.Errorf("%q taken for another neighbourhood: %q", q, got)
		}
	}
}
