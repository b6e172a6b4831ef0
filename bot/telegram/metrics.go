package telegram

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	updates     *prometheus.CounterVec   // by kind
	latency     prometheus.Histogram     // one update, from arrival to last reply sent
	errors      *prometheus.CounterVec   // by operation
	retries     *prometheus.CounterVec   // Bot API retries by reason
	rateLimited prometheus.Counter       // messages dropped by the slow-down rule
	sendLatency *prometheus.HistogramVec // unused buckets stay cheap; by method
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_telegram_updates_total",
			Help: "Telegram updates received, by kind (text, option, voice, photo, ..., group, ignored).",
		}, []string{"kind"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wotbot_telegram_handle_seconds",
			Help:    "Time from an update's arrival to its last reply being sent.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_telegram_errors_total",
			Help: "Errors, by operation (handle, send, answer, edit, poll, webhook, commands, mark).",
		}, []string{"op"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_telegram_retries_total",
			Help: "Bot API calls retried, by reason (429, 5xx).",
		}, []string{"reason"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wotbot_telegram_rate_limited_total",
			Help: "Messages dropped because a chat sent more than the limit in the window.",
		}),
		sendLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wotbot_telegram_api_seconds",
			Help:    "Bot API call time including retries, by method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method"}),
	}
	for _, c := range []prometheus.Collector{m.updates, m.latency, m.errors, m.retries, m.rateLimited, m.sendLatency} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register telegram metrics: %w", err)
		}
	}
	return m, nil
}
