package redistest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestClientAndPrefix(t *testing.T) {
	ctx := context.Background()
	rdb := Client(t)
	p1, p2 := Prefix(t), Prefix(t)
	if p1 == p2 {
		t.Fatalf("two prefixes are equal: %q", p1)
	}
	if !strings.HasPrefix(p1, "test:") || !strings.HasSuffix(p1, ":") {
		t.Errorf("prefix %q does not look like test:<random>:", p1)
	}
	if err := rdb.Set(ctx, p1+"k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := rdb.Get(ctx, p1+"k").Result(); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v", got, err)
	}
}

func TestDeletePrefix(t *testing.T) {
	ctx := context.Background()
	rdb := Client(t)
	mine, other := Prefix(t), Prefix(t)
	keys := []string{mine + "a", mine + "b:c", "{" + mine + "stream}:idem:1", other + "a", "{" + other + "s}:idem:1"}
	for _, k := range keys {
		if err := rdb.Set(ctx, k, "x", 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	if err := DeletePrefix(ctx, rdb, mine); err != nil {
		t.Fatalf("DeletePrefix: %v", err)
	}
	for _, k := range keys {
		err := rdb.Get(ctx, k).Err()
		gone := errors.Is(err, redis.Nil)
		wantGone := strings.Contains(k, mine)
		if gone != wantGone {
			t.Errorf("key %s: gone=%v, want %v (err %v)", k, gone, wantGone, err)
		}
	}
}

func TestGlobEscape(t *testing.T) {
	if got, want := globEscape(`a*b?[c]\d`), `a\*b\?\[c\]\\d`; got != want {
		t.Errorf("globEscape = %q, want %q", got, want)
	}
}

func TestServerRestartKeepsAOFData(t *testing.T) {
	ctx := context.Background()
	srv := StartServer(t, WithAOF())
	rdb := srv.Client()
	if err := rdb.Set(ctx, "durable", "yes", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	srv.Stop()
	pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err == nil {
		t.Fatal("server still answers after Stop")
	}
	srv.Restart()
	got, err := rdb.Get(ctx, "durable").Result()
	if err != nil || got != "yes" {
		t.Fatalf("after restart GET = %q, %v; want the value kept by the AOF", got, err)
	}
}

func TestServerWithoutAOFLosesData(t *testing.T) {
	// The counterpart of the AOF test: it shows Stop is a real crash, not a
	// clean shutdown that would save a snapshot.
	ctx := context.Background()
	srv := StartServer(t)
	rdb := srv.Client()
	if err := rdb.Set(ctx, "volatile", "yes", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	srv.Restart()
	if err := rdb.Get(ctx, "volatile").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("after a kill without AOF GET err = %v, want redis.Nil", err)
	}
}
