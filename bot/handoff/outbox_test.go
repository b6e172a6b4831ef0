package handoff_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/dialog"
)

// crashAfterLoad kills Redis right after a session was loaded, once armed:
// Redis dies in the middle of the turn that submits the request.
type crashAfterLoad struct {
	bot.SessionStore
	armed atomic.Bool
	kill  func()
}

func (c *crashAfterLoad) Load(ctx context.Context, key string) ([]byte, int64, error) {
	data, v, err := c.SessionStore.Load(ctx, key)
	if c.armed.CompareAndSwap(true, false) {
		c.kill()
	}
	return data, v, err
}

func TestOutboxDeliversOnceAfterRedisOutage(t *testing.T) {
	srv := redistest.StartServer(t, redistest.WithAOF())
	rdb := srv.Client()
	ctx := context.Background()
	stack := bottest.New(t, bottest.WithRedis(rdb))
	conv := stack.Conversations
	ob := handoff.NewOutbox(filepath.Join(t.TempDir(), "state", "outbox.jsonl"), conv.Queue, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer ob.Close()
	conv.Queue = ob
	crash := &crashAfterLoad{SessionStore: conv.Sessions, kill: srv.Stop}
	conv.Sessions = crash

	say := func(text string) ([]dialog.Reply, error) {
		return conv.Handle(ctx, bot.Inbound{Channel: "terminal", ChatID: "outbox", Lang: "nl", Msg: dialog.Message{Kind: dialog.KindText, Text: text}})
	}
	for _, line := range []string{"ik wil me aanmelden", "Geld en schulden", "Ik heb een brief gekregen. Ik weet niet wat ik moet doen.",
		"2", "Fatima", "06-12345678", "Bij het WOT", "ja"} {
		if _, err := say(line); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
	}
	crash.armed.Store(true)
	replies, err := say("Versturen")
	if err == nil {
		t.Fatal("Versturen with Redis gone: the session was saved?")
	}
	// Told plainly: kept, with the reference and the phone number.
	phone := stack.Knowledge.Facts().CareLine.Phone
	if len(replies) != 1 || replies[0].Ref == "" || !strings.Contains(replies[0].Text, replies[0].Ref) ||
		!strings.Contains(replies[0].Text, "bewaard") || !strings.Contains(replies[0].Text, phone) {
		t.Fatalf("resident told %+v", replies)
	}
	ref := replies[0].Ref
	if n, err := ob.Pending(); n != 1 || err != nil {
		t.Fatalf("outbox holds %d (%v), want 1", n, err)
	}
	// Still down: nothing delivered, nothing lost.
	if _, err := ob.Flush(ctx); err == nil {
		t.Fatal("flush succeeded with Redis down")
	}
	srv.Restart()
	if n, err := ob.Flush(ctx); n != 1 || err != nil {
		t.Fatalf("flush after restart: %d, %v", n, err)
	}
	// The resident taps Versturen again, as the reply asked: no second entry.
	replies, err = say("Versturen")
	if err != nil || replies[len(replies)-1].Ref != ref {
		t.Fatalf("second Versturen: %+v %v, want reference %s", replies, err, ref)
	}
	if n, _ := ob.Flush(ctx); n != 0 {
		t.Errorf("flushed %d again", n)
	}
	if n, _ := rdb.XLen(ctx, stack.Stream).Result(); n != 1 {
		t.Fatalf("%d entries on the stream, want exactly 1", n)
	}
	if n, _ := ob.Pending(); n != 0 {
		t.Errorf("outbox not empty")
	}
}

func TestOutboxSurvivesRestartAndSkipsInvalid(t *testing.T) {
	queue, rdb := newQueue(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	down := failingQueue{}
	ob := handoff.NewOutbox(path, down, slog.New(slog.NewTextHandler(io.Discard, nil)))
	req := request("outbox-1")
	if _, _, err := ob.Enqueue(ctx, req); !errors.Is(err, handoff.ErrKept) || !errors.Is(err, bot.ErrKept) {
		t.Fatal(err)
	}
	ob.Close()
	// An invalid request in the file (an older version kept it).
	bad := request("outbox-bad")
	bad.Urgency = "x"
	line, _ := json.Marshal(map[string]any{"request": bad})
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(append(line, '\n'))
	f.Close()
	// A new process on the same file delivers it.
	ob2 := handoff.NewOutbox(path, queue, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer ob2.Close()
	if n, err := ob2.Flush(ctx); n != 1 || err != nil {
		t.Fatalf("flush: %d %v", n, err)
	}
	if n, _ := rdb.XLen(ctx, queue.Stream()).Result(); n != 1 {
		t.Fatalf("stream has %d", n)
	}
	// Invalid requests are refused at once, not kept.
	if _, _, err := handoff.NewOutbox(path, queue, slog.New(slog.NewTextHandler(io.Discard, nil))).Enqueue(ctx, bad); !errors.Is(err, handoff.ErrInvalid) {
		t.Errorf("invalid: %v", err)
	}
}

type failingQueue struct{}

func (failingQueue) Enqueue(context.Context, dialog.Request) (string, bool, error) {
	return "", false, errors.New("dial tcp: connection refused")
}
