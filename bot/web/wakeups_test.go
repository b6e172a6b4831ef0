package web

import (
	"context"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/redistest"
)

// After Redis comes back, the subscription is made again and every page is
// told to look: wake-ups published while it was gone are not waited for
// until the next poll.
func TestWakeupsAfterRedisRestart(t *testing.T) {
	srv := redistest.StartServer(t)
	rdb := srv.Client()
	s := NewStore(rdb, "t:web:", time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake := s.Wakeups(ctx)
	if err := s.Notify(ctx, "0123456789abcdef0123456789abcdef", "hallo"); err != nil {
		t.Fatal(err)
	}
	select {
	case chat := <-wake:
		if chat != "0123456789abcdef0123456789abcdef" {
			t.Fatalf("woken for %q", chat)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up")
	}
	srv.Restart()
	select {
	case chat := <-wake:
		if chat != "" {
			t.Fatalf("after a restart: woken for %q, want every chat", chat)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no wake-up of every page after Redis came back")
	}
	cancel()
	for range wake { // closes once ctx ended
	}
}
