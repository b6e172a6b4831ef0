package web

import (
	"context"
	"sync"
)

// hub wakes this replica's open event streams when their chat has news.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

func newHub() *hub { return &hub{subs: map[string]map[chan struct{}]struct{}{}} }

// add registers an event stream of chat; the returned channel gets a
// signal (coalesced) when the chat has news.
func (h *hub) add(chat string) chan struct{} {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.subs[chat]
	if m == nil {
		m = map[chan struct{}]struct{}{}
		h.subs[chat] = m
	}
	m[c] = struct{}{}
	return c
}

func (h *hub) remove(chat string, c chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[chat], c)
	if len(h.subs[chat]) == 0 {
		delete(h.subs, chat)
	}
}

// count is how many event streams chat has open here.
func (h *hub) count(chat string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[chat])
}

// wake signals chat's event streams; "" signals every stream.
func (h *hub) wake(chat string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	signal := func(subs map[chan struct{}]struct{}) {
		for c := range subs {
			select {
			case c <- struct{}{}:
			default: // already signalled
			}
		}
	}
	if chat == "" {
		for _, subs := range h.subs {
			signal(subs)
		}
		return
	}
	signal(h.subs[chat])
}

// run passes wake-ups on until they end.
func (h *hub) run(ctx context.Context, wakeups <-chan string) {
	for chat := range wakeups {
		h.wake(chat)
	}
}

// locks serialises the messages of one chat within this replica, so their
// turns and transcript entries keep the order they came in.
type locks struct {
	mu sync.Mutex
	m  map[string]*chatLock
}

type chatLock struct {
	mu   sync.Mutex
	refs int
}

func (l *locks) lock(chat string) func() {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*chatLock{}
	}
	c := l.m[chat]
	if c == nil {
		c = &chatLock{}
		l.m[chat] = c
	}
	c.refs++
	l.mu.Unlock()
	c.mu.Lock()
	return func() {
		c.mu.Unlock()
		l.mu.Lock()
		c.refs--
		if c.refs == 0 {
			delete(l.m, chat)
		}
		l.mu.Unlock()
	}
}
