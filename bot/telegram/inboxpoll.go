package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// WithInbox makes long polling lose nothing at any moment: every update
// getUpdates returns is first written to a Redis stream (the bot's inbox,
// once per update_id), and only then confirmed to Telegram, by the next
// getUpdates. Handling reads the inbox through a consumer group, one chat
// in order and chats in parallel, and acknowledges (and deletes) an entry
// once it was handled. A crash at any moment leaves every update either
// with Telegram, which sends it again, or in the inbox, read again at the
// next start; an update read again after it was handled is not handled
// twice, by its update_id (Inbound.Seq, which the conversation layer
// remembers). A slow chat holds back only its own updates.
//
// One process polls a bot (Telegram allows one getUpdates at a time), so
// the consumer has one fixed name and a restarted poller takes up what it
// left. Without WithInbox, polling keeps updates in memory (see
// Config.StallAfter). Webhook mode does not use the inbox.
//
// prefix is put before the inbox's keys; "" names them after the bot,
// "{wot:inbox:<bot id>}:" ("{wot:inbox:<bot id>@<host>}:" with another Bot
// API server than Telegram's). It should be one hash tag (a Cluster slot).
func WithInbox(rdb redis.UniversalClient, prefix string) Option {
	return func(c *Channel) {
		if prefix == "" {
			prefix = defaultInboxPrefix(c.cfg.Token, c.cfg.APIURL)
		}
		c.inbox = &inbox{rdb: rdb, prefix: prefix, consumer: "poller"}
	}
}

// registerInbox adds wotbot_telegram_inbox_entries to the channel's
// registry when it has an inbox: the updates waiting there, read from Redis
// at scrape time. Handled entries are deleted, so a number that stays up
// means handling is stuck.
func (c *Channel) registerInbox() error {
	if c.inbox == nil {
		return nil
	}
	ib := c.inbox
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wotbot_telegram_inbox_entries",
		Help: "Updates in the polling inbox not yet handled (-1 when Redis cannot be read).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := ib.rdb.XLen(ctx, ib.stream()).Result()
		if err != nil {
			return -1
		}
		return float64(n)
	})
	if err := c.reg.Register(g); err != nil {
		return fmt.Errorf("register inbox metric: %w", err)
	}
	return nil
}

// inboxInFlight bounds the updates read from the inbox and not yet
// handled. A chat whose handling hangs holds this many only when it alone
// sent them; the rate limit drops a flood long before.
const inboxInFlight = 4096

// pollInbox fetches updates until ctx ends, writing each batch to the inbox
// before the next getUpdates confirms it, while consumeInbox handles them.
func (c *Channel) pollInbox(ctx context.Context, srvErr <-chan error) error {
	c.deleteWebhook(ctx)
	if err := c.inbox.ensureGroup(ctx); err != nil && ctx.Err() == nil {
		c.log.Warn("inbox not ready; reading will create it", "err", err) // Redis down: the reader retries
	}
	c.acks = startInboxAcks(c.inbox, c.log, c.m.errors.WithLabelValues("inbox"))
	consumed := make(chan struct{})
	go func() { defer close(consumed); c.consumeInbox(ctx) }()
	defer func() { <-consumed }() // no read is dispatched once polling returned

	var offset int64 // the first update not yet in the inbox
	defer func() { c.confirmOffset(offset) }()
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-srvErr:
			return fmt.Errorf("serve %s: %w", c.cfg.ListenAddr, err)
		default:
		}
		asked := time.Now()
		updates, ok, stop := c.pollOnce(ctx, offset, &backoff)
		if stop {
			return nil
		}
		if !ok {
			continue
		}
		if len(updates) == 0 {
			if time.Since(asked) < emptyPollPause && !sleep(ctx, emptyPollPause) {
				return nil
			}
			continue
		}
		// In the inbox before confirmed: until this returns, Telegram keeps
		// them and sends them again.
		for wait := c.cfg.RetryBase; ; wait = min(2*wait, 5*time.Second) {
			_, err := c.inbox.add(ctx, updates)
			if err == nil {
				break
			}
			c.m.errors.WithLabelValues("inbox").Inc()
			c.log.Warn("updates not written to the inbox; not confirmed to Telegram", "err", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return nil
			}
		}
		offset = updates[len(updates)-1].id + 1
	}
}

// confirmOffset tells Telegram, at a stop, that the updates before offset
// are in the inbox.
func (c *Channel) confirmOffset(offset int64) {
	if offset == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.getUpdates(ctx, offset, 1, 0); err != nil {
		c.log.Warn("confirm offset failed; Telegram sends those updates again, the inbox adds them once", "offset", offset, "err", err)
		return
	}
	c.log.Info("offset confirmed", "offset", offset)
}

// consumeInbox hands inbox entries to the chats' runners until ctx ends:
// first the ones read before a restart and not acknowledged, then new ones.
func (c *Channel) consumeInbox(ctx context.Context) {
	sem := make(chan struct{}, inboxInFlight)
	start := "0" // own pending entries first
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		entries, err := c.inbox.read(ctx, start, 100, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// The read may have reached Redis and its answer got lost: those
			// entries are pending for this consumer now, so read them again
			// (the ones still being handled are skipped).
			start = "0"
			if strings.Contains(err.Error(), "NOGROUP") {
				err = c.inbox.ensureGroup(ctx)
			}
			c.m.errors.WithLabelValues("inbox").Inc()
			backoff = min(max(2*backoff, c.cfg.RetryBase), 5*time.Second)
			c.log.Warn("inbox read failed", "err", err, "retry_in", backoff)
			sleep(ctx, backoff)
			continue
		}
		backoff = 0
		if start != ">" {
			if len(entries) == 0 {
				start = ">"
				continue
			}
			start = entries[len(entries)-1].entry
		}
		for _, e := range entries {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return // not dispatched: pending, read again at the next start
			}
			c.dispatchEntry(e, sem)
		}
	}
}

func (c *Channel) dispatchEntry(e inboxEntry, sem chan struct{}) {
	if _, busy := c.acks.inFlight.LoadOrStore(e.entry, true); busy {
		<-sem // read again while it is handled, or its acknowledgement waits
		return
	}
	u := new(models.Update)
	if err := json.Unmarshal(e.raw, u); err != nil {
		// Waiting would not make it readable.
		c.m.errors.WithLabelValues("poll").Inc()
		c.log.Error("unreadable update skipped", "update", e.updateID, "err", err)
		c.acks.add(e.entry)
		<-sem
		return
	}
	ok := c.dispatch(u, func(handled bool) {
		if handled {
			c.acks.add(e.entry)
		} else { // stopping: it stays pending and is read again at the next start
			c.acks.inFlight.Delete(e.entry)
		}
		<-sem
	})
	if !ok {
		c.acks.inFlight.Delete(e.entry)
		<-sem
	}
}

// inboxAcks acknowledges handled entries from one goroutine, many in one
// round trip. An acknowledgement that fails is tried again; one lost in a
// crash costs nothing but reading the entry again, which its update_id
// makes harmless.
type inboxAcks struct {
	ib     *inbox
	log    *slog.Logger
	errors prometheus.Counter

	// inFlight holds the entries dispatched and not yet acknowledged.
	inFlight sync.Map

	mu      sync.Mutex
	pending []string
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func startInboxAcks(ib *inbox, log *slog.Logger, errors prometheus.Counter) *inboxAcks {
	a := &inboxAcks{ib: ib, log: log, errors: errors, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go a.run()
	return a
}

func (a *inboxAcks) add(entry string) {
	a.mu.Lock()
	a.pending = append(a.pending, entry)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *inboxAcks) run() {
	defer close(a.done)
	stopping := false
	for {
		if !stopping {
			select {
			case <-a.wake:
				time.Sleep(markLinger) // gather the acknowledgements of a moment
			case <-a.stop:
				stopping = true
			}
		}
		a.mu.Lock()
		batch := a.pending
		a.pending = nil
		a.mu.Unlock()
		if len(batch) == 0 {
			if stopping {
				return
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), markTimeout)
		err := a.ib.done(ctx, batch)
		cancel()
		if err == nil {
			for _, e := range batch {
				a.inFlight.Delete(e)
			}
		}
		if err != nil {
			a.errors.Inc()
			a.log.Warn("inbox acknowledgement failed; will retry", "entries", len(batch), "err", err)
			a.mu.Lock()
			a.pending = append(batch, a.pending...)
			a.mu.Unlock()
			if stopping {
				return // read again at the next start
			}
			select {
			case <-time.After(250 * time.Millisecond):
			case <-a.stop:
				stopping = true
			}
			select {
			case a.wake <- struct{}{}:
			default:
			}
		}
	}
}

// close writes the acknowledgements still waiting, at most stopGrace.
func (a *inboxAcks) close() {
	close(a.stop)
	select {
	case <-a.done:
	case <-time.After(stopGrace):
	}
}
