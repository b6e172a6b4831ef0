package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wotschiedam/wotbot/bot/telegram/botapi"
)

// Metrics counts what a desk does: requests through their life, reminders,
// posts that may be doubled, dead-lettered entries and Bot API errors. A nil
// *Metrics counts nothing. The counters are per process, as Prometheus
// counters are: several desks and replicas are summed by the query.
//
// Labels only ever take values from small fixed sets; nothing a resident
// typed, no reference and no chat id becomes a label.
type Metrics struct {
	requests    *prometheus.CounterVec // by event: posted, claimed, closed, withdrawn
	reminders   *prometheus.CounterVec // by kind: urgent, due
	maybeTwice  prometheus.Counter
	deadLetters prometheus.Counter
	apiErrors   *prometheus.CounterVec // by kind, see errorKind
}

// Request events counted by wotbot_desk_requests_total.
const (
	eventPosted    = "posted"
	eventClaimed   = "claimed"
	eventClosed    = "closed"
	eventWithdrawn = "withdrawn"
)

// NewMetrics registers the desk's counters on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_desk_requests_total",
			Help: "Requests by event: posted to the staff chat, claimed, closed, withdrawn (/vergeet).",
		}, []string{"event"}),
		reminders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_desk_reminders_total",
			Help: "Reminders posted in the staff chat, by kind: urgent (unclaimed urgent or danger request), due (call-back date near).",
		}, []string{"kind"}),
		maybeTwice: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wotbot_desk_posts_maybe_twice_total",
			Help: "Staff posts marked \"misschien twee keer\": a desk died between sending a post and recording it.",
		}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wotbot_desk_dead_letters_total",
			Help: "Hand-off stream entries that could not be read and were moved to the dead-letter stream.",
		}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_desk_telegram_errors_total",
			Help: "Failed Bot API calls of the desk, by kind: rate_limited, forbidden, bad_request, unauthorized, not_found, conflict, server, network, decode, other.",
		}, []string{"kind"}),
	}
	// Known label values start at zero, so increase() sees the first one.
	for _, e := range []string{eventPosted, eventClaimed, eventClosed, eventWithdrawn} {
		m.requests.WithLabelValues(e)
	}
	for _, k := range []string{reminderUrgent, reminderDue} {
		m.reminders.WithLabelValues(k)
	}
	for _, c := range []prometheus.Collector{m.requests, m.reminders, m.maybeTwice, m.deadLetters, m.apiErrors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register desk metrics: %w", err)
		}
	}
	return m, nil
}

const (
	reminderUrgent = "urgent"
	reminderDue    = "due"
)

func (m *Metrics) request(event string) {
	if m != nil {
		m.requests.WithLabelValues(event).Inc()
	}
}

func (m *Metrics) reminder(kind string) {
	if m != nil {
		m.reminders.WithLabelValues(kind).Inc()
	}
}

func (m *Metrics) postedMaybeTwice() {
	if m != nil {
		m.maybeTwice.Inc()
	}
}

func (m *Metrics) deadLettered() {
	if m != nil {
		m.deadLetters.Inc()
	}
}

func (m *Metrics) apiError(err error) {
	if m != nil && err != nil {
		m.apiErrors.WithLabelValues(errorKind(err)).Inc()
	}
}

// errorKind sorts a Bot API error into a small fixed set, for the label
// (botapi.Error.Kind).
func errorKind(err error) string {
	var e *botapi.Error
	if errors.As(err, &e) {
		return e.Kind()
	}
	return "other"
}

// urgencies are the label values of the per-urgency gauges.
var urgencies = []string{"normal", "urgent", "danger"}

// stateCollector computes the desk's gauges from Redis at scrape time, so
// every desk and replica reports the same shared state and a restarted
// process reports it at once.
type stateCollector struct {
	d       *Desk
	timeout time.Duration

	unclaimed   *prometheus.Desc
	oldest      *prometheus.Desc
	pastDue     *prometheus.Desc
	lag         *prometheus.Desc
	pending     *prometheus.Desc
	deadEntries *prometheus.Desc
}

// Collector returns a prometheus.Collector of the desk's state: unclaimed
// requests and the age of the oldest by urgency, requests past their
// call-back date, the hand-off consumer group's lag and pending count, and
// the dead-letter stream's length. When Redis cannot be read the gauges are
// left out of that scrape (wotbot_redis_up says why) and the rest of the
// scrape still succeeds.
func (d *Desk) Collector() prometheus.Collector {
	return &stateCollector{
		d: d, timeout: 5 * time.Second,
		unclaimed: prometheus.NewDesc("wotbot_desk_unclaimed_requests",
			"Requests posted or waiting to be posted that nobody has claimed, by urgency.", []string{"urgency"}, nil),
		oldest: prometheus.NewDesc("wotbot_desk_oldest_unclaimed_seconds",
			"Age of the oldest unclaimed request, by urgency (0 when there is none).", []string{"urgency"}, nil),
		pastDue: prometheus.NewDesc("wotbot_desk_past_callback_requests",
			"Open (unclaimed) and claimed requests whose call-back date has passed, by status.", []string{"status"}, nil),
		lag: prometheus.NewDesc("wotbot_desk_handoff_lag_entries",
			"Entries on the hand-off stream not yet read by the staff consumer group.", nil, nil),
		pending: prometheus.NewDesc("wotbot_desk_handoff_pending_entries",
			"Entries the staff consumer group read but has not acknowledged (posting, or left by a stopped desk).", nil, nil),
		deadEntries: prometheus.NewDesc("wotbot_desk_dead_letter_entries",
			"Entries on the dead-letter stream: hand-off entries that could not be read.", nil, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.unclaimed, c.oldest, c.pastDue, c.lag, c.pending, c.deadEntries} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	st, err := c.d.State(ctx)
	if err != nil {
		c.d.log.Warn("desk metrics: read state", "err", err)
		return
	}
	gauge := func(desc *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}
	for _, u := range urgencies {
		gauge(c.unclaimed, float64(st.Unclaimed[u]), u)
		gauge(c.oldest, st.OldestUnclaimed[u].Seconds(), u)
	}
	gauge(c.pastDue, float64(st.PastCallback[StatusOpen]), StatusOpen)
	gauge(c.pastDue, float64(st.PastCallback[StatusClaimed]), StatusClaimed)
	gauge(c.lag, float64(st.Lag))
	gauge(c.pending, float64(st.Pending))
	gauge(c.deadEntries, float64(st.DeadLetters))
}

// State is the desk's state as the gauges show it: counts only.
type State struct {
	Unclaimed       map[string]int           // by urgency
	OldestUnclaimed map[string]time.Duration // by urgency
	PastCallback    map[string]int           // by status (open, claimed)
	Lag             int64                    // stream entries the group has not read
	Pending         int64                    // read, not acknowledged
	DeadLetters     int64                    // entries on the dead-letter stream
}

// State reads the desk's state from Redis: one pass over the active
// requests (status, urgency and call-back date of each; nothing else leaves
// the function) and the consumer group's counters.
func (d *Desk) State(ctx context.Context) (State, error) {
	st := State{Unclaimed: map[string]int{}, OldestUnclaimed: map[string]time.Duration{}, PastCallback: map[string]int{}}
	ids, err := d.store.activeIDs(ctx)
	if err != nil {
		return st, err
	}
	now := d.now()
	y, m, dd := now.In(d.loc()).Date()
	today := time.Date(y, m, dd, 0, 0, 0, 0, d.loc())
	sums, err := d.store.summaries(ctx, ids)
	if err != nil {
		return st, err
	}
	for _, sum := range sums {
		status, raw := sum.Status, sum.JSON
		if status != StatusOpen && status != StatusClaimed {
			continue
		}
		var r struct {
			CreatedAt   time.Time `json:"created_at"`
			Urgency     string    `json:"urgency"`
			CallbackDue string    `json:"callback_due"`
		}
		_ = json.Unmarshal([]byte(raw), &r) // an unreadable record still counts, as "normal"
		u := r.Urgency
		if u != "urgent" && u != "danger" {
			u = "normal"
		}
		if status == StatusOpen {
			st.Unclaimed[u]++
			if age := now.Sub(r.CreatedAt); !r.CreatedAt.IsZero() && age > st.OldestUnclaimed[u] {
				st.OldestUnclaimed[u] = age
			}
		}
		if due, err := time.ParseInLocation("2006-01-02", r.CallbackDue, d.loc()); err == nil && due.Before(today) {
			st.PastCallback[status]++
		}
	}
	if st.Lag, st.Pending, err = d.store.groupCounts(ctx); err != nil {
		return st, err
	}
	if st.DeadLetters, err = d.store.deadLen(ctx); err != nil {
		return st, err
	}
	return st, nil
}
