package desk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/locales"
)

const (
	staffChat  = int64(-100777)
	fatima     = int64(501) // staff
	jan        = int64(502) // staff
	stranger   = int64(999) // not staff
	residentID = int64(8001)
)

var (
	sharedOnce sync.Once
	sharedCat  *locales.Catalog
	sharedKB   *knowledge.Base
)

func catalog(t testing.TB) (*locales.Catalog, *knowledge.Base) {
	t.Helper()
	sharedOnce.Do(func() {
		cat, err := locales.Load(knowledge.MessageFiles())
		if err != nil {
			panic(err)
		}
		kb, err := knowledge.New(cat)
		if err != nil {
			panic(err)
		}
		sharedCat, sharedKB = cat, kb
	})
	return sharedCat, sharedKB
}

// clock is a settable fake clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.Set(t); return c }
func (c *clock) Now() time.Time   { return time.Unix(0, c.ns.Load()) }
func (c *clock) Set(t time.Time)  { c.ns.Store(t.UnixNano()) }
func (c *clock) Add(d time.Duration) {
	c.ns.Add(int64(d))
}

// env is one test's desk world: Redis keys under a prefix, a fake Bot API.
type env struct {
	t      testing.TB
	rdb    redis.UniversalClient
	prefix string
	stream string
	api    *telegramtest.Server
	sender *TelegramSender
	queue  *handoff.Queue
	clock  *clock
	logs   *syncBuffer
	n      atomic.Int64
	// running holds the desks posted has started.
	running sync.Map
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t testing.TB, rdb redis.UniversalClient) *env {
	t.Helper()
	if rdb == nil {
		rdb = redistest.Client(t)
	}
	prefix := redistest.Prefix(t)
	api := telegramtest.New()
	t.Cleanup(api.Close)
	s, err := NewTelegramSender(api.Token, api.URL)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, rdb: rdb, prefix: prefix, stream: prefix + "handoff", api: api, sender: s,
		clock: newClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)), logs: &syncBuffer{}}
	e.queue = handoff.New(rdb, e.stream)
	return e
}

// desk builds a desk on the env; change its config with opts.
func (e *env) desk(consumer string, opts ...func(*Config, *Deps)) *Desk {
	cat, kb := catalog(e.t)
	cfg := Config{
		Stream: e.stream, Consumer: consumer, Prefix: "{" + e.prefix + "desk}:", StaffChat: staffChat,
		Staff: map[int64]bool{fatima: true, jan: true}, MinIdle: 200 * time.Millisecond,
		SweepEvery: time.Hour,
		// Tests post in bursts; TestGroupPostsArePaced tests the pace.
		StaffChatPerMinute: 600000,
	}
	deps := Deps{Sender: e.sender, Catalog: cat, Calendar: kb, Facts: kb.TemplateFacts(),
		Log: slog.New(slog.NewTextHandler(e.logs, nil)), Now: e.clock.Now,
		Notifiers: map[string]bot.Notifier{"telegram": e.sender}}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	return New(e.rdb, cfg, deps)
}

// run starts d until the test ends or the returned stop is called.
func run(t testing.TB, d *Desk) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// request is a valid finished intake of a Telegram resident.
func (e *env) request(mod ...func(*dialog.Request)) dialog.Request {
	n := e.n.Add(1)
	now := e.clock.Now()
	r := dialog.Request{
		ID: fmt.Sprintf("%sreq-%d", e.prefix, n), Ref: fmt.Sprintf("WOT-T%05d", n), CreatedAt: now,
		Channel: "telegram", ChatID: fmt.Sprint(residentID + n), Language: "nl",
		Name: "Anna <de> & Bakker", Topic: "money", Description: "Brief van de deurwaarder <b>",
		Urgency: "normal", Phone: "+31612345678", ContactVia: "phone", Location: "wot",
		Consent: dialog.Consent{PrivacyAt: now, TextVersion: "v1"}, CallbackDue: "2026-11-30",
	}
	for _, m := range mod {
		m(&r)
	}
	return r
}

func (e *env) enqueue(r dialog.Request) dialog.Request {
	e.t.Helper()
	if _, _, err := e.queue.Enqueue(context.Background(), r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// posts are the request posts in the staff chat (messages with the claim button).
func (e *env) posts() []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range e.api.Sent(staffChat) {
		if len(m.Data()) > 0 && strings.HasPrefix(m.Data()[0], claimPrefix) {
			out = append(out, m)
		}
	}
	return out
}

func (e *env) waitPosts(n int, timeout time.Duration) []telegramtest.Message {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p := e.posts()
		if len(p) >= n {
			return p
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d posts in the staff chat after %v, want %d", len(p), timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitText waits for a message to chat containing sub.
func (e *env) waitText(chat int64, sub string) telegramtest.Message {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, m := range e.api.Messages(chat) {
			if strings.Contains(m.Text, sub) {
				return m
			}
		}
		if time.Now().After(deadline) {
			var texts []string
			for _, m := range e.api.Messages(chat) {
				texts = append(texts, m.Method+": "+m.Text)
			}
			e.t.Fatalf("no message with %q to chat %d; got:\n%s", sub, chat, strings.Join(texts, "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) pending() int64 {
	e.t.Helper()
	p, err := e.rdb.XPending(context.Background(), e.stream, "staff").Result()
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Count
}

// noPersonalData fails when the logs hold a resident's name, phone or text.
func (e *env) noPersonalData() {
	e.t.Helper()
	logs := e.logs.String()
	for _, s := range []string{"Anna", "+316", "deurwaarder", "Dank u", "Hallo"} {
		if strings.Contains(logs, s) {
			e.t.Errorf("logs hold personal data %q:\n%s", s, logs)
		}
	}
}

var _ = io.Discard
var _ = os.Getenv
