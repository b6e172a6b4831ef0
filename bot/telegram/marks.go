package telegram

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wotschiedam/wotbot/bot"
)

// sentWait bounds the mark written between two replies of one turn: a
// Redis that hangs must not hold the chat up (the mark only spares a
// resident a reply twice).
const sentWait = 500 * time.Millisecond

// markSent notes, before the next reply of in goes out, that its first n
// went out (bot.Inbound.Sent): a process that dies between two replies is
// followed by one that sends only the rest. Unlike the mark of a whole turn
// it is written at once, not gathered: it must land before the next reply,
// or it narrows nothing. Only turns of more than one reply pay this round
// trip.
func (c *Channel) markSent(ctx context.Context, in bot.Inbound, n int) {
	if in.Seq <= 0 {
		return
	}
	in.Sent = n
	ctx, cancel := context.WithTimeout(ctx, sentWait)
	defer cancel()
	if err := c.handler.MarkDelivered(ctx, in); err != nil {
		c.m.errors.WithLabelValues("mark").Inc()
		c.log.Warn("mark replies sent so far", "update", in.Seq, "err", err)
	}
}

// deliveryMarks passes "replies delivered" to the handler from one
// goroutine, the marks of markLinger in one call: under load one round trip
// to Redis carries the marks of many updates. A mark that is late or lost
// costs nothing but a reply sent twice should the same update come back; it
// never holds up the update's own handling.
type deliveryMarks struct {
	dm     bot.DeliveryMarker
	log    *slog.Logger
	errors prometheus.Counter

	// ctx ends writes in progress once a stop has waited stopGrace.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	pending []bot.Inbound
	wake    chan struct{} // one token: marks are waiting
	stop    chan struct{}
	done    chan struct{}
}

// markLinger is how long marks gather before they are written.
const markLinger = 5 * time.Millisecond

// markTimeout bounds one write of marks.
const markTimeout = 5 * time.Second

// stopGrace is how long a stop waits for marks still being written: the
// process must exit soon after SIGTERM even with Redis gone.
const stopGrace = time.Second

func startMarks(dm bot.DeliveryMarker, log *slog.Logger, errors prometheus.Counter) *deliveryMarks {
	m := &deliveryMarks{dm: dm, log: log, errors: errors,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	go m.run()
	return m
}

// add queues the mark of one handled update.
func (m *deliveryMarks) add(in bot.Inbound) {
	m.mu.Lock()
	m.pending = append(m.pending, in)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *deliveryMarks) run() {
	defer close(m.done)
	linger := time.NewTimer(markLinger)
	linger.Stop()
	for {
		select {
		case <-m.wake:
			// Let marks gather for a moment: none is urgent (a redelivered
			// update waits a second for its mark), and at a round trip each
			// they would be a third of the bot's Redis traffic.
			linger.Reset(markLinger)
			select {
			case <-linger.C:
			case <-m.stop:
				linger.Stop()
			}
			m.flush()
		case <-m.stop:
			m.flush()
			return
		}
	}
}

func (m *deliveryMarks) flush() {
	m.mu.Lock()
	batch := m.pending
	m.pending = nil
	m.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(m.ctx, markTimeout)
	defer cancel()
	if err := m.dm.MarkDelivered(ctx, batch...); err != nil {
		m.errors.Inc()
		m.log.Warn("mark replies delivered", "updates", len(batch), "err", err)
	}
}

// close writes the marks still waiting and returns when they are written,
// or after stopGrace. Call it after the last add.
func (m *deliveryMarks) close() {
	close(m.stop)
	t := time.AfterFunc(stopGrace, m.cancel)
	defer t.Stop()
	<-m.done
	m.cancel()
}
