// Package telegramtest is a fake Telegram Bot API server for tests and load
// runs. It speaks enough of the real protocol for a bot built on
// github.com/go-telegram/bot (or on plain HTTP) to run against it unchanged:
// point the client at Server.URL with the token Server.Token.
//
// The server keeps a queue of updates that the bot fetches with getUpdates
// (long polling, with Telegram's offset rule: a call with offset N confirms
// and forgets every update below N), records every message the bot sends
// (chat, text, parse mode, inline keyboard, message id), and can be told to
// fail the next calls of a method with 429 retry_after or a 5xx error.
// Updates can also be delivered to a webhook, with or without the secret
// header, and delivered twice to test that redelivery has no effect.
//
// Served methods: getMe, getUpdates, sendMessage, editMessageText,
// editMessageReplyMarkup, answerCallbackQuery, setMyCommands, deleteWebhook,
// setWebhook, sendChatAction. Any other method gets Telegram's 404 JSON error.
// Request bodies may be multipart/form-data, x-www-form-urlencoded or JSON.
package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
)

// DefaultToken is the token New gives the server.
const DefaultToken = "123456:TEST-fake-token"

// Server is a fake Bot API server. All methods are safe for concurrent use.
type Server struct {
	// URL is the server's base URL, for bot.WithServerURL.
	URL string
	// Token is the only bot token the server accepts.
	Token string
	// BotUser is what getMe returns.
	BotUser models.User

	srv *httptest.Server

	// noRecords: count what the bot sent instead of keeping it (Lean).
	noRecords bool
	onMessage func(Message)

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever something is recorded or queued
	// arrived is closed and replaced only when updates are queued, so that a
	// long poll is not woken by every message the bot sends.
	arrived    chan struct{}
	sentCount  int
	nextUpdate int64
	queue      []wireUpdate // not yet confirmed, ascending update_id
	again      []wireUpdate // redelivered: returned by the next getUpdates whatever its offset
	history    map[int64]models.Update
	offset     int64 // highest offset the bot has confirmed
	nextMsgID  map[int64]int
	messages   []Message // sent or edited by the bot, in order
	calls      []Call
	failures   map[string][]failure
	webhook    Webhook
	commands   map[string][]models.BotCommand // language code -> commands
}

// wireUpdate is an update as getUpdates sends it, encoded once when queued:
// a bot that holds back many updates is sent them again and again.
type wireUpdate struct {
	id  int64
	raw json.RawMessage
}

func encodeUpdate(upd models.Update) wireUpdate {
	raw, err := json.Marshal(upd)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: encode update %d: %v", upd.ID, err)) // a models.Update always encodes
	}
	return wireUpdate{id: upd.ID, raw: raw}
}

// Message is a message the bot sent (sendMessage) or changed
// (editMessageText, editMessageReplyMarkup).
type Message struct {
	Method    string // "sendMessage", "editMessageText" or "editMessageReplyMarkup"
	ChatID    int64
	MessageID int
	Text      string
	ParseMode string
	// Buttons is the inline keyboard, row by row; nil when there is none
	// (for editMessageReplyMarkup: the keyboard was removed).
	Buttons [][]Button
	At      time.Time
}

// Button is one inline keyboard button.
type Button struct {
	Text         string
	CallbackData string
}

// Data lists the callback data of all buttons, row after row.
func (m Message) Data() []string {
	var out []string
	for _, row := range m.Buttons {
		for _, b := range row {
			out = append(out, b.CallbackData)
		}
	}
	return out
}

// Call is one request the bot made.
type Call struct {
	Method string
	Params map[string]string // form fields; JSON values that are not strings keep their JSON text
	At     time.Time
	Status int // HTTP status the server answered
}

// Webhook is what the bot registered with setWebhook.
type Webhook struct {
	URL         string
	SecretToken string
}

type failure struct {
	status     int
	retryAfter int
	chatID     int64 // 0: any chat
}

// Option changes how New sets up the server.
type Option func(*Server)

// Lean makes the server keep no record of the calls and messages of the bot
// (MessageCount still counts them) and forget updates once they are
// confirmed, as Telegram does. It is for benchmarks: the records of a long
// run grow without bound, and in the bot's own process they would be
// garbage collected with it, which Telegram's memory never is. Messages,
// Calls and their Wait functions see nothing on a lean server, and only
// unconfirmed updates can be redelivered.
func Lean() Option { return func(s *Server) { s.noRecords = true } }

// OnMessage calls f with every message the bot sends or changes, as it is
// accepted, in the order the server accepts them: a lean server's way to
// show what arrived. f runs under the server's lock, so it must be quick and
// must not call the server.
func OnMessage(f func(Message)) Option { return func(s *Server) { s.onMessage = f } }

// New starts a fake server. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		Token:     DefaultToken,
		BotUser:   models.User{ID: 123456, IsBot: true, FirstName: "WOT Schiedam", Username: "wotschiedam_test_bot"},
		changed:   make(chan struct{}),
		arrived:   make(chan struct{}),
		history:   map[int64]models.Update{},
		nextMsgID: map[int64]int{},
		failures:  map[string][]failure{},
		commands:  map[string][]models.BotCommand{},
	}
	for _, o := range opts {
		o(s)
	}
	s.nextUpdate = 1000
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down; getUpdates calls in progress return.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// notify wakes everyone waiting for a change. Call with s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// notifyArrived wakes long polls (and everyone else): updates were queued.
// Call with s.mu held.
func (s *Server) notifyArrived() {
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.notify()
}

// ---- injecting updates ----

// Queue assigns the next update_id to upd, queues it for getUpdates and
// returns the update as queued.
func (s *Server) Queue(upd models.Update) models.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdate++
	upd.ID = s.nextUpdate
	s.queue = append(s.queue, encodeUpdate(upd))
	s.history[upd.ID] = upd
	s.notifyArrived()
	return upd
}

// QueueRawMessage queues an update whose "message" is the given JSON as is,
// right or wrong, and returns its update_id: a bot must survive an update it
// cannot read. It cannot be redelivered.
func (s *Server) QueueRawMessage(message string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdate++
	raw := fmt.Sprintf(`{"update_id":%d,"message":%s}`, s.nextUpdate, message)
	s.queue = append(s.queue, wireUpdate{id: s.nextUpdate, raw: json.RawMessage(raw)})
	s.notifyArrived()
	return s.nextUpdate
}

// Redeliver queues an update that was queued before once more, with the same
// update_id, as if Telegram sent it again. It is returned by the next
// getUpdates whatever its offset.
func (s *Server) Redeliver(updateID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	upd, ok := s.history[updateID]
	if !ok {
		return fmt.Errorf("redeliver: no update %d", updateID)
	}
	s.again = append(s.again, encodeUpdate(upd))
	s.notifyArrived()
	return nil
}

// Update returns a queued update by id, for delivery by webhook.
func (s *Server) Update(updateID int64) (models.Update, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.history[updateID]
	return u, ok
}

func privateChat(chatID int64) models.Chat {
	return models.Chat{ID: chatID, Type: models.ChatTypePrivate, FirstName: "Test"}
}

func user(userID int64, lang string) *models.User {
	return &models.User{ID: userID, FirstName: "Test", LanguageCode: lang}
}

// message builds a private message from user chatID (in a private chat the
// chat id is the user id).
func (s *Server) message(chatID int64, lang string) *models.Message {
	return &models.Message{
		ID:   s.newMsgID(chatID),
		From: user(chatID, lang),
		Chat: privateChat(chatID),
		Date: int(time.Now().Unix()),
	}
}

func (s *Server) newMsgID(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsgID[chatID]++
	return s.nextMsgID[chatID]
}

// TextUpdate builds (without queueing) a text message in the private chat
// of userID == chatID; lang is the user's language_code ("" for none).
func (s *Server) TextUpdate(chatID, userID int64, text, lang string) models.Update {
	m := s.message(chatID, lang)
	m.From = user(userID, lang)
	m.Text = text
	if strings.HasPrefix(text, "/") {
		n := len(strings.Fields(text)[0])
		m.Entities = []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: n}}
	}
	return models.Update{Message: m}
}

// SendText queues a text message from userID in private chat chatID.
func (s *Server) SendText(chatID, userID int64, text, lang string) int64 {
	return s.Queue(s.TextUpdate(chatID, userID, text, lang)).ID
}

// SendGroupText queues a text message from userID in group chatID.
func (s *Server) SendGroupText(chatID, userID int64, text string) int64 {
	m := s.message(chatID, "nl")
	m.From = user(userID, "nl")
	m.Chat = models.Chat{ID: chatID, Type: models.ChatTypeGroup, Title: "Test group"}
	m.Text = text
	return s.Queue(models.Update{Message: m}).ID
}

// PressUpdate builds (without queueing) a tap on the button with callback
// data on message msgID in private chat chatID.
func (s *Server) PressUpdate(chatID int64, msgID int, data, lang string) models.Update {
	s.mu.Lock()
	s.nextMsgID[chatID]++ // callback query ids only need to be unique
	id := fmt.Sprintf("cq-%d-%d", chatID, s.nextMsgID[chatID])
	s.mu.Unlock()
	return models.Update{CallbackQuery: &models.CallbackQuery{
		ID:           id,
		From:         *user(chatID, lang),
		ChatInstance: strconv.FormatInt(chatID, 10),
		Data:         data,
		Message: models.MaybeInaccessibleMessage{
			Type: models.MaybeInaccessibleMessageTypeMessage,
			Message: &models.Message{
				ID: msgID, Chat: privateChat(chatID), Date: int(time.Now().Unix()),
				From: &s.BotUser,
			},
		},
	}}
}

// PressButton queues a tap on the button with callback data on message msgID
// in private chat chatID (user language "nl").
func (s *Server) PressButton(chatID int64, msgID int, data string) int64 {
	return s.Queue(s.PressUpdate(chatID, msgID, data, "nl")).ID
}

// SendVoice queues a voice note.
func (s *Server) SendVoice(chatID int64) int64 {
	m := s.message(chatID, "nl")
	m.Voice = &models.Voice{FileID: "voice-file", FileUniqueID: "voice-u", Duration: 3, MimeType: "audio/ogg"}
	return s.Queue(models.Update{Message: m}).ID
}

// SendPhoto queues a photo with an optional caption.
func (s *Server) SendPhoto(chatID int64, caption string) int64 {
	m := s.message(chatID, "nl")
	m.Photo = []models.PhotoSize{{FileID: "photo-file", FileUniqueID: "photo-u", Width: 90, Height: 90}}
	m.Caption = caption
	return s.Queue(models.Update{Message: m}).ID
}

// SendSticker queues a sticker.
func (s *Server) SendSticker(chatID int64) int64 {
	m := s.message(chatID, "nl")
	m.Sticker = &models.Sticker{FileID: "sticker-file", FileUniqueID: "sticker-u", Type: "regular", Width: 512, Height: 512}
	return s.Queue(models.Update{Message: m}).ID
}

// SendDocument queues a document.
func (s *Server) SendDocument(chatID int64) int64 {
	m := s.message(chatID, "nl")
	m.Document = &models.Document{FileID: "doc-file", FileUniqueID: "doc-u", FileName: "brief.pdf"}
	return s.Queue(models.Update{Message: m}).ID
}

// SendLocation queues a shared location.
func (s *Server) SendLocation(chatID int64, lat, lon float64) int64 {
	m := s.message(chatID, "nl")
	m.Location = &models.Location{Latitude: lat, Longitude: lon}
	return s.Queue(models.Update{Message: m}).ID
}

// SendContact queues a shared contact with the given phone number.
func (s *Server) SendContact(chatID int64, phone string) int64 {
	m := s.message(chatID, "nl")
	m.Contact = &models.Contact{PhoneNumber: phone, FirstName: "Test", UserID: chatID}
	return s.Queue(models.Update{Message: m}).ID
}

// ---- failures ----

// FailNext makes the next n calls of method fail: status 429 answers with
// parameters.retry_after = retryAfter seconds; other statuses (5xx) answer
// with that error code.
func (s *Server) FailNext(method string, n, status, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], failure{status: status, retryAfter: retryAfter})
	}
}

// FailNextIn is FailNext for the calls of method to one chat only (a staff
// group that Telegram rate-limits while private chats go on). Status 403
// answers as Telegram does to a user who never started the bot.
func (s *Server) FailNextIn(method string, chatID int64, n, status, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], failure{status: status, retryAfter: retryAfter, chatID: chatID})
	}
}

// takeFailure removes and returns the first failure due for a call of
// method with params. Call with s.mu held.
func (s *Server) takeFailure(method string, params map[string]string) (failure, bool) {
	fs := s.failures[method]
	for i, f := range fs {
		if f.chatID == 0 || strconv.FormatInt(f.chatID, 10) == params["chat_id"] {
			s.failures[method] = append(fs[:i:i], fs[i+1:]...)
			return f, true
		}
	}
	return failure{}, false
}

// ---- inspecting what the bot did ----

// Messages returns the messages the bot sent or edited in chatID, in order.
// Use chatID 0 for all chats.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if chatID == 0 || m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// Sent returns only the messages the bot sent (sendMessage) to chatID.
func (s *Server) Sent(chatID int64) []Message {
	var out []Message
	for _, m := range s.Messages(chatID) {
		if m.Method == "sendMessage" {
			out = append(out, m)
		}
	}
	return out
}

// Calls returns the bot's calls of method ("" for all), in order. A
// successful getUpdates is not recorded (see Offset and Pending instead).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Commands returns the command list set with setMyCommands for a language
// code ("" for the default list).
func (s *Server) Commands(lang string) []models.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[lang]
}

// Webhook returns the webhook the bot registered ("" URL when none).
func (s *Server) Webhook() Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

// Offset returns the highest offset the bot confirmed with getUpdates:
// every update below it is handled as far as Telegram knows.
func (s *Server) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// Wait waits until cond, evaluated under the server's lock after every change,
// holds, or the timeout passes.
func (s *Server) wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// WaitSent waits until the bot sent at least n messages (sendMessage) to
// chatID and returns them, or returns an error after timeout.
func (s *Server) WaitSent(chatID int64, n int, timeout time.Duration) ([]Message, error) {
	count := func() int {
		c := 0
		for _, m := range s.messages {
			if m.ChatID == chatID && m.Method == "sendMessage" {
				c++
			}
		}
		return c
	}
	if !s.wait(timeout, func() bool { return count() >= n }) {
		got := s.Sent(chatID)
		return got, fmt.Errorf("chat %d: %d of %d messages after %v", chatID, len(got), n, timeout)
	}
	return s.Sent(chatID), nil
}

// WaitCalls waits until the bot made at least n calls of method.
func (s *Server) WaitCalls(method string, n int, timeout time.Duration) ([]Call, error) {
	count := func() int {
		c := 0
		for _, call := range s.calls {
			if call.Method == method {
				c++
			}
		}
		return c
	}
	if !s.wait(timeout, func() bool { return count() >= n }) {
		got := s.Calls(method)
		return got, fmt.Errorf("%s: %d of %d calls after %v", method, len(got), n, timeout)
	}
	return s.Calls(method), nil
}

// WaitOffset waits until the bot has confirmed every update below offset.
func (s *Server) WaitOffset(offset int64, timeout time.Duration) error {
	if !s.wait(timeout, func() bool { return s.offset >= offset }) {
		return fmt.Errorf("offset %d, want %d after %v", s.Offset(), offset, timeout)
	}
	return nil
}

// ---- webhook delivery ----

// Deliver posts upd to a webhook URL as Telegram does, with the secret in
// the X-Telegram-Bot-Api-Secret-Token header (no header when secret is ""),
// and returns the HTTP status. Deliver the same update twice to test
// redelivery.
func (s *Server) Deliver(ctx context.Context, webhookURL, secret string, upd models.Update) (int, error) {
	body, err := json.Marshal(upd)
	if err != nil {
		return 0, fmt.Errorf("encode update %d: %w", upd.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("deliver update %d: %w", upd.ID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// ---- the HTTP side ----

type apiError struct {
	status     int
	desc       string
	retryAfter int
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// Path: /bot{token}/{method}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeError(w, apiError{status: http.StatusNotFound, desc: "Not Found"})
		return
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok || token != s.Token {
		writeError(w, apiError{status: http.StatusUnauthorized, desc: "Unauthorized"})
		return
	}
	params, err := parseParams(r)
	if err != nil {
		s.record(method, params, http.StatusBadRequest)
		writeError(w, apiError{status: http.StatusBadRequest, desc: "Bad Request: " + err.Error()})
		return
	}

	s.mu.Lock()
	if f, ok := s.takeFailure(method, params); ok {
		s.recordLocked(method, params, f.status)
		s.mu.Unlock()
		desc := "Internal Server Error"
		switch f.status {
		case http.StatusTooManyRequests:
			desc = fmt.Sprintf("Too Many Requests: retry after %d", f.retryAfter)
		case http.StatusForbidden:
			desc = "Forbidden: bot can't initiate conversation with a user"
		}
		writeError(w, apiError{status: f.status, desc: desc, retryAfter: f.retryAfter})
		return
	}
	s.mu.Unlock()

	var result any
	var aerr *apiError
	switch method {
	case "getMe":
		result = s.BotUser
	case "getUpdates":
		result, aerr = s.getUpdatesCall(r.Context(), params)
	case "sendMessage":
		result, aerr = s.sendMessage(params)
	case "editMessageText", "editMessageReplyMarkup":
		result, aerr = s.editMessage(method, params)
	case "answerCallbackQuery", "sendChatAction":
		if method == "answerCallbackQuery" && params["callback_query_id"] == "" {
			aerr = &apiError{status: 400, desc: "Bad Request: query is too old and response timeout expired or query ID is invalid"}
		}
		result = true
	case "setMyCommands":
		result, aerr = s.setMyCommands(params)
	case "setWebhook":
		s.mu.Lock()
		s.webhook = Webhook{URL: params["url"], SecretToken: params["secret_token"]}
		s.mu.Unlock()
		result = true
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook = Webhook{}
		if params["drop_pending_updates"] == "true" {
			s.queue = nil
		}
		s.mu.Unlock()
		result = true
	default:
		aerr = &apiError{status: http.StatusNotFound, desc: "Not Found: method not found"}
	}
	status := http.StatusOK
	if aerr != nil {
		status = aerr.status
	}
	// getUpdates is not recorded: a poller calls it hundreds of times a
	// second under load, and the record would grow without bound.
	if method != "getUpdates" || aerr != nil {
		s.record(method, params, status)
	}
	if aerr != nil {
		writeError(w, *aerr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func (s *Server) record(method string, params map[string]string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordLocked(method, params, status)
}

func (s *Server) recordLocked(method string, params map[string]string, status int) {
	if !s.noRecords {
		s.calls = append(s.calls, Call{Method: method, Params: params, At: time.Now(), Status: status})
	}
	s.notify()
}

// keepMessage records a message the bot sent or edited. Call with s.mu held.
func (s *Server) keepMessage(m Message) {
	s.sentCount++
	if s.onMessage != nil {
		s.onMessage(m)
	}
	if !s.noRecords {
		s.messages = append(s.messages, m)
	}
}

func (s *Server) getUpdatesCall(ctx context.Context, p map[string]string) (any, *apiError) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	deadline := time.Now().Add(time.Duration(timeout) * time.Second)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook.URL != "" {
		return nil, &apiError{status: http.StatusConflict, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	}
	if offset > s.offset {
		s.offset = offset
		s.notify()
	}
	for {
		// Telegram forgets every update below the offset.
		kept := s.queue[:0]
		for _, u := range s.queue {
			if u.id >= offset {
				kept = append(kept, u)
			} else if s.noRecords {
				delete(s.history, u.id)
			}
		}
		clear(s.queue[len(kept):])
		s.queue = kept
		out := make([]json.RawMessage, 0, min(limit, len(s.again)+len(s.queue)))
		for _, u := range s.again {
			out = append(out, u.raw)
		}
		s.again = nil
		for _, u := range s.queue {
			if len(out) >= limit {
				break
			}
			out = append(out, u.raw)
		}
		if len(out) > 0 || !time.Now().Before(deadline) {
			return out, nil
		}
		ch := s.arrived
		s.mu.Unlock()
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		s.mu.Lock()
		if ctx.Err() != nil {
			return []json.RawMessage{}, nil
		}
	}
}

func (s *Server) sendMessage(p map[string]string) (any, *apiError) {
	chatID, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil || chatID == 0 {
		return nil, &apiError{status: 400, desc: "Bad Request: chat not found"}
	}
	if p["text"] == "" {
		return nil, &apiError{status: 400, desc: "Bad Request: message text is empty"}
	}
	buttons, aerr := parseKeyboard(p["reply_markup"])
	if aerr != nil {
		return nil, aerr
	}
	visible := p["text"]
	if p["parse_mode"] == "HTML" {
		if err := checkHTML(p["text"]); err != nil {
			return nil, &apiError{status: 400, desc: "Bad Request: can't parse entities: " + err.Error()}
		}
		visible = html.UnescapeString(tagRe.ReplaceAllString(visible, ""))
	}
	if utf16Len(visible) > MaxTextLen {
		return nil, &apiError{status: 400, desc: "Bad Request: message is too long"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsgID[chatID]++
	m := Message{
		Method: "sendMessage", ChatID: chatID, MessageID: s.nextMsgID[chatID],
		Text: p["text"], ParseMode: p["parse_mode"], Buttons: buttons, At: time.Now(),
	}
	s.keepMessage(m)
	return models.Message{
		ID: m.MessageID, Chat: privateChat(chatID), Date: int(m.At.Unix()), Text: m.Text,
		From: &s.BotUser, ReplyMarkup: toMarkup(buttons),
	}, nil
}

// MaxTextLen is Telegram's limit on a message's text, in UTF-16 code units
// after entity parsing.
const MaxTextLen = 4096

var tagRe = regexp.MustCompile(`<[^>]*>`)

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func (s *Server) editMessage(method string, p map[string]string) (any, *apiError) {
	chatID, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil || chatID == 0 {
		return nil, &apiError{status: 400, desc: "Bad Request: chat not found"}
	}
	msgID, err := strconv.Atoi(p["message_id"])
	if err != nil || msgID <= 0 {
		return nil, &apiError{status: 400, desc: "Bad Request: message to edit not found"}
	}
	buttons, aerr := parseKeyboard(p["reply_markup"])
	if aerr != nil {
		return nil, aerr
	}
	if method == "editMessageText" {
		visible := p["text"]
		if p["parse_mode"] == "HTML" {
			visible = html.UnescapeString(tagRe.ReplaceAllString(visible, ""))
		}
		if utf16Len(visible) > MaxTextLen {
			return nil, &apiError{status: 400, desc: "Bad Request: MESSAGE_TOO_LONG"}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := Message{
		Method: method, ChatID: chatID, MessageID: msgID, Text: p["text"],
		ParseMode: p["parse_mode"], Buttons: buttons, At: time.Now(),
	}
	s.keepMessage(m)
	return models.Message{ID: msgID, Chat: privateChat(chatID), Date: int(m.At.Unix()), Text: m.Text, From: &s.BotUser}, nil
}

func (s *Server) setMyCommands(p map[string]string) (any, *apiError) {
	var cmds []models.BotCommand
	if err := json.Unmarshal([]byte(p["commands"]), &cmds); err != nil {
		return nil, &apiError{status: 400, desc: "Bad Request: can't parse commands JSON object"}
	}
	for _, c := range cmds {
		if c.Command == "" || len(c.Command) > 32 || strings.ToLower(c.Command) != c.Command ||
			c.Description == "" || len([]rune(c.Description)) > 256 {
			return nil, &apiError{status: 400, desc: "Bad Request: BOT_COMMAND_INVALID"}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[p["language_code"]] = cmds
	return true, nil
}

func parseKeyboard(raw string) ([][]Button, *apiError) {
	if raw == "" {
		return nil, nil
	}
	var mk models.InlineKeyboardMarkup
	if err := json.Unmarshal([]byte(raw), &mk); err != nil {
		return nil, &apiError{status: 400, desc: "Bad Request: can't parse reply keyboard markup JSON object"}
	}
	var rows [][]Button
	for _, row := range mk.InlineKeyboard {
		var r []Button
		for _, b := range row {
			if len(b.CallbackData) > 64 {
				return nil, &apiError{status: 400, desc: "Bad Request: BUTTON_DATA_INVALID"}
			}
			r = append(r, Button{Text: b.Text, CallbackData: b.CallbackData})
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func toMarkup(rows [][]Button) *models.InlineKeyboardMarkup {
	if rows == nil {
		return nil
	}
	mk := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
	for _, row := range rows {
		var r []models.InlineKeyboardButton
		for _, b := range row {
			r = append(r, models.InlineKeyboardButton{Text: b.Text, CallbackData: b.CallbackData})
		}
		mk.InlineKeyboard = append(mk.InlineKeyboard, r)
	}
	return mk
}

// checkHTML rejects text that Telegram's HTML parser would reject: tags
// other than the allowed ones, unbalanced tags, and a bare '<' or '&'.
func checkHTML(text string) error {
	allowed := map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
		"s": true, "strike": true, "del": true, "a": true, "code": true, "pre": true, "tg-spoiler": true,
		"span": true, "blockquote": true, "tg-emoji": true}
	var open []string
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				return fmt.Errorf("unclosed start tag at byte offset %d", i)
			}
			tag := text[i+1 : i+end]
			closing := strings.HasPrefix(tag, "/")
			name, _, _ := strings.Cut(strings.TrimPrefix(tag, "/"), " ")
			if !allowed[name] {
				return fmt.Errorf("unsupported start tag %q at byte offset %d", name, i)
			}
			if closing {
				if len(open) == 0 || open[len(open)-1] != name {
					return fmt.Errorf("unmatched end tag at byte offset %d", i)
				}
				open = open[:len(open)-1]
			} else {
				open = append(open, name)
			}
			i += end
		case '&':
			end := strings.IndexByte(text[i:], ';')
			if end < 0 || end > 10 {
				return fmt.Errorf("unescaped & at byte offset %d", i)
			}
		}
	}
	if len(open) > 0 {
		return fmt.Errorf("can't find end tag corresponding to start tag %q", open[len(open)-1])
	}
	return nil
}

// parseParams reads a Bot API request's parameters, whatever the encoding.
func parseParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	if r.Body == nil {
		return out, nil
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, ctParams["boundary"])
		for {
			part, err := mr.NextPart()
			// The library posts an empty body, not even a closing boundary,
			// for methods without parameters (getMe): that is no parameters.
			if err == io.EOF || err != nil && len(out) == 0 && strings.Contains(err.Error(), "EOF") {
				break
			}
			if err != nil {
				return out, fmt.Errorf("read multipart: %w", err)
			}
			b, err := io.ReadAll(part)
			if err != nil {
				return out, fmt.Errorf("read part %s: %w", part.FormName(), err)
			}
			out[part.FormName()] = string(b)
		}
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return out, fmt.Errorf("read form: %w", err)
		}
		vals, err := url.ParseQuery(string(b))
		if err != nil {
			return out, fmt.Errorf("parse form: %w", err)
		}
		for k, v := range vals {
			out[k] = v[0]
		}
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil && err != io.EOF {
			return out, fmt.Errorf("decode JSON: %w", err)
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				out[k] = str
			} else {
				out[k] = string(v)
			}
		}
	}
	return out, nil
}

func writeError(w http.ResponseWriter, e apiError) {
	body := map[string]any{"ok": false, "error_code": e.status, "description": e.desc}
	if e.retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": e.retryAfter}
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
