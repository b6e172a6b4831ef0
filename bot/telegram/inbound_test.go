package telegram

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/locales"
)

// FuzzUpdate feeds whatever JSON a Bot API server (or an attacker with the
// webhook secret) could send through the parsing a resident's update goes
// through: it must never panic, and a private update must become a message
// of the chat it came from, in a language the bot speaks.
func FuzzUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"update_id":1,"message":{"message_id":1,"chat":{"id":42,"type":"private"},"from":{"id":42,"language_code":"en-GB"},"text":"/start@wot_bot aanmelden"}}`,
		`{"update_id":2,"message":{"message_id":2,"chat":{"id":42,"type":"private"},"voice":{"file_id":"x"}}}`,
		`{"update_id":3,"message":{"message_id":3,"chat":{"id":42,"type":"private"},"contact":{"phone_number":"+31612345678"}}}`,
		`{"update_id":4,"callback_query":{"id":"q","from":{"id":42},"data":"topic:geld","message":{"message_id":9,"chat":{"id":42,"type":"private"}}}}`,
		`{"update_id":5,"callback_query":{"id":"q","from":{"id":42},"data":"x","inline_message_id":"i"}}`,
		`{"update_id":6,"message":{"message_id":1,"chat":{"id":-100,"type":"supergroup"},"text":"hallo"}}`,
		`{"update_id":7,"callback_query":{"id":"q","from":{"id":42},"message":{"message_id":9,"date":0,"chat":{"id":42,"type":"private"}}}}`,
		`{"update_id":8,"edited_message":{"message_id":1,"chat":{"id":42,"type":"private"},"text":"x"}}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var u models.Update
		if json.Unmarshal(raw, &u) != nil {
			return
		}
		r, chatID := classify(&u)
		_ = kindLabel(r, &u)
		if r != routePrivate {
			return
		}
		in := toInbound(&u, chatID)
		if in.Channel != ChannelName || in.ChatID != strconv.FormatInt(chatID, 10) || in.Seq != u.ID {
			t.Fatalf("inbound %+v for chat %d, update %d", in, chatID, u.ID)
		}
		if in.Lang != locales.Norm(in.Lang) {
			t.Fatalf("language %q is not one the bot speaks", in.Lang)
		}
		if u.Message != nil && strings.HasPrefix(u.Message.Text, "/") && !strings.HasPrefix(in.Msg.Text, "/") {
			t.Fatalf("command %q became %q", u.Message.Text, in.Msg.Text)
		}
	})
}

// A reply carries the text it answers: the staff desk reads the reference
// of the resident's tagged message from it.
func TestInboundReplyTo(t *testing.T) {
	u := models.Update{ID: 9, Message: &models.Message{ID: 2, Chat: models.Chat{ID: 42, Type: models.ChatTypePrivate},
		From: &models.User{ID: 42}, Text: "Ik bel u morgen",
		ReplyToMessage: &models.Message{ID: 1, Text: "[WOT-7K3M9Q] Inwoner: hallo"}}}
	if in := toInbound(&u, 42); in.ReplyTo != "[WOT-7K3M9Q] Inwoner: hallo" || in.Msg.Text != "Ik bel u morgen" {
		t.Errorf("inbound %+v", in)
	}
	u.Message.ReplyToMessage = nil
	if in := toInbound(&u, 42); in.ReplyTo != "" {
		t.Errorf("no reply, but ReplyTo %q", in.ReplyTo)
	}
}
