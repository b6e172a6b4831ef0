package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/redistest"
)

// The burst goes at once, then one turn per interval, for two replicas
// together; a hold stops every turn; a turn past the deadline fails at once.
func TestPacer(t *testing.T) {
	ctx := context.Background()
	prefix := redistest.Prefix(t)
	rdb := redistest.Client(t)
	other := rdb // without REDIS_URL each Client is a miniredis of its own
	if redistest.Real() {
		other = redistest.Client(t)
	}
	// 600 a minute: one turn per 100 ms, after a burst of 2.
	replicas := []*Pacer{NewPacer(rdb, prefix, 600, time.Minute, 2), NewPacer(other, prefix, 600, time.Minute, 2)}
	start := time.Now()
	for i := range 6 {
		if err := replicas[i%2].Wait(ctx, "-100"); err != nil {
			t.Fatal(err)
		}
	}
	// Turns 3..6 wait 100 ms each.
	if got := time.Since(start); got < 350*time.Millisecond || got > 2*time.Second {
		t.Errorf("6 turns at 2 + 10/s took %v, want about 400 ms", got)
	}
	if err := replicas[1].Hold(ctx, "-100", 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// A hold only grows.
	if err := replicas[0].Hold(ctx, "-100", 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := replicas[0].Wait(short, "-100"); err == nil {
		t.Error("a turn 500 ms away was taken within a 100 ms deadline")
	}
	held := time.Now()
	if err := replicas[0].Wait(ctx, "-100"); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(held); got < 400*time.Millisecond {
		t.Errorf("turn after a 500 ms hold came after %v", got)
	}
	// Another key has its own pace.
	other0 := time.Now()
	for range 2 {
		if err := replicas[0].Wait(ctx, "-200"); err != nil {
			t.Fatal(err)
		}
	}
	if got := time.Since(other0); got > 90*time.Millisecond {
		t.Errorf("another chat's burst waited %v", got)
	}
}
