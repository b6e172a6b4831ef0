package main

import (
	"context"
	"io"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/ratelimit"
	"github.com/wotschiedam/wotbot/bot/redisconn"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/web"
)

// serveCmd runs the Telegram bot until SIGTERM, with the staff side: the
// outbox in front of the hand-off, /vergeet withdrawing requests, and, with
// STAFF_CHAT_ID, the desk (posts, claims in the staff chat, the relay,
// reminders, retention).
func serveCmd(ctx context.Context, args []string, env func(string) string, stderr io.Writer) error {
	wcfg, webOn, err := web.ConfigFromEnv(env)
	if err != nil {
		return err
	}
	if webOn && env(telegram.EnvToken) == "" {
		return serveWebOnly(ctx, wcfg, env, stderr)
	}
	cfg, err := telegram.ConfigFromEnv(env)
	if err != nil {
		return err
	}
	if webOn && cfg.ListenAddr == "" {
		cfg.ListenAddr = defaultListenAddr
	}
	dcfg, err := deskConfig(env)
	if err != nil {
		return err
	}
	c, st, log, err := boot(ctx, env, stderr, false)
	if err != nil {
		return err
	}
	defer st.close()
	conv, err := c.conversations(env, st, log)
	if err != nil {
		return err
	}
	defer useOutbox(ctx, env, conv, log)()

	var sender *desk.TelegramSender
	if dcfg.StaffChat != 0 {
		if sender, err = desk.NewTelegramSender(cfg.Token, cfg.APIURL); err != nil {
			return err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		redisconn.UpCollector(st.rdb))
	var deskReg prometheus.Registerer // the desk's metrics only where a desk runs
	if dcfg.StaffChat != 0 {
		deskReg = reg
	}
	d, err := c.newDesk(st, dcfg, sender, log, deskReg)
	if err != nil {
		return err
	}
	conv.Forgetter = d

	conv.Metrics = bot.NewMetrics(reg)
	var handler bot.Handler = conv
	opts := []telegram.Option{
		telegram.WithRegistry(reg),
		telegram.WithHealth(func(ctx context.Context) error { return st.rdb.Ping(ctx).Err() }),
		telegram.WithLogger(log),
		// Replicas share each chat's rate limit.
		telegram.WithRateLimiter(ratelimit.New(st.rdb, "wot:")),
		// Long polling writes updates to Redis before confirming them.
		telegram.WithInbox(st.rdb, cfg.InboxPrefix),
	}
	if dcfg.StaffChat != 0 {
		handler = bot.Chain(conv, d.Relay(c.crisis))
		opts = append(opts, telegram.WithGroupHandler(d.HandleGroupUpdate))
	}
	var wch *web.Channel
	if webOn {
		if wch, err = c.webChannel(wcfg, st, conv, handler, log, reg); err != nil {
			return err
		}
		chat := wch.Handler()
		opts = append(opts, telegram.WithHandle("/chat/", chat), telegram.WithHandle("/chat", chat))
		go wch.Run(ctx)
	}
	ch, err := telegram.New(cfg, handler, c.catalog, opts...)
	if err != nil {
		return err
	}
	if c.engine.BotUsername == "" {
		name, err := ch.Username(ctx)
		if err != nil {
			log.Warn("no bot username: consent links will be /start commands", "err", err)
		}
		c.engine.BotUsername = name
	}
	if conv.Notifiers == nil {
		conv.Notifiers = map[string]bot.Notifier{}
	}
	conv.Notifiers[telegram.ChannelName] = ch
	if dcfg.StaffChat != 0 {
		d.SetNotifier(telegram.ChannelName, ch)
		go func() {
			if err := d.Run(ctx); err != nil {
				log.Error("staff desk stopped", "err", err)
			}
		}()
	}
	go expireHeld(ctx, conv, log)
	log.Info("serving Telegram", "webhook", cfg.WebhookURL != "", "listen", cfg.ListenAddr, "metrics", cfg.MetricsAddr, "staff_desk", dcfg.StaffChat != 0, "web_chat", webOn)
	return ch.Run(ctx)
}
