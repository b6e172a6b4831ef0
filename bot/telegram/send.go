package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/locales"
	"unicode/utf8"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/dialog"
)

// maxCallbackData is Telegram's limit on a button's callback data.
const maxCallbackData = 64

// shortLabel is the longest label (in characters) that still fits two
// buttons on one row on a phone.
const shortLabel = 16

// send sends one reply; false means it could not be sent.
func (c *Channel) send(ctx context.Context, chatID int64, r dialog.Reply) bool {
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
	err := c.call(ctx, "sendMessage", func(ctx context.Context) error {
		_, err := c.api.SendMessage(ctx, params)
		return err
	})
	if err != nil {
		c.m.errors.WithLabelValues("send").Inc()
		c.log.Warn("send reply", "chat", chatRef{c, chatID}, "err", redact(err, c.cfg.Token))
		return false
	}
	return true
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
	err := c.call(ctx, "answerCallbackQuery", func(ctx context.Context) error {
		_, err := c.api.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: id})
		return err
	})
	if err != nil {
		c.m.errors.WithLabelValues("answer").Inc()
		c.log.Warn("answer callback", "err", redact(err, c.cfg.Token))
	}
}

// removeKeyboard takes the buttons off a message whose button was used, so
// old buttons are not tapped again by mistake.
func (c *Channel) removeKeyboard(ctx context.Context, chatID int64, msgID int) {
	err := c.call(ctx, "editMessageReplyMarkup", func(ctx context.Context) error {
		_, err := c.api.EditMessageReplyMarkup(ctx, &tg.EditMessageReplyMarkupParams{ChatID: chatID, MessageID: msgID})
		return err
	})
	if err != nil && !strings.Contains(err.Error(), "not modified") {
		c.m.errors.WithLabelValues("edit").Inc()
		c.log.Warn("remove keyboard", "chat", chatRef{c, chatID}, "err", redact(err, c.cfg.Token))
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
		err := c.call(ctx, "setMyCommands", func(ctx context.Context) error {
			_, err := c.api.SetMyCommands(ctx, &tg.SetMyCommandsParams{
				Commands: list, Scope: &models.BotCommandScopeDefault{}, LanguageCode: lang,
			})
			return err
		})
		if err != nil {
			c.m.errors.WithLabelValues("commands").Inc()
			c.log.Warn("set commands", "lang", lang, "err", redact(err, c.cfg.Token))
		}
	}
}

// call runs one Bot API call with retries: after a 429 it waits retry_after
// seconds, after a 5xx or network error it backs off exponentially; client
// errors (400, 403, ...) are final. At most SendAttempts tries, and never
// past SendBudget.
func (c *Channel) call(ctx context.Context, method string, fn func(context.Context) error) error {
	start := time.Now()
	defer func() { c.m.sendLatency.WithLabelValues(method).Observe(time.Since(start).Seconds()) }()
	deadline := start.Add(c.cfg.SendBudget)
	backoff := c.cfg.RetryBase
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithDeadline(ctx, deadline)
		err := fn(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", method, ctx.Err())
		}
		var wait time.Duration
		var tooMany *tg.TooManyRequestsError
		var migrate *tg.MigrateError
		reason := "5xx"
		switch {
		case errors.As(err, &tooMany):
			wait = time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			reason = "429"
		case errors.As(err, &migrate), permanent(err):
			return fmt.Errorf("%s: %w", method, err)
		default:
			wait = backoff
			backoff *= 2
		}
		if attempt >= c.cfg.SendAttempts || time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%s: gave up after %d tries in %v: %w", method, attempt, time.Since(start).Round(time.Millisecond), err)
		}
		c.m.retries.WithLabelValues(reason).Inc()
		if !sleep(ctx, wait) {
			return fmt.Errorf("%s: %w", method, ctx.Err())
		}
	}
}

// permanent reports errors that a retry cannot fix.
func permanent(err error) bool {
	for _, e := range []error{tg.ErrorBadRequest, tg.ErrorForbidden, tg.ErrorUnauthorized, tg.ErrorNotFound, tg.ErrorConflict} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// redact keeps the bot token out of logs (the library puts request URLs in
// its errors).
func redact(err error, token string) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), token, "***")
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Notify sends text to a chat that did not just write (a registrant whose
// neighbour answered). It implements bot.Notifier.
func (c *Channel) Notify(ctx context.Context, chatID, text string) error {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		// Not the id or the parse error, which quotes it: errors reach logs.
		return errors.New("notify: the chat id is not a number")
	}
	if !c.send(ctx, id, dialog.Reply{Text: text}) {
		return fmt.Errorf("notify chat %s: not sent", c.chatHash(id))
	}
	return nil
}

// Username asks Telegram for the bot's username, for personal links.
func (c *Channel) Username(ctx context.Context) (string, error) {
	var me *models.User
	err := c.call(ctx, "getMe", func(ctx context.Context) error {
		var err error
		me, err = c.api.GetMe(ctx)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("getMe: %s", redact(err, c.cfg.Token))
	}
	return me.Username, nil
}
