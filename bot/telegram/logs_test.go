package telegram

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/bottest"
)

// syncBuffer collects log output written from the channel's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// failScripts fails every Lua script call: sessions load, but do not save.
type failScripts struct{}

func (failScripts) DialHook(next redis.DialHook) redis.DialHook { return next }
func (failScripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if n := cmd.Name(); n == "evalsha" || n == "eval" {
			err := errors.New("READONLY simulated failure")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}
func (failScripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// Issue 11, item 7: when Redis fails, the error that reaches the log names
// neither the session key ("telegram:<chat id>") nor the chat id, which
// the log's "chat" field only gives as a keyed hash; nor what the resident
// wrote.
func TestRedisErrorsLogNoChatOrPersonalData(t *testing.T) {
	const chat = 7350912843
	for name, failing := range map[string]func(t *testing.T) redis.UniversalClient{
		"refused": func(t *testing.T) redis.UniversalClient {
			rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
			t.Cleanup(func() { rdb.Close() })
			return rdb
		},
		"error reply": func(t *testing.T) redis.UniversalClient {
			mr := miniredis.RunT(t)
			mr.SetError("ERR simulated failure")
			rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
			t.Cleanup(func() { rdb.Close() })
			return rdb
		},
		"save fails": func(t *testing.T) redis.UniversalClient {
			mr := miniredis.RunT(t)
			rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
			rdb.AddHook(failScripts{})
			t.Cleanup(func() { rdb.Close() })
			return rdb
		},
	} {
		t.Run(name, func(t *testing.T) {
			var logs syncBuffer
			stack := bottest.New(t, bottest.WithRedis(failing(t)), bottest.WithLog(&logs))
			srv := newServer(t)
			ch, err := New(testConfig(srv), stack.Conversations, stack.Catalog,
				WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = ch.Run(ctx); close(done) }()
			t.Cleanup(func() { cancel(); <-done })

			for i, text := range []string{"/start", "Ik ben Piet Jansen, bel 0612345678"} {
				srv.SendText(chat, chat, text, "nl")
				if _, err := srv.WaitSent(chat, i+1, 5*time.Second); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(100 * time.Millisecond)
			out := logs.String()
			if !strings.Contains(out, "handle update") || !strings.Contains(out, "err=") {
				t.Fatalf("the failure was not logged; the test proves nothing:\n%s", out)
			}
			for _, secret := range []string{"7350912843", "telegram:", "Piet", "Jansen", "0612345678"} {
				if strings.Contains(out, secret) {
					t.Errorf("log holds %q:\n%s", secret, out)
				}
			}
		})
	}
}
