package botapi

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts a client's calls and retries. A nil *Metrics counts
// nothing. The names are the Telegram channel's (alerts use them).
type Metrics struct {
	seconds *prometheus.HistogramVec // by method, retries included
	retries *prometheus.CounterVec   // by reason: 429, 5xx
}

// NewMetrics registers the client metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wotbot_telegram_api_seconds",
			Help:    "Bot API call time including retries, by method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_telegram_retries_total",
			Help: "Bot API calls retried, by reason (429, 5xx).",
		}, []string{"reason"}),
	}
	for _, c := range []prometheus.Collector{m.seconds, m.retries} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register Bot API metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) observe(method string, start time.Time) {
	if m != nil {
		m.seconds.WithLabelValues(method).Observe(time.Since(start).Seconds())
	}
}

func (m *Metrics) retry(reason string) {
	if m != nil {
		m.retries.WithLabelValues(reason).Inc()
	}
}
