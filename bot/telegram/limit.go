package telegram

import (
	"context"
	"strconv"
	"time"
)

// RateLimiter counts a chat's messages for every replica together
// (*ratelimit.Limiter, on Redis). Allow reports whether a message may be
// handled and, when not, whether it is the first of the flood, which gets
// the slow-down note.
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) (ok, notify bool, err error)
}

// WithRateLimiter limits chats through l, shared by the replicas, instead
// of in this process alone.
func WithRateLimiter(l RateLimiter) Option { return func(c *Channel) { c.limiter = l } }

// limit applies Config.RateLimit to a message of chatID that arrived at t,
// before anything of it reaches the Bot API. With a shared limiter that
// fails (Redis down), the chat's own limiter in this process decides.
func (c *Channel) limit(ctx context.Context, chatID int64, ch *chat, t time.Time) (drop, notify bool) {
	if c.limiter != nil {
		// A Redis that hangs must not hold the chat up: past this the
		// process's own count decides.
		lctx, cancel := context.WithTimeout(ctx, sharedLimitWait)
		ok, notify, err := c.limiter.Allow(lctx, "telegram:"+strconv.FormatInt(chatID, 10), c.cfg.RateLimit, c.cfg.RateWindow)
		cancel()
		if err == nil {
			return !ok, notify
		}
		c.m.errors.WithLabelValues("rate_limit").Inc()
		c.log.Warn("shared rate limit unavailable; limiting in this process", "chat", chatRef{c, chatID}, "err", err)
	}
	return ch.limited(t, c.cfg.RateLimit, c.cfg.RateWindow)
}

// sharedLimitWait bounds one call to the shared limiter.
const sharedLimitWait = 500 * time.Millisecond
