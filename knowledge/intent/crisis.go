package intent

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wotschiedam/wotbot/knowledge/intent/internal/features"
)

// fuzzyMinLen is the shortest phrase that still matches with one typo;
// shorter words are too close to harmless ones ("abused"/"amused").
const fuzzyMinLen = 8

// crisisNet finds crisis phrases. Matching runs on a squeezed form of the
// normalised message: words joined without spaces and doubled letters
// folded ("zelf moord", "zelfmoordd" → "zelfmord"), so spacing and
// doubling typos do not matter. A phrase must start where a word starts and
// end where a word ends, unless it ends in * (then any word continuing it
// matches too).
type crisisNet struct {
	phrases []phrase
	except  []phrase
	fuzzy   []phrase // single words long enough to allow one typo
	// Phrases and exceptions by their first indexLen bytes: a message is
	// only compared with the phrases that start like one of its words.
	byStart, exceptByStart map[string][]phrase
}

const indexLen = 3

func index(ps []phrase) map[string][]phrase {
	m := map[string][]phrase{}
	for _, p := range ps {
		k := p.key[:min(indexLen, len(p.key))]
		m[k] = append(m[k], p)
	}
	return m
}

type phrase struct {
	key    string // squeezed
	prefix bool
	lang   string // the list it came from; "" for exceptions
}

func parseCrisis(data []byte) (*crisisNet, error) {
	// One list of phrases per language ("nl", "en", "tr", ...), in file
	// order, and the exceptions under "except".
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("parse: want a mapping of language to phrases")
	}
	type entry struct{ text, lang string }
	var all []entry
	var except []string
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		var list []string
		key := root.Content[i].Value
		if err := root.Content[i+1].Decode(&list); err != nil {
			return nil, fmt.Errorf("parse %s: %w", key, err)
		}
		if key == "except" {
			except = append(except, list...)
			continue
		}
		for _, s := range list {
			all = append(all, entry{s, key})
		}
	}
	cn := &crisisNet{}
	seen := map[phrase]bool{}
	for _, e := range all {
		p, words, ok := compilePhrase(e.text)
		if !ok {
			return nil, fmt.Errorf("phrase %q has no letters", e.text)
		}
		p.lang = e.lang
		if seen[p] {
			continue
		}
		seen[p] = true
		cn.phrases = append(cn.phrases, p)
		// Only Latin-script words get the one-typo match: in Arabic script
		// one letter turns "انتحار" (suicide) into "انتظار" (waiting).
		if words == 1 && len(p.key) >= fuzzyMinLen && isASCII(p.key) {
			cn.fuzzy = append(cn.fuzzy, p)
		}
	}
	for _, s := range except {
		p, _, ok := compilePhrase(s)
		if !ok {
			return nil, fmt.Errorf("exception %q has no letters", s)
		}
		cn.except = append(cn.except, p)
	}
	if len(cn.phrases) == 0 {
		return nil, errors.New("no crisis phrases")
	}
	cn.byStart, cn.exceptByStart = index(cn.phrases), index(cn.except)
	return cn, nil
}

func compilePhrase(s string) (phrase, int, bool) {
	s = strings.TrimSpace(s)
	prefix := strings.HasSuffix(s, "*")
	s = strings.TrimSuffix(s, "*")
	sq := squeeze(features.Normalize(s))
	return phrase{key: sq.text, prefix: prefix}, len(sq.starts), sq.text != ""
}

// squeezed is a message with spaces removed and letter runs folded, and
// where its words started and ended.
type squeezed struct {
	text   string
	starts []int
	end    []bool // end[i]: a word ends just before byte i
}

func squeeze(norm string) squeezed {
	var b strings.Builder
	b.Grow(len(norm))
	sq := squeezed{}
	var last rune = -1
	var ends []int
	for _, w := range strings.Fields(norm) {
		start := b.Len()
		for i, r := range w {
			if r == last {
				if i == 0 {
					start -= len(string(r)) // the word begins with the folded letter
				}
				continue
			}
			b.WriteRune(r)
			last = r
		}
		sq.starts = append(sq.starts, start)
		ends = append(ends, b.Len())
	}
	sq.text = b.String()
	sq.end = make([]bool, len(sq.text)+1)
	for _, e := range ends {
		sq.end[e] = true
	}
	return sq
}

// find calls fn for every occurrence of a phrase from idx that starts at a
// word start, until fn returns true.
func (sq *squeezed) find(idx map[string][]phrase, fn func(p phrase, from, to int) bool) bool {
	for _, i := range sq.starts {
		if i < 0 {
			continue
		}
		rest := sq.text[i:]
		for n := 1; n <= indexLen && n <= len(rest); n++ {
			for _, p := range idx[rest[:n]] {
				j := i + len(p.key)
				if strings.HasPrefix(rest, p.key) && (p.prefix || sq.end[j]) && fn(p, i, j) {
					return true
				}
			}
		}
	}
	return false
}

// match reports whether norm holds a crisis phrase, and the language of
// the list the phrase came from.
func (cn *crisisNet) match(norm string) (bool, string) {
	if norm == "" {
		return false, ""
	}
	sq := squeeze(norm)
	var masked []bool
	sq.find(cn.exceptByStart, func(_ phrase, from, to int) bool {
		if masked == nil {
			masked = make([]bool, len(sq.text))
		}
		for k := from; k < to; k++ {
			masked[k] = true
		}
		return false
	})
	free := func(from, to int) bool {
		for k := from; masked != nil && k < to; k++ {
			if masked[k] {
				return false
			}
		}
		return true
	}
	lang := ""
	if sq.find(cn.byStart, func(p phrase, from, to int) bool {
		lang = p.lang
		return free(from, to)
	}) {
		return true, lang
	}
	// One typo in a long single-word phrase ("zelfmort", "mishandleing").
	// The first two letters must be right: "leerkracht" is one letter
	// from "verkracht".
	for wi, start := range sq.starts {
		end := len(sq.text)
		if wi+1 < len(sq.starts) {
			end = sq.starts[wi+1]
		}
		if start < 0 || end <= start {
			continue
		}
		word := sq.text[start:end]
		if len(word) < fuzzyMinLen-1 || !free(start, end) {
			continue
		}
		for _, p := range cn.fuzzy {
			if word[:2] != p.key[:2] {
				continue
			}
			if p.prefix {
				for n := len(p.key) - 1; n <= len(p.key)+1 && n <= len(word); n++ {
					if withinOneEdit(word[:n], p.key) {
						return true, p.lang
					}
				}
			} else if withinOneEdit(word, p.key) {
				return true, p.lang
			}
		}
	}
	return false, ""
}

// withinOneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or swap of neighbouring bytes.
func withinOneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > 1 {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(b) {
		return true
	}
	if len(a) == len(b) {
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // swap
	}
	return a[i+1:] == b[i:] // insertion in a
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
