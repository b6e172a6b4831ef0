package desk

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"github.com/wotschiedam/wotbot/bot/telegram/botapi"
)

// TelegramSender posts to the staff chat and reaches Telegram residents
// through the Bot API. It implements Sender and bot.Notifier. What it sends
// to a group is paced within Telegram's limit for one group (SetGroupRate;
// shared with other processes through SetGroupPacer, which the desk sets),
// and a 429 from a group holds every call to that group for retry_after.
// Its calls go through the bot's one Bot API client (package botapi), which
// retries a 429 (three tries at most) and nothing else: a post that fails
// otherwise is tried again by the desk later.
type TelegramSender struct {
	api *botapi.Client
	m   *Metrics

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

// Wait blocks until a message may go to the group (botapi.Pace). It fails
// at once when ctx's deadline comes before that.
func (p *groupPace) Wait(ctx context.Context) error {
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

// Hold makes every call to the group wait d (Telegram's retry_after).
func (p *groupPace) Hold(_ context.Context, d time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := time.Now().Add(d); t.After(p.until) {
		p.until = t
	}
	return true
}

// CountErrors counts the sender's failed Bot API calls on m, by kind.
// Call it before the sender is used.
func (s *TelegramSender) CountErrors(m *Metrics) { s.m = m }

// NewTelegramSender builds a sender; apiURL "" is https://api.telegram.org.
// It makes no network calls.
func NewTelegramSender(token, apiURL string) (*TelegramSender, error) {
	s := &TelegramSender{}
	api, err := botapi.New(botapi.Config{Token: token, URL: apiURL, Attempts: senderAttempts, Failed: s.failed})
	if err != nil {
		return nil, fmt.Errorf("telegram client: %w", err)
	}
	s.api = api
	return s, nil
}

// senderAttempts is how many tries a call of the desk gets (only a 429 is
// tried again).
const senderAttempts = 3

// failed counts a failed try by kind; an edit that changed nothing did not
// fail.
func (s *TelegramSender) failed(err error) {
	if !errors.Is(err, botapi.ErrNotModified) {
		s.m.apiError(err)
	}
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
	var m models.Message
	if err := s.call(ctx, chatID, "sendMessage", p, &m); err != nil {
		return 0, err
	}
	return m.ID, nil
}

// EditMessage implements Sender; the message loses its buttons.
func (s *TelegramSender) EditMessage(ctx context.Context, chatID int64, msgID int, text string) error {
	err := s.call(ctx, chatID, "editMessageText", &tg.EditMessageTextParams{ChatID: chatID, MessageID: msgID, Text: text, ParseMode: models.ParseModeHTML}, nil)
	if errors.Is(err, botapi.ErrNotModified) {
		return nil
	}
	return err
}

// EditMessageButtons replaces a message's text and its buttons.
func (s *TelegramSender) EditMessageButtons(ctx context.Context, chatID int64, msgID int, text string, buttons []Button) error {
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
	for _, b := range buttons {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{{Text: b.Text, CallbackData: b.Data}})
	}
	err := s.call(ctx, chatID, "editMessageText", &tg.EditMessageTextParams{ChatID: chatID, MessageID: msgID, Text: text,
		ParseMode: models.ParseModeHTML, ReplyMarkup: kb}, nil)
	if errors.Is(err, botapi.ErrNotModified) {
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
	// Not paced: the tap is answered by its own method, not in the group.
	return s.call(ctx, 0, "answerCallbackQuery", &tg.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: text}, nil)
}

// call makes one Bot API call; calls to a group wait for its pace first,
// and a 429 there holds every call to the group for retry_after. A wait
// that would go past ctx's deadline is not started: the error is returned
// at once.
func (s *TelegramSender) call(ctx context.Context, chatID int64, method string, params, result any) error {
	s.mu.Lock()
	shared := s.shared
	s.mu.Unlock()
	switch {
	case chatID >= 0:
		return s.api.Call(ctx, method, params, result)
	case shared != nil:
		return s.api.CallPaced(ctx, sharedPace{shared, chatID}, method, params, result)
	}
	return s.api.CallPaced(ctx, s.paceOf(chatID), method, params, result)
}

// sharedPace is a group's pace shared with other processes, as a
// botapi.Pace.
type sharedPace struct {
	p      GroupPacer
	chatID int64
}

func (p sharedPace) Wait(ctx context.Context) error { return p.p.Wait(ctx, p.chatID) }

// Hold holds the group for every process; should Redis not take the hold,
// the call waits alone.
func (p sharedPace) Hold(ctx context.Context, d time.Duration) bool {
	return p.p.Hold(ctx, p.chatID, d) == nil
}
