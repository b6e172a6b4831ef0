package dialog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A name is shown to other people in the bot's own voice: the registrant's
// first name to the person they register, both names to staff. So a name
// must be a name, and nothing Telegram turns into something to tap: no link
// or domain ("wot.nl/x", "www."), no @mention or e-mail address, no
// #hashtag, /command or phone number. Rather than guess at every form a
// link can take, a name may hold only letters (of any script, visible),
// their accents, spaces, the punctuation names use, and a digit or two.
// Angle brackets and a slash inside a word are harmless (every channel
// escapes them, and Telegram makes no command of "</b>"), and residents do
// type them, so "Jan <b>de Vries</b>" is kept as typed.

// maxNameDigits allows "Jan 2" but not a phone or card number.
const maxNameDigits = 2

// normalizeName collapses spaces, counting the invisible fillers (Hangul
// fillers, braille blank) that look like spaces as spaces.
func normalizeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if blank(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// nameProblem says why v (normalized) cannot be a name, as the ID of the
// message that asks again; "" when it can be one.
func nameProblem(v string) string {
	switch {
	case !hasLetter(v):
		return "err.name"
	case utf8.RuneCountInString(v) > maxName:
		return "err.name.long"
	case !strings.ContainsRune(v, '@') && looksLikeLink(v): // an e-mail address gets the next message
		return "err.name.link"
	}
	digits, prev := 0, ' '
	for _, r := range v {
		switch {
		case unicode.IsDigit(r):
			digits++
		case r == '/':
			// "/vergeet" after a space is a command Telegram makes tappable.
			if prev != '<' && !unicode.IsLetter(prev) && !unicode.IsDigit(prev) {
				return "err.name.chars"
			}
		case nameRune(r):
		default:
			return "err.name.chars"
		}
		prev = r
	}
	if digits > maxNameDigits {
		return "err.name.chars"
	}
	return ""
}

// nameRune reports whether r may appear in a name (digits apart).
func nameRune(r rune) bool {
	switch {
	case unicode.IsLetter(r):
		return !invisibleLetter(r)
	case unicode.In(r, unicode.Mn, unicode.Mc): // accents and vowel signs
		return true
	}
	switch r {
	case ' ', '-', '\u2010', '\u2011', '\u2013', // hyphens and en dash: Anne-Marie
		'\'', '\u2018', '\u2019', '\u02bc', '\u05f3', // apostrophes: O'Brien, van 't Hof, Hebrew geresh
		'.', ',', '(', ')', '&', '<', '>',
		'\u00b7', '\u30fb', // middle dots: Catalan, Japanese
		'\u200c', '\u200d': // joiners: Persian and Indic names (علی‌رضا)
		return true
	}
	return false
}

// looksLikeLink reports a dot that joins two words, as in a domain
// ("wot.nl", "www.x"): a dot followed by two or more letters or digits.
// Initials ("J.P. de Vries") have one letter after each dot. Telegram links
// such text when the part after the dot is a top-level domain, and many
// short words are one ("J.de Vries"), so all of them are refused; the
// message asks for a space after the dot.
func looksLikeLink(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] != '.' || i == 0 {
			continue
		}
		before, _ := utf8.DecodeLastRuneInString(v[:i])
		if !unicode.IsLetter(before) && !unicode.IsDigit(before) {
			continue
		}
		n := 0
		for _, r := range v[i+1:] {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			n++
		}
		if n >= 2 {
			return true
		}
	}
	return false
}
