package web

import (
	"sync"
	"time"
)

// limiter counts events per key in fixed windows: cheap, and good enough to
// stop a flood (a person never sends twenty messages in ten seconds).
type limiter struct {
	max    int
	window time.Duration

	mu     sync.Mutex
	counts map[string]*count
	swept  time.Time
}

type count struct {
	start time.Time
	n     int
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, counts: map[string]*count{}}
}

// allow counts one event for key at now and tells whether it is within the limit.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.window {
		for k, c := range l.counts {
			if now.Sub(c.start) >= l.window {
				delete(l.counts, k)
			}
		}
		l.swept = now
	}
	c := l.counts[key]
	if c == nil || now.Sub(c.start) >= l.window {
		c = &count{start: now}
		l.counts[key] = c
	}
	c.n++
	return c.n <= l.max
}
