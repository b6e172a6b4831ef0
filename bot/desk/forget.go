package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Forget withdraws a resident's open requests and deletes everything the
// desk keeps of the chat (/vergeet); it implements bot.Forgetter. Staff see
// "ingetrokken" on the post, which loses its details. Requests still unread
// on the stream are withdrawn when a desk reads them.
func (d *Desk) Forget(ctx context.Context, channel, chatID string) error {
	now := d.now()
	if err := d.rdb.Set(ctx, d.key("forgot", channel, chatID), now.UnixMilli(), d.cfg.Retention).Err(); err != nil {
		return fmt.Errorf("forget chat: %w", err)
	}
	ids, err := d.rdb.SMembers(ctx, d.key("chat", channel, chatID)).Result()
	if err != nil {
		return fmt.Errorf("forget chat: list requests: %w", err)
	}
	var errs []error
	for _, id := range ids {
		rec, err := d.Load(ctx, id)
		if errors.Is(err, ErrUnknown) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		open := rec.Status == StatusOpen || rec.Status == StatusClaimed
		if err := d.erase(ctx, rec, StatusWithdrawn); err != nil {
			errs = append(errs, err)
			continue
		}
		if open {
			d.log.Info("request withdrawn by resident", "ref", rec.Request.Ref)
			d.m.request(eventWithdrawn)
			d.staffNote(ctx, rec.MsgID, d.t("desk.withdrawn", map[string]any{"Ref": escape(rec.Request.Ref)}))
		}
	}
	if len(errs) == 0 {
		if err := d.rdb.Del(ctx, d.key("chat", channel, chatID), d.key("ask", channel, chatID)).Err(); err != nil {
			errs = append(errs, fmt.Errorf("forget chat: %w", err))
		}
	}
	return errors.Join(errs...)
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
