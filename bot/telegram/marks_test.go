package telegram

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot"
)

// markingConv records which updates the channel reported delivered, and in
// how many calls.
type markingConv struct {
	*fakeConv
	mu     sync.Mutex
	marked map[int64]bool
	calls  int
	block  chan struct{} // while open, MarkDelivered waits: marks pile up
}

func (m *markingConv) MarkDelivered(ctx context.Context, ins ...bot.Inbound) error {
	select {
	case <-m.block:
	case <-ctx.Done():
		return ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	for _, in := range ins {
		m.marked[in.Seq] = true
	}
	return nil
}

// Marks that wait while an earlier write is slow go together in one call,
// and a channel that stops writes the marks still waiting before Run
// returns: a stop must not turn delivered replies into replies sent twice.
func TestDeliveryMarksBatchedAndWrittenOnStop(t *testing.T) {
	srv := newServer(t)
	conv := &markingConv{fakeConv: newFakeConv(), marked: map[int64]bool{}, block: make(chan struct{})}
	_, stop := start(t, testConfig(srv), conv)

	var ids []int64
	for chat := int64(1); chat <= 20; chat++ {
		ids = append(ids, srv.SendText(chat, chat, "hallo", "nl"))
	}
	for chat := int64(1); chat <= 20; chat++ {
		if _, err := srv.WaitSent(chat, 1, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// The first write is stuck; release it while stopping, so the rest
	// are still waiting when Run begins to stop.
	go func() { time.Sleep(50 * time.Millisecond); close(conv.block) }()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	conv.mu.Lock()
	defer conv.mu.Unlock()
	for _, id := range ids {
		if !conv.marked[id] {
			t.Errorf("update %d: replies sent but not marked delivered after Run returned", id)
		}
	}
	if conv.calls > 3 {
		t.Errorf("20 marks that waited together took %d calls, want at most 3", conv.calls)
	}
}

// A store that hangs (Redis gone) must not keep a stopping channel from
// returning: SIGTERM has to end the process within seconds.
func TestDeliveryMarksDoNotHoldUpStop(t *testing.T) {
	srv := newServer(t)
	conv := &markingConv{fakeConv: newFakeConv(), marked: map[int64]bool{}, block: make(chan struct{})}
	_, stop := start(t, testConfig(srv), conv)
	srv.SendText(1, 1, "hallo", "nl")
	if _, err := srv.WaitSent(1, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took > stopGrace+2*time.Second {
		t.Errorf("stop took %v with a hanging store, want about %v", took, stopGrace)
	}
}
