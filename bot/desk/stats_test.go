package desk

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/stats"
	"github.com/wotschiedam/wotbot/dialog"
)

// A desk run feeds the staff figures: each request counted once when the
// desk first registers it, each claim's waiting time, a claim after the
// call-back date and a request still open past it as late, and the
// questions counted on the message path. The counters hold no personal data.
func TestStatsFromADeskRun(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := e.desk("a")
	start := e.clock.Now() // Monday 23 November 2026, 10:00 UTC
	a, _ := e.posted(d, func(r *dialog.Request) { r.CallbackDue = "2026-11-30" })
	b, _ := e.posted(d, func(r *dialog.Request) {
		r.Topic, r.Urgency, r.Consent.Method = "care", "urgent", "confirmed"
		forOther(r)
	})
	c, _ := e.posted(d, func(r *dialog.Request) { r.Urgency, r.Channel = "danger", "web"; forOther(r) })
	e.posted(d, func(r *dialog.Request) { r.Topic, r.CallbackDue = "housing", "2026-11-25" })

	// A second read of an entry (a redelivery, another desk) counts nothing.
	raw, _ := json.Marshal(a)
	d.process(ctx, redis.XMessage{ID: "1-1", Values: map[string]any{"request": string(raw)}})

	claim := func(ref string, at time.Time) {
		t.Helper()
		e.clock.Set(at)
		if res, err := d.Claim(ctx, ref, Staff{ID: fatima, Name: "Fatima"}); err != nil || !res.Won {
			t.Fatalf("claim %s: %v %v", ref, res, err)
		}
	}
	claim(c.Ref, start.Add(time.Hour))
	claim(b.Ref, start.Add(3*time.Hour))
	claim(a.Ref, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) // after its call-back date, 30 November
	e.clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))

	counter := IntentCounter(e.rdb, d.cfg.Prefix, d.loc(), nil)
	counter.CountIntent(ctx, start, "opening_hours")
	counter.CountIntent(ctx, start, "opening_hours")
	counter.CountIntent(ctx, start, stats.Unplaced)

	days, err := d.StatsDays(ctx, start.AddDate(0, 0, -3), e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	weeks := stats.Weeks(days)
	var w *stats.Week
	for i := range weeks {
		if weeks[i].Start.Format("2006-01-02") == "2026-11-23" {
			w = &weeks[i]
		}
	}
	if w == nil {
		t.Fatalf("no week of 23 November in %+v", weeks)
	}
	if w.Requests != 4 || w.Topic["money"] != 2 || w.Topic["care"] != 1 || w.Topic["housing"] != 1 ||
		w.Urgency["urgent"] != 1 || w.Urgency["danger"] != 1 || w.Urgency["normal"] != 2 ||
		w.Channel["telegram"] != 3 || w.Channel["web"] != 1 {
		t.Errorf("counts: %+v", *w)
	}
	if w.ForOther != 2 || w.Consent["confirmed"] != 1 || w.Consent["declared"] != 1 {
		t.Errorf("for someone else: %d, consent %v", w.ForOther, w.Consent)
	}
	// Late: a claimed after its date, and the housing request still open past 25 November.
	if w.Late != 2 {
		t.Errorf("late: %d, want 2", w.Late)
	}
	if w.Claimed != 3 || w.ClaimMedian != 3*time.Hour {
		t.Errorf("claims: %d, median %v; want 3, 3h", w.Claimed, w.ClaimMedian)
	}
	if w.Intents["opening_hours"] != 2 || w.Unplaced != 1 {
		t.Errorf("intents: %v, unplaced %d", w.Intents, w.Unplaced)
	}

	// Nothing personal in any counter.
	keys, err := e.rdb.Keys(ctx, d.store.key("stats")+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("stats keys: %v %v", keys, err)
	}
	for _, k := range keys {
		// Only labels and numbers: a field is a counter name, a value a count
		// or a number of seconds.
		var fields, values []string
		if strings.HasSuffix(k, ":claim") {
			values, _ = e.rdb.LRange(ctx, k, 0, -1).Result()
		} else {
			h, _ := e.rdb.HGetAll(ctx, k).Result()
			for f, v := range h {
				fields, values = append(fields, f), append(values, v)
			}
		}
		for _, f := range fields {
			name, _ := strings.CutPrefix(f, strings.SplitN(f, ":", 2)[0]+":")
			if stats.Label(name) != name {
				t.Errorf("%s: field %q is not a counter name", k, f)
			}
		}
		for _, v := range values {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				t.Errorf("%s: value %q is not a number", k, v)
			}
		}
		if ttl, _ := e.rdb.TTL(ctx, k).Result(); ttl <= 0 {
			t.Errorf("%s kept forever", k)
		}
	}
}

func forOther(r *dialog.Request) {
	at := r.CreatedAt
	r.ForOther, r.OtherConsent, r.OtherName, r.Consent.OtherAt = true, true, "Kees", &at
}
