package dialog

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// atStep walks a fresh intake for someone else (consent by link) up to the
// registrant's own name, or to the other person's name.
func atStep(t *testing.T, step Step) *convo {
	t.Helper()
	c := newConvo(t)
	c.send("/aanmelden")
	script := []string{"Voor iemand anders", "ja", "Ik stuur een link door"}
	if step == StepName {
		script = append(script, "Anna", "Wonen", "Haar huis is vochtig.", "1")
	}
	for _, m := range script {
		c.send(m)
	}
	c.expectStep(step)
	return c
}

// linkLikeNames are names a registrant could use to make the bot itself
// show a clickable link, a mention or an address to the person they
// register (issue 11, item 6), or that are invisible (item 9).
var linkLikeNames = []string{
	"https://wot-schiedam.example/login?verify=1",
	"http://x.nl",
	"wot.nl/x",
	"wot-schiedam.nl",
	"www.wot-schiedam.example",
	"Piet www.example.com",
	"Piet (zie wot.nl)",
	"tg://resolve?domain=evil",
	"@wotschiedam_bot",
	"Piet @evil",
	"piet@example.com",
	"Piet 0612345678",
	"+31 6 1234 5678",
	"Piet #login",
	"Piet $WOT",
	"Piet /vergeet",
	"/start",
	"Piet (/vergeet)",
	"ＷＯＴ．ｎｌ",             // fullwidth letters and full stop
	"wot。nl",             // ideographic full stop
	"\u3164",             // Hangul filler alone
	"\u115f\u1160",       // Hangul choseong and jungseong fillers
	"\uffa0",             // halfwidth Hangul filler
	"\u2800\u2800",       // braille blank
	"\u200b\u2060\ufeff", // zero width space, word joiner, BOM
	"\u3164\u200b\u2800",
	"\u0301\u0301", // combining marks without a letter
	"Piet\u20e3",   // an enclosing keycap
}

func TestNamesRejectLinksMentionsAndInvisibles(t *testing.T) {
	for _, step := range []Step{StepOtherName, StepName} {
		for _, bad := range linkLikeNames {
			t.Run(string(step)+"/"+bad, func(t *testing.T) {
				c := atStep(t, step)
				c.send(bad)
				c.expectStep(step) // asked again, kindly
				got := c.s.Intake.Name
				if step == StepOtherName {
					got = c.s.Intake.OtherName
				}
				if got != "" {
					t.Fatalf("accepted %q as %q", bad, got)
				}
				if len(c.last.Replies) < 2 {
					t.Fatalf("no explanation before the question: %+v", c.last.Replies)
				}
			})
		}
	}
}

func TestNamesStillAcceptRealNames(t *testing.T) {
	for _, good := range []string{"Anna", "Anna de Wit", "J.P. de Vries", "Anne-Marie van 't Hof", "O’Brien",
		"Ömer Yılmaz", "Nguyễn Thị Lan", "محمد العلي", "Олена Коваленко", "김민수", "李小龙", "Piet & Anna", "Jan 2",
		"Jan <b>de Vries</b>", "Jan <script>", "Piet/Anna", "علی\u200cرضا"} {
		t.Run(good, func(t *testing.T) {
			c := atStep(t, StepName)
			c.send(good)
			c.expectStep(StepPhone)
			if c.s.Intake.Name != good {
				t.Fatalf("name = %q, want %q", c.s.Intake.Name, good)
			}
		})
	}
	// Invisible fillers between words count as a space, not as a letter.
	c := atStep(t, StepName)
	c.send("Piet\u3164Jansen\u2800")
	c.expectStep(StepPhone)
	if c.s.Intake.Name != "Piet Jansen" {
		t.Fatalf("name = %q", c.s.Intake.Name)
	}
}

// Bidi controls (embeddings, overrides, isolates, marks) and other format
// characters can reorder or hide text that staff or another person read.
func TestCleanStripsBidiAndInvisibleFormatting(t *testing.T) {
	for _, r := range []rune{'\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
		'\u2066', '\u2067', '\u2068', '\u2069', '\u061c', '\u200b', '\u2060', '\u2061', '\u2064',
		'\u206a', '\u206f', '\ufeff', '\u180e', '\u00ad'} {
		in := "Jan" + string(r) + "sen"
		if got := clean(in, false); got != "Jansen" {
			t.Errorf("clean(%+q) = %+q, want \"Jansen\"", in, got)
		}
	}
	// Joiners shape Persian and Indic words and emoji: they stay.
	for _, keep := range []string{"می\u200cخواهم", "👩\u200d👧"} {
		if got := clean(keep, false); got != keep {
			t.Errorf("clean(%+q) = %+q: a needed joiner was dropped", keep, got)
		}
	}
}

// The registrant opening their own link: the engine does not greet them as
// the person, says kindly to forward it, and touches nothing.
func TestOwnLinkRefusedAndKept(t *testing.T) {
	c := newConvo(t)
	c.msg(Message{Kind: KindText, Text: "/start ctoken12345",
		Held: &HeldLookup{Token: "ctoken12345", Status: HeldOwn}})
	c.expectStep(StepNone)
	c.expectText("door")
	if c.s.Confirming != nil || len(c.effects) != 0 {
		t.Fatalf("state %+v, effects %+v", c.s, c.effects)
	}
	// In the middle of an intake it asks the current question again.
	c = atStep(t, StepName)
	c.msg(Message{Kind: KindText, Text: "/start ctoken12345",
		Held: &HeldLookup{Token: "ctoken12345", Status: HeldOwn}})
	if r := c.last.Replies; r[len(r)-1].Step != StepName || c.s.Intake == nil {
		t.Fatalf("intake lost: %+v", c.last.Replies)
	}
}

// What the person who opens the link reads of the registrant is marked as
// what the registrant said, and a name that is not a name (from a request
// held before names were checked) is not shown at all.
func TestRegistrantNameQuotedForThePerson(t *testing.T) {
	p := newConvo(t)
	p.msg(Message{Kind: KindText, Text: "/start ctoken12345",
		Held: &HeldLookup{Token: "ctoken12345", Status: HeldOpen, RegistrantName: "Piet", Topic: "housing"}})
	p.expectStep(StepOtherConfirm)
	p.expectText(`"Piet"`)

	old := newConvo(t)
	old.msg(Message{Kind: KindText, Text: "/start ctoken12345", Held: &HeldLookup{Token: "ctoken12345",
		Status: HeldOpen, RegistrantName: "https://wot-schiedam.example/login?verify=1", Topic: "housing"}})
	old.expectStep(StepOtherConfirm)
	for _, r := range old.last.Replies {
		if strings.Contains(r.Text, "wot-schiedam") || strings.Contains(r.Text, "http") {
			t.Fatalf("a link-like name reached the person: %q", r.Text)
		}
	}
}

// FuzzName checks what the name steps accept: a visible letter, no link,
// mention, address or control, at most maxName characters.
func FuzzName(f *testing.F) {
	for _, s := range append(linkLikeNames, "Anna de Wit", "J.P. de Vries", "Ömer", "a.b", "x\u3164y", "\u2066Piet\u2069") {
		f.Add(s)
	}
	e := newTestEngine(f)
	// Walk once to the name step; every input starts from that state.
	s := State{Lang: "nl"}
	for _, m := range []string{"/aanmelden", "Voor mezelf", "Wonen", "Haar huis is vochtig.", "1"} {
		s = e.Handle(s, Message{Kind: KindText, Text: m}, testNow).State
	}
	if s.Step != StepName {
		f.Fatalf("step %q, want name", s.Step)
	}
	f.Fuzz(func(t *testing.T, name string) {
		turn := e.Handle(s, Message{Kind: KindText, Text: name}, testNow)
		if turn.State.Intake == nil || turn.State.Intake.Name == "" {
			return // refused (or a command): fine, as long as it was answered
		}
		got := turn.State.Intake.Name
		if problem := nameProblem(got); problem != "" {
			t.Fatalf("accepted %q as %q: %s", name, got, problem)
		}
		if utf8.RuneCountInString(got) > maxName || !utf8.ValidString(got) {
			t.Fatalf("accepted %q", got)
		}
		visible, prev := false, ' '
		for _, r := range got {
			if r == '/' && prev != '<' && !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
				t.Fatalf("accepted %q: a slash that starts a command", got)
			}
			prev = r
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d' {
				t.Fatalf("accepted %+q with control or format character %U", got, r)
			}
			if r == '@' || r == ':' || r == '#' {
				t.Fatalf("accepted %q with %q", got, r)
			}
			visible = visible || unicode.IsLetter(r) && !invisibleLetter(r)
		}
		if !visible {
			t.Fatalf("accepted %+q without a visible letter", got)
		}
	})
}

// FuzzClean checks what every message is cleaned to: valid UTF-8, no
// control or hidden formatting character, capped, and stable when cleaned
// again.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"Jan\u2066sen\u2069", "\u202eevil", "a\r\nb\tc", "\xff\xfe", "می\u200cخواهم", "\u3164", strings.Repeat("é", 5000)} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, keepNewlines bool) {
		got := clean(s, keepNewlines)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > maxInput {
			t.Fatalf("clean(%+q) = %+q", s, got)
		}
		for _, r := range got {
			if (unicode.IsControl(r) && !(keepNewlines && r == '\n')) || hidden(r) {
				t.Fatalf("clean(%+q) kept %U", s, r)
			}
		}
		if again := clean(got, keepNewlines); again != got {
			t.Fatalf("clean not stable: %+q, then %+q", got, again)
		}
	})
}
