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

// registered reports whether reg has a metric called name: a probe with
// that name and a help text of its own can be registered only when no
// collector described the name before.
func registered(reg *prometheus.Registry, name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe for " + name + " (deploy test)"})
	if err := reg.Register(probe); err != nil {
		return true
	}
	reg.Unregister(probe)
	return false
}

// known reports whether the series name exists: a metric, or one of the
// series of a histogram or summary.
func known(reg *prometheus.Registry, name string) bool {
	if builtins[name] || registered(reg, name) {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && registered(reg, base) {
			return true
		}
	}
	return false
}

var promql = parser.NewParser(parser.Options{})

// metricNames parses expr and returns the metric names it selects.
func metricNames(t *testing.T, where, expr string) []string {
	t.Helper()
	e, err := promql.ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: expression does not parse: %v\n%s", where, err, expr)
		return nil
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == model.MetricNameLabel {
					name = m.Value
				}
			}
			if name == "" {
				t.Errorf("%s: a selector without a metric name: %s", where, vs)
			}
			names = append(names, name)
		}
		return nil
	})
	if len(names) == 0 {
		t.Errorf("%s: selects no metric: %s", where, expr)
	}
	return names
}

func TestAlertRules(t *testing.T) {
	groups, errs := rulefmt.ParseFile("alerts.yml", false, model.LegacyValidation, promql, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	reg := registry(t)
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
			for _, name := range metricNames(t, where, r.Expr) {
				if !known(reg, name) {
					t.Errorf("%s: metric %s is not exported by wotbot", where, name)
				}
			}
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
	reg := registry(t)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, name := range metricNames(t, "panel "+p.Title, tg.Expr) {
				used[name] = true
				if !known(reg, name) {
					t.Errorf("panel %q: metric %s is not exported by wotbot", p.Title, name)
				}
			}
		}
	}
	// Every wotbot metric is on the dashboard, so a new one is not forgotten.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, mf := range mfs {
		n := mf.GetName()
		if !strings.HasPrefix(n, "wotbot_") {
			continue
		}
		if !used[n] && !used[n+"_bucket"] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics not on the dashboard: %v", missing)
	}
}

// The probe tells a real name from a typo, or the tests above prove nothing.
func TestProbe(t *testing.T) {
	reg := registry(t)
	for name, want := range map[string]bool{
		"wotbot_desk_unclaimed_requests":        true,
		"wotbot_telegram_handle_seconds_bucket": true,
		"wotbot_telegram_errors_total":          true, // a vector with no series yet
		"wotbot_desk_unclaimed_request":         false,
		"wotbot_telegram_handle_second_bucket":  false,
	} {
		if got := known(reg, name); got != want {
			t.Errorf("known(%s) = %v, want %v", name, got, want)
		}
	}
}
