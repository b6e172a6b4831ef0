package knowledge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Time words in Turkish, Arabic (standard and Moroccan, in Arabic script and
// in Latin letters) and Polish, each read as the Dutch word the time
// question parser knows: "yarın", "غدا", "bukra" and "jutro" all ask about
// "morgen". Residents write without accents and mix in Dutch, so the words
// are compared folded (see foldWord) and a word ending in * matches every
// word that starts with it (Turkish and Polish add endings: "pazartesiye",
// "w sobotę"). A phrase of several words becomes the one Dutch word.
//
// The words are read only in questions about opening hours. Words that mean
// something else there too are left out: Turkish "ara" (call, but also
// "between"), Arabic "أحد" without its article (Sunday, but also "anyone").
var otherTimeWords = []struct {
	dutch string
	words []string
}{
	// Days. Where one starts another ("cumartesi", Saturday, starts with
	// "cuma", Friday; "pazartesi", Monday, with "pazar") the longer match
	// wins (readTimeWord).
	{"maandag", []string{"pazartesi*", "poniedzial*", "الاثنين", "الاتنين", "الإثنين", "اثنين", "التنين", "letnin", "tnin"}},
	{"dinsdag", []string{"salı*", "wtor*", "الثلاثاء", "الثلاثا", "التلات", "التلاتاء", "ثلاثاء", "tlat", "ttlat"}},
	{"woensdag", []string{"carsamba*", "srod*", "sroda", "الاربعاء", "الاربعا", "لاربع", "اربعاء", "larb3", "larbe3"}},
	{"donderdag", []string{"persembe*", "czwart*", "الخميس", "خميس", "lkhmis", "khmis"}},
	{"zaterdag", []string{"cumartesi*", "sobot*", "السبت", "سبت", "sebt", "ssebt"}},
	{"vrijdag", []string{"cuma", "cumaya", "cumadan", "cumalari", "piat*", "الجمعة", "الجمعه", "جمعة", "ljem3a", "jem3a", "jemaa"}},
	{"zondag", []string{"pazar", "pazar gunu", "pazar gunleri", "niedziel*", "الاحد", "لحد", "l7ed", "l7add"}},
	// Days relative to today.
	{"vandaag", []string{"bugun*", "dzis", "dzisiaj", "dzisiejszy", "اليوم", "ليوم", "lyoum", "lyom", "lyouma", "lyoma", "had nhar"}},
	{"morgen", []string{"yarin", "yarina", "yarinki", "jutro", "jutra", "غدا", "غدوة", "غدوا", "بكرة", "بكره", "الغد", "ghda", "ghedda", "ghedwa", "ghdwa", "bukra"}},
	{"overmorgen", []string{"obur gun", "yarindan sonra", "pojutrze", "بعد غدا", "بعد غد", "من بعد غدا"}},
	{"nu", []string{"simdi", "su an", "su anda", "teraz", "w tej chwili", "الان", "دابا", "توا", "حاليا", "daba"}},
	{"nog", []string{"hala", "jeszcze", "مازال", "مازالين", "باقي", "mazal", "ba9i"}},
	{"weekend", []string{"hafta sonu", "haftasonu", "hafta sonlari", "weekendy", "ويكاند", "ويكند", "الويكاند", "الويكند", "نهاية الاسبوع", "wikend"}},
	{"volgende", []string{"gelecek", "onumuzdeki", "nastepn*", "przyszl*", "الجاي", "جاي", "القادم", "المقبل", "jay"}},
	{"week", []string{"hafta", "haftaya", "tydzien", "tygodni*", "الاسبوع", "اسبوع", "السيمانة", "simana"}},
	// Evenings and late.
	{"avond", []string{"aksam*", "gec", "gec saat*", "wieczor*", "pozno", "pozniej", "المساء", "مساء", "مساءا", "العشية", "عشية", "الليل", "بالليل", "ليلا", "متاخر", "l3chiya", "l3echiya", "fl3chiya", "lil"}},
	{"na werktijd", []string{"isten sonra", "mesaiden sonra", "is cikisi", "po pracy", "بعد العمل", "بعد الخدمة", "من بعد الخدمة", "من بعد الخدمه", "mn b3d lkhdma"}},
	{"na", []string{"sonra", "po", "بعد", "من بعد", "b3d", "mn b3d"}},
	// How: by phone or at the desk.
	{"bellen", []string{"telefon*", "aramak", "arayabilir*", "arasam", "zadzwoni*", "dzwoni*", "dzwonie", "الهاتف", "هاتف", "التلفون", "تلفون", "التليفون", "نتصل", "اتصل", "الاتصال", "نعيط", "نعيطو", "n3iyet", "n3ayet", "tilifoun", "telefoun"}},
	{"langskomen", []string{"gelebilir*", "gelmek", "gelsem", "gelecegim", "ugra*", "ofis*", "przyjs*", "przyjd*", "wpasc", "wpadne", "biuro", "recepcj*", "نجي", "نمشي", "اجي", "اتي", "المكتب", "مكتب", "الشباك", "الاستقبال", "nji", "nemchi"}},
	// Months, for dates ("25 aralık", "25 grudnia", "25 دجنبر").
	{"januari", []string{"ocak", "stycz*", "يناير", "جانفي"}},
	{"februari", []string{"subat", "luty", "lutego", "فبراير", "فيفري"}},
	{"maart", []string{"mart", "marzec", "marca", "مارس"}},
	{"april", []string{"nisan", "kwie*", "ابريل", "افريل"}},
	{"mei", []string{"mayis", "maj", "maja", "مايو", "ماي"}},
	{"juni", []string{"haziran", "czerw*", "يونيو", "يونيه", "جوان"}},
	{"juli", []string{"temmuz", "lipiec", "lipca", "يوليو", "يوليوز", "جويلية"}},
	{"augustus", []string{"agustos", "sierp*", "اغسطس", "غشت", "اوت"}},
	{"september", []string{"eylul", "wrzes*", "سبتمبر", "شتنبر"}},
	{"oktober", []string{"ekim", "pazdziernik*", "اكتوبر"}},
	{"november", []string{"kasim", "listopad*", "نوفمبر", "نونبر"}},
	{"december", []string{"aralik", "grud*", "ديسمبر", "دجنبر"}},
	// Holidays.
	{"kerst", []string{"noel*", "boze narodzenie", "bozego narodzenia", "swieta bozego narodzenia", "عيد الميلاد", "الكريسمس", "كريسمس", "نويل"}},
	{"tweede kerstdag", []string{"drugi dzien swiat"}},
	{"nieuwjaarsdag", []string{"yilbasi*", "nowy rok", "nowego roku", "راس السنة", "راس العام", "السنة الجديدة", "العام الجديد"}},
	{"oudejaarsdag", []string{"sylwester*"}},
	{"pasen", []string{"paskalya*", "wielkanoc*", "عيد الفصح"}},
	{"tweede paasdag", []string{"poniedzialek wielkanocny", "lany poniedzialek"}},
	{"koningsdag", []string{"kral gunu", "dzien krola", "عيد الملك"}},
	{"hemelvaartsdag", []string{"wniebowstapienie"}},
	// Dutch ordinals in digits: "2e kerstdag", "1ste paasdag".
	{"eerste", []string{"1e", "1ste"}},
	{"tweede", []string{"2e", "2de"}},
	{"pinksteren", []string{"zielone swiatki", "العنصرة"}},
}

// timeWord is one entry of otherTimeWords, folded and split.
type timeWord struct {
	words  []string // folded; the last may end in * (a stem)
	dutch  []string // the Dutch words it stands for
	prefix bool
}

// timeWords is otherTimeWords folded and indexed: an entry whose first
// word is whole under that word, a stem ("sobot*") under its first two
// letters. A message's words are each looked up once, not run past every
// entry.
var timeWords = compileTimeWords()

type timeWordIndex struct {
	whole map[string][]timeWord
	stems map[string][]timeWord
}

func compileTimeWords() timeWordIndex {
	idx := timeWordIndex{whole: map[string][]timeWord{}, stems: map[string][]timeWord{}}
	for _, e := range otherTimeWords {
		for _, w := range e.words {
			tw := timeWord{words: words(w), dutch: strings.Fields(e.dutch)}
			if last := len(tw.words) - 1; strings.HasSuffix(w, "*") {
				tw.prefix = true
				tw.words[last] = strings.TrimSuffix(tw.words[last], "*")
			}
			if tw.prefix && len(tw.words) == 1 {
				k := stemKey(tw.words[0])
				idx.stems[k] = append(idx.stems[k], tw)
				continue
			}
			idx.whole[tw.words[0]] = append(idx.whole[tw.words[0]], tw)
		}
	}
	return idx
}

// stemKey is the first two letters of w, the key of the stems it may
// start with (every stem has at least two).
func stemKey(w string) string {
	n := 0
	for i := range w {
		if n == 2 {
			return w[:i]
		}
		n++
	}
	return w
}

// match reports whether tw is read at ws[i:].
func (tw timeWord) match(ws []string, i int) bool {
	if i+len(tw.words) > len(ws) {
		return false
	}
	last := len(tw.words) - 1
	for j, w := range tw.words {
		got := ws[i+j]
		if j == last && tw.prefix {
			if !strings.HasPrefix(got, w) {
				return false
			}
			continue
		}
		if got != w {
			return false
		}
	}
	return true
}

// arabicProclitics are the one-letter words Arabic writes onto the next:
// "and", "so/in", "with/by", "to" ("فالسبت": on Saturday).
const arabicProclitics = "وفبل"

// toDutchTimeWords replaces time words of other languages in ws with the
// Dutch words they stand for; Dutch and English words stay as they are. ws
// itself is left as it was.
func toDutchTimeWords(ws []string) []string {
	out := make([]string, 0, len(ws))
	for i := 0; i < len(ws); {
		n, dutch := readTimeWord(ws, i)
		if n == 0 {
			// "فالسبت", "والخميس": the word without its proclitic.
			if r, size := utf8.DecodeRuneInString(ws[i]); strings.ContainsRune(arabicProclitics, r) && utf8.RuneCountInString(ws[i]) > 3 {
				word := ws[i]
				ws[i] = word[size:]
				n, dutch = readTimeWord(ws, i)
				ws[i] = word
			}
		}
		if n == 0 {
			out = append(out, ws[i])
			i++
			continue
		}
		out = append(out, dutch...)
		i += n
	}
	return out
}

// readTimeWord reads the time word at ws[i]: how many words it took and the
// Dutch words it stands for, or 0. The longest phrase wins; on a tie, a
// whole word before a stem, then the table's order.
func readTimeWord(ws []string, i int) (int, []string) {
	n, dutch := 0, []string(nil)
	for _, list := range [][]timeWord{timeWords.whole[ws[i]], timeWords.stems[stemKey(ws[i])]} {
		for _, tw := range list {
			if len(tw.words) > n && tw.match(ws, i) {
				n, dutch = len(tw.words), tw.dutch
			}
		}
	}
	return n, dutch
}

// foldWord lowercases w and strips accents, Arabic vowel marks and hamza
// seats ("غداً" -> "غدا", "الآن" -> "الان"), and reads Turkish ı and Polish ł
// as i and l; Arabic-Indic digits become 0-9.
func foldWord(w string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(strings.ToLower(w)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'ı':
			b.WriteByte('i')
		case r == 'ł':
			b.WriteByte('l')
		case r >= '٠' && r <= '٩':
			b.WriteRune('0' + r - '٠')
		case r >= '۰' && r <= '۹':
			b.WriteRune('0' + r - '۰')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
