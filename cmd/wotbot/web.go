package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

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
	cfg, err := parseConfig(env)
	if err != nil {
		return err
	}
	cfg.Web.Lang, cfg.Web.LangChosen = locales.Norm(*lang), *lang != ""
	a, err := start(ctx, cfg, stderr, parts{embedded: true, conversations: true, clock: clock, metrics: true, webChat: true})
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	mux := a.webMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/chat/", http.StatusFound)
	})
	msg := "web chat on http://" + ln.Addr().String() + "/chat/"
	if a.st.embedded {
		msg += " (" + a.catalog.T(cfg.Web.Lang, "terminal.embedded", nil) + ")"
	}
	a.log.Info(msg)
	return serveHTTP(ctx, ln, mux, a.log)
}

// defaultListenAddr is where serve listens when LISTEN_ADDR is unset and
// something must be served (the web chat, a webhook).
const defaultListenAddr = ":8080"

// serveWebOnly is serve with WEB_CHAT=on and no Telegram: the web chat,
// /healthz and /metrics on LISTEN_ADDR. Staff reach web residents through
// a desk that runs with Telegram elsewhere (the relay goes through Redis).
func serveWebOnly(ctx context.Context, cfg Config, stderr io.Writer) error {
	a, err := start(ctx, cfg, stderr, parts{conversations: true, metrics: true, desk: true, relay: true, webChat: true})
	if err != nil {
		return err
	}
	defer a.close()
	addr := cfg.Telegram.ListenAddr
	if addr == "" {
		addr = defaultListenAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	a.log.Info("serving the web chat", "listen", ln.Addr().String())
	return serveHTTP(ctx, ln, a.webMux(), a.log)
}

// webMux serves the web chat, /metrics and /healthz.
func (a *app) webMux() *http.ServeMux {
	mux := http.NewServeMux()
	chat := a.web.Handler()
	mux.Handle("/chat", chat)
	mux.Handle("/chat/", chat)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	rdb := a.st.rdb
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := rdb.Ping(r.Context()).Err(); err != nil {
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	return mux
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
