package desk

import (
	"context"
	"strconv"
	"time"

	"github.com/wotschiedam/wotbot/bot/stats"
	"github.com/wotschiedam/wotbot/dialog"
)

// The desk keeps privacy-safe counters for `wotbot staff stats`, per day a
// request was made: a hash of counts (requests, by topic, urgency and
// channel, for someone else, consent method, claimed after the call-back
// date) and a list of claim times in seconds. Neither holds a reference, a
// chat id or anything a resident typed, so they are kept for
// stats.KeepDays, longer than the requests themselves.

const statsTTL = stats.KeepDays * 24 * time.Hour

// dayKey is the day of t in the desk's time zone, as the counters are kept.
func (d *Desk) dayKey(t time.Time) string { return stats.DayKey(t, d.loc()) }

// statFields are the counters a request adds one to when the desk first
// registers it.
func statFields(req dialog.Request) []any {
	f := []any{stats.FieldRequests, stats.PrefixTopic + stats.Label(req.Topic),
		stats.PrefixUrgency + stats.Label(req.Urgency), stats.PrefixChannel + stats.Label(req.Channel)}
	if req.ForOther {
		method := req.Consent.Method
		if method != "confirmed" {
			method = "declared" // as the staff post says of a request without a method
		}
		f = append(f, stats.FieldForOther, stats.PrefixConsent+method)
	}
	return f
}

// countClaim records how long req waited to be claimed, and whether the
// claim came after its call-back date. A lost count (Redis failed just now)
// costs one sample of a weekly figure; the claim itself stands.
func (d *Desk) countClaim(ctx context.Context, req dialog.Request, at time.Time) {
	if req.CreatedAt.IsZero() {
		return
	}
	wait := max(at.Sub(req.CreatedAt), 0)
	late := false
	if due, ok := d.due(req); ok {
		late = !at.In(d.loc()).Before(due.AddDate(0, 0, 1)) // claimed on a day after the due date
	}
	if err := d.store.countClaim(context.WithoutCancel(ctx), d.dayKey(req.CreatedAt), wait, late, statsTTL); err != nil {
		d.log.Warn("count claim for staff stats", "ref", req.Ref, "err", err)
	}
}

// StatsDays returns the counters of every day from from to to (inclusive,
// in the desk's time zone): the desk's, the questions residents asked, and
// the requests of each day still unclaimed past their call-back date.
func (d *Desk) StatsDays(ctx context.Context, from, to time.Time) ([]stats.Day, error) {
	loc := d.loc()
	y, m, dd := from.In(loc).Date()
	day := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	var days []stats.Day
	index := map[string]int{}
	for !day.After(to) {
		counts, secs, err := d.store.dayCounts(ctx, d.dayKey(day))
		if err != nil {
			return nil, err
		}
		intents, err := d.store.intents(loc).Day(ctx, day)
		if err != nil {
			return nil, err
		}
		sd := stats.Day{Date: day, Requests: counts, Intents: intents}
		for _, s := range secs {
			if n, err := strconv.ParseFloat(s, 64); err == nil {
				sd.ClaimSeconds = append(sd.ClaimSeconds, n)
			}
		}
		index[stats.DayKey(day, loc)] = len(days)
		days = append(days, sd)
		day = day.AddDate(0, 0, 1)
	}
	// Requests still open past their call-back date count as late too.
	now := d.now()
	y, m, dd = now.In(loc).Date()
	today := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	ids, err := d.store.activeIDs(ctx)
	if err != nil {
		return nil, err
	}
	err = d.store.eachRecord(ctx, ids, nil, func(rec *Record) error {
		if rec.Status != StatusOpen {
			return nil
		}
		due, ok := d.due(rec.Request)
		i, in := index[stats.DayKey(rec.Request.CreatedAt, loc)]
		if ok && in && due.Before(today) {
			days[i].OpenLate++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return days, nil
}
