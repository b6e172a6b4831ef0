package desk

import (
	"testing"
	"time"
)

// calc is the arithmetic on the knowledge base's calendar (weekends and
// the team's public holidays off), 08:30-17:00.
func calc(t *testing.T) hoursCalc {
	t.Helper()
	_, kb := catalog(t)
	return hoursCalc{hours: DefaultWorkingHours, loc: kb.Location(), workday: kb.Workday}
}

func ams(t *testing.T, s string) time.Time {
	t.Helper()
	_, kb := catalog(t)
	at, err := time.ParseInLocation("2006-01-02 15:04", s, kb.Location())
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestWorkingHoursOpen(t *testing.T) {
	h := calc(t)
	for _, tc := range []struct {
		at   string
		open bool
	}{
		{"2026-11-23 08:29", false}, // Monday, before hours
		{"2026-11-23 08:30", true},
		{"2026-11-23 16:59", true},
		{"2026-11-23 17:00", false}, // after hours
		{"2026-11-28 10:00", false}, // Saturday
		{"2026-11-29 10:00", false}, // Sunday
		{"2026-12-25 10:00", false}, // Eerste Kerstdag (Friday)
		{"2026-12-24 10:00", true},
		{"2026-04-27 10:00", false}, // Koningsdag (Monday)
		{"2026-05-14 10:00", false}, // Hemelvaartsdag
		{"2026-03-30 08:30", true},  // the Monday after the clocks went forward
		{"2026-03-30 08:29", false},
		{"2026-10-26 16:59", true}, // the Monday after the clocks went back
	} {
		if got := h.open(ams(t, tc.at)); got != tc.open {
			t.Errorf("open(%s) = %v, want %v", tc.at, got, tc.open)
		}
	}
}

func TestWorkingHoursNext(t *testing.T) {
	h := calc(t)
	for _, tc := range []struct{ at, want string }{
		{"2026-11-23 10:00", "2026-11-23 10:00"}, // open: now
		{"2026-11-23 07:00", "2026-11-23 08:30"}, // before hours: today
		{"2026-11-23 17:00", "2026-11-24 08:30"}, // after hours: tomorrow
		{"2026-11-27 18:00", "2026-11-30 08:30"}, // Friday evening: Monday
		{"2026-11-28 12:00", "2026-11-30 08:30"}, // Saturday: Monday
		{"2026-12-24 17:30", "2026-12-28 08:30"}, // Christmas on Friday, Boxing Day on Saturday
		{"2026-12-31 17:30", "2027-01-04 08:30"}, // Nieuwjaarsdag on Friday
		{"2026-03-27 17:00", "2026-03-30 08:30"}, // over the clocks going forward: still 08:30
	} {
		got := h.next(ams(t, tc.at))
		if want := ams(t, tc.want); !got.Equal(want) {
			t.Errorf("next(%s) = %s, want %s", tc.at, got.In(h.loc).Format("2006-01-02 15:04 MST"), tc.want)
		}
	}
	// DST: 08:30 is 07:30 UTC in winter and 06:30 UTC in summer.
	if got := h.next(ams(t, "2026-03-28 12:00")).UTC().Format("15:04"); got != "06:30" {
		t.Errorf("the Monday after the clocks went forward opens at %s UTC, want 06:30", got)
	}
	if got := h.next(ams(t, "2026-10-24 12:00")).UTC().Format("15:04"); got != "07:30" {
		t.Errorf("the Monday after the clocks went back opens at %s UTC, want 07:30", got)
	}
}

func TestAddWorkdays(t *testing.T) {
	h := calc(t)
	for _, tc := range []struct {
		at   string
		n    int
		want string
	}{
		{"2026-11-23 11:00", 2, "2026-11-25 11:00"}, // Monday -> Wednesday
		{"2026-11-27 14:00", 2, "2026-12-01 14:00"}, // Friday -> Tuesday, over the weekend
		{"2026-11-27 19:00", 2, "2026-12-02 08:30"}, // after hours counts from the next opening (Monday 08:30)
		{"2026-11-28 10:00", 2, "2026-12-02 08:30"}, // Saturday: from Monday 08:30
		{"2026-12-23 10:00", 2, "2026-12-28 10:00"}, // over Christmas
		{"2026-03-27 10:00", 1, "2026-03-30 10:00"}, // over the clocks going forward: same clock time
		{"2026-10-23 10:00", 1, "2026-10-26 10:00"}, // over the clocks going back
	} {
		got := h.addWorkdays(ams(t, tc.at), tc.n)
		if want := ams(t, tc.want); !got.Equal(want) {
			t.Errorf("addWorkdays(%s, %d) = %s, want %s", tc.at, tc.n, got.In(h.loc).Format("2006-01-02 15:04"), tc.want)
		}
	}
}

func TestWorkdaysAfter(t *testing.T) {
	h := calc(t)
	for _, tc := range []struct {
		due, now string
		late     int
	}{
		{"2026-11-30 00:00", "2026-11-30 16:00", 0}, // on the day itself: not late
		{"2026-11-30 00:00", "2026-12-01 08:30", 1},
		{"2026-11-30 00:00", "2026-12-02 08:30", 2},
		{"2026-11-27 00:00", "2026-11-30 09:00", 1}, // Friday due: Monday is the first day late
		{"2026-11-27 00:00", "2026-11-29 09:00", 0}, // the weekend does not count
		{"2026-12-24 00:00", "2026-12-28 09:00", 1}, // Christmas does not count
	} {
		if got := h.workdaysAfter(ams(t, tc.due), ams(t, tc.now)); got != tc.late {
			t.Errorf("workdaysAfter(%s, %s) = %d, want %d", tc.due, tc.now, got, tc.late)
		}
	}
}

func TestPrevWorkdayAndDayStart(t *testing.T) {
	h := calc(t)
	for _, tc := range []struct{ now, want string }{
		{"2026-11-24 08:30", "2026-11-23 08:30"}, // Tuesday: Monday's start
		{"2026-11-30 08:30", "2026-11-27 08:30"}, // Monday: Friday's start
		{"2026-12-28 08:30", "2026-12-24 08:30"}, // after Christmas: Thursday
	} {
		got := h.dayStart(h.prevWorkday(ams(t, tc.now)))
		if want := ams(t, tc.want); !got.Equal(want) {
			t.Errorf("start of the working day before %s = %s, want %s", tc.now, got.In(h.loc).Format("2006-01-02 15:04"), tc.want)
		}
	}
}

func TestParseWorkingHours(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" when it is refused
	}{
		{"08:30-17:00", "08:30-17:00"},
		{"8.30-17.00", "08:30-17:00"},
		{" 9:00 - 16:30 ", "09:00-16:30"},
		{"9-17", "09:00-17:00"},
		{"17:00-08:30", ""},
		{"08:30", ""},
		{"08:70-17:00", ""},
		{"25:00-26:00", ""},
		{"", ""},
	} {
		got, err := ParseWorkingHours(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParseWorkingHours(%q) = %v, want an error", tc.in, got)
		case tc.want != "" && err != nil:
			t.Errorf("ParseWorkingHours(%q): %v", tc.in, err)
		case tc.want != "" && got.String() != tc.want:
			t.Errorf("ParseWorkingHours(%q) = %v, want %s", tc.in, got, tc.want)
		}
	}
}
