package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/redistest"
)

// Two replicas (two clients, one Redis) count one chat together: the burst
// is shared, the note is said once per flood, and other chats are untouched.
func TestSharedAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	prefix := redistest.Prefix(t)
	rdb := redistest.Client(t)
	other := rdb // without REDIS_URL each Client is a miniredis of its own
	if redistest.Real() {
		other = redistest.Client(t)
	}
	replicas := []*Limiter{New(rdb, prefix), New(other, prefix)}
	const limit, window = 5, 2 * time.Second
	allowed, notes := 0, 0
	for i := range 40 {
		ok, notify, err := replicas[i%2].Allow(ctx, "telegram:1", limit, window)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		}
		if notify {
			notes++
		}
		if ok && notify {
			t.Fatal("a note for a message that was allowed")
		}
	}
	if allowed != limit || notes != 1 {
		t.Errorf("40 messages at once over two replicas: %d allowed, %d notes; want %d and 1", allowed, notes, limit)
	}
	if ok, _, err := replicas[0].Allow(ctx, "telegram:2", limit, window); err != nil || !ok {
		t.Errorf("another chat: allowed %v, err %v", ok, err)
	}
	if !redistest.Real() {
		return // miniredis lets keys expire only when told to
	}
	// After a quiet window the chat is heard again, and a new flood gets a
	// new note.
	time.Sleep(window + 100*time.Millisecond)
	allowed, notes = 0, 0
	for range 10 {
		ok, notify, err := replicas[1].Allow(ctx, "telegram:1", limit, window)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		}
		if notify {
			notes++
		}
	}
	if allowed != limit || notes != 1 {
		t.Errorf("after a quiet window: %d allowed, %d notes; want %d and 1", allowed, notes, limit)
	}
}

func TestBadLimit(t *testing.T) {
	l := New(redistest.Client(t), redistest.Prefix(t))
	if _, _, err := l.Allow(context.Background(), "x", 0, time.Second); err == nil {
		t.Error("limit 0 accepted")
	}
}

// BenchmarkAllow is the cost the shared limit adds to each update: one
// script call (EVALSHA) to Redis.
func BenchmarkAllow(b *testing.B) {
	l := New(redistest.Client(b), redistest.Prefix(b))
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if _, _, err := l.Allow(ctx, "telegram:"+string(rune('a'+i%26)), 1_000_000, time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
