package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/dialog"
)

var monday = time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CET", 3600))

func text(chat, s string) bot.Inbound {
	return bot.Inbound{Channel: "test", ChatID: chat, Msg: dialog.Message{Kind: dialog.KindText, Text: s}}
}

func mustHandle(t testing.TB, c *bot.Conversations, in bot.Inbound) []dialog.Reply {
	t.Helper()
	replies, err := c.Handle(context.Background(), in)
	if err != nil {
		t.Fatalf("handle %q: %v", in.Msg.Text, err)
	}
	return replies
}

func lastStep(r []dialog.Reply) dialog.Step { return r[len(r)-1].Step }

// Two replicas handling two messages of one chat at the same moment: each
// message is applied to the state the other left, never to a stale copy.
func TestTwoReplicasLoseNoStep(t *testing.T) {
	s := bottest.New(t, bottest.WithNow(func() time.Time { return monday }))
	a, b := s.Conversations, s.Replica()
	for i := 0; i < 20; i++ {
		chat := fmt.Sprintf("cas-%d", i)
		mustHandle(t, a, text(chat, "ik wil me aanmelden"))
		mustHandle(t, a, text(chat, "1"))
		// "het kan wachten" is a description at description and an answer at
		// urgency: applied twice in turn it reaches name; a lost update stops
		// at urgency.
		var wg sync.WaitGroup
		for _, c := range []*bot.Conversations{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); mustHandle(t, c, text(chat, "het kan wachten")) }()
		}
		wg.Wait()
		if got := lastStep(mustHandle(t, b, text(chat, "help"))); got != dialog.StepName {
			t.Fatalf("chat %s: step %q after two concurrent answers, want name", chat, got)
		}
	}
}

// The same update delivered to both replicas is handled once.
func TestRedeliveredUpdateHandledOnce(t *testing.T) {
	s := bottest.New(t)
	a, b := s.Conversations, s.Replica()
	for seq := int64(1); seq <= 30; seq++ {
		in := text("redeliver", "wat kost het?")
		in.Seq = seq
		var wg sync.WaitGroup
		var mu sync.Mutex
		answered := 0
		for _, c := range []*bot.Conversations{a, b, a} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if len(mustHandle(t, c, in)) > 0 {
					mu.Lock()
					answered++
					mu.Unlock()
					// As a channel does once the replies went out.
					if err := c.MarkDelivered(context.Background(), in); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if answered != 1 {
			t.Fatalf("update %d answered %d times", seq, answered)
		}
	}
	old := text("redeliver", "wat kost het?")
	old.Seq = 3
	if r := mustHandle(t, a, old); len(r) != 0 {
		t.Fatalf("an old update was handled again: %+v", r)
	}
	// A delivery overtaken by a later one is still handled, once.
	late := text("redeliver", "wat kost het?")
	late.Seq = 100
	mustHandle(t, a, late)
	late.Seq = 99
	if r := mustHandle(t, b, late); len(r) == 0 {
		t.Fatal("an update that arrived after a later one was dropped")
	}
	if err := b.MarkDelivered(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	if r := mustHandle(t, a, late); len(r) != 0 {
		t.Fatal("an overtaken update was handled twice")
	}
}

// A process that saved a turn and died before sending its replies: the
// redelivered update gets those replies, without running the turn again.
func TestRedeliveredUpdateGetsLostReplies(t *testing.T) {
	s := bottest.New(t)
	a, b := s.Conversations, s.Replica()
	b.RedeliveryGrace = 50 * time.Millisecond
	mustHandle(t, a, text("lost", "ik wil me aanmelden"))
	in := text("lost", "1")
	in.Seq = 7
	first := mustHandle(t, a, in) // ... and the process dies: nothing sent
	again := mustHandle(t, b, in)
	if len(again) == 0 || again[len(again)-1].Text != first[len(first)-1].Text || lastStep(again) != dialog.StepDescription {
		t.Fatalf("redelivery answered %+v, want the lost %+v", again, first)
	}
	if err := b.MarkDelivered(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if r := mustHandle(t, a, in); len(r) != 0 {
		t.Fatalf("delivered replies sent again: %+v", r)
	}
	if got := lastStep(mustHandle(t, a, text("lost", "help"))); got != dialog.StepDescription {
		t.Fatalf("step %q: the redelivered turn ran twice", got)
	}
}

// flakyQueue fails while down is set.
type flakyQueue struct {
	bot.Queue
	down bool
}

func (q *flakyQueue) Enqueue(ctx context.Context, r dialog.Request) (string, bool, error) {
	if q.down {
		return "", false, errors.New("connection refused")
	}
	return q.Queue.Enqueue(ctx, r)
}

func TestSubmitFailureKeepsAnswers(t *testing.T) {
	s := bottest.New(t, bottest.WithNow(func() time.Time { return monday }))
	q := &flakyQueue{Queue: s.Conversations.Queue, down: true}
	s.Conversations.Queue = q
	c := s.Conversations
	for _, m := range []string{"ik wil me aanmelden", "1", "Ik heb schulden.", "1", "Jan", "0612345678", "1", "ja"} {
		mustHandle(t, c, text("flaky", m))
	}
	replies, err := c.Handle(context.Background(), text("flaky", "Versturen"))
	if err == nil || len(replies) == 0 || !strings.Contains(replies[0].Text, "010-754 15 15") {
		t.Fatalf("failed submit: err %v, replies %+v", err, replies)
	}
	q.down = false
	replies = mustHandle(t, c, text("flaky", "Versturen"))
	if lastStep(replies) != dialog.StepDone {
		t.Fatalf("retry after failure: %+v", replies)
	}
	n, err := s.Redis.XLen(context.Background(), s.Stream).Result()
	if err != nil || n != 1 {
		t.Fatalf("stream length %d (%v), want 1", n, err)
	}
}

func TestForgetErasesSession(t *testing.T) {
	s := bottest.New(t)
	c := s.Conversations
	mustHandle(t, c, text("forget", "ik wil me aanmelden"))
	mustHandle(t, c, text("forget", "1"))
	mustHandle(t, c, text("forget", "/vergeet"))
	mustHandle(t, c, text("forget", "ja"))
	keys, err := s.Redis.Keys(context.Background(), s.SessionPrefix+"*").Result()
	if err != nil || len(keys) != 0 {
		t.Fatalf("session keys after /vergeet: %v (%v)", keys, err)
	}
	if got := lastStep(mustHandle(t, c, text("forget", "Mijn verhaal"))); got != dialog.StepNone {
		t.Fatalf("conversation continued an erased intake: step %q", got)
	}
}

// BenchmarkIntakeMessage is one intake message through the whole path: load
// the session from Redis, run the engine, save it back.
func BenchmarkIntakeMessage(b *testing.B) {
	s := bottest.New(b, bottest.WithNow(func() time.Time { return monday }))
	c := s.Conversations
	mustHandle(b, c, text("bench", "ik wil me aanmelden"))
	msgs := []string{"1", "terug"} // topic -> description -> topic: a real step each time
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mustHandle(b, c, text("bench", msgs[i%2]))
	}
}

// BenchmarkWholeIntake is a resident's whole intake, 12 messages, to the
// entry on the hand-off stream.
func BenchmarkWholeIntake(b *testing.B) {
	s := bottest.New(b, bottest.WithNow(func() time.Time { return monday }))
	c := s.Conversations
	msgs := []string{"hallo", "ik wil me aanmelden", "1", "Ik heb schulden en de deurwaarder komt.", "2", "Jan de Vries",
		"06-12345678", "1", "ja", "Iets wijzigen", "Uw naam", "Jan"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		chat := fmt.Sprintf("whole-%d", i)
		for _, m := range msgs {
			mustHandle(b, c, text(chat, m))
		}
		if r := mustHandle(b, c, text(chat, "Versturen")); lastStep(r) != dialog.StepDone {
			b.Fatalf("intake did not finish: %+v", r)
		}
	}
}

// BenchmarkRedisRoundTrip is one bare PING, the floor under every message.
func BenchmarkRedisRoundTrip(b *testing.B) {
	s := bottest.New(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if err := s.Redis.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzMessagePath sends arbitrary messages down the whole path (session in
// Redis, engine, effects) in one chat: every message gets a non-empty reply,
// nothing errors, and the stored session stays readable.
func FuzzMessagePath(f *testing.F) {
	for _, s := range []string{"", "ik wil me aanmelden", "1", "terug", "/vergeet", "/start abc", "Versturen",
		"\x00\x1b[31m", "🙂🙂🙂", "ⓦⓞⓣ", strings.Repeat("x", 5000), "ik wil niet meer leven", "06-12345678",
		"https://wot-schiedam.example/login?verify=1", "@wot", "\u3164", "\u2067Piet\u2069"} {
		f.Add(s, uint8(0))
	}
	stack := bottest.New(f)
	c := stack.Conversations
	kinds := []dialog.Kind{dialog.KindText, dialog.KindOption, dialog.KindVoice, dialog.KindContact, dialog.KindOther}
	var seq int64
	f.Fuzz(func(t *testing.T, s string, k uint8) {
		seq++
		in := bot.Inbound{Channel: "fuzz", ChatID: "one", Seq: seq, Msg: dialog.Message{Kind: kinds[int(k)%len(kinds)], Text: s, Data: s}}
		replies, err := c.Handle(context.Background(), in)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if len(replies) == 0 {
			t.Fatalf("%q: no reply", s)
		}
		for _, r := range replies {
			if strings.TrimSpace(r.Text) == "" {
				t.Fatalf("%q: empty reply %+v", s, replies)
			}
		}
	})
}
