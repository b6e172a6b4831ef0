package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/dialog"
)

var tokenRe = regexp.MustCompile(`start[= ](c[A-Za-z0-9_-]+)`)

// holdForNeighbour runs a registrant's intake with the link method and
// returns the consent token.
func holdForNeighbour(t *testing.T, c *bot.Conversations, chat string) string {
	t.Helper()
	var replies []dialog.Reply
	for _, m := range []string{"/aanmelden", "Voor iemand anders", "Ja", "Ik stuur een link door", "Anna de Wit",
		"Wonen", "Haar huis is vochtig.", "1", "Piet Jansen", "0612345678", "1", "Ja", "Versturen"} {
		replies = mustHandle(t, c, text(chat, m))
	}
	for _, r := range replies {
		if m := tokenRe.FindStringSubmatch(r.Text); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no consent link in %+v", replies)
	return ""
}

func says(rs []dialog.Reply, sub string) bool {
	for _, r := range rs {
		if strings.Contains(r.Text, sub) {
			return true
		}
	}
	return false
}

// Issue 11, item 2, at the message path: the registrant's own chat can
// neither open their link as the person nor, with a session that already
// holds the question (stored before the bot refused own links), answer it.
// The request stays held for the person, who can still say yes.
func TestOwnChatCannotAnswerForThePerson(t *testing.T) {
	s := bottest.New(t, bottest.WithNow(func() time.Time { return monday }))
	// Request IDs of bottest hold ':', which a consent token may not.
	eng, n := *s.Conversations.Engine, 0
	eng.NewID = func() string { n++; return fmt.Sprintf("own-%08d", n) }
	s.Conversations.Engine = &eng
	c, ctx := s.Conversations, context.Background()
	token := holdForNeighbour(t, c, "reg")

	own := mustHandle(t, c, text("reg", "/start "+token))
	if lastStep(own) == dialog.StepOtherConfirm || !says(own, "door") {
		t.Errorf("own link opened as the person: %+v", own)
	}

	// A session stored mid-question by an older bot: answer yes, then no.
	for _, answer := range []string{"Ja", "Nee"} {
		key := bot.SessionKey("test", "reg")
		data, version, err := c.Sessions.Load(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		rec["state"], _ = json.Marshal(dialog.State{Lang: "nl", Step: dialog.StepOtherConfirm, Offered: []string{"other_confirm:yes", "other_confirm:no"},
			Confirming: &dialog.Confirming{Token: token, RegistrantName: "Piet", Topic: "housing"}})
		data, _ = json.Marshal(rec)
		if _, err := c.Sessions.Save(ctx, key, data, version); err != nil {
			t.Fatal(err)
		}
		got := mustHandle(t, c, text("reg", answer))
		if n, _ := s.Redis.XLen(ctx, s.Stream).Result(); n != 0 {
			t.Fatalf("%q from the registrant's chat sent the request to staff", answer)
		}
		if rec, err := c.Held.Get(ctx, token); err != nil || rec == nil {
			t.Fatalf("%q from the registrant's chat took the held request (%v): %+v", answer, err, got)
		}
		if !says(got, "door") {
			t.Errorf("%q from the registrant's chat: %+v", answer, got)
		}
	}

	mustHandle(t, c, text("person", "/start "+token))
	if got := mustHandle(t, c, text("person", "Ja")); lastStep(got) != dialog.StepDone {
		t.Fatalf("the person's yes: %+v", got)
	}
	if n, _ := s.Redis.XLen(ctx, s.Stream).Result(); n != 1 {
		t.Fatalf("%d requests on the stream after the person's yes, want 1", n)
	}
}
