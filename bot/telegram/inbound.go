package telegram

import (
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// ChannelName is the Inbound.Channel of every Telegram message.
const ChannelName = "telegram"

// route is what an update means to the channel.
type route int

const (
	routeIgnore  route = iota // nothing for a resident (edits, member changes, ...)
	routeGroup                // a message in a group, supergroup or channel
	routePrivate              // a resident in a private chat
)

// classify tells where an update goes and, for routeGroup and routePrivate,
// which chat it belongs to.
func classify(u *models.Update) (route, int64) {
	switch {
	case u.Message != nil:
		if u.Message.Chat.Type == models.ChatTypePrivate {
			return routePrivate, u.Message.Chat.ID
		}
		return routeGroup, u.Message.Chat.ID
	case u.CallbackQuery != nil:
		cq := u.CallbackQuery
		chat, ok := callbackChat(cq)
		if !ok {
			return routeIgnore, 0 // inline-mode message: not a conversation
		}
		if chat.Type != "" && chat.Type != models.ChatTypePrivate {
			return routeGroup, chat.ID
		}
		return routePrivate, chat.ID
	case u.ChannelPost != nil:
		return routeGroup, u.ChannelPost.Chat.ID
	}
	return routeIgnore, 0
}

func callbackChat(cq *models.CallbackQuery) (models.Chat, bool) {
	switch {
	case cq.Message.Message != nil:
		return cq.Message.Message.Chat, true
	case cq.Message.InaccessibleMessage != nil:
		return cq.Message.InaccessibleMessage.Chat, true
	}
	return models.Chat{}, false
}

// toInbound maps a private-chat update to what the conversation layer takes.
func toInbound(u *models.Update, chatID int64) bot.Inbound {
	in := bot.Inbound{Channel: ChannelName, ChatID: strconv.FormatInt(chatID, 10), Seq: u.ID}
	if cq := u.CallbackQuery; cq != nil {
		in.Lang = langOf(&cq.From)
		in.Msg = dialog.Message{Kind: dialog.KindOption, Data: cq.Data}
		return in
	}
	m := u.Message
	in.Lang = langOf(m.From)
	in.Msg = messageOf(m)
	if r := m.ReplyToMessage; r != nil {
		in.ReplyTo = r.Text
	}
	return in
}

func langOf(u *models.User) string {
	if u == nil {
		return locales.Default
	}
	return locales.Norm(u.LanguageCode)
}

// messageOf maps what a resident sent to a dialog message. Kinds without a
// dialog kind of their own go to the nearest one: audio and round video
// notes are people talking (voice), videos and animations are pictures
// (photo), a venue is a location.
func messageOf(m *models.Message) dialog.Message {
	switch {
	case m.Text != "":
		return dialog.Message{Kind: dialog.KindText, Text: CommandText(m.Text)}
	case m.Voice != nil, m.Audio != nil, m.VideoNote != nil:
		return dialog.Message{Kind: dialog.KindVoice}
	case len(m.Photo) > 0, m.Video != nil, m.Animation != nil:
		return dialog.Message{Kind: dialog.KindPhoto}
	case m.Sticker != nil:
		return dialog.Message{Kind: dialog.KindSticker}
	case m.Document != nil:
		return dialog.Message{Kind: dialog.KindDocument}
	case m.Location != nil, m.Venue != nil:
		return dialog.Message{Kind: dialog.KindLocation}
	case m.Contact != nil:
		return dialog.Message{Kind: dialog.KindContact, Data: m.Contact.PhoneNumber}
	}
	return dialog.Message{Kind: dialog.KindOther}
}

// CommandText drops the bot's @username from a command ("/help@wot_bot" is
// "/help"), keeping any payload ("/start aanmelden").
func CommandText(text string) string {
	if !strings.HasPrefix(text, "/") {
		return text
	}
	cmd, rest, hasRest := strings.Cut(text, " ")
	if i := strings.IndexByte(cmd, '@'); i > 0 {
		cmd = cmd[:i]
	}
	if hasRest {
		return cmd + " " + rest
	}
	return cmd
}

// kindLabel is the metrics label of an update.
func kindLabel(r route, u *models.Update) string {
	switch r {
	case routeGroup:
		return "group"
	case routeIgnore:
		return "ignored"
	}
	if u.CallbackQuery != nil {
		return string(dialog.KindOption)
	}
	return string(messageOf(u.Message).Kind)
}
