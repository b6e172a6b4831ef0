package desk

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WorkingHours is when the desk reminds staff: from From to To (offsets
// from midnight, Dutch time) on working days. Nobody staffs the desk at
// night or on a holiday, so a reminder due then waits for the next opening.
type WorkingHours struct {
	From, To time.Duration
}

// DefaultWorkingHours is 08:30-17:00.
var DefaultWorkingHours = WorkingHours{From: 8*time.Hour + 30*time.Minute, To: 17 * time.Hour}

// ParseWorkingHours reads "08:30-17:00" (a dot works too: "8.30-17.00").
func ParseWorkingHours(s string) (WorkingHours, error) {
	from, to, ok := strings.Cut(strings.ReplaceAll(s, " ", ""), "-")
	if !ok {
		return WorkingHours{}, fmt.Errorf("working hours %q: want a span such as 08:30-17:00", s)
	}
	f, err := parseClockTime(from)
	if err != nil {
		return WorkingHours{}, fmt.Errorf("working hours %q: %w", s, err)
	}
	t, err := parseClockTime(to)
	if err != nil {
		return WorkingHours{}, fmt.Errorf("working hours %q: %w", s, err)
	}
	if t <= f {
		return WorkingHours{}, fmt.Errorf("working hours %q: the end comes before the start", s)
	}
	return WorkingHours{From: f, To: t}, nil
}

func parseClockTime(s string) (time.Duration, error) {
	hh, mm, ok := strings.Cut(strings.ReplaceAll(s, ".", ":"), ":")
	if !ok {
		mm = "0"
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, fmt.Errorf("%q is not a time such as 08:30", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

func (w WorkingHours) String() string {
	c := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
	}
	return c(w.From) + "-" + c(w.To)
}

// hoursCalc is the working-hours arithmetic: pure, on a zone and a
// working-day test, so it is tested without Redis or a clock.
type hoursCalc struct {
	hours   WorkingHours
	loc     *time.Location
	workday func(day time.Time) bool // day is noon of a date in loc
}

// at is the moment off after midnight on the date of day, local time.
// It is built from the clock reading, not by adding to midnight, so that
// 08:30 stays 08:30 on the days the clocks change.
func (h hoursCalc) at(day time.Time, off time.Duration) time.Time {
	y, m, d := day.In(h.loc).Date()
	return time.Date(y, m, d, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, h.loc)
}

// noon is noon on the date of t, local time: a safe point to step days from.
func (h hoursCalc) noon(t time.Time) time.Time {
	y, m, d := t.In(h.loc).Date()
	return time.Date(y, m, d, 12, 0, 0, 0, h.loc)
}

// open reports whether t falls in working hours.
func (h hoursCalc) open(t time.Time) bool {
	if !h.workday(h.noon(t)) {
		return false
	}
	return !t.Before(h.at(t, h.hours.From)) && t.Before(h.at(t, h.hours.To))
}

// searchDays bounds the search for the next working day: a year and more,
// so that a calendar without working days ends it.
const searchDays = 400

// next is t when it falls in working hours, else the start of the next
// working period after t; the zero time when there is none.
func (h hoursCalc) next(t time.Time) time.Time {
	day := h.noon(t)
	for i := 0; i < searchDays; i++ {
		if h.workday(day) {
			start, end := h.at(day, h.hours.From), h.at(day, h.hours.To)
			if t.Before(start) {
				return start
			}
			if t.Before(end) {
				return t
			}
		}
		day = h.noon(day.AddDate(0, 0, 1))
	}
	return time.Time{}
}

// dayStart is the start of working hours on the working day of t, or of
// the next working day when t's day is not one.
func (h hoursCalc) dayStart(t time.Time) time.Time {
	return h.next(h.at(t, 0))
}

// addWorkdays is n working days after t, at the same clock time: a
// request claimed on Friday at 14:00 has had two working days on Tuesday
// at 14:00. A t outside working hours counts from the next opening.
func (h hoursCalc) addWorkdays(t time.Time, n int) time.Time {
	t = h.next(t)
	if t.IsZero() {
		return t
	}
	t = t.In(h.loc)
	day := h.noon(t)
	for i := 0; n > 0 && i < searchDays; i++ {
		day = h.noon(day.AddDate(0, 0, 1))
		if h.workday(day) {
			n--
		}
	}
	y, m, d := day.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), h.loc)
}

// workdaysAfter counts the working days after the date of due up to and
// including the date of now: how many working days a call-back that was
// due on that date is late.
func (h hoursCalc) workdaysAfter(due, now time.Time) int {
	n := 0
	last := h.noon(now)
	for day := h.noon(due.AddDate(0, 0, 1)); !day.After(last) && n < searchDays; day = h.noon(day.AddDate(0, 0, 1)) {
		if h.workday(day) {
			n++
		}
	}
	return n
}

// prevWorkday is noon on the last working day before the date of t.
func (h hoursCalc) prevWorkday(t time.Time) time.Time {
	day := h.noon(h.noon(t).AddDate(0, 0, -1))
	for i := 0; i < searchDays && !h.workday(day); i++ {
		day = h.noon(day.AddDate(0, 0, -1))
	}
	return day
}

// sameDay reports whether a and b fall on one date, local time.
func (h hoursCalc) sameDay(a, b time.Time) bool {
	ya, ma, da := a.In(h.loc).Date()
	yb, mb, db := b.In(h.loc).Date()
	return ya == yb && ma == mb && da == db
}

// hours is the desk's working-hours arithmetic.
func (d *Desk) hours() hoursCalc {
	return hoursCalc{hours: d.cfg.WorkingHours, loc: d.loc(), workday: d.workday}
}
