package telegram

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// get fetches url with a deadline and returns the status and body.
func get(t testing.TB, url string, timeout time.Duration) (int, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// waitServing waits until url answers at all.
func waitServing(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, _, err := get(t, url, time.Second); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s not serving after 5 s", url)
}

// Telegram posts to exactly the URL given to setWebhook; the bot must listen
// on that path, whatever it is (issue 11, item 5).
func TestWebhookListensOnRegisteredPath(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		other      string // a path that is not the webhook: 404
	}{
		{"no path", "", "/webhook"},
		{"root", "/", "/webhook"},
		{"path", "/telegram/hook", "/"},
		{"trailing slash", "/hook/", "/hook"},
		{"query", "/hook?via=lb", "/webhook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			conv := newFakeConv()
			cfg := testConfig(srv)
			addr := freeAddr(t)
			cfg.ListenAddr = addr
			cfg.WebhookURL = "http://" + addr + tc.path
			cfg.WebhookSecret = "s3cret"
			start(t, cfg, conv)
			if _, err := srv.WaitCalls("setWebhook", 1, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			registered := srv.Webhook().URL
			waitServing(t, "http://"+addr+"/healthz")
			ctx := context.Background()

			upd := srv.TextUpdate(42, 42, "hallo", "nl")
			upd.ID = 501
			status, err := srv.Deliver(ctx, registered, cfg.WebhookSecret, upd)
			if err != nil {
				t.Fatal(err)
			}
			if status != http.StatusOK {
				t.Fatalf("update posted to the registered URL %q: status %d, want 200", registered, status)
			}
			if got := srv.Sent(42); len(got) != 1 || got[0].Text != "echo: hallo" {
				t.Errorf("sent %+v, want the echo", got)
			}
			upd.ID = 502
			if status, _ := srv.Deliver(ctx, "http://"+addr+tc.other, cfg.WebhookSecret, upd); status != http.StatusNotFound {
				t.Errorf("post to %s (not registered): status %d, want 404", tc.other, status)
			}
		})
	}
}

// A webhook path that /healthz or /metrics already answers would never reach
// the bot: refuse to start, and say why.
func TestWebhookPathClashRefused(t *testing.T) {
	for _, path := range []string{"/healthz", "/metrics"} {
		err := Config{Token: "1:x", WebhookURL: "https://bot.example.org" + path, WebhookSecret: "abc"}.Validate()
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("WEBHOOK_URL with path %s: err %v, want a refusal naming %s", path, err, path)
		}
	}
}

// A post with the wrong secret is answered 401 from its headers, and the
// connection closed, without waiting for a body the sender may never finish
// (issue 11, item 3: slow unauthenticated bodies held connections).
func TestWebhookWrongSecretRefusedBeforeBody(t *testing.T) {
	srv := newServer(t)
	cfg := testConfig(srv)
	addr := freeAddr(t)
	cfg.ListenAddr = addr
	cfg.WebhookURL = "http://" + addr + "/hook"
	cfg.WebhookSecret = "s3cret"
	start(t, cfg, newFakeConv())
	waitServing(t, "http://"+addr+"/healthz")

	for _, secret := range []string{"nope", ""} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		head := "POST /hook HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
		if secret != "" {
			head += "X-Telegram-Bot-Api-Secret-Token: " + secret + "\r\n"
		}
		// The headers and one byte of a 1,000-byte body; the rest never comes.
		if _, err := io.WriteString(conn, head+"\r\n{"); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("secret %q: no answer within 2 s while the body is incomplete: %v", secret, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, want 401", secret, resp.StatusCode)
		}
		if _, err := r.ReadByte(); err != io.EOF {
			t.Errorf("secret %q: connection still open after the 401 (read: %v), want it closed", secret, err)
		}
	}
}

// METRICS_ADDR moves /metrics off the public webhook listener (issue 11,
// item 11); /healthz stays on both for load balancers.
func TestMetricsAddr(t *testing.T) {
	srv := newServer(t)
	listen, metricsAddr := freeAddr(t), freeAddr(t)
	cfg := Config{
		Token: srv.Token, APIURL: srv.URL,
		WebhookURL: "http://" + listen + "/hook", WebhookSecret: "s3cret",
		ListenAddr: listen, MetricsAddr: metricsAddr,
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.PollTimeout, cfg.ShutdownTimeout = time.Second, 3*time.Second
	start(t, cfg, newFakeConv())
	waitServing(t, "http://"+listen+"/healthz")
	waitServing(t, "http://"+metricsAddr+"/healthz")

	for _, tc := range []struct {
		url      string
		want     int
		contains string
	}{
		{"http://" + listen + "/metrics", http.StatusNotFound, ""},
		{"http://" + listen + "/healthz", http.StatusOK, "ok"},
		{"http://" + metricsAddr + "/metrics", http.StatusOK, "wotbot_telegram_rate_limited_total"},
		{"http://" + metricsAddr + "/healthz", http.StatusOK, "ok"},
		{"http://" + metricsAddr + "/hook", http.StatusNotFound, ""},
	} {
		code, body, err := get(t, tc.url, 2*time.Second)
		if err != nil {
			t.Errorf("GET %s: %v", tc.url, err)
			continue
		}
		if code != tc.want || !strings.Contains(body, tc.contains) {
			t.Errorf("GET %s: %d, want %d with %q", tc.url, code, tc.want, tc.contains)
		}
	}
}

// In polling mode METRICS_ADDR alone serves /metrics and /healthz.
func TestMetricsAddrPolling(t *testing.T) {
	srv := newServer(t)
	metricsAddr := freeAddr(t)
	cfg := Config{Token: srv.Token, APIURL: srv.URL, MetricsAddr: metricsAddr}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.PollTimeout, cfg.ShutdownTimeout = time.Second, 3*time.Second
	start(t, cfg, newFakeConv())
	waitServing(t, "http://"+metricsAddr+"/healthz")
	if code, body, err := get(t, "http://"+metricsAddr+"/metrics", 2*time.Second); err != nil || code != 200 || !strings.Contains(body, "wotbot_telegram_") {
		t.Errorf("GET /metrics: %d %v", code, err)
	}
}

// A full listener closes its longest-idle keep-alive connection to make room,
// and never an active one.
func TestConnGuardShedsLongestIdle(t *testing.T) {
	g := newConnGuard(3)
	var conns []net.Conn
	for range 3 {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		conns = append(conns, a)
	}
	closed := func(c net.Conn) bool {
		c.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
		_, err := c.Write([]byte("x"))
		return err == io.ErrClosedPipe
	}
	g.track(conns[0], http.StateNew)
	g.track(conns[0], http.StateIdle)
	time.Sleep(time.Millisecond)
	g.track(conns[1], http.StateNew)
	g.track(conns[1], http.StateIdle)
	if closed(conns[0]) || closed(conns[1]) {
		t.Fatal("a connection was closed while the listener had room")
	}
	g.track(conns[2], http.StateNew) // full
	if !closed(conns[0]) || closed(conns[1]) || closed(conns[2]) {
		t.Fatalf("full listener: closed %v %v %v, want only the longest idle (the first)", closed(conns[0]), closed(conns[1]), closed(conns[2]))
	}
	g.track(conns[0], http.StateClosed)
	g.track(conns[1], http.StateActive)
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	g.track(a, http.StateNew) // full again, nobody idle
	if closed(conns[1]) || closed(conns[2]) || closed(a) {
		t.Error("an active or new connection was closed")
	}
}

// METRICS_ADDR is meant to be private: the same address as LISTEN_ADDR
// would put /metrics back on the public listener.
func TestMetricsAddrSameAsListenRefused(t *testing.T) {
	err := Config{Token: "1:x", ListenAddr: ":8080", MetricsAddr: ":8080"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "MetricsAddr") {
		t.Errorf("MetricsAddr = ListenAddr: err %v, want a refusal naming MetricsAddr", err)
	}
}
