package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/dialog"
)

// Entry is one message of a web chat's transcript, as the page receives it.
type Entry struct {
	ID      string          `json:"id,omitempty"`   // the stream entry id (also the SSE event id)
	From    string          `json:"from,omitempty"` // "bot" or "resident"
	Text    string          `json:"text,omitempty"`
	Options []dialog.Option `json:"options,omitempty"`
	Step    string          `json:"step,omitempty"`
	Ref     string          `json:"ref,omitempty"`
	Lang    string          `json:"lang,omitempty"` // the language of a bot message
	// Seq is the resident's message id that this entry answers or echoes.
	Seq int64 `json:"seq,omitempty"`
	// Reset tells an open page that the chat was erased (/vergeet).
	Reset bool `json:"reset,omitempty"`
}

// Store keeps each web chat's transcript in Redis: a stream per chat, so a
// page that reconnects (to any replica) gets what it missed by its last
// event id, and messages that arrive while the page is closed wait there.
// A publish on one channel wakes the replica that holds the page's event
// stream.
//
// Keys (per chat, one hash slot):
//
//	{<prefix><chat>}:out   stream of entries (field "e": JSON)
//	{<prefix><chat>}:seq   sorted set of resident message ids already answered
//	<prefix>wake           pub/sub channel; the message is the chat id
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	keep   time.Duration
	// maxLen caps a transcript (approximately); older entries fall off.
	maxLen int64
}

// NewStore returns a store under prefix (default "wot:web:") that keeps a
// transcript for keep after its newest entry.
func NewStore(rdb redis.UniversalClient, prefix string, keep time.Duration) *Store {
	if prefix == "" {
		prefix = "wot:web:"
	}
	if keep <= 0 {
		keep = dialog.DefaultRetentionDays * 24 * time.Hour
	}
	return &Store{rdb: rdb, prefix: prefix, keep: keep, maxLen: 500}
}

// Keep is how long a transcript is kept after its newest entry.
func (s *Store) Keep() time.Duration { return s.keep }

// ChannelName is the channel name of web chats in sessions and hand-offs.
const ChannelName = "web"

func (s *Store) outKey(chat string) string { return "{" + s.prefix + chat + "}:out" }
func (s *Store) seqKey(chat string) string { return "{" + s.prefix + chat + "}:seq" }
func (s *Store) wakeChannel() string       { return s.prefix + "wake" }

// appendScript adds a turn's entries once per resident message id, and
// wakes the replica holding the page (in the same round trip).
// KEYS: out stream, seq set. ARGV: seq (0: no dedupe), ttl ms, maxlen,
// wake channel, chat id, entries (JSON) ... Returns the number of entries
// added (0: a repeat).
var appendScript = redis.NewScript(`
local seq = tonumber(ARGV[1])
if seq > 0 then
  if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
  redis.call('ZADD', KEYS[2], seq, ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -257)
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
for i = 6, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'e', ARGV[i])
end
if #ARGV > 5 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return #ARGV - 5
`)

// Append adds entries to chat's transcript, once for a resident message id
// seq above zero, and wakes the page. added is false for a repeat.
func (s *Store) Append(ctx context.Context, chat string, seq int64, entries ...Entry) (added bool, err error) {
	args := make([]any, 0, 5+len(entries))
	args = append(args, seq, s.keep.Milliseconds(), s.maxLen, s.wakeChannel(), chat)
	for _, e := range entries {
		e.ID = ""
		b, err := json.Marshal(e)
		if err != nil {
			return false, fmt.Errorf("encode entry: %w", err)
		}
		args = append(args, string(b))
	}
	n, err := appendScript.Run(ctx, s.rdb, []string{s.outKey(chat), s.seqKey(chat)}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("append to web chat: %w", err)
	}
	return n > 0 || len(entries) == 0, nil
}

// Answered tells whether the resident message seq was answered already.
func (s *Store) Answered(ctx context.Context, chat string, seq int64) (bool, error) {
	err := s.rdb.ZScore(ctx, s.seqKey(chat), strconv.FormatInt(seq, 10)).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return err == nil, err
}

// Notify adds a bot message to a web chat that did not just write (a staff
// member's reply, a notice). It implements bot.Notifier, and works from
// any process that reaches Redis (the desk too).
func (s *Store) Notify(ctx context.Context, chat, text string) error {
	if !validChat(chat) {
		return fmt.Errorf("notify web chat: bad chat id")
	}
	_, err := s.Append(ctx, chat, 0, Entry{From: "bot", Text: text})
	return err
}

// Forget erases a web chat's transcript (bot.Forgetter); an open page is
// told to clear itself.
func (s *Store) Forget(ctx context.Context, channel, chat string) error {
	if channel != ChannelName {
		return nil
	}
	// Trimmed, not deleted: the stream keeps its last id, so the entries
	// that follow get higher ids and an open page reads them.
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XTrimMaxLen(ctx, s.outKey(chat), 0)
		p.Del(ctx, s.seqKey(chat))
		return nil
	}); err != nil {
		return fmt.Errorf("forget web chat: %w", err)
	}
	_, err := s.Append(ctx, chat, 0, Entry{Reset: true})
	return err
}

// Read returns up to count entries after the entry id after ("0": from
// the start).
func (s *Store) Read(ctx context.Context, chat, after string, count int64) ([]Entry, error) {
	res, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.outKey(chat), after}, Count: count, Block: -1}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read web chat: %w", err)
	}
	var out []Entry
	for _, st := range res {
		for _, m := range st.Messages {
			var e Entry
			raw, _ := m.Values["e"].(string)
			if json.Unmarshal([]byte(raw), &e) != nil {
				continue
			}
			e.ID = m.ID
			out = append(out, e)
		}
	}
	return out, nil
}

// Wakeups delivers the chat ids with news until ctx ends, and "" (every
// chat) whenever the subscription was made again after a lost connection:
// wake-ups published in between are lost, so every page looks.
func (s *Store) Wakeups(ctx context.Context) <-chan string {
	ps := s.rdb.Subscribe(ctx, s.wakeChannel())
	// Wait for the subscription, so wake-ups published from now on arrive.
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, _ = ps.Receive(rctx)
	cancel()
	out := make(chan string, 256)
	go func() {
		<-ctx.Done()
		ps.Close() // Receive does not watch ctx while it waits
	}()
	go func() {
		defer close(out)
		for {
			msg, err := ps.Receive(ctx)
			if ctx.Err() != nil {
				return
			}
			var chat string
			switch m := msg.(type) {
			case *redis.Message:
				chat = m.Payload
			case *redis.Subscription: // subscribed again: wake every page
			default:
				if err != nil { // go-redis reconnects on the next Receive
					select {
					case <-time.After(100 * time.Millisecond):
					case <-ctx.Done():
						return
					}
				}
				continue
			}
			select {
			case out <- chat:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
