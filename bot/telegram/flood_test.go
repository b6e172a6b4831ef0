package telegram

import (
	"context"
	"errors"
	"html"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/ratelimit"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
)

// floodCounts counts what a flood of button taps cost at the Bot API.
type floodCounts struct{ answers, edits, notes, replies int }

func floodResult(t *testing.T, srv *telegramtest.Server, chat int64) floodCounts {
	t.Helper()
	note := html.EscapeString(catalog.T("nl", "telegram.slow_down", nil))
	var c floodCounts
	c.answers = len(srv.Calls("answerCallbackQuery"))
	c.edits = len(srv.Calls("editMessageReplyMarkup"))
	for _, m := range srv.Sent(chat) {
		if m.Text == note {
			c.notes++
		} else {
			c.replies++
		}
	}
	return c
}

// 300 taps from one chat: the limit comes before any Bot API call, so the
// taps over it cost nothing at Telegram, and the chat hears one calm
// "even wachten" (issue 11, item 10).
func TestCallbackFloodOneReplica(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	start(t, testConfig(srv), conv)
	const chat = 42
	var last int64
	for range 300 {
		last = srv.PressButton(chat, 7, "topic:geld")
	}
	if err := srv.WaitOffset(last+1, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	waitQuiet(t, srv, chat)
	c := floodResult(t, srv, chat)
	handled := len(conv.handled())
	t.Logf("300 taps: handled %d, answerCallbackQuery %d, editMessageReplyMarkup %d, slow-down notes %d", handled, c.answers, c.edits, c.notes)
	if handled != 20 || c.answers != handled || c.edits != handled || c.notes != 1 {
		t.Errorf("300 taps: handled %d, %d answers, %d edits, %d notes; want 20 handled, an answer and an edit for each handled tap only, 1 note",
			handled, c.answers, c.edits, c.notes)
	}
}

// Two replicas behind a load balancer share the limit through Redis: a
// flood spread over both is limited as one, with one note.
func TestCallbackFloodTwoReplicas(t *testing.T) {
	rdb := redistest.Client(t)
	prefix := redistest.Prefix(t)
	srv := newServer(t)
	conv := newFakeConv()
	var urls []string
	for range 2 {
		cfg := testConfig(srv)
		addr := freeAddr(t)
		cfg.ListenAddr = addr
		cfg.WebhookURL = "http://" + addr + "/hook"
		cfg.WebhookSecret = "s3cret"
		ch, err := New(cfg, conv, catalog, WithLogger(quietLogger()), WithRateLimiter(ratelimit.New(rdb, prefix+"rate:")))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { ch.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		urls = append(urls, cfg.WebhookURL)
		waitServing(t, "http://"+addr+"/healthz")
	}
	const chat = 43
	begin := time.Now()
	var wg sync.WaitGroup
	for i := range 300 {
		upd := srv.PressUpdate(chat, 7, "topic:geld", "nl")
		upd.ID = int64(1000 + i)
		wg.Go(func() {
			status, err := srv.Deliver(context.Background(), urls[i%2], "s3cret", upd)
			if err != nil || status != http.StatusOK {
				t.Errorf("deliver %d: %d %v", upd.ID, status, err)
			}
		})
		if i%10 == 9 {
			wg.Wait() // Telegram sends a chat's updates a few at a time
		}
	}
	wg.Wait()
	took := time.Since(begin)
	waitQuiet(t, srv, chat)
	c := floodResult(t, srv, chat)
	handled := len(conv.handled())
	t.Logf("300 taps over 2 replicas in %v: handled %d, answerCallbackQuery %d, editMessageReplyMarkup %d, slow-down notes %d",
		took.Round(time.Millisecond), handled, c.answers, c.edits, c.notes)
	// 20 at once, then the limit refills at 20 per 10 s while the flood lasts.
	most := 20 + int(took/(500*time.Millisecond)) + 1
	if handled < 20 || handled > most || c.answers != handled || c.edits != handled || c.notes != 1 {
		t.Errorf("handled %d (want 20 to %d), %d answers and %d edits (want one per handled tap), %d notes (want 1)",
			handled, most, c.answers, c.edits, c.notes)
	}
}

// waitQuiet waits until the fake API has seen no new call for 300 ms.
func waitQuiet(t *testing.T, srv *telegramtest.Server, chat int64) {
	t.Helper()
	last, since := -1, time.Now()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		n := len(srv.Calls("answerCallbackQuery")) + len(srv.Calls("editMessageReplyMarkup")) + len(srv.Sent(chat))
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > 300*time.Millisecond {
			return
		}
	}
	t.Fatal("the bot kept calling the API for 20 s")
}

// failingLimiter is a shared limiter whose Redis is down.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, int, time.Duration) (bool, bool, error) {
	return false, false, errors.New("redis: connection refused")
}

// With the shared limiter down, each replica still limits on its own.
func TestCallbackFloodSharedLimiterDown(t *testing.T) {
	srv := newServer(t)
	conv := newFakeConv()
	ch, err := New(testConfig(srv), conv, catalog, WithLogger(quietLogger()), WithRateLimiter(failingLimiter{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ch.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	const chat = 44
	var last int64
	for range 100 {
		last = srv.PressButton(chat, 7, "topic:geld")
	}
	if err := srv.WaitOffset(last+1, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	waitQuiet(t, srv, chat)
	c := floodResult(t, srv, chat)
	if handled := len(conv.handled()); handled != 20 || c.answers != 20 || c.notes != 1 {
		t.Errorf("shared limiter down, 100 taps: handled %d, %d answers, %d notes; want 20, 20, 1", handled, c.answers, c.notes)
	}
}
