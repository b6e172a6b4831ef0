package desk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The desk's side of the hand-off stream: its consumer group, reading,
// taking over, acknowledging, trimming, and the group's counters.

// streamEntry is one entry of the hand-off stream.
type streamEntry = redis.XMessage

// ensureGroup creates the consumer group (and the stream) once.
func (s *store) ensureGroup(ctx context.Context) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.stream, s.group, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s: %w", s.group, s.stream, err)
	}
	return nil
}

// isNoGroup reports whether err says the consumer group (or the stream) is
// gone.
func isNoGroup(err error) bool { return err != nil && strings.Contains(err.Error(), "NOGROUP") }

// readNew reads up to count entries no consumer of the group read yet,
// waiting up to block for one; none (and no error) when none came.
func (s *store) readNew(ctx context.Context, consumer string, count int, block time.Duration) ([]streamEntry, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: s.group, Consumer: consumer, Streams: []string{s.stream, ">"},
		Count: int64(count), Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []streamEntry
	for _, st := range res {
		out = append(out, st.Messages...)
	}
	return out, nil
}

// readOwn reads up to count of consumer's pending entries after start.
func (s *store) readOwn(ctx context.Context, consumer, start string, count int) ([]streamEntry, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: s.group, Consumer: consumer, Streams: []string{s.stream, start},
		Count: int64(count),
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	if len(res) == 0 {
		return nil, nil
	}
	return res[0].Messages, nil
}

// autoClaim takes over up to count entries idle for minIdle, from start;
// next is where to go on ("0-0" or "": done).
func (s *store) autoClaim(ctx context.Context, consumer string, minIdle time.Duration, start string, count int) ([]streamEntry, string, error) {
	msgs, next, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: s.stream, Group: s.group, Consumer: consumer,
		MinIdle: minIdle, Start: start, Count: int64(count),
	}).Result()
	if err != nil {
		return nil, "", fmt.Errorf("xautoclaim %s: %w", s.stream, err)
	}
	return msgs, next, nil
}

// ack acknowledges an entry for the group.
func (s *store) ack(ctx context.Context, entry string) error {
	return s.rdb.XAck(ctx, s.stream, s.group, entry).Err()
}

// deleteEntry deletes an entry from the stream.
func (s *store) deleteEntry(ctx context.Context, entry string) error {
	return s.rdb.XDel(ctx, s.stream, entry).Err()
}

// trim drops stream entries before minID (ms), but never one the group has
// not read or acknowledged.
func (s *store) trim(ctx context.Context, minID int64) error {
	groups, err := s.rdb.XInfoGroups(ctx, s.stream).Result()
	if err != nil {
		if isNoKey(err) {
			return nil
		}
		return fmt.Errorf("trim %s: %w", s.stream, err)
	}
	for _, g := range groups {
		if g.Name == s.group {
			minID = min(minID, idMillis(g.LastDeliveredID)+1)
		}
	}
	p, err := s.rdb.XPending(ctx, s.stream, s.group).Result()
	if err != nil {
		return fmt.Errorf("trim %s: pending: %w", s.stream, err)
	}
	if p.Count > 0 {
		minID = min(minID, idMillis(p.Lower))
	}
	if minID <= 0 {
		return nil
	}
	if err := s.rdb.XTrimMinIDApprox(ctx, s.stream, strconv.FormatInt(minID, 10), 0).Err(); err != nil {
		return fmt.Errorf("trim %s: %w", s.stream, err)
	}
	return nil
}

// trimDead drops dead-letter entries before minID (ms).
func (s *store) trimDead(ctx context.Context, minID int64) error {
	if err := s.rdb.XTrimMinIDApprox(ctx, s.dead, strconv.FormatInt(minID, 10), 0).Err(); err != nil {
		return fmt.Errorf("trim %s: %w", s.dead, err)
	}
	return nil
}

// deadLen is the length of the dead-letter stream.
func (s *store) deadLen(ctx context.Context) (int64, error) {
	n, err := s.rdb.XLen(ctx, s.dead).Result()
	if err != nil {
		return 0, fmt.Errorf("length of %s: %w", s.dead, err)
	}
	return n, nil
}

// groupCounts returns the group's lag and pending count on the stream.
// Redis reports no lag after entries were deleted mid-stream (a withdrawn
// request); the entries after the group's last read are counted then, up to
// 10,000. Without the group (no desk ran yet) every entry is unread.
func (s *store) groupCounts(ctx context.Context) (lag, pending int64, err error) {
	groups, err := s.rdb.XInfoGroups(ctx, s.stream).Result()
	if err != nil && !isNoKey(err) {
		return 0, 0, fmt.Errorf("consumer groups of %s: %w", s.stream, err)
	}
	for _, g := range groups {
		if g.Name != s.group {
			continue
		}
		lag = g.Lag
		if lag < 0 || g.EntriesRead <= 0 { // unknown to Redis (or an in-memory Redis that does not count)
			const most = 10000
			after, err := s.rdb.XRangeN(ctx, s.stream, "("+g.LastDeliveredID, "+", most).Result()
			if err != nil {
				return 0, 0, fmt.Errorf("unread entries of %s: %w", s.stream, err)
			}
			lag = int64(len(after))
		}
		return lag, g.Pending, nil
	}
	n, err := s.rdb.XLen(ctx, s.stream).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("length of %s: %w", s.stream, err)
	}
	return n, 0, nil
}

func idMillis(id string) int64 {
	ms, _, _ := strings.Cut(id, "-")
	n, _ := strconv.ParseInt(ms, 10, 64)
	return n
}

func isNoKey(err error) bool {
	return err != nil && (errors.Is(err, redis.Nil) || containsAny(err.Error(), "no such key", "NOGROUP"))
}
