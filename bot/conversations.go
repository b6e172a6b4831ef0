// Package bot carries messages between residents and the dialog engine: it
// loads and saves sessions, runs the engine, and carries out its effects
// (the hand-off queue). Channels (terminal, Telegram) sit on top of it and
// know nothing of the conversation; the engine knows nothing of Redis.
package bot

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/bot/handoff"
	"github.com/wotschiedam/wotbot/bot/held"
	"github.com/wotschiedam/wotbot/bot/session"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

// Inbound is one message from a channel.
type Inbound struct {
	Channel string // "terminal", "telegram", "web"
	ChatID  string
	// Lang is the channel's hint for a new session (Telegram language_code,
	// or --lang in the terminal).
	Lang string
	// LangChosen says the hint is the resident's explicit choice (--lang), so
	// the conversation keeps it instead of following the text's language.
	LangChosen bool
	// Seq, when above zero, identifies the message within the chat (Telegram
	// update_id); a message whose Seq was handled before is ignored, so
	// redelivery has no effect.
	Seq int64
	// Sent, when above zero in a MarkDelivered, says that only the first
	// Sent replies to this message reached the resident so far: the channel
	// sends the rest next, and a redelivery after a crash sends only them.
	Sent int
	Msg  dialog.Message
	// ReplyTo is the text of the message this one answers (a Telegram
	// reply), so the staff desk can tell which resident a reply is for.
	ReplyTo string
}

// SessionStore keeps one record per chat with optimistic concurrency, and
// which turn's replies reached the resident, so that a redelivered update
// gets its replies again only when they were lost. *session.Store is one.
type SessionStore interface {
	Load(ctx context.Context, key string) (data []byte, version int64, err error)
	Save(ctx context.Context, key string, data []byte, version int64) (int64, error)
	Delete(ctx context.Context, key string) error
	// MarkDelivered records that the replies of the turns ds reached the
	// residents.
	MarkDelivered(ctx context.Context, ds ...session.Delivery) error
	// LastDelivered returns the sequence number of key's turn last marked
	// delivered (0: none).
	LastDelivered(ctx context.Context, key string) (int64, error)
	// SentOf returns how many replies of key's turn seq were marked sent
	// while the turn was still being answered (0: none).
	SentOf(ctx context.Context, key string, seq int64) (int, error)
}

// ErrKept wraps a Queue error when the request could not be handed off now
// but is kept safely (on local disk) and will be, once (handoff.Outbox).
var ErrKept = handoff.ErrKept

// Queue hands finished requests to staff, once per request ID.
type Queue interface {
	Enqueue(ctx context.Context, req dialog.Request) (entryID string, duplicate bool, err error)
}

// Forgetter erases what another part of the bot keeps about a chat (the
// staff desk's requests) when the resident says /vergeet.
type Forgetter interface {
	Forget(ctx context.Context, channel, chatID string) error
}

// Conversations runs the message path: session load -> engine -> effects ->
// session save. It is safe for concurrent use; two replicas may serve the
// same chat, because every save is compare-and-set and effects are idempotent.
type Conversations struct {
	Engine   *dialog.Engine
	Sessions SessionStore
	Queue    Queue
	Catalog  *locales.Catalog
	// Facts fill the phone numbers in the messages of this package.
	Facts map[string]any
	Now   func() time.Time
	Log   *slog.Logger
	// Held keeps requests that wait for the other person's own consent.
	Held *held.Store
	// Notifiers push news to a chat, per channel; without one the news waits
	// in the chat's session for its next message.
	Notifiers map[string]Notifier
	// Metrics, when set, counts what the turns did.
	Metrics *Metrics
	// Intents, when set, counts questions by intent per day for the team's
	// figures (counts only, never text).
	Intents IntentCounter
	// Forgetter, when set, also forgets the chat on /vergeet.
	Forgetter Forgetter
	// RedeliveryGrace is how long a redelivered update waits for the first
	// delivery's replies to be marked sent before sending them again
	// (default 1s): two deliveries at once answer once, and a delivery
	// whose process died before sending is still answered.
	RedeliveryGrace time.Duration
}

// record is what is stored per chat. It holds the dialog state plus the
// transport bookkeeping that must change atomically with it.
type record struct {
	State dialog.State `json:"state"`
	// Seen are the most recent sequence numbers handled, newest last. A set
	// rather than a high-water mark: webhook deliveries of one chat may
	// overtake each other, and the older one must still be handled.
	Seen []int64 `json:"seen,omitempty"`
	// Notices wait for the resident's next message (e.g. that the person
	// they registered said yes), when the channel cannot push them.
	Notices []string `json:"notices,omitempty"`
	// Last is the newest turn's answer. When a process dies after saving a
	// turn but before sending its replies, the channel redelivers the update
	// and gets them from here: the turn is not run twice, and the resident
	// is not left without an answer.
	Last *lastTurn `json:"last,omitempty"`
}

type lastTurn struct {
	Seq     int64          `json:"seq"`
	Replies []dialog.Reply `json:"replies"`
	// Input fingerprints the turn's typed text (see inputHash), never the
	// text itself, and At is when it ran (Unix seconds): the same text typed
	// again soon after, its replies never delivered, is the resident sending
	// it again after "not working now", not a second answer.
	Input string `json:"input,omitempty"`
	At    int64  `json:"at,omitempty"`
}

// resendWindow is how long after a turn the same text, its replies never
// delivered, counts as sent again; later, a fresh answer is better than
// replies that may have gone stale (opening hours).
const resendWindow = 5 * time.Minute

// inputHash fingerprints a typed message as a person retypes it: case and
// spacing do not count. 96 bits keep the record small and never collide by
// chance between two messages of one chat.
func inputHash(m dialog.Message) string {
	if m.Kind != dialog.KindText {
		return "" // a button pressed again is the engine's ("Deze knop is verlopen")
	}
	sum := sha256.Sum256([]byte(strings.ToLower(strings.Join(strings.Fields(m.Text), " "))))
	return base64.RawStdEncoding.EncodeToString(sum[:12])
}

// resent answers a message that is the chat's newest turn sent again: the
// same text, soon after, while that turn's replies were never marked
// delivered (the save landed, but Redis went down before the process could
// tell, so the resident read "not working now"). The turn does not run
// twice; its replies go out for this update, which becomes the newest turn
// so that its delivery mark ends the resend. ok false: run the message.
func (c *Conversations) resent(ctx context.Context, key string, in Inbound, rec *record, version int64) (_ []dialog.Reply, ok bool, _ error) {
	last := rec.Last
	h := inputHash(in.Msg)
	if last == nil || h == "" || last.Input != h || in.Seq <= last.Seq ||
		c.Now().Sub(time.Unix(last.At, 0)) > resendWindow {
		return nil, false, nil
	}
	got, err := c.Sessions.LastDelivered(ctx, key)
	if err != nil {
		return c.unavailable(in), true, err
	}
	if got == last.Seq {
		return nil, false, nil // answered: people do repeat themselves
	}
	rec.markSeen(in.Seq)
	last.Seq = in.Seq
	out, err := json.Marshal(rec)
	if err != nil {
		return c.unavailable(in), true, fmt.Errorf("encode session: %w", err)
	}
	_, err = c.Sessions.Save(ctx, key, out, version)
	switch {
	case errors.Is(err, session.ErrConflict):
		return nil, false, err // the caller loads the chat again
	case err != nil && !c.savedAnyway(ctx, key, in.Seq):
		return c.unavailable(in), true, err
	}
	c.Log.Info("a message sent again after its replies were lost: sending them", "update", in.Seq)
	return last.Replies, true, nil
}

// undelivered returns the replies of an update handled before if they never
// reached the resident: it must be the chat's newest turn (older turns'
// replies went out before the next update was handled), and its delivery is
// not marked within the grace period. When the mark cannot be read at all
// in that time (Redis down), the resident is told it does not work now, not
// left without an answer: typing the message again brings them (resent).
func (c *Conversations) undelivered(ctx context.Context, in Inbound, key string, rec *record) ([]dialog.Reply, error) {
	seq := in.Seq
	if rec.Last == nil || rec.Last.Seq != seq {
		return nil, nil
	}
	grace := c.RedeliveryGrace
	if grace <= 0 {
		grace = time.Second
	}
	deadline := time.Now().Add(grace)
	var readErr error // Redis going down: no mark can land meanwhile
	read := false
	for {
		got, err := c.Sessions.LastDelivered(ctx, key)
		switch {
		case err != nil:
			readErr = err
		case got == seq:
			return nil, nil
		default:
			read = true
		}
		if !time.Now().Before(deadline) {
			if !read { // cannot tell: neither twice nor silent
				return c.unavailable(in), readErr
			}
			replies := c.unsent(ctx, key, rec.Last)
			c.Log.Info("sending the replies of a redelivered update again", "update", seq,
				"replies", len(replies), "of", len(rec.Last.Replies))
			return replies, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(grace / 20):
		}
	}
}

// unsent returns the replies of last not marked sent: a process that died
// between two replies of one turn (the welcome of "/start aanmelden" went
// out, its question did not) is followed by one that sends the rest, not
// the whole turn again. Only a reply that went out in the moment before
// the death, not yet marked, can then reach the resident twice: the same
// as for a turn of one reply. When the marks cannot be read, all of them:
// twice is better than never.
func (c *Conversations) unsent(ctx context.Context, key string, last *lastTurn) []dialog.Reply {
	n, err := c.Sessions.SentOf(ctx, key, last.Seq)
	if err != nil {
		c.Log.Warn("replies sent so far unknown; sending all of them", "update", last.Seq, "err", err)
		return last.Replies
	}
	return last.Replies[min(n, len(last.Replies)):]
}

// MarkDelivered records that the replies to ins reached the residents
// (DeliveryMarker). Channels that deliver updates more than once (Telegram)
// call it after sending, for one update or for many at once; without it a
// redelivered update is answered again after RedeliveryGrace. An Inbound
// with Sent above zero records only that its first Sent replies went out.
func (c *Conversations) MarkDelivered(ctx context.Context, ins ...Inbound) error {
	ds := make([]session.Delivery, 0, len(ins))
	for _, in := range ins {
		if in.Seq > 0 {
			ds = append(ds, session.Delivery{Key: SessionKey(in.Channel, in.ChatID), Seq: in.Seq, Sent: in.Sent})
		}
	}
	return c.Sessions.MarkDelivered(ctx, ds...)
}

// maxSeen bounds the remembered sequence numbers; anything older than all
// of them counts as handled (Telegram redelivers within minutes, not days).
const maxSeen = 64

func (r *record) seen(seq int64) bool {
	if seq <= 0 {
		return false
	}
	if len(r.Seen) == maxSeen && seq < r.Seen[0] {
		return true
	}
	return slices.Contains(r.Seen, seq)
}

func (r *record) markSeen(seq int64) {
	if seq <= 0 {
		return
	}
	i, _ := slices.BinarySearch(r.Seen, seq)
	r.Seen = slices.Insert(r.Seen, i, seq)
	if len(r.Seen) > maxSeen {
		r.Seen = r.Seen[len(r.Seen)-maxSeen:]
	}
}

const maxAttempts = 8

// SessionKey is the key of a chat's session.
func SessionKey(channel, chatID string) string { return channel + ":" + chatID }

// Handle runs one message through the conversation and returns the replies to
// send. On a storage failure it still returns a kind reply (with the phone
// number) together with the error, so the resident is never left without one.
func (c *Conversations) Handle(ctx context.Context, in Inbound) ([]dialog.Reply, error) {
	key := SessionKey(in.Channel, in.ChatID)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		data, version, err := c.Sessions.Load(ctx, key)
		if err != nil {
			return c.unavailable(in), err
		}
		rec := c.decode(data, in)
		if rec.seen(in.Seq) { // handled before: a redelivered update
			return c.undelivered(ctx, in, key, &rec)
		}
		if replies, ok, err := c.resent(ctx, key, in, &rec, version); errors.Is(err, session.ErrConflict) {
			continue
		} else if ok {
			return replies, err
		}
		msg := in.Msg
		if err := c.lookupHeld(ctx, in, &msg); err != nil {
			return c.unavailable(in), fmt.Errorf("look up consent link: %w", err)
		}
		turn := c.Engine.Handle(rec.State, msg, c.Now())
		forgot, override, err := c.apply(ctx, in, key, turn)
		if err != nil {
			return override, err
		}
		// A reply the effects decided (a request kept in the outbox, a link
		// that expired) is true whether or not the session can be saved.
		decided := override != nil
		if forgot { // nothing of this chat is kept, not even its sequence number
			c.Metrics.observe(rec.State, turn)
			c.countIntent(ctx, rec.State, turn)
			return turn.Replies, nil
		}
		before := rec.State
		rec.State = turn.State
		rec.markSeen(in.Seq)
		replies := turn.Replies
		if override != nil {
			replies = override
		}
		if len(rec.Notices) > 0 {
			notices := make([]dialog.Reply, 0, len(rec.Notices)+len(replies))
			for _, n := range rec.Notices {
				notices = append(notices, dialog.Reply{Text: n, Step: replies[0].Step})
			}
			replies, rec.Notices = append(notices, replies...), nil
		}
		rec.Last = nil
		if in.Seq > 0 {
			rec.Last = &lastTurn{Seq: in.Seq, Replies: replies, Input: inputHash(in.Msg), At: c.Now().Unix()}
		}
		out, err := json.Marshal(rec)
		if err != nil {
			return c.unavailable(in), fmt.Errorf("encode session: %w", err)
		}
		_, err = c.Sessions.Save(ctx, key, out, version)
		if errors.Is(err, session.ErrConflict) {
			continue // another replica moved this chat on: run the message on its state
		}
		if err != nil {
			if c.savedAnyway(ctx, key, in.Seq) {
				c.Metrics.observe(before, turn)
				c.countIntent(ctx, before, turn)
				return replies, nil
			}
			if decided {
				return replies, err
			}
			return c.unavailable(in), err
		}
		c.Metrics.observe(before, turn)
		c.countIntent(ctx, before, turn)
		return replies, nil
	}
	return c.unavailable(in), fmt.Errorf("save session: %d conflicting writers", maxAttempts)
}

// savedAnyway tells whether a save that returned an error took effect: the
// connection can break after Redis applied the write and before its answer
// arrived. Then the turn happened, and "it did not work" would be untrue.
func (c *Conversations) savedAnyway(ctx context.Context, key string, seq int64) bool {
	if seq <= 0 {
		return false // no way to recognise the turn
	}
	data, _, err := c.Sessions.Load(ctx, key)
	if err != nil || data == nil {
		return false
	}
	var rec record
	if json.Unmarshal(data, &rec) != nil {
		return false
	}
	return rec.Last != nil && rec.Last.Seq == seq
}

// decode reads a stored record; an unreadable one starts a fresh conversation
// rather than locking the resident out.
func (c *Conversations) decode(data []byte, in Inbound) record {
	var rec record
	if data != nil {
		if err := json.Unmarshal(data, &rec); err != nil {
			c.Log.Warn("session unreadable, starting fresh", "channel", in.Channel, "err", err)
			rec = record{}
		}
	}
	if rec.State.Lang == "" {
		rec.State.Lang = locales.Norm(in.Lang)
		rec.State.LangChosen = in.LangChosen
	}
	if rec.State.Channel == "" {
		rec.State.Channel = in.Channel
	}
	return rec
}

// apply carries out a turn's effects before its state is saved: if the save
// then fails, the same message runs again and the effects, being idempotent
// per request ID, do not repeat. The other order could lose a request.
func (c *Conversations) apply(ctx context.Context, in Inbound, key string, turn dialog.Turn) (forgot bool, kept []dialog.Reply, _ error) {
	for _, eff := range turn.Effects {
		switch e := eff.(type) {
		case dialog.Submit:
			req := e.Request
			req.Channel, req.ChatID = in.Channel, in.ChatID
			_, dup, err := c.Queue.Enqueue(ctx, req)
			if errors.Is(err, ErrKept) {
				// Not on the stream yet, but safe: say so plainly. The
				// session moves on; if it cannot be saved either, a
				// later Versturen adds nothing twice.
				c.Log.Warn("request kept in the outbox", "ref", req.Ref, "channel", in.Channel)
				kept = []dialog.Reply{{Text: c.Catalog.T(turn.State.Lang, "bot.submit_kept", c.withFacts(map[string]any{"Ref": req.Ref})), Step: dialog.StepDone, Ref: req.Ref}}
				continue
			}
			if err != nil {
				return false, c.submitFailed(turn.State.Lang), fmt.Errorf("enqueue request %s: %w", req.Ref, err)
			}
			c.Log.Info("request submitted", "ref", req.Ref, "channel", in.Channel, "duplicate", dup, "urgency", req.Urgency)
		case dialog.Forget:
			if err := c.Sessions.Delete(ctx, key); err != nil {
				return false, c.unavailable(in), err
			}
			if c.Held != nil {
				if _, err := c.Held.Withdraw(ctx, dialog.Contact{Channel: in.Channel, ChatID: in.ChatID}); err != nil {
					return false, c.unavailable(in), fmt.Errorf("withdraw held requests: %w", err)
				}
			}
			if c.Forgetter != nil {
				if err := c.Forgetter.Forget(ctx, in.Channel, in.ChatID); err != nil {
					return false, c.unavailable(in), fmt.Errorf("forget requests: %w", err)
				}
			}
			forgot = true
		case dialog.Hold:
			if err := c.hold(ctx, in, e); err != nil {
				return false, c.submitFailed(turn.State.Lang), fmt.Errorf("hold request %s: %w", e.Request.Ref, err)
			}
		case dialog.ConfirmHeld:
			res, err := c.confirmHeld(ctx, in, e)
			switch {
			case err != nil:
				return false, c.unavailable(in), err
			case res == heldGone: // expired or answered a moment ago
				return false, []dialog.Reply{{Text: c.Catalog.T(turn.State.Lang, "link.expired", c.Facts), Step: dialog.StepEnded}}, nil
			case res == heldOwn:
				return false, c.ownLink(turn.State.Lang), nil
			}
		case dialog.DeclineHeld:
			res, err := c.declineHeld(ctx, in, e)
			if err != nil {
				return false, c.unavailable(in), err
			}
			if res == heldOwn && !forgets(turn) { // on /vergeet, Forget withdraws it below
				return false, c.ownLink(turn.State.Lang), nil
			}
		}
	}
	return forgot, kept, nil
}

// ownLink tells a registrant who answered their own consent link to
// forward it; the request stays held for the person.
func (c *Conversations) ownLink(lang string) []dialog.Reply {
	return []dialog.Reply{{Text: c.Catalog.T(lang, "link.own", c.Facts)}}
}

func forgets(turn dialog.Turn) bool {
	for _, e := range turn.Effects {
		if _, ok := e.(dialog.Forget); ok {
			return true
		}
	}
	return false
}

func (c *Conversations) unavailable(in Inbound) []dialog.Reply {
	return []dialog.Reply{{Text: c.Catalog.T(in.Lang, "bot.unavailable", c.Facts)}}
}

func (c *Conversations) submitFailed(lang string) []dialog.Reply {
	return []dialog.Reply{{Text: c.Catalog.T(lang, "bot.submit_failed", c.Facts), Step: dialog.StepConfirm}}
}

// withFacts adds the facts (phone numbers) to a message's own data.
func (c *Conversations) withFacts(data map[string]any) map[string]any {
	m := make(map[string]any, len(c.Facts)+len(data))
	for k, v := range c.Facts {
		m[k] = v
	}
	for k, v := range data {
		m[k] = v
	}
	return m
}
