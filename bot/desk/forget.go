package desk

import (
	"context"
	"fmt"
	"strings"
)

// Forget withdraws a resident's open requests and deletes everything the
// desk keeps of the chat (/vergeet); it implements bot.Forgetter. Staff see
// "ingetrokken" on the post, which loses its details. Requests still unread
// on the stream are withdrawn when a desk reads them.
func (d *Desk) Forget(ctx context.Context, channel, chatID string) error {
	now := d.now()
	if err := d.store.markForgot(ctx, channel, chatID, now); err != nil {
		return fmt.Errorf("forget chat: %w", err)
	}
	ids, err := d.store.chatIDs(ctx, channel, chatID)
	if err != nil {
		return fmt.Errorf("forget chat: list requests: %w", err)
	}
	err = d.store.eachRecord(ctx, ids, nil, func(rec *Record) error {
		open := rec.Status == StatusOpen || rec.Status == StatusClaimed
		if err := d.erase(ctx, rec, StatusWithdrawn); err != nil {
			return err
		}
		if open {
			d.log.Info("request withdrawn by resident", "ref", rec.Request.Ref)
			d.m.request(eventWithdrawn)
			d.staffNote(ctx, rec.MsgID, d.t("desk.withdrawn", map[string]any{"Ref": escape(rec.Request.Ref)}))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := d.store.dropChat(ctx, channel, chatID); err != nil {
		return fmt.Errorf("forget chat: %w", err)
	}
	return nil
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
