package desk

import (
	"context"
	"strings"
	"testing"
)

// Hand-over: Fatima's request goes to Jan. The resident hears the new name,
// Jan gets the history privately, the open chat moves to Jan, Fatima is told.
func TestHandOver(t *testing.T) {
	s := newStaffDesk(t)
	e, d := s.e, s.d
	ctx := context.Background()
	req, post := e.posted(d)
	if _, err := d.Claim(ctx, req.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	s.say(chatOf(req), "Ik heb een brief van de deurwaarder.", "")
	e.waitText(fatima, "deurwaarder")

	if err := d.Reassign(ctx, strings.ToLower(req.Ref), Staff{ID: jan, Name: "Jan"}); err != nil {
		t.Fatal(err)
	}
	e.waitText(chatOf(req), "overgedragen aan Jan")
	e.waitText(jan, "Inwoner: Ik heb een brief van de deurwaarder.")
	e.waitText(fatima, req.Ref+" is overgedragen aan Jan")
	m := e.waitText(staffChat, "Opgepakt door Jan")
	if m.MessageID != post {
		t.Errorf("hand-over not on the post")
	}
	s.say(chatOf(req), "Wie helpt mij nu?", "")
	e.waitText(jan, "["+req.Ref+"] Inwoner Anna (Geld en schulden): Wie helpt mij nu?")
	if e.gotText(fatima, "Wie helpt mij nu") {
		t.Errorf("message after hand-over reached Fatima")
	}
	s.say(jan, "Ik, Jan. Ik bel u vandaag.", "")
	e.waitText(chatOf(req), "Jan (WOT): Ik, Jan.")
	if out := joined(s.say(fatima, "Hallo?", "")); !strings.Contains(out, "geen open chat") {
		t.Errorf("Fatima still has the chat: %q", out)
	}
}

// The claimed post's Overdragen button lists the colleagues by name; the
// claimer's tap on one hands the request over. A colleague cannot.
func TestHandOverButton(t *testing.T) {
	e := newEnv(t, nil)
	d := e.desk("a", func(c *Config, _ *Deps) { c.StaffNames = map[int64]string{fatima: "Fatima", jan: "Jan"} })
	ctx := context.Background()
	req, post := e.posted(d)
	d.HandleGroupUpdate(ctx, tap(fatima, "Fatima", post, claimData(req.Ref)))
	var give string
	waitFor(t, func() bool {
		for _, m := range e.api.Messages(staffChat) {
			for _, data := range m.Data() {
				if m.MessageID == post && strings.HasPrefix(data, givePrefix) {
					give = data
					return true
				}
			}
		}
		return false
	})
	press := func(user int64, id, data string) {
		u := tap(user, "x", post, data)
		u.CallbackQuery.ID = id
		d.HandleGroupUpdate(ctx, u)
	}
	press(jan, "j1", give)
	e.waitToast("j1", "Fatima")
	press(fatima, "f1", give)
	var toJan string
	waitFor(t, func() bool {
		for _, m := range e.api.Messages(staffChat) {
			for i, data := range m.Data() {
				if m.MessageID == post && strings.HasPrefix(data, givePrefix) && strings.Contains(data, ":502") {
					_ = i
					toJan = data
					return true
				}
			}
		}
		return false
	})
	press(fatima, "f2", toJan)
	e.waitToast("f2", "Jan")
	e.waitText(chatOf(req), "overgedragen aan Jan")
	if rec, _ := d.Load(ctx, req.ID); rec.ClaimedBy != jan {
		t.Errorf("claimed by %d after hand-over", rec.ClaimedBy)
	}
}
