package telegram

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"time"
	"unicode/utf8"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot/telegram/botapi"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// What the channel sends: replies with their buttons, the answer to a tap,
// the command menu. Every call goes through c.api, which retries.

// maxCallbackData is Telegram's limit on a button's callback data.
const maxCallbackData = 64

// shortLabel is the longest label (in characters) that still fits two
// buttons on one row on a phone.
const shortLabel = 16

// send sends one reply. Its error is counted and logged here; it is
// returned for those who tell a 403 (the resident blocked the bot) from
// the rest.
func (c *Channel) send(ctx context.Context, chatID int64, r dialog.Reply) error {
	params := &tg.SendMessageParams{
		ChatID: chatID,
		// Escape everything: the text may hold what a resident typed (a name
		// with "<b>" in it) and must not be read as markup.
		Text:      html.EscapeString(r.Text),
		ParseMode: models.ParseModeHTML,
	}
	if kb := c.keyboard(r.Options); kb != nil {
		params.ReplyMarkup = kb
	}
	if err := c.api.Call(ctx, "sendMessage", params, nil); err != nil {
		c.m.errors.WithLabelValues("send").Inc()
		c.log.Warn("send reply", "chat", chatRef{c, chatID}, "err", err)
		return err
	}
	return nil
}

// keyboard lays options out as an inline keyboard: two to a row when every
// label is short, otherwise one per row. Options whose data Telegram would
// refuse are left out (and logged) rather than losing the whole message.
func (c *Channel) keyboard(opts []dialog.Option) *models.InlineKeyboardMarkup {
	var buttons []models.InlineKeyboardButton
	short := true
	for _, o := range opts {
		if o.Data == "" || len(o.Data) > maxCallbackData || o.Label == "" {
			c.m.errors.WithLabelValues("option").Inc()
			c.log.Error("option skipped: callback data must be 1-64 bytes", "bytes", len(o.Data))
			continue
		}
		if utf8.RuneCountInString(o.Label) > shortLabel {
			short = false
		}
		buttons = append(buttons, models.InlineKeyboardButton{Text: o.Label, CallbackData: o.Data})
	}
	if len(buttons) == 0 {
		return nil
	}
	perRow := 1
	if short {
		perRow = 2
	}
	kb := &models.InlineKeyboardMarkup{}
	for i := 0; i < len(buttons); i += perRow {
		kb.InlineKeyboard = append(kb.InlineKeyboard, buttons[i:min(i+perRow, len(buttons))])
	}
	return kb
}

// answer stops the button's loading spinner. Telegram requires an answer
// to every callback query.
func (c *Channel) answer(ctx context.Context, id string) {
	if err := c.api.Call(ctx, "answerCallbackQuery", &tg.AnswerCallbackQueryParams{CallbackQueryID: id}, nil); err != nil {
		c.m.errors.WithLabelValues("answer").Inc()
		c.log.Warn("answer callback", "err", err)
	}
}

// removeKeyboard takes the buttons off a message whose button was used, so
// old buttons are not tapped again by mistake.
func (c *Channel) removeKeyboard(ctx context.Context, chatID int64, msgID int) {
	err := c.api.Call(ctx, "editMessageReplyMarkup", &tg.EditMessageReplyMarkupParams{ChatID: chatID, MessageID: msgID}, nil)
	if err != nil && !errors.Is(err, botapi.ErrNotModified) {
		c.m.errors.WithLabelValues("edit").Inc()
		c.log.Warn("remove keyboard", "chat", chatRef{c, chatID}, "err", err)
	}
}

// commands are the bot's commands; descriptions come from the catalog.
var commands = []string{"start", "help", "aanmelden", "stop", "taal", "privacy", "vergeet"}

// setCommands registers the command menu: Dutch by default, and a list per
// language for users whose Telegram is set to one of the bot's languages.
func (c *Channel) setCommands(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for _, lang := range append([]string{""}, locales.Languages...) {
		textLang := lang
		if textLang == "" {
			textLang = "nl"
		}
		var list []models.BotCommand
		for _, cmd := range commands {
			list = append(list, models.BotCommand{Command: cmd, Description: c.cat.T(textLang, "telegram.cmd."+cmd, nil)})
		}
		err := c.api.Call(ctx, "setMyCommands", &tg.SetMyCommandsParams{
			Commands: list, Scope: &models.BotCommandScopeDefault{}, LanguageCode: lang,
		}, nil)
		if err != nil {
			c.m.errors.WithLabelValues("commands").Inc()
			c.log.Warn("set commands", "lang", lang, "err", err)
		}
	}
}

// Notify sends text to a chat that did not just write (a registrant whose
// neighbour answered). It implements bot.Notifier.
func (c *Channel) Notify(ctx context.Context, chatID, text string) error {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		// Not the id or the parse error, which quotes it: errors reach logs.
		return errors.New("notify: the chat id is not a number")
	}
	if err := c.send(ctx, id, dialog.Reply{Text: text}); err != nil {
		return fmt.Errorf("notify chat %s: %w", c.chatHash(id), err)
	}
	return nil
}

// Username asks Telegram for the bot's username, for personal links.
func (c *Channel) Username(ctx context.Context) (string, error) {
	var me models.User
	if err := c.api.Call(ctx, "getMe", nil, &me); err != nil {
		return "", err
	}
	return me.Username, nil
}
