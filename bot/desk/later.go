package desk

import (
	"context"
	"sync"
	"time"
)

// laterQueue runs the desk's notes and edits in the staff chat in the
// background, one at a time and in order. Whoever asks for one (a
// resident's /vergeet, a tap in the staff chat) goes on at once, and
// waiting for the group's pace or for Telegram's retry_after happens here.
// A goroutine runs only while there is work.
type laterQueue struct {
	mu      sync.Mutex
	jobs    []func(context.Context)
	running bool
	idle    chan struct{} // closed when the queue runs dry; nil while idle
}

// maxLater bounds the queue; beyond it a note is dropped (and logged), as
// a flood of staff-chat notes is itself the trouble.
const maxLater = 10000

// laterTimeout bounds one job, with its waits.
const laterTimeout = 5 * time.Minute

// add queues f; false when the queue is full.
func (q *laterQueue) add(f func(context.Context)) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) >= maxLater {
		return false
	}
	q.jobs = append(q.jobs, f)
	if !q.running {
		q.running = true
		q.idle = make(chan struct{})
		go q.run()
	}
	return true
}

func (q *laterQueue) run() {
	for {
		q.mu.Lock()
		if len(q.jobs) == 0 {
			q.running = false
			close(q.idle)
			q.idle = nil
			q.mu.Unlock()
			return
		}
		f := q.jobs[0]
		q.jobs[0] = nil
		q.jobs = q.jobs[1:]
		q.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), laterTimeout)
		f(ctx)
		cancel()
	}
}

// wait returns once the queue is empty, or ctx ends.
func (q *laterQueue) wait(ctx context.Context) error {
	q.mu.Lock()
	idle := q.idle
	q.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// later runs f after the desk's earlier notes and edits, in the background.
func (d *Desk) later(what string, f func(context.Context)) {
	if !d.staffQ.add(f) {
		d.log.Warn("staff chat queue full; dropped", "what", what)
	}
}

// Flush waits until the notes and edits the desk queued for the staff chat
// are sent (the command line calls it before it exits).
func (d *Desk) Flush(ctx context.Context) error { return d.staffQ.wait(ctx) }
