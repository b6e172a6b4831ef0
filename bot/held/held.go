// Package held keeps requests for someone else that wait for that person's
// own consent through a personal link. A token works once: answering,
// expiring or withdrawing takes the request out in one atomic step, so it
// can reach staff at most once and is never shown to anyone after.
package held

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/records"

	"github.com/wotschiedam/wotbot/dialog"
)

// Record is one held request.
type Record struct {
	Token      string         `json:"token"`
	Request    dialog.Request `json:"request"`
	ExpiresAt  time.Time      `json:"expires_at"`
	Registrant dialog.Contact `json:"registrant"`
}

// Store keeps held requests in Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	// Remember is how long a used or expired token is remembered, so that
	// opening it again says "used" or "expired" rather than "unknown".
	Remember time.Duration
}

// New returns a store whose keys start with prefix (e.g. "wot:held:").
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix, Remember: 30 * 24 * time.Hour}
}

func (s *Store) dataKey(token string) string { return s.prefix + "t:" + token }
func (s *Store) doneKey(token string) string { return s.prefix + "done:" + token }
func (s *Store) dueKey() string              { return s.prefix + "due" }
func (s *Store) byKey(c dialog.Contact) string {
	return s.prefix + "by:" + c.Channel + ":" + c.ChatID
}

// Put holds a request until its token is answered or expires.
func (s *Store) Put(ctx context.Context, r Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode held request %s: %w", r.Request.Ref, err)
	}
	// The data outlives its expiry by a day so the sweeper can still tell
	// the registrant what expired.
	ttl := time.Until(r.ExpiresAt) + 24*time.Hour
	if ttl < time.Hour {
		ttl = time.Hour
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.dataKey(r.Token), data, ttl)
		p.ZAdd(ctx, s.dueKey(), redis.Z{Score: float64(r.ExpiresAt.Unix()), Member: r.Token})
		p.SAdd(ctx, s.byKey(r.Registrant), r.Token)
		p.Expire(ctx, s.byKey(r.Registrant), ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("hold request %s: %w", r.Request.Ref, err)
	}
	return nil
}

// Get returns the held request of token, or nil.
func (s *Store) Get(ctx context.Context, token string) (*Record, error) {
	data, err := s.rdb.Get(ctx, s.dataKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get held request: %w", err)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode held request: %w", err)
	}
	return &r, nil
}

// Lookup says what a token is, at now, for the chat by that opened it,
// with what the person sees before they agree. A link opened in
// the registrant's own chat is HeldOwn: the registrant cannot answer for
// the person.
func (s *Store) Lookup(ctx context.Context, token string, by dialog.Contact, now time.Time) (dialog.HeldLookup, error) {
	out := dialog.HeldLookup{Token: token, Status: dialog.HeldUnknown}
	r, err := s.Get(ctx, token)
	if err != nil {
		return out, err
	}
	if r != nil {
		if !now.Before(r.ExpiresAt) {
			out.Status = dialog.HeldExpired
			return out, nil
		}
		if r.Registrant == by {
			out.Status = dialog.HeldOwn
			return out, nil
		}
		req := r.Request
		out.Status, out.Topic = dialog.HeldOpen, req.Topic
		out.RegistrantName = firstName(req.Name)
		// The person reads what was written about them before they agree;
		// the registrant's own surname and phone number stay out.
		out.Description, out.Urgency, out.Location = req.Description, req.Urgency, req.Location
		out.ContactVia, out.PhoneOf = req.ContactVia, req.PhoneOf
		return out, nil
	}
	outcome, err := s.rdb.Get(ctx, s.doneKey(token)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return out, nil
	case err != nil:
		return out, fmt.Errorf("look up used token: %w", err)
	case outcome == "expired":
		out.Status = dialog.HeldExpired
	default:
		out.Status = dialog.HeldUsed
	}
	return out, nil
}

// take removes the request and remembers the outcome, all or nothing.
var take = redis.NewScript(`
local data = redis.call('GET', KEYS[1])
if not data then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
local r = cjson.decode(data)
redis.call('SREM', ARGV[4] .. r.registrant.channel .. ':' .. r.registrant.chat_id, ARGV[1])
return data
`)

// Take removes a held request for good, recording why (confirmed,
// declined, expired, withdrawn). It returns nil when the token was taken
// before: only one caller ever gets the request.
func (s *Store) Take(ctx context.Context, token, outcome string) (*Record, error) {
	keys := []string{s.dataKey(token), s.dueKey(), s.doneKey(token)}
	res, err := take.Run(ctx, s.rdb, keys, token, outcome, int(s.Remember.Seconds()), s.prefix+"by:").Text()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("take held request: %w", err)
	}
	var r Record
	if err := json.Unmarshal([]byte(res), &r); err != nil {
		return nil, fmt.Errorf("decode held request: %w", err)
	}
	return &r, nil
}

// taker is Take for records.Each: a token taken before is gone.
func (s *Store) taker(outcome string) func(context.Context, string) (*Record, bool, error) {
	return func(ctx context.Context, token string) (*Record, bool, error) {
		r, err := s.Take(ctx, token, outcome)
		return r, r != nil, err
	}
}

// Expire takes every request whose time ran out before now.
func (s *Store) Expire(ctx context.Context, now time.Time) ([]Record, error) {
	tokens, err := s.rdb.ZRangeByScore(ctx, s.dueKey(), &redis.ZRangeBy{Min: "-inf", Max: fmt.Sprint(now.Unix())}).Result()
	if err != nil {
		return nil, fmt.Errorf("list expired held requests: %w", err)
	}
	var out []Record
	// Data already gone: the stale entry is dropped.
	gone := func(tok string) { s.rdb.ZRem(ctx, s.dueKey(), tok) }
	err = records.Each(ctx, tokens, s.taker("expired"), gone, func(r *Record) error {
		out = append(out, *r)
		return nil
	})
	return out, err
}

// Withdraw takes every request the registrant c still holds (/vergeet).
func (s *Store) Withdraw(ctx context.Context, c dialog.Contact) ([]Record, error) {
	tokens, err := s.rdb.SMembers(ctx, s.byKey(c)).Result()
	if err != nil {
		return nil, fmt.Errorf("list held requests: %w", err)
	}
	var out []Record
	err = records.Each(ctx, tokens, s.taker("withdrawn"), nil, func(r *Record) error {
		out = append(out, *r)
		return nil
	})
	if err != nil {
		return out, err
	}
	return out, s.rdb.Del(ctx, s.byKey(c)).Err()
}

// firstName is what the registered person is told about who registered
// them: the first name only.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return ""
}
