package desk

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/wotschiedam/wotbot/dialog"
)

// Transcript tests of issue 18's first list: residents never fall out of
// sight. Two staff members (Fatima and Jan) work the desk.

// 1. A request for someone else, confirmed through the personal link: the
// person who confirmed is the resident. The claim notice and the relay go
// to them; the registrant hears that the request was picked up, and their
// own messages go to the bot, not to staff.
func TestLinkConfirmedPersonIsTheResident(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	const person = int64(7701)
	req, _ := e.posted(d, func(r *dialog.Request) {
		r.ForOther, r.OtherConsent, r.OtherName = true, true, "Henk de Vries"
		at := r.CreatedAt
		r.Consent.Method, r.Consent.OtherAt = "confirmed", &at
		r.ContactVia = "chat"
		r.OtherContact = &dialog.Contact{Channel: "telegram", ChatID: strconv.FormatInt(person, 10)}
	})
	registrant := chatOf(req)
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	e.waitText(person, "Uw aanmelding "+req.Ref+" is opgepakt door Fatima")
	e.waitText(registrant, "De aanmelding "+req.Ref+" die u deed is opgepakt")
	if e.gotText(registrant, "kan u hier een bericht sturen") {
		t.Errorf("registrant was told staff chat with them")
	}
	// The person asks; Fatima gets it, Jan does not.
	if out := s.say(person, "Wanneer komt u?", ""); out != nil {
		t.Errorf("person's message answered by the bot: %+v", out)
	}
	e.waitText(fatima, "["+req.Ref+"] Inwoner: Wanneer komt u?")
	// Fatima answers: it reaches the person, not the registrant.
	out := joined(s.say(fatima, "Morgen om tien uur.", ""))
	if !strings.Contains(out, req.Ref) {
		t.Errorf("no confirmation: %q", out)
	}
	e.waitText(person, "Fatima (WOT): Morgen om tien uur.")
	if e.gotText(registrant, "Morgen om tien uur") {
		t.Errorf("staff message reached the registrant")
	}
	// The registrant's own message goes to the bot.
	if out := s.say(registrant, "Is het gelukt?", ""); len(out) != 1 || out[0].Text != "bot" {
		t.Errorf("registrant's message: %+v", out)
	}
	if e.gotText(fatima, "Is het gelukt") || e.gotText(jan, "Wanneer komt u") {
		t.Errorf("a message reached the wrong staff member")
	}
}

// 2. After /sluit the request is still open: the resident's next message
// reaches the staff member (or the staff chat when they cannot be reached),
// the resident hears it was passed on, and a crisis message is flagged to
// the staff chat as well. Only a closed request returns them to the bot.
func TestAfterSluitResidentStillReachesStaff(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	fb := &fakeBot{}
	s.r.Next, s.r.Crisis = fb, func(t string) bool { return strings.Contains(t, "dood") }
	ctx := context.Background()
	req, _ := e.posted(d)
	resident := chatOf(req)
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	s.say(fatima, "/sluit", "")
	e.waitText(resident, "Fatima heeft het gesprek gesloten")
	if e.gotText(resident, "U praat nu weer met de WOT-bot") {
		t.Errorf("resident told the bot takes over while the request is open")
	}

	out := joined(s.say(resident, "Sanne? Hij is weg.", ""))
	if !strings.Contains(out, "doorgegeven aan Fatima") {
		t.Errorf("resident not told the message was passed on: %q", out)
	}
	e.waitText(fatima, "["+req.Ref+"] Inwoner")
	e.waitText(fatima, "Sanne? Hij is weg.")

	// Fatima cannot be reached privately: the staff chat gets it.
	e.api.FailNextIn("sendMessage", fatima, 1, 403, 0)
	s.say(resident, "Hallo? Is daar iemand?", "")
	e.waitText(staffChat, "Hallo? Is daar iemand?")

	// Crisis: the safety numbers at once, flagged to Fatima and to the staff chat.
	out = joined(s.say(resident, "ik wil dood", ""))
	if !strings.Contains(out, "Bel 113") {
		t.Errorf("crisis without the safety answer: %q", out)
	}
	e.waitText(fatima, "mogelijk gevaar")
	e.waitText(staffChat, "mogelijk gevaar")
	if e.gotText(jan, "Sanne") || e.gotText(jan, "dood") {
		t.Errorf("message reached Jan")
	}
	if got := strings.Join(fb.got(), "|"); got != "ik wil dood" {
		t.Errorf("bot saw %q while the request was open", got)
	}

	// Closed: the bot answers again.
	if err := d.Close(ctx, req.Ref); err != nil {
		t.Fatal(err)
	}
	if out := s.say(resident, "nog een vraag", ""); len(out) != 1 || out[0].Text != "bot" {
		t.Errorf("after close: %+v", out)
	}
}

// 3. A chat can be reopened while the request is open: after /sluit by a
// reply to the post, after the resident's "stop" with /heropen in the
// private chat, and from the command line. Jan, who does not have it,
// cannot.
func TestChatCanBeReopened(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	req, post := e.posted(d, func(r *dialog.Request) { r.Phone, r.ContactVia = "", "chat" })
	resident := chatOf(req)
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	s.say(fatima, "/sluit", "")
	e.waitText(resident, "Fatima heeft het gesprek gesloten")

	// Jan replies to the post: refused, nothing reaches the resident.
	d.HandleGroupUpdate(ctx, groupReply(jan, "Jan", post, "Ik neem het over"))
	e.waitText(staffChat, "Alleen die medewerker")
	// Fatima replies to the post: the chat is open again.
	d.HandleGroupUpdate(ctx, groupReply(fatima, "Fatima", post, "Nog een vraag: wanneer kan ik langskomen?"))
	e.waitText(resident, "Fatima (WOT): Nog een vraag")
	if out := s.say(resident, "Dinsdag", ""); out != nil {
		t.Errorf("reply in a reopened chat answered: %+v", out)
	}
	e.waitText(fatima, "["+req.Ref+"] Inwoner: Dinsdag")

	// The resident stops; Fatima reopens it from her private chat.
	s.say(resident, "stop", "")
	out := joined(s.say(fatima, "/heropen "+strings.ToLower(req.Ref), ""))
	if !strings.Contains(out, req.Ref) || !strings.Contains(out, "weer open") {
		t.Errorf("/heropen answer: %q", out)
	}
	e.waitText(resident, "Fatima heeft de chat over "+req.Ref+" weer geopend")
	s.say(fatima, "Bent u er nog?", "")
	e.waitText(resident, "Fatima (WOT): Bent u er nog?")

	// From the command line, after another /sluit.
	s.say(fatima, "/sluit", "")
	if err := d.Reopen(ctx, req.Ref); err != nil {
		t.Fatal(err)
	}
	s.say(resident, "Hallo weer", "")
	e.waitText(fatima, "["+req.Ref+"] Inwoner: Hallo weer")
	if e.gotText(jan, "Hallo weer") || e.gotText(resident, "Ik neem het over") {
		t.Errorf("message reached the wrong person")
	}
}
