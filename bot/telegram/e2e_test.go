package telegram

import (
	"context"
	"encoding/json"
	"html"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
)

// e2e runs the channel on the real message path (engine, sessions and
// hand-off on Redis) against the fake Bot API server.
func e2e(t *testing.T) (*telegramtest.Server, *bottest.Stack) {
	t.Helper()
	stack := bottest.New(t)
	srv := newServer(t)
	ch, err := New(testConfig(srv), stack.Conversations, stack.Catalog, WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ch.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv, stack
}

// turn sends one thing and waits for the bot's answer to settle.
func turn(t *testing.T, srv *telegramtest.Server, chat int64, send func()) []telegramtest.Message {
	t.Helper()
	before := len(srv.Sent(chat))
	send()
	if _, err := srv.WaitSent(chat, before+1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond) // a turn may have more than one reply
	return srv.Sent(chat)[before:]
}

func unescape(ms []telegramtest.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(html.UnescapeString(m.Text) + "\n")
	}
	return b.String()
}

func TestE2EIntakeByButtons(t *testing.T) {
	srv, stack := e2e(t)
	const chat = 5001
	replies := turn(t, srv, chat, func() { srv.SendText(chat, chat, "/start", "nl") })
	// A question first.
	turn(t, srv, chat, func() { srv.SendText(chat, chat, "Wanneer is het WOT open?", "nl") })

	// Then the whole intake, by buttons where there are buttons.
	prefer := []string{"menu:reg_self", "who:self", "topic:money", "urgency:normal", "location:wot", "privacy_consent:yes", "confirm:send"}
	texts := []string{"Ik heb schulden en de rekeningen stapelen zich op.", "Jan <b>de Vries</b>"}
	replies = turn(t, srv, chat, func() { srv.SendText(chat, chat, "/aanmelden", "nl") })
	for range 20 {
		last := replies[len(replies)-1]
		data := last.Data()
		switch {
		case slices.Contains(data, "phone:chat"):
			replies = turn(t, srv, chat, func() { srv.SendText(chat, chat, "06 12345678", "nl") })
		case len(data) > 0:
			pick := ""
			for _, p := range prefer {
				if slices.Contains(data, p) {
					pick = p
					break
				}
			}
			if pick == "" {
				t.Fatalf("no known option in %v after:\n%s", data, unescape(replies))
			}
			replies = turn(t, srv, chat, func() { srv.PressButton(chat, last.MessageID, pick) })
			if pick == "confirm:send" {
				goto sent
			}
		case len(texts) > 0:
			txt := texts[0]
			texts = texts[1:]
			replies = turn(t, srv, chat, func() { srv.SendText(chat, chat, txt, "nl") })
		default:
			t.Fatalf("stuck after:\n%s", unescape(replies))
		}
	}
	t.Fatal("intake did not finish in 20 turns")
sent:
	entries, err := stack.Redis.XRange(context.Background(), stack.Stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("%d hand-off entries, want 1; last replies:\n%s", len(entries), unescape(replies))
	}
	var req dialog.Request
	for _, v := range entries[0].Values {
		if s, ok := v.(string); ok && json.Unmarshal([]byte(s), &req) == nil && req.ID != "" {
			break
		}
	}
	if req.Channel != "telegram" || req.ChatID != "5001" || req.Topic == "" || !strings.Contains(req.Phone, "612345678") {
		t.Errorf("hand-off %+v", req)
	}
	// Every message went out as escaped HTML; the name with <b> never broke one.
	for _, m := range srv.Sent(chat) {
		if m.ParseMode != "HTML" {
			t.Errorf("message without HTML parse mode: %q", m.Text)
		}
	}
}

func TestE2EEnglishStaleVoice(t *testing.T) {
	srv, stack := e2e(t)
	const chat = 5002
	first := turn(t, srv, chat, func() { srv.SendText(chat, chat, "/start", "en-US") })
	if got := html.UnescapeString(first[0].Text); got != stack.Catalog.T("en", "welcome", nil) {
		t.Errorf("English user got %q", got)
	}
	menu := first[len(first)-1]
	if len(menu.Buttons) == 0 {
		t.Fatalf("no menu buttons: %+v", first)
	}
	// Use the menu once, then tap it again: the second tap is stale.
	turn(t, srv, chat, func() { srv.PressButton(chat, menu.MessageID, "menu:reg_self") })
	stale := turn(t, srv, chat, func() { srv.PressButton(chat, menu.MessageID, "menu:hours") })
	if got := unescape(stale); !strings.Contains(got, stack.Catalog.T("en", "button.expired", nil)) &&
		!strings.Contains(got, stack.Catalog.T("nl", "button.expired", nil)) {
		t.Errorf("stale button answered with:\n%s", got)
	}
	voice := turn(t, srv, chat, func() { srv.SendVoice(chat) })
	if got := unescape(voice); !strings.Contains(got, "can only read text") && !strings.Contains(got, "alleen tekst") {
		t.Errorf("voice note answered with:\n%s", got)
	}
	if n := len(srv.Calls("answerCallbackQuery")); n != 2 {
		t.Errorf("%d callbacks answered, want 2", n)
	}
}

// A resident whose Telegram is set to Arabic is welcomed in Arabic, with
// the Latin names and numbers held in Unicode isolates; a Turkish crisis
// message from a Dutch chat gets the safety numbers in Turkish at once.
func TestE2EArabicAndTurkish(t *testing.T) {
	srv, stack := e2e(t)
	const ar, tr = 5003, 5004
	first := turn(t, srv, ar, func() { srv.SendText(ar, ar, "/start", "ar") })
	got := html.UnescapeString(first[0].Text)
	if got != stack.Catalog.T("ar", "welcome", nil) || !strings.Contains(got, "\u2068WOT Nieuwland\u2069") {
		t.Errorf("Arabic user got %q", got)
	}
	labels := ""
	for _, row := range first[0].Buttons {
		for _, b := range row {
			labels += b.Text + "|"
		}
	}
	if !strings.Contains(labels, stack.Catalog.T("ar", "opt.menu.reg_self", nil)) {
		t.Errorf("Arabic menu buttons: %s", labels)
	}
	turn(t, srv, tr, func() { srv.SendText(tr, tr, "/start", "nl") })
	crisis := unescape(turn(t, srv, tr, func() { srv.SendText(tr, tr, "kocam beni dovuyor", "nl") }))
	for _, want := range []string{"112", "Veilig Thuis", "0800-2000", "0800-0113", "Hollandaca ve İngilizce"} {
		if !strings.Contains(crisis, want) {
			t.Errorf("Turkish crisis reply lacks %q:\n%s", want, crisis)
		}
	}
}
