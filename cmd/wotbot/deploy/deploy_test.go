// Package deploy_test checks the files that ship in cmd/wotbot/deploy: the
// Prometheus alerting rules (alerts.yml) and the Grafana dashboard
// (dashboard.json). The rules are loaded with Prometheus's own rule parser,
// every expression is parsed as PromQL, and every metric they name must be
// registered by the code, so a typo fails CI instead of an alert that never
// fires. The package holds tests only: the Prometheus module is needed by
// them, never by the wotbot binary.
package deploy_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/redis/go-redis/v9"

	"github.com/wotschiedam/wotbot/bot"
	"github.com/wotschiedam/wotbot/bot/desk"
	"github.com/wotschiedam/wotbot/bot/redisconn"
	"github.com/wotschiedam/wotbot/bot/telegram"
	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/knowledge"
	"github.com/wotschiedam/wotbot/locales"
)

// builtins are series Prometheus makes itself.
var builtins = map[string]bool{"up": true, "ALERTS": true, "ALERTS_FOR_STATE": true, "scrape_duration_seconds": true}

type nopHandler struct{}

func (nopHandler) Handle(context.Context, bot.Inbound) ([]dialog.Reply, error) { return nil, nil }

func (nopHandler) MarkDelivered(context.Context, ...bot.Inbound) error { return nil }

// registry registers every metric a replica with the desk exports, the way
// `serve` (with STAFF_CHAT_ID) and `desk` do.
func registry(t *testing.T) *prometheus.Registry {
	t.Helper()
	cat, err := locales.Load(knowledge.MessageFiles())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { rdb.Close() })
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		redisconn.UpCollector(rdb))
	bot.NewMetrics(reg)
	if _, err := telegram.New(telegram.Config{Token: "1:test"}, nopHandler{}, cat, telegram.WithRegistry(reg),
		telegram.WithInbox(rdb, "")); err != nil {
		t.Fatal(err)
	}
	m, err := desk.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	d := desk.New(rdb, desk.Config{}, desk.Deps{Catalog: cat, Metrics: m, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	reg.MustRegister(d.Collector())
	return reg
}

// metrics maps every metric name the registry describes to its label
// names (Desc has no accessors; its String form is stable).
type metrics map[string][]string

var descRe = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

func describe(t *testing.T, reg *prometheus.Registry) metrics {
	t.Helper()
	ch := make(chan *prometheus.Desc)
	go func() { reg.Describe(ch); close(ch) }()
	out := metrics{}
	for d := range ch {
		m := descRe.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read %s", d)
		}
		var labels []string
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSuffix(strings.TrimPrefix(l, "c("), ")"); l != "" {
				labels = append(labels, l)
			}
		}
		out[m[1]] = labels
	}
	return out
}

// lookup returns the labels of the series name: a metric, or one of the
// series of a histogram ("le" added to _bucket); false when wotbot has no
// such series.
func (ms metrics) lookup(name string) ([]string, bool) {
	if builtins[name] {
		return nil, true
	}
	if l, ok := ms[name]; ok {
		return l, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if l, ok := ms[base]; ok {
				if suffix == "_bucket" {
					l = append(slices.Clone(l), "le")
				}
				return l, true
			}
		}
	}
	return nil, false
}

// targetLabels are added by Prometheus when it scrapes.
var targetLabels = map[string]bool{"job": true, "instance": true, model.MetricNameLabel: true}

// checkSelectors fails for a metric wotbot does not export, or a label it
// does not have: a typo in either selects nothing, silently.
func checkSelectors(errorf func(string, ...any), ms metrics, where, expr string) []string {
	var names []string
	for _, sel := range selectors(errorf, where, expr) {
		names = append(names, sel.name)
		labels, ok := ms.lookup(sel.name)
		if !ok {
			errorf("%s: metric %s is not exported by wotbot", where, sel.name)
			continue
		}
		for _, l := range sel.labels {
			if !targetLabels[l] && !builtins[sel.name] && !slices.Contains(labels, l) {
				errorf("%s: metric %s has no label %q (it has %v)", where, sel.name, l, labels)
			}
		}
	}
	return names
}

var promql = parser.NewParser(parser.Options{})

type selector struct {
	name   string
	labels []string
}

// selectors parses expr and returns the metrics it selects, with the labels
// it matches on.
func selectors(errorf func(string, ...any), where, expr string) []selector {
	e, err := promql.ParseExpr(expr)
	if err != nil {
		errorf("%s: expression does not parse: %v\n%s", where, err, expr)
		return nil
	}
	var out []selector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			sel := selector{name: vs.Name}
			for _, m := range vs.LabelMatchers {
				if m.Name == model.MetricNameLabel {
					sel.name = m.Value
					continue
				}
				sel.labels = append(sel.labels, m.Name)
			}
			if sel.name == "" {
				errorf("%s: a selector without a metric name: %s", where, vs)
			}
			out = append(out, sel)
		}
		return nil
	})
	if len(out) == 0 {
		errorf("%s: selects no metric: %s", where, expr)
	}
	return out
}

func TestAlertRules(t *testing.T) {
	groups, errs := rulefmt.ParseFile("alerts.yml", false, model.LegacyValidation, promql, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	ms := describe(t, registry(t))
	alerts := map[string]bool{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			where := "alert " + r.Alert
			if r.Alert == "" {
				t.Errorf("group %s: a rule that is not an alert (%s)", g.Name, r.Record)
				continue
			}
			if alerts[r.Alert] {
				t.Errorf("%s: twice", where)
			}
			alerts[r.Alert] = true
			if s := r.Labels["severity"]; s != "page" && s != "warning" {
				t.Errorf("%s: severity %q, want page or warning", where, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs a summary and a description for whoever is woken", where)
			}
			checkSelectors(t.Errorf, ms, where, r.Expr)
		}
	}
	// The alerts the team relies on (issue 17): a rename must be deliberate.
	for _, a := range []string{"WotUrgentRequestUnclaimed", "WotRequestPastCallbackDate", "WotHandoffLagGrowing",
		"WotRedisUnreachable", "WotReplicaHandleErrors", "WotHandlingLatencyP99High"} {
		if !alerts[a] {
			t.Errorf("alert %s is missing", a)
		}
	}
}

func TestDashboard(t *testing.T) {
	b, err := os.ReadFile("dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	}
	var dash struct {
		Title  string  `json:"title"`
		UID    string  `json:"uid"`
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	if dash.Title == "" || dash.UID == "" {
		t.Errorf("dashboard needs a title and a uid")
	}
	ms := describe(t, registry(t))
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, name := range checkSelectors(t.Errorf, ms, "panel "+p.Title, tg.Expr) {
				used[name] = true
			}
		}
	}
	// Every wotbot metric is on the dashboard, so a new one is not forgotten.
	var missing []string
	for n := range ms {
		if strings.HasPrefix(n, "wotbot_") && !used[n] && !used[n+"_bucket"] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics not on the dashboard: %v", missing)
	}
}

// The lookup tells a real name or label from a typo, or the tests above
// prove nothing.
func TestLookup(t *testing.T) {
	ms := describe(t, registry(t))
	for _, tc := range []struct {
		expr string
		ok   bool
	}{
		{`wotbot_desk_unclaimed_requests{urgency="danger"}`, true},
		{`rate(wotbot_telegram_handle_seconds_bucket{le="0.1", instance="a"}[5m])`, true},
		{`wotbot_telegram_errors_total{op="handle"}`, true}, // a vector with no series yet
		{`wotbot_desk_unclaimed_request`, false},
		{`wotbot_telegram_handle_second_bucket`, false},
		{`wotbot_desk_unclaimed_requests{urgencies="danger"}`, false},
	} {
		failed := false
		checkSelectors(func(string, ...any) { failed = true }, ms, "test", tc.expr)
		if ok := !failed; ok != tc.ok {
			t.Errorf("%s: accepted %v, want %v", tc.expr, ok, tc.ok)
		}
	}
}
