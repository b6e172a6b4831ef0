package telegram

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// fakeConv stands in for bot.Conversations: it ignores a Seq it saw before
// for a chat (as the real layer does), records what it handled, and echoes.
type fakeConv struct {
	mu    sync.Mutex
	seen  map[string]map[int64]bool
	got   []bot.Inbound
	delay func(in bot.Inbound) // runs before replying, outside the lock
}

func newFakeConv() *fakeConv { return &fakeConv{seen: map[string]map[int64]bool{}} }

// MarkDelivered has nothing to do: fakeConv answers a Seq once, delivered or not.
func (f *fakeConv) MarkDelivered(context.Context, ...bot.Inbound) error { return nil }

func (f *fakeConv) Handle(ctx context.Context, in bot.Inbound) ([]dialog.Reply, error) {
	f.mu.Lock()
	if in.Seq > 0 {
		if f.seen[in.ChatID] == nil {
			f.seen[in.ChatID] = map[int64]bool{}
		}
		if f.seen[in.ChatID][in.Seq] {
			f.mu.Unlock()
			return nil, nil
		}
		f.seen[in.ChatID][in.Seq] = true
	}
	f.mu.Unlock()
	if f.delay != nil {
		f.delay(in)
	}
	f.mu.Lock()
	f.got = append(f.got, in)
	f.mu.Unlock()
	switch {
	case in.Msg.Kind == dialog.KindText && in.Msg.Text == "menu":
		return []dialog.Reply{{Text: "Kies een onderwerp", Options: []dialog.Option{
			{Data: "topic:geld", Label: "Geld"}, {Data: "topic:zorg", Label: "Zorg"}, {Data: "topic:wonen", Label: "Wonen"},
		}}}, nil
	case in.Msg.Kind == dialog.KindText && in.Msg.Text == "long":
		return []dialog.Reply{{Text: "Kies", Options: []dialog.Option{
			{Data: "a", Label: "Ik wil hulp bij mijn geldzaken"}, {Data: strings.Repeat("x", 65), Label: "Te lang"}, {Data: "b", Label: "Nee"},
		}}}, nil
	case in.Msg.Kind == dialog.KindText:
		return []dialog.Reply{{Text: "echo: " + in.Msg.Text}}, nil
	}
	return []dialog.Reply{{Text: fmt.Sprintf("%s %s", in.Msg.Kind, in.Msg.Data)}}, nil
}

func (f *fakeConv) handled() []bot.Inbound {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bot.Inbound(nil), f.got...)
}

func (f *fakeConv) waitHandled(t *testing.T, n int) []bot.Inbound {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if got := f.handled(); len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("handled %d updates, want %d", len(f.handled()), n)
	return nil
}

var catalog = func() *locales.Catalog {
	c, err := locales.Load()
	if err != nil {
		panic(err)
	}
	return c
}()

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testConfig(srv *telegramtest.Server) Config {
	return Config{Token: srv.Token, APIURL: srv.URL, PollTimeout: time.Second, RetryBase: 10 * time.Millisecond, ShutdownTimeout: 3 * time.Second}
}

// start runs a channel against srv until the test ends; stop cancels it and
// returns Run's error.
func start(t testing.TB, cfg Config, h bot.Handler) (ch *Channel, stop func() error) {
	t.Helper()
	ch, err := New(cfg, h, catalog, WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- ch.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-errc:
			case <-time.After(10 * time.Second):
				runErr = fmt.Errorf("Run did not return within 10 s")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return ch, stop
}

func newServer(t testing.TB) *telegramtest.Server {
	srv := telegramtest.New()
	t.Cleanup(srv.Close)
	return srv
}

func TestTextReplyEscaped(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	start(t, testConfig(srv), conv)

	id := srv.SendText(42, 42, "Ik ben <b>Jan</b> & co", "nl")
	enID := srv.SendText(43, 43, "Hello", "en-GB")
	msgs, err := srv.WaitSent(42, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := html.EscapeString("echo: Ik ben <b>Jan</b> & co")
	if msgs[0].Text != want || msgs[0].ParseMode != "HTML" || msgs[0].ChatID != 42 {
		t.Errorf("sent %+v, want text %q in HTML to chat 42", msgs[0], want)
	}
	if _, err := srv.WaitSent(43, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, in := range conv.handled() {
		wantLang, wantSeq := "nl", id
		if in.ChatID == "43" {
			wantLang, wantSeq = "en", enID
		}
		if in.Channel != "telegram" || in.Lang != wantLang || in.Seq != wantSeq || in.Msg.Kind != dialog.KindText {
			t.Errorf("inbound %+v, want telegram/%s seq %d text", in, wantLang, wantSeq)
		}
	}
}

func TestButtons(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	start(t, testConfig(srv), conv)

	srv.SendText(42, 42, "menu", "nl")
	msgs, err := srv.WaitSent(42, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	menu := msgs[0]
	if got := fmt.Sprint(menu.Buttons); got != "[[{Geld topic:geld} {Zorg topic:zorg}] [{Wonen topic:wonen}]]" {
		t.Errorf("short labels: keyboard %s, want two per row", got)
	}

	srv.SendText(42, 42, "long", "nl")
	msgs, err = srv.WaitSent(42, 2, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(msgs[1].Buttons); got != "[[{Ik wil hulp bij mijn geldzaken a}] [{Nee b}]]" {
		t.Errorf("long labels: keyboard %s, want one per row and the 65-byte option skipped", got)
	}

	srv.PressButton(42, menu.MessageID, "topic:zorg")
	got := conv.waitHandled(t, 3)
	if in := got[2]; in.Msg.Kind != dialog.KindOption || in.Msg.Data != "topic:zorg" {
		t.Errorf("button press arrived as %+v, want option topic:zorg", in.Msg)
	}
	answers, err := srv.WaitCalls("answerCallbackQuery", 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if answers[0].Params["callback_query_id"] == "" {
		t.Error("answerCallbackQuery without callback_query_id")
	}
	edits, err := srv.WaitCalls("editMessageReplyMarkup", 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if p := edits[0].Params; p["message_id"] != fmt.Sprint(menu.MessageID) || p["chat_id"] != "42" || p["reply_markup"] != "" {
		t.Errorf("editMessageReplyMarkup %v, want the menu's keyboard removed", p)
	}
}

func TestNonText(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	start(t, testConfig(srv), conv)

	tests := []struct {
		send func(chat int64) int64
		kind dialog.Kind
		data string
	}{
		{srv.SendVoice, dialog.KindVoice, ""},
		{func(c int64) int64 { return srv.SendPhoto(c, "mijn brief") }, dialog.KindPhoto, ""},
		{srv.SendSticker, dialog.KindSticker, ""},
		{srv.SendDocument, dialog.KindDocument, ""},
		{func(c int64) int64 { return srv.SendLocation(c, 51.91, 4.40) }, dialog.KindLocation, ""},
		{func(c int64) int64 { return srv.SendContact(c, "+31612345678") }, dialog.KindContact, "+31612345678"},
	}
	for i, tt := range tests {
		chat := int64(100 + i)
		seq := tt.send(chat)
		if _, err := srv.WaitSent(chat, 1, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, in := range conv.handled() {
			if in.Seq == seq {
				found = true
				if in.Msg.Kind != tt.kind || in.Msg.Data != tt.data || in.Msg.Text != "" {
					t.Errorf("%s: got %+v, want kind %s data %q", tt.kind, in.Msg, tt.kind, tt.data)
				}
			}
		}
		if !found {
			t.Errorf("%s: update %d not handled", tt.kind, seq)
		}
	}
}

func TestGroupIgnored(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	start(t, testConfig(srv), conv)

	groupID := srv.SendGroupText(-1001, 7, "hallo bot")
	srv.SendText(42, 42, "hallo", "nl")
	if _, err := srv.WaitSent(42, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitOffset(groupID+1, 5*time.Second); err != nil {
		t.Fatal(err) // the group update must be confirmed, not redelivered forever
	}
	for _, in := range conv.handled() {
		if in.ChatID == "-1001" {
			t.Errorf("group message reached the conversation: %+v", in)
		}
	}
	if got := srv.Messages(-1001); len(got) != 0 {
		t.Errorf("bot wrote to the group: %+v", got)
	}
}

// A group handler that is slow (the staff desk waiting out Telegram's 429
// on its group) runs off the residents' path: in long polling and by
// webhook a resident's answer does not wait for it, and the group update is
// still confirmed once handled.
func TestSlowGroupDoesNotHoldUpResidents(t *testing.T) {
	for _, webhook := range []bool{false, true} {
		t.Run(fmt.Sprint("webhook=", webhook), func(t *testing.T) {
			srv := newServer(t)
			release := make(chan struct{})
			var releaseOnce sync.Once
			releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
			var groupDone sync.WaitGroup
			groupDone.Add(1)
			group := func(ctx context.Context, upd *models.Update) {
				defer groupDone.Done()
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
			cfg := testConfig(srv)
			if webhook {
				cfg.WebhookURL, cfg.WebhookSecret, cfg.ListenAddr = "https://bot.example.org/webhook", "s3cret", "127.0.0.1:0"
			}
			ch, err := New(cfg, newFakeConv(), catalog, WithLogger(quietLogger()), WithGroupHandler(group))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = ch.Run(ctx); close(done) }()
			t.Cleanup(func() { releaseAll(); cancel(); <-done })

			groupID := srv.SendGroupText(-1001, 7, "Oppakken")
			started := time.Now()
			resident := srv.SendText(42, 42, "hallo", "nl")
			if webhook {
				hs := httptest.NewServer(ch.Handler())
				defer hs.Close()
				defer releaseAll() // before the server closes: it waits for the group's request
				for _, id := range []int64{groupID, resident} {
					upd, _ := srv.Update(id)
					go srv.Deliver(context.Background(), hs.URL+"/webhook", "s3cret", upd)
				}
			}
			if _, err := srv.WaitSent(42, 1, 2*time.Second); err != nil {
				t.Fatalf("resident held up by a slow group handler: %v", err)
			}
			if took := time.Since(started); took > time.Second {
				t.Errorf("resident answered after %v", took)
			}
			if !webhook {
				if off := srv.Offset(); off > groupID {
					t.Errorf("group update confirmed (offset %d) before it was handled", off)
				}
				release <- struct{}{}
				groupDone.Wait()
				if err := srv.WaitOffset(resident+1, 5*time.Second); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestCommands(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	cfg := testConfig(srv)
	start(t, cfg, conv)

	srv.SendText(42, 42, "/start@wotschiedam_test_bot aanmelden", "nl")
	got := conv.waitHandled(t, 1)
	if got[0].Msg.Text != "/start aanmelden" {
		t.Errorf("deep link arrived as %q, want %q", got[0].Msg.Text, "/start aanmelden")
	}
	if _, err := srv.WaitCalls("setMyCommands", 1+len(locales.Languages), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, lang := range append([]string{""}, locales.Languages...) {
		cmds := srv.Commands(lang)
		if len(cmds) != len(commands) {
			t.Fatalf("lang %q: %d commands, want %d", lang, len(cmds), len(commands))
		}
		textLang := lang
		if textLang == "" {
			textLang = "nl"
		}
		for i, c := range cmds {
			if c.Command != commands[i] || c.Description != catalog.T(textLang, "telegram.cmd."+c.Command, nil) {
				t.Errorf("lang %q: command %+v", lang, c)
			}
		}
	}
	for _, lang := range locales.Languages[1:] {
		if srv.Commands(lang)[0].Description == srv.Commands("nl")[0].Description {
			t.Errorf("%s and Dutch command descriptions are the same", lang)
		}
	}
}

func TestCommandText(t *testing.T) {
	for in, want := range map[string]string{
		"/help":                    "/help",
		"/help@wot_bot":            "/help",
		"/start aanmelden":         "/start aanmelden",
		"/start@wot_bot aanmelden": "/start aanmelden",
		"gewoon tekst @iemand":     "gewoon tekst @iemand",
	} {
		if got := CommandText(in); got != want {
			t.Errorf("CommandText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWebhook(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	cfg := testConfig(srv)
	cfg.WebhookURL = "https://bot.example.org/telegram/hook"
	cfg.WebhookSecret = "s3cret-Token_1"
	cfg.ListenAddr = "127.0.0.1:0"
	ch, _ := start(t, cfg, conv)
	if _, err := srv.WaitCalls("setWebhook", 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if wh := srv.Webhook(); wh.URL != cfg.WebhookURL || wh.SecretToken != cfg.WebhookSecret {
		t.Errorf("setWebhook got %+v", wh)
	}
	hook := httptest.NewServer(ch.Handler())
	defer hook.Close()
	url := hook.URL + "/telegram/hook"
	ctx := context.Background()

	upd := srv.TextUpdate(42, 42, "via webhook", "nl")
	upd.ID = 777
	for _, tc := range []struct {
		name, secret string
		want         int
	}{
		{"wrong secret", "nope", http.StatusUnauthorized},
		{"missing secret", "", http.StatusUnauthorized},
		{"right secret", cfg.WebhookSecret, http.StatusOK},
		{"redelivered", cfg.WebhookSecret, http.StatusOK},
	} {
		status, err := srv.Deliver(ctx, url, tc.secret, upd)
		if err != nil {
			t.Fatal(err)
		}
		if status != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, status, tc.want)
		}
	}
	// 200 comes after handling: the reply is there already, exactly once.
	if got := srv.Sent(42); len(got) != 1 || got[0].Text != "echo: via webhook" {
		t.Errorf("sent %+v, want one echo", got)
	}
	if got := conv.handled(); len(got) != 1 || got[0].Seq != 777 {
		t.Errorf("handled %+v, want update 777 once", got)
	}
}

func TestPollingRedeliveryHandledOnce(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	start(t, testConfig(srv), conv)
	id := srv.SendText(42, 42, "een", "nl")
	if _, err := srv.WaitSent(42, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := srv.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	srv.SendText(42, 42, "twee", "nl")
	if _, err := srv.WaitSent(42, 2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if got := srv.Sent(42); len(got) != 2 || got[0].Text != "echo: een" || got[1].Text != "echo: twee" {
		t.Errorf("sent %+v, want each reply once", got)
	}
}

// An update the bot cannot read is skipped: it must not hold back the
// updates after it, nor be fetched for ever.
func TestPollingSkipsUnreadableUpdate(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	start(t, testConfig(srv), conv)
	bad := srv.QueueRawMessage(`{"message_id":1,"chat":"not a chat","text":"x"}`)
	srv.SendText(42, 42, "hallo", "nl")
	msgs, err := srv.WaitSent(42, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Text != "echo: hallo" {
		t.Errorf("sent %q, want the reply to the readable update", msgs[0].Text)
	}
	if err := srv.WaitOffset(bad+2, 5*time.Second); err != nil {
		t.Errorf("offset not confirmed past the unreadable update %d: %v", bad, err)
	}
}

func TestRetryAfter429(t *testing.T) {
	srv := newServer(t)
	start(t, testConfig(srv), newFakeConv())
	srv.FailNext("sendMessage", 1, http.StatusTooManyRequests, 1)
	begin := time.Now()
	srv.SendText(42, 42, "hallo", "nl")
	msgs, err := srv.WaitSent(42, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if wait := msgs[0].At.Sub(begin); wait < time.Second {
		t.Errorf("sent after %v, want after retry_after 1 s", wait)
	}
	if calls := srv.Calls("sendMessage"); len(calls) != 2 || calls[0].Status != 429 {
		t.Errorf("sendMessage calls %+v, want a 429 then a success", calls)
	}
}

func TestBackoff5xxBounded(t *testing.T) {
	srv := newServer(t)
	start(t, testConfig(srv), newFakeConv())

	// Four failures: the fifth try gets through.
	srv.FailNext("sendMessage", 4, http.StatusBadGateway, 0)
	srv.SendText(42, 42, "een", "nl")
	if _, err := srv.WaitSent(42, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Calls("sendMessage")); n != 5 {
		t.Errorf("%d sendMessage calls, want 5", n)
	}

	// Seven failures: gives up after five tries, and the next message
	// (two failures left) still goes out.
	srv.FailNext("sendMessage", 7, http.StatusInternalServerError, 0)
	srv.SendText(42, 42, "twee", "nl")
	srv.SendText(42, 42, "drie", "nl")
	msgs, err := srv.WaitSent(42, 2, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[1].Text != "echo: drie" {
		t.Errorf("second message %q, want echo: drie", msgs[1].Text)
	}
	if n := len(srv.Calls("sendMessage")); n != 5+5+3 {
		t.Errorf("%d sendMessage calls, want 13 (5 + 5 given up + 3)", n)
	}
}

func TestPerChatOrder(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	conv.delay = func(bot.Inbound) { time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) }
	cfg := testConfig(srv)
	cfg.RateLimit = 1000
	start(t, cfg, conv)
	const n = 40
	for i := range n {
		srv.SendText(1, 1, fmt.Sprint(i), "nl")
		srv.SendText(2, 2, fmt.Sprint(i), "nl")
	}
	for _, chat := range []int64{1, 2} {
		msgs, err := srv.WaitSent(chat, n, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			if m.Text != fmt.Sprintf("echo: %d", i) {
				t.Fatalf("chat %d message %d is %q: order lost", chat, i, m.Text)
			}
		}
	}
}

func TestShutdownLosesNothing(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	release := make(chan struct{})
	blocking := make(chan struct{})
	conv.delay = func(in bot.Inbound) {
		if in.Msg.Text == "blok" {
			close(blocking)
			<-release
		}
	}
	_, stop := start(t, testConfig(srv), conv)

	srv.SendText(1, 1, "een", "nl")
	blokID := srv.SendText(1, 1, "blok", "nl")
	drieID := srv.SendText(1, 1, "drie", "nl")
	srv.SendText(2, 2, "ander", "nl")
	<-blocking
	if _, err := srv.WaitSent(2, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if off := srv.Offset(); off > blokID {
		t.Errorf("offset %d confirmed past the in-flight update %d", off, blokID)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(200 * time.Millisecond) // SIGTERM arrives while "blok" is in flight
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The in-flight update finished; the queued one was not started and not
	// confirmed.
	msgs := srv.Sent(1)
	if len(msgs) != 2 || msgs[1].Text != "echo: blok" {
		t.Fatalf("chat 1 got %+v, want een and blok", msgs)
	}
	if off := srv.Offset(); off != drieID {
		t.Errorf("offset after stop %d, want %d (first unhandled update)", off, drieID)
	}

	// A new channel (same conversation store) carries on without loss.
	start(t, testConfig(srv), conv)
	srv.SendText(1, 1, "vier", "nl")
	msgs, err := srv.WaitSent(1, 4, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.Text)
	}
	if got := strings.Join(texts, "|"); got != "echo: een|echo: blok|echo: drie|echo: vier" {
		t.Errorf("chat 1 after restart: %s", got)
	}
	time.Sleep(100 * time.Millisecond)
	if got := srv.Sent(2); len(got) != 1 {
		t.Errorf("chat 2 got %d replies, want its one reply once", len(got))
	}
}

func TestSlowDown(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	start(t, testConfig(srv), conv)
	for i := range 30 {
		srv.SendText(42, 42, fmt.Sprint(i), "nl")
	}
	msgs, err := srv.WaitSent(42, 21, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	msgs = srv.Sent(42)
	note := html.EscapeString(catalog.T("nl", "telegram.slow_down", nil))
	notes, echoes := 0, 0
	for _, m := range msgs {
		switch {
		case m.Text == note:
			notes++
		case strings.HasPrefix(m.Text, "echo: "):
			echoes++
		}
	}
	if notes != 1 || echoes != 20 {
		t.Errorf("%d slow-down notes and %d answers, want 1 and 20", notes, echoes)
	}
	if n := len(conv.handled()); n != 20 {
		t.Errorf("conversation got %d messages, want 20", n)
	}
}

func TestLimited(t *testing.T) {
	var c chat
	t0 := time.Unix(1000, 0)
	var drops, notes int
	for i := range 25 {
		drop, note := c.limited(t0.Add(time.Duration(i)*100*time.Millisecond), 20, 10*time.Second)
		if drop {
			drops++
		}
		if note {
			notes++
		}
	}
	if drops != 5 || notes != 1 {
		t.Errorf("25 messages in 2.5 s: %d dropped, %d notes; want 5 and 1", drops, notes)
	}
	// After a quiet window the resident is heard again.
	if drop, _ := c.limited(t0.Add(20*time.Second), 20, 10*time.Second); drop {
		t.Error("message after a quiet window dropped")
	}
}

func TestHealthAndMetrics(t *testing.T) {
	srv := newServer(t)
	var healthErr error
	ch, err := New(testConfig(srv), newFakeConv(), catalog, WithLogger(quietLogger()),
		WithHealth(func(context.Context) error { return healthErr }))
	if err != nil {
		t.Fatal(err)
	}
	h := ch.Handler()
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz %d, want 200", code)
	}
	healthErr = fmt.Errorf("redis down")
	if code, _ := get("/healthz"); code != 503 {
		t.Errorf("healthz with Redis down %d, want 503", code)
	}
	ch.m.updates.WithLabelValues("text").Inc()
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, `wotbot_telegram_updates_total{kind="text"} 1`) {
		t.Errorf("metrics %d:\n%s", code, body)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"no token", Config{}, true},
		{"polling", Config{Token: "1:x"}, false},
		{"webhook without secret", Config{Token: "1:x", WebhookURL: "https://x.nl/hook"}, true},
		{"webhook with bad secret", Config{Token: "1:x", WebhookURL: "https://x.nl/hook", WebhookSecret: "a b"}, true},
		{"webhook", Config{Token: "1:x", WebhookURL: "https://x.nl/hook", WebhookSecret: "abc", ListenAddr: ":9000"}, false},
		{"bad api url", Config{Token: "1:x", APIURL: "localhost"}, true},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}
