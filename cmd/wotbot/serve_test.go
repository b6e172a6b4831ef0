package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
)

// serveProc runs `wotbot serve` against a fake Bot API server.
func (e env) serve(t *testing.T, api *telegramtest.Server) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary) // no arguments: a token set means serve
	cmd.Env = append(os.Environ(), "REDIS_URL="+e.redisURL, "HANDOFF_STREAM="+e.stream,
		"TELEGRAM_BOT_TOKEN="+api.Token, "TELEGRAM_API_URL="+api.URL, "WEBHOOK_URL=", "LISTEN_ADDR=",
		"TELEGRAM_INBOX_PREFIX={"+e.stream+":inbox}:") // the fake server's bot is every test's bot
	var logs strings.Builder
	cmd.Stderr = &logs
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("wotbot serve log:\n%s", logs.String())
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func stopWithin(t *testing.T, cmd *exec.Cmd, limit time.Duration) {
	t.Helper()
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM", err)
		}
		t.Logf("SIGTERM to exit: %v", time.Since(start))
	case <-time.After(limit):
		t.Fatalf("serve still running %v after SIGTERM", limit)
	}
}

func TestServeTelegramIntakeAcrossRestart(t *testing.T) {
	e := newEnv(t)
	api := telegramtest.New()
	defer api.Close()
	// Sessions of the real Redis outlive the test, and the fake server counts
	// update ids from 1000 every run: a fresh chat keeps runs apart.
	chat := 700000 + time.Now().UnixNano()%100000
	proc := e.serve(t, api)
	wait := func(n int) []telegramtest.Message {
		t.Helper()
		msgs, err := api.WaitSent(chat, n, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return msgs
	}
	api.SendText(chat, chat, "/start aanmelden", "nl")
	msgs := wait(2)
	api.PressButton(chat, msgs[len(msgs)-1].MessageID, "who:self")
	msgs = wait(3)
	last := msgs[len(msgs)-1]
	if !strings.Contains(last.Text, "Waar gaat uw vraag over?") || len(last.Data()) != 8 {
		t.Fatalf("topic question: %+v", last)
	}
	api.PressButton(chat, last.MessageID, "topic:money")
	wait(4)
	stopWithin(t, proc, 10*time.Second)

	// Restarted, the bot continues the conversation where it was.
	e.serve(t, api)
	api.SendText(chat, chat, "Ik heb schulden bij de energie. <b>Help</b>", "nl")
	msgs = wait(5)
	if !strings.Contains(msgs[len(msgs)-1].Text, "Hoe dringend") {
		t.Fatalf("after restart: %+v", msgs[len(msgs)-1])
	}
	for i, step := range []string{"urgency:normal", "", "", "location:wot", "privacy_consent:yes", "confirm:send"} {
		n := len(api.Sent(chat))
		switch {
		case step != "":
			m := api.Sent(chat)[n-1]
			api.PressButton(chat, m.MessageID, step)
		case i == 1:
			api.SendText(chat, chat, "Jan <script>", "nl")
		default:
			api.SendText(chat, chat, "06-12345678", "nl")
		}
		wait(n + 1)
	}
	sent := api.Sent(chat)
	done := sent[len(sent)-1]
	if !strings.Contains(done.Text, "WOT-") {
		t.Fatalf("no reference after sending: %+v", done)
	}
	for _, m := range sent {
		if strings.Contains(m.Text, "<script>") {
			t.Fatalf("resident's text not escaped: %q", m.Text)
		}
	}
	msgsOnStream, err := e.rdb.XRange(context.Background(), e.stream, "-", "+").Result()
	if err != nil || len(msgsOnStream) != 1 {
		t.Fatalf("stream entries %d (%v), want 1", len(msgsOnStream), err)
	}
	var r dialog.Request
	json.Unmarshal([]byte(msgsOnStream[0].Values["request"].(string)), &r)
	if r.Channel != "telegram" || r.ChatID != strconv.FormatInt(chat, 10) || r.Name != "Jan <script>" || r.Topic != "money" {
		t.Fatalf("entry = %+v", r)
	}
}

func TestServeConsentLinkBothChats(t *testing.T) {
	e := newEnv(t)
	api := telegramtest.New()
	defer api.Close()
	e.serve(t, api)
	base := 800000 + time.Now().UnixNano()%100000
	registrant, person := base, base+1
	step := func(chat int64, do func()) telegramtest.Message {
		t.Helper()
		n := len(api.Sent(chat))
		do()
		msgs, err := api.WaitSent(chat, n+1, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // a turn may have more than one reply
		msgs = api.Sent(chat)
		return msgs[len(msgs)-1]
	}
	text := func(chat int64, s string) telegramtest.Message {
		return step(chat, func() { api.SendText(chat, chat, s, "nl") })
	}
	press := func(chat int64, m telegramtest.Message, data string) telegramtest.Message {
		return step(chat, func() { api.PressButton(chat, m.MessageID, data) })
	}
	m := text(registrant, "/start aanmelden")
	m = press(registrant, m, "who:other")
	m = press(registrant, m, "other_consent:yes")
	m = press(registrant, m, "consent_method:link")
	m = text(registrant, "Anna")
	m = press(registrant, m, "topic:loneliness")
	m = text(registrant, "Ze is veel alleen.")
	m = press(registrant, m, "urgency:normal")
	m = text(registrant, "Piet")
	m = press(registrant, m, "phone:chat")
	m = press(registrant, m, "location:home")
	m = press(registrant, m, "privacy_consent:yes")
	press(registrant, m, "confirm:send")
	var link string
	for _, s := range api.Sent(registrant) {
		if i := strings.Index(s.Text, "https://t.me/"+api.BotUser.Username+"?start="); i >= 0 {
			link = strings.Fields(s.Text[i:])[0]
		}
	}
	if link == "" {
		t.Fatalf("no personal link sent: %+v", api.Sent(registrant)[len(api.Sent(registrant))-2:])
	}
	token := link[strings.Index(link, "start=")+len("start="):]
	greet := text(person, "/start "+token)
	if !strings.Contains(greet.Text, "Piet") || !strings.Contains(greet.Text, "Ze is veel alleen.") || len(greet.Data()) != 2 {
		t.Fatalf("greeting: %+v", greet)
	}
	before := len(api.Sent(registrant))
	press(person, greet, "other_confirm:yes")
	msgs, err := api.WaitSent(registrant, before+1, 10*time.Second)
	if err != nil || !strings.Contains(msgs[len(msgs)-1].Text, "ja gezegd") {
		t.Fatalf("registrant not told at once: %v %+v", err, msgs[len(msgs)-1])
	}
	entries, err := e.rdb.XRange(context.Background(), e.stream, "-", "+").Result()
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Values["request"].(string), `"method":"confirmed"`) {
		t.Fatalf("stream: %v %+v", err, entries)
	}
}
