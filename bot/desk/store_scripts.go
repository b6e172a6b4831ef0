package desk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The desk's Lua scripts and the typed operations that run them. Every key
// a script touches is under the desk's prefix (one hash tag) or the
// stream's, so each runs in one cluster slot.

// registerScript registers a request read from the stream (unless it is
// known) and decides whether this desk posts it. A request is counted once,
// when it is first registered.
//
//	KEYS[1] req:<id>   KEYS[2] ref:<ref>   KEYS[3] active
//	KEYS[4] chat:<ch>:<chat>   KEYS[5] forgot:<ch>:<chat>
//	KEYS[6] stats:<day> (the day's counters)
//	ARGV[1] id   ARGV[2] ref   ARGV[3] request JSON   ARGV[4] created ms
//	ARGV[5] entry id   ARGV[6] consumer   ARGV[7] now ms   ARGV[8] lease ms
//	ARGV[9] tombstone ttl ms   ARGV[10] stats ttl ms
//	ARGV[11..] the counter fields to add one to
//
// Returns {state, msg}: state is go, retry (an earlier attempt may have been
// sent), busy (another desk is posting), posted, withdrawn, closed.
var registerScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then
  for i = 11, #ARGV do redis.call('HINCRBY', KEYS[6], ARGV[i], 1) end
  if #ARGV >= 11 then redis.call('PEXPIRE', KEYS[6], ARGV[10]) end
  local forgot = redis.call('GET', KEYS[5])
  if forgot and tonumber(forgot) >= tonumber(ARGV[4]) then
    redis.call('HSET', KEYS[1], 'status', 'withdrawn', 'ref', ARGV[2])
    redis.call('PEXPIRE', KEYS[1], ARGV[9])
    return {'withdrawn', ''}
  end
  redis.call('HSET', KEYS[1], 'status', 'open', 'ref', ARGV[2], 'json', ARGV[3], 'created', ARGV[4], 'entry', ARGV[5])
  redis.call('SET', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
  redis.call('SADD', KEYS[4], ARGV[1])
  st = 'open'
end
if st == 'withdrawn' or st == 'closed' then return {st, ''} end
local v = redis.call('HMGET', KEYS[1], 'msg', 'posting', 'posting_at')
if v[1] then return {'posted', v[1]} end
if v[2] and v[2] ~= ARGV[6] and tonumber(ARGV[7]) - tonumber(v[3]) < tonumber(ARGV[8]) then
  return {'busy', ''}
end
redis.call('HSET', KEYS[1], 'posting', ARGV[6], 'posting_at', ARGV[7])
if v[2] then return {'retry', ''} end
return {'go', ''}
`)

// registration is a request as read from the stream, for register.
type registration struct {
	ID, Ref, JSON string
	Created       time.Time
	Channel       string
	ChatID        string
	Entry         string // stream entry id
	Day           string // stats.DayKey of Created
	Counters      []any  // stats fields to add one to
}

// register runs registerScript for consumer at now, with the posting lease
// and the stats ttl; it returns the state.
func (s *store) register(ctx context.Context, r registration, consumer string, now time.Time, lease, statsTTL time.Duration) (string, error) {
	args := append([]any{r.ID, r.Ref, r.JSON, r.Created.UnixMilli(), r.Entry, consumer, now.UnixMilli(), lease.Milliseconds(),
		s.retention.Milliseconds(), statsTTL.Milliseconds()}, r.Counters...)
	res, err := registerScript.Run(ctx, s.rdb,
		[]string{s.reqKey(r.ID), s.refKey(r.Ref), s.activeKey(), s.chatKey(r.Channel, r.ChatID),
			s.forgotKey(r.Channel, r.ChatID), s.statsKey(r.Day)},
		args...).StringSlice()
	if err != nil {
		return "", err
	}
	return res[0], nil
}

// postedScript records the staff message.
//
//	KEYS[1] req:<id>   KEYS[2] msg:<msg id>
//	ARGV[1] msg id   ARGV[2] request id
//
// Returns the status (a request withdrawn while it was posted says so), or
// gone.
var postedScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'gone' end
redis.call('HSET', KEYS[1], 'msg', ARGV[1])
redis.call('HDEL', KEYS[1], 'posting', 'posting_at')
redis.call('SET', KEYS[2], ARGV[2])
return st
`)

// recordPost records the post msgID of request id, whether it may be a
// duplicate, and acknowledges its stream entry, in one round trip. It
// returns the request's status.
func (s *store) recordPost(ctx context.Context, id string, msgID int, dup bool, entry string) (string, error) {
	var st *redis.Cmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		// Eval, not EvalSha: a pipeline cannot fall back on NOSCRIPT.
		st = postedScript.Eval(ctx, p, []string{s.reqKey(id), s.msgKey(msgID)}, msgID, id)
		p.HSet(ctx, s.reqKey(id), "dup", boolStr(dup))
		p.XAck(ctx, s.stream, s.group, entry)
		return nil
	})
	if err != nil {
		return "", err
	}
	status, _ := st.Text()
	return status, nil
}

// claimScript: the first claim wins. The request joins the staff member's
// set of open relays; a relay the resident's chat had with the same staff
// member before leaves it (one relay per resident chat); a relay with
// another staff member stays, and this claim opens none.
//
//	KEYS[1] req:<id>   KEYS[2] relays:<uid>   KEYS[3] relay:<ch>:<chat>
//	KEYS[4] notify
//	ARGV[1] uid   ARGV[2] name   ARGV[3] now ms   ARGV[4] id   ARGV[5] lang
//	ARGV[6] ref   ARGV[7] open a relay (1/0)
//
// Returns {won|status|gone, name of whoever has it}.
var claimScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'status', 'claimed_name')
if not v[1] then return {'gone', ''} end
if v[1] ~= 'open' then return {v[1], v[2] or ''} end
redis.call('HSET', KEYS[1], 'status', 'claimed', 'claimed_by', ARGV[1], 'claimed_name', ARGV[2], 'claimed_at', ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
if ARGV[7] == '1' then
  local old = redis.call('HMGET', KEYS[3], 'id', 'staff')
  -- The resident chats with a colleague about another request: that chat
  -- stays; the resident's messages about this one still reach the claimer.
  if old[1] and old[2] ~= ARGV[1] then return {'won', ARGV[2]} end
  if old[1] then redis.call('SREM', KEYS[2], old[1]) end
  redis.call('SADD', KEYS[2], ARGV[4])
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'id', ARGV[4], 'staff', ARGV[1], 'name', ARGV[2], 'lang', ARGV[5], 'ref', ARGV[6])
end
return {'won', ARGV[2]}
`)

// chatRef names a request and where its resident is reached, for the
// scripts that open, move or end its relay.
type chatRef struct {
	ID, Ref, Lang   string
	Channel, ChatID string // the resident's chat
}

// claim runs claimScript; it returns the outcome and whoever has it.
func (s *store) claim(ctx context.Context, c chatRef, by Staff, now time.Time, openRelay bool) (outcome, name string, err error) {
	out, err := claimScript.Run(ctx, s.rdb,
		[]string{s.reqKey(c.ID), s.relaysKey(by.ID), s.relayKey(c.Channel, c.ChatID), s.notifyKey()},
		by.ID, by.Name, now.UnixMilli(), c.ID, c.Lang, c.Ref, boolStr(openRelay)).StringSlice()
	if err != nil {
		return "", "", err
	}
	return out[0], out[1], nil
}

// endRelayScript ends a relay when it is still the request's.
//
//	KEYS[1] relay:<ch>:<chat>   KEYS[2] relays:<uid>
//	KEYS[3] staff:<uid> (the key of before relays were a set)
//	ARGV[1] request id
//
// Returns 1 when a relay was ended.
var endRelayScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1
`)

// endRelay ends rel; false when it had ended already.
func (s *store) endRelay(ctx context.Context, rel *relay) (bool, error) {
	n, err := endRelayScript.Run(ctx, s.rdb,
		[]string{s.relayKey(rel.Channel, rel.ChatID), s.relaysKey(rel.Staff), s.staffKey(rel.Staff)}, rel.ID).Int()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// reassignScript hands a claimed request over.
//
//	KEYS[1] req:<id>   KEYS[2] relays:<old uid>   KEYS[3] relays:<new uid>
//	KEYS[4] relay:<ch>:<chat>
//	ARGV[1] new uid   ARGV[2] new name   ARGV[3] now ms   ARGV[4] id
//	ARGV[5] lang   ARGV[6] ref   ARGV[7] old uid (as read)
//	ARGV[8] open (1: the chat moves along when open)
//
// Returns {ok|status|moved, detail}.
var reassignScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'status', 'claimed_by')
if v[1] ~= 'claimed' then return {'status', v[1] or 'gone'} end
if (v[2] or '') ~= ARGV[7] then return {'moved', v[2] or ''} end
redis.call('HSET', KEYS[1], 'claimed_by', ARGV[1], 'claimed_name', ARGV[2], 'claimed_at', ARGV[3])
if redis.call('HGET', KEYS[4], 'id') == ARGV[4] then
  redis.call('DEL', KEYS[4])
  redis.call('SREM', KEYS[2], ARGV[4])
  if ARGV[8] == '1' then
    redis.call('HSET', KEYS[4], 'id', ARGV[4], 'staff', ARGV[1], 'name', ARGV[2], 'lang', ARGV[5], 'ref', ARGV[6])
    redis.call('SADD', KEYS[3], ARGV[4])
  end
end
return {'ok', ''}
`)

// reassign runs reassignScript: from old (as read) to to.
func (s *store) reassign(ctx context.Context, c chatRef, old int64, to Staff, now time.Time, open bool) (outcome, detail string, err error) {
	out, err := reassignScript.Run(ctx, s.rdb,
		[]string{s.reqKey(c.ID), s.relaysKey(old), s.relaysKey(to.ID), s.relayKey(c.Channel, c.ChatID)},
		to.ID, to.Name, now.UnixMilli(), c.ID, c.Lang, c.Ref, strconv.FormatInt(old, 10), boolStr(open)).StringSlice()
	if err != nil {
		return "", "", err
	}
	return out[0], out[1], nil
}

// reopenScript opens the chat of a claimed request again, for its claimer.
//
//	KEYS[1] req:<id>   KEYS[2] relays:<uid>   KEYS[3] relay:<ch>:<chat>
//	ARGV[1] uid   ARGV[2] id   ARGV[3] lang   ARGV[4] ref
//
// Returns {outcome, detail}: reopened|open (name), status (the status),
// not_yours (name), busy (the other request's id).
var reopenScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'status', 'claimed_by', 'claimed_name')
if v[1] ~= 'claimed' then return {'status', v[1] or 'gone'} end
if v[2] ~= ARGV[1] then return {'not_yours', v[3] or ''} end
local cur = redis.call('HMGET', KEYS[3], 'id', 'staff')
if cur[1] == ARGV[2] then return {'open', v[3] or ''} end
if cur[1] then return {'busy', cur[1]} end
redis.call('HSET', KEYS[3], 'id', ARGV[2], 'staff', ARGV[1], 'name', v[3] or '', 'lang', ARGV[3], 'ref', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[1], 'stopped')
return {'reopened', v[3] or ''}
`)

// reopen runs reopenScript for staff member uid.
func (s *store) reopen(ctx context.Context, c chatRef, uid int64) (outcome, detail string, err error) {
	out, err := reopenScript.Run(ctx, s.rdb,
		[]string{s.reqKey(c.ID), s.relaysKey(uid), s.relayKey(c.Channel, c.ChatID)},
		uid, c.ID, c.Lang, c.Ref).StringSlice()
	if err != nil {
		return "", "", err
	}
	return out[0], out[1], nil
}

// deadLetterScript moves an entry to the dead-letter stream, once: only the
// desk whose XACK acknowledged it moves it, so two desks that both read it
// (one took it over from the other) add it once.
//
//	KEYS[1] stream   KEYS[2] dead-letter stream
//	KEYS[3] set of dead-letter entries staff were not told about yet
//	ARGV[1] group   ARGV[2] entry id   ARGV[3..] the entry's field/value pairs
//
// Returns the dead-letter entry id, or false when another desk moved it.
var deadLetterScript = redis.NewScript(`
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return false end
local fields = {'entry', ARGV[2]}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
return id
`)

// deadLetter moves m to the dead-letter stream; false when another desk
// moved it.
func (s *store) deadLetter(ctx context.Context, m streamEntry) (bool, error) {
	args := []any{s.group, m.ID}
	for k, v := range m.Values {
		args = append(args, k, v)
	}
	_, err := deadLetterScript.Run(ctx, s.rdb, []string{s.stream, s.dead, s.untoldKey()}, args...).Result()
	if err == redis.Nil {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("move entry %s to %s: %w", m.ID, s.dead, err)
	}
	return true, nil
}

// untold lists the dead-letter entries staff were not told about.
func (s *store) untold(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.untoldKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list dead-letter notices: %w", err)
	}
	return ids, nil
}

// takeUntold claims the notice of entry id: of two desks, one tells.
func (s *store) takeUntold(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.SRem(ctx, s.untoldKey(), id).Result()
	if err != nil {
		return false, fmt.Errorf("dead-letter notice %s: %w", id, err)
	}
	return n > 0, nil
}

// untoldAgain puts a notice that failed back on the list.
func (s *store) untoldAgain(ctx context.Context, id string) { s.rdb.SAdd(ctx, s.untoldKey(), id) }
