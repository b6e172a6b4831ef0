package locales

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unicode directional isolates: text between FSI and PDI is laid out on its
// own, in its own direction, and does not reorder the sentence around it.
const (
	FSI = '\u2068' // first strong isolate
	PDI = '\u2069' // pop directional isolate
	lri = '\u2066'
	rli = '\u2067'
)

// RTL reports whether lang is written right to left.
func RTL(lang string) bool { return lang == "ar" }

// Isolate wraps every left-to-right stretch of a right-to-left text (phone
// numbers, times, dates, references such as WOT-7K3M9Q, Dutch names and
// addresses) in FSI … PDI. Without them the bidi algorithm lays out
// "09.30 - 18.00" in an Arabic sentence as "18.00 - 09.30", and a phone
// number next to a Dutch word can be split and swapped. A stretch is a run
// of Latin letters and digits, with the spaces and punctuation between
// them; it never crosses a line break. Text already inside an isolate is
// left alone, so Isolate(Isolate(s)) == Isolate(s).
func Isolate(s string) string {
	if !needsIsolate(s) || !utf8.ValidString(s) {
		return s // nothing to hold together, or not text the bot wrote
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(rs); {
		r := rs[i]
		if r == FSI || r == lri || r == rli {
			// Copy an existing isolate through, nested ones included.
			depth, j := 0, i
			for ; j < len(rs); j++ {
				switch rs[j] {
				case FSI, lri, rli:
					depth++
				case PDI:
					depth--
				}
				b.WriteRune(rs[j])
				if depth == 0 {
					break
				}
			}
			i = j + 1
			continue
		}
		if !ltrStart(rs, i) {
			b.WriteRune(r)
			i++
			continue
		}
		// Extend over LTR characters and the neutrals between them; end
		// after the last LTR character.
		end := i + 1
		for j := i + 1; j < len(rs); j++ {
			if ltr(rs[j]) {
				end = j + 1
				continue
			}
			if !inRun(rs, j) {
				break
			}
		}
		b.WriteRune(FSI)
		b.WriteString(string(rs[i:end]))
		b.WriteRune(PDI)
		i = end
	}
	return b.String()
}

func needsIsolate(s string) bool {
	for _, r := range s {
		if ltr(r) {
			return true
		}
	}
	return false
}

// ltr: a Latin letter or a digit (of any script: Arabic-Indic digits are
// also read left to right inside a number).
func ltr(r rune) bool {
	return unicode.Is(unicode.Latin, r) || unicode.IsDigit(r)
}

// ltrStart: a stretch starts at an LTR character, or at a "+" that begins
// a phone number.
func ltrStart(rs []rune, i int) bool {
	if ltr(rs[i]) {
		return true
	}
	return rs[i] == '+' && i+1 < len(rs) && unicode.IsDigit(rs[i+1])
}

// inRun: neutrals that may sit inside a stretch: spaces between words and
// numbers ("010-473 86 71", "Veilig Thuis"), and punctuation inside a word
// or number ("06-12345678", "09.30", "info@wot.nl", "t.me/wotbot?start=x").
// Punctuation before a space or the end belongs to the sentence, and so do
// brackets, so "(balie):" keeps its brackets and colon outside.
func inRun(rs []rune, j int) bool {
	switch rs[j] {
	case ' ', '\u00a0':
		return true
	}
	// Punctuation, or a run of it ("://"), directly followed by more.
	k := j
	for k < len(rs) && inWord(rs[k]) {
		k++
	}
	if k > j && k < len(rs) && ltr(rs[k]) {
		return true
	}
	// The full stop of an abbreviation inside a Latin name: "Dr. Willem".
	return rs[j] == '.' && j > 0 && unicode.Is(unicode.Latin, rs[j-1]) &&
		j+2 < len(rs) && rs[j+1] == ' ' && unicode.Is(unicode.Latin, rs[j+2])
}

func inWord(r rune) bool {
	switch r {
	case '.', ',', ':', '-', '–', '/', '+', '@', '_', '\'', '&', '#', '?', '=', '%':
		return true
	}
	return false
}
