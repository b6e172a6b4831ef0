package desk

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func (d *Desk) sweepLoop(ctx context.Context) {
	for {
		if err := d.Sweep(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("desk sweep", "err", err)
		}
		if !sleep(ctx, d.cfg.SweepEvery) {
			return
		}
	}
}

// Sweep does the desk's periodic work once: reminders for unclaimed
// requests, residents not yet told of a claim, deleting closed requests
// after the retention period, and trimming the stream; it returns once the
// notes it queued for the staff chat are sent. Run calls it every
// SweepEvery; tests call it with a fake clock.
func (d *Desk) Sweep(ctx context.Context) error {
	now := d.now()
	var errs []error
	ids, err := d.store.activeIDs(ctx)
	if err != nil {
		return err
	}
	drop := func(id string) { d.store.dropActive(ctx, id) }
	if err := d.store.eachRecord(ctx, ids, drop, func(rec *Record) error { return d.remind(ctx, rec, now) }); err != nil {
		errs = append(errs, err)
	}
	pending, err := d.store.untoldIDs(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	// A resident not told now is told by a later sweep: what fails here
	// is not the sweep's error.
	_ = d.store.eachRecord(ctx, pending, func(id string) { d.store.told(ctx, id) }, func(rec *Record) error {
		if rec.Status == StatusClaimed {
			d.tellClaimed(ctx, rec)
		}
		return nil
	})
	if err := d.retain(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if err := d.trim(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if err := d.tellDeadLetters(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := d.store.trimDead(ctx, now.Add(-d.cfg.Retention).UnixMilli()); err != nil {
		errs = append(errs, err)
	}
	// The reminders and edits went to the staff chat's queue; a sweep is
	// done when they are out, or after SweepEvery when the staff chat's pace
	// holds them longer.
	fctx, cancel := context.WithTimeout(ctx, d.cfg.SweepEvery)
	defer cancel()
	if err := d.Flush(fctx); err != nil && ctx.Err() == nil {
		d.log.Info("desk sweep: staff chat notes still queued", "err", err)
	}
	return errors.Join(errs...)
}

// remind posts the reminders an unclaimed request is due: urgent and danger
// ones UrgentReminder after they came in, every one on the working day
// before its call-back date. Each reminder is posted once.
func (d *Desk) remind(ctx context.Context, rec *Record, now time.Time) error {
	if rec.Status != StatusOpen || rec.MsgID == 0 {
		return nil
	}
	req := rec.Request
	if (req.Urgency == "urgent" || req.Urgency == "danger") && !rec.RemUrgent && now.Sub(req.CreatedAt) >= d.cfg.UrgentReminder {
		ok, err := d.store.markReminded(ctx, rec.ID, "rem_urgent", now)
		if err != nil {
			return fmt.Errorf("remind %s: %w", req.Ref, err)
		}
		if ok {
			d.log.Info("reminder: urgent request unclaimed", "ref", req.Ref)
			d.m.reminder(reminderUrgent)
			d.staffNote(ctx, rec.MsgID, d.t("desk.reminder.urgent", map[string]any{
				"Ref": escape(req.Ref), "Urgency": escape(d.t("desk.urgency."+req.Urgency, nil)),
				"Hours": int(d.cfg.UrgentReminder.Hours())}))
		}
	}
	due, ok := d.due(req)
	if !ok || rec.RemDue || now.Before(d.workdayBefore(due)) {
		return nil
	}
	first, err := d.store.markReminded(ctx, rec.ID, "rem_due", now)
	if err != nil {
		return fmt.Errorf("remind %s: %w", req.Ref, err)
	}
	if first {
		d.log.Info("reminder: call-back date near", "ref", req.Ref)
		d.m.reminder(reminderDue)
		d.staffNote(ctx, rec.MsgID, d.t("desk.reminder.due", map[string]any{"Ref": escape(req.Ref), "Due": escape(d.dueText(req))}))
	}
	return nil
}

// workdayBefore is the start of the last working day before day due.
func (d *Desk) workdayBefore(due time.Time) time.Time {
	loc := d.loc()
	y, m, dd := due.In(loc).Date()
	day := time.Date(y, m, dd-1, 12, 0, 0, 0, loc)
	for i := 0; i < 14 && !d.workday(day); i++ {
		day = day.AddDate(0, 0, -1)
	}
	y, m, dd = day.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// workday reports whether day is a working day. The knowledge base counts
// call-back dates in working days: the date counted from the day before
// differs from the one counted from day exactly when day is one.
func (d *Desk) workday(day time.Time) bool {
	if d.cal == nil {
		return day.Weekday() != time.Saturday && day.Weekday() != time.Sunday
	}
	return !d.cal.CallbackDue(day.AddDate(0, 0, -1)).Equal(d.cal.CallbackDue(day))
}

// retain deletes closed requests older than the retention period.
func (d *Desk) retain(ctx context.Context, now time.Time) error {
	ids, err := d.store.closedBefore(ctx, now.Add(-d.cfg.Retention))
	if err != nil {
		return err
	}
	return d.store.eachRecord(ctx, ids, func(id string) { d.store.dropClosed(ctx, id) }, func(rec *Record) error {
		if err := d.erase(ctx, rec, ""); err != nil {
			return err
		}
		d.log.Info("closed request deleted after retention", "ref", rec.Request.Ref)
		return nil
	})
}

// erase deletes everything kept of a request: its hash, indexes, relay and
// stream entry, and takes the details out of the staff post. With a
// tombstone status, a small record (status and reference, nothing
// personal) stays for the retention period so a late stream entry is not
// posted and staff can see what became of the reference.
func (d *Desk) erase(ctx context.Context, rec *Record, tombstone string) error {
	req := rec.Request
	if rel, err := d.relayOfResident(ctx, req); err == nil && rel != nil && rel.ID == rec.ID {
		if _, err := d.endRelay(ctx, rel); err != nil {
			return err
		}
	}
	if err := d.store.erase(ctx, rec, tombstone); err != nil {
		return err
	}
	msg := "desk.erased"
	if tombstone == StatusWithdrawn {
		msg = "desk.withdrawn"
	}
	d.editPost(ctx, rec.MsgID, d.t(msg, map[string]any{"Ref": escape(req.Ref)}))
	return nil
}

// trim drops stream entries older than the retention period, but never one
// the group has not read or acknowledged.
func (d *Desk) trim(ctx context.Context, now time.Time) error {
	return d.store.trim(ctx, now.Add(-d.cfg.Retention).UnixMilli())
}
