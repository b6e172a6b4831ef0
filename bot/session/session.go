// Package session keeps one opaque record per chat in Redis, with optimistic
// concurrency: every Save names the version it read, and loses (ErrConflict)
// when another writer saved in between. Two replicas of the bot can then
// serve the same chat without one silently overwriting the other.
//
// A record is a Redis hash with two fields: v (the version, counting up from
// 1) and d (the data). It expires ttl after its last save.
package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Errors name no key: a key holds a chat id ("telegram:2201"), and errors
// end up in logs, where a chat is named only by a keyed hash.

// ErrConflict means the record changed since it was loaded: load it again,
// redo the change and save again.
var ErrConflict = errors.New("session changed concurrently")

// saveScript is compare-and-set: it writes only when the stored version is
// the one the caller read (0: the record must not exist). Returns the new
// version, or -1 on a conflict.
const saveScript = `
local cur = redis.call('HGET', KEYS[1], 'v')
local want = tonumber(ARGV[1])
if cur then
  if tonumber(cur) ~= want then return -1 end
elseif want ~= 0 then
  return -1
end
local nv = want + 1
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('PERSIST', KEYS[1])
end
return nv
`

// markScript notes a delivered turn on an existing record only: a record
// deleted meanwhile (/vergeet) must not come back as a husk without TTL.
// ARGV[1] is the turn's sequence number; ARGV[2], when above 0, says only
// that many of its replies went out so far (field p, "seq:n", never
// lowered for the same turn), which leaves field s, the last turn delivered
// whole, alone.
const markScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local sent = tonumber(ARGV[2] or '0') or 0
if sent > 0 then
  local p = redis.call('HGET', KEYS[1], 'p')
  local pseq, pn = string.match(p or '', '^(%d+):(%d+)$')
  if pseq ~= ARGV[1] or tonumber(pn) < sent then
    redis.call('HSET', KEYS[1], 'p', ARGV[1] .. ':' .. sent)
  end
else
  redis.call('HSET', KEYS[1], 's', ARGV[1])
end
return 1
`

// Store keeps session records under a key prefix. It is safe for concurrent
// use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
	save   *redis.Script
	mark   *redis.Script
}

// New returns a store whose keys are prefix+key and whose records expire ttl
// after their last save (ttl <= 0: never).
func New(rdb redis.UniversalClient, prefix string, ttl time.Duration) *Store {
	return &Store{rdb: rdb, prefix: prefix, ttl: ttl, save: redis.NewScript(saveScript), mark: redis.NewScript(markScript)}
}

// Load returns the record's data and version. A missing (or expired) record
// is nil data and version 0, not an error.
func (s *Store) Load(ctx context.Context, key string) ([]byte, int64, error) {
	vals, err := s.rdb.HMGet(ctx, s.prefix+key, "v", "d").Result()
	if err != nil {
		return nil, 0, fmt.Errorf("load session: %w", err)
	}
	if vals[0] == nil {
		return nil, 0, nil
	}
	vs, ok1 := vals[0].(string)
	ds, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return nil, 0, errors.New("load session: malformed record")
	}
	version, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("load session: bad version %q", vs)
	}
	return []byte(ds), version, nil
}

// Save stores data if the record is still at version (0: if it does not
// exist) and returns the new version. Otherwise it returns ErrConflict and
// changes nothing. Every save restarts the record's TTL.
func (s *Store) Save(ctx context.Context, key string, data []byte, version int64) (int64, error) {
	if version < 0 {
		return 0, fmt.Errorf("save session: negative version %d", version)
	}
	if data == nil {
		// Lua cannot tell nil from empty; keep Load's "nil means missing" true.
		data = []byte{}
	}
	nv, err := s.save.Run(ctx, s.rdb, []string{s.prefix + key}, version, data, s.ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("save session: %w", err)
	}
	if nv < 0 {
		return 0, fmt.Errorf("save session at version %d: %w", version, ErrConflict)
	}
	return nv, nil
}

// Delete removes the record. Deleting a missing record is not an error; a
// writer still holding the old version then gets ErrConflict on Save.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Delivery names a turn whose replies reached the resident: the session
// key and the turn's sequence number. Sent above zero says only the first
// Sent replies of the turn did so far (the channel is still sending): a
// process that dies before the rest is followed by one that sends only the
// rest (see SentOf).
type Delivery struct {
	Key  string
	Seq  int64
	Sent int
}

// MarkDelivered records that the replies of the turns ds reached the
// residents, in one round trip however many there are (a channel under load
// gathers them). It leaves the records' versions alone: it is bookkeeping of
// the channel, not a change of the conversation. Marks of one key are
// applied in the order given.
func (s *Store) MarkDelivered(ctx context.Context, ds ...Delivery) error {
	switch len(ds) {
	case 0:
		return nil
	case 1:
		if err := s.mark.Run(ctx, s.rdb, []string{s.prefix + ds[0].Key}, ds[0].Seq, ds[0].Sent).Err(); err != nil {
			return fmt.Errorf("mark delivered: %w", err)
		}
		return nil
	}
	send := func() error {
		pipe := s.rdb.Pipeline()
		for _, d := range ds {
			s.mark.EvalSha(ctx, pipe, []string{s.prefix + d.Key}, d.Seq, d.Sent)
		}
		_, err := pipe.Exec(ctx)
		return err
	}
	err := send()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// A pipeline cannot fall back to EVAL per command as Run does; the
		// marks are idempotent, so load the script and send them all again.
		if err := s.mark.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("mark %d deliveries: load script: %w", len(ds), err)
		}
		err = send()
	}
	if err != nil {
		return fmt.Errorf("mark %d deliveries: %w", len(ds), err)
	}
	return nil
}

// LastDelivered returns the sequence number last marked delivered (0: none).
func (s *Store) LastDelivered(ctx context.Context, key string) (int64, error) {
	v, err := s.rdb.HGet(ctx, s.prefix+key, "s").Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last delivered: %w", err)
	}
	return v, nil
}

// SentOf returns how many replies of the turn seq were marked sent while it
// was still being answered (Delivery.Sent); 0 when none were, or when the
// mark is of another turn.
func (s *Store) SentOf(ctx context.Context, key string, seq int64) (int, error) {
	v, err := s.rdb.HGet(ctx, s.prefix+key, "p").Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sent replies: %w", err)
	}
	markSeq, n, ok := strings.Cut(v, ":")
	if !ok || markSeq != strconv.FormatInt(seq, 10) {
		return 0, nil
	}
	sent, err := strconv.Atoi(n)
	if err != nil || sent < 0 {
		return 0, fmt.Errorf("sent replies: malformed mark")
	}
	return sent, nil
}
