package desk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// GroupPacer shares the pace of a group chat among every process that
// sends there: Telegram's limit is per bot and group, and each replica that
// runs the desk sends to the same staff chat.
type GroupPacer interface {
	// Wait blocks until a message may go to the chat, and takes its turn.
	Wait(ctx context.Context, chatID int64) error
	// Hold makes every message to the chat wait d (Telegram's retry_after).
	Hold(ctx context.Context, chatID int64, d time.Duration) error
}

// paceScript is GCRA (a token bucket kept as one timestamp).
// KEYS: the chat's pace hash (tat: theoretical arrival time, hold: held
// until), both in ms, with a fraction. ARGV: now ms, interval ms (a
// fraction at high rates), burst.
// Returns 0 when a message may go now (its turn is taken), else the ms to wait.
var paceScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tat', 'hold')
local hold = tonumber(v[2]) or 0
if hold > now then return hold - now end
local tat = math.max(tonumber(v[1]) or now, now)
local allow = tat + interval - burst * interval
if now < allow then return math.ceil(allow - now) end
redis.call('HSET', KEYS[1], 'tat', string.format('%.3f', tat + interval))
redis.call('PEXPIRE', KEYS[1], math.ceil(tat + interval - now) + 60000)
return 0
`)

// holdScript: KEYS the chat's pace hash; ARGV now ms, hold ms. The hold
// only grows.
var holdScript = redis.NewScript(`
local upto = tonumber(ARGV[1]) + tonumber(ARGV[2])
local hold = tonumber(redis.call('HGET', KEYS[1], 'hold')) or 0
if upto > hold then redis.call('HSET', KEYS[1], 'hold', upto) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + 60000)
return 0
`)

// redisPace is the desk's GroupPacer, in Redis. It keeps to real time
// (not the desk's clock, which tests move).
type redisPace struct {
	rdb       redis.UniversalClient
	prefix    string
	perMinute int
}

func (p redisPace) key(chatID int64) string {
	return p.prefix + "pace:" + strconv.FormatInt(chatID, 10)
}

// Wait implements GroupPacer. It fails at once when ctx's deadline comes
// before the chat's turn.
func (p redisPace) Wait(ctx context.Context, chatID int64) error {
	burst, perSec := groupBudget(p.perMinute)
	interval := strconv.FormatFloat(1000/perSec, 'f', 3, 64)
	for {
		ms, err := paceScript.Run(ctx, p.rdb, []string{p.key(chatID)}, time.Now().UnixMilli(), interval, burst).Int64()
		if err != nil {
			return fmt.Errorf("staff chat pace: %w", err)
		}
		if ms <= 0 {
			return nil
		}
		wait := time.Duration(ms) * time.Millisecond
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("staff chat pace: next turn in %v", wait.Round(time.Millisecond))
		}
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// Hold implements GroupPacer.
func (p redisPace) Hold(ctx context.Context, chatID int64, d time.Duration) error {
	err := holdScript.Run(context.WithoutCancel(ctx), p.rdb, []string{p.key(chatID)}, time.Now().UnixMilli(), d.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("hold staff chat pace: %w", err)
	}
	return nil
}

func newGroupPacer(rdb redis.UniversalClient, cfg Config) GroupPacer {
	return redisPace{rdb: rdb, prefix: cfg.Prefix, perMinute: cfg.StaffChatPerMinute}
}
