package locales_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/bidi"

	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/locales"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// visual lays out one line of a right-to-left paragraph with the Unicode
// bidi algorithm and returns it as read from left to right on screen.
// x/text returns the runs in logical order with their direction: on a
// right-to-left line they are shown last run first, and a right-to-left
// run shows its characters backwards.
func visual(t testing.TB, line string) string {
	t.Helper()
	var p bidi.Paragraph
	if _, err := p.SetString(line, bidi.DefaultDirection(bidi.RightToLeft)); err != nil {
		t.Fatalf("bidi %q: %v", line, err)
	}
	o, err := p.Order()
	if err != nil {
		t.Fatalf("bidi order %q: %v", line, err)
	}
	var runs []string
	for i := 0; i < o.NumRuns(); i++ {
		r := o.Run(i)
		s := r.String()
		if r.Direction() == bidi.RightToLeft {
			rs := []rune(s)
			slices.Reverse(rs)
			s = string(rs)
		}
		runs = append(runs, s)
	}
	slices.Reverse(runs)
	return strings.Join(runs, "")
}

// numbers: phone numbers, times, dates, references, as written.
var numbers = regexp.MustCompile(`\+?[0-9A-Z]*[0-9](?:[ .:/\-][0-9]+)*(?:-[0-9A-Z]+)?`)

// misread lists the numbers of text that do not read left to right, in
// one piece, once laid out.
func misread(t testing.TB, text string) []string {
	var bad []string
	for _, line := range strings.Split(text, "\n") {
		v := strings.NewReplacer("\u2068", "", "\u2069", "").Replace(visual(t, line))
		for _, n := range numbers.FindAllString(strings.NewReplacer("\u2068", "", "\u2069", "").Replace(line), -1) {
			if !strings.Contains(v, n) {
				bad = append(bad, n)
			}
		}
	}
	return bad
}

// arabicTexts renders every Arabic message, and the knowledge base's
// opening-hours answers at several moments, with realistic data: phone
// numbers with spaces, a reference, a date, times, a Dutch name.
func arabicTexts(t testing.TB) (ids []string, texts map[string]string) {
	cat := load(t)
	kb, err := knowledge.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	data := kb.TemplateFacts()
	for k, v := range map[string]any{
		"Ref": "WOT-7K3M9Q", "Due": kb.FormatDate("ar", time.Date(2026, 12, 3, 0, 0, 0, 0, kb.Location())),
		"N": 3, "Total": 9, "Max": 1000, "Days": 7, "RetentionDays": 30, "Hours": 2,
		"Other": "mevrouw De Vries", "Value": "06-12345678", "Link": "https://t.me/wotbot?start=k3m9q7",
		"Name": "Fatima", "Registrant": "Fatima", "Text": "شكرا", "Time": "01-12 14:05",
		"Step": cat.T("ar", "stepname.phone", nil), "Topic": cat.T("ar", "opt.topic.money", nil),
		"Chat": "telegram 4711", "Count": 2, "Example": "WOT-7K3M9Q", "First": "Fatima", "List": "WOT-7K3M9Q: Fatima\nWOT-4H8P2R: Karim",
		"Entry": "1764590400000-0", "Stream": "{wot:handoff}:dead",
		"Who": "Karim", "Since": "أمس الساعة 22.10", "Late": "متأخر 2 أيام عمل", "Label": "Fatima",
		"Refs": " (WOT-7K3M9Q, WOT-4H8P2R)", "Date": kb.FormatDate("ar", time.Date(2026, 12, 1, 0, 0, 0, 0, kb.Location())),
	} {
		data[k] = v
	}
	texts = map[string]string{}
	for _, id := range cat.IDs("ar") {
		if strings.HasPrefix(id, "hours.") || strings.HasPrefix(id, "knowledge.") || strings.HasPrefix(id, "answer.") {
			continue // rendered below through the knowledge base, with their own data
		}
		texts[id] = cat.T("ar", id, data)
	}
	for _, in := range knowledge.Intents() {
		texts["answer."+in] = kb.Answer(in, "ar", "", time.Date(2026, 11, 24, 10, 0, 0, 0, kb.Location()))
	}
	for i, q := range []struct {
		q  string
		at time.Time
	}{
		{"متى تفتحون", time.Date(2026, 11, 24, 10, 0, 0, 0, kb.Location())},
		{"هل أنتم مفتوحون غدا", time.Date(2026, 11, 27, 19, 0, 0, 0, kb.Location())},
		{"wach m7lolin f kerst", time.Date(2026, 12, 20, 12, 0, 0, 0, kb.Location())},
		{"متى يمكن الاتصال بالهاتف zorgcentrale", time.Date(2026, 11, 24, 22, 0, 0, 0, kb.Location())},
	} {
		texts[fmt.Sprintf("hours/%d", i)] = kb.Answer("opening_hours", "ar", q.q, q.at)
	}
	for id := range texts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, texts
}

// Every number in every Arabic message reads left to right once laid out
// by the bidi algorithm: the isolates around it hold it together.
func TestArabicNumbersReadLeftToRight(t *testing.T) {
	ids, texts := arabicTexts(t)
	checked := 0
	for _, id := range ids {
		text := texts[id]
		if bad := misread(t, text); len(bad) > 0 {
			t.Errorf("%s: %q read out of order in %q", id, bad, text)
		}
		checked += len(numbers.FindAllString(text, -1))
	}
	t.Logf("%d Arabic texts, %d numbers, all read left to right", len(ids), checked)
	if checked < 100 {
		t.Fatalf("only %d numbers checked: is the data filled in?", checked)
	}
	// The test can fail: without the isolates, a Dutch phone number with
	// spaces in an Arabic sentence is laid out backwards.
	strip := strings.NewReplacer("\u2068", "", "\u2069", "")
	proves := false
	for _, id := range ids {
		if len(misread(t, strip.Replace(texts[id]))) > 0 {
			proves = true
			break
		}
	}
	if !proves {
		t.Fatalf("without isolates every Arabic text still reads right: the check proves nothing")
	}
}

// The golden file shows each Arabic message as it is stored (isolates
// marked ⁅ ⁆) and as it appears on screen, right to left, line by line.
func TestArabicBidiGolden(t *testing.T) {
	ids, texts := arabicTexts(t)
	var b strings.Builder
	mark := strings.NewReplacer("\u2068", "⁅", "\u2069", "⁆")
	for _, id := range ids {
		fmt.Fprintf(&b, "== %s\n", id)
		for _, line := range strings.Split(texts[id], "\n") {
			fmt.Fprintf(&b, "logical: %s\nscreen:  %s\n", mark.Replace(line), mark.Replace(visual(t, line)))
		}
	}
	golden := "testdata/bidi_ar.golden"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("Arabic rendering differs from %s (run with -update and review the diff)", golden)
	}
}

func TestIsolate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"اتصلوا بـ 112.", "اتصلوا بـ \u2068112\u2069."},
		{"من 09.30 إلى 18.00", "من \u206809.30\u2069 إلى \u206818.00\u2069"},
		{"الهاتف: 010-473 86 71", "الهاتف: \u2068010-473 86 71\u2069"},
		{"رقمكم هو WOT-7K3M9Q.", "رقمكم هو \u2068WOT-7K3M9Q\u2069."},
		{"اتصلوا بـ Veilig Thuis: 0800-2000.", "اتصلوا بـ \u2068Veilig Thuis\u2069: \u20680800-2000\u2069."},
		{"(balie): 010-473 86 71", "(\u2068balie\u2069): \u2068010-473 86 71\u2069"},
		{"الرابط: https://t.me/wotbot?start=k3", "الرابط: \u2068https://t.me/wotbot?start=k3\u2069"},
		{"مثلاً +212 612 345 678. أو", "مثلاً \u2068+212 612 345 678\u2069. أو"},
		{"سطر\nWOT", "سطر\n\u2068WOT\u2069"},
		{"بدون أرقام", "بدون أرقام"},
		{"المكتب في Dr. Willem Dreesplein 2.", "المكتب في \u2068Dr. Willem Dreesplein 2\u2069."},
		{"\u2068WOT\u2069 و 5", "\u2068WOT\u2069 و \u20685\u2069"},
	} {
		got := locales.Isolate(tc.in)
		if got != tc.want {
			t.Errorf("Isolate(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if again := locales.Isolate(got); again != got {
			t.Errorf("Isolate is not idempotent on %q: %q", got, again)
		}
	}
}

func FuzzIsolate(f *testing.F) {
	for _, s := range []string{"اتصلوا بـ 112.", "WOT-7K3M9Q", "\u2068a\u2069", "\u2068\u2068", "\u2069x", "a\u2066b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := locales.Isolate(s)
		if strip := strings.NewReplacer("\u2068", "", "\u2069", "").Replace; strip(got) != strip(s) {
			t.Fatalf("Isolate(%q) = %q changed the text", s, got)
		}
	})
}
