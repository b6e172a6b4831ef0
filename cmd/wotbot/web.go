package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/bot/web"
	"github.com/wotschiedam/wotbot/locales"
)

// webCmd serves the web chat alone, on the embedded in-memory Redis when
// REDIS_URL is unset, until SIGTERM.
func webCmd(ctx context.Context, args []string, env func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("web", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "address to serve the web chat on")
	lang := fs.String("lang", "", "language of the page: nl or en (default nl; ?lang=en asks for English)")
	now := fs.String("now", "", "pretend the time is this RFC3339 instant (for tests and demos)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	if *lang != "" && locales.Norm(*lang) != *lang {
		return fmt.Errorf("--lang %q: want nl or en", *lang)
	}
	clock, err := parseClock(*now)
	if err != nil {
		return err
	}
	cfg, _, err := web.ConfigFromEnv(env)
	if err != nil {
		return err
	}
	cfg.Lang, cfg.LangChosen = locales.Norm(*lang), *lang != ""
	c, st, log, err := boot(ctx, env, stderr, true)
	if err != nil {
		return err
	}
	defer st.close()
	conv, err := c.conversations(env, st, log)
	if err != nil {
		return err
	}
	conv.Now = clock
	if !st.embedded {
		defer useOutbox(ctx, env, conv, log)()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	conv.Metrics = bot.NewMetrics(reg)
	ch, err := c.webChannel(cfg, st, conv, conv, log, reg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	go ch.Run(ctx)
	mux := http.NewServeMux()
	chat := ch.Handler()
	mux.Handle("/chat", chat)
	mux.Handle("/chat/", chat)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/chat/", http.StatusFound)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := st.rdb.Ping(r.Context()).Err(); err != nil {
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	go expireHeld(ctx, conv, log)
	msg := "web chat on http://" + ln.Addr().String() + "/chat/"
	if st.embedded {
		msg += " (" + c.catalog.T(cfg.Lang, "terminal.embedded", nil) + ")"
	}
	log.Info(msg)
	return serveHTTP(ctx, ln, mux, log)
}

// webChannel builds the web chat on conv's storage: handler runs its
// messages (conv, or the desk's router in front of it), conv pushes notices
// to it, and /vergeet erases its transcript too. Its transcript is kept as
// long as the consent text says requests are (RETENTION_DAYS).
func (c *core) webChannel(cfg web.Config, st *storage, conv *bot.Conversations, handler bot.Handler, log *slog.Logger, reg prometheus.Registerer) (*web.Channel, error) {
	store := c.webStore(st)
	cfg.Keep = store.Keep()
	ch, err := web.New(cfg, handler, store, c.catalog, c.knowledge.TemplateFacts(), log, reg)
	if err != nil {
		return nil, err
	}
	if conv.Notifiers == nil {
		conv.Notifiers = map[string]bot.Notifier{}
	}
	conv.Notifiers[web.ChannelName] = ch
	conv.Forgetter = forgetters{store, conv.Forgetter}
	return ch, nil
}

// webStore is the web chats' transcripts, kept as long as the consent text
// says requests are (RETENTION_DAYS).
func (c *core) webStore(st *storage) *web.Store {
	return web.NewStore(st.rdb, "", time.Duration(c.engine.RetentionDays)*24*time.Hour)
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

// serveHTTP serves h on ln until ctx ends, then lets requests finish for a
// few seconds (the web chat ends its event streams when ctx ends).
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, stop := context.WithTimeout(context.Background(), 8*time.Second)
	defer stop()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("web server shutdown", "err", err)
	}
	return nil
}

// defaultListenAddr is where serve listens when LISTEN_ADDR is unset and
// something must be served (the web chat, a webhook).
const defaultListenAddr = ":8080"

// serveWebOnly is serve with WEB_CHAT=on and no Telegram: the web chat,
// /healthz and /metrics on LISTEN_ADDR. Staff reach web residents through
// a desk that runs with Telegram elsewhere (the relay goes through Redis).
func serveWebOnly(ctx context.Context, cfg web.Config, env func(string) string, stderr io.Writer) error {
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
	dcfg, err := deskConfig(env)
	if err != nil {
		return err
	}
	d, err := c.newDesk(st, dcfg, nil, log, nil)
	if err != nil {
		return err
	}
	conv.Forgetter = d
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	conv.Metrics = bot.NewMetrics(reg)
	ch, err := c.webChannel(cfg, st, conv, bot.Chain(conv, d.Relay(c.crisis)), log, reg)
	if err != nil {
		return err
	}
	addr := env(telegram.EnvListenAddr)
	if addr == "" {
		addr = defaultListenAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	go ch.Run(ctx)
	go expireHeld(ctx, conv, log)
	mux := http.NewServeMux()
	chat := ch.Handler()
	mux.Handle("/chat", chat)
	mux.Handle("/chat/", chat)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := st.rdb.Ping(r.Context()).Err(); err != nil {
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	log.Info("serving the web chat", "listen", ln.Addr().String())
	return serveHTTP(ctx, ln, mux, log)
}
