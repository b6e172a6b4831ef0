package dialog

import (
	"regexp"
	"strings"
	"testing"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		problem PhoneProblem
	}{
		{"06-12345678", "+31612345678", PhoneOK},
		{"0612345678", "+31612345678", PhoneOK},
		{"06 1234 5678", "+31612345678", PhoneOK},
		{"06 12 34 56 78", "+31612345678", PhoneOK},
		{"010 123 4567", "+31101234567", PhoneOK},
		{"010-4738671", "+31104738671", PhoneOK},
		{"(010) 473 86 71", "+31104738671", PhoneOK},
		{"+31 6 1234 5678", "+31612345678", PhoneOK},
		{"+31 (0)6 12345678", "+31612345678", PhoneOK},
		{"+31612345678", "+31612345678", PhoneOK},
		{"0031 6 12345678", "+31612345678", PhoneOK},
		{"0031612345678", "+31612345678", PhoneOK},
		{"085-1234567", "+31851234567", PhoneOK},
		{" 06.12.34.56.78 ", "+31612345678", PhoneOK},
		{"", "", PhoneEmpty},
		{"06-1234", "", PhoneTooShort},
		{"06-123456789", "", PhoneTooLong},
		{"+32 470 12 34 56", "+32470123456", PhoneOK},
		{"0032470123456", "+32470123456", PhoneOK},
		{"+90 532 123 45 67", "+905321234567", PhoneOK},
		{"0090 (532) 123 45 67", "+905321234567", PhoneOK},
		{"+212 6 12 34 56 78", "+212612345678", PhoneOK},
		{"+48 512-345-678", "+48512345678", PhoneOK},
		{"٠٦١٢٣٤٥٦٧٨", "+31612345678", PhoneOK},
		{"+٣١ ٦ ١٢٣٤٥٦٧٨", "+31612345678", PhoneOK},
		{"+90 532", "", PhoneForeign},
		{"+0 612 345 678", "", PhoneForeign},
		{"+1234567890123456", "", PhoneForeign},
		{"00", "", PhoneForeign},
		{"mijn nummer is 06", "", PhoneLetters},
		{"0800-2000", "", PhoneTooShort},
		{"0900-123456", "", PhoneNotDutch},
		{"0612345678 of 0101234567", "", PhoneLetters},
		{"١٢٣٤٥٦٧٨٩٠", "", PhoneNotDutch},
		{"612345678", "", PhoneNotDutch},
		{strings.Repeat("0", 100), "", PhoneTooLong},
	}
	for _, tt := range tests {
		got, problem := NormalizePhone(tt.in)
		if got != tt.want || problem != tt.problem {
			t.Errorf("NormalizePhone(%q) = %q, %q; want %q, %q", tt.in, got, problem, tt.want, tt.problem)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"06-12345678", "+31 (0)6 1234 5678", "0031", "010 123 4567", "(0)", "+", "++31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, problem := NormalizePhone(s)
		if problem == PhoneOK {
			if !e164.MatchString(got) || strings.HasPrefix(got, "+31") && len(got) != 12 {
				t.Fatalf("NormalizePhone(%q) = %q: not E.164", s, got)
			}
			again, p2 := NormalizePhone(got)
			if again != got || p2 != PhoneOK {
				t.Fatalf("not idempotent: %q -> %q -> %q (%s)", s, got, again, p2)
			}
		} else if got != "" {
			t.Fatalf("NormalizePhone(%q) returned %q with problem %q", s, got, problem)
		}
	})
}
