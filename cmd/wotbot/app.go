package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/held"
	"github.com/wotschiedam/wotbot/bot/redisconn"
	"github.com/wotschiedam/wotbot/bot/session"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/knowledge/intent"
	"github.com/wotschiedam/wotbot/locales"
)

var errUsage = errors.New("usage")

// core is what every subcommand needs: the sentences, the knowledge and the engine.
type core struct {
	catalog   *locales.Catalog
	knowledge *knowledge.Base
	engine    *dialog.Engine
	// crisis tells a message about danger, violence or suicide: the relay
	// gives such a message the bot's safety answer too.
	crisis func(text string) bool
}

func newCore(env func(string) string) (*core, error) {
	cat, err := locales.Load(knowledge.MessageFiles())
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	team := env("WOT_TEAM")
	if team == "" {
		team = knowledge.DefaultTeam
	}
	retention := 30
	if days := env("RETENTION_DAYS"); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("RETENTION_DAYS=%q: want a whole number of days", days)
		}
		retention = n
	}
	kb, err := knowledge.ForTeam(cat, team, knowledge.RetentionDays(retention))
	if err != nil {
		return nil, fmt.Errorf("load knowledge: %w", err)
	}
	clf, err := intent.Load()
	if err != nil {
		return nil, fmt.Errorf("load intent classifier: %w", err)
	}
	eng, err := dialog.New(cat, clf, kb, newRequestID)
	if err != nil {
		return nil, fmt.Errorf("build dialog engine: %w", err)
	}
	eng.RetentionDays = retention
	if v := env("SESSION_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("SESSION_TTL=%q: want a duration such as 24h", v)
		}
		eng.SessionTTL = d
	}
	eng.BotUsername = strings.TrimPrefix(env("TELEGRAM_BOT_USERNAME"), "@")
	return &core{catalog: cat, knowledge: kb, engine: eng, crisis: clf.IsCrisis}, nil
}

// boot builds what a long-running subcommand needs: the logger (LOG_LEVEL),
// the core, and the Redis storage (embedded only when allowEmbedded and
// REDIS_URL is unset). The caller closes the storage.
func boot(ctx context.Context, env func(string) string, stderr io.Writer, allowEmbedded bool) (*core, *storage, *slog.Logger, error) {
	log := newLogger(env, stderr)
	c, err := newCore(env)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := openStorage(ctx, env, allowEmbedded)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, st, log, nil
}

// expireHeld deletes unanswered consent links every minute until ctx ends.
func expireHeld(ctx context.Context, conv *bot.Conversations, log *slog.Logger) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		if err := conv.ExpireHeld(ctx); err != nil && ctx.Err() == nil {
			log.Warn("expire held requests", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// newRequestID is 128 random bits: request IDs key the exactly-once hand-off,
// so they must never collide.
func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the OS has no randomness: nothing is safe
	}
	return hex.EncodeToString(b[:])
}

// storage is a Redis connection and what lives on it.
type storage struct {
	rdb      redis.UniversalClient
	embedded bool
	close    func()
}

// openStorage connects to REDIS_URL, or, when allowEmbedded and it is unset,
// starts an in-memory Redis inside the process.
func openStorage(ctx context.Context, env func(string) string, allowEmbedded bool) (*storage, error) {
	url := env("REDIS_URL")
	if url == "" {
		if !allowEmbedded {
			return nil, errors.New("REDIS_URL is not set")
		}
		rdb, closeFn, err := redisconn.Embedded()
		if err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		return &storage{rdb: rdb, embedded: true, close: closeFn}, nil
	}
	rdb, err := redisconn.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return &storage{rdb: rdb, close: func() { rdb.Close() }}, nil
}

func (c *core) conversations(env func(string) string, st *storage, log *slog.Logger) (*bot.Conversations, error) {
	ttl := c.engine.SessionTTL   // the privacy text quotes it: one setting for both
	dcfg, err := deskConfig(env) // the question counters live under the desk's prefix
	if err != nil {
		return nil, err
	}
	stream := env("HANDOFF_STREAM")
	if stream == "" {
		stream = "wot:handoff"
	}
	return &bot.Conversations{
		Engine:   c.engine,
		Sessions: session.New(st.rdb, "wot:session:", ttl),
		Queue:    handoff.New(st.rdb, stream),
		Held:     held.New(st.rdb, "{wot:held}:"),
		Catalog:  c.catalog,
		Facts:    c.knowledge.TemplateFacts(),
		Now:      time.Now,
		Log:      log,
		Intents:  desk.IntentCounter(st.rdb, dcfg.Prefix, c.knowledge.Location(), log),
	}, nil
}

// newLogger logs structured text to w; LOG_LEVEL picks debug, info, warn or error.
func newLogger(env func(string) string, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(env("LOG_LEVEL")))); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
