package telegram

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// Long polling: getUpdates with the offset of the oldest update that is not
// handled yet (the tracker's watermark), so that Telegram keeps every update
// until it is done. With WithInbox, pollInbox (inboxpoll.go) polls instead.

// deleteWebhook switches Telegram to getUpdates. Polling still works
// without it unless a webhook is set, and then getUpdates says so in the
// log.
func (c *Channel) deleteWebhook(ctx context.Context) {
	if err := c.api.Call(ctx, "deleteWebhook", struct{}{}, nil); err != nil && ctx.Err() == nil {
		c.log.Warn("deleteWebhook failed", "err", err)
	}
}

// poll fetches updates until ctx ends. The offset it sends is the tracker's
// watermark, so Telegram keeps every update that is not finished; updates it
// returns that we already hold are skipped.
func (c *Channel) poll(ctx context.Context, tr *tracker, srvErr <-chan error) error {
	c.deleteWebhook(ctx)
	var floor int64 // offset forced past a stalled update
	var stalledSince time.Time
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-srvErr:
			return err
		default:
		}
		wm, _ := tr.watermark()
		offset := max(wm, floor)
		asked := time.Now()
		updates, ok, stop := c.pollOnce(ctx, offset, &backoff)
		if stop {
			return nil
		}
		if !ok {
			continue
		}
		fresh := 0
		for _, p := range updates {
			if !tr.take(p.id) {
				continue
			}
			fresh++
			id := p.id
			u := new(models.Update)
			if err := json.Unmarshal(p.raw, u); err != nil {
				// Waiting would not make it readable, and it would hold back
				// every update after it.
				c.m.errors.WithLabelValues("poll").Inc()
				c.log.Error("unreadable update skipped", "update", id, "err", err)
				tr.finish(id, true)
				continue
			}
			if !c.dispatch(u, func(handled bool) { tr.finish(id, handled) }) {
				tr.finish(id, false)
			}
		}
		if fresh > 0 || len(updates) == 0 {
			stalledSince = time.Time{}
			// A server that answers an empty poll at once (no long polling)
			// must not make this loop spin.
			if len(updates) == 0 && time.Since(asked) < emptyPollPause && !sleep(ctx, emptyPollPause) {
				return nil
			}
			continue
		}
		// Telegram only gave back updates we hold: it does not long-poll while
		// those are unconfirmed, so poll again shortly. (Waking on every
		// finished update would poll thousands of times a second under load.)
		if len(updates) == 100 {
			if stalledSince.IsZero() {
				stalledSince = time.Now()
			} else if time.Since(stalledSince) > c.cfg.StallAfter {
				floor = tr.taken()
				c.log.Warn("updates held back by a slow chat; confirming past it", "offset", floor)
				stalledSince = time.Time{}
				continue
			}
		}
		// Polling again only pays once the oldest held update is done: until
		// then Telegram returns the same updates, a decode of the whole batch
		// for nothing.
		if !waitWatermark(ctx, tr, offset, maxHeldWait) {
			return nil
		}
	}
}

// maxHeldWait bounds the wait for the oldest held update between two polls,
// so that the stall check still runs.
const maxHeldWait = 50 * time.Millisecond

// waitWatermark waits until the tracker's watermark passes offset, at most
// d; false means ctx ended.
func waitWatermark(ctx context.Context, tr *tracker, offset int64, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		if wm, _ := tr.watermark(); wm > offset {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-tr.finished:
		}
	}
}

// emptyPollPause is the least time between two empty polls.
const emptyPollPause = 50 * time.Millisecond

// confirm tells Telegram, after a stop, which updates are done.
func (c *Channel) confirm(tr *tracker) {
	wm, busy := tr.watermark()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.getUpdates(ctx, wm, 1, 0); err != nil {
		c.log.Warn("confirm offset failed", "offset", wm, "err", err)
		return
	}
	c.log.Info("offset confirmed", "offset", wm, "unhandled", busy)
}

// polled is an update as getUpdates returned it. Only its id is read at
// first: Telegram sends the updates the bot still holds again with every
// poll, and only the new ones need decoding.
type polled struct {
	id  int64
	raw json.RawMessage
}

// getUpdates is done here rather than by the go-telegram library, whose
// poller confirms updates as soon as they are buffered. Each update's id is
// read, the rest waits for a decode until the update is new.
func (c *Channel) getUpdates(ctx context.Context, offset int64, limit int, wait time.Duration) ([]polled, error) {
	var raws []json.RawMessage
	err := c.pollAPI.Call(ctx, "getUpdates", &getUpdatesParams{
		Offset: offset, Limit: limit, Timeout: int(wait / time.Second), AllowedUpdates: allowedUpdates,
	}, &raws)
	if err != nil {
		return nil, err
	}
	out := make([]polled, 0, len(raws))
	for _, raw := range raws {
		var head struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			// Without an id it cannot be confirmed on its own; the offset
			// moves past it with the next update.
			c.m.errors.WithLabelValues("poll").Inc()
			c.log.Error("update without a readable id skipped", "err", err)
			continue
		}
		out = append(out, polled{id: head.ID, raw: raw})
	}
	return out, nil
}

type getUpdatesParams struct {
	Offset         int64    `json:"offset,omitempty"`
	Limit          int      `json:"limit"`
	Timeout        int      `json:"timeout"`
	AllowedUpdates []string `json:"allowed_updates"`
}

// pollOnce asks Telegram for the updates from offset on. A failed call is
// counted, logged and waited out with a growing backoff (reset by the next
// call that works); it then reports ok false, and stop true when ctx ended.
func (c *Channel) pollOnce(ctx context.Context, offset int64, backoff *time.Duration) (updates []polled, ok, stop bool) {
	updates, err := c.getUpdates(ctx, offset, 100, c.cfg.PollTimeout)
	if err == nil {
		*backoff = 0
		return updates, true, false
	}
	if ctx.Err() != nil {
		return nil, false, true
	}
	c.m.errors.WithLabelValues("poll").Inc()
	*backoff = min(max(2**backoff, c.cfg.RetryBase), 5*time.Second)
	c.log.Warn("getUpdates failed", "err", err, "retry_in", *backoff)
	return nil, false, !sleep(ctx, *backoff)
}

// tracker knows which polled updates are not finished, so that the offset
// confirmed to Telegram never passes an update that was not handled.
type tracker struct {
	mu      sync.Mutex
	pending map[int64]bool
	next    int64 // one past the highest update id taken
	// finished wakes a poller waiting for the watermark to move.
	finished chan struct{}
}

func newTracker() *tracker {
	return &tracker{pending: map[int64]bool{}, finished: make(chan struct{}, 1)}
}

// take registers a polled update; false means it is already held or done.
func (t *tracker) take(id int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id < t.next || t.pending[id] {
		return false
	}
	t.pending[id] = true
	t.next = id + 1
	return true
}

// finish marks an update handled, or (handled false) leaves it for Telegram
// to deliver again: it then stays below the watermark for good.
func (t *tracker) finish(id int64, handled bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if handled {
		delete(t.pending, id)
		select {
		case t.finished <- struct{}{}:
		default:
		}
	}
}

// watermark is the offset that may be confirmed: the oldest unfinished
// update, or one past the newest when all are finished.
func (t *tracker) watermark() (offset int64, busy int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	offset = t.next
	for id := range t.pending {
		if id < offset {
			offset = id
		}
	}
	return offset, len(t.pending)
}

// taken is one past the highest update id taken.
func (t *tracker) taken() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next
}
