// Package redistest gives tests a Redis: the one REDIS_URL names when it is
// set (tests then share a server, so each test works under its own key
// prefix), otherwise a private in-memory miniredis. StartServer runs a real
// redis-server process that a test may kill and restart, for outage and
// durability tests.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/redisconn"
)

// Client returns a Redis client for t, closed when t ends. With REDIS_URL
// set it connects there and fails the test when that server is unreachable
// (a silently skipped Redis test hides a broken set-up); without it, it
// starts a miniredis that lives as long as t.
func Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	if url := os.Getenv("REDIS_URL"); url != "" {
		rdb, err := redisconn.Open(context.Background(), url)
		if err != nil {
			t.Fatalf("REDIS_URL is set but Redis is unreachable: %v", err)
		}
		t.Cleanup(func() { rdb.Close() })
		return rdb
	}
	mr := miniredis.RunT(t)
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{mr.Addr()}})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Real reports whether tests run against the real Redis in REDIS_URL.
func Real() bool { return os.Getenv("REDIS_URL") != "" }

// Prefix returns a key prefix unique to t, such as "test:3f9a0c1b2d4e:".
// When t ends, the keys under it on the REDIS_URL server are deleted: those
// that start with the prefix and those that start with "{" and the prefix
// (hash-tagged keys, such as a hand-off stream's idempotency keys). Without
// REDIS_URL the test's miniredis is thrown away whole.
func Prefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random prefix: %v", err)
	}
	prefix := "test:" + hex.EncodeToString(b[:]) + ":"
	if url := os.Getenv("REDIS_URL"); url != "" {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			rdb, err := redisconn.Open(ctx, url)
			if err != nil {
				t.Errorf("clean up keys %s*: %v", prefix, err)
				return
			}
			defer rdb.Close()
			if err := DeletePrefix(ctx, rdb, prefix); err != nil {
				t.Errorf("clean up keys %s*: %v", prefix, err)
			}
		})
	}
	return prefix
}

// DeletePrefix deletes the keys that start with prefix or with "{"+prefix,
// on every master when rdb is a cluster. It uses SCAN, never FLUSHDB: other
// tests' keys on the same server stay.
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	clean := func(ctx context.Context, c redis.UniversalClient) error {
		for _, pattern := range []string{globEscape(prefix) + "*", "{" + globEscape(prefix) + "*"} {
			iter := c.Scan(ctx, 0, pattern, 500).Iterator()
			var batch []string
			for iter.Next(ctx) {
				batch = append(batch, iter.Val())
			}
			if err := iter.Err(); err != nil {
				return fmt.Errorf("scan %s: %w", pattern, err)
			}
			// One key per DEL: in a cluster the keys may sit in different slots.
			for _, k := range batch {
				if err := c.Del(ctx, k).Err(); err != nil {
					return fmt.Errorf("del %s: %w", k, err)
				}
			}
		}
		return nil
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return clean(ctx, c)
		})
	}
	return clean(ctx, rdb)
}

// globEscape quotes the characters SCAN MATCH treats as wildcards.
func globEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
