package telegram

import (
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// job is one update waiting for its chat's turn.
type job struct {
	upd *models.Update
	at  time.Time // arrival, for latency and the rate limit
	// done is called exactly once: handled is false when the channel stopped
	// before the update was started, so it must be delivered again.
	done func(handled bool)
}

// chat is one chat's FIFO queue and the state only its runner touches.
type chat struct {
	jobs    []job
	running bool
	last    time.Time // last arrival, for eviction

	// Rate limit: arrival times of the last RateLimit messages (all messages,
	// dropped ones too, so a flood stays stopped until the resident pauses).
	recent  []time.Time
	noticed bool // slow-down note sent for the current flood
}

// dispatcher runs updates of one chat in order and different chats in
// parallel, at most `slots` chats at a time. Each chat with work has one
// runner goroutine; a runner takes one update per slot so a busy chat cannot
// starve others.
type dispatcher struct {
	process func(chatID int64, c *chat, j job)

	mu       sync.Mutex
	chats    map[int64]*chat
	slots    chan struct{}
	stopping bool
	stopped  chan struct{} // closed by stop
	wg       sync.WaitGroup
	idleTTL  time.Duration
	lastGC   time.Time
}

func newDispatcher(workers int, idleTTL time.Duration, process func(int64, *chat, job)) *dispatcher {
	return &dispatcher{
		process: process,
		chats:   map[int64]*chat{},
		slots:   make(chan struct{}, workers),
		stopped: make(chan struct{}),
		idleTTL: idleTTL,
		lastGC:  time.Now(),
	}
}

// enqueue adds j to its chat's queue. It returns false (and does not call
// done) when the dispatcher is stopping.
func (d *dispatcher) enqueue(chatID int64, j job) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopping {
		return false
	}
	c := d.chats[chatID]
	if c == nil {
		c = &chat{}
		d.chats[chatID] = c
	}
	c.jobs = append(c.jobs, j)
	c.last = j.at
	if !c.running {
		c.running = true
		d.wg.Add(1)
		go d.run(chatID, c)
	}
	d.gcLocked(j.at)
	return true
}

func (d *dispatcher) run(chatID int64, c *chat) {
	defer d.wg.Done()
	for {
		select {
		case d.slots <- struct{}{}:
		case <-d.stopped:
			d.abandon(c)
			return
		}
		d.mu.Lock()
		if len(c.jobs) == 0 {
			// The runner ends under the same lock enqueue takes: a job that
			// arrives after this starts a new runner, never waits for this one.
			c.running = false
			d.mu.Unlock()
			<-d.slots
			return
		}
		if d.stopping {
			d.mu.Unlock()
			<-d.slots
			d.abandon(c)
			return
		}
		j := c.jobs[0]
		c.jobs[0] = job{}
		c.jobs = c.jobs[1:]
		d.mu.Unlock()

		d.process(chatID, c, j)
		j.done(true)
		<-d.slots
	}
}

// abandon ends a runner: jobs not started are given back unhandled.
func (d *dispatcher) abandon(c *chat) {
	d.mu.Lock()
	left := c.jobs
	c.jobs = nil
	c.running = false
	d.mu.Unlock()
	for _, j := range left {
		j.done(false)
	}
}

// gcLocked forgets idle chats now and then so the map does not grow forever.
func (d *dispatcher) gcLocked(now time.Time) {
	if now.Sub(d.lastGC) < d.idleTTL {
		return
	}
	d.lastGC = now
	for id, c := range d.chats {
		if !c.running && now.Sub(c.last) > d.idleTTL {
			delete(d.chats, id)
		}
	}
}

// stop takes no new updates, lets the ones being handled finish, and gives
// back the queued ones unhandled. It returns when all runners are gone.
func (d *dispatcher) stop() {
	d.mu.Lock()
	if !d.stopping {
		d.stopping = true
		close(d.stopped)
	}
	d.mu.Unlock()
	d.wg.Wait()
}

// limited records a message that arrived at t and reports whether it goes
// over the chat's limit, and whether the slow-down note is still to be sent.
// Only the chat's runner calls it.
func (c *chat) limited(t time.Time, limit int, window time.Duration) (drop, notify bool) {
	over := len(c.recent) >= limit && t.Sub(c.recent[len(c.recent)-limit]) < window
	c.recent = append(c.recent, t)
	if len(c.recent) > limit {
		c.recent = append(c.recent[:0], c.recent[len(c.recent)-limit:]...)
	}
	if !over {
		c.noticed = false
		return false, false
	}
	notify = !c.noticed
	c.noticed = true
	return true, notify
}
