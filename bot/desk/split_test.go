package desk

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want []string
	}{
		{"", 10, nil},
		{"kort", 10, []string{"kort"}},
		{"een twee drie vier", 9, []string{"een twee", "drie vier"}},
		{"regel een\nregel twee", 15, []string{"regel een", "regel twee"}},
		{"zonderspaties", 5, []string{"zonde", "rspat", "ies"}},
		{"😀😀😀", 4, []string{"😀😀", "😀"}}, // an emoji is two UTF-16 units
		{"😀", 1, []string{"😀"}},         // cannot fit: whole, never cut in half
	} {
		if got := splitText(tc.in, tc.max); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("splitText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// FuzzSplitText: pieces are valid, within the limit (a rune longer than the
// limit aside), never empty, and together hold every non-space character in
// order.
func FuzzSplitText(f *testing.F) {
	f.Add("Anna, ik bel u morgen over de 4.300 euro bij Woonplus", 12)
	f.Add(strings.Repeat("woord 😀 é\n", 500), 4096)
	f.Add("\u202e\x00 a", 2)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 2 || max > 5000 || !utf8.ValidString(s) {
			return
		}
		parts := splitText(s, max)
		for _, p := range parts {
			if p == "" || !utf8.ValidString(p) || utf16Len(p) > max {
				t.Fatalf("piece %q (%d units) of max %d", p, utf16Len(p), max)
			}
		}
		squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if squash(strings.Join(parts, "")) != squash(s) {
			t.Fatalf("split of %q lost text: %q", s, parts)
		}
	})
}

func TestPickTarget(t *testing.T) {
	rels := []openRelay{{relay: &relay{Ref: "WOT-AAAAAA"}}, {relay: &relay{Ref: "WOT-BBBBBB"}}}
	one := rels[:1]
	for _, tc := range []struct {
		name          string
		rels          []openRelay
		replyTo, text string
		ref, body     string // ref "" : not relayed
		why           string
	}{
		{"no target among two", rels, "", "Ik bel u morgen", "", "", "choose"},
		{"the only one", one, "", "Ik bel u morgen", "WOT-AAAAAA", "Ik bel u morgen", ""},
		{"reply to a tagged message", rels, "[WOT-BBBBBB] Inwoner: hallo", "Ik bel u", "WOT-BBBBBB", "Ik bel u", ""},
		{"reply to a tag whose text names another", rels, "[WOT-BBBBBB] Inwoner: eerder had ik WOT-AAAAAA", "Ja", "WOT-BBBBBB", "Ja", ""},
		{"reply to a confirmation", rels, "✓ Doorgestuurd naar WOT-AAAAAA.", "Nog iets", "WOT-AAAAAA", "Nog iets", ""},
		{"reply to a closed one", rels, "[WOT-CCCCCC] Inwoner: hallo", "Ja", "", "", "unknown"},
		{"reply to the list falls back on the text", rels, "WOT-AAAAAA: Anna\nWOT-BBBBBB: Bram", "WOT-BBBBBB: ja", "WOT-BBBBBB", "ja", ""},
		{"leading reference, stripped", rels, "", "wot-bbbbbb: Tot straks", "WOT-BBBBBB", "Tot straks", ""},
		{"bracketed reference", rels, "", "[WOT-AAAAAA] Tot straks", "WOT-AAAAAA", "Tot straks", ""},
		{"reference inside the text, kept", rels, "", "Over WOT-AAAAAA: ik bel", "WOT-AAAAAA", "Over WOT-AAAAAA: ik bel", ""},
		{"unknown reference with one open", one, "", "WOT-BBBBBB: hallo", "", "", "unknown"},
		{"two references", rels, "", "WOT-AAAAAA en WOT-BBBBBB", "", "", "several"},
	} {
		got := pickTarget(tc.rels, tc.replyTo, tc.text)
		ref := ""
		if got.rel != nil {
			ref = got.rel.Ref
		}
		if ref != tc.ref || (ref != "" && got.text != tc.body) || (ref == "" && got.why != tc.why) {
			t.Errorf("%s: got %q %q %q, want %q %q %q", tc.name, ref, got.text, got.why, tc.ref, tc.body, tc.why)
		}
	}
}
