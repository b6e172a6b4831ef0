package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// startWebhook tells Telegram to post updates to WebhookURL.
func (c *Channel) startWebhook(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return c.api.Call(actx, "setWebhook", &tg.SetWebhookParams{
		URL:            c.cfg.WebhookURL,
		SecretToken:    c.cfg.WebhookSecret,
		AllowedUpdates: allowedUpdates,
	}, nil)
}

// allowedUpdates are the kinds of update the bot asks for, by webhook or
// by polling.
var allowedUpdates = []string{"message", "callback_query", "channel_post"}

// serveWebhook answers 200 only once the update was handled, so Telegram
// delivers it again if we fail or stop first.
func (c *Channel) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rc := http.NewResponseController(w)
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.cfg.WebhookSecret)) != 1 {
		c.m.errors.WithLabelValues("webhook_auth").Inc()
		// Answer from the headers and hang up: a body from a sender without
		// the secret is not worth a connection while it trickles in.
		w.Header().Set("Connection", "close")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		_ = rc.SetReadDeadline(time.Now())
		return
	}
	var upd models.Update
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&upd); err != nil {
		c.m.errors.WithLabelValues("webhook").Inc()
		c.log.Warn("webhook: bad update", "err", err)
		http.Error(w, "bad update", http.StatusBadRequest)
		return
	}
	// The request is read. Handling may take longer than ReadTimeout (a
	// reply waiting out a 429); the read deadline must not cut it short, and
	// the answer gets WriteTimeout from when it is ready.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	done := make(chan bool, 1)
	if !c.dispatch(&upd, func(handled bool) { done <- handled }) {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	select {
	case handled := <-done:
		_ = rc.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout))
		if !handled {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	case <-r.Context().Done():
		// Telegram gave up waiting; the update is still handled, and a
		// redelivery is dropped by its Seq.
	}
}
