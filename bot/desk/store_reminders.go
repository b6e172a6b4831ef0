package desk

// The store's part for the reminders and the daily summary (see store.go).
// Each mark is set in one script or SET NX, so several desks send a
// reminder or a summary once.
//
//	req:<id> rem_danger  when the last danger reminder went (ms)
//	req:<id> rem_late    the date (2006-01-02) of the last overdue reminder
//	req:<id> rem_quiet   claimed_at (ms) of the claim whose quiet check ran
//	summary:<date>       the daily summary of that date was posted (3 days)

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// dangerRemindScript decides whether an open request is reminded now: when
// at least ARGV[3] ms passed since its last reminder (or since ARGV[2], its
// arrival, before the first), it records ARGV[1] (now) and returns 1.
// KEYS: req.
var dangerRemindScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'rem_danger') or ARGV[2])
if tonumber(ARGV[1]) - last < tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'rem_danger', ARGV[1])
return 1
`)

// takeDangerReminder reports whether this desk sends the danger reminder of
// request id now, and records it.
func (s *store) takeDangerReminder(ctx context.Context, id string, now, since time.Time, every time.Duration) (bool, error) {
	n, err := dangerRemindScript.Run(ctx, s.rdb, []string{s.reqKey(id)},
		now.UnixMilli(), since.UnixMilli(), every.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("danger reminder of %s: %w", id, err)
	}
	return n == 1, nil
}

// markOnceScript sets field ARGV[1] of an existing request to ARGV[2]
// unless it has that value already; 1 when it was set. KEYS: req.
var markOnceScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// markOnce records that the reminder field of request id went for value
// (a date, a claim); false when it had already (this desk or another).
func (s *store) markOnce(ctx context.Context, id, field, value string) (bool, error) {
	n, err := markOnceScript.Run(ctx, s.rdb, []string{s.reqKey(id)}, field, value).Int()
	if err != nil {
		return false, fmt.Errorf("mark %s of %s: %w", field, id, err)
	}
	return n == 1, nil
}

// summaryTTL is how long the mark of a day's summary is kept: past the day,
// so a desk started late that day does not post it again.
const summaryTTL = 72 * time.Hour

func (s *store) summaryKey(day string) string { return s.key("summary", day) }

// takeSummary reports whether this desk (consumer) posts the summary of
// day (2006-01-02): the first desk to ask takes it.
func (s *store) takeSummary(ctx context.Context, day, consumer string) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.summaryKey(day), consumer, summaryTTL).Result()
	if err != nil {
		return false, fmt.Errorf("take the summary of %s: %w", day, err)
	}
	return ok, nil
}

// releaseSummary gives the summary of day back when posting it failed, so
// the next sweep (of any desk) tries again.
func (s *store) releaseSummary(ctx context.Context, day string) error {
	if err := s.rdb.Del(context.WithoutCancel(ctx), s.summaryKey(day)).Err(); err != nil {
		return fmt.Errorf("release the summary of %s: %w", day, err)
	}
	return nil
}

// closedSince lists the requests closed at or after since, for the
// summary's count of new requests.
func (s *store) closedSince(ctx context.Context, since time.Time) ([]string, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.closedKey(), &redis.ZRangeBy{
		Min: strconv.FormatInt(since.UnixMilli(), 10), Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("list closed requests: %w", err)
	}
	return ids, nil
}
