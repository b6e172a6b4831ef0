package deploy_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/redistest"
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
	t.Parallel()
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

// Requests past the call-back date page, by status, from the day after it
// (Europe/Amsterdam) for 5 minutes; a closed one stops counting, and one due
// tomorrow never counted.
func TestAlertRequestPastCallbackDate(t *testing.T) {
	// Tuesday 24 November, 23:30 in Schiedam: midnight is minute 30.
	t.Parallel()
	w := newWorld(t, time.Date(2026, 11, 24, 22, 30, 0, 0, time.UTC), worldOpts{})
	made := func(due string) func(*dialog.Request) {
		return func(r *dialog.Request) { r.CreatedAt, r.Consent.PrivacyAt, r.CallbackDue = monday, monday, due }
	}
	w.enqueue(w.request(made("2026-11-24")))
	claimed := w.enqueue(w.request(made("2026-11-24")))
	w.enqueue(w.request(made("2026-11-25")))
	w.waitPosts(3)
	if _, err := w.desk.Claim(w.ctx, claimed.Ref, desk.Staff{ID: staffID, Name: "Sanne"}); err != nil {
		t.Fatal(err)
	}
	w.scrapeNow()
	w.until(70, func(m int) {
		if m == 50 {
			if err := w.desk.Close(w.ctx, claimed.Ref); err != nil {
				t.Fatal(err)
			}
		}
	})
	w.expectAlerts(map[string][]string{
		"WotRequestPastCallbackDate": {`{status="claimed"} 35m-49m`, `{status="open"} 35m-70m`},
	})
	w.expectLast(1, "wotbot_desk_past_callback_requests", "status", "open") // not the one due on the 25th
	w.expectLast(0, "wotbot_desk_past_callback_requests", "status", "claimed")
	w.expectLast(1, "wotbot_desk_requests_total", "event", "closed")
}

// Requests that pile up unread on wot:handoff page when the pile grows for
// 10 minutes; a desk that stops for 5 minutes and catches up does not.
func TestAlertHandoffLagGrowing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, monday, worldOpts{})
	w.scrapeNow()
	posted := 0
	w.until(70, func(m int) {
		switch m {
		case 10, 25:
			w.stopDesk()
		case 15, 55:
			w.runDesk()
		}
		if m%2 == 0 {
			w.enqueue(w.request())
			posted++
		}
		if m < 10 || m >= 15 && m < 25 || m >= 55 {
			w.waitPosts(posted)
		}
	})
	w.expectAlerts(map[string][]string{
		"WotHandoffLagGrowing": {`{} 36m-54m`},
	})
	w.expectLast(0, "wotbot_desk_handoff_lag_entries")
	w.expectLast(float64(posted), "wotbot_desk_requests_total", "event", "posted")
}

// A staff chat that keeps failing leaves a request read but not posted:
// that pages after 15 + 5 minutes, a 10-minute failure does not. Server
// errors do not warn of a Bot API problem; one "forbidden" does, for 15
// minutes.
func TestAlertStaffChatFailing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, monday, worldOpts{})
	w.scrapeNow()
	failing := func(status int) {
		w.proxy.set(func() { w.proxy.fail[staffChat] = status })
		w.enqueue(w.request())
		w.waitState("an entry read and not posted", func(st desk.State) bool { return st.Pending == 1 && st.Lag == 0 })
	}
	recovered := func(posts int) {
		w.proxy.set(func() { delete(w.proxy.fail, staffChat) })
		w.waitPosts(posts)
	}
	w.until(90, func(m int) {
		switch m {
		case 10, 70:
			failing(http.StatusBadGateway)
		case 40:
			recovered(1)
		case 50:
			w.proxy.set(func() { w.proxy.failOnce[staffChat] = http.StatusForbidden })
			w.enqueue(w.request())
			w.waitPosts(2)
		case 80:
			recovered(3)
		}
	})
	w.expectAlerts(map[string][]string{
		"WotHandoffPendingStuck": {`{} 29m-39m`},
		"WotDeskBotAPIFailing":   {`{kind="forbidden"} 50m-63m`},
	})
	w.expectLast(0, "wotbot_desk_handoff_pending_entries") // 1 while posting failed: the alert saw it
	w.expectLast(3, "wotbot_desk_requests_total", "event", "posted")
	w.expectLast(1, "wotbot_desk_telegram_errors_total", "kind", "forbidden")
	if v := w.last("wotbot_desk_telegram_errors_total", "kind", "server"); v < 2 {
		t.Errorf("server errors counted: %v", v)
	}
}

// A desk that is not scraped for 10 minutes pages, one back within 5
// minutes does not; an unreadable hand-off entry warns for an hour.
func TestAlertDeskDownAndDeadLetter(t *testing.T) {
	t.Parallel()
	w := newWorld(t, monday, worldOpts{})
	w.scrapeNow()
	down := func(d bool) {
		w.deskTarget.down = d
		if d {
			w.stopDesk()
		} else {
			w.runDesk()
		}
	}
	w.until(130, func(m int) {
		switch m {
		case 10, 30:
			down(true)
		case 15, 50:
			down(false)
		case 35:
			w.enqueue(w.request()) // waits for the desk
		case 60:
			if err := w.rdb.XAdd(w.ctx, &redis.XAddArgs{Stream: w.stack.Stream, Values: map[string]any{"request": "{niet leesbaar"}}).Err(); err != nil {
				t.Fatal(err)
			}
			w.waitState("the entry set aside", func(st desk.State) bool { return st.DeadLetters == 1 && st.Lag == 0 && st.Pending == 0 })
		}
		if m == 50 {
			w.waitPosts(1)
		}
	})
	w.expectAlerts(map[string][]string{
		"WotDeskDown":        {`{} 40m-49m`},
		"WotDeadLetterEntry": {`{instance="desk-1", job="wotbot-desk"} 60m-118m`},
	})
	w.expectLast(1, "wotbot_desk_dead_letters_total")
	w.expectLast(1, "wotbot_desk_dead_letter_entries")
}

// Redis down: every process that cannot PING it pages after a minute, and
// the replica's failed updates page after 5; a blip of one scrape does not.
func TestAlertRedisUnreachable(t *testing.T) {
	t.Parallel()
	redis.SetLogger(quietRedis{}) // its pool logs every failed dial while Redis is down
	srv := redistest.StartServer(t, redistest.WithAOF())
	w := newWorld(t, monday, worldOpts{rdb: srv.Client()})
	w.scrapeNow()
	traffic := func(int) { w.say(5, "Wanneer zijn jullie open?", 0) }
	restart := func() {
		srv.Restart()
		waitFor(t, "Redis back", func() bool { return w.rdb.Ping(w.ctx).Err() == nil })
	}
	// A real minute of traffic, then (repeat) the replica's counters go on
	// as in it: an update with Redis down takes a second or more.
	w.until(1, traffic)
	w.repeat(8)
	srv.Stop() // a blip: one scrape sees it
	w.until(10, traffic)
	restart()
	w.until(11, traffic)
	w.repeat(8)
	srv.Stop() // 8 minutes down (20-27); residents keep writing
	w.until(20, traffic)
	w.repeat(7)
	restart()
	w.until(28, traffic)
	w.repeat(12)
	w.expectAlerts(map[string][]string{
		"WotRedisUnreachable":    {`{instance="desk-1"} 21m-27m`, `{instance="replica-1"} 21m-27m`},
		"WotReplicaHandleErrors": {`{instance="replica-1"} 25m-30m`},
	})
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// Updates that wait in the polling inbox, not handled, page after 10
// minutes; 5 minutes of waiting does not.
func TestAlertInboxStuck(t *testing.T) {
	t.Parallel()
	w := newWorld(t, monday, worldOpts{polling: true})
	w.scrapeNow()
	inbox := "{" + w.stack.Stream + ":inbox}:updates"
	waitInbox := func(n int64) {
		waitFor(t, fmt.Sprintf("%d updates in the inbox", n), func() bool { return w.rdb.XLen(w.ctx, inbox).Val() == n })
	}
	w.until(55, func(m int) {
		switch m {
		case 10, 30:
			w.proxy.holdPrivate()
			for range 25 {
				chat := w.nextChat.Add(1)
				w.api.SendText(chat, chat, "Wanneer zijn jullie open?", "nl")
			}
			waitInbox(25)
		case 15, 45:
			w.proxy.release()
			waitInbox(0)
		}
	})
	w.expectAlerts(map[string][]string{
		"WotInboxStuck": {`{} 39m-44m`},
	})
	w.expectLast(0, "wotbot_telegram_inbox_entries")
}

// p99 of handling above the threshold for 10 minutes warns. The traffic of
// one real minute (20 updates, some made slow by a slow Bot API) goes on
// for 20 minutes (world.repeat).
func TestAlertHandlingLatencyP99(t *testing.T) {
	t.Parallel()
	w := newWorld(t, monday, worldOpts{})
	w.scrapeNow()
	minute := func(slow time.Duration) {
		w.until(w.minute+1, func(int) {
			fast := 20
			if slow > 0 {
				fast -= 2
				var wg sync.WaitGroup
				wg.Go(func() { w.say(2, "Wanneer zijn jullie open?", slow) })
				defer wg.Wait()
			}
			w.say(fast, "Wanneer zijn jullie open?", 0)
		})
		w.repeat(19)
	}
	minute(0)                       // 1-20
	minute(1100 * time.Millisecond) // 21-40: 10 % take 1.1-2.2 s, p99 below 2.5 s
	minute(2600 * time.Millisecond) // 41-60: 10 % take over 2.5 s
	minute(0)                       // 61-80
	w.expectAlerts(map[string][]string{
		"WotHandlingLatencyP99High": {`{} 51m-63m`},
	})
}
