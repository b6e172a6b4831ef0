package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/records"
	"github.com/wotschiedam/wotbot/bot/stats"
)

// store is every Redis access of the desk, as asynq keeps its own in
// internal/rdb: the key builders, the Lua scripts (store_scripts.go), the
// hand-off stream's consumer group (store_stream.go) and typed operations.
// The rest of the desk holds behaviour only (posting, reminders, relay,
// rendering) and never sees a Redis command. The keys are listed in the
// package comment.
type store struct {
	rdb       redis.UniversalClient
	prefix    string        // before every key; a hash tag (one cluster slot)
	stream    string        // the hand-off stream
	group     string        // the desk's consumer group on it
	dead      string        // the dead-letter stream
	retention time.Duration // how long tombstones and the /vergeet mark stay
}

func newStore(rdb redis.UniversalClient, cfg Config) *store {
	return &store{rdb: rdb, prefix: cfg.Prefix, stream: cfg.Stream, group: cfg.Group, dead: cfg.DeadStream, retention: cfg.Retention}
}

// Key builders.

func (s *store) key(parts ...string) string { return s.prefix + strings.Join(parts, ":") }

func (s *store) reqKey(id string) string          { return s.key("req", id) }
func (s *store) refKey(ref string) string         { return s.key("ref", ref) }
func (s *store) msgKey(msgID int) string          { return s.key("msg", strconv.Itoa(msgID)) }
func (s *store) histKey(id string) string         { return s.key("hist", id) }
func (s *store) activeKey() string                { return s.key("active") }
func (s *store) closedKey() string                { return s.key("closed") }
func (s *store) notifyKey() string                { return s.key("notify") }
func (s *store) chatKey(ch, chat string) string   { return s.key("chat", ch, chat) }
func (s *store) forgotKey(ch, chat string) string { return s.key("forgot", ch, chat) }
func (s *store) relayKey(ch, chat string) string  { return s.key("relay", ch, chat) }
func (s *store) askKey(ch, chat string) string    { return s.key("ask", ch, chat) }
func (s *store) relaysKey(staffID int64) string {
	return s.key("relays", strconv.FormatInt(staffID, 10))
}

// staffKey is the one relay of a staff member from before relays were a
// set (read and ended, never written).
func (s *store) staffKey(staffID int64) string { return s.key("staff", strconv.FormatInt(staffID, 10)) }

func (s *store) closeAskKey(id string, uid int64) string {
	return s.key("closeask", id, strconv.FormatInt(uid, 10))
}

func (s *store) seenKey(ch, chat string, seq int64) string {
	return s.key("seen", ch, chat, strconv.FormatInt(seq, 10))
}

// statsKey and claimTimesKey are the counters of a day (stats.DayKey).
func (s *store) statsKey(day string) string      { return s.key("stats", day) }
func (s *store) claimTimesKey(day string) string { return s.key("stats", day, "claim") }

// untoldKey is the set of dead-letter entries staff were not told about.
func (s *store) untoldKey() string { return s.dead + ":untold" }

// Requests.

// idOf returns the request id of a reference, matched in any case
// ("wot-7k3m9q" typed on the command line), as references are issued in
// upper case.
func (s *store) idOf(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	id, err := s.rdb.Get(ctx, s.refKey(strings.ToUpper(ref))).Result()
	if errors.Is(err, redis.Nil) && strings.ToUpper(ref) != ref {
		id, err = s.rdb.Get(ctx, s.refKey(ref)).Result()
	}
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("request %s: %w", ref, ErrUnknown)
	}
	if err != nil {
		return "", fmt.Errorf("look up request %s: %w", ref, err)
	}
	return id, nil
}

// idOfPost is the request id of a staff-chat message; false when it is no
// request's post (or Redis failed).
func (s *store) idOfPost(ctx context.Context, msgID int) (string, bool) {
	id, err := s.rdb.Get(ctx, s.msgKey(msgID)).Result()
	return id, err == nil
}

// load reads a request's record (ErrUnknown when it is not kept).
func (s *store) load(ctx context.Context, id string) (*Record, error) {
	h, err := s.rdb.HGetAll(ctx, s.reqKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("load request %s: %w", id, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("request %s: %w", id, ErrUnknown)
	}
	r := &Record{ID: id, Status: h["status"], ClaimedName: h["claimed_name"], Notify: h["notify"],
		Dup: h["dup"] == "1", Stopped: h["stopped"] != "", RemUrgent: h["rem_urgent"] != "", RemDue: h["rem_due"] != ""}
	if j := h["json"]; j != "" {
		if err := json.Unmarshal([]byte(j), &r.Request); err != nil {
			return nil, fmt.Errorf("request %s: stored JSON: %w", id, err)
		}
	}
	r.Request.Ref = h["ref"]
	r.MsgID, _ = strconv.Atoi(h["msg"])
	r.ClaimedBy, _ = strconv.ParseInt(h["claimed_by"], 10, 64)
	r.ClaimedAt = msTime(h["claimed_at"])
	r.ClosedAt = msTime(h["closed_at"])
	r.Created = msTime(h["created"])
	r.Entry = h["entry"]
	return r, nil
}

// loadKnown is load for records.Each: a request no longer kept is not an
// error there.
func (s *store) loadKnown(ctx context.Context, id string) (*Record, bool, error) {
	rec, err := s.load(ctx, id)
	if errors.Is(err, ErrUnknown) {
		return nil, false, nil
	}
	return rec, err == nil, err
}

func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// Indexes. Each lists its ids; eachRecord walks them.

// eachRecord loads the record of every id and hands it to fn; an id whose
// record is gone goes to gone (nil: skipped). Errors are collected and the
// loop goes on (records.Each).
func (s *store) eachRecord(ctx context.Context, ids []string, gone func(id string), fn func(*Record) error) error {
	return records.Each(ctx, ids, s.loadKnown, gone, fn)
}

// sorted lists the members of a sorted-set index in order; what names it
// in an error.
func (s *store) sorted(ctx context.Context, key, what string) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return ids, nil
}

// activeIDs lists the open and claimed requests by creation time.
func (s *store) activeIDs(ctx context.Context) ([]string, error) {
	return s.sorted(ctx, s.activeKey(), "open requests")
}

// dropActive takes an id whose request is gone out of the active index
// (best effort: the next sweep tries again).
func (s *store) dropActive(ctx context.Context, id string) { s.rdb.ZRem(ctx, s.activeKey(), id) }

// untoldIDs lists the claimed requests whose resident was not told yet.
func (s *store) untoldIDs(ctx context.Context) ([]string, error) {
	return s.sorted(ctx, s.notifyKey(), "residents to tell")
}

// told takes a request off the list of residents to tell of its claim.
func (s *store) told(ctx context.Context, id string) { s.rdb.ZRem(ctx, s.notifyKey(), id) }

// markUnreachable records that the resident of id cannot be told through
// the bot; nobody tries again.
func (s *store) markUnreachable(ctx context.Context, id string) {
	s.rdb.HSet(ctx, s.reqKey(id), "notify", "unreachable")
	s.rdb.ZRem(ctx, s.notifyKey(), id)
}

// closedBefore lists the requests closed at or before cutoff.
func (s *store) closedBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.closedKey(), &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(cutoff.UnixMilli(), 10)}).Result()
	if err != nil {
		return nil, fmt.Errorf("list expired requests: %w", err)
	}
	return ids, nil
}

func (s *store) dropClosed(ctx context.Context, id string) { s.rdb.ZRem(ctx, s.closedKey(), id) }

// chatIDs lists the requests of a resident chat.
func (s *store) chatIDs(ctx context.Context, channel, chatID string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.chatKey(channel, chatID)).Result()
	if err != nil {
		return nil, fmt.Errorf("requests of chat: %w", err)
	}
	return ids, nil
}

// indexChat adds a request to a chat's requests (its /vergeet withdraws it).
func (s *store) indexChat(ctx context.Context, channel, chatID, id string) error {
	return s.rdb.SAdd(ctx, s.chatKey(channel, chatID), id).Err()
}

// markForgot remembers that a chat said /vergeet at now: a request of
// theirs still unread on the stream is withdrawn when a desk reads it.
func (s *store) markForgot(ctx context.Context, channel, chatID string, now time.Time) error {
	return s.rdb.Set(ctx, s.forgotKey(channel, chatID), now.UnixMilli(), s.retention).Err()
}

// dropChat deletes a chat's request index and its message waiting for a
// choice.
func (s *store) dropChat(ctx context.Context, channel, chatID string) error {
	return s.rdb.Del(ctx, s.chatKey(channel, chatID), s.askKey(channel, chatID)).Err()
}

// Fields of a request.

// clearPosting takes the "posting" mark off a request whose post failed.
func (s *store) clearPosting(ctx context.Context, id string) {
	s.rdb.HDel(ctx, s.reqKey(id), "posting", "posting_at")
}

// markReminded sets a reminder field (rem_urgent, rem_due) once; true for
// the one caller that set it.
func (s *store) markReminded(ctx context.Context, id, field string, now time.Time) (bool, error) {
	return s.rdb.HSetNX(ctx, s.reqKey(id), field, now.UnixMilli()).Result()
}

// markStopped records that the resident said "stop" to the chat.
func (s *store) markStopped(ctx context.Context, id string) error {
	return s.rdb.HSet(ctx, s.reqKey(id), "stopped", "1").Err()
}

// close marks a request closed at now by by.
func (s *store) close(ctx context.Context, id, by string, now time.Time) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.reqKey(id), "status", StatusClosed, "closed_at", now.UnixMilli(), "closed_by", by)
		p.ZRem(ctx, s.activeKey(), id)
		p.ZRem(ctx, s.notifyKey(), id)
		p.ZAdd(ctx, s.closedKey(), redis.Z{Score: float64(now.UnixMilli()), Member: id})
		return nil
	})
	return err
}

// erase deletes a request's hash, history and indexes, and its stream
// entry. With a tombstone status, a record of status and reference stays
// for the retention period (see Desk.erase).
func (s *store) erase(ctx context.Context, rec *Record, tombstone string) error {
	req := rec.Request
	key := s.reqKey(rec.ID)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		p.Del(ctx, s.histKey(rec.ID))
		p.ZRem(ctx, s.activeKey(), rec.ID)
		p.ZRem(ctx, s.closedKey(), rec.ID)
		p.ZRem(ctx, s.notifyKey(), rec.ID)
		p.SRem(ctx, s.chatKey(req.Channel, req.ChatID), rec.ID)
		if oc := req.OtherContact; oc != nil {
			p.SRem(ctx, s.chatKey(oc.Channel, oc.ChatID), rec.ID)
		}
		if rec.MsgID != 0 {
			p.Del(ctx, s.msgKey(rec.MsgID))
		}
		if tombstone != "" {
			p.HSet(ctx, key, "status", tombstone, "ref", req.Ref)
			p.PExpire(ctx, key, s.retention)
			p.PExpire(ctx, s.refKey(req.Ref), s.retention)
		} else {
			p.Del(ctx, s.refKey(req.Ref))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete request %s: %w", req.Ref, err)
	}
	if rec.Entry != "" {
		if err := s.deleteEntry(ctx, rec.Entry); err != nil {
			return fmt.Errorf("delete stream entry of %s: %w", req.Ref, err)
		}
	}
	return nil
}

// Relays.

// relay returns the open relay of a resident chat, nil when there is none.
func (s *store) relay(ctx context.Context, channel, chatID string) (*relay, error) {
	h, err := s.rdb.HGetAll(ctx, s.relayKey(channel, chatID)).Result()
	if err != nil {
		return nil, fmt.Errorf("load relay: %w", err)
	}
	if h["id"] == "" {
		return nil, nil
	}
	staff, _ := strconv.ParseInt(h["staff"], 10, 64)
	return &relay{ID: h["id"], Ref: h["ref"], Lang: h["lang"], Name: h["name"], Staff: staff, Channel: channel, ChatID: chatID}, nil
}

// staffRelayIDs lists the requests a staff member may have relays open
// for, with the one relay of before relays were a set.
func (s *store) staffRelayIDs(ctx context.Context, staffID int64) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.relaysKey(staffID)).Result()
	if err != nil {
		return nil, fmt.Errorf("load staff relays: %w", err)
	}
	if old, err := s.rdb.Get(ctx, s.staffKey(staffID)).Result(); err == nil && !slices.Contains(ids, old) {
		ids = append(ids, old)
	}
	return ids, nil
}

// dropStaffRelay takes a relay that ended or moved on out of a staff
// member's set.
func (s *store) dropStaffRelay(ctx context.Context, staffID int64, id string) {
	s.rdb.SRem(ctx, s.relaysKey(staffID), id)
}

// Resident chat state.

// keepAsk keeps a resident's message while they choose the request it is
// about.
func (s *store) keepAsk(ctx context.Context, channel, chatID, text string, ttl time.Duration) error {
	return s.rdb.Set(ctx, s.askKey(channel, chatID), text, ttl).Err()
}

// takeAsk returns and deletes the message keepAsk kept.
func (s *store) takeAsk(ctx context.Context, channel, chatID string) (string, error) {
	return s.rdb.GetDel(ctx, s.askKey(channel, chatID)).Result()
}

// firstSeen is true the first time a message (channel, chat, seq) is seen
// within ttl.
func (s *store) firstSeen(ctx context.Context, channel, chatID string, seq int64, ttl time.Duration) (bool, error) {
	return s.rdb.SetNX(ctx, s.seenKey(channel, chatID, seq), 1, ttl).Result()
}

// Staff chat state.

// askClose records a first tap on a post's close button; true when it is
// the first within ttl.
func (s *store) askClose(ctx context.Context, id string, uid int64, ttl time.Duration) (bool, error) {
	return s.rdb.SetNX(ctx, s.closeAskKey(id, uid), 1, ttl).Result()
}

func (s *store) clearCloseAsk(ctx context.Context, id string, uid int64) {
	s.rdb.Del(ctx, s.closeAskKey(id, uid))
}

// History.

// appendHistory keeps a relayed message (JSON) with its request, the
// newest max.
func (s *store) appendHistory(ctx context.Context, id string, entry []byte, max int64) error {
	key := s.histKey(id)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, key, entry)
		p.LTrim(ctx, key, -max, -1)
		return nil
	})
	return err
}

// history returns a request's relayed messages (JSON), oldest first.
func (s *store) history(ctx context.Context, id string) ([]string, error) {
	raw, err := s.rdb.LRange(ctx, s.histKey(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("load history: %w", err)
	}
	return raw, nil
}

// Staff statistics (stats.go says what is counted).

// countClaim adds a claim's wait to the claim times of day, and one to the
// day's late claims when late.
func (s *store) countClaim(ctx context.Context, day string, wait time.Duration, late bool, ttl time.Duration) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		list := s.claimTimesKey(day)
		p.RPush(ctx, list, strconv.FormatInt(int64(wait/time.Second), 10))
		p.PExpire(ctx, list, ttl)
		if late {
			key := s.statsKey(day)
			p.HIncrBy(ctx, key, stats.FieldClaimedLate, 1)
			p.PExpire(ctx, key, ttl)
		}
		return nil
	})
	return err
}

// dayCounts returns a day's counters and its claim times in seconds.
func (s *store) dayCounts(ctx context.Context, day string) (map[string]int64, []string, error) {
	counts, err := stats.HashCounts(ctx, s.rdb, s.statsKey(day))
	if err != nil {
		return nil, nil, err
	}
	secs, err := s.rdb.LRange(ctx, s.claimTimesKey(day), 0, -1).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("read claim times: %w", err)
	}
	return counts, secs, nil
}

// IntentCounter counts residents' questions per day under the desk's
// prefix (Conversations.Intents), where StatsDays reads them.
func IntentCounter(rdb redis.UniversalClient, prefix string, loc *time.Location, log *slog.Logger) *stats.IntentCounter {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &stats.IntentCounter{RDB: rdb, Prefix: prefix + stats.IntentKeys, Loc: loc, Log: log}
}

// intents counts residents' questions per day under the desk's prefix.
func (s *store) intents(loc *time.Location) *stats.IntentCounter {
	return IntentCounter(s.rdb, s.prefix, loc, nil)
}

// activeSummary is what the state gauges read of one active request.
type activeSummary struct {
	Status string
	JSON   string
}

// summaries reads status and JSON of each id, in chunks of one pipeline.
func (s *store) summaries(ctx context.Context, ids []string) ([]activeSummary, error) {
	const chunk = 500
	out := make([]activeSummary, 0, len(ids))
	for len(ids) > 0 {
		part := ids[:min(chunk, len(ids))]
		ids = ids[len(part):]
		cmds := make([]*redis.SliceCmd, len(part))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range part {
				cmds[i] = p.HMGet(ctx, s.reqKey(id), "status", "json")
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("load open requests: %w", err)
		}
		for _, cmd := range cmds {
			v := cmd.Val()
			if len(v) != 2 {
				continue
			}
			status, _ := v[0].(string)
			raw, _ := v[1].(string)
			out = append(out, activeSummary{Status: status, JSON: raw})
		}
	}
	return out, nil
}
