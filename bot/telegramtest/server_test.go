package telegramtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot/telegramtest"
)

// post calls a method with a JSON body and decodes the answer.
func post(t *testing.T, srv *telegramtest.Server, method string, body any) (status int, r struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(srv.URL+"/bot"+srv.Token+"/"+method, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, r
}

func updates(t *testing.T, raw json.RawMessage) []models.Update {
	var us []models.Update
	if err := json.Unmarshal(raw, &us); err != nil {
		t.Fatal(err)
	}
	return us
}

func TestGetUpdatesOffset(t *testing.T) {
	srv := telegramtest.New()
	defer srv.Close()
	a := srv.SendText(1, 1, "a", "nl")
	b := srv.SendText(1, 1, "b", "nl")

	_, r := post(t, srv, "getUpdates", map[string]any{"timeout": 0})
	if us := updates(t, r.Result); len(us) != 2 || us[0].ID != a || us[1].ID != b {
		t.Fatalf("got %+v, want updates %d and %d", us, a, b)
	}
	// Offset b confirms a only.
	_, r = post(t, srv, "getUpdates", map[string]any{"offset": b, "timeout": 0})
	if us := updates(t, r.Result); len(us) != 1 || us[0].ID != b {
		t.Fatalf("after offset %d got %+v", b, us)
	}
	if srv.Offset() != b {
		t.Errorf("Offset %d, want %d", srv.Offset(), b)
	}
	// Long poll: wakes up when an update comes.
	go func() {
		time.Sleep(100 * time.Millisecond)
		srv.SendText(2, 2, "c", "en")
	}()
	begin := time.Now()
	_, r = post(t, srv, "getUpdates", map[string]any{"offset": b + 1, "timeout": 5})
	if us := updates(t, r.Result); len(us) != 1 || us[0].Message.Text != "c" || us[0].Message.From.LanguageCode != "en" {
		t.Fatalf("long poll got %+v", us)
	}
	if d := time.Since(begin); d < 50*time.Millisecond || d > 3*time.Second {
		t.Errorf("long poll returned after %v", d)
	}
	// Nothing new: an empty list after the timeout.
	_, r = post(t, srv, "getUpdates", map[string]any{"offset": b + 2, "timeout": 0})
	if us := updates(t, r.Result); len(us) != 0 {
		t.Errorf("got %+v, want none", us)
	}
}

func TestErrors(t *testing.T) {
	srv := telegramtest.New()
	defer srv.Close()
	if status, r := post(t, srv, "sendSomethingOdd", map[string]any{}); status != 404 || r.OK || r.ErrorCode != 404 {
		t.Errorf("unknown method: %d %+v", status, r)
	}
	srv.FailNext("sendMessage", 1, 429, 7)
	if status, r := post(t, srv, "sendMessage", map[string]any{"chat_id": 1, "text": "x"}); status != 429 || r.Parameters.RetryAfter != 7 {
		t.Errorf("429: %d %+v", status, r)
	}
	srv.FailNext("sendMessage", 1, 502, 0)
	if status, _ := post(t, srv, "sendMessage", map[string]any{"chat_id": 1, "text": "x"}); status != 502 {
		t.Errorf("5xx: %d", status)
	}
	if status, r := post(t, srv, "sendMessage", map[string]any{"chat_id": 1, "text": "<b>open", "parse_mode": "HTML"}); status != 400 {
		t.Errorf("broken HTML accepted: %d %+v", status, r)
	}
	if status, _ := post(t, srv, "sendMessage", map[string]any{"chat_id": 1, "text": "ok"}); status != 200 {
		t.Errorf("after the failures: %d", status)
	}
	resp, err := http.Post(srv.URL+"/botWRONG/getMe", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
}

// The real client's multipart requests are parsed and recorded, keyboards
// included.
func TestRecordsMultipart(t *testing.T) {
	srv := telegramtest.New()
	defer srv.Close()
	b, err := tg.New(srv.Token, tg.WithServerURL(srv.URL), tg.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := b.SendMessage(ctx, &tg.SendMessageParams{ChatID: 5, Text: "a &amp; b", ParseMode: models.ParseModeHTML,
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Ja", CallbackData: "yes"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Sent(5)
	if len(got) != 1 || got[0].MessageID != m.ID || got[0].Text != "a &amp; b" || got[0].ParseMode != "HTML" ||
		fmt.Sprint(got[0].Data()) != "[yes]" || got[0].Buttons[0][0].Text != "Ja" {
		t.Errorf("recorded %+v", got)
	}
	if _, err := b.SetWebhook(ctx, &tg.SetWebhookParams{URL: "https://x.nl/h", SecretToken: "abc"}); err != nil {
		t.Fatal(err)
	}
	if wh := srv.Webhook(); wh.URL != "https://x.nl/h" || wh.SecretToken != "abc" {
		t.Errorf("webhook %+v", wh)
	}
	// While a webhook is set, getUpdates conflicts, as on Telegram.
	if status, _ := post(t, srv, "getUpdates", map[string]any{}); status != 409 {
		t.Errorf("getUpdates with webhook: %d, want 409", status)
	}
}

// A lean server serves the protocol as usual but keeps nothing it does not
// need: no record of calls or messages (only their count), and no confirmed
// update.
func TestLeanKeepsNoRecords(t *testing.T) {
	srv := telegramtest.New(telegramtest.Lean())
	defer srv.Close()
	a := srv.SendText(1, 1, "a", "nl")
	b := srv.SendText(1, 1, "b", "nl")
	if status, r := post(t, srv, "sendMessage", map[string]any{"chat_id": 1, "text": "hallo"}); status != http.StatusOK || !r.OK {
		t.Fatalf("sendMessage on a lean server: %d %+v", status, r)
	}
	if got := srv.MessageCount(); got != 1 {
		t.Errorf("MessageCount = %d, want 1", got)
	}
	if m, c := srv.Messages(0), srv.Calls(""); len(m) != 0 || len(c) != 0 {
		t.Errorf("lean server recorded %d messages and %d calls", len(m), len(c))
	}
	_, r := post(t, srv, "getUpdates", map[string]any{"offset": b, "timeout": 0})
	if us := updates(t, r.Result); len(us) != 1 || us[0].ID != b {
		t.Fatalf("getUpdates offset %d: %+v", b, us)
	}
	if err := srv.Redeliver(a); err == nil {
		t.Errorf("a lean server redelivered confirmed update %d", a)
	}
	if err := srv.Redeliver(b); err != nil {
		t.Errorf("unconfirmed update %d: %v", b, err)
	}
}
