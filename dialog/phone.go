package dialog

import (
	"strings"
	"unicode"
)

// PhoneProblem says why a phone number was not accepted.
type PhoneProblem string

const (
	PhoneOK        PhoneProblem = ""
	PhoneEmpty     PhoneProblem = "empty"
	PhoneLetters   PhoneProblem = "letters"
	PhoneTooShort  PhoneProblem = "short"
	PhoneTooLong   PhoneProblem = "long"
	PhoneForeign   PhoneProblem = "foreign" // a number with a country code that cannot be one
	PhoneNotDutch  PhoneProblem = "invalid"
	maxPhoneLength              = 40
)

// NormalizePhone turns a phone number into E.164. A Dutch number may be in
// any common notation (06-12345678, 010 123 4567, +31 6 1234 5678,
// 0031 (0)6..., (010) 1234567); geographic, mobile and VoIP numbers are
// accepted: the ones a resident can be called back on. A foreign number
// needs its country code (+90 532 123 45 67, 0048 512 345 678): residents
// who moved here may still use their old one. Arabic-Indic digits count as
// digits.
func NormalizePhone(s string) (string, PhoneProblem) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", PhoneEmpty
	}
	if len(s) > maxPhoneLength {
		return "", PhoneTooLong
	}
	// "+31 (0)6 ...": the trunk zero written in brackets is not dialled.
	s = strings.ReplaceAll(s, "(0)", "")
	var digits strings.Builder
	plus := false
	for _, r := range s {
		switch {
		case r >= '٠' && r <= '٩':
			r = '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			r = '0' + (r - '۰')
		}
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && digits.Len() == 0 && !plus:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')' || r == '\u00a0':
			// separators people use
		case unicode.IsDigit(r):
			// digits of other scripts: not a number we can call
			return "", PhoneNotDutch
		default:
			return "", PhoneLetters
		}
	}
	d := digits.String()
	var national string
	switch {
	case plus && strings.HasPrefix(d, "31"):
		national = d[2:]
	case plus:
		return foreign(d)
	case strings.HasPrefix(d, "0031"):
		national = d[4:]
	case strings.HasPrefix(d, "00"):
		return foreign(d[2:])
	case strings.HasPrefix(d, "0"):
		national = d[1:]
	default:
		if len(d) < 9 {
			return "", PhoneTooShort
		}
		return "", PhoneNotDutch
	}
	national = strings.TrimPrefix(national, "0")
	switch {
	case len(national) < 9:
		return "", PhoneTooShort
	case len(national) > 9:
		return "", PhoneTooLong
	}
	// 1-5 and 7: geographic; 6: mobile (not 66, pagers); 85, 88, 91: VoIP and company numbers.
	switch national[0] {
	case '1', '2', '3', '4', '5', '7':
	case '6':
		if national[1] == '6' {
			return "", PhoneNotDutch
		}
	case '8':
		if national[1] != '5' && national[1] != '8' {
			return "", PhoneNotDutch
		}
	case '9':
		if national[1] != '1' {
			return "", PhoneNotDutch
		}
	default:
		return "", PhoneNotDutch
	}
	return "+31" + national, PhoneOK
}

// foreign checks an international number without its "+" or "00": a
// country code (which never starts with 0) and in all at least 8 and at
// most 15 digits (E.164).
func foreign(d string) (string, PhoneProblem) {
	if d == "" || d[0] == '0' || len(d) < 8 || len(d) > 15 {
		return "", PhoneForeign
	}
	return "+" + d, PhoneOK
}
