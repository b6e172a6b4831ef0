package desk

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxMessage is Telegram's limit on a message's text, in UTF-16 code units
// (after HTML entities are parsed).
const maxMessage = 4096

// utf16Len is the length Telegram counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// splitText cuts s into pieces of at most max UTF-16 units, at rune
// boundaries, preferably after a line break or a space in the second half
// of a piece, so words stay whole. Pieces are trimmed; none is empty.
func splitText(s string, max int) []string {
	s = strings.TrimSpace(s)
	if max < 1 {
		max = 1
	}
	var out []string
	for s != "" {
		// end: the byte offset after the last rune that fits.
		end, units, lastNL, lastSpace, full := 0, 0, -1, -1, false
		for i, r := range s {
			u := utf16.RuneLen(r)
			if units+u > max {
				full = true
				break
			}
			units += u
			end = i + len(string(r))
			switch {
			case r == '\n':
				lastNL = end
			case unicode.IsSpace(r):
				lastSpace = end
			}
		}
		if !full {
			out = append(out, s)
			break
		}
		if end == 0 { // cannot happen with max >= 2; a guard for max 1 and a surrogate pair
			_, end = utf8.DecodeRuneInString(s)
		}
		cut := end
		switch {
		case lastNL > end/2:
			cut = lastNL
		case lastSpace > end/2:
			cut = lastSpace
		}
		if piece := strings.TrimSpace(s[:cut]); piece != "" {
			out = append(out, piece)
		}
		s = strings.TrimSpace(s[cut:])
	}
	return out
}
