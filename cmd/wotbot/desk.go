package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/redisconn"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/web"
)

// deskConfig reads the staff desk's settings: STAFF_CHAT_ID, STAFF_USER_IDS,
// STAFF_USERS (names by user id, such as "2001:Sanne,2002:Ahmed"),
// HANDOFF_STREAM, RETENTION_DAYS, DESK_CONSUMER, DESK_MIN_IDLE, DESK_PREFIX
// (the desk's Redis key prefix, default "{wot:desk}:") and
// STAFF_CHAT_PER_MINUTE (the pace of the staff chat, default 20).
func deskConfig(env func(string) string) (desk.Config, error) {
	cfg := desk.Config{Stream: env("HANDOFF_STREAM"), Consumer: env("DESK_CONSUMER"), Prefix: env("DESK_PREFIX"), Staff: map[int64]bool{}}
	if v := env("STAFF_CHAT_ID"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id == 0 {
			return cfg, fmt.Errorf("STAFF_CHAT_ID=%q: want a Telegram chat id such as -1001234567890", v)
		}
		cfg.StaffChat = id
	}
	for _, f := range strings.Split(env("STAFF_USER_IDS"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return cfg, fmt.Errorf("STAFF_USER_IDS: %q is not a Telegram user id", f)
		}
		cfg.Staff[id] = true
	}
	names, err := staffUsers(env("STAFF_USERS"))
	if err != nil {
		return cfg, err
	}
	cfg.StaffNames = names
	if v := env("RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("RETENTION_DAYS=%q: want a whole number of days", v)
		}
		cfg.Retention = time.Duration(n) * 24 * time.Hour
	}
	if v := env("DESK_MIN_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, fmt.Errorf("DESK_MIN_IDLE=%q: want a duration such as 30s", v)
		}
		cfg.MinIdle = d
	}
	if v := env("STAFF_CHAT_PER_MINUTE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("STAFF_CHAT_PER_MINUTE=%q: want a whole number of messages a minute, such as 20", v)
		}
		cfg.StaffChatPerMinute = n
	}
	return cfg, nil
}

// newDesk builds the desk; sender may be nil (nothing is posted then). With
// reg, the desk's counters and state gauges (and its sender's Bot API
// errors) are registered there.
func (c *core) newDesk(st *storage, cfg desk.Config, sender *desk.TelegramSender, log *slog.Logger, reg prometheus.Registerer) (*desk.Desk, error) {
	deps := desk.Deps{Catalog: c.catalog, Calendar: c.knowledge, Facts: c.knowledge.TemplateFacts(), Log: log}
	if reg != nil {
		m, err := desk.NewMetrics(reg)
		if err != nil {
			return nil, err
		}
		deps.Metrics = m
	}
	// Web residents are reached through their transcript in Redis, from
	// any process.
	deps.Notifiers = map[string]bot.Notifier{web.ChannelName: c.webStore(st)}
	if sender != nil {
		sender.CountErrors(deps.Metrics)
		deps.Sender = sender
		deps.Notifiers[telegram.ChannelName] = sender
	}
	d := desk.New(st.rdb, cfg, deps)
	if reg != nil {
		if err := reg.Register(d.Collector()); err != nil {
			return nil, fmt.Errorf("register desk state metrics: %w", err)
		}
	}
	return d, nil
}

// deskCmd consumes the hand-off stream and posts to the staff chat, with
// reminders and retention, until SIGTERM. Claims and the relay need the
// Telegram updates, so they run in serve.
func deskCmd(ctx context.Context, args []string, env func(string) string, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: wotbot desk (settings come from the environment)")
		return errUsage
	}
	cfg, err := deskConfig(env)
	if err != nil {
		return err
	}
	if cfg.StaffChat == 0 {
		return fmt.Errorf("STAFF_CHAT_ID is required")
	}
	token := env(telegram.EnvToken)
	if token == "" {
		return fmt.Errorf("%s is required", telegram.EnvToken)
	}
	c, st, log, err := boot(ctx, env, stderr, false)
	if err != nil {
		return err
	}
	defer st.close()
	sender, err := desk.NewTelegramSender(token, env(telegram.EnvAPIURL))
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		redisconn.UpCollector(st.rdb))
	d, err := c.newDesk(st, cfg, sender, log, reg)
	if err != nil {
		return err
	}
	addr := env(telegram.EnvListenAddr)
	if addr != "" {
		stop, err := serveMetrics(addr, reg, func(ctx context.Context) error { return st.rdb.Ping(ctx).Err() }, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("staff desk running", "stream", d.Config().Stream, "consumer", d.Config().Consumer, "listen", addr)
	return d.Run(ctx)
}

// serveMetrics serves /metrics (reg) and /healthz (health) on addr until
// the returned stop is called.
func serveMetrics(addr string, reg *prometheus.Registry, health func(context.Context) error, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := health(ctx); err != nil {
			log.Warn("health check failed", "err", err)
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// outboxPath is OUTBOX_PATH, or the desk's default: one file per replica.
func outboxPath(env func(string) string) string {
	if p := env("OUTBOX_PATH"); p != "" {
		return p
	}
	return handoff.DefaultOutboxPath(env)
}

// useOutbox puts the outbox file in front of conv's hand-off, so a finished
// request survives a Redis outage on disk, and delivers it until ctx ends.
// The returned func closes the file.
func useOutbox(ctx context.Context, env func(string) string, conv *bot.Conversations, log *slog.Logger) func() {
	outbox := handoff.NewOutbox(outboxPath(env), conv.Queue, log)
	conv.Queue = outbox
	go outbox.Run(ctx)
	return func() { outbox.Close() }
}

// staffUsers parses STAFF_USERS: "2001:Sanne,2002:Ahmed", Telegram user
// ids with the staff member's name. Each is staff; a claim "by Ahmed" on
// the command line opens Ahmed's chat.
func staffUsers(v string) (map[int64]string, error) {
	names := map[int64]string{}
	seen := map[string]bool{}
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		idText, name, ok := strings.Cut(f, ":")
		id, err := strconv.ParseInt(strings.TrimSpace(idText), 10, 64)
		name = strings.TrimSpace(name)
		if !ok || err != nil || id <= 0 || name == "" {
			return nil, fmt.Errorf("STAFF_USERS: %q is not USERID:Name (such as 2001:Sanne)", f)
		}
		if seen[strings.ToLower(name)] {
			return nil, fmt.Errorf("STAFF_USERS: the name %q is given twice; names must tell staff apart", name)
		}
		seen[strings.ToLower(name)] = true
		names[id] = name
	}
	return names, nil
}
