package deploy_test

// An in-memory Prometheus: scraped samples kept per series, served to the
// PromQL engine of the Prometheus library (the package rulefmt already
// imports, so no module is added for it), and alerting rules evaluated
// over time with Prometheus's `for:` semantics. Prometheus's own test
// storage (util/teststorage, for promql/promqltest) would bring the TSDB and
// some 55 modules into go.mod; this is a page of code.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// fsample is one float sample; it is a chunks.Sample for storage.NewListSeries.
type dtoFamily = dto.MetricFamily

type fsample struct {
	t int64
	f float64
}

func (s fsample) T() int64                      { return s.t }
func (s fsample) ST() int64                     { return 0 }
func (s fsample) F() float64                    { return s.f }
func (s fsample) H() *histogram.Histogram       { return nil }
func (s fsample) FH() *histogram.FloatHistogram { return nil }
func (s fsample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s fsample) Copy() chunks.Sample           { return s }

type memSeries struct {
	lset    labels.Labels
	samples []chunks.Sample // in time order
}

// memStore is a storage.Queryable over samples appended in time order.
type memStore struct {
	mu     sync.Mutex
	series map[string]*memSeries
}

func newMemStore() *memStore { return &memStore{series: map[string]*memSeries{}} }

func (s *memStore) append(lset labels.Labels, t time.Time, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := lset.String()
	ms := s.series[k]
	if ms == nil {
		ms = &memSeries{lset: lset}
		s.series[k] = ms
	}
	ms.samples = append(ms.samples, fsample{t: t.UnixMilli(), f: v})
}

func (s *memStore) Querier(mint, maxt int64) (storage.Querier, error) {
	return &memQuerier{s: s, mint: mint, maxt: maxt}, nil
}

type memQuerier struct {
	s          *memStore
	mint, maxt int64
}

func (q *memQuerier) Select(_ context.Context, _ bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	var out []storage.Series
	for _, sr := range q.s.series {
		if !matches(sr.lset, ms) {
			continue
		}
		var in []chunks.Sample
		for _, smp := range sr.samples {
			if smp.T() >= q.mint && smp.T() <= q.maxt {
				in = append(in, smp)
			}
		}
		if len(in) > 0 {
			out = append(out, storage.NewListSeries(sr.lset, in))
		}
	}
	sort.Slice(out, func(i, j int) bool { return labels.Compare(out[i].Labels(), out[j].Labels()) < 0 })
	return &sliceSet{series: out, i: -1}
}

func matches(lset labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

func (q *memQuerier) LabelValues(context.Context, string, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (q *memQuerier) LabelNames(context.Context, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (q *memQuerier) Close() error { return nil }

type sliceSet struct {
	series []storage.Series
	i      int
}

func (s *sliceSet) Next() bool                        { s.i++; return s.i < len(s.series) }
func (s *sliceSet) At() storage.Series                { return s.series[s.i] }
func (s *sliceSet) Err() error                        { return nil }
func (s *sliceSet) Warnings() annotations.Annotations { return nil }

// target is one scraped process, as a Prometheus scrape config names it.
type target struct {
	job, instance, url string
	// down makes the next scrapes fail, as when the process is not running.
	down bool
	// last holds the series of the last successful scrape: a series gone
	// from the next one (or every series, when a scrape fails) gets a stale
	// marker, as Prometheus writes.
	last map[string]labels.Labels
	// The values of the last two scrapes, for repeat, and what repeat added
	// to each cumulative series (added to later scrapes, so that a repeat
	// does not look like a counter reset).
	prevVals, lastVals map[string]float64
	cumulative         map[string]bool
	offset             map[string]float64
}

// scrape reads t's /metrics at time now into store, with the target labels
// and the synthetic `up` series Prometheus adds.
func (t *target) scrape(tb testing.TB, store *memStore, now time.Time) {
	tb.Helper()
	up := labels.FromStrings(model.MetricNameLabel, "up", "job", t.job, "instance", t.instance)
	seen := map[string]labels.Labels{}
	if t.cumulative == nil {
		t.cumulative, t.offset = map[string]bool{}, map[string]float64{}
	}
	vals := map[string]float64{}
	mfs, err := t.fetch()
	if err != nil {
		store.append(up, now, 0)
	} else {
		store.append(up, now, 1)
		for _, mf := range mfs {
			for _, smp := range flatten(mf) {
				lset := labels.NewBuilder(smp.lset).Set("job", t.job).Set("instance", t.instance).Labels()
				k := lset.String()
				v := smp.v + t.offset[k]
				store.append(lset, now, v)
				seen[k] = lset
				vals[k] = v
				t.cumulative[k] = smp.cumulative
			}
		}
	}
	t.prevVals, t.lastVals = t.lastVals, vals
	for k, lset := range t.last {
		if _, ok := seen[k]; !ok {
			store.append(lset, now, math.Float64frombits(value.StaleNaN))
		}
	}
	t.last = seen
}

// repeat appends a sample of every series of the last scrape at each of
// times, as if the last scrape interval happened again and again: each
// cumulative series (counter, histogram bucket, sum, count) grows by what it
// grew between the last two scrapes, the others keep their value. It turns
// one real minute of traffic into a phase of many minutes.
func (t *target) repeat(store *memStore, times []time.Time) {
	for _, at := range times {
		store.append(labels.FromStrings(model.MetricNameLabel, "up", "job", t.job, "instance", t.instance), at, 1)
		vals := map[string]float64{}
		for k, lset := range t.last {
			v := t.lastVals[k]
			if p, ok := t.prevVals[k]; ok && t.cumulative[k] {
				d := v - p // a series new in the last scrape did not grow in it
				v += d
				t.offset[k] += d
			}
			store.append(lset, at, v)
			vals[k] = v
		}
		t.prevVals, t.lastVals = t.lastVals, vals
	}
}

func (t *target) fetch() ([]*dtoFamily, error) {
	if t.down {
		return nil, fmt.Errorf("%s is down", t.instance)
	}
	resp, err := http.Get(t.url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET %s: %d %s", t.url, resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", t.url, err)
	}
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*dtoFamily, 0, len(names))
	for _, n := range names {
		out = append(out, fams[n])
	}
	return out, nil
}

type flatSample struct {
	lset       labels.Labels
	v          float64
	cumulative bool
}

// flatten turns a metric family into the series Prometheus stores for it
// (a histogram into _bucket{le}, _sum and _count).
func flatten(mf *dtoFamily) []flatSample {
	var out []flatSample
	for _, m := range mf.GetMetric() {
		b := labels.NewScratchBuilder(len(m.GetLabel()) + 2)
		for _, l := range m.GetLabel() {
			b.Add(l.GetName(), l.GetValue())
		}
		with := func(name string, extra ...string) labels.Labels {
			lb := labels.NewBuilder(labelsOf(b))
			lb.Set(model.MetricNameLabel, name)
			for i := 0; i+1 < len(extra); i += 2 {
				lb.Set(extra[i], extra[i+1])
			}
			return lb.Labels()
		}
		name := mf.GetName()
		switch {
		case m.Counter != nil:
			out = append(out, flatSample{with(name), m.Counter.GetValue(), true})
		case m.Gauge != nil:
			out = append(out, flatSample{with(name), m.Gauge.GetValue(), false})
		case m.Untyped != nil:
			out = append(out, flatSample{with(name), m.Untyped.GetValue(), false})
		case m.Histogram != nil:
			h := m.Histogram
			inf := false
			for _, bk := range h.GetBucket() {
				inf = inf || math.IsInf(bk.GetUpperBound(), 1)
				out = append(out, flatSample{with(name+"_bucket", "le", model.FloatString(bk.GetUpperBound()).String()), float64(bk.GetCumulativeCount()), true})
			}
			if !inf {
				out = append(out, flatSample{with(name+"_bucket", "le", "+Inf"), float64(h.GetSampleCount()), true})
			}
			out = append(out, flatSample{with(name + "_sum"), h.GetSampleSum(), true}, flatSample{with(name + "_count"), float64(h.GetSampleCount()), true})
		case m.Summary != nil:
			s := m.Summary
			for _, q := range s.GetQuantile() {
				out = append(out, flatSample{with(name, "quantile", model.FloatString(q.GetQuantile()).String()), q.GetValue(), false})
			}
			out = append(out, flatSample{with(name + "_sum"), s.GetSampleSum(), true}, flatSample{with(name + "_count"), float64(s.GetSampleCount()), true})
		}
	}
	return out
}

func labelsOf(b labels.ScratchBuilder) labels.Labels {
	b.Sort()
	return b.Labels()
}

// alertRule is one alerting rule of alerts.yml.
type alertRule struct {
	name string
	expr string
	for_ time.Duration
}

func loadAlertRules(t testing.TB) []alertRule {
	t.Helper()
	groups, errs := rulefmt.ParseFile("alerts.yml", false, model.LegacyValidation, promqlParser, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(errs) > 0 {
		t.Fatalf("alerts.yml: %v", errs)
	}
	var out []alertRule
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, alertRule{name: r.Alert, expr: r.Expr, for_: time.Duration(r.For)})
			}
		}
	}
	return out
}

var engine = promql.NewEngine(promql.EngineOpts{
	MaxSamples: 5_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute,
	NoStepSubqueryIntervalFn: func(int64) int64 { return time.Minute.Milliseconds() },
	EnableAtModifier:         true, EnableNegativeOffset: true,
})

// alertState is what an alert is at one evaluation: the label sets for
// which it is pending or firing, with the expression's value.
type alertState struct {
	at      time.Time
	pending map[string]float64
	firing  map[string]float64
}

// evalAlert evaluates r every `every` from start to end, as Prometheus's
// rule manager does: a label set the expression returns is pending from
// the first evaluation that returns it, firing once it has been returned
// at every evaluation for r.for_, and gone at the first that does not.
func evalAlert(t testing.TB, store *memStore, r alertRule, start, end time.Time, every time.Duration) []alertState {
	t.Helper()
	activeAt := map[string]time.Time{}
	var out []alertState
	for ts := start; !ts.After(end); ts = ts.Add(every) {
		q, err := engine.NewInstantQuery(context.Background(), store, nil, r.expr, ts)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		res := q.Exec(context.Background())
		vec, err := res.Vector()
		q.Close()
		if err != nil {
			t.Fatalf("%s at %s: %v", r.name, ts.Format(time.TimeOnly), err)
		}
		st := alertState{at: ts, pending: map[string]float64{}, firing: map[string]float64{}}
		now := map[string]bool{}
		for _, s := range vec {
			k := s.Metric.DropReserved(func(n string) bool { return n == model.MetricNameLabel }).String()
			now[k] = true
			if _, ok := activeAt[k]; !ok {
				activeAt[k] = ts
			}
			if ts.Sub(activeAt[k]) >= r.for_ {
				st.firing[k] = s.F
			} else {
				st.pending[k] = s.F
			}
		}
		for k := range activeAt {
			if !now[k] {
				delete(activeAt, k)
			}
		}
		out = append(out, st)
	}
	return out
}

// firingSpans sums the states up as "labels: from-to" spans of firing, in
// minutes after start, for messages and comparisons.
func firingSpans(states []alertState, start time.Time) []string {
	type span struct{ from, to time.Duration }
	open := map[string]*span{}
	var done []string
	closeSpan := func(k string, sp *span) {
		done = append(done, fmt.Sprintf("%s %s-%s", k, mins(sp.from), mins(sp.to)))
	}
	for _, st := range states {
		for k := range st.firing {
			if sp, ok := open[k]; ok {
				sp.to = st.at.Sub(start)
			} else {
				open[k] = &span{st.at.Sub(start), st.at.Sub(start)}
			}
		}
		for k, sp := range open {
			if _, ok := st.firing[k]; !ok {
				closeSpan(k, sp)
				delete(open, k)
			}
		}
	}
	keys := make([]string, 0, len(open))
	for k := range open {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		closeSpan(k, open[k])
	}
	slices.Sort(done)
	return done
}

func mins(d time.Duration) string { return fmt.Sprintf("%gm", d.Minutes()) }
