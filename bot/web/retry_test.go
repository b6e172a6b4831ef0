package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/redistest"
)

// A turn that ran but whose replies could not be stored (Redis went away in
// between) asks the page to send the same id again; sent again, it is not
// run twice, and its replies reach the page once.
func TestRepliesNotStoredAreSentAgain(t *testing.T) {
	s := bottest.New(t)
	s.Conversations.RedeliveryGrace = 50 * time.Millisecond
	prefix := redistest.Prefix(t) + "web:"
	good := newReplica(t, s, s.Conversations, prefix, Config{})
	// The broken replica's transcript is on a Redis that is gone; its
	// sessions are fine.
	gone := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer gone.Close()
	broken, err := New(Config{}, s.Conversations, NewStore(gone, prefix, time.Hour), s.Catalog, s.Knowledge.TemplateFacts(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	bsrv := httptest.NewServer(broken.Handler())
	defer bsrv.Close()

	jar, _ := cookiejar.New(nil)
	p := openPage(t, good.srv.URL, jar)
	p.until("")
	gu, _ := url.Parse(good.srv.URL)
	bu, _ := url.Parse(bsrv.URL)
	jar.SetCookies(bu, jar.Cookies(&url.URL{Scheme: "http", Host: gu.Host, Path: "/chat/"}))

	msg := map[string]any{"id": 4242, "text": "/start aanmelden"}
	code, out := p.post(bsrv.URL, msg)
	if code != http.StatusServiceUnavailable || !out.Retry || out.Notice != "" {
		t.Fatalf("replies not stored: %d %+v", code, out)
	}
	if code, out := p.post(good.srv.URL, msg); code != 200 {
		t.Fatalf("sent again: %d %+v", code, out)
	}
	got := p.until("who")
	if !hasEntry(got, "resident", "/start aanmelden") {
		t.Fatalf("no echo: %+v", got)
	}
	// Once more: nothing new; and the chat is at "who", not one step on.
	p.post(good.srv.URL, msg)
	chat := onlyChat(t, good)
	entries, _ := good.store.Read(context.Background(), chat, "0", 100)
	n := 0
	for _, e := range entries {
		if e.From == "resident" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d echoes of one message: %+v", n, entries)
	}
}
