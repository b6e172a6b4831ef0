package knowledge

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/wotschiedam/wotbot/locales"
)

// areaData is what the other-area answer's template can use.
type areaData struct {
	Facts
	Area string // the neighbourhood as the resident may know it
}

// otherArea finds a neighbourhood of the city in text that is not this
// team's own, and returns its name as written in facts.yaml.
func (b *Base) otherArea(text string) (string, bool) {
	padded := " " + foldWords(text) + " "
	own := foldWords(b.facts.WOT.Neighbourhood)
	for _, name := range b.facts.CityAreas.Names {
		f := foldWords(name)
		if f == "" || f == own {
			continue
		}
		if strings.Contains(padded, " "+f+" ") {
			return name, true
		}
	}
	return "", false
}

// OtherArea says, when text names another neighbourhood of the city, that
// this team is for its own neighbourhood, the city has more teams, and where
// to find out which one helps; "" when it names none.
func (b *Base) OtherArea(lang, text string) string {
	area, ok := b.otherArea(text)
	if !ok {
		return ""
	}
	return b.cat.T(locales.Norm(lang), "answer.other_area", areaData{Facts: b.facts, Area: area})
}

// foldWords lowercases and strips accents, and makes every run of other
// characters one space: "Schiedam-Oost" and "schiedam oost" read the same.
func foldWords(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(norm.NFD.String(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case r == '\'':
			// "'s-Gravenland": keep the apostrophe's word together
		default:
			space = true
		}
	}
	return b.String()
}
