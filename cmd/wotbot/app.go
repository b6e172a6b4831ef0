package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/held"
	"github.com/wotschiedam/wotbot/bot/ratelimit"
	"github.com/wotschiedam/wotbot/bot/redisconn"
	"github.com/wotschiedam/wotbot/bot/session"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/web"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/knowledge/intent"
	"github.com/wotschiedam/wotbot/locales"
)

var errUsage = errors.New("usage")

// core is what every subcommand needs: the sentences, the knowledge and the engine.
type core struct {
	catalog   *locales.Catalog
	knowledge *knowledge.Base
	engine    *dialog.Engine
	// crisis tells a message about danger, violence or suicide: the relay
	// gives such a message the bot's safety answer too.
	crisis func(text string) bool
}

// newCore reads the configuration through getenv and builds the core.
func newCore(getenv func(string) string) (*core, error) {
	cfg, err := parseConfig(getenv)
	if err != nil {
		return nil, err
	}
	return buildCore(cfg)
}

// buildCore loads the sentences, the team's knowledge and the classifier,
// and builds the engine.
func buildCore(cfg Config) (*core, error) {
	cat, err := locales.Load(knowledge.MessageFiles())
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	kb, err := knowledge.ForTeam(cat, cfg.Team, knowledge.RetentionDays(cfg.RetentionDays))
	if err != nil {
		return nil, fmt.Errorf("load knowledge: %w", err)
	}
	clf, err := intent.Load()
	if err != nil {
		return nil, fmt.Errorf("load intent classifier: %w", err)
	}
	eng, err := dialog.New(cat, clf, kb, newRequestID)
	if err != nil {
		return nil, fmt.Errorf("build dialog engine: %w", err)
	}
	eng.RetentionDays = cfg.RetentionDays
	eng.SessionTTL = cfg.SessionTTL
	eng.BotUsername = cfg.BotUsername
	return &core{catalog: cat, knowledge: kb, engine: eng, crisis: clf.IsCrisis}, nil
}

// parts says what a command runs; start builds just that.
type parts struct {
	// embedded lets chat and web run on an in-memory Redis without REDIS_URL.
	embedded bool
	// conversations are the residents' side: sessions, the hand-off (behind
	// the outbox file on a real Redis), consent links.
	conversations bool
	// clock is the conversations' clock; nil is time.Now.
	clock func() time.Time
	// metrics serves a Prometheus registry with the process's collectors;
	// redisUp adds whether Redis answers.
	metrics, redisUp bool
	// desk is the staff side. It posts to the staff chat (and counts its
	// metrics) when a bot token and STAFF_CHAT_ID are set; otherwise it is
	// the store that staff commands, /vergeet and the relay use.
	desk bool
	// relay puts the desk's router in front of the conversations: staff
	// chatting with a resident take that resident's messages.
	relay bool
	// webChat and telegram are the channels residents use.
	webChat, telegram bool
}

// app is wotbot built from its configuration.
type app struct {
	cfg Config
	*core
	log *slog.Logger
	st  *storage
	reg *prometheus.Registry // nil: nothing is served
	// desk is the staff desk; posting says it posts to the staff chat.
	desk    *desk.Desk
	posting bool
	conv    *bot.Conversations
	// handler takes residents' messages: conv, or the relay in front of it.
	handler  bot.Handler
	web      *web.Channel
	telegram *telegram.Channel
	closers  []func()
}

// start builds what p asks for, each part from the ones before it:
// storage, the engine, the desk (its store, for /vergeet and the relay),
// the conversations, the channels. It starts their background work (the
// outbox, the web chat's wake-ups, expiring consent links); the command
// runs the rest and calls close.
func start(ctx context.Context, cfg Config, stderr io.Writer, p parts) (*app, error) {
	a := &app{cfg: cfg, log: newLogger(cfg.LogLevel, stderr)}
	built := false
	defer func() {
		if !built {
			a.close() // what was opened before a part failed
		}
	}()
	if p.telegram {
		if err := cfg.requireTelegram(); err != nil {
			return nil, err
		}
	}
	if !p.embedded {
		if err := cfg.requireRedis(); err != nil {
			return nil, err
		}
	}
	var err error
	if a.core, err = buildCore(cfg); err != nil {
		return nil, err
	}
	if a.st, err = openStorage(ctx, cfg.RedisURL); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.st.close)
	if p.metrics {
		a.reg = prometheus.NewRegistry()
		a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		if p.redisUp {
			a.reg.MustRegister(redisconn.UpCollector(a.st.rdb))
		}
	}
	if p.desk {
		if a.desk, err = a.newDesk(); err != nil {
			return nil, err
		}
	}
	if !p.conversations {
		built = true
		return a, nil
	}
	// Channels deliver residents' messages to the conversations, and the
	// conversations push news through the channels: the one cycle, closed
	// by filling notifiers as the channels are built.
	notifiers := map[string]bot.Notifier{}
	var forget forgetters
	var webStore *web.Store
	if p.webChat {
		webStore = a.webStore()
		forget = append(forget, webStore)
	}
	if a.desk != nil {
		forget = append(forget, a.desk)
	}
	a.conv = a.conversations(a.queue(ctx), p.clock, notifiers, forget)
	a.handler = a.conv
	if p.relay {
		a.handler = bot.Chain(a.conv, a.desk.Relay(a.crisis))
	}
	if p.webChat {
		if a.web, err = web.New(cfg.Web, a.handler, webStore, a.catalog, a.knowledge.TemplateFacts(), a.log, a.registerer()); err != nil {
			return nil, err
		}
		notifiers[web.ChannelName] = a.web
	}
	if p.telegram {
		if a.telegram, err = a.telegramChannel(ctx); err != nil {
			return nil, err
		}
		notifiers[telegram.ChannelName] = a.telegram
		if a.posting {
			a.desk.SetNotifier(telegram.ChannelName, a.telegram)
		}
	}
	if a.web != nil {
		go a.web.Run(ctx)
	}
	go expireHeld(ctx, a.conv, a.log)
	built = true
	return a, nil
}

// close closes what start opened, the last first.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// registerer is a.reg, or nil (a private registry) where nothing is served.
func (a *app) registerer() prometheus.Registerer {
	if a.reg == nil {
		return nil
	}
	return a.reg
}

// queue is the hand-off stream, behind the outbox file on a real Redis: a
// finished request survives a Redis outage on disk. (An embedded Redis
// cannot go down on its own.)
func (a *app) queue(ctx context.Context) bot.Queue {
	q := handoff.New(a.st.rdb, a.cfg.Stream)
	if a.st.embedded {
		return q
	}
	outbox := handoff.NewOutbox(a.cfg.OutboxPath, q, a.log)
	go outbox.Run(ctx)
	a.closers = append(a.closers, func() { outbox.Close() })
	return outbox
}

func (a *app) conversations(q bot.Queue, clock func() time.Time, notifiers map[string]bot.Notifier, forget forgetters) *bot.Conversations {
	if clock == nil {
		clock = time.Now
	}
	var f bot.Forgetter
	switch len(forget) {
	case 0:
	case 1:
		f = forget[0]
	default:
		f = forget
	}
	var m *bot.Metrics
	if a.reg != nil {
		m = bot.NewMetrics(a.reg)
	}
	return &bot.Conversations{
		Engine: a.engine,
		// The privacy text quotes the engine's SessionTTL: one setting for both.
		Sessions:  session.New(a.st.rdb, "wot:session:", a.engine.SessionTTL),
		Queue:     q,
		Held:      held.New(a.st.rdb, "{wot:held}:"),
		Catalog:   a.catalog,
		Facts:     a.knowledge.TemplateFacts(),
		Now:       clock,
		Log:       a.log,
		Notifiers: notifiers,
		Metrics:   m,
		// The question counters live under the desk's prefix.
		Intents:   desk.IntentCounter(a.st.rdb, a.cfg.Desk.Prefix, a.knowledge.Location(), a.log),
		Forgetter: f,
	}
}

// newDesk builds the desk. It posts to the staff chat with a bot token and
// STAFF_CHAT_ID; then its counters and state gauges (and its sender's Bot
// API errors) go to a.reg.
func (a *app) newDesk() (*desk.Desk, error) {
	deps := desk.Deps{Catalog: a.catalog, Calendar: a.knowledge, Facts: a.knowledge.TemplateFacts(), Log: a.log}
	// Web residents are reached through their transcript in Redis, from
	// any process.
	deps.Notifiers = map[string]bot.Notifier{web.ChannelName: a.webStore()}
	var sender *desk.TelegramSender
	if a.cfg.Telegram.Token != "" && a.cfg.Desk.StaffChat != 0 {
		var err error
		if sender, err = desk.NewTelegramSender(a.cfg.Telegram.Token, a.cfg.Telegram.APIURL); err != nil {
			return nil, err
		}
		a.posting = true
	}
	reg := a.reg
	if sender == nil {
		reg = nil // the desk's metrics only where a desk runs
	}
	if reg != nil {
		m, err := desk.NewMetrics(reg)
		if err != nil {
			return nil, err
		}
		deps.Metrics = m
	}
	if sender != nil {
		sender.CountErrors(deps.Metrics)
		deps.Sender = sender
		deps.Notifiers[telegram.ChannelName] = sender
	}
	d := desk.New(a.st.rdb, a.cfg.Desk, deps)
	if reg != nil {
		if err := reg.Register(d.Collector()); err != nil {
			return nil, fmt.Errorf("register desk state metrics: %w", err)
		}
	}
	return d, nil
}

// webStore is the web chats' transcripts, kept as long as the consent text
// says requests are (RetentionDays, as the cookie).
func (a *app) webStore() *web.Store {
	return web.NewStore(a.st.rdb, "", a.cfg.Web.Keep)
}

// telegramChannel builds the Telegram channel, with the web chat on its
// listener when there is one, and learns the bot's username for consent
// links when the configuration does not give it.
func (a *app) telegramChannel(ctx context.Context) (*telegram.Channel, error) {
	if a.web != nil && a.cfg.Telegram.ListenAddr == "" {
		a.cfg.Telegram.ListenAddr = defaultListenAddr // the web chat must be served
	}
	cfg := a.cfg.Telegram
	st := a.st
	opts := []telegram.Option{
		telegram.WithRegistry(a.reg),
		telegram.WithHealth(func(ctx context.Context) error { return st.rdb.Ping(ctx).Err() }),
		telegram.WithLogger(a.log),
		// Replicas share each chat's rate limit.
		telegram.WithRateLimiter(ratelimit.New(st.rdb, "wot:")),
		// Long polling writes updates to Redis before confirming them.
		telegram.WithInbox(st.rdb, cfg.InboxPrefix),
	}
	if a.posting {
		opts = append(opts, telegram.WithGroupHandler(a.desk.HandleGroupUpdate))
	}
	if a.web != nil {
		chat := a.web.Handler()
		opts = append(opts, telegram.WithHandle("/chat/", chat), telegram.WithHandle("/chat", chat))
	}
	ch, err := telegram.New(cfg, a.handler, a.catalog, opts...)
	if err != nil {
		return nil, err
	}
	// The username comes from the Bot API, through the channel, which needs
	// the engine first: the one setting filled in after building.
	if a.engine.BotUsername == "" {
		name, err := ch.Username(ctx)
		if err != nil {
			a.log.Warn("no bot username: consent links will be /start commands", "err", err)
		}
		a.engine.BotUsername = name
	}
	return ch, nil
}

// runDesk runs the desk in the background when it posts to the staff chat.
func (a *app) runDesk(ctx context.Context) {
	if !a.posting {
		return
	}
	go func() {
		if err := a.desk.Run(ctx); err != nil {
			a.log.Error("staff desk stopped", "err", err)
		}
	}()
}

// expireHeld deletes unanswered consent links every minute until ctx ends.
func expireHeld(ctx context.Context, conv *bot.Conversations, log *slog.Logger) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		if err := conv.ExpireHeld(ctx); err != nil && ctx.Err() == nil {
			log.Warn("expire held requests", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// newRequestID is 128 random bits: request IDs key the exactly-once hand-off,
// so they must never collide.
func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the OS has no randomness: nothing is safe
	}
	return hex.EncodeToString(b[:])
}

// storage is a Redis connection and what lives on it.
type storage struct {
	rdb      redis.UniversalClient
	embedded bool
	close    func()
}

// openStorage connects to url, or, when it is "", starts an in-memory Redis
// inside the process.
func openStorage(ctx context.Context, url string) (*storage, error) {
	if url == "" {
		rdb, closeFn, err := redisconn.Embedded()
		if err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		return &storage{rdb: rdb, embedded: true, close: closeFn}, nil
	}
	rdb, err := redisconn.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return &storage{rdb: rdb, close: func() { rdb.Close() }}, nil
}

// forgetters forget a chat in each of their parts (/vergeet).
type forgetters []bot.Forgetter

func (fs forgetters) Forget(ctx context.Context, channel, chatID string) error {
	var errs []error
	for _, f := range fs {
		if f != nil {
			errs = append(errs, f.Forget(ctx, channel, chatID))
		}
	}
	return errors.Join(errs...)
}

// newLogger logs structured text to w from level up.
func newLogger(level slog.Level, w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
