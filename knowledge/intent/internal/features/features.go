// Package features turns a message into the normalised text and the hashed
// feature ids that the intent model is trained and run on. Training and
// inference share this code so the two can never drift apart.
package features

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxRunes caps how much of a message is looked at, so a 100 KB paste costs
// no more than a long question.
const MaxRunes = 2000

// Normalize lowercases text, strips accents, drops punctuation and emoji,
// collapses runs of three or more equal letters to two ("hallooo" →
// "halloo") and returns the words joined by single spaces.
func Normalize(text string) string {
	text = truncate(text, MaxRunes)
	// NFKD splits accents off their letters and folds compatibility forms
	// (ligatures, full-width letters, "ĳ") to plain ones.
	text = norm.NFKD.String(text)
	var b strings.Builder
	b.Grow(len(text))
	var prev rune
	run := 0
	space := true // at start, or last written byte was a space
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '\'' || r == '’' || r == '`' || r == '´' || r == '‘':
			// "zo'n", "what's": join rather than split the word.
			continue
		case r == 'ß':
			r = 's'
		case r == 'ø':
			r = 'o'
		case r == 'æ':
			r = 'a'
		case r == 'ł':
			r = 'l'
		case r == 'ı': // Turkish dotless i: people type "i" as often
			r = 'i'
		case r == 'ى': // Arabic alef maksura, typed for ya and the other way round
			r = 'ي'
		case r == 'ة': // teh marbuta, often typed as heh
			r = 'ه'
		case r == 'ـ': // tatweel only stretches a word
			continue
		case r >= '٠' && r <= '٩':
			r = '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			r = '0' + (r - '۰')
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			r = unicode.ToLower(r)
			if r == prev {
				run++
				if run >= 2 {
					continue
				}
			} else {
				prev, run = r, 0
			}
			b.WriteRune(r)
			space = false
			continue
		}
		prev, run = 0, 0
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// Config fixes the feature space. It is stored with the trained weights.
type Config struct {
	Buckets  uint32 `json:"buckets"`   // hash space size
	MinNgram int    `json:"min_ngram"` // character n-grams, with < > word boundaries
	MaxNgram int    `json:"max_ngram"`
	Bigrams  bool   `json:"bigrams"` // word bigrams
	// TwoBags pools word and character features separately and adds the
	// two means, so a handful of words is not drowned out by the many
	// character n-grams of the same text.
	TwoBags bool `json:"two_bags"`
}

// Default is the feature space the shipped model uses.
var Default = Config{Buckets: 1 << 20, MinNgram: 3, MaxNgram: 5, Bigrams: true, TwoBags: true}

// Kind tells word features from character n-grams; the classifier counts
// how many character n-grams it knows to spot gibberish.
const (
	kindWord   = 'w'
	kindBigram = 'b'
	kindChar   = 'c'
)

// Set is the result of Extract: de-duplicated feature ids in a fixed order.
type Set struct {
	IDs   []uint32 // all features: Chars then Terms
	Chars []uint32 // the character n-gram subset
	Terms []uint32 // word and bigram features not also in Chars
	Words int      // number of words in the normalised text
}

// Extract computes the features of normalised text (see Normalize).
func (c Config) Extract(normalized string) Set {
	var s Set
	if normalized == "" {
		return s
	}
	words := strings.Fields(normalized)
	s.Words = len(words)
	// De-duplicate with a small open-addressing set instead of sorting:
	// this runs on every message. Insertion order is kept, so results stay
	// deterministic.
	seen := newIDSet(len(normalized)*3 + 2*len(words))
	s.Chars = make([]uint32, 0, len(normalized)*3)
	terms := make([]uint32, 0, 2*len(words))
	var runes []int // byte offsets of rune starts in "<word>"
	var buf []byte
	for i, w := range words {
		terms = append(terms, c.hash(kindWord, w, ""))
		if c.Bigrams && i > 0 {
			terms = append(terms, c.hash(kindBigram, words[i-1], w))
		}
		buf = append(buf[:0], '<')
		buf = append(buf, w...)
		buf = append(buf, '>')
		runes = runes[:0]
		for pos := 0; pos < len(buf); {
			runes = append(runes, pos)
			_, size := utf8.DecodeRune(buf[pos:])
			pos += size
		}
		runes = append(runes, len(buf))
		nr := len(runes) - 1
		for n := c.MinNgram; n <= c.MaxNgram; n++ {
			for start := 0; start+n <= nr; start++ {
				id := c.hashBytes(kindChar, buf[runes[start]:runes[start+n]])
				if seen.add(id) {
					s.Chars = append(s.Chars, id)
				}
			}
		}
	}
	// A word id that collides with a character n-gram id belongs to one bag
	// only, so each feature row is used once per message.
	s.Terms = make([]uint32, 0, len(terms))
	for _, id := range terms {
		if seen.add(id) {
			s.Terms = append(s.Terms, id)
		}
	}
	s.IDs = make([]uint32, 0, len(s.Chars)+len(s.Terms))
	s.IDs = append(append(s.IDs, s.Chars...), s.Terms...)
	return s
}

// idSet is a tiny open-addressing hash set of feature ids.
type idSet struct {
	slots []uint32 // id+1; 0 is empty
	mask  uint32
}

func newIDSet(n int) idSet {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return idSet{slots: make([]uint32, size), mask: uint32(size - 1)}
}

// add inserts id and reports whether it was new.
func (s idSet) add(id uint32) bool {
	v := id + 1
	for i := (id * 2654435761) & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = v
			return true
		case v:
			return false
		}
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (c Config) hash(kind byte, a, b string) uint32 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(kind)) * fnvPrime
	for i := 0; i < len(a); i++ {
		h = (h ^ uint64(a[i])) * fnvPrime
	}
	if b != "" {
		h = (h ^ ' ') * fnvPrime
		for i := 0; i < len(b); i++ {
			h = (h ^ uint64(b[i])) * fnvPrime
		}
	}
	return c.bucket(h)
}

func (c Config) hashBytes(kind byte, a []byte) uint32 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(kind)) * fnvPrime
	for _, x := range a {
		h = (h ^ uint64(x)) * fnvPrime
	}
	return c.bucket(h)
}

func (c Config) bucket(h uint64) uint32 {
	// Fold the high bits in: FNV's low bits alone mix poorly.
	h ^= h >> 32
	return uint32(h % uint64(c.Buckets))
}
