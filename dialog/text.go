package dialog

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxInput caps what the engine looks at: a 100 KB paste costs no more than
// a long message, and nothing downstream has to guard against it again.
const maxInput = 4000

// clean makes a message safe to keep: valid UTF-8, no control characters
// (newlines and tabs become spaces unless keepNewlines), trimmed, capped.
func clean(s string, keepNewlines bool) string { return cleanUpTo(s, keepNewlines, maxInput) }

// CleanText is the cleaning intake text gets (control characters and
// invisible direction marks removed, newlines kept), without the cap: for
// text passed from one person to another, such as the staff relay.
func CleanText(s string) string { return cleanUpTo(s, true, -1) }

// cleanUpTo is clean with a cap of limit runes (none when negative).
func cleanUpTo(s string, keepNewlines bool, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if limit >= 0 && n >= limit {
			break
		}
		switch {
		case r == '\n' && keepNewlines:
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.IsControl(r), hidden(r):
			continue // controls, direction marks and invisible formatting can hide or reorder text
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// hidden reports whether r is an invisible formatting character that is
// dropped from every message: the bidi embeddings, overrides, isolates and
// marks (U+200E/F, U+202A-E, U+2066-9, U+061C), zero-width space, word
// joiner, invisible operators, BOM, soft hyphen and the like (category Cf).
// The zero-width joiner and non-joiner stay: Persian and Indic words and
// emoji need them. So do the tag characters of flag emoji.
func hidden(r rune) bool {
	switch {
	case r == '\u200c', r == '\u200d', r >= 0xE0020 && r <= 0xE007F:
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

// fold lowercases, strips accents and punctuation and collapses spaces, for
// matching typed answers against keywords and labels.
func fold(s string) string {
	var b strings.Builder
	space := false
	// NFD splits "é" into "e" and a combining accent, which is then dropped.
	for _, r := range strings.ToLower(norm.NFD.String(s)) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			// Turkish ı and Polish ł have no accent to drop; residents
			// type them as i and l as often as not.
			switch r {
			case 'ı':
				r = 'i'
			case 'ł':
				r = 'l'
			}
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

// hasLetter reports whether s contains a visible letter of any script.
func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !invisibleLetter(r) {
			return true
		}
	}
	return false
}

// invisibleLetter reports whether r is a "letter" that shows as nothing: the
// Hangul fillers, which Unicode counts as letters and which fake a name.
func invisibleLetter(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0':
		return true
	}
	return false
}

// blank reports whether r shows as empty space without being a space: the
// Hangul fillers and the braille blank. In a name they count as a space.
func blank(r rune) bool { return invisibleLetter(r) || r == '\u2800' }
