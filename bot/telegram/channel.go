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
//   - Bot API calls (package botapi) honour 429 retry_after and back off on
//     5xx and network errors, at most Config.SendAttempts tries within
//     Config.SendBudget; a 400, a 403 or an answer that cannot be decoded
//     fails at once. A chat waits in its own runner, so other chats are not
//     held up.
//   - Logs carry a keyed hash of the chat id, the update id, the kind and
//     latencies: never names, phone numbers or message text.
package telegram

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/telegram/botapi"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

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
	handler bot.Handler
	cat     *locales.Catalog
	api     *botapi.Client // replies, buttons, commands: retried within SendBudget
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
	// marks carries "replies delivered" to the handler while Run runs.
	marks *deliveryMarks
	// work is the context of update handling; it outlives Run's ctx by
	// ShutdownTimeout so that in-flight updates can finish.
	work       context.Context
	cancelWork context.CancelFunc

	// pollAPI makes the long polls (getUpdates), with an HTTP timeout
	// beyond the poll's and no retries of its own: the poll loop backs off.
	pollAPI *botapi.Client
	runOnce sync.Once

	// inbox, when set (WithInbox), keeps polled updates in Redis until
	// they are handled; acks acknowledges them there.
	inbox *inbox
	acks  *inboxAcks
}

// New builds a channel. It makes no network calls; Run does.
func New(cfg Config, h bot.Handler, cat *locales.Catalog, opts ...Option) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
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
	if c.api, err = botapi.New(botapi.Config{
		Token: cfg.Token, URL: cfg.APIURL,
		HTTP:     &http.Client{Transport: transport, Timeout: 15 * time.Second},
		Attempts: cfg.SendAttempts, Budget: cfg.SendBudget, Backoff: cfg.RetryBase,
		Metrics: m.api,
	}); err != nil {
		return nil, fmt.Errorf("telegram client: %w", err)
	}
	if c.pollAPI, err = botapi.New(botapi.Config{
		Token: cfg.Token, URL: cfg.APIURL,
		HTTP: &http.Client{Transport: transport, Timeout: cfg.PollTimeout + 15*time.Second},
	}); err != nil {
		return nil, fmt.Errorf("telegram client: %w", err)
	}
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
	c.marks = startMarks(c.handler, c.log, c.m.errors.WithLabelValues("mark"))
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
	after.Go(c.marks.close)
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
			_ = c.send(ctx, chatID, dialog.Reply{Text: c.cat.T(in.Lang, "telegram.slow_down", nil)}) // logged there
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
		if c.send(ctx, chatID, r) != nil {
			break // keep the order: do not send later replies without earlier ones
		}
		sent++
		if err == nil && sent < len(replies) {
			c.markSent(ctx, in, sent)
		}
	}
	if err == nil && sent > 0 && sent == len(replies) {
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
