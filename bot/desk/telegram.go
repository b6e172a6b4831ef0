package desk

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/wotschiedam/wotbot/bot/telegram"
)

// TelegramSender posts to the staff chat and reaches Telegram residents
// through the Bot API. It implements Sender and bot.Notifier.
type TelegramSender struct {
	api   *tg.Bot
	token string
}

// NewTelegramSender builds a sender; apiURL "" is https://api.telegram.org.
// It makes no network calls.
func NewTelegramSender(token, apiURL string) (*TelegramSender, error) {
	if apiURL == "" {
		apiURL = "https://api.telegram.org"
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	api, err := tg.New(token, tg.WithServerURL(apiURL), tg.WithSkipGetMe(),
		tg.WithHTTPClient(time.Second, telegram.WholeBodies{Client: &http.Client{Transport: tr, Timeout: 15 * time.Second}}),
		tg.WithErrorsHandler(func(error) {}))
	if err != nil {
		return nil, fmt.Errorf("telegram client: %w", err)
	}
	return &TelegramSender{api: api, token: token}, nil
}

// SendMessage implements Sender.
func (s *TelegramSender) SendMessage(ctx context.Context, chatID int64, text string, buttons []Button, replyTo int) (int, error) {
	p := &tg.SendMessageParams{ChatID: chatID, Text: text, ParseMode: models.ParseModeHTML}
	if len(buttons) > 0 {
		kb := &models.InlineKeyboardMarkup{}
		for _, b := range buttons {
			kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{{Text: b.Text, CallbackData: b.Data}})
		}
		p.ReplyMarkup = kb
	}
	if replyTo > 0 {
		p.ReplyParameters = &models.ReplyParameters{MessageID: replyTo, AllowSendingWithoutReply: true}
	}
	var id int
	err := s.retry(ctx, func() error {
		m, err := s.api.SendMessage(ctx, p)
		if err == nil {
			id = m.ID
		}
		return err
	})
	return id, err
}

// EditMessage implements Sender; the message loses its buttons.
func (s *TelegramSender) EditMessage(ctx context.Context, chatID int64, msgID int, text string) error {
	err := s.retry(ctx, func() error {
		_, err := s.api.EditMessageText(ctx, &tg.EditMessageTextParams{ChatID: chatID, MessageID: msgID, Text: text, ParseMode: models.ParseModeHTML})
		return err
	})
	if err != nil && strings.Contains(err.Error(), "not modified") {
		return nil
	}
	return err
}

// Notify sends plain text to a resident (bot.Notifier).
func (s *TelegramSender) Notify(ctx context.Context, chatID, text string) error {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		// Not the id or the parse error, which quotes it: errors reach logs.
		return errors.New("notify: the chat id is not a number")
	}
	_, err = s.SendMessage(ctx, id, html.EscapeString(text), nil, 0)
	return err
}

// retry honours 429 retry_after (up to three tries); other errors are
// returned, and the desk retries the post later. The token never shows in
// the error.
func (s *TelegramSender) retry(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		var tooMany *tg.TooManyRequestsError
		if err == nil {
			return nil
		}
		if !errors.As(err, &tooMany) || attempt == 3 {
			return errors.New(strings.ReplaceAll(err.Error(), s.token, "***"))
		}
		if !sleep(ctx, time.Duration(max(tooMany.RetryAfter, 1))*time.Second) {
			return ctx.Err()
		}
	}
}
