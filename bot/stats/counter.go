package stats

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// KeepDays is how long the daily counters are kept: long enough to compare
// a month with the same month a year before. They hold counts only.
const KeepDays = 400

// IntentKeys is the part of a key prefix under which the daily intent
// counters live: the desk puts its own prefix before it, so they are one
// hash per day, "{wot:desk}:stats:intents:2026-11-30", intent -> count.
const IntentKeys = "stats:intents:"

// IntentCounter counts questions per day and intent in Redis.
type IntentCounter struct {
	RDB    redis.UniversalClient
	Prefix string         // such as "{wot:desk}:" + IntentKeys
	Loc    *time.Location // the day boundary; default time.Local
	Log    *slog.Logger   // counting errors, at debug level; nil: none
}

func (c *IntentCounter) key(day string) string { return c.Prefix + day }

// DayKey is the date of t in loc, as the counters name days.
func DayKey(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("2006-01-02")
}

// CountIntent adds one question of intent on the day of at (bot.IntentCounter).
// Intent labels come from the classifier's fixed list.
func (c *IntentCounter) CountIntent(ctx context.Context, at time.Time, intent string) {
	if !label(intent) {
		intent = "other"
	}
	key := c.key(DayKey(at, c.Loc))
	_, err := c.RDB.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, key, intent, 1)
		p.Expire(ctx, key, KeepDays*24*time.Hour)
		return nil
	})
	if err != nil && c.Log != nil {
		c.Log.Debug("count intent", "err", err)
	}
}

// Day returns the counts of one day.
func (c *IntentCounter) Day(ctx context.Context, day time.Time) (map[string]int64, error) {
	return hashCounts(ctx, c.RDB, c.key(DayKey(day, c.Loc)))
}

func hashCounts(ctx context.Context, rdb redis.UniversalClient, key string) (map[string]int64, error) {
	h, err := rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("read counters %s: %w", key, err)
	}
	out := make(map[string]int64, len(h))
	for k, v := range h {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			out[k] = n
		}
	}
	return out, nil
}

// HashCounts reads a hash of counters (the desk's day counters).
func HashCounts(ctx context.Context, rdb redis.UniversalClient, key string) (map[string]int64, error) {
	return hashCounts(ctx, rdb, key)
}

// label reports whether s can be a counter field: a short lower-case word
// (the classifier's intents, topics, urgencies, channels, consent methods).
// Anything else is counted as "other", so no free text becomes a field.
func label(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// Label returns s when it can be a counter field, else "other".
func Label(s string) string {
	if label(s) {
		return s
	}
	return "other"
}
