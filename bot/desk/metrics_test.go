package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot/telegram/botapi"
	"github.com/wotschiedam/wotbot/dialog"
)

// metricsEnv is a desk whose metrics are registered on their own registry.
type metricsEnv struct {
	*env
	reg *prometheus.Registry
	d   *Desk
}

func newMetricsEnv(t *testing.T) *metricsEnv {
	t.Helper()
	e := newEnv(t, nil)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e.sender.CountErrors(m)
	d := e.desk("a", func(_ *Config, deps *Deps) { deps.Metrics = m })
	reg.MustRegister(d.Collector())
	return &metricsEnv{env: e, reg: reg, d: d}
}

// value is the value of the metric name with exactly labels ("k=v"), or
// -1 when the scrape does not have it.
func (e *metricsEnv) value(name string, labels ...string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatalf("gather: %v", err)
	}
	want := strings.Join(labels, ",")
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelString(m) != want {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
	}
	return -1
}

func labelString(m *dto.Metric) string {
	var ls []string
	for _, l := range m.GetLabel() {
		ls = append(ls, l.GetName()+"="+l.GetValue())
	}
	sort.Strings(ls)
	return strings.Join(ls, ",")
}

func (e *metricsEnv) expect(name string, want float64, labels ...string) {
	e.t.Helper()
	if got := e.value(name, labels...); got != want {
		e.t.Errorf("%s{%s} = %v, want %v", name, strings.Join(labels, ","), got, want)
	}
}

// One desk's life, step by step, and what its /metrics says after each.
func TestMetricsFollowTheDesk(t *testing.T) {
	e := newMetricsEnv(t)
	ctx := context.Background()
	start := e.clock.Now() // Monday 23 November 2026, 10:00 UTC

	// Three requests on the stream before any desk ran: all unread.
	normal := e.enqueue(e.request(func(r *dialog.Request) { r.CallbackDue = "2026-11-30" }))
	urgent := e.enqueue(e.request(func(r *dialog.Request) { r.Urgency = "urgent"; r.CallbackDue = "2026-11-30" }))
	danger := e.enqueue(e.request(func(r *dialog.Request) { r.Urgency = "danger"; r.CallbackDue = "2026-11-27" }))
	e.expect("wotbot_desk_handoff_lag_entries", 3)
	e.expect("wotbot_desk_handoff_pending_entries", 0)
	e.expect("wotbot_desk_unclaimed_requests", 0, "urgency=danger") // not registered by a desk yet
	e.expect("wotbot_desk_requests_total", 0, "event=posted")

	run(t, e.d)
	e.waitPosts(3, 5*time.Second)
	// Counted once the post is recorded, a moment after the staff chat has it.
	waitFor(t, func() bool { return e.value("wotbot_desk_requests_total", "event=posted") == 3 })
	waitFor(t, func() bool { return e.pending() == 0 })
	e.expect("wotbot_desk_handoff_lag_entries", 0)
	e.expect("wotbot_desk_handoff_pending_entries", 0)
	for _, u := range urgencies {
		e.expect("wotbot_desk_unclaimed_requests", 1, "urgency="+u)
	}
	e.expect("wotbot_desk_oldest_unclaimed_seconds", 0, "urgency=danger")

	// Two hours and a minute later: the urgent and danger ones are reminded.
	e.clock.Set(start.Add(2*time.Hour + time.Minute))
	e.expect("wotbot_desk_oldest_unclaimed_seconds", (2*time.Hour).Seconds()+60, "urgency=danger")
	if err := e.d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	e.expect("wotbot_desk_reminders_total", 2, "kind=urgent")
	e.expect("wotbot_desk_reminders_total", 0, "kind=due")

	// Claimed: no longer unclaimed.
	if _, err := e.d.Claim(ctx, danger.Ref, Staff{ID: fatima, Name: "Fatima"}); err != nil {
		t.Fatal(err)
	}
	e.expect("wotbot_desk_requests_total", 1, "event=claimed")
	e.expect("wotbot_desk_unclaimed_requests", 0, "urgency=danger")
	e.expect("wotbot_desk_oldest_unclaimed_seconds", 0, "urgency=danger")

	// The working day before the call-back date of the normal and urgent ones.
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	e.clock.Set(time.Date(2026, 11, 27, 9, 0, 0, 0, ams))
	if err := e.d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	e.expect("wotbot_desk_reminders_total", 2, "kind=due")
	e.expect("wotbot_desk_past_callback_requests", 0, "status=claimed")

	// Past the call-back dates: the claimed danger one (27th) and the two
	// open ones (30th).
	e.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, ams))
	e.expect("wotbot_desk_past_callback_requests", 2, "status=open")
	e.expect("wotbot_desk_past_callback_requests", 1, "status=claimed")

	// Closed and withdrawn leave the open counts.
	if err := e.d.Close(ctx, normal.Ref); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Forget(ctx, urgent.Channel, urgent.ChatID); err != nil {
		t.Fatal(err)
	}
	e.expect("wotbot_desk_requests_total", 1, "event=closed")
	e.expect("wotbot_desk_requests_total", 1, "event=withdrawn")
	e.expect("wotbot_desk_past_callback_requests", 0, "status=open")
	for _, u := range urgencies {
		e.expect("wotbot_desk_unclaimed_requests", 0, "urgency="+u)
	}
	e.expect("wotbot_desk_posts_maybe_twice_total", 0)
	e.noPersonalData()
}

// A post after a desk died mid-send is counted as "maybe twice".
func TestMetricsMaybeTwice(t *testing.T) {
	e := newMetricsEnv(t)
	req := e.enqueue(e.request())
	// A desk that died after sending left its posting mark.
	if err := e.d.store.ensureGroup(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.rdb.HSet(context.Background(), e.d.store.reqKey(req.ID), "status", StatusOpen, "ref", req.Ref,
		"posting", "dead", "posting_at", e.clock.Now().Add(-time.Hour).UnixMilli())
	run(t, e.d)
	if p := e.waitPosts(1, 5*time.Second)[0]; !strings.Contains(p.Text, "twee keer") {
		t.Fatalf("post not marked: %s", p.Text)
	}
	waitFor(t, func() bool { return e.value("wotbot_desk_posts_maybe_twice_total") == 1 })
	e.expect("wotbot_desk_requests_total", 1, "event=posted")
}

// The Bot API's failures are counted by kind: a 429 that is retried, and a
// 5xx the desk retries later.
func TestMetricsBotAPIErrors(t *testing.T) {
	e := newMetricsEnv(t)
	e.api.FailNext("sendMessage", 1, 429, 0)
	e.api.FailNext("sendMessage", 1, 502, 0)
	e.enqueue(e.request())
	e.d.cfg.MinIdle = 50 * time.Millisecond // the failed post is taken up again soon
	run(t, e.d)
	e.waitPosts(1, 5*time.Second)
	waitFor(t, func() bool { return e.value("wotbot_desk_requests_total", "event=posted") == 1 })
	e.expect("wotbot_desk_telegram_errors_total", 1, "kind=rate_limited")
	e.expect("wotbot_desk_telegram_errors_total", 1, "kind=server")
}

func TestErrorKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&botapi.Error{Method: "sendMessage", Code: 429, RetryAfter: 3 * time.Second}, "rate_limited"},
		{fmt.Errorf("gave up after 3 tries: %w", &botapi.Error{Code: 429, RetryAfter: time.Second}), "rate_limited"},
		{&botapi.Error{Code: 403, Description: "Forbidden: bot was blocked by the user"}, "forbidden"},
		{&botapi.Error{Code: 400, Description: "Bad Request: chat not found"}, "bad_request"},
		{&botapi.Error{Code: 400, Description: "Bad Request: group chat was upgraded to a supergroup chat", MigrateTo: -1001}, "bad_request"},
		{&botapi.Error{Code: 401, Description: "Unauthorized"}, "unauthorized"},
		{&botapi.Error{Err: fmt.Errorf("%w: %w", botapi.ErrNetwork, &url.Error{Op: "Post", URL: "x", Err: errors.New("connection refused")})}, "network"},
		{&botapi.Error{Status: 502, Code: 502, Description: "Bad Gateway"}, "server"},
		{&botapi.Error{Status: 502, Err: fmt.Errorf("%w: <html>", botapi.ErrDecode)}, "server"},
		{&botapi.Error{Status: 200, Err: fmt.Errorf("%w: <html>", botapi.ErrDecode)}, "decode"},
		{errors.New("something else"), "other"},
	} {
		if got := errorKind(tc.err); got != tc.want {
			t.Errorf("errorKind(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

// When Redis cannot be read, the state gauges are left out and the scrape
// still succeeds (the counters stay).
func TestMetricsRedisDown(t *testing.T) {
	e := newMetricsEnv(t)
	bad := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer bad.Close()
	e.d.store.rdb = bad
	if got := e.value("wotbot_desk_unclaimed_requests", "urgency=normal"); got != -1 {
		t.Errorf("unclaimed gauge with Redis down = %v, want it left out", got)
	}
	e.expect("wotbot_desk_requests_total", 0, "event=posted")
}

// BenchmarkStateScrape is one scrape of the desk's state gauges with 1,000
// open requests: what every desk and replica with the desk pays per scrape.
func BenchmarkStateScrape(b *testing.B) {
	e := newEnv(b, nil)
	d := e.desk("bench")
	ctx := context.Background()
	for range 1000 {
		r := e.request(func(r *dialog.Request) { r.Urgency = "urgent" })
		raw, _ := json.Marshal(r)
		if err := e.rdb.HSet(ctx, d.store.reqKey(r.ID), "status", StatusOpen, "ref", r.Ref, "json", string(raw)).Err(); err != nil {
			b.Fatal(err)
		}
		e.rdb.ZAdd(ctx, d.store.activeKey(), redis.Z{Score: float64(r.CreatedAt.UnixMilli()), Member: r.ID})
	}
	b.ResetTimer()
	for b.Loop() {
		st, err := d.State(ctx)
		if err != nil || st.Unclaimed["urgent"] != 1000 {
			b.Fatalf("state %+v, %v", st, err)
		}
	}
}
