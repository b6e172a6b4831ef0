// Package ratelimit is the bot's one rate limiter (GCRA in Redis,
// github.com/go-redis/redis_rate), shared by all replicas: Limiter refuses
// what a chat sends too fast (a flood spread by a load balancer over several
// replicas is limited as one), and Pacer makes what the bot sends to a
// group (the staff chat) wait for its turn.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limiter decides per key (a chat) whether a message is handled.
type Limiter struct {
	rdb    redis.UniversalClient
	gcra   *redis_rate.Limiter
	prefix string
}

// New returns a limiter on rdb. Its keys are "rate:"+prefix+key (the
// count, kept by redis_rate) and "rate:"+prefix+key+":noted" (whether the
// flood was told to slow down); both expire by themselves.
func New(rdb redis.UniversalClient, prefix string) *Limiter {
	return &Limiter{rdb: rdb, gcra: redis_rate.NewLimiter(rdb), prefix: prefix}
}

// Allow counts one message under key against limit messages per window
// (a burst of limit, then limit per window) and reports whether it may be
// handled. When it may not, notify is true for the first message of the
// flood only: the note "please wait" is said once, and again only after the
// chat kept quiet for a window.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (ok, notify bool, err error) {
	if limit <= 0 || window <= 0 {
		return false, false, errors.New("ratelimit: limit and window must be positive")
	}
	res, err := l.gcra.Allow(ctx, l.prefix+key, redis_rate.Limit{Rate: limit, Burst: limit, Period: window})
	if err != nil {
		return false, false, fmt.Errorf("rate limit: %w", err)
	}
	if res.Allowed > 0 {
		return true, false, nil
	}
	// SET ... GET answers the old value and renews the expiry in one step:
	// nil means no note went out during this flood yet.
	err = l.rdb.SetArgs(ctx, "rate:"+l.prefix+key+":noted", 1, redis.SetArgs{TTL: window, Get: true}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, true, nil
	case err != nil:
		return false, false, fmt.Errorf("rate limit note: %w", err)
	}
	return false, false, nil
}
