package telegram

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// Paths the listeners answer besides the webhook.
const (
	healthPath  = "/healthz"
	metricsPath = "/metrics"
)

// listener is one running HTTP server of the channel.
type listener struct {
	addr string
	srv  *http.Server
}

// listen serves h on addr until shutdown; errors of Serve go to errc.
//
// The listener is public (Telegram, or a load balancer, posts to it), so it
// must not be starved by connections that are idle or that trickle their
// bytes (issue 11):
//   - at most MaxConns connections are open; more wait in the kernel's
//     accept queue, which costs no file descriptor of ours;
//   - when the listener is full, the connection that has been idle longest
//     is closed to make room, so idle keep-alive connections cannot keep
//     Telegram or the health check out;
//   - headers must arrive within ReadHeaderTimeout, a whole request within
//     ReadTimeout, an answer be written within WriteTimeout, and a
//     keep-alive connection is closed after IdleTimeout;
//   - the webhook refuses a wrong secret from the headers alone, before any
//     body (serveWebhook).
func (c *Channel) listen(addr string, h http.Handler, errc chan<- error) (*listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	guard := newConnGuard(c.cfg.MaxConns)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.cfg.ReadHeaderTimeout,
		ReadTimeout:       c.cfg.ReadTimeout,
		WriteTimeout:      c.cfg.WriteTimeout,
		IdleTimeout:       c.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState:         guard.track,
	}
	go func() {
		if err := srv.Serve(netutil.LimitListener(ln, c.cfg.MaxConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve %s: %w", addr, err)
		}
	}()
	return &listener{addr: addr, srv: srv}, nil
}

// connGuard keeps room for a new connection on a full listener by closing
// the connection that has been idle (between keep-alive requests) longest.
type connGuard struct {
	max  int
	mu   sync.Mutex
	open int
	idle map[net.Conn]time.Time
}

func newConnGuard(max int) *connGuard {
	return &connGuard{max: max, idle: map[net.Conn]time.Time{}}
}

// track is the server's ConnState hook.
func (g *connGuard) track(conn net.Conn, state http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch state {
	case http.StateNew:
		g.open++
	case http.StateActive:
		delete(g.idle, conn)
	case http.StateIdle:
		g.idle[conn] = time.Now()
	case http.StateHijacked, http.StateClosed:
		g.open--
		delete(g.idle, conn)
	}
	if g.open < g.max || len(g.idle) == 0 {
		return
	}
	// Full: the listener accepts no one until a connection closes. An idle
	// one is the cheapest to lose; its client opens a new one when it has
	// something to say. (http.Server.Shutdown closes idle connections the
	// same way.)
	var oldest net.Conn
	var since time.Time
	for c, t := range g.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	delete(g.idle, oldest)
	oldest.Close()
}
