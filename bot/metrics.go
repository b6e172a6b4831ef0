package bot

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wotschiedam/wotbot/dialog"
)

// Metrics counts what conversations do: intents asked and intakes started,
// finished and cancelled. A nil *Metrics counts nothing.
type Metrics struct {
	intents *prometheus.CounterVec
	intakes *prometheus.CounterVec
}

// NewMetrics registers the conversation metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		intents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_intents_total", Help: "Free-text messages by classified intent.",
		}, []string{"intent"}),
		intakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wotbot_intakes_total", Help: "Intakes by outcome: started, finished, cancelled.",
		}, []string{"event"}),
	}
	reg.MustRegister(m.intents, m.intakes)
	return m
}

func (m *Metrics) observe(before dialog.State, t dialog.Turn) {
	if m == nil {
		return
	}
	if t.Classification != nil {
		m.intents.WithLabelValues(t.Classification.Intent).Inc()
	}
	if before.Intake == nil && t.State.Intake != nil {
		m.intakes.WithLabelValues("started").Inc()
	}
	for _, e := range t.Effects {
		if _, ok := e.(dialog.Submit); ok {
			m.intakes.WithLabelValues("finished").Inc()
		}
	}
	if n := len(t.Replies); n > 0 && t.Replies[n-1].Step == dialog.StepEnded {
		m.intakes.WithLabelValues("cancelled").Inc()
	}
}
