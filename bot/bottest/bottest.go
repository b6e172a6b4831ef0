// Package bottest builds the whole message path (catalog, knowledge,
// classifier, engine, sessions and hand-off queue on Redis) for tests of the
// channels, with its own key prefix so tests can share one Redis server.
package bottest

import (
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/held"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/session"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/knowledge/intent"
	"github.com/wotschiedam/wotbot/locales"
)

// Stack is a message path on Redis for one test.
type Stack struct {
	Conversations *bot.Conversations
	Redis         redis.UniversalClient
	Stream        string // the hand-off stream of this test
	SessionPrefix string
	Knowledge     *knowledge.Base
	Catalog       *locales.Catalog
}

// Option changes the stack.
type Option func(*config)

type config struct {
	now func() time.Time
	rdb redis.UniversalClient
	log io.Writer
}

// WithNow fixes the clock.
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRedis uses the given client (e.g. a second replica on the same prefix
// is built with Replica instead).
func WithRedis(rdb redis.UniversalClient) Option { return func(c *config) { c.rdb = rdb } }

// WithLog sends the stack's logs to w (default: discarded).
func WithLog(w io.Writer) Option { return func(c *config) { c.log = w } }

var ids atomic.Int64

// New builds a stack on redistest.Client (REDIS_URL, or miniredis).
func New(t testing.TB, opts ...Option) *Stack {
	t.Helper()
	cfg := config{now: time.Now, log: io.Discard}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.rdb == nil {
		cfg.rdb = redistest.Client(t)
	}
	prefix := redistest.Prefix(t)
	cat, err := locales.Load(knowledge.MessageFiles())
	if err != nil {
		t.Fatal(err)
	}
	kb, err := knowledge.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	clf, err := intent.Load()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := dialog.New(cat, clf, kb, func() string { return fmt.Sprintf("%sreq-%d", prefix, ids.Add(1)) })
	if err != nil {
		t.Fatal(err)
	}
	s := &Stack{Redis: cfg.rdb, Stream: prefix + "handoff", SessionPrefix: prefix + "session:", Knowledge: kb, Catalog: cat}
	s.Conversations = &bot.Conversations{
		Engine:   eng,
		Sessions: session.New(cfg.rdb, s.SessionPrefix, 24*time.Hour),
		Queue:    handoff.New(cfg.rdb, s.Stream),
		Held:     held.New(cfg.rdb, "{"+prefix+"held}:"),
		Catalog:  cat,
		Facts:    kb.TemplateFacts(),
		Now:      cfg.now,
		Log:      slog.New(slog.NewTextHandler(cfg.log, nil)),
	}
	return s
}

// Replica is a second message path on the same Redis keys, as a second bot
// process would be.
func (s *Stack) Replica() *bot.Conversations {
	c := *s.Conversations
	return &c
}
