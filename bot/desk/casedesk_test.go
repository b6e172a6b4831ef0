package desk

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot"
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
	e.waitText(person, "Fatima van het WOT heeft uw aanmelding "+req.Ref+" nu in behandeling")
	e.waitText(registrant, "De aanmelding "+req.Ref+" die u deed is nu in behandeling bij Fatima")
	if e.gotText(registrant, "kan u hier een bericht sturen") {
		t.Errorf("registrant was told staff chat with them")
	}
	// The person asks; Fatima gets it, Jan does not.
	if out := s.say(person, "Wanneer komt u?", ""); out != nil {
		t.Errorf("person's message answered by the bot: %+v", out)
	}
	e.waitText(fatima, "["+req.Ref+"] Inwoner Henk (Geld en schulden): Wanneer komt u?")
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
	e.waitText(fatima, "["+req.Ref+"] Inwoner Anna (Geld en schulden): Dinsdag")

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
	e.waitText(fatima, "["+req.Ref+"] Inwoner Anna (Geld en schulden): Hallo weer")
	if e.gotText(jan, "Hallo weer") || e.gotText(resident, "Ik neem het over") {
		t.Errorf("message reached the wrong person")
	}
}

// 4. One resident, two requests, two staff members: a message goes to the
// one it is about (the resident chooses, with the topics as buttons, when
// it is not clear), never to the wrong one; both staff members can answer.
func TestOneResidentTwoRequestsTwoStaff(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	const resident = int64(7801)
	chat := strconv.FormatInt(resident, 10)
	a, _ := e.posted(d, func(r *dialog.Request) { r.ChatID, r.Topic = chat, "money" })
	b, _ := e.posted(d, func(r *dialog.Request) { r.ChatID, r.Topic = chat, "housing" })
	if _, err := d.Claim(ctx, a.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Claim(ctx, b.Ref, Staff{ID: jan, Name: "Jan"}); err != nil {
		t.Fatal(err)
	}
	e.waitText(resident, "Fatima van het WOT heeft uw aanmelding "+a.Ref+" nu in behandeling")
	e.waitText(resident, "aanmelding "+b.Ref+" is nu in behandeling bij Jan")

	// Not clear which: the resident is asked, with the topics as buttons.
	out := s.say(resident, "Wanneer hoor ik iets?", "")
	if len(out) != 1 || len(out[0].Options) != 2 {
		t.Fatalf("resident not asked which request: %+v", out)
	}
	labels := out[0].Options[0].Label + "|" + out[0].Options[1].Label
	if !strings.Contains(labels, "Geld") || !strings.Contains(labels, "Wonen") {
		t.Errorf("choices without topics: %q", labels)
	}
	if e.gotText(fatima, "Wanneer hoor ik") || e.gotText(jan, "Wanneer hoor ik") {
		t.Fatalf("ambiguous message passed on before the choice")
	}
	var housing dialog.Option
	for _, o := range out[0].Options {
		if strings.Contains(o.Label, "Wonen") {
			housing = o
		}
	}
	s.seq++
	res, err := s.r.Handle(ctx, bot.Inbound{Channel: "telegram", ChatID: chat, Seq: s.seq,
		Msg: dialog.Message{Kind: dialog.KindOption, Data: housing.Data}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(joined(res), "Jan") {
		t.Errorf("resident not told who has it: %+v", res)
	}
	m := e.waitText(jan, "["+b.Ref+"]")
	if !strings.Contains(m.Text, "Wanneer hoor ik iets?") {
		t.Errorf("Jan got %q", m.Text)
	}
	if e.gotText(fatima, "Wanneer hoor ik") {
		t.Errorf("message about %s reached Fatima", b.Ref)
	}

	// Both staff members can answer the resident.
	s.say(fatima, "Ik bel u morgen over de brief.", "")
	e.waitText(resident, "Fatima (WOT): Ik bel u morgen over de brief.")
	s.say(jan, "Over uw huur: ik kijk ernaar.", html.UnescapeString(m.Text))
	e.waitText(resident, "Jan (WOT): Over uw huur: ik kijk ernaar.")
	// The resident's answer is asked about again, not guessed.
	if out := s.say(resident, "Dank u", ""); len(out) != 1 || len(out[0].Options) != 2 {
		t.Errorf("second message not asked about: %+v", out)
	}
}

// 5. A staff member's private chat is a staff console: no intake, no
// goodbye; /mijn, /zoek, /sluit REF, /heropen REF, /help; and it says
// plainly when a message could not be delivered, and why.
func TestStaffPrivateChatIsAConsole(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	fb := &fakeBot{}
	s.r.Next = fb
	ctx := context.Background()

	out := joined(s.say(jan, "Hallo", ""))
	if !strings.Contains(out, "geen open chat") {
		t.Errorf("plain text without chats: %q", out)
	}
	for _, cmd := range []string{"/start", "/help", "stop", "/onzin"} {
		out := joined(s.say(jan, cmd, ""))
		if !strings.Contains(out, "/mijn") || !strings.Contains(out, "/zoek") {
			t.Errorf("%s: no staff help: %q", cmd, out)
		}
	}
	s.seq++
	photo, _ := s.r.Handle(ctx, bot.Inbound{Channel: "telegram", ChatID: strconv.FormatInt(jan, 10), Seq: s.seq,
		Msg: dialog.Message{Kind: dialog.KindPhoto}})
	if !strings.Contains(joined(photo), "alleen tekst") {
		t.Errorf("photo: %+v", photo)
	}
	if got := fb.got(); len(got) > 0 {
		t.Errorf("the bot's conversation answered a staff member: %q", got)
	}

	a, _ := e.posted(d, func(r *dialog.Request) { r.Name, r.Phone = "Anna Bakker", "+31612345678" })
	b, _ := e.posted(d, func(r *dialog.Request) { r.Name, r.Topic, r.Phone = "Piet Jansen", "housing", "+31687654321" })
	for _, r := range []dialog.Request{a, b} {
		if _, err := d.Claim(ctx, r.Ref, Staff{ID: jan, Name: "Jan"}); err != nil {
			t.Fatal(err)
		}
	}
	out = joined(s.say(jan, "/mijn", ""))
	if !strings.Contains(out, a.Ref) || !strings.Contains(out, b.Ref) || !strings.Contains(out, "Piet") {
		t.Errorf("/mijn: %q", out)
	}
	out = joined(s.say(jan, "/zoek 54321", ""))
	if !strings.Contains(out, b.Ref) || strings.Contains(out, a.Ref) {
		t.Errorf("/zoek by phone: %q", out)
	}
	out = joined(s.say(jan, "/zoek "+strings.ToLower(a.Ref), ""))
	if !strings.Contains(out, a.Ref) || strings.Contains(out, b.Ref) {
		t.Errorf("/zoek by reference: %q", out)
	}
	if out := joined(s.say(fatima, "/mijn", "")); strings.Contains(out, a.Ref) {
		t.Errorf("Fatima's /mijn lists Jan's request: %q", out)
	}

	// The resident blocked the bot: Jan hears it did not arrive, and why.
	e.api.FailNextIn("sendMessage", chatOf(a), 1, 403, 0)
	out = joined(s.say(jan, a.Ref+": Ik bel u morgen.", ""))
	if !strings.Contains(out, "niet aangekomen") || !strings.Contains(out, "geblokkeerd") {
		t.Errorf("failed delivery: %q", out)
	}
	// /sluit REF closes that chat only.
	out = joined(s.say(jan, "/sluit "+b.Ref, ""))
	if !strings.Contains(out, b.Ref) || !strings.Contains(out, "gesloten") {
		t.Errorf("/sluit REF: %q", out)
	}
	e.waitText(chatOf(b), "Jan heeft het gesprek gesloten")
	if e.gotText(chatOf(a), "gesprek gesloten") {
		t.Errorf("/sluit %s closed %s too", b.Ref, a.Ref)
	}
}

// 6. Claims and closes from the command line keep every promise: a claim
// by a name that STAFF_USERS maps opens that staff member's chat; a claim
// by another name updates the post and does not promise a chat; a close
// marks the post closed (by whom, when) and tells the resident how to
// reach the team again.
func TestCommandLineClaimAndCloseKeepPromises(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a", func(c *Config, _ *Deps) { c.StaffNames = map[int64]string{fatima: "Fatima", jan: "Jan"} })
	ctx := context.Background()
	r := &Router{Desk: d, Next: &fakeBot{}}

	// "by jan" from the desk PC: Jan's chat opens.
	a, postA := e.posted(d)
	by, err := d.StaffNamed("jan")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Claim(ctx, a.Ref, by); err != nil {
		t.Fatal(err)
	}
	e.waitText(chatOf(a), "Jan van het WOT heeft uw aanmelding "+a.Ref+" nu in behandeling. Jan kan u hier een bericht sturen")
	m := e.waitText(staffChat, "Opgepakt door Jan")
	if m.MessageID != postA {
		t.Errorf("claim note is not the post: %d != %d", m.MessageID, postA)
	}
	if _, err := r.Handle(ctx, bot.Inbound{Channel: "telegram", ChatID: a.ChatID, Msg: dialog.Message{Kind: dialog.KindText, Text: "Fijn, dank u"}}); err != nil {
		t.Fatal(err)
	}
	e.waitText(jan, "["+a.Ref+"] Inwoner Anna (Geld en schulden): Fijn, dank u")

	// A name without a Telegram id: the post says so, no chat is promised.
	b, _ := e.posted(d)
	by, err = d.StaffNamed("Petra")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Claim(ctx, b.Ref, by); err != nil {
		t.Fatal(err)
	}
	e.waitText(chatOf(b), "in behandeling bij Petra van het WOT")
	if e.gotText(chatOf(b), "kan u hier een bericht sturen") {
		t.Errorf("resident promised a chat that is not open")
	}

	// Close: the post says by whom and when; the resident hears how to come back.
	if err := d.CloseBy(ctx, a.Ref, "Jan"); err != nil {
		t.Fatal(err)
	}
	e.waitText(staffChat, "Afgesloten door Jan")
	e.waitText(chatOf(a), "Uw aanmelding "+a.Ref+" is afgesloten")
	if e.gotText(chatOf(a), "loopt nog") {
		t.Errorf("resident told a closed request is still open")
	}
	var phone strings.Builder
	if err := template.Must(template.New("").Parse("{{.CareLine.Phone}}")).Execute(&phone, d.facts); err != nil || phone.Len() < 6 {
		t.Fatalf("care line phone: %q %v", phone.String(), err)
	}
	if !e.gotText(chatOf(a), phone.String()) {
		t.Errorf("resident not told how to reach the team again (%s)", phone.String())
	}
}

// 7. Replies in the wrong place are never silently dropped: in the staff
// chat, a reply to an unclaimed post says to tap Oppakken first; a reply to
// a resident's message that fell back into the staff chat is relayed, or
// refused with a reason (a photo, someone else's request, a closed
// request).
func TestRepliesInTheWrongPlaceAreNotDropped(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	a, postA := e.posted(d)
	// Unclaimed: Jan replies to the post.
	d.HandleGroupUpdate(ctx, groupReply(jan, "Jan", postA, "Ik bel haar"))
	e.waitText(staffChat, "tik eerst op Oppakken")

	if _, err := d.Claim(ctx, a.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	// Fatima never started the bot: the resident's message falls back to the staff chat.
	e.api.FailNextIn("sendMessage", fatima, 1000, 403, 0)
	s.say(chatOf(a), "Hallo, is daar iemand?", "")
	m := e.waitText(staffChat, "Inwoner Anna (Geld en schulden): Hallo, is daar iemand?")
	// A photo as the reply: refused with the reason.
	photo := groupReplyTo(fatima, "Fatima", m.MessageID, html.UnescapeString(m.Text), "")
	photo.Message.ID = 7001
	photo.Message.Photo = []models.PhotoSize{{FileID: "p"}}
	d.HandleGroupUpdate(ctx, photo)
	e.waitText(staffChat, "alleen tekst")
	// Jan's reply: refused, naming who has it.
	d.HandleGroupUpdate(ctx, groupReplyTo(jan, "Jan", m.MessageID, html.UnescapeString(m.Text), "Ik help wel"))
	e.waitText(staffChat, "opgepakt door Fatima")
	// Fatima's reply: relayed, confirmed.
	d.HandleGroupUpdate(ctx, groupReplyTo(fatima, "Fatima", m.MessageID, html.UnescapeString(m.Text), "Ja, ik ben er."))
	e.waitText(chatOf(a), "Fatima (WOT): Ja, ik ben er.")
	e.waitText(staffChat, "Doorgestuurd naar "+a.Ref)

	// A closed request: the reply is refused, saying it is closed.
	if err := d.CloseBy(ctx, a.Ref, "Fatima"); err != nil {
		t.Fatal(err)
	}
	d.HandleGroupUpdate(ctx, groupReply(fatima, "Fatima", postA, "Nog één ding"))
	e.waitText(staffChat, a.Ref+" is afgesloten")
	if e.gotText(chatOf(a), "Nog één ding") || e.gotText(chatOf(a), "Ik help wel") || e.gotText(chatOf(a), "Ik bel haar") {
		t.Errorf("a refused reply reached the resident")
	}
}

// The claimed post has a close button for the claimer: a colleague's tap is
// refused, the claimer's first tap asks to tap again (a close tells the
// resident), the second closes it.
func TestCloseButtonOnThePost(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	req, post := e.posted(d)
	d.HandleGroupUpdate(ctx, tap(fatima, "Fatima", post, claimData(req.Ref)))
	e.waitToast(fmt.Sprint("cq", fatima, post), "opgepakt")
	var closeData string
	waitFor(t, func() bool {
		for _, m := range e.api.Messages(staffChat) {
			if m.MessageID == post && m.Method == "editMessageText" && strings.Contains(m.Text, "Opgepakt door Fatima") {
				if data := m.Data(); len(data) == 1 {
					closeData = data[0]
					return true
				}
			}
		}
		return false
	})
	press := func(user int64, name, id string) {
		u := tap(user, name, post, closeData)
		u.CallbackQuery.ID = id
		d.HandleGroupUpdate(ctx, u)
	}
	press(jan, "Jan", "j1")
	e.waitToast("j1", "Fatima")
	press(fatima, "Fatima", "f1")
	e.waitToast("f1", "nog een keer")
	if rec, _ := d.Load(ctx, req.ID); rec.Status != StatusClaimed {
		t.Fatalf("closed after one tap: %s", rec.Status)
	}
	press(fatima, "Fatima", "f2")
	e.waitToast("f2", "afgesloten")
	e.waitText(staffChat, "Afgesloten door Fatima")
	e.waitText(chatOf(req), "is afgesloten")
	if rec, _ := d.Load(ctx, req.ID); rec.Status != StatusClosed {
		t.Errorf("status after two taps: %s", rec.Status)
	}
}

// A danger request pings every staff member privately at once; a normal
// one does not.
func TestDangerPingsEveryStaffMember(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	normal, _ := e.posted(d)
	danger, _ := e.posted(d, func(r *dialog.Request) { r.Urgency = "danger" })
	for _, uid := range []int64{fatima, jan} {
		m := e.waitText(uid, danger.Ref)
		if !strings.Contains(strings.ToLower(m.Text), "gevaar") {
			t.Errorf("ping to %d: %q", uid, m.Text)
		}
		if e.gotText(uid, normal.Ref) {
			t.Errorf("a normal request pinged %d", uid)
		}
	}
}

// A danger request's post says "vandaag", not its (later) call-back date.
func TestDangerPostSaysToday(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	e.posted(d, func(r *dialog.Request) { r.Urgency, r.CallbackDue = "danger", "2026-11-30" })
	m := e.waitText(staffChat, "GEVAAR")
	if !strings.Contains(m.Text, "Terugbellen uiterlijk: vandaag") || strings.Contains(m.Text, "30 november") {
		t.Errorf("danger post:\n%s", m.Text)
	}
}
