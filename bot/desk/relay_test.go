package desk

import (
	"context"
	"fmt"
	"html"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
)

// staffDesk is a desk with a router, for relay tests.
type staffDesk struct {
	e   *env
	d   *Desk
	r   *Router
	seq int64
}

func newStaffDesk(t *testing.T) *staffDesk {
	e := newEnv(t, nil)
	d := e.desk("a")
	return &staffDesk{e: e, d: d, r: &Router{Desk: d, Next: &fakeBot{}}}
}

// say is a private message from chat; replyTo is the text of the message it
// answers ("" for none), as Telegram shows it (entities parsed).
func (s *staffDesk) say(chat int64, text, replyTo string) []dialog.Reply {
	s.e.t.Helper()
	s.seq++
	out, err := s.r.Handle(context.Background(), bot.Inbound{Channel: "telegram", ChatID: strconv.FormatInt(chat, 10),
		Seq: s.seq, Msg: dialog.Message{Kind: dialog.KindText, Text: text}, ReplyTo: replyTo})
	if err != nil {
		s.e.t.Fatal(err)
	}
	return out
}

func chatOf(req dialog.Request) int64 {
	id, _ := strconv.ParseInt(req.ChatID, 10, 64)
	return id
}

func joined(rs []dialog.Reply) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

// gotText reports whether chat received a message containing sub.
func (e *env) gotText(chat int64, sub string) bool {
	for _, m := range e.api.Messages(chat) {
		if strings.Contains(html.UnescapeString(m.Text), sub) {
			return true
		}
	}
	return false
}

// A staff member with several open relays: a private message without an
// unambiguous target reaches no one, and they are told how to choose; a
// reply to a tagged message or a reference in the text reaches exactly that
// resident, and staff are told which reference it went to.
func TestStaffReplyReachesOnlyItsResident(t *testing.T) {
	for _, n := range []int{2, 3, 10} {
		t.Run(fmt.Sprint(n, " relays"), func(t *testing.T) {
			s := newStaffDesk(t)
			e, d := s.e, s.d
			ctx := context.Background()
			reqs := make([]dialog.Request, n)
			for i := range reqs {
				reqs[i], _ = e.posted(d, func(r *dialog.Request) {
					r.Name = fmt.Sprintf("Bewoner%d de Vries", i)
					r.Topic = []string{"money", "housing", "care"}[i%3]
				})
				if _, err := d.Claim(ctx, reqs[i].Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
					t.Fatal(err)
				}
			}
			// Every resident writes; each message reaches the staff member tagged.
			tagged := make([]string, n)
			for i, req := range reqs {
				if out := s.say(chatOf(req), fmt.Sprintf("vraag %d", i), ""); out != nil {
					t.Fatalf("relayed message answered: %+v", out)
				}
				// Beside the reference: the resident's first name and topic.
				m := e.waitText(fatima, fmt.Sprintf("[%s] Inwoner Bewoner%d (%s): vraag %d", req.Ref, i,
					[]string{"Geld en schulden", "Wonen", "Zorg, beperking, hulp in huis"}[i%3], i))
				tagged[i] = html.UnescapeString(m.Text)
			}

			// No target: nobody gets it; staff hear which conversations are open.
			out := joined(s.say(fatima, "Anna, ik bel u morgen over de 4.300 euro bij Woonplus", ""))
			for i, req := range reqs {
				if e.gotText(chatOf(req), "4.300") {
					t.Errorf("untargeted reply reached resident %d (%s)", i, req.Ref)
				}
				first := fmt.Sprintf("Bewoner%d", i)
				if !strings.Contains(out, req.Ref) || !strings.Contains(out, first) {
					t.Errorf("choice does not list %s with first name %s:\n%s", req.Ref, first, out)
				}
				if strings.Contains(out, first+" de Vries") {
					t.Errorf("choice shows more than the first name:\n%s", out)
				}
			}
			if !strings.Contains(out, "niet doorgestuurd") || !strings.Contains(out, "Geld en schulden") {
				t.Errorf("staff not told it was not sent, or no topic:\n%s", out)
			}

			// A reply to a tagged message goes to that resident only.
			k := n / 2
			out = joined(s.say(fatima, "Ik bel u morgen om tien uur.", tagged[k]))
			e.waitText(chatOf(reqs[k]), "Fatima (WOT): Ik bel u morgen om tien uur.")
			if !strings.Contains(out, reqs[k].Ref) {
				t.Errorf("no confirmation naming %s: %q", reqs[k].Ref, out)
			}
			// A reference in the text, in any case, goes to that resident only.
			out = joined(s.say(fatima, strings.ToLower(reqs[0].Ref)+": Tot straks.", ""))
			e.waitText(chatOf(reqs[0]), "Fatima (WOT): Tot straks.")
			if !strings.Contains(out, reqs[0].Ref) {
				t.Errorf("no confirmation naming %s: %q", reqs[0].Ref, out)
			}
			// A reference that is not one of hers: nobody.
			out = joined(s.say(fatima, "WOT-ZZZZZZ: Dit is voor een ander.", ""))
			if !strings.Contains(out, "niet doorgestuurd") {
				t.Errorf("unknown reference not refused: %q", out)
			}
			// Two of her references in one message: ambiguous, nobody.
			if n > 1 {
				out = joined(s.say(fatima, reqs[0].Ref+" en "+reqs[1].Ref+": samen?", ""))
				if !strings.Contains(out, "niet doorgestuurd") {
					t.Errorf("two references not refused: %q", out)
				}
			}
			time.Sleep(50 * time.Millisecond)
			for i, req := range reqs {
				got := 0
				for _, m := range e.api.Messages(chatOf(req)) {
					if strings.Contains(m.Text, "(WOT):") {
						got++
					}
				}
				want := 0
				if i == k {
					want++
				}
				if i == 0 {
					want++
				}
				if got != want {
					t.Errorf("resident %d (%s) got %d staff messages, want %d", i, req.Ref, got, want)
				}
				if e.gotText(chatOf(req), "Dit is voor een ander") || e.gotText(chatOf(req), "samen?") {
					t.Errorf("refused message reached resident %d", i)
				}
			}
			e.noPersonalData()
		})
	}
}

// With one open relay a plain message still goes through, and says where.
func TestStaffReplyOneRelayConfirms(t *testing.T) {
	s := newStaffDesk(t)
	req, _ := s.e.posted(s.d)
	if _, err := s.d.Claim(context.Background(), req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	out := joined(s.say(fatima, "Goedemorgen", ""))
	s.e.waitText(chatOf(req), "Fatima (WOT): Goedemorgen")
	if !strings.Contains(out, req.Ref) {
		t.Errorf("no confirmation naming %s: %q", req.Ref, out)
	}
}

// In the staff group a reply to a post goes to that post's resident only,
// however many relays the staff member has open, and staff hear where.
func TestStaffGroupReplyReachesOnlyItsResident(t *testing.T) {
	for _, n := range []int{2, 3, 10} {
		t.Run(fmt.Sprint(n, " relays"), func(t *testing.T) {
			s := newStaffDesk(t)
			e, d := s.e, s.d
			ctx := context.Background()
			reqs := make([]dialog.Request, n)
			posts := make([]int, n)
			for i := range reqs {
				reqs[i], posts[i] = e.posted(d)
				if _, err := d.Claim(ctx, reqs[i].Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range []int{0, n - 1, n / 2} {
				text := fmt.Sprintf("Bericht voor nummer %d", k)
				d.HandleGroupUpdate(ctx, groupReply(fatima, "Fatima", posts[k], text))
				e.waitText(chatOf(reqs[k]), "Fatima (WOT): "+text)
				e.waitText(staffChat, "Doorgestuurd naar "+reqs[k].Ref)
				for i, req := range reqs {
					if i != k && e.gotText(chatOf(req), text) {
						t.Errorf("reply to post %d reached resident %d", k, i)
					}
				}
			}
		})
	}
}

// Item 8: a resident's message of Telegram's maximum length, with the tag
// in front, is split within Telegram's limit instead of failing for good;
// so is a long staff message.
func TestRelayLongMessagesAreSplit(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	req, _ := e.posted(d)
	if _, err := d.Claim(context.Background(), req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	// 4,096 UTF-16 units: words, an emoji (two units) and Dutch letters.
	var b strings.Builder
	for i := 0; utf16Len(b.String()) < telegramtest.MaxTextLen-20; i++ {
		fmt.Fprintf(&b, "woord%d é 😀 ", i)
	}
	for utf16Len(b.String()) < telegramtest.MaxTextLen {
		b.WriteString("x")
	}
	long := b.String()
	if out := s.say(chatOf(req), long, ""); out != nil {
		t.Fatalf("long message not relayed: %s", joined(out))
	}
	waitFor(t, func() bool { return len(e.api.Sent(fatima)) >= 2 })
	var parts []string
	for _, m := range e.api.Sent(fatima) {
		text := html.UnescapeString(m.Text)
		if n := utf16Len(text); n > telegramtest.MaxTextLen {
			t.Errorf("part of %d UTF-16 units", n)
		}
		rest, ok := strings.CutPrefix(text, "["+req.Ref+"] Inwoner Anna (Geld en schulden): ")
		if !ok {
			rest, ok = strings.CutPrefix(text, "["+req.Ref+"] ")
		}
		if !ok {
			t.Fatalf("part without its reference: %.60q", text)
		}
		parts = append(parts, rest)
	}
	if got := strings.Join(parts, " "); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(long), " ") {
		t.Errorf("split lost or changed text: %d parts", len(parts))
	}

	// Staff to resident, just as long.
	out := s.say(fatima, long, "")
	if !strings.Contains(joined(out), req.Ref) {
		t.Errorf("long staff message: %s", joined(out))
	}
	waitFor(t, func() bool {
		n := 0
		for _, m := range e.api.Sent(chatOf(req)) {
			if strings.HasPrefix(m.Text, "Fatima (WOT)") {
				n++
			}
		}
		return n >= 2
	})
	for _, m := range e.api.Sent(chatOf(req)) {
		if n := utf16Len(html.UnescapeString(m.Text)); n > telegramtest.MaxTextLen {
			t.Errorf("part to resident of %d UTF-16 units", n)
		}
	}
}

// Item 8: text passed between people is cleaned as intake text is: no
// direction overrides, bells or escapes reach the other side.
func TestRelayTextIsCleaned(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	req, _ := e.posted(d)
	if _, err := d.Claim(context.Background(), req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	s.say(chatOf(req), "Betaal \u202eNAAR\u202c nu\a\x1b[31m rood", "")
	m := e.waitText(fatima, "Inwoner Anna (Geld en schulden): Betaal")
	if strings.ContainsAny(m.Text, "\u202e\u202c\a\x1b") {
		t.Errorf("resident text reached staff uncleaned: %q", m.Text)
	}
	s.say(fatima, "Bel \u202e0612\a\x1b[0m terug", "")
	m = e.waitText(chatOf(req), "Fatima (WOT): Bel")
	if strings.ContainsAny(m.Text, "\u202e\a\x1b") {
		t.Errorf("staff text reached resident uncleaned: %q", m.Text)
	}
}

// Item 8: a staff member who never started the bot gets the resident's
// message in the staff group; their reply to it there reaches the resident.
func TestRelayFallbackReplyInGroup(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	req, _ := e.posted(d)
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	e.api.FailNextIn("sendMessage", fatima, 1000, 403, 0)
	s.say(chatOf(req), "Hallo, is daar iemand?", "")
	m := e.waitText(staffChat, "Inwoner Anna (Geld en schulden): Hallo, is daar iemand?")
	d.HandleGroupUpdate(ctx, groupReplyTo(fatima, "Fatima", m.MessageID, html.UnescapeString(m.Text), "Ja, ik ben er."))
	e.waitText(chatOf(req), "Fatima (WOT): Ja, ik ben er.")
	// Someone else's reply to it is refused with a reason.
	d.HandleGroupUpdate(ctx, groupReplyTo(jan, "Jan", m.MessageID, html.UnescapeString(m.Text), "Ik ook"))
	e.waitText(staffChat, "Alleen die medewerker")
}

// Item 8: "Oppakken" typed as a reply to a post nobody claimed says to tap
// the button, not "opgepakt door -".
func TestTypedOppakkenOnUnclaimedPost(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	req, post := e.posted(d)
	d.HandleGroupUpdate(context.Background(), groupReply(jan, "Jan", post, "Oppakken"))
	m := e.waitText(staffChat, "tik eerst op")
	if strings.Contains(m.Text, "opgepakt door -") || !strings.Contains(m.Text, req.Ref) {
		t.Errorf("note: %q", m.Text)
	}
	if e.gotText(staffChat, "opgepakt door -") {
		t.Error(`"opgepakt door -" in the staff chat`)
	}
}

func groupReplyTo(user int64, name string, replyTo int, replyText, text string) *models.Update {
	u := groupReply(user, name, replyTo, text)
	u.Message.ReplyToMessage.Text = replyText
	return u
}

// A request with the longest story the intake keeps still fits in one
// staff post (Telegram's 4,096 characters), or it would never be posted.
func TestLongestRequestIsPosted(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a")
	story := strings.Repeat("Ik heb een brief 😀 gekregen & ", 200)
	story = string([]rune(story)[:4000])
	req, _ := e.posted(d, func(r *dialog.Request) { r.Description = story; r.Urgency = "danger" })
	p := e.posts()
	text := html.UnescapeString(p[len(p)-1].Text)
	if !strings.Contains(text, req.Ref) || !strings.Contains(text, "Ik heb een brief") || !strings.Contains(text, "ingekort") {
		t.Errorf("post: %.200q", text)
	}
	// Claimed and closed, the edits still fit.
	if _, err := d.Claim(context.Background(), req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	if err := d.CloseBy(context.Background(), req.Ref, strings.Repeat("Fatima", 20)); err != nil {
		t.Fatal(err)
	}
	e.waitText(staffChat, "Afgesloten door Fatima")
}
