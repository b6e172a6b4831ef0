package telegram

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/dialog"
)

// seqEcho replies with the update's Seq, so the benchmark can match each
// reply to the moment its update was queued.
type seqEcho struct{}

func (seqEcho) Handle(_ context.Context, in bot.Inbound) ([]dialog.Reply, error) {
	return []dialog.Reply{{Text: strconv.FormatInt(in.Seq, 10)}}, nil
}

func (seqEcho) MarkDelivered(context.Context, ...bot.Inbound) error { return nil }

// BenchmarkThroughput sends updates from 1,000 chats through the fake Bot API
// server at a steady rate (long polling, real client) and reports updates
// handled per second and the median and p99 time from an update being
// queued at "Telegram" to its reply arriving there.
func BenchmarkThroughput(b *testing.B) {
	const chats = 1000
	const rate = 2000 // updates per second offered (the target load)
	srv := newServer(b)
	cfg := testConfig(srv)
	cfg.RateLimit = 1 << 20
	start(b, cfg, seqEcho{})

	n := max(b.N, 3000)
	queued := make(map[int64]time.Time, n)
	var mu sync.Mutex
	b.ResetTimer()
	begin := time.Now()
	tick := time.Second / rate
	for i := range n {
		if d := time.Until(begin.Add(time.Duration(i) * tick)); d > 0 {
			time.Sleep(d)
		}
		chat := int64(1 + i%chats)
		t := time.Now()
		id := srv.SendText(chat, chat, "hallo", "nl")
		mu.Lock()
		queued[id] = t
		mu.Unlock()
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if len(srv.Calls("sendMessage")) >= n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	msgs := srv.Sent(0)
	if len(msgs) < n {
		b.Fatalf("%d of %d replies", len(msgs), n)
	}
	var last time.Time
	lat := make([]time.Duration, 0, n)
	for _, m := range msgs {
		seq, _ := strconv.ParseInt(m.Text, 10, 64)
		lat = append(lat, m.At.Sub(queued[seq]))
		if m.At.After(last) {
			last = m.At
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(n)/last.Sub(begin).Seconds(), "updates/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
