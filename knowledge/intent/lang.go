package intent

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Function words that tell the bot's languages apart. Words two languages
// share ("in", "is", "me", "we", "hoi"/"hi", "ok"; Turkish and Polish
// "ile"; Polish "to", "do", "na", "ze") are left out, so a message made only
// of them does not tell.
var nlWords = set(`ik je jij u uw mijn mij wij ons onze jullie hij zij het de een
	en maar want dus niet geen wel ook nog al er hier daar dat die dit deze wat wie waar
	waarom wanneer hoe welke van voor met naar bij op aan om uit door tot te zijn ben bent
	heb hebt heeft hebben kan kunt kunnen wil wilt willen moet moeten mag mogen zou zal
	graag goedemorgen goedemiddag goedenavond dag doei bedankt dank dankjewel
	alstublieft alsjeblieft ja nee kosten hulp vraag zelf iemand iets kinderen geld
	schulden hoeveel mogelijk afspraak aanmelden openingstijden`)

var enWords = set(`i you your my mine we our us they he she it the a an and or but so not
	no yes also still there here that this these those what who where why when how which 
	for with to at on from about by are am were have has can could will would
	should must may please hello good morning afternoon evening bye goodbye thanks thank
	question someone something child children money debt debts cost costs much many
	appointment register opening hours do does`)

// Turkish as typed, with or without diacritics (after Normalize).
var trWords = set(`ve bir bu ne nasil nerede neden niye icin ben benim bana beni sen siz
	sizin size sizi biz bizim var yok mu misiniz musunuz miyim miyiz degil degilim evet
	hayir merhaba selam selamlar tesekkur tesekkurler tesekkurederim sagol sagolun lutfen
	yardim yardima istiyorum istiyoruz lazim gerek kac kadar zaman saat saatte acik
	acikmi kapali bugun yarin cocuk cocugum cocuklarim borc borcum borclarim para ev evim
	kira randevu kayit kaydolmak olmak olur nedir kimdir hangi gibi ama cok daha simdi
	artik hic abla hocam iyi gunler aksamlar hosca gorusuruz annem babam esim kocam
	ediyorum edebilir misin yapabilir nasilsiniz ya da ile ilgili hakkinda konusmak
	birisi biri kimse sorum soru sorunum sorun`)

// Polish as typed, with or without diacritics (after Normalize).
var plWords = set(`jest nie czy sie jak gdzie kiedy mam mnie moj moja moje moi prosze
	dziekuje dziekujemy dzien dobry dobrze czesc witam pomoc pomocy potrzebuje chce
	chcialbym chcialabym moge mozna jestem jestesmy sa dla pani panstwo otwarte otwarci
	czynne godziny kosztuje koszt dlug dlugi dlugow mieszkanie praca pracy dzieci dziecko
	dzieckiem zasilek zglosic zapisac umowic wizyte rozmowa porozmawiac polsku tak juz
	teraz jutro dzisiaj bo tez bardzo jakie ktos kto maz zona syn corka sobie swoje
	mamy macie pytanie pytam wiem zadzwonic dzwonic widzenia zobaczenia uslyszenia
	dobranoc panstwu samo gdzie jestescie wasz wasze nasz nasze jego jej ich`)

// Moroccan Darija (and a little Levantine) in Latin letters, as typed:
// 3 = ع, 7 = ح, 9 = ق. Arabic script is told by its letters.
var darijaWords = set(`salam slm alikom alaykom aleykom salamo chokran choukran chokrane
	shukran choukrane bzaf bezaf bzzaf wach wash kifach kifash kidayr labas fin fen ach chno
	chnou achno bghit bghina bghit baghi baghya 3afak afak lah llah inchallah nchallah
	hamdulilah hamdullah dyal dial dyali dyalek m3a m3ak m3akom wa7ed wahed chi ila wla
	walakin daba ghadi kayn kayna kaynin ndir mochkil mouchkil mochkil flous lflous khdma
	wlad wladi mrati rajli khoya khti momkin 3lach imta fo9ach fu9ach ghda lyoum nhar sa3a
	smahli smh besslama bslama hadchi hna 3andi andi 3ndi wakha safi bghit nhder nhdar
	m3a shi kifash yallah mezyan mzyan`)

var enAlsoPolish = set(`i do to no a`)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// Scores of the languages, in this order.
const (
	scoreNL = iota
	scoreEN
	scoreTR
	scoreAR
	scorePL
	numLangs
)

var langNames = [numLangs]string{"nl", "en", "tr", "ar", "pl"}

// parseLexicon reads lexicon_gen.yaml: per language, the words only its
// examples use. The generator writes one layout ("tr:", then "    - word"
// lines), read here line by line: a YAML parse of its 3,700 lines was a
// quarter of the model's load time. A file in any other layout (edited by
// hand, quoted words) is read as YAML.
func parseLexicon(data []byte) (map[string]int, error) {
	if lex, ok := parseLexiconLines(data); ok {
		return lex, nil
	}
	var doc map[string][]string
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	lex := map[string]int{}
	for lang, words := range doc {
		idx := langIndex(lang)
		if idx < 0 {
			return nil, fmt.Errorf("unknown language %q", lang)
		}
		for _, w := range words {
			lex[w] = idx
		}
	}
	return lex, nil
}

// parseLexiconLines reads the generator's layout; ok is false for anything
// else.
func parseLexiconLines(data []byte) (lex map[string]int, ok bool) {
	lex = make(map[string]int, bytes.Count(data, []byte("\n")))
	idx := -1
	for line := range bytes.Lines(data) {
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0 || line[0] == '#':
		case bytes.HasPrefix(line, []byte("    - ")):
			w := string(line[len("    - "):])
			if idx < 0 || w == "" || strings.ContainsAny(w, "\"'#:{}[],&*!|>%@`") || strings.TrimSpace(w) != w {
				return nil, false
			}
			lex[w] = idx
		case line[len(line)-1] == ':' && line[0] != ' ':
			if idx = langIndex(string(line[:len(line)-1])); idx < 0 {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return lex, true
}

// langIndex is lang's index in langNames, or -1.
func langIndex(lang string) int {
	for i, n := range langNames {
		if n == lang {
			return i
		}
	}
	return -1
}

// detectLang returns the language raw (and its normalised form norm)
// clearly is written in: "nl", "en", "tr", "ar" or "pl", or "" when it does
// not tell. Arabic script counts for Arabic; letters only Turkish or Polish
// use (ş ğ ı; ą ę ł ń ś ź ż ć) count for those; then function words.
func detectLang(raw, norm string, lexicon map[string]int) string {
	var score [numLangs]float64
	arabic, latin, other := 0, 0, 0
	for i, r := range raw {
		if i > 4*1024 {
			break // enough to tell
		}
		switch {
		case unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r):
			arabic++
		case unicode.Is(unicode.Latin, r):
			latin++
			switch r {
			case 'ş', 'Ş', 'ğ', 'Ğ', 'ı', 'İ':
				score[scoreTR] += 1.5
			case 'ą', 'Ą', 'ę', 'Ę', 'ł', 'Ł', 'ń', 'Ń', 'ś', 'Ś', 'ź', 'Ź', 'ż', 'Ż', 'ć', 'Ć':
				score[scorePL] += 1.5
			}
		case unicode.IsLetter(r):
			other++ // Hebrew, Cyrillic, ...: none of ours
		}
	}
	if arabic >= 2 && arabic >= latin {
		return "ar"
	}
	if other > latin+arabic {
		return ""
	}
	for _, w := range strings.Fields(norm) {
		if nlWords[w] {
			score[scoreNL]++
		}
		if enWords[w] {
			// English words that are also everyday Polish ("i", "do",
			// "to", "no", "a") count half.
			if enAlsoPolish[w] {
				score[scoreEN] += 0.5
			} else {
				score[scoreEN]++
			}
		}
		if trWords[w] {
			score[scoreTR]++
		}
		if plWords[w] {
			score[scorePL]++
		}
		if darijaWords[w] {
			score[scoreAR]++
		}
		// A word only one language's examples use, unless a list above
		// already counted it for that language.
		if l, ok := lexicon[w]; ok {
			if !(l == scoreTR && trWords[w] || l == scorePL && plWords[w] || l == scoreAR && darijaWords[w]) {
				score[l]++
			}
		}
	}
	best, second := 0, -1
	for l := 1; l < numLangs; l++ {
		switch {
		case score[l] > score[best]:
			best, second = l, best
		case second < 0 || score[l] > score[second]:
			second = l
		}
	}
	if score[best] == 0 || score[best] == score[second] {
		return ""
	}
	return langNames[best]
}
