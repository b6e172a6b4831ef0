package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// deskCmd consumes the hand-off stream and posts to the staff chat, with
// reminders and retention, until SIGTERM. Claims and the relay need the
// Telegram updates, so they run in serve.
func deskCmd(ctx context.Context, args []string, env func(string) string, stderr io.Writer) error {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: wotbot desk (settings come from the environment)")
		return errUsage
	}
	cfg, err := parseConfig(env)
	if err != nil {
		return err
	}
	if err := cfg.requireStaffChat(); err != nil {
		return err
	}
	if err := cfg.requireTelegram(); err != nil {
		return err
	}
	a, err := start(ctx, cfg, stderr, parts{metrics: true, redisUp: true, desk: true})
	if err != nil {
		return err
	}
	defer a.close()
	addr := cfg.deskListenAddr()
	if addr != "" {
		rdb := a.st.rdb
		stop, err := serveMetrics(addr, a.reg, func(ctx context.Context) error { return rdb.Ping(ctx).Err() }, a.log)
		if err != nil {
			return err
		}
		defer stop()
	}
	d := a.desk
	a.log.Info("staff desk running", "stream", d.Config().Stream, "consumer", d.Config().Consumer, "listen", addr)
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
