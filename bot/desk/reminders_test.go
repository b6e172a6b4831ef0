package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/dialog"
)

// privates counts the messages to a staff member's private chat that
// contain sub.
func privates(e *env, chat int64, sub string) int {
	n := 0
	for _, m := range e.api.Sent(chat) {
		if strings.Contains(m.Text, sub) {
			n++
		}
	}
	return n
}

// sweepAt runs one sweep of d at the moment at.
func sweepAt(t *testing.T, e *env, d *Desk, at time.Time) {
	t.Helper()
	e.clock.Set(at)
	if err := d.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A danger request nobody picks up is reminded every 30 minutes, in the
// staff chat and privately to both staff members, until it is claimed;
// outside working hours the reminders wait for the next opening. Two desks
// send each reminder once.
func TestDangerRemindedEvery30Minutes(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d, other := e.desk("a"), e.desk("b")
	start := ams(t, "2026-11-23 11:00") // Monday
	e.clock.Set(start)
	req, _ := e.posted(d, func(r *dialog.Request) { r.Urgency = "danger" })
	e.waitText(fatima, "GEVAAR: nieuwe aanmelding "+req.Ref)
	e.waitText(jan, "GEVAAR: nieuwe aanmelding "+req.Ref)

	group := "🔴 " + req.Ref + " (GEVAAR, Geld en schulden) is nog niet opgepakt. Binnengekomen vandaag om 11.00 uur. Pak het nu op."
	private := "🔴 GEVAAR: " + req.Ref + " (Geld en schulden) is nog niet opgepakt. Binnengekomen vandaag om 11.00 uur."
	steps := []struct {
		after time.Duration
		desk  *Desk
		want  int // reminders so far, in the group and to each staff member
	}{
		{29 * time.Minute, d, 0},
		{30 * time.Minute, d, 1},
		{31 * time.Minute, other, 1}, // the other desk: already sent
		{59 * time.Minute, other, 1},
		{60 * time.Minute, other, 2},
		{75 * time.Minute, d, 2},
		{90 * time.Minute, d, 3},
	}
	for _, s := range steps {
		sweepAt(t, e, s.desk, start.Add(s.after))
		for chat, sub := range map[int64]string{staffChat: group, fatima: private, jan: private} {
			if n := privates(e, chat, sub); n != s.want {
				t.Fatalf("after %v: %d danger reminders to %d, want %d", s.after, n, chat, s.want)
			}
		}
	}
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: jan, Name: "Jan"}); err != nil {
		t.Fatal(err)
	}
	sweepAt(t, e, d, start.Add(2*time.Hour))
	if n := privates(e, fatima, private); n != 3 {
		t.Errorf("a claimed danger request was reminded: %d", n)
	}

	// At 16:50 another comes in: no reminder after 17:00, none in the
	// night; the next morning at 08:30 the first, then every 30 minutes.
	e.clock.Set(ams(t, "2026-11-23 16:50"))
	late, _ := e.posted(d, func(r *dialog.Request) { r.Urgency = "danger" })
	want := "🔴 " + late.Ref + " (GEVAAR, Geld en schulden) is nog niet opgepakt. Binnengekomen gisteren om 16.50 uur."
	for _, s := range []struct {
		at   string
		want int
	}{
		{"2026-11-23 16:59", 0},
		{"2026-11-23 17:20", 0},
		{"2026-11-24 03:00", 0},
		{"2026-11-24 08:29", 0},
		{"2026-11-24 08:30", 1},
		{"2026-11-24 08:45", 1},
		{"2026-11-24 09:00", 2},
	} {
		sweepAt(t, e, d, ams(t, s.at))
		if n := notes(e, want); n != s.want {
			t.Fatalf("at %s: %d reminders in the staff chat, want %d", s.at, n, s.want)
		}
		if n := privates(e, jan, "🔴 GEVAAR: "+late.Ref+" (Geld en schulden) is nog niet opgepakt"); n != s.want {
			t.Fatalf("at %s: %d private reminders to Jan, want %d", s.at, n, s.want)
		}
	}
	e.noPersonalData()
}

// Reminders wait for working hours: an urgent request that came in on
// Friday afternoon is reminded on Monday at 08:30, saying how long it
// waited, not in the evening or the weekend.
func TestRemindersWaitForWorkingHours(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	e.clock.Set(ams(t, "2026-11-27 15:30")) // Friday
	req, _ := e.posted(d, func(r *dialog.Request) { r.Urgency = "urgent"; r.CallbackDue = "2026-12-04" })
	for _, s := range []struct {
		at   string
		want int
	}{
		{"2026-11-27 17:00", 0}, // two hours later, but after hours
		{"2026-11-27 17:31", 0},
		{"2026-11-28 10:00", 0}, // Saturday
		{"2026-11-30 08:29", 0},
		{"2026-11-30 08:30", 1}, // Monday at opening
		{"2026-11-30 12:00", 1}, // once
	} {
		sweepAt(t, e, d, ams(t, s.at))
		if n := notes(e, "⏰ "+req.Ref+" (dringend) is na 65 uur nog niet opgepakt."); n != s.want {
			t.Fatalf("at %s: %d urgent reminders, want %d", s.at, n, s.want)
		}
	}
	// A reminder due on Eerste Kerstdag waits for the working day after
	// Tweede Kerstdag (a Saturday): Monday 28 December.
	e.clock.Set(ams(t, "2026-12-24 16:00"))
	xmas, _ := e.posted(d, func(r *dialog.Request) { r.Urgency = "urgent"; r.CallbackDue = "2027-01-04" })
	for _, at := range []string{"2026-12-24 18:00", "2026-12-25 10:00", "2026-12-26 10:00", "2026-12-28 08:29"} {
		sweepAt(t, e, d, ams(t, at))
	}
	if n := notes(e, "⏰ "+xmas.Ref); n != 0 {
		t.Fatalf("reminded over Christmas: %d", n)
	}
	sweepAt(t, e, d, ams(t, "2026-12-28 08:30"))
	if n := notes(e, "⏰ "+xmas.Ref+" (dringend) is na 88 uur nog niet opgepakt."); n != 1 {
		t.Fatalf("%d reminders on the Monday after Christmas, want 1", n)
	}
}

// A request still unclaimed after its call-back date is reminded once
// every working day, saying in plain Dutch how late it is.
func TestOverdueReminderSaysHowLate(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := e.desk("a")
	e.clock.Set(ams(t, "2026-11-23 11:00"))
	req, _ := e.posted(d)  // call back by Monday 30 November
	done, _ := e.posted(d) // claimed: its claimer has it
	if _, err := d.Claim(ctx, done.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	oneDay := "⏰ " + req.Ref + " is nog niet opgepakt en is 1 werkdag te laat. Terugbellen moest uiterlijk gisteren."
	twoDays := "⏰ " + req.Ref + " is nog niet opgepakt en is 2 werkdagen te laat. Terugbellen moest uiterlijk maandag 30 november."
	threeDays := "⏰ " + req.Ref + " is nog niet opgepakt en is 3 werkdagen te laat. Terugbellen moest uiterlijk maandag 30 november."
	for _, s := range []struct {
		at                 string
		one, two, three, l int
	}{
		{"2026-11-30 16:00", 0, 0, 0, 0}, // the day itself: not late yet
		{"2026-12-01 07:00", 0, 0, 0, 0}, // before hours
		{"2026-12-01 08:30", 1, 0, 0, 1},
		{"2026-12-01 15:00", 1, 0, 0, 1}, // once a day
		{"2026-12-02 08:30", 1, 1, 0, 2},
		{"2026-12-03 08:30", 1, 1, 1, 3},
		{"2026-12-05 10:00", 1, 1, 1, 3}, // Saturday: none
	} {
		sweepAt(t, e, d, ams(t, s.at))
		if got := [3]int{notes(e, oneDay), notes(e, twoDays), notes(e, threeDays)}; got != [3]int{s.one, s.two, s.three} {
			t.Fatalf("at %s: late reminders %v, want %v", s.at, got, [3]int{s.one, s.two, s.three})
		}
		if n := notes(e, "te laat"); n != s.l {
			t.Fatalf("at %s: %d late reminders in all, want %d", s.at, n, s.l)
		}
	}
	if n := notes(e, done.Ref+" is nog niet opgepakt"); n != 0 {
		t.Errorf("a claimed request was reminded as unclaimed")
	}
}

// A claimed request without a message either way for two working days is
// reminded to its claimer, privately; a conversation or a note (a phone
// call written down) means contact. A claim by a name without a Telegram
// id is reminded in the staff chat.
func TestQuietClaimRemindsClaimer(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	e.clock.Set(ams(t, "2026-11-27 14:00")) // Friday
	quiet, _ := e.posted(d, func(r *dialog.Request) { r.CallbackDue = "2026-12-04" })
	talked, _ := e.posted(d, func(r *dialog.Request) { r.CallbackDue = "2026-12-04"; r.Topic = "housing" })
	noted, _ := e.posted(d, func(r *dialog.Request) { r.CallbackDue = "2026-12-04" })
	byName, _ := e.posted(d, func(r *dialog.Request) { r.CallbackDue = "2026-12-04" })
	for ref, who := range map[string]Staff{quiet.Ref: {ID: fatima, Name: "Fatima"}, talked.Ref: {ID: jan, Name: "Jan"},
		noted.Ref: {ID: fatima, Name: "Fatima"}, byName.Ref: {Name: "Sanne"}} {
		if _, err := d.Claim(ctx, ref, who); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Set(ams(t, "2026-11-30 10:00"))
	s.say(chatOf(talked), "Wanneer belt u?", "")
	e.waitText(jan, "["+talked.Ref+"] Inwoner Anna (Wonen): Wanneer belt u?")
	if out := joined(s.say(fatima, "/notitie "+noted.Ref+" gebeld, afspraak donderdag", "")); !strings.Contains(out, "Notitie bewaard bij "+noted.Ref) {
		t.Fatalf("note not kept: %q", out)
	}

	want := "⏰ U heeft " + quiet.Ref + " (Geld en schulden) vrijdag 27 november om 14.00 uur opgepakt. Er is nog geen bericht met de inwoner gewisseld."
	group := "⏰ Sanne heeft " + byName.Ref + " vrijdag 27 november om 14.00 uur opgepakt."
	for _, st := range []struct {
		at   string
		want int
	}{
		{"2026-11-30 14:00", 0}, // one working day
		{"2026-12-01 13:59", 0},
		{"2026-12-01 14:00", 1}, // two working days: Monday and Tuesday
		{"2026-12-01 16:00", 1}, // once
		{"2026-12-02 09:00", 1},
	} {
		sweepAt(t, e, d, ams(t, st.at))
		if n := privates(e, fatima, want); n != st.want {
			t.Fatalf("at %s: %d reminders to Fatima, want %d", st.at, n, st.want)
		}
		if n := notes(e, group); n != st.want {
			t.Fatalf("at %s: %d reminders of the claim by name in the staff chat, want %d", st.at, n, st.want)
		}
	}
	if n := privates(e, jan, "⏰ U heeft"); n != 0 {
		t.Errorf("Jan was reminded of a request he has a conversation about")
	}
	if n := privates(e, fatima, "⏰ U heeft "+noted.Ref); n != 0 {
		t.Errorf("Fatima was reminded of a request with a note")
	}
	// Handed over to Jan: his own two working days start.
	if err := d.Reassign(ctx, quiet.Ref, Staff{ID: jan, Name: "Jan"}); err != nil {
		t.Fatal(err)
	}
	sweepAt(t, e, d, ams(t, "2026-12-03 08:59"))
	if n := privates(e, jan, "⏰ U heeft "+quiet.Ref); n != 0 {
		t.Fatalf("Jan reminded before two working days")
	}
	sweepAt(t, e, d, ams(t, "2026-12-04 09:00"))
	if n := privates(e, jan, "⏰ U heeft "+quiet.Ref+" (Geld en schulden) woensdag 2 december om 09.00 uur opgepakt."); n != 1 {
		t.Fatalf("%d reminders to Jan after the hand-over, want 1", n)
	}
	e.noPersonalData()
}

// The daily summary: once at the start of each working day, across desks;
// counts and references only.
func TestDailySummary(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d, other := e.desk("a"), e.desk("b")
	e.clock.Set(ams(t, "2026-11-26 10:00")) // Thursday
	a, _ := e.posted(d)                     // call back by Monday 30 November: late on Tuesday
	e.clock.Set(ams(t, "2026-11-30 10:00")) // Monday
	b, _ := e.posted(d, func(r *dialog.Request) { r.Urgency = "urgent"; r.CallbackDue = "2026-12-02" })
	c, _ := e.posted(d, func(r *dialog.Request) { r.Urgency = "danger"; r.CallbackDue = "2026-12-07" })
	dd, _ := e.posted(d, func(r *dialog.Request) { r.CallbackDue = "2026-12-07" })
	ee, _ := e.posted(d, func(r *dialog.Request) { r.CallbackDue = "2026-12-07" })
	f, _ := e.posted(d, func(r *dialog.Request) { r.CallbackDue = "2026-12-07" })
	for ref, who := range map[string]Staff{dd.Ref: {ID: fatima, Name: "Fatima"}, ee.Ref: {ID: jan, Name: "Jan"}, f.Ref: {ID: fatima, Name: "Fatima"}} {
		if _, err := d.Claim(ctx, ref, who); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.CloseBy(ctx, f.Ref, "Fatima"); err != nil {
		t.Fatal(err)
	}
	title := "📋 <b>Overzicht van "
	sweepAt(t, e, d, ams(t, "2026-12-01 08:29"))
	if n := notes(e, title); n != 0 {
		t.Fatalf("summary before working hours")
	}
	sweepAt(t, e, d, ams(t, "2026-12-01 08:30"))
	sweepAt(t, e, other, ams(t, "2026-12-01 08:31")) // another desk, or a restart
	if n := notes(e, title); n != 1 {
		t.Fatalf("%d summaries on Tuesday, want 1", n)
	}
	var got string
	for _, m := range e.api.Sent(staffChat) {
		if strings.HasPrefix(m.Text, title) {
			got = m.Text
		}
	}
	want := strings.Join([]string{
		"📋 <b>Overzicht van dinsdag 1 december</b>",
		"Nieuw sinds gisteren om 08.30 uur: 5 (" + strings.Join([]string{b.Ref, c.Ref, dd.Ref, ee.Ref, f.Ref}, ", ") + ")",
		"Niet opgepakt: 3",
		"• GEVAAR: 1 (" + c.Ref + ")",
		"• dringend: 1 (" + b.Ref + ")",
		"• kan wachten: 1 (" + a.Ref + ")",
		"Terugbeldatum voorbij, niet opgepakt: 1 (" + a.Ref + ")",
		"Terugbeldatum voorbij, wel opgepakt: 0",
		"Opgepakt, per medewerker: 2",
		"• Fatima: 1 (" + dd.Ref + ")",
		"• Jan: 1 (" + ee.Ref + ")",
	}, "\n")
	if got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
	for _, personal := range []string{"Anna", "Bakker", "+316", "0612", "deurwaarder"} {
		if strings.Contains(got, personal) {
			t.Errorf("the summary holds personal data %q", personal)
		}
	}
	// Wednesday: the desks were down until 10:00, past the start of the
	// day; no summary that day. Thursday at 08:45 the next one.
	sweepAt(t, e, d, ams(t, "2026-12-02 10:00"))
	if n := notes(e, title); n != 1 {
		t.Fatalf("a summary late in the day")
	}
	sweepAt(t, e, other, ams(t, "2026-12-03 08:45"))
	sweepAt(t, e, d, ams(t, "2026-12-03 09:00"))
	if n := notes(e, title+"donderdag 3 december</b>\nNieuw sinds gisteren om 08.30 uur: 0\n"); n != 1 {
		t.Fatalf("%d summaries on Thursday, want 1", notes(e, title+"donderdag"))
	}
	// None on Saturday.
	sweepAt(t, e, d, ams(t, "2026-12-05 08:30"))
	if n := notes(e, title+"zaterdag"); n != 0 {
		t.Errorf("a summary on Saturday")
	}
	e.noPersonalData()
}

// A resident's message reaches staff with the resident's first name and
// topic beside the reference, each to their own staff member: never the
// surname, phone or anything else.
func TestRelayedMessagesShowFirstNameAndTopic(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	piet, _ := e.posted(d, func(r *dialog.Request) { r.Name, r.Topic = "Piet van Dam", "housing" })
	anna, _ := e.posted(d)
	if _, err := d.Claim(ctx, piet.Ref, Staff{ID: jan, Name: "Jan"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Claim(ctx, anna.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	s.say(chatOf(piet), "Is de reparatie al gepland?", "")
	s.say(chatOf(anna), "Ik heb de brief gevonden", "")
	m := e.waitText(jan, "["+piet.Ref+"] Inwoner Piet (Wonen): Is de reparatie al gepland?")
	if strings.Contains(m.Text, "van Dam") {
		t.Errorf("the surname reached staff in the tag: %q", m.Text)
	}
	e.waitText(fatima, "["+anna.Ref+"] Inwoner Anna (Geld en schulden): Ik heb de brief gevonden")
	if n := privates(e, fatima, piet.Ref); n != 0 {
		t.Errorf("Piet's message reached Fatima")
	}
	if n := privates(e, jan, anna.Ref); n != 0 {
		t.Errorf("Anna's message reached Jan")
	}
	// After /sluit the tag says the chat is closed, with name and topic.
	s.say(fatima, "/sluit", "")
	s.say(chatOf(anna), "Nog een vraag", "")
	e.waitText(fatima, "["+anna.Ref+"] Inwoner Anna (Geld en schulden, de chat is gesloten): Nog een vraag")
	// A reply to the tagged message still reaches that resident.
	if out := joined(s.say(jan, "Ja, dinsdag", "["+piet.Ref+"] Inwoner Piet (Wonen): Is de reparatie al gepland?")); !strings.Contains(out, piet.Ref) {
		t.Fatalf("reply to a tagged message: %q", out)
	}
	e.waitText(chatOf(piet), "Ja, dinsdag")
}

// With nothing open and nothing new there is no summary to read.
func TestNoSummaryOfNothing(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	sweepAt(t, e, d, ams(t, "2026-12-01 08:30"))
	if n := notes(e, "Overzicht"); n != 0 {
		t.Fatalf("a summary of an empty desk")
	}
	// A request that comes in during the first hour is in that day's summary.
	e.clock.Set(ams(t, "2026-12-01 08:40"))
	req, _ := e.posted(d)
	sweepAt(t, e, d, ams(t, "2026-12-01 08:41"))
	if n := notes(e, "Nieuw sinds gisteren om 08.30 uur: 1 ("+req.Ref+")"); n != 1 {
		t.Fatalf("%d summaries with the new request, want 1", n)
	}
}
