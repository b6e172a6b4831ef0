package deploy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/dialog"
)

// monday is a working day in Schiedam: Monday 23 November 2026, 11:00 there.
var monday = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// expectAlerts evaluates every rule of alerts.yml over the world's run,
// every minute as Prometheus's rule manager does by default, and compares
// when each fired with want: "labels from-to" in minutes of the run. A
// rule not in want must stay silent the whole run.
func (w *world) expectAlerts(want map[string][]string) {
	w.t.Helper()
	rules := loadAlertRules(w.t)
	names := map[string]bool{}
	for _, r := range rules {
		names[r.name] = true
		got := firingSpans(evalAlert(w.t, w.store, r, w.start, w.at(w.minute), time.Minute), w.start)
		if !slices.Equal(got, want[r.name]) {
			w.t.Errorf("%s fired %v, want %v\n  expr: %s", r.name, orNone(got), orNone(want[r.name]), r.expr)
		}
	}
	for n := range want {
		if !names[n] {
			w.t.Errorf("no alert %s in alerts.yml", n)
		}
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "never"
	}
	return "[" + strings.Join(s, "; ") + "]"
}

// expectLast checks the newest scraped value of a series.
func (w *world) expectLast(want float64, name string, kv ...string) {
	w.t.Helper()
	if got := w.last(name, kv...); got != want {
		w.t.Errorf("%s%v = %v, want %v", name, kv, got, want)
	}
}

// An urgent request nobody claims pages after 2 hours; a danger request
// claimed after 90 minutes and a normal one left for hours do not.
func TestAlertUrgentRequestUnclaimed(t *testing.T) {
	w := newWorld(t, monday, worldOpts{})
	urgent := w.enqueue(w.request(func(r *dialog.Request) { r.Urgency = "urgent" }))
	w.enqueue(w.request())
	w.waitPosts(2)
	w.scrapeNow()
	var danger dialog.Request
	w.until(160, func(m int) {
		switch m {
		case 30:
			danger = w.enqueue(w.request(func(r *dialog.Request) { r.Urgency = "danger" }))
			w.waitPosts(3)
		case 120:
			if _, err := w.desk.Claim(w.ctx, danger.Ref, desk.Staff{ID: staffID, Name: "Sanne"}); err != nil {
				t.Fatal(err)
			}
		case 150:
			if _, err := w.desk.Claim(w.ctx, urgent.Ref, desk.Staff{ID: staffID, Name: "Sanne"}); err != nil {
				t.Fatal(err)
			}
		}
		if m%10 == 0 {
			w.say(3, "Wanneer zijn jullie open?", 0)
		}
		if err := w.desk.Sweep(w.ctx); err != nil {
			t.Fatal(err)
		}
	})
	w.expectAlerts(map[string][]string{
		"WotUrgentRequestUnclaimed": {`{urgency="urgent"} 121m-149m`},
	})
	w.expectLast(3, "wotbot_desk_requests_total", "event", "posted")
	w.expectLast(2, "wotbot_desk_requests_total", "event", "claimed")
	w.expectLast(1, "wotbot_desk_reminders_total", "kind", "urgent")
	w.expectLast(1, "wotbot_desk_unclaimed_requests", "urgency", "normal")
	w.expectLast(0, "wotbot_desk_unclaimed_requests", "urgency", "urgent")
}
