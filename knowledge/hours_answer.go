package knowledge

import (
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wotschiedam/wotbot/knowledge/label"
)

// hoursData is what the hours messages' templates can use.
type hoursData struct {
	Name    string // the WOT's name
	When    string // "vandaag", "morgen (donderdag)", "op maandag 30 november"
	Date    string // "maandag 30 november"
	Weekday string
	Day     int
	Month   string
	Holiday string
	Open    string // "09.30"
	Close   string
	Days    string // "maandag, woensdag en donderdag"
	Phone   string // the care line
	Email   string
	Website string // where the current hours are
	// The care line's daily hours, for the desk's fallback sentence.
	PhoneOpens  string
	PhoneCloses string
}

// hoursData returns template data with the fixed facts filled in; d may be
// nil.
func (b *Base) hoursData(d *hoursData) hoursData {
	var out hoursData
	if d != nil {
		out = *d
	}
	out.Name = b.facts.WOT.Name
	out.Phone = b.facts.CareLine.Phone
	out.Email = b.facts.CareLine.Email
	out.Website = b.facts.WOT.Website
	out.PhoneOpens = b.facts.CareLine.Opens
	out.PhoneCloses = b.facts.CareLine.Closes
	return out
}

// hoursAspect names what a time question asks about (see question.aspect).
func (b *Base) hoursAspect(text string) string {
	return parseQuestion(text, date{2026, time.January, 5}).aspect()
}

// hoursAnswer answers a question about opening hours asked at now.
func (b *Base) hoursAnswer(lt *langText, text string, now time.Time) string {
	now = now.In(b.hours.loc)
	today := dateOf(now)
	q := parseQuestion(text, today)
	st := &lt.services[q.service]
	a := hoursAnswerer{b: b, lt: lt, st: st, now: now, today: today}
	if q.namedToday {
		if sp, _, _ := st.sched.day(today); sp.isOpen() && minutes(now) >= sp.close {
			for i, d := range q.days {
				if d == today {
					q.days[i] = today.add(7)
				}
			}
			sortDays(q.days)
		}
	}

	switch {
	case len(q.days) > 0:
		a.days(q.days)
		if q.evening {
			a.latest(false)
		}
	case q.weekend:
		a.weekend()
	case q.evening:
		a.latest(true)
	case q.now:
		a.status()
	case q.service == serviceDesk:
		// The full opening-hours answer says the hours can change.
		a.status()
		a.parts = append(a.parts, lt.answers[label.OpeningHours])
		a.careLineNow()
		return strings.Join(a.parts, "\n")
	default:
		a.status()
		a.parts = append(a.parts, st.week)
	}
	if q.service == serviceDesk {
		a.say("may_change", hoursData{})
		a.careLineNow()
	} else {
		a.parts = append(a.parts, st.fallback)
	}
	return strings.Join(a.parts, "\n")
}

// careLineClosedNow is "\n" and when the care line can be called again, or
// "" while it is open.
func (b *Base) careLineClosedNow(lt *langText, now time.Time) string {
	now = now.In(b.hours.loc)
	if open, _ := b.hours.phone.OpenNow(now); open {
		return ""
	}
	a := hoursAnswerer{b: b, lt: lt, st: &lt.services[serviceDesk], now: now, today: dateOf(now)}
	a.careLineNow()
	return "\n" + strings.Join(a.parts, "\n")
}

// careLineNow ends a walk-in desk answer with the number that is always
// right, said for this moment: call now, or when the care line opens again
// and the e-mail address meanwhile. Never "call the desk" when it is shut.
func (a *hoursAnswerer) careLineNow() {
	phone := a.b.hours.phone
	if open, closes := phone.OpenNow(a.now); open {
		a.say("call_now", hoursData{Close: clock(minutes(closes))})
		return
	}
	next := phone.NextOpening(a.now)
	if next.IsZero() {
		a.parts = append(a.parts, a.b.t(a.lt.lang, "hours.phone.fallback", a.b.hoursData(nil)))
		return
	}
	if d := dateOf(next); d == a.today {
		a.say("call_later_today", hoursData{Open: clock(minutes(next))})
	} else {
		a.say("call_later", hoursData{When: a.when(d), Open: clock(minutes(next))})
	}
}

// hoursAnswerer builds one answer, sentence by sentence.
type hoursAnswerer struct {
	b     *Base
	lt    *langText
	st    *serviceText
	now   time.Time
	today date
	parts []string
}

func (a *hoursAnswerer) say(id string, d hoursData) {
	a.parts = append(a.parts, upperFirst(a.b.t(a.lt.lang, a.st.prefix+id, a.b.hoursData(&d))))
}

// when says a day relative to today: "vandaag", "morgen (donderdag)",
// "op maandag 30 november".
func (a *hoursAnswerer) when(d date) string {
	id := "knowledge.when.date"
	switch d {
	case a.today:
		id = "knowledge.when.today"
	case a.today.add(1):
		id = "knowledge.when.tomorrow"
	case a.today.add(2):
		id = "knowledge.when.day_after"
	}
	return a.b.t(a.lt.lang, id, hoursData{Weekday: a.lt.weekdays[d.weekday()], Date: a.b.formatDate(a.lt, d)})
}

// status says whether the service is open now, and if not, when it opens.
func (a *hoursAnswerer) status() {
	if open, closes := a.st.sched.OpenNow(a.now); open {
		a.say("open_now_until", hoursData{Close: clock(minutes(closes))})
		return
	}
	a.say("closed_now", hoursData{})
	a.reopens(a.now)
}

// reopens says when the service next opens after t.
func (a *hoursAnswerer) reopens(t time.Time) {
	next := a.st.sched.NextOpening(t)
	if next.IsZero() {
		return
	}
	d := dateOf(next)
	if d == a.today {
		a.say("opens_today", hoursData{Open: clock(minutes(next))})
		return
	}
	a.say("reopens", hoursData{When: a.when(d), Open: clock(minutes(next))})
}

// days answers for particular days, then says when a closed one reopens.
func (a *hoursAnswerer) days(ds []date) {
	var lastClosed date
	anyClosed := false
	for _, d := range ds {
		sp, why, hol := a.st.sched.day(d)
		when := a.when(d)
		switch why {
		case notClosed:
			a.say("day_open", hoursData{When: when, Open: clock(sp.open), Close: clock(sp.close)})
			if d == a.today {
				if open, _ := a.st.sched.OpenNow(a.now); open {
					a.say("open_now", hoursData{})
				} else if minutes(a.now) >= sp.close {
					a.say("closed_now", hoursData{})
					a.reopens(a.now)
				}
			}
			continue
		case closedWeekly:
			a.say("day_closed", hoursData{When: when})
		case closedHoliday:
			a.say("day_holiday", hoursData{Holiday: a.lt.holidays[hol], Date: a.b.formatDate(a.lt, d)})
			a.usually(d)
		case closedExtra:
			a.say("day_extra_closed", hoursData{When: when})
			a.usually(d)
		}
		anyClosed, lastClosed = true, d
	}
	if anyClosed {
		after := lastClosed.add(1).at(a.b.hours.loc, 0).Add(-time.Second)
		if after.Before(a.now) {
			after = a.now
		}
		a.reopens(after)
	}
}

// usually gives a day's regular hours when an exception closes it.
func (a *hoursAnswerer) usually(d date) {
	wd := d.weekday()
	if sp := a.st.sched.week[wd]; sp.isOpen() {
		a.say("usually", hoursData{Weekday: a.lt.weekdays[wd], Open: clock(sp.open), Close: clock(sp.close)})
	}
}

// weekend answers for the coming weekend (or the rest of this one).
func (a *hoursAnswerer) weekend() {
	var ds []date
	for d := a.today; len(ds) == 0 || d.weekday() == time.Sunday; d = d.add(1) {
		if wd := d.weekday(); wd == time.Saturday || wd == time.Sunday {
			ds = append(ds, d)
		}
	}
	// Closed every weekend (a holiday on it changes nothing to say)?
	regular := true
	for _, d := range ds {
		if a.st.sched.week[d.weekday()].isOpen() {
			regular = false
		}
	}
	if !regular {
		a.days(ds)
		return
	}
	a.say("weekend_closed", hoursData{})
	last := ds[len(ds)-1]
	after := last.add(1).at(a.b.hours.loc, 0).Add(-time.Second)
	a.reopens(after)
}

// latest answers evening questions: the day(s) it is open longest, and, when
// no day was asked about, the next such day.
func (a *hoursAnswerer) latest(next bool) {
	latest, daily := 0, true
	for _, sp := range a.st.sched.week {
		if !sp.isOpen() {
			daily = false
			continue
		}
		latest = max(latest, sp.close)
	}
	if latest == 0 {
		return
	}
	var days []string
	for i := 1; i <= 7; i++ {
		wd := time.Weekday(i % 7)
		if sp := a.st.sched.week[wd]; sp.close == latest {
			days = append(days, a.lt.weekdays[wd])
		} else {
			daily = false
		}
	}
	if daily {
		a.say("latest_daily", hoursData{Close: clock(latest)})
		return
	}
	a.say("latest", hoursData{Days: a.b.join(a.lt.lang, days), Close: clock(latest)})
	if !next {
		return
	}
	d := a.today
	if minutes(a.now) >= latest {
		d = d.add(1)
	}
	for i := 0; i < searchDays; i, d = i+1, d.add(1) {
		if sp, _, _ := a.st.sched.day(d); sp.close == latest {
			a.say("next_latest", hoursData{When: a.when(d)})
			return
		}
	}
}

// memo remembers rendered hours messages. Rendering through the catalog
// costs a few microseconds a message; the same sentences ("morgen (donderdag)
// is de balie open ...") come back all day. It is emptied when full, which
// bounds it as the dates in it move on.
type memo struct {
	mu sync.RWMutex
	m  map[memoKey]string
}

type memoKey struct {
	lang, id string
	data     hoursData
}

const memoMax = 10000

func newMemo() *memo { return &memo{m: map[memoKey]string{}} }

// t renders a message with hours data through the catalog, remembered.
func (b *Base) t(lang, id string, d hoursData) string {
	k := memoKey{lang, id, d}
	b.memo.mu.RLock()
	s, ok := b.memo.m[k]
	b.memo.mu.RUnlock()
	if ok {
		return s
	}
	s = b.cat.T(lang, id, d)
	b.memo.mu.Lock()
	if len(b.memo.m) >= memoMax {
		clear(b.memo.m)
	}
	b.memo.m[k] = s
	b.memo.mu.Unlock()
	return s
}

// minutes is the time of day of t in minutes after midnight.
func minutes(t time.Time) int { return t.Hour()*60 + t.Minute() }

// upperFirst capitalises a sentence that starts with a template field
// ("morgen (donderdag) is ...").
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
