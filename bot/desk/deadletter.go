package desk

import (
	"context"
)

// An entry of the hand-off stream that cannot be read (not JSON, or no
// request id or reference) cannot be posted, and left pending it would be
// retried forever. It is moved to the dead-letter stream instead, whole, for
// someone to look at, and staff are told once that an entry could not be
// read: its stream id, never its content. The dead-letter stream is trimmed
// after the retention period, as the hand-off stream is.

// deadLetter moves the unreadable entry m to the dead-letter stream and
// tells staff.
func (d *Desk) deadLetter(ctx context.Context, m streamEntry) error {
	moved, err := d.store.deadLetter(context.WithoutCancel(ctx), m)
	if err != nil || !moved {
		return err // !moved: another desk moved it
	}
	d.m.deadLettered()
	d.log.Error("desk: unreadable stream entry moved to the dead-letter stream", "entry", m.ID, "dead_letter_stream", d.cfg.DeadStream)
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
	ids, err := d.store.untold(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		// Claim the notice first: of two desks, one tells.
		mine, err := d.store.takeUntold(ctx, id)
		if err != nil {
			return err
		}
		if !mine {
			continue
		}
		text := d.t("desk.dead_letter", map[string]any{"Entry": escape(id), "Stream": escape(d.cfg.DeadStream)})
		d.later("dead-letter notice", func(ctx context.Context) {
			if _, err := d.send.SendMessage(ctx, d.cfg.StaffChat, text, nil, 0); err != nil {
				d.log.Warn("tell staff of a dead-letter entry; the next sweep tries again", "entry", id, "err", err)
				d.store.untoldAgain(context.WithoutCancel(ctx), id)
			}
		})
	}
	return nil
}
