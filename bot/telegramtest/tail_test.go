package telegramtest_test

import (
	"testing"

	"github.com/wotschiedam/wotbot/bot/telegramtest"
)

func TestMessagesFrom(t *testing.T) {
	srv := telegramtest.New()
	defer srv.Close()
	if got, next := srv.MessagesFrom(0); len(got) != 0 || next != 0 {
		t.Fatalf("empty server: %d messages, next %d", len(got), next)
	}
	post(t, srv, "sendMessage", map[string]any{"chat_id": 1, "text": "een"})
	post(t, srv, "sendMessage", map[string]any{"chat_id": 2, "text": "twee"})
	got, next := srv.MessagesFrom(0)
	if len(got) != 2 || next != 2 || got[0].Text != "een" || got[1].ChatID != 2 {
		t.Fatalf("from 0: %+v, next %d", got, next)
	}
	post(t, srv, "editMessageText", map[string]any{"chat_id": 1, "message_id": 1, "text": "drie"})
	got, next = srv.MessagesFrom(next)
	if len(got) != 1 || next != 3 || got[0].Method != "editMessageText" || got[0].Text != "drie" {
		t.Fatalf("from 2: %+v, next %d", got, next)
	}
	if got, next = srv.MessagesFrom(next); len(got) != 0 || next != 3 || srv.MessageCount() != 3 {
		t.Fatalf("nothing new: %+v, next %d, count %d", got, next, srv.MessageCount())
	}
}
