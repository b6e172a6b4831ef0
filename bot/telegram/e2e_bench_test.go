package telegram

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/bottest"
	"github.com/wotschiedam/wotbot/bot/redistest"
	"github.com/wotschiedam/wotbot/bot/telegramtest"
	"github.com/wotschiedam/wotbot/dialog"
)

// intakeScript is what each benchmark chat types, over and over: a question,
// then a whole intake up to Versturen. Every message loads and saves the
// session in Redis; Versturen also adds to the hand-off stream.
var intakeScript = []string{
	"wat kost het?", "ik wil me aanmelden", "1", "Ik heb een brief van de deurwaarder gekregen.", "1",
	"Anna Bakker", "06-12345678", "1", "ja", "Versturen",
}

// BenchmarkEndToEnd is the whole path at a steady offered load: the fake Bot
// API server -> getUpdates (the bot's own Bot API client) -> per-chat
// dispatcher -> Conversations (session in Redis, dialog engine, classifier,
// knowledge) -> sendMessage at the fake server. 1,000 chats each walk
// through intakeScript. It reports updates handled per second and the
// median and p99 time from an update being queued at "Telegram" to its
// last reply arriving there. Run with REDIS_URL for the real figure;
// BENCH_RATE sets another offered rate (updates per second).
func BenchmarkEndToEnd(b *testing.B) { benchEndToEnd(b, false) }

// BenchmarkEndToEndInbox is BenchmarkEndToEnd with long polling through the
// Redis inbox (WithInbox), as `serve` polls: every update is written to
// Redis before it is confirmed, read from there, and acknowledged.
func BenchmarkEndToEndInbox(b *testing.B) { benchEndToEnd(b, true) }

func benchEndToEnd(b *testing.B, withInbox bool) {
	const chats = 1000
	rate := 2000 // updates per second offered (the target load)
	if r, err := strconv.Atoi(os.Getenv("BENCH_RATE")); err == nil && r > 0 {
		rate = r
	}
	if !redistest.Real() {
		b.Log("REDIS_URL is not set: Redis is an in-process miniredis that takes the bot's own CPU, so these are not the figures of a real deployment; set REDIS_URL=redis://127.0.0.1:6379/0")
	}
	stack := bottest.New(b)
	rec := &replyClock{Handler: stack.Conversations, due: map[int64][]dueReplies{}, done: map[int64]time.Time{}}
	// Lean: Telegram keeps what the bot sent in its own memory, not in the
	// bot's heap, where a record of every message would be marked by each
	// garbage collection of the bot.
	srv := telegramtest.New(telegramtest.Lean(), telegramtest.OnMessage(rec.arrived))
	b.Cleanup(srv.Close)
	cfg := testConfig(srv)
	cfg.RateLimit = 1 << 20
	if withInbox {
		startWith(b, cfg, rec, WithInbox(stack.Redis, "{"+redistest.Prefix(b)+"inbox}:"))
	} else {
		start(b, cfg, rec)
	}

	// Warm up as a running bot is: connections open, every chat seen once.
	for chat := int64(1); chat <= chats; chat++ {
		srv.SendText(chat, chat, "hallo", "nl")
	}
	for wait := time.Now().Add(30 * time.Second); rec.count() < chats && time.Now().Before(wait); {
		time.Sleep(5 * time.Millisecond)
	}
	rec.reset()

	n := max(b.N, 10_000)
	queued := make([]time.Time, 0, n)
	ids := make([]int64, 0, n)
	b.ResetTimer()
	begin := time.Now()
	tick := time.Second / time.Duration(rate)
	for i := range n {
		if d := time.Until(begin.Add(time.Duration(i) * tick)); d > 0 {
			time.Sleep(d)
		}
		chat := int64(1 + i%chats)
		text := intakeScript[(i/chats)%len(intakeScript)]
		queued = append(queued, time.Now())
		ids = append(ids, srv.SendText(chat, chat, text, "nl"))
	}
	deadline := time.Now().Add(60 * time.Second)
	for rec.count() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	if got := rec.count(); got < n {
		b.Fatalf("%d of %d updates answered", got, n)
	}
	lat := make([]time.Duration, n)
	var last time.Time
	for i, id := range ids {
		at := rec.at(id)
		lat[i] = at.Sub(queued[i])
		if at.After(last) {
			last = at
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(n)/last.Sub(begin).Seconds(), "updates/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

// replyClock notes when each update's last reply arrived at the fake
// Telegram. It learns from the handler how many replies an update has, and
// the replies of one chat arrive in the order of its updates.
type replyClock struct {
	bot.Handler // its MarkDelivered passes the channel's marks on: the clock is no part of them
	mu          sync.Mutex
	due         map[int64][]dueReplies // by chat: updates whose replies are on their way, oldest first
	done        map[int64]time.Time    // by update: arrival of its last reply
}

type dueReplies struct {
	seq  int64
	left int
}

func (r *replyClock) Handle(ctx context.Context, in bot.Inbound) ([]dialog.Reply, error) {
	replies, err := r.Handler.Handle(ctx, in)
	if chat, perr := strconv.ParseInt(in.ChatID, 10, 64); perr == nil && len(replies) > 0 {
		r.mu.Lock()
		r.due[chat] = append(r.due[chat], dueReplies{seq: in.Seq, left: len(replies)})
		r.mu.Unlock()
	}
	return replies, err
}

// arrived is the fake server's OnMessage.
func (r *replyClock) arrived(m telegramtest.Message) {
	if m.Method != "sendMessage" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.due[m.ChatID]
	if len(q) == 0 {
		return
	}
	if q[0].left--; q[0].left == 0 {
		r.done[q[0].seq] = m.At
		q = q[1:]
	}
	r.due[m.ChatID] = q
}

func (r *replyClock) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.done)
}

func (r *replyClock) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.done)
}

func (r *replyClock) at(seq int64) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done[seq]
}

// BenchmarkIdleSessions measures what 10,000 idle conversations cost: the
// Redis memory of their sessions (each in the middle of an intake) and the
// bot's own heap, which holds nothing per idle chat.
func BenchmarkIdleSessions(b *testing.B) {
	const sessions = 10_000
	stack := bottest.New(b)
	conv := stack.Conversations
	ctx := context.Background()
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range sessions {
			chat := fmt.Sprintf("idle-%d", i)
			for seq, text := range intakeScript[:6] { // stopped at the phone question
				in := bot.Inbound{Channel: "telegram", ChatID: chat, Seq: int64(seq + 1), Msg: dialog.Message{Kind: dialog.KindText, Text: text}}
				if _, err := conv.Handle(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		var bytes int64
		for i := 0; i < sessions; i += 100 { // a 1 % sample
			n, err := stack.Redis.MemoryUsage(ctx, stack.SessionPrefix+bot.SessionKey("telegram", "idle-"+strconv.Itoa(i))).Result()
			if err != nil {
				b.Fatal(err)
			}
			bytes += n
		}
		b.ReportMetric(float64(bytes*100)/(1<<20), "redis_MB/10k")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "heap_MB/10k")
	}
}
