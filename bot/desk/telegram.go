package desk

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"github.com/wotschiedam/wotbot/bot/telegram"
)

// TelegramSender posts to the staff chat and reaches Telegram residents
// through the Bot API. It implements Sender and bot.Notifier. What it sends
// to a group is paced within Telegram's limit for one group (SetGroupRate;
// shared with other processes through SetGroupPacer, which the desk sets),
// and a 429 from a group holds every call to that group for retry_after.
type TelegramSender struct {
	api   *tg.Bot
	token string

	mu        sync.Mutex
	perMinute int
	groups    map[int64]*groupPace
	shared    GroupPacer // when set, the pace of groups, shared with other processes
}

// SetGroupPacer makes the sender pace groups with p (the desk's, shared in
// Redis among replicas) instead of on its own.
func (s *TelegramSender) SetGroupPacer(p GroupPacer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shared = p
}

// DefaultGroupPerMinute is how many messages a minute the sender allows
// itself in one group: Telegram's limit is about 20.
const DefaultGroupPerMinute = 20

// SetGroupRate sets how many messages a minute go to one group at most
// (perMinute <= 0: DefaultGroupPerMinute). No 60-second window holds more.
func (s *TelegramSender) SetGroupRate(perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perMinute = perMinute
	s.groups = nil
}

// groupPace is the pace of one group chat.
type groupPace struct {
	lim *rate.Limiter
	mu  sync.Mutex
	// until: Telegram said to wait (429 retry_after).
	until time.Time
}

// paceOf is the pace of chatID, nil for a private chat (positive ids).
func (s *TelegramSender) paceOf(chatID int64) *groupPace {
	if chatID >= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.groups[chatID]; p != nil {
		return p
	}
	burst, perSec := groupBudget(s.perMinute)
	p := &groupPace{lim: rate.NewLimiter(rate.Limit(perSec), burst)}
	if s.groups == nil {
		s.groups = map[int64]*groupPace{}
	}
	s.groups[chatID] = p
	return p
}

// groupBudget is the token bucket for perMinute messages a minute: a
// bucket lets its burst through on top of its rate, so burst + rate × 60 s
// stays at perMinute, and no minute holds more.
func groupBudget(perMinute int) (burst int, perSec float64) {
	if perMinute <= 0 {
		perMinute = DefaultGroupPerMinute
	}
	// A tenth of a minute's worth at once, at most 10, or what a tenth of a
	// second allows at a pace far above Telegram's (a test server).
	burst = min(max(perMinute/10, 1), max(10, perMinute/600))
	return burst, float64(max(perMinute-burst, 1)) / 60
}

// wait blocks until a message may go to the group. It fails at once when
// ctx's deadline comes before that.
func (p *groupPace) wait(ctx context.Context) error {
	p.mu.Lock()
	hold := time.Until(p.until)
	p.mu.Unlock()
	if hold > 0 {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < hold {
			return fmt.Errorf("staff chat rate-limited by Telegram for %v", hold.Round(time.Second))
		}
		if !sleep(ctx, hold) {
			return ctx.Err()
		}
	}
	if err := p.lim.Wait(ctx); err != nil {
		return fmt.Errorf("staff chat pace: %w", err)
	}
	return nil
}

// hold makes every call to the group wait d (Telegram's retry_after).
func (p *groupPace) hold(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := time.Now().Add(d); t.After(p.until) {
		p.until = t
	}
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
	err := s.retry(ctx, chatID, func() error {
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
	err := s.retry(ctx, chatID, func() error {
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

// AnswerCallback answers a button tap; text, when not empty, shows as a
// toast to the one who tapped only.
func (s *TelegramSender) AnswerCallback(ctx context.Context, queryID, text string) error {
	_, err := s.api.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: text})
	if err != nil {
		return errors.New(strings.ReplaceAll(err.Error(), s.token, "***"))
	}
	return nil
}

// retry honours 429 retry_after (up to three tries); other errors are
// returned, and the desk retries the post later. A wait that would go past
// ctx's deadline is not started: the error is returned at once. Calls to a
// group wait for its pace first. The token never shows in the error.
func (s *TelegramSender) retry(ctx context.Context, chatID int64, fn func() error) error {
	s.mu.Lock()
	shared := s.shared
	s.mu.Unlock()
	var pace *groupPace
	if shared == nil || chatID >= 0 {
		shared, pace = nil, s.paceOf(chatID)
	}
	for attempt := 1; ; attempt++ {
		switch {
		case shared != nil:
			if err := shared.Wait(ctx, chatID); err != nil {
				return err
			}
		case pace != nil:
			if err := pace.wait(ctx); err != nil {
				return err
			}
		}
		err := fn()
		var tooMany *tg.TooManyRequestsError
		if err == nil {
			return nil
		}
		if !errors.As(err, &tooMany) || attempt == 3 {
			return errors.New(strings.ReplaceAll(err.Error(), s.token, "***"))
		}
		wait := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
		if shared != nil {
			// The next wait sleeps it, with every other call to the group;
			// should Redis not take the hold, this call sleeps it alone.
			if shared.Hold(ctx, chatID, wait) != nil && !sleep(ctx, wait) {
				return ctx.Err()
			}
			continue
		}
		if pace != nil {
			pace.hold(wait)
			continue
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return errors.New(strings.ReplaceAll(err.Error(), s.token, "***"))
		}
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}
