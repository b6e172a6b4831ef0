package desk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// remindDanger reminds an unclaimed danger request every DangerReminder,
// as the first ping went: in the staff chat (a reply to the post) and
// privately to every staff member. The resident got 112, Veilig Thuis and
// 113 at once; these reminders follow working hours like the others, as
// nobody staffs the desk at night.
func (d *Desk) remindDanger(ctx context.Context, rec *Record, now time.Time) error {
	req := rec.Request
	ok, err := d.store.takeDangerReminder(ctx, rec.ID, now, req.CreatedAt, d.cfg.DangerReminder)
	if err != nil || !ok {
		return err
	}
	d.log.Info("reminder: danger request unclaimed", "ref", req.Ref)
	d.m.reminder(reminderDanger)
	data := map[string]any{"Ref": escape(req.Ref), "Topic": escape(d.topic(req.Topic)),
		"Since": escape(d.whenText(req.CreatedAt, now))}
	d.staffNote(ctx, rec.MsgID, d.t("desk.reminder.danger", data))
	d.toEveryStaff(ctx, req.Ref, d.t("desk.ping.danger_again", data))
	return nil
}

// remindLate reminds an unclaimed request past its call-back date once
// every working day, saying how late it is.
func (d *Desk) remindLate(ctx context.Context, rec *Record, due, now time.Time) error {
	req := rec.Request
	day := now.In(d.loc()).Format(time.DateOnly)
	if rec.RemLate == day {
		return nil
	}
	first, err := d.store.markOnce(ctx, rec.ID, "rem_late", day)
	if err != nil || !first {
		return err
	}
	d.log.Info("reminder: call-back date passed", "ref", req.Ref)
	d.m.reminder(reminderLate)
	d.staffNote(ctx, rec.MsgID, d.t("desk.reminder.late", map[string]any{"Ref": escape(req.Ref),
		"Late": escape(d.lateText(d.hours().workdaysAfter(due, now))), "Due": escape(d.dayText(due, now))}))
	return nil
}

// lateText says how many working days late: "1 werkdag te laat".
func (d *Desk) lateText(days int) string {
	if days == 1 {
		return d.t("desk.late.one", nil)
	}
	return d.t("desk.late.many", map[string]any{"Days": days})
}

// dayText names a day as staff say it: "gisteren", else "maandag 30
// november".
func (d *Desk) dayText(day, now time.Time) string {
	h := d.hours()
	if h.sameDay(day, now.In(d.loc()).AddDate(0, 0, -1)) {
		return d.t("desk.when.yesterday_day", nil)
	}
	if d.cal != nil {
		return d.cal.FormatDate(d.cfg.StaffLang, day)
	}
	return day.In(d.loc()).Format(time.DateOnly)
}

// whenText is a moment as staff say it: "vandaag om 10.15 uur", "gisteren
// om 22.10 uur", "op maandag 30 november om 09.00 uur".
func (d *Desk) whenText(t, now time.Time) string {
	h := d.hours()
	clock := t.In(d.loc()).Format("15.04")
	switch {
	case h.sameDay(t, now):
		return d.t("desk.when.today", map[string]any{"Time": clock})
	case h.sameDay(t, now.In(d.loc()).AddDate(0, 0, -1)):
		return d.t("desk.when.yesterday", map[string]any{"Time": clock})
	}
	date := t.In(d.loc()).Format(time.DateOnly)
	if d.cal != nil {
		date = d.cal.FormatDate(d.cfg.StaffLang, t)
	}
	return d.t("desk.when.date", map[string]any{"Date": date, "Time": clock})
}

// remindQuiet reminds the claimer, privately, of a request claimed
// QuietDays working days ago with no message either way since (and no
// note: a note is how staff record a phone call). Each claim is checked
// once; a hand-over starts a new one.
func (d *Desk) remindQuiet(ctx context.Context, rec *Record, now time.Time) error {
	if rec.ClaimedAt.IsZero() {
		return nil
	}
	at := d.hours().addWorkdays(rec.ClaimedAt, d.cfg.QuietDays)
	if at.IsZero() || now.Before(at) {
		return nil
	}
	claim := strconv.FormatInt(rec.ClaimedAt.UnixMilli(), 10) + ":" + strconv.FormatInt(rec.ClaimedBy, 10)
	if rec.RemQuiet == claim {
		return nil
	}
	first, err := d.store.markOnce(ctx, rec.ID, "rem_quiet", claim)
	if err != nil || !first {
		return err
	}
	hist, err := d.History(ctx, rec.ID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(hist, func(h HistoryEntry) bool { return !h.At.Before(rec.ClaimedAt) }) {
		return nil
	}
	req := rec.Request
	d.log.Info("reminder: claimed request without contact", "ref", req.Ref)
	d.m.reminder(reminderQuiet)
	data := map[string]any{"Ref": escape(req.Ref), "Topic": escape(d.topic(req.Topic)),
		"Since": escape(d.whenText(rec.ClaimedAt, now)), "Name": escape(orDash(rec.ClaimedName))}
	if d.send != nil && rec.ClaimedBy != 0 {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_, err := d.send.SendMessage(sctx, rec.ClaimedBy, d.t("desk.reminder.quiet", data), nil, 0)
		cancel()
		if err == nil {
			return nil
		}
		d.log.Warn("remind claimer privately; reminding in the staff chat", "ref", req.Ref, "err", err)
	}
	// No private chat (claimed by a name on the command line, or the
	// claimer never started the bot): the post in the staff chat.
	d.staffNote(ctx, rec.MsgID, d.t("desk.reminder.quiet_group", data))
	return nil
}

// topic is a topic's label in the staff's language.
func (d *Desk) topic(topic string) string {
	return d.cat.T(d.cfg.StaffLang, "opt.topic."+topic, nil)
}

// maxSummaryRefs bounds the references listed on one line of the summary.
const maxSummaryRefs = 10

// refList is " (WOT-A, WOT-B)", at most maxSummaryRefs, or "".
func refList(refs []string) string {
	if len(refs) == 0 {
		return ""
	}
	slices.Sort(refs)
	more := ""
	if len(refs) > maxSummaryRefs {
		refs, more = refs[:maxSummaryRefs], ", …"
	}
	return " (" + strings.Join(refs, ", ") + more + ")"
}

// summaryWindow is how long after the start of a working day its summary
// may still go out: a desk that was down at the start posts it when it
// comes back within this time; later in the day the summary would tell
// staff what they have seen for hours, so that day has none.
const summaryWindow = time.Hour

// dailySummary posts the day's summary to the staff chat at the first
// sweep of a working day's working hours (within summaryWindow), once
// across desks and restarts: new requests since the previous working
// day's start, the unclaimed ones by urgency, those past their call-back
// date, and the claimed ones per staff member. Counts and references
// only: nothing of a resident. With nothing open and nothing new there is
// no summary.
func (d *Desk) dailySummary(ctx context.Context, active []*Record, now time.Time) error {
	h := d.hours()
	if d.send == nil || d.cfg.StaffChat == 0 || !h.open(now) || now.Sub(h.dayStart(now)) >= summaryWindow {
		return nil
	}
	since := h.dayStart(h.prevWorkday(now))
	ids, err := d.store.closedSince(ctx, since)
	if err != nil {
		return err
	}
	var closed []*Record
	if err := d.store.eachRecord(ctx, ids, nil, func(r *Record) error { closed = append(closed, r); return nil }); err != nil {
		return err
	}
	if len(active) == 0 && !slices.ContainsFunc(closed, func(r *Record) bool { return !r.Request.CreatedAt.Before(since) }) {
		return nil // nothing open, nothing new: no summary to read
	}
	day := now.In(d.loc()).Format(time.DateOnly)
	ok, err := d.store.takeSummary(ctx, day, d.cfg.Consumer)
	if err != nil || !ok {
		return err
	}
	text := d.summaryText(active, closed, since, now)
	if _, err := d.send.SendMessage(ctx, d.cfg.StaffChat, text, nil, 0); err != nil {
		return errors.Join(fmt.Errorf("post the daily summary: %w", err), d.store.releaseSummary(ctx, day))
	}
	d.log.Info("daily summary posted", "requests_open", len(active))
	d.m.reminder(reminderSummary)
	return nil
}

// summaryText renders the daily summary (HTML).
func (d *Desk) summaryText(active, closed []*Record, since, now time.Time) string {
	h := d.hours()
	var newRefs, lateOpen, lateClaimed []string
	unclaimed := map[string][]string{}
	perStaff := map[string][]string{}
	isNew := func(r *Record) bool { return !r.Request.CreatedAt.Before(since) }
	for _, r := range closed {
		if isNew(r) {
			newRefs = append(newRefs, r.Request.Ref)
		}
	}
	nOpen := 0
	for _, r := range active {
		ref := r.Request.Ref
		if isNew(r) {
			newRefs = append(newRefs, ref)
		}
		due, hasDue := d.due(r.Request)
		late := hasDue && h.workdaysAfter(due, now) > 0
		switch r.Status {
		case StatusOpen:
			nOpen++
			u := r.Request.Urgency
			if u != "urgent" && u != "danger" {
				u = "normal"
			}
			unclaimed[u] = append(unclaimed[u], ref)
			if late {
				lateOpen = append(lateOpen, ref)
			}
		case StatusClaimed:
			name := orDash(r.ClaimedName)
			perStaff[name] = append(perStaff[name], ref)
			if late {
				lateClaimed = append(lateClaimed, ref)
			}
		}
	}
	e := escape
	lines := []string{
		d.t("desk.summary.title", map[string]any{"Date": e(d.dayText(now, now))}),
		d.t("desk.summary.new", map[string]any{"Since": e(d.whenText(since, now)), "Count": len(newRefs), "Refs": refList(newRefs)}),
		d.t("desk.summary.unclaimed", map[string]any{"Count": nOpen}),
	}
	for _, u := range []string{"danger", "urgent", "normal"} {
		if refs := unclaimed[u]; len(refs) > 0 {
			lines = append(lines, d.t("desk.summary.item", map[string]any{
				"Label": e(d.t("desk.urgency."+u, nil)), "Count": len(refs), "Refs": refList(refs)}))
		}
	}
	lines = append(lines,
		d.t("desk.summary.late", map[string]any{"Count": len(lateOpen), "Refs": refList(lateOpen)}),
		d.t("desk.summary.late_claimed", map[string]any{"Count": len(lateClaimed), "Refs": refList(lateClaimed)}),
		d.t("desk.summary.per_staff", map[string]any{"Count": len(active) - nOpen}))
	names := make([]string, 0, len(perStaff))
	for n := range perStaff {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	for _, n := range names {
		lines = append(lines, d.t("desk.summary.item", map[string]any{
			"Label": e(n), "Count": len(perStaff[n]), "Refs": refList(perStaff[n])}))
	}
	return strings.Join(lines, "\n")
}
