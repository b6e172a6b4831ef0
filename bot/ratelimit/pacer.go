package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Pacer spaces what is sent to one destination (a Telegram group) for every
// process that sends there. It is the same GCRA as Limiter, in Redis, but a
// caller waits for its turn instead of being refused; and a hold (Telegram's
// retry_after) stops every turn for a while.
type Pacer struct {
	rdb    redis.UniversalClient
	gcra   *redis_rate.Limiter
	prefix string
	limit  redis_rate.Limit
}

// NewPacer returns a pacer that lets burst messages go at once, then rate
// per period. Its keys are "rate:"+prefix+key (the GCRA's, kept by
// redis_rate) and prefix+key+":hold"; both expire by themselves.
func NewPacer(rdb redis.UniversalClient, prefix string, rate int, period time.Duration, burst int) *Pacer {
	return &Pacer{rdb: rdb, gcra: redis_rate.NewLimiter(rdb), prefix: prefix,
		limit: redis_rate.Limit{Rate: max(rate, 1), Period: period, Burst: max(burst, 1)}}
}

// Wait blocks until a message to key may go, and takes its turn. It fails
// at once when ctx's deadline comes before the turn.
func (p *Pacer) Wait(ctx context.Context, key string) error {
	for {
		wait, err := p.turn(ctx, key)
		if err != nil {
			return err
		}
		if wait <= 0 {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("next turn in %v", wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// turn takes key's turn when it is free now, or says how long to wait.
func (p *Pacer) turn(ctx context.Context, key string) (time.Duration, error) {
	until, err := p.rdb.Get(ctx, p.holdKey(key)).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("pace hold: %w", err)
	}
	if held := time.Until(time.UnixMilli(until)); held > 0 {
		return held, nil
	}
	res, err := p.gcra.Allow(ctx, p.prefix+key, p.limit)
	if err != nil {
		return 0, fmt.Errorf("pace: %w", err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}

// holdScript holds a key until now + d; a hold only grows. The hold is
// kept as a time, not as the key's expiry, which an in-memory Redis in
// tests does not count down.
//
//	KEYS[1] the hold key (ms since the epoch until which it holds)
//	ARGV[1] now ms   ARGV[2] d ms
var holdScript = redis.NewScript(`
local upto = tonumber(ARGV[1]) + tonumber(ARGV[2])
local hold = tonumber(redis.call('GET', KEYS[1])) or 0
if upto > hold then redis.call('SET', KEYS[1], upto, 'PX', tonumber(ARGV[2]) + 60000) end
return 0
`)

// Hold makes every message to key wait d, counted from now.
func (p *Pacer) Hold(ctx context.Context, key string, d time.Duration) error {
	if d <= 0 {
		return errors.New("ratelimit: hold must be positive")
	}
	if err := holdScript.Run(ctx, p.rdb, []string{p.holdKey(key)}, time.Now().UnixMilli(), d.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("pace hold: %w", err)
	}
	return nil
}

func (p *Pacer) holdKey(key string) string { return p.prefix + key + ":hold" }
