package telegram

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wotschiedam/wotbot/bot/telegram/botapi"
)

type metrics struct {
	updates     *prometheus.CounterVec // by kind
	latency     prometheus.Histogram   // one update, from arrival to last reply sent
	errors      *prometheus.CounterVec // by operation
	rateLimited prometheus.Counter     // messages dropped by the slow-down rule
	api         *botapi.Metrics        // Bot API call time and retries
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
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wotbot_telegram_rate_limited_total",
			Help: "Messages dropped because a chat sent more than the limit in the window.",
		}),
	}
	for _, c := range []prometheus.Collector{m.updates, m.latency, m.errors, m.rateLimited} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register telegram metrics: %w", err)
		}
	}
	api, err := botapi.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	m.api = api
	return m, nil
}
