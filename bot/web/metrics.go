package web

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the web chat's figures on /metrics. A Channel without a
// registry keeps them in a private one.
type metrics struct {
	messages *prometheus.CounterVec // POSTs by outcome
	latency  prometheus.Histogram   // one message, from its POST to its replies stored
	streams  prometheus.Gauge       // open event streams on this replica
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_web_messages_total",
			Help: "Web chat messages, by outcome (ok, repeat, slowed, refused, failed).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wotbot_web_handle_seconds",
			Help:    "Time from a web chat message's arrival to its replies being in the transcript.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wotbot_web_event_streams",
			Help: "Open web chat pages (event streams) on this replica.",
		}),
	}
	for _, c := range []prometheus.Collector{m.messages, m.latency, m.streams} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register web metrics: %w", err)
		}
	}
	return m, nil
}
