package knowledge

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/nl"
	"gopkg.in/yaml.v3"

	// The bot must know Dutch time on any machine, also one without a zone
	// database (a scratch container).
	_ "time/tzdata"
)

// holidayDefs maps the holiday keys used in the team file (teams/*.yaml) to their calendar
// rules. Pasen and pinksteren are Sundays and missing from cal's nl package,
// so they come from the shared Christian calendar.
var holidayDefs = map[string]*cal.Holiday{
	"nieuwjaarsdag":      nl.Nieuwjaar,
	"goede_vrijdag":      nl.GoedeVrijdag,
	"pasen":              aa.Easter,
	"tweede_paasdag":     nl.TweedePaasdag,
	"koningsdag":         nl.Koningsdag,
	"bevrijdingsdag":     nl.BevrijdingsDag,
	"hemelvaartsdag":     nl.Hemelvaart,
	"pinksteren":         aa.Pentecost,
	"tweede_pinksterdag": nl.TweedePinksterDag,
	"eerste_kerstdag":    nl.EersteKerstdag,
	"tweede_kerstdag":    nl.TweedeKerstdag,
}

// holidayKeys lists holidayDefs' keys in calendar order, so that answers and
// errors come out the same every time.
var holidayKeys = []string{
	"nieuwjaarsdag", "goede_vrijdag", "pasen", "tweede_paasdag", "koningsdag",
	"bevrijdingsdag", "hemelvaartsdag", "pinksteren", "tweede_pinksterdag",
	"eerste_kerstdag", "tweede_kerstdag",
}

// Precomputed holiday years: lookups in this range are a map access; others
// are calculated on the spot.
const (
	firstHolidayYear = 2000
	lastHolidayYear  = 2100
)

// date is a calendar day without a time or zone.
type date struct {
	Y int
	M time.Month
	D int
}

func dateOf(t time.Time) date { y, m, d := t.Date(); return date{y, m, d} }

// at returns the moment min minutes after midnight on d in loc.
func (d date) at(loc *time.Location, min int) time.Time {
	return time.Date(d.Y, d.M, d.D, min/60, min%60, 0, 0, loc)
}

// add moves d by n days; time.Date normalises the overflow.
func (d date) add(n int) date {
	return dateOf(time.Date(d.Y, d.M, d.D+n, 12, 0, 0, 0, time.UTC))
}

func (d date) weekday() time.Weekday {
	return time.Date(d.Y, d.M, d.D, 12, 0, 0, 0, time.UTC).Weekday()
}

func (d date) before(e date) bool {
	if d.Y != e.Y {
		return d.Y < e.Y
	}
	if d.M != e.M {
		return d.M < e.M
	}
	return d.D < e.D
}

// span is an opening period in minutes after midnight; the zero span means
// closed all day.
type span struct{ open, close int }

func (s span) isOpen() bool { return s.close > s.open }

// holidays answers which public holiday, if any, falls on a day.
type holidays struct {
	keys  []string // the holidays the WOT does not work on, from the team file (teams/*.yaml)
	byDay map[date]string
}

func newHolidays(keys []string) (*holidays, error) {
	h := &holidays{keys: keys, byDay: map[date]string{}}
	for _, k := range keys {
		if holidayDefs[k] == nil {
			return nil, fmt.Errorf("unknown holiday %q (known: %s)", k, strings.Join(holidayKeys, ", "))
		}
		for y := firstHolidayYear; y <= lastHolidayYear; y++ {
			if d, ok := calcHoliday(k, y); ok {
				h.byDay[d] = k
			}
		}
	}
	return h, nil
}

// calcHoliday returns the day a holiday is kept in a year: the observed day,
// because that is the day off (Koningsdag on a Sunday moves to Saturday).
func calcHoliday(key string, year int) (date, bool) {
	_, observed := holidayDefs[key].Calc(year)
	if observed.IsZero() {
		return date{}, false
	}
	return dateOf(observed), true
}

// on returns the key of the holiday on d, or "".
func (h *holidays) on(d date) string {
	if d.Y >= firstHolidayYear && d.Y <= lastHolidayYear {
		return h.byDay[d]
	}
	for _, k := range h.keys {
		if hd, ok := calcHoliday(k, d.Y); ok && hd == d {
			return k
		}
	}
	return ""
}

// next returns the first day on or after from on which holiday key falls.
func nextHoliday(key string, from date) (date, bool) {
	for y := from.Y; y <= from.Y+1; y++ {
		if d, ok := calcHoliday(key, y); ok && !d.before(from) {
			return d, true
		}
	}
	return date{}, false
}

// closure says why a service is closed on a day.
type closure int

const (
	notClosed     closure = iota
	closedWeekly          // a day of the week it is never open
	closedHoliday         // a public holiday
	closedExtra           // a date listed in closed_on
)

// Schedule is the weekly opening hours of one service (the walk-in desk or
// the care line) with its exceptions.
type Schedule struct {
	loc              *time.Location
	week             [7]span // by time.Weekday
	closedOnHolidays bool
	closedOn         map[date]bool
	holidays         *holidays
}

// day returns the opening period on d, why it is closed if it is, and the
// holiday's key when that is the reason.
func (s *Schedule) day(d date) (span, closure, string) {
	if s.closedOn[d] {
		return span{}, closedExtra, ""
	}
	if s.closedOnHolidays {
		if k := s.holidays.on(d); k != "" {
			return span{}, closedHoliday, k
		}
	}
	sp := s.week[d.weekday()]
	if !sp.isOpen() {
		return span{}, closedWeekly, ""
	}
	return sp, notClosed, ""
}

// OpenNow reports whether the service is open at t and, if so, when it
// closes.
func (s *Schedule) OpenNow(t time.Time) (bool, time.Time) {
	t = t.In(s.loc)
	d := dateOf(t)
	sp, _, _ := s.day(d)
	if !sp.isOpen() {
		return false, time.Time{}
	}
	open, closes := d.at(s.loc, sp.open), d.at(s.loc, sp.close)
	if t.Before(open) || !t.Before(closes) {
		return false, time.Time{}
	}
	return true, closes
}

// searchDays bounds the search for the next opening: a year and a bit, so
// that a schedule that is never open ends the search.
const searchDays = 400

// NextOpening returns the start of the first opening period that begins after
// t (when the service is open at t, that is the next period, not the current
// one). It returns the zero time when the service never opens.
func (s *Schedule) NextOpening(t time.Time) time.Time {
	t = t.In(s.loc)
	d := dateOf(t)
	for i := 0; i < searchDays; i++ {
		if sp, _, _ := s.day(d); sp.isOpen() {
			if open := d.at(s.loc, sp.open); open.After(t) {
				return open
			}
		}
		d = d.add(1)
	}
	return time.Time{}
}

// hoursFile is the team file (teams/*.yaml).
type hoursFile struct {
	Timezone string       `yaml:"timezone"`
	Holidays []string     `yaml:"holidays"`
	Desk     scheduleFile `yaml:"balie"`
	Phone    scheduleFile `yaml:"zorgcentrale"`
}

type scheduleFile struct {
	Source           string            `yaml:"source"`
	Days             map[string]string `yaml:",inline"`
	ClosedOnHolidays bool              `yaml:"closed_on_holidays"`
	ClosedOn         []string          `yaml:"closed_on"`
}

// dayNames are the Dutch day names the team file (teams/*.yaml) uses, by time.Weekday.
var dayNames = [7]string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"}

// hours is everything loaded from the team file (teams/*.yaml).
type hours struct {
	loc      *time.Location
	holidays *holidays
	desk     *Schedule
	phone    *Schedule
}

func parseHours(data []byte) (*hours, error) {
	var f hoursFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse the team file (teams/*.yaml): %w", err)
	}
	loc, err := time.LoadLocation(f.Timezone)
	if err != nil {
		return nil, fmt.Errorf("the team file (teams/*.yaml) timezone: %w", err)
	}
	hol, err := newHolidays(f.Holidays)
	if err != nil {
		return nil, fmt.Errorf("the team file (teams/*.yaml) holidays: %w", err)
	}
	h := &hours{loc: loc, holidays: hol}
	if h.desk, err = parseSchedule(f.Desk, loc, hol); err != nil {
		return nil, fmt.Errorf("the team file (teams/*.yaml) balie: %w", err)
	}
	if h.phone, err = parseSchedule(f.Phone, loc, hol); err != nil {
		return nil, fmt.Errorf("the team file (teams/*.yaml) zorgcentrale: %w", err)
	}
	return h, nil
}

func parseSchedule(f scheduleFile, loc *time.Location, hol *holidays) (*Schedule, error) {
	s := &Schedule{loc: loc, closedOnHolidays: f.ClosedOnHolidays, closedOn: map[date]bool{}, holidays: hol}
	seen := 0
	for wd, name := range dayNames {
		v, ok := f.Days[name]
		if !ok {
			return nil, fmt.Errorf("%s is missing (write %q when closed)", name, "gesloten")
		}
		seen++
		sp, err := parseSpan(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s.week[wd] = sp
	}
	if seen != len(f.Days) {
		for k := range f.Days {
			if !isDayName(k) {
				return nil, fmt.Errorf("unknown entry %q", k)
			}
		}
	}
	for _, v := range f.ClosedOn {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("closed_on %q: want a date like 2026-12-31", v)
		}
		s.closedOn[dateOf(t)] = true
	}
	return s, nil
}

func isDayName(s string) bool {
	for _, n := range dayNames {
		if n == s {
			return true
		}
	}
	return false
}

// parseSpan reads "09.30-16.30" (a colon also works) or "gesloten".
func parseSpan(v string) (span, error) {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "" || v == "gesloten" || v == "dicht" {
		return span{}, nil
	}
	from, to, ok := strings.Cut(strings.NewReplacer("–", "-", " ", "").Replace(v), "-")
	if !ok {
		return span{}, fmt.Errorf("%q: want a time like 09.30-16.30 or gesloten", v)
	}
	o, err := parseClock(from)
	if err != nil {
		return span{}, err
	}
	c, err := parseClock(to)
	if err != nil {
		return span{}, err
	}
	if c <= o {
		return span{}, fmt.Errorf("%q: closes before it opens", v)
	}
	return span{o, c}, nil
}

func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.ReplaceAll(s, ":", "."), ".")
	if !ok {
		mm = "0"
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, fmt.Errorf("%q is not a time like 09.30", s)
	}
	return h*60 + m, nil
}

// clock formats minutes after midnight the Dutch way: 09.30.
func clock(min int) string {
	h, m := min/60, min%60
	return string([]byte{byte('0' + h/10), byte('0' + h%10), '.', byte('0' + m/10), byte('0' + m%10)})
}

// workday reports whether the WOT works on d: Monday to Friday and not one of
// the holidays of the team file (teams/*.yaml).
func (h *hours) workday(d date) bool {
	wd := d.weekday()
	return wd != time.Saturday && wd != time.Sunday && h.holidays.on(d) == ""
}

// callbackDue is n working days after the day of t, at midnight.
func (h *hours) callbackDue(t time.Time, n int) time.Time {
	d := dateOf(t.In(h.loc))
	for n > 0 {
		d = d.add(1)
		if h.workday(d) {
			n--
		}
	}
	return d.at(h.loc, 0)
}
