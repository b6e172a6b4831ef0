package knowledge

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// service is what a time question is about.
type service int

const (
	serviceDesk  service = iota // the walk-in desk (balie)
	servicePhone                // the care line (zorgcentrale)
)

// question is what a time question asks, read from its words.
type question struct {
	service service
	days    []date // particular days asked about, in order
	weekend bool
	evening bool
	now     bool
	// namedToday: a day name ("donderdag") was read as today. After closing
	// time the resident means next week's; only the schedule can tell.
	namedToday bool
	// kind is how the first day asked about was named: "today", "tomorrow",
	// "holiday", "date" or "day" (a weekday); the answer's aspect.
	kind string
}

// Word lists, Dutch and English together: residents mix them, and a time
// question in either language gets the same reading.
var (
	// Words of coming to the desk: "mijn telefoon is kapot, kan ik
	// langskomen?" asks about the desk, whatever the phone words.
	deskWords = wordSet("langskomen", "langs", "binnenlopen", "binnen", "komen", "kom", "balie", "loket",
		"visit", "walk", "come", "desk", "office", "kantoor")
	phoneWords = wordSet("bel", "bellen", "belt", "opbellen", "telefoon", "telefonisch",
		"telefoonnummer", "zorgcentrale", "phone", "call", "calling", "ring", "telephone")
	todayWords = wordSet("vandaag", "today", "vanmiddag", "vanochtend", "vanmorgen",
		"vanavond", "tonight", "thisafternoon")
	tomorrowWords = wordSet("morgen", "tomorrow", "morgenochtend", "morgenmiddag",
		"morgenavond", "morgenvroeg", "tmrw", "tmr", "2morrow")
	// New Year's Eve is no holiday, but people ask about it as if it were.
	newYearsEveWords = wordSet("oudejaarsdag", "oudjaarsdag", "oudjaar", "oudejaar", "oudejaarsavond")
	dayAfterWords    = wordSet("overmorgen")
	eveningWords     = wordSet("avond", "avonds", "vanavond", "avonden", "morgenavond", "evening", "evenings", "tonight", "late", "night",
		"laatst", "laatste", "latest", "avondopenstelling", "avonduren", "avondopening")
	// Hours after the desk's usual closing: "half 6", "na 5 uur", "until 5".
	lateHours  = wordSet("5", "6", "7", "vijf", "zes", "zeven", "five", "six", "seven", "17", "18", "19", "1700", "1730", "1800", "17u", "18u")
	hourBefore = wordSet("half", "na", "after", "until", "till", "tot", "om", "at", "rond", "around")
	workWords  = wordSet("werk", "werktijd", "werken", "work", "job", "school")
	// "na vijven", "after six", "na werktijd"
	afterWords      = wordSet("na", "after")
	afterEveningArg = wordSet("vijven", "zessen", "vijf", "zes", "5", "6", "17", "18",
		"five", "six", "werk", "werktijd", "work", "17u", "18u")
	nowWords     = wordSet("nu", "nou", "now", "momenteel", "currently", "moment", "nog", "still")
	weekendWords = wordSet("weekend", "weekends", "weekeinde")
	nextWords    = wordSet("volgende", "next", "komende", "coming")
	weekWords    = wordSet("week")
)

// weekdayWords maps day names to weekdays; longer words that start with one
// (donderdagavond, maandags) count as that day too.
var weekdayWords = []struct {
	name string
	day  time.Weekday
}{
	{"maandag", time.Monday}, {"dinsdag", time.Tuesday}, {"woensdag", time.Wednesday},
	{"donderdag", time.Thursday}, {"vrijdag", time.Friday}, {"zaterdag", time.Saturday},
	{"zondag", time.Sunday},
	{"monday", time.Monday}, {"tuesday", time.Tuesday}, {"wednesday", time.Wednesday},
	{"thursday", time.Thursday}, {"friday", time.Friday}, {"saturday", time.Saturday},
	{"sunday", time.Sunday},
}

var monthWords = map[string]time.Month{
	"januari": 1, "jan": 1, "january": 1,
	"februari": 2, "feb": 2, "february": 2,
	"maart": 3, "mrt": 3, "march": 3, "mar": 3,
	"april": 4, "apr": 4,
	"mei": 5, "may": 5,
	"juni": 6, "jun": 6, "june": 6,
	"juli": 7, "jul": 7, "july": 7,
	"augustus": 8, "aug": 8, "august": 8,
	"september": 9, "sep": 9, "sept": 9,
	"oktober": 10, "okt": 10, "october": 10, "oct": 10,
	"november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

// holidayPhrases name holidays in one or two words; a phrase that names a
// feast of two days (kerst) asks about both.
var holidayPhrases = []struct {
	words []string
	keys  []string
}{
	{[]string{"tweede", "paasdag"}, []string{"tweede_paasdag"}},
	{[]string{"eerste", "paasdag"}, []string{"pasen"}},
	{[]string{"easter", "monday"}, []string{"tweede_paasdag"}},
	{[]string{"paasmaandag"}, []string{"tweede_paasdag"}},
	{[]string{"pasen"}, []string{"pasen", "tweede_paasdag"}},
	{[]string{"easter"}, []string{"pasen", "tweede_paasdag"}},
	{[]string{"goede", "vrijdag"}, []string{"goede_vrijdag"}},
	{[]string{"good", "friday"}, []string{"goede_vrijdag"}},
	{[]string{"tweede", "pinksterdag"}, []string{"tweede_pinksterdag"}},
	{[]string{"eerste", "pinksterdag"}, []string{"pinksteren"}},
	{[]string{"whit", "monday"}, []string{"tweede_pinksterdag"}},
	{[]string{"pinkstermaandag"}, []string{"tweede_pinksterdag"}},
	{[]string{"pinksteren"}, []string{"pinksteren", "tweede_pinksterdag"}},
	{[]string{"pentecost"}, []string{"pinksteren", "tweede_pinksterdag"}},
	{[]string{"tweede", "kerstdag"}, []string{"tweede_kerstdag"}},
	{[]string{"eerste", "kerstdag"}, []string{"eerste_kerstdag"}},
	{[]string{"boxing", "day"}, []string{"tweede_kerstdag"}},
	{[]string{"christmas", "day"}, []string{"eerste_kerstdag"}},
	{[]string{"kerst"}, []string{"eerste_kerstdag", "tweede_kerstdag"}},
	{[]string{"kerstmis"}, []string{"eerste_kerstdag", "tweede_kerstdag"}},
	{[]string{"christmas"}, []string{"eerste_kerstdag", "tweede_kerstdag"}},
	{[]string{"nieuwjaarsdag"}, []string{"nieuwjaarsdag"}},
	{[]string{"nieuwjaar"}, []string{"nieuwjaarsdag"}},
	{[]string{"new", "year"}, []string{"nieuwjaarsdag"}},
	{[]string{"koningsdag"}, []string{"koningsdag"}},
	{[]string{"kings", "day"}, []string{"koningsdag"}},
	{[]string{"king", "s", "day"}, []string{"koningsdag"}},
	{[]string{"bevrijdingsdag"}, []string{"bevrijdingsdag"}},
	{[]string{"liberation", "day"}, []string{"bevrijdingsdag"}},
	{[]string{"hemelvaartsdag"}, []string{"hemelvaartsdag"}},
	{[]string{"hemelvaart"}, []string{"hemelvaartsdag"}},
	{[]string{"ascension"}, []string{"hemelvaartsdag"}},
}

func wordSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// words splits text into folded words of letters and digits (see foldWord).
func words(text string) []string {
	return strings.FieldsFunc(foldWord(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// parseQuestion reads a time question asked on day today.
func parseQuestion(text string, today date) question {
	var q question
	ws := toDutchTimeWords(words(text))
	used := make([]bool, len(ws)) // words consumed by a holiday phrase or date
	nextWeek, next, desk := false, false, false
	for i, w := range ws {
		desk = desk || deskWords[w]
		switch {
		case phoneWords[w]:
			q.service = servicePhone
		case weekendWords[w]:
			q.weekend = true
		case nowWords[w]:
			q.now = true
		case nextWords[w]:
			next = true
			if i+1 < len(ws) && weekWords[ws[i+1]] {
				nextWeek = true
			}
		}
		if eveningWords[w] || strings.HasSuffix(w, "avond") || strings.HasPrefix(w, "avond") ||
			(afterWords[w] && i+1 < len(ws) && afterEveningArg[ws[i+1]]) ||
			(lateHours[w] && i > 0 && hourBefore[ws[i-1]] && (ws[i-1] != "om" && ws[i-1] != "at" && ws[i-1] != "rond" && ws[i-1] != "around" || i+1 < len(ws) && ws[i+1] == "uur")) ||
			(afterWords[w] && (i+2 < len(ws) && workWords[ws[i+2]])) {
			q.evening = true
		}
	}

	if desk {
		q.service = serviceDesk
	}
	for i := 0; i+3 < len(ws); i++ {
		if matchAt(ws, used, i, []string{"new", "year", "s", "eve"}) {
			ws[i+3] = "oudejaarsdag"
			used[i], used[i+1], used[i+2] = true, true, true
		}
	}
	// Holidays by name, longest phrases first (the list is in that order).
	for _, p := range holidayPhrases {
		for i := 0; i+len(p.words) <= len(ws); i++ {
			if !matchAt(ws, used, i, p.words) {
				continue
			}
			for j := range p.words {
				used[i+j] = true
			}
			for _, k := range p.keys {
				if d, ok := nextHoliday(k, today); ok {
					q.days = append(q.days, d)
					q.setKind("holiday")
				}
			}
		}
	}

	for i, w := range ws {
		if used[i] {
			continue
		}
		switch {
		case newYearsEveWords[w]:
			d := date{today.Y, time.December, 31}
			q.days = append(q.days, d)
			q.setKind("date")
		case todayWords[w]:
			q.days = append(q.days, today)
			q.setKind("today")
		case tomorrowWords[w]:
			q.days = append(q.days, today.add(1))
			q.setKind("tomorrow")
		case dayAfterWords[w]:
			q.days = append(q.days, today.add(2))
			q.setKind("day")
		case w == "after" && i+1 < len(ws) && ws[i+1] == "tomorrow":
			// "the day after tomorrow"
			q.days = append(q.days, today.add(2))
			used[i+1] = true
			q.setKind("day")
		default:
			if d, ok := explicitDate(ws, used, i, today); ok {
				q.days = append(q.days, d)
				q.setKind("date")
				continue
			}
			if wd, ok := weekdayOf(w); ok {
				d := nextWeekday(today, wd, next, nextWeek)
				q.namedToday = q.namedToday || d == today
				q.days = append(q.days, d)
				q.setKind("day")
			}
		}
	}
	sortDays(q.days)
	q.days = slices.Compact(q.days)
	return q
}

func (q *question) setKind(k string) {
	if q.kind == "" {
		q.kind = k
	}
}

// aspect names what a time question asks about, for ask --json: "phone"
// (the care line), "evening", "today", "tomorrow", "day", "date",
// "holiday", "weekend", or "" for the week's hours.
func (q question) aspect() string {
	switch {
	case q.service == servicePhone:
		return "phone"
	case q.evening:
		return "evening"
	case q.kind != "":
		return q.kind
	case q.weekend:
		return "weekend"
	case q.now:
		return "today"
	}
	return ""
}

func sortDays(ds []date) {
	slices.SortFunc(ds, func(a, b date) int {
		switch {
		case a.before(b):
			return -1
		case b.before(a):
			return 1
		}
		return 0
	})
}

func matchAt(ws []string, used []bool, i int, phrase []string) bool {
	for j, p := range phrase {
		if used[i+j] || ws[i+j] != p {
			return false
		}
	}
	return true
}

func weekdayOf(w string) (time.Weekday, bool) {
	for _, d := range weekdayWords {
		if strings.HasPrefix(w, d.name) {
			return d.day, true
		}
	}
	return 0, false
}

// nextWeekday is the day a resident means by a day name: the coming one,
// today included; with "volgende" the one after today; with "volgende week"
// the one in next week (weeks start on Monday).
func nextWeekday(today date, wd time.Weekday, next, nextWeek bool) date {
	if nextWeek {
		// Monday of next week, then the day within it.
		toMonday := (7 - (int(today.weekday())+6)%7) % 7
		if toMonday == 0 {
			toMonday = 7
		}
		return today.add(toMonday + (int(wd)+6)%7)
	}
	n := (int(wd) - int(today.weekday()) + 7) % 7
	if n == 0 && next {
		n = 7
	}
	return today.add(n)
}

// explicitDate reads "25 december", "december 25" or "25th of December"
// starting at word i, and marks the words it used.
func explicitDate(ws []string, used []bool, i int, today date) (date, bool) {
	day := func(w string) (int, bool) {
		w = strings.TrimRight(w, "stndrh") // 1st, 2nd, 3rd, 25th
		n, err := strconv.Atoi(w)
		return n, err == nil && n >= 1 && n <= 31
	}
	month := func(j int) (time.Month, bool) {
		if j < 0 || j >= len(ws) || used[j] {
			return 0, false
		}
		m, ok := monthWords[ws[j]]
		return m, ok
	}
	d, ok := day(ws[i])
	if !ok {
		return date{}, false
	}
	m, ok := month(i + 1)
	j := i + 1
	if !ok && i+2 < len(ws) && ws[i+1] == "of" {
		m, ok = month(i + 2)
		j = i + 2
	}
	if !ok {
		m, ok = month(i - 1)
		j = i - 1
	}
	if !ok {
		return date{}, false
	}
	res := date{today.Y, m, d}
	if res.add(0) != res { // 31 februari
		return date{}, false
	}
	if res.before(today) {
		res.Y++
	}
	used[i], used[j] = true, true
	return res, true
}
