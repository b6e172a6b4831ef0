// Package telegram is the Telegram channel: it takes updates from the Bot API
// (long polling or a webhook), hands residents' messages to the conversation
// layer one chat at a time, and sends the replies back, with buttons as
// inline keyboards. It holds no conversation logic of its own.
//
// Guarantees:
//   - Updates of one chat are handled in the order they arrive; different
//     chats run in parallel (Config.Workers chats at a time).
//   - No update is lost on a clean stop: in long polling the offset
//     confirmed to Telegram never passes an update that was not handled
//     (see Config.StallAfter for the one exception), and in webhook mode the
//     webhook answers 200 only after the update was handled. An update may
//     come twice (after a restart); Inbound.Seq = update_id lets the
//     conversation layer ignore the repeat.
//   - A chat that sends more than Config.RateLimit messages within
//     Config.RateWindow gets one slow-down note; its further messages are
//     dropped (not queued) before any Bot API call, because a resident who
//     is flooding is better helped by a pause than by a backlog of answers.
//     With WithRateLimiter the count is shared by all replicas (in Redis: a
//     burst of RateLimit, then RateLimit per RateWindow); without it, each
//     process drops until the chat sends fewer.
//   - Bot API calls honour 429 retry_after and back off on 5xx and network
//     errors, at most Config.SendAttempts tries within Config.SendBudget.
//     A chat waits in its own runner, so other chats are not held up.
//   - Logs carry a keyed hash of the chat id, the update id, the kind and
//     latencies: never names, phone numbers or message text.
package telegram

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strconv"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// Handler runs one resident's message through the conversation.
// *bot.Conversations satisfies it.
type Handler interface {
	Handle(ctx context.Context, in bot.Inbound) ([]dialog.Reply, error)
}

// GroupFunc is called for every update from a group, supergroup or channel.
// Residents talk to the bot in private chats only; the default ignores such
// updates without a reply (and answers a button tap). The staff desk plugs
// in here. Group updates run on their own queue, one group's in order, never
// in the residents' poll loop or chat runners, so a slow group (Telegram's
// 429s on it) cannot hold up a resident. A GroupFunc answers the callback
// queries it gets itself (answerCallbackQuery), with a toast if it likes.
type GroupFunc func(ctx context.Context, upd *models.Update)

// Option changes a Channel.
type Option func(*Channel)

// WithRegistry registers the channel's metrics on reg and serves reg's
// metrics (including other layers' collectors registered there) on
// /metrics. Without it, metrics go to a private registry.
func WithRegistry(reg *prometheus.Registry) Option { return func(c *Channel) { c.reg = reg } }

// WithHealth sets the check behind /healthz (for example a Redis ping).
func WithHealth(check func(context.Context) error) Option {
	return func(c *Channel) { c.health = check }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *Channel) { c.log = l } }

// WithGroupHandler replaces the default of ignoring group updates.
func WithGroupHandler(f GroupFunc) Option { return func(c *Channel) { c.group = f } }

// WithHandle serves h at pattern beside the webhook, /healthz and /metrics
// on ListenAddr (the web chat, under "/chat/").
func WithHandle(pattern string, h http.Handler) Option {
	return func(c *Channel) { c.extra = append(c.extra, extraRoute{pattern, h}) }
}

type extraRoute struct {
	pattern string
	h       http.Handler
}

// Channel is a running connection to one Telegram bot.
type Channel struct {
	cfg     Config
	handler Handler
	cat     *locales.Catalog
	api     *tg.Bot
	reg     *prometheus.Registry
	m       *metrics
	health  func(context.Context) error
	log     *slog.Logger
	group   GroupFunc
	hashKey []byte
	extra   []extraRoute
	limiter RateLimiter // nil: each chat is limited in this process

	disp *dispatcher
	// groups runs group updates, apart from the residents' chats.
	groups *dispatcher
	// marks carries "replies delivered" to the handler while Run runs;
	// nil when the handler does not track delivery.
	marks *deliveryMarks
	// work is the context of update handling; it outlives Run's ctx by
	// ShutdownTimeout so that in-flight updates can finish.
	work       context.Context
	cancelWork context.CancelFunc

	pollClient *http.Client
	runOnce    sync.Once

	// inbox, when set (WithInbox), keeps polled updates in Redis until
	// they are handled; acks acknowledges them there.
	inbox *inbox
	acks  *inboxAcks
}

// New builds a channel. It makes no network calls; Run does.
func New(cfg Config, h Handler, cat *locales.Catalog, opts ...Option) (*Channel, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("telegram config: %w", err)
	}
	if h == nil || cat == nil {
		return nil, errors.New("telegram: handler and catalog are required")
	}
	cfg.defaults()
	c := &Channel{cfg: cfg, handler: h, cat: cat}
	for _, o := range opts {
		o(c)
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.reg == nil {
		c.reg = prometheus.NewRegistry()
	}
	if c.group == nil {
		c.group = func(ctx context.Context, upd *models.Update) {
			if cq := upd.CallbackQuery; cq != nil {
				c.answer(ctx, cq.ID)
			}
		}
	}
	m, err := newMetrics(c.reg)
	if err != nil {
		return nil, err
	}
	c.m = m
	if err := c.registerInbox(); err != nil {
		return nil, err
	}
	// The chat-id hash is keyed with the token: stable across restarts (logs
	// can be followed) but not reversible by trying all chat ids.
	mac := hmac.New(sha256.New, []byte("wotbot log key"))
	mac.Write([]byte(cfg.Token))
	c.hashKey = mac.Sum(nil)

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = cfg.Workers + 4
	c.pollClient = &http.Client{Transport: transport, Timeout: cfg.PollTimeout + 15*time.Second}
	api, err := tg.New(cfg.Token,
		tg.WithServerURL(cfg.APIURL),
		tg.WithSkipGetMe(),
		tg.WithNotAsyncHandlers(),
		tg.WithHTTPClient(cfg.PollTimeout, WholeBodies{Client: &http.Client{Transport: transport, Timeout: 15 * time.Second}}),
		tg.WithErrorsHandler(func(err error) { c.log.Warn("telegram client", "err", redact(err, cfg.Token)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram client: %w", err)
	}
	c.api = api
	c.work, c.cancelWork = context.WithCancel(context.Background())
	c.disp = newDispatcher(cfg.Workers, 30*time.Minute, c.process)
	c.groups = newDispatcher(groupWorkers, 30*time.Minute, c.processGroup)
	return c, nil
}

// Run connects to Telegram and handles updates until ctx ends, then stops
// taking updates, lets those in flight finish (at most ShutdownTimeout) and
// returns nil. It serves Handler() on ListenAddr and MetricsHandler() on
// MetricsAddr when they are set.
// A Channel runs once.
func (c *Channel) Run(ctx context.Context) error {
	err := errors.New("telegram: channel already ran")
	c.runOnce.Do(func() { err = c.run(ctx) })
	return err
}

func (c *Channel) run(ctx context.Context) error {
	defer c.cancelWork()
	if dt, ok := c.handler.(deliveryTracker); ok {
		c.marks = startMarks(dt, c.log, c.m.errors.WithLabelValues("mark"))
	}
	if !c.cfg.SkipCommands {
		c.setCommands(ctx)
	}

	var servers []*listener
	srvErr := make(chan error, 2)
	for _, s := range []struct {
		addr string
		h    http.Handler
	}{{c.cfg.ListenAddr, c.Handler()}, {c.cfg.MetricsAddr, c.MetricsHandler()}} {
		if s.addr == "" {
			continue
		}
		l, err := c.listen(s.addr, s.h, srvErr)
		if err != nil {
			for _, l := range servers {
				l.srv.Close()
			}
			return err
		}
		servers = append(servers, l)
	}

	var runErr error
	var tr *tracker
	if c.cfg.WebhookURL != "" {
		runErr = c.startWebhook(ctx)
		if runErr == nil {
			select {
			case <-ctx.Done():
			case runErr = <-srvErr:
			}
		}
	} else if c.inbox != nil {
		runErr = c.pollInbox(ctx, srvErr)
	} else {
		tr = newTracker()
		runErr = c.poll(ctx, tr, srvErr)
	}

	// Stop: new webhook requests get 503, queued updates go back, in-flight
	// ones get until the deadline.
	deadline := time.AfterFunc(c.cfg.ShutdownTimeout, c.cancelWork)
	defer deadline.Stop()
	stopped := make(chan struct{})
	go func() { c.disp.stop(); c.groups.stop(); close(stopped) }()
	if len(servers) > 0 {
		sctx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownTimeout)
		var shut sync.WaitGroup
		for _, l := range servers {
			shut.Go(func() { _ = l.srv.Shutdown(sctx) }) // waits for webhook requests, which wait for their updates
		}
		shut.Wait()
		cancel()
	}
	<-stopped
	// Marks to Redis and the offset to Telegram are independent; each has
	// its own bound, and together they fit in the time a stop may take.
	var after sync.WaitGroup
	if c.marks != nil {
		after.Go(c.marks.close)
	}
	if tr != nil {
		after.Go(func() { c.confirm(tr) })
	}
	if c.acks != nil {
		after.Go(c.acks.close)
	}
	after.Wait()
	c.log.Info("telegram channel stopped")
	return runErr
}

func (c *Channel) startWebhook(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return c.call(actx, "setWebhook", func(ctx context.Context) error {
		_, err := c.api.SetWebhook(ctx, &tg.SetWebhookParams{
			URL:            c.cfg.WebhookURL,
			SecretToken:    c.cfg.WebhookSecret,
			AllowedUpdates: allowedUpdates,
		})
		return err
	})
}

var allowedUpdates = []string{"message", "callback_query", "channel_post"}

// Handler is what ListenAddr serves: /healthz, /metrics (unless MetricsAddr
// is set) and, in webhook mode, the webhook on exactly the path of
// WebhookURL ("/" when it has none), since that is where Telegram posts.
func (c *Channel) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(healthPath, c.serveHealth)
	if c.cfg.MetricsAddr == "" {
		mux.Handle(metricsPath, c.metricsHandler())
	}
	for _, r := range c.extra {
		mux.Handle(r.pattern, r.h)
	}
	if c.cfg.WebhookURL == "" {
		return mux
	}
	hook := c.cfg.webhookPath()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.EscapedPath() == hook {
			c.serveWebhook(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// MetricsHandler is what MetricsAddr serves: /metrics and /healthz.
func (c *Channel) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(healthPath, c.serveHealth)
	mux.Handle(metricsPath, c.metricsHandler())
	return mux
}

func (c *Channel) metricsHandler() http.Handler {
	return promhttp.HandlerFor(c.reg, promhttp.HandlerOpts{Registry: c.reg})
}

// serveHealth answers 200 while the health check (a Redis ping) passes.
func (c *Channel) serveHealth(w http.ResponseWriter, r *http.Request) {
	if c.health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := c.health(ctx); err != nil {
			c.log.Warn("health check failed", "err", err)
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = io.WriteString(w, "ok\n")
}

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

// dispatch routes one update. done is called once it is handled (true) or
// given back (false). It returns false when the channel is stopping; done is
// then not called.
func (c *Channel) dispatch(upd *models.Update, done func(bool)) bool {
	r, chatID := classify(upd)
	switch r {
	case routePrivate:
		return c.disp.enqueue(chatID, job{upd: upd, at: time.Now(), done: done})
	case routeGroup:
		c.m.updates.WithLabelValues(kindLabel(r, upd)).Inc()
		return c.groups.enqueue(chatID, job{upd: upd, at: time.Now(), done: done})
	}
	c.m.updates.WithLabelValues(kindLabel(r, upd)).Inc()
	done(true)
	return true
}

// groupWorkers is how many groups are handled at the same time (the staff
// group is one).
const groupWorkers = 4

// processGroup handles one group update on the group queue.
func (c *Channel) processGroup(_ int64, _ *chat, j job) {
	c.log.Debug("group update", "update", j.upd.ID)
	c.group(c.work, j.upd)
}

// poll fetches updates until ctx ends. The offset it sends is the tracker's
// watermark, so Telegram keeps every update that is not finished; updates it
// returns that we already hold are skipped.
func (c *Channel) poll(ctx context.Context, tr *tracker, srvErr <-chan error) error {
	if err := c.call(ctx, "deleteWebhook", func(ctx context.Context) error {
		_, err := c.api.DeleteWebhook(ctx, &tg.DeleteWebhookParams{})
		return err
	}); err != nil && ctx.Err() == nil {
		// Polling still works without it unless a webhook is set, and then
		// getUpdates says so in the log.
		c.log.Warn("deleteWebhook failed", "err", redact(err, c.cfg.Token))
	}
	var floor int64 // offset forced past a stalled update
	var stalledSince time.Time
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-srvErr:
			return err
		default:
		}
		wm, _ := tr.watermark()
		offset := max(wm, floor)
		asked := time.Now()
		updates, ok, stop := c.pollOnce(ctx, offset, &backoff)
		if stop {
			return nil
		}
		if !ok {
			continue
		}
		fresh := 0
		for _, p := range updates {
			if !tr.take(p.id) {
				continue
			}
			fresh++
			id := p.id
			u := new(models.Update)
			if err := json.Unmarshal(p.raw, u); err != nil {
				// Waiting would not make it readable, and it would hold back
				// every update after it.
				c.m.errors.WithLabelValues("poll").Inc()
				c.log.Error("unreadable update skipped", "update", id, "err", err)
				tr.finish(id, true)
				continue
			}
			if !c.dispatch(u, func(handled bool) { tr.finish(id, handled) }) {
				tr.finish(id, false)
			}
		}
		if fresh > 0 || len(updates) == 0 {
			stalledSince = time.Time{}
			// A server that answers an empty poll at once (no long polling)
			// must not make this loop spin.
			if len(updates) == 0 && time.Since(asked) < emptyPollPause && !sleep(ctx, emptyPollPause) {
				return nil
			}
			continue
		}
		// Telegram only gave back updates we hold: it does not long-poll while
		// those are unconfirmed, so poll again shortly. (Waking on every
		// finished update would poll thousands of times a second under load.)
		if len(updates) == 100 {
			if stalledSince.IsZero() {
				stalledSince = time.Now()
			} else if time.Since(stalledSince) > c.cfg.StallAfter {
				floor = tr.taken()
				c.log.Warn("updates held back by a slow chat; confirming past it", "offset", floor)
				stalledSince = time.Time{}
				continue
			}
		}
		// Polling again only pays once the oldest held update is done: until
		// then Telegram returns the same updates, a decode of the whole batch
		// for nothing.
		if !waitWatermark(ctx, tr, offset, maxHeldWait) {
			return nil
		}
	}
}

// maxHeldWait bounds the wait for the oldest held update between two polls,
// so that the stall check still runs.
const maxHeldWait = 50 * time.Millisecond

// waitWatermark waits until the tracker's watermark passes offset, at most
// d; false means ctx ended.
func waitWatermark(ctx context.Context, tr *tracker, offset int64, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		if wm, _ := tr.watermark(); wm > offset {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-tr.finished:
		}
	}
}

// emptyPollPause is the least time between two empty polls.
const emptyPollPause = 50 * time.Millisecond

// confirm tells Telegram, after a stop, which updates are done.
func (c *Channel) confirm(tr *tracker) {
	wm, busy := tr.watermark()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.getUpdates(ctx, wm, 1, 0); err != nil {
		c.log.Warn("confirm offset failed", "offset", wm, "err", redact(err, c.cfg.Token))
		return
	}
	c.log.Info("offset confirmed", "offset", wm, "unhandled", busy)
}

// polled is an update as getUpdates returned it. Only its id is read at
// first: Telegram sends the updates the bot still holds again with every
// poll, and only the new ones need decoding.
type polled struct {
	id  int64
	raw json.RawMessage
}

// getUpdates is done here rather than by the library, whose poller confirms
// updates as soon as they are buffered. It posts a multipart form, as the
// library does for every method, so any server the library works with
// understands it.
func (c *Channel) getUpdates(ctx context.Context, offset int64, limit int, wait time.Duration) ([]polled, error) {
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	if offset != 0 {
		form.WriteField("offset", strconv.FormatInt(offset, 10))
	}
	form.WriteField("limit", strconv.Itoa(limit))
	form.WriteField("timeout", strconv.Itoa(int(wait/time.Second)))
	allowed, _ := json.Marshal(allowedUpdates)
	form.WriteField("allowed_updates", string(allowed))
	if err := form.Close(); err != nil {
		return nil, fmt.Errorf("getUpdates form: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.APIURL+"/bot"+c.cfg.Token+"/getUpdates", &body)
	if err != nil {
		return nil, fmt.Errorf("getUpdates request: %w", err)
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	resp, err := c.pollClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	defer resp.Body.Close()
	var r struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("getUpdates: decode (HTTP %d): %w", resp.StatusCode, err)
	}
	if !r.OK {
		return nil, fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	out := make([]polled, 0, len(r.Result))
	for _, raw := range r.Result {
		var head struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			// Without an id it cannot be confirmed on its own; the offset
			// moves past it with the next update.
			c.m.errors.WithLabelValues("poll").Inc()
			c.log.Error("update without a readable id skipped", "err", err)
			continue
		}
		out = append(out, polled{id: head.ID, raw: raw})
	}
	return out, nil
}

// process handles one private-chat update in its chat's runner.
func (c *Channel) process(chatID int64, ch *chat, j job) {
	ctx := c.work
	upd := j.upd
	in := toInbound(upd, chatID)
	kind := string(in.Msg.Kind)
	c.m.updates.WithLabelValues(kind).Inc()
	logAttrs := []any{"chat", chatRef{c, chatID}, "update", upd.ID, "kind", kind}

	// The limit comes first: a flood costs no Bot API call beyond the one
	// slow-down note (an unanswered tap just stops spinning by itself).
	drop, notify := c.limit(ctx, chatID, ch, j.at)
	if drop {
		c.m.rateLimited.Inc()
		if notify {
			c.log.Info("chat rate limited", logAttrs...)
			c.send(ctx, chatID, dialog.Reply{Text: c.cat.T(in.Lang, "telegram.slow_down", nil)})
		}
		return
	}

	if cq := upd.CallbackQuery; cq != nil {
		c.answer(ctx, cq.ID)
		if cq.Message.Message != nil {
			c.removeKeyboard(ctx, chatID, cq.Message.Message.ID)
		}
	}

	replies, err := c.handler.Handle(ctx, in)
	if err != nil {
		c.m.errors.WithLabelValues("handle").Inc()
		c.log.Error("handle update", append(logAttrs, "err", err)...)
		if ctx.Err() != nil {
			return
		}
		// The conversation layer returns its own kind reply with most
		// errors; only when it has none do we say something went wrong.
		if len(replies) == 0 {
			replies = []dialog.Reply{{Text: c.cat.T(in.Lang, "telegram.error", nil)}}
		}
	}
	sent := 0
	for _, r := range replies {
		if !c.send(ctx, chatID, r) {
			break // keep the order: do not send later replies without earlier ones
		}
		sent++
		if err == nil && sent < len(replies) {
			c.markSent(ctx, in, sent)
		}
	}
	if c.marks != nil && err == nil && sent > 0 && sent == len(replies) {
		c.marks.add(in)
	}
	lat := time.Since(j.at)
	c.m.latency.Observe(lat.Seconds())
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.Debug("update handled", append(logAttrs, "replies", len(replies), "latency_ms", lat.Milliseconds())...)
	}
}

// chatRef names a chat in logs by its keyed hash, never by its id; the hash
// is only computed for a record that is written.
type chatRef struct {
	c  *Channel
	id int64
}

func (r chatRef) LogValue() slog.Value { return slog.StringValue(r.c.chatHash(r.id)) }

func (c *Channel) chatHash(chatID int64) string {
	mac := hmac.New(sha256.New, c.hashKey)
	mac.Write([]byte(strconv.FormatInt(chatID, 10)))
	return hex.EncodeToString(mac.Sum(nil)[:6])
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pollOnce asks Telegram for the updates from offset on. A failed call is
// counted, logged and waited out with a growing backoff (reset by the next
// call that works); it then reports ok false, and stop true when ctx ended.
func (c *Channel) pollOnce(ctx context.Context, offset int64, backoff *time.Duration) (updates []polled, ok, stop bool) {
	updates, err := c.getUpdates(ctx, offset, 100, c.cfg.PollTimeout)
	if err == nil {
		*backoff = 0
		return updates, true, false
	}
	if ctx.Err() != nil {
		return nil, false, true
	}
	c.m.errors.WithLabelValues("poll").Inc()
	*backoff = min(max(2**backoff, c.cfg.RetryBase), 5*time.Second)
	c.log.Warn("getUpdates failed", "err", redact(err, c.cfg.Token), "retry_in", *backoff)
	return nil, false, !sleep(ctx, *backoff)
}
