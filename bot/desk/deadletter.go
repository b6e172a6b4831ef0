package desk

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// An entry of the hand-off stream that cannot be read (not JSON, or no
// request id or reference) cannot be posted, and left pending it would be
// retried forever. It is moved to the dead-letter stream instead, whole, for
// someone to look at, and staff are told once that an entry could not be
// read: its stream id, never its content. The dead-letter stream is trimmed
// after the retention period, as the hand-off stream is.

// deadLetterScript moves an entry to the dead-letter stream, once: only the
// desk whose XACK acknowledged it moves it, so two desks that both read it
// (one took it over from the other) add it once.
// KEYS[1] stream, KEYS[2] dead-letter stream, KEYS[3] set of dead-letter
// entries staff were not told about yet (all in one slot). ARGV[1] group,
// ARGV[2] entry id, ARGV[3..] the entry's field/value pairs.
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

func (d *Desk) untoldKey() string { return d.deadStream() + ":untold" }

// deadLetter moves the unreadable entry m to the dead-letter stream and
// tells staff.
func (d *Desk) deadLetter(ctx context.Context, m redis.XMessage) error {
	args := []any{d.cfg.Group, m.ID}
	for k, v := range m.Values {
		args = append(args, k, v)
	}
	_, err := deadLetterScript.Run(context.WithoutCancel(ctx), d.rdb,
		[]string{d.cfg.Stream, d.deadStream(), d.untoldKey()}, args...).Result()
	if err == redis.Nil {
		return nil // another desk moved it
	}
	if err != nil {
		return fmt.Errorf("move entry %s to %s: %w", m.ID, d.deadStream(), err)
	}
	d.m.deadLettered()
	d.log.Error("desk: unreadable stream entry moved to the dead-letter stream", "entry", m.ID, "dead_letter_stream", d.deadStream())
	return d.tellDeadLetters(ctx)
}

// tellDeadLetters tells staff of every dead-lettered entry they were not
// told about yet, through the staff chat's queue (the desk goes on at
// once). A notice that fails goes back on the list; the sweep calls this
// too, so it is sent later.
func (d *Desk) tellDeadLetters(ctx context.Context) error {
	if d.send == nil || d.cfg.StaffChat == 0 {
		return nil
	}
	ids, err := d.rdb.SMembers(ctx, d.untoldKey()).Result()
	if err != nil {
		return fmt.Errorf("list dead-letter notices: %w", err)
	}
	for _, id := range ids {
		// Claim the notice first: of two desks, one tells.
		n, err := d.rdb.SRem(ctx, d.untoldKey(), id).Result()
		if err != nil {
			return fmt.Errorf("dead-letter notice %s: %w", id, err)
		}
		if n == 0 {
			continue
		}
		text := d.t("desk.dead_letter", map[string]any{"Entry": escape(id), "Stream": escape(d.deadStream())})
		d.later("dead-letter notice", func(ctx context.Context) {
			if _, err := d.send.SendMessage(ctx, d.cfg.StaffChat, text, nil, 0); err != nil {
				d.log.Warn("tell staff of a dead-letter entry; the next sweep tries again", "entry", id, "err", err)
				d.rdb.SAdd(context.WithoutCancel(ctx), d.untoldKey(), id)
			}
		})
	}
	return nil
}
