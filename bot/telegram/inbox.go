package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// inbox is the per-bot Redis stream that long polling writes updates to
// before it confirms them to Telegram, and that handling reads from. An
// update is added once per update_id (a key per id remembers it for
// inboxSeenTTL, longer than Telegram keeps an unconfirmed update), is read
// by the consumer group inboxGroup, and is acknowledged and deleted once
// handled: the stream holds message text only while it waits.
//
// Keys, all under one hash tag so the scripts run in one cluster slot:
//
//	<prefix>updates      the stream: fields id (update_id) and update (JSON)
//	<prefix>seen:<id>    a digest of the update added (expires after inboxSeenTTL)
type inbox struct {
	rdb      redis.UniversalClient
	prefix   string
	consumer string
}

const (
	inboxGroup = "handlers"
	// inboxSeenTTL outlasts the 24 hours Telegram keeps an update that was
	// not confirmed, so a redelivered update is always known.
	inboxSeenTTL = 48 * time.Hour
)

// defaultInboxPrefix names the inbox of a bot by its numeric id (the part
// of the token before the colon, which is not secret) and, for a Bot API
// server other than Telegram's, that server's host: two test servers (or a
// local Bot API server and Telegram) never share an inbox.
func defaultInboxPrefix(token, apiURL string) string {
	id, _, _ := strings.Cut(token, ":")
	if u, err := url.Parse(apiURL); err == nil && u.Host != "" && u.Host != "api.telegram.org" {
		id += "@" + u.Host
	}
	return "{wot:inbox:" + id + "}:"
}

func (ib *inbox) stream() string       { return ib.prefix + "updates" }
func (ib *inbox) seen(id int64) string { return ib.prefix + "seen:" + strconv.FormatInt(id, 10) }
func (ib *inbox) ensureGroup(ctx context.Context) error {
	err := ib.rdb.XGroupCreateMkStream(ctx, ib.stream(), inboxGroup, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create inbox group: %w", err)
	}
	return nil
}

// inboxAddScript adds the updates not added before, in their order.
// KEYS[1] the stream, KEYS[2..n+1] the seen key of each update. ARGV[1]
// seen TTL in seconds, then per update its id, its JSON and a digest of it.
// Returns how many were new.
//
// An update is known by its id and digest together: Telegram sends an
// unconfirmed update again as it was, while an id that comes back with
// other content is a new update (a test server that starts counting again,
// or Telegram's ids after a week without updates) and must not be dropped.
// Each seen key is checked first and written after its XADD: should XADD
// fail (out of memory), nothing marks the update as added, and the poll
// that retries adds it.
var inboxAddScript = redis.NewScript(`
local added = 0
for i = 2, #KEYS do
  local a = 3 * (i - 2) + 2
  if redis.call('GET', KEYS[i]) ~= ARGV[a + 2] then
    redis.call('XADD', KEYS[1], '*', 'id', ARGV[a], 'update', ARGV[a + 1])
    redis.call('SET', KEYS[i], ARGV[a + 2], 'EX', ARGV[1])
    added = added + 1
  end
end
return added
`)

// add writes polled updates to the inbox, each once, in one round trip.
func (ib *inbox) add(ctx context.Context, updates []polled) (int, error) {
	if len(updates) == 0 {
		return 0, nil
	}
	keys := make([]string, 0, len(updates)+1)
	args := make([]any, 0, 3*len(updates)+1)
	keys = append(keys, ib.stream())
	args = append(args, int64(inboxSeenTTL/time.Second))
	for _, u := range updates {
		sum := sha256.Sum256(u.raw)
		keys = append(keys, ib.seen(u.id))
		args = append(args, u.id, string(u.raw), hex.EncodeToString(sum[:12]))
	}
	n, err := inboxAddScript.Run(ctx, ib.rdb, keys, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("add %d updates to the inbox: %w", len(updates), err)
	}
	return n, nil
}

// inboxEntry is one update read from the inbox.
type inboxEntry struct {
	entry    string // stream id, for the acknowledgement
	updateID int64
	raw      []byte
}

// read returns up to count entries: with start "0", the ones this consumer
// read before and did not acknowledge (a restart); with ">", new ones,
// waiting up to block for them.
func (ib *inbox) read(ctx context.Context, start string, count int64, block time.Duration) ([]inboxEntry, error) {
	args := &redis.XReadGroupArgs{Group: inboxGroup, Consumer: ib.consumer, Streams: []string{ib.stream(), start}, Count: count}
	if start == ">" {
		args.Block = block
	}
	res, err := ib.rdb.XReadGroup(ctx, args).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the inbox: %w", err)
	}
	var out []inboxEntry
	for _, s := range res {
		for _, m := range s.Messages {
			e := inboxEntry{entry: m.ID}
			idText, _ := m.Values["id"].(string)
			e.updateID, _ = strconv.ParseInt(idText, 10, 64)
			raw, _ := m.Values["update"].(string)
			e.raw = []byte(raw)
			out = append(out, e)
		}
	}
	return out, nil
}

// done acknowledges handled entries and deletes them: the text of a
// message is not kept once it was handled.
func (ib *inbox) done(ctx context.Context, entries []string) error {
	if len(entries) == 0 {
		return nil
	}
	_, err := ib.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, ib.stream(), inboxGroup, entries...)
		p.XDel(ctx, ib.stream(), entries...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("acknowledge %d inbox entries: %w", len(entries), err)
	}
	return nil
}
