package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// stats is the raw material of the report.
type stats struct {
	cfg        Config
	start, end time.Time
	outcomes   []outcome
	faults     []fault
	lb         *balancer
	procs      []*proc
	desk       bool

	streamEntries int
	lost, dup     int
	flaggedDup    int
	unknown       int
	where         string
	logBytes      int
}

// Stats are the figures of a run.
type Stats struct {
	Residents, Finished int
	Updates             int // updates the residents sent (each resend is one)
	Posts, Redeliveries int64
	Resent              int // messages sent again after a "not working now" reply
	TookEffect          int // … of which the first try had taken effect after all
	Repeated            int // redelivered updates whose replies came twice
	Duration            time.Duration
	Throughput          float64 // updates per second
	All, Calm           Latency // all updates; those outside the fault windows
	Procs               []ProcStats
	Faults              []FaultStats
	StreamEntries       int
	Lost, Duplicated    int
	FlaggedDuplicates   int // staff posts marked "maybe posted twice"
	// Unconfirmed are requests staff got whose resident never saw the
	// reference (told "not working now" although it went through).
	Unconfirmed  int
	CountedWhere string
	Desk         bool
	LogBytes     int
	Points       []Point // for the plot
}

// Latency summarises handling latencies.
type Latency struct {
	N                int
	Median, P95, P99 time.Duration
	Max              time.Duration
}

// ProcStats is one process role over all its incarnations.
type ProcStats struct {
	Name   string
	Starts int
	CPU    float64 // seconds
	PeakMB float64
}

// FaultStats is one injected fault, relative to the start.
type FaultStats struct {
	What     string
	At, Back time.Duration
}

// Point is one update: when it was sent and how long it took.
type Point struct {
	At      time.Duration
	Latency time.Duration
	Fault   bool // answered "not working now"
}

func (s *stats) compute() Stats {
	out := Stats{
		Residents: len(s.outcomes), Duration: s.end.Sub(s.start),
		Posts: s.lb.posts.Load(), Redeliveries: s.lb.redeliveries.Load(),
		StreamEntries: s.streamEntries, Lost: s.lost, Duplicated: s.dup, FlaggedDuplicates: s.flaggedDup, Unconfirmed: s.unknown, CountedWhere: s.where,
		Desk: s.desk, LogBytes: s.logBytes,
	}
	type window struct{ from, to time.Time }
	var windows []window
	for _, f := range s.faults {
		windows = append(windows, window{f.at, f.back.Add(s.cfg.Settle)})
		out.Faults = append(out.Faults, FaultStats{What: f.what, At: f.at.Sub(s.start), Back: f.back.Sub(s.start)})
	}
	var all, calm []time.Duration
	for _, o := range s.outcomes {
		if o.finished {
			out.Finished++
		}
		out.Resent += o.resent
		out.TookEffect += o.tookEffect
		out.Repeated += o.repeated
		for _, t := range o.turns {
			out.Updates++
			all = append(all, t.latency)
			out.Points = append(out.Points, Point{At: t.start.Sub(s.start), Latency: t.latency, Fault: t.fault})
			end := t.start.Add(t.latency)
			inside := false
			for _, w := range windows {
				if t.start.Before(w.to) && end.After(w.from) {
					inside = true
				}
			}
			if !inside {
				calm = append(calm, t.latency)
			}
		}
	}
	out.All, out.Calm = summarise(all), summarise(calm)
	if out.Duration > 0 {
		out.Throughput = float64(out.Updates) / out.Duration.Seconds()
	}
	for _, p := range s.procs {
		cpu, peak, runs := p.totals()
		out.Procs = append(out.Procs, ProcStats{Name: p.name, Starts: runs, CPU: cpu, PeakMB: peak})
	}
	if self, err := readProc(os.Getpid()); err == nil {
		out.Procs = append(out.Procs, ProcStats{Name: "wotload (fake Bot API, residents)", Starts: 1, CPU: self.cpu, PeakMB: self.hwmMB})
	}
	return out
}

func summarise(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	q := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	return Latency{N: len(ds), Median: q(0.5), P95: q(0.95), P99: q(0.99), Max: ds[len(ds)-1]}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// report renders the Markdown report.
func report(cfg Config, s Stats, failures []string) string {
	var b strings.Builder
	verdict := "all checks passed"
	if len(failures) > 0 {
		verdict = fmt.Sprintf("%d check(s) FAILED", len(failures))
	}
	fmt.Fprintf(&b, "## wotload: %d residents (%d on the web chat), %s mode, chaos %v, seed %d: %s\n\n", s.Residents, cfg.Web, cfg.Mode, cfg.Chaos, cfg.Seed, verdict)
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	b.WriteString("| figure | value |\n|---|---|\n")
	row("residents (finished in order)", fmt.Sprintf("%d (%d)", s.Residents, s.Finished))
	row("updates handled (sent again after a \"not working now\" reply)", fmt.Sprintf("%d (%d)", s.Updates, s.Resent))
	row("… of these, the first try had taken effect (button answered \"expired\" + the current question)", fmt.Sprint(s.TookEffect))
	row("redelivered updates answered twice (replica killed after sending, before recording it)", fmt.Sprint(s.Repeated))
	row("webhook POSTs (redeliveries after 503/connection error)", fmt.Sprintf("%d (%d)", s.Posts, s.Redeliveries))
	row("duration, think time, ramp", fmt.Sprintf("%v, %v ±50%%, %v", s.Duration.Round(100*time.Millisecond), cfg.Think, cfg.Ramp))
	row("throughput", fmt.Sprintf("%.1f updates/s", s.Throughput))
	row("handling latency, all: median / p95 / p99 / max", fmt.Sprintf("%s / %s / %s / %s", ms(s.All.Median), ms(s.All.P95), ms(s.All.P99), ms(s.All.Max)))
	row(fmt.Sprintf("… outside fault windows (%d updates)", s.Calm.N), fmt.Sprintf("%s / %s / %s / %s", ms(s.Calm.Median), ms(s.Calm.P95), ms(s.Calm.P99), ms(s.Calm.Max)))
	for _, p := range s.Procs {
		row("CPU / peak RSS: "+p.Name, fmt.Sprintf("%.1f s / %.1f MB (%d start(s))", p.CPU, p.PeakMB, p.Starts))
	}
	if len(s.Faults) == 0 {
		row("faults injected", "none")
	}
	for _, f := range s.Faults {
		row("fault: "+f.What, fmt.Sprintf("at %.1f s, back at %.1f s", f.At.Seconds(), f.Back.Seconds()))
	}
	row("hand-off stream entries", fmt.Sprint(s.StreamEntries))
	row("requests lost / duplicated ("+s.CountedWhere+")", fmt.Sprintf("%d / %d", s.Lost, s.Duplicated))
	row("requests staff got whose resident never saw the reference", fmt.Sprint(s.Unconfirmed))
	if s.Desk {
		row("staff posts marked \"maybe posted twice\"", fmt.Sprint(s.FlaggedDuplicates))
	}
	row("log bytes searched for names, phones, stories", fmt.Sprint(s.LogBytes))
	if !s.Desk {
		b.WriteString("\nThe desk did not run (this wotbot has no `desk` subcommand, or -desk off): requests were counted on the hand-off stream.\n")
	}
	if len(failures) > 0 {
		b.WriteString("\n### Failed checks\n\n```\n")
		for _, f := range failures {
			b.WriteString(f + "\n")
		}
		b.WriteString("```\n")
	}
	return b.String()
}

// plotLatency draws every update's handling latency against the time it
// was sent, log scale, with the fault moments as vertical lines.
func plotLatency(path string, s Stats) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("wotbot handling latency, %d residents", s.Residents)
	p.X.Label.Text = "time since start (s)"
	p.Y.Label.Text = "latency (ms)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	var ok, fault plotter.XYs
	lo, hi := math.Inf(1), 1.0
	for _, pt := range s.Points {
		y := math.Max(float64(pt.Latency.Microseconds())/1000, 0.1)
		lo, hi = math.Min(lo, y), math.Max(hi, y)
		xy := plotter.XY{X: pt.At.Seconds(), Y: y}
		if pt.Fault {
			fault = append(fault, xy)
		} else {
			ok = append(ok, xy)
		}
	}
	if len(ok) > 0 {
		sc, err := plotter.NewScatter(ok)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Radius = vg.Points(1)
		sc.GlyphStyle.Color = color.NRGBA{R: 40, G: 90, B: 200, A: 140}
		p.Add(sc)
		p.Legend.Add("answered", sc)
	}
	if len(fault) > 0 {
		sc, err := plotter.NewScatter(fault)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Radius = vg.Points(2)
		sc.GlyphStyle.Shape = draw.CrossGlyph{}
		sc.GlyphStyle.Color = color.NRGBA{R: 230, G: 120, A: 255}
		p.Add(sc)
		p.Legend.Add("\"not working now\" (sent again)", sc)
	}
	if math.IsInf(lo, 1) {
		lo = 0.1
	}
	colors := []color.Color{color.RGBA{R: 200, A: 255}, color.RGBA{G: 150, A: 255}, color.RGBA{R: 150, B: 150, A: 255}}
	for i, f := range s.Faults {
		c := colors[i%len(colors)]
		for j, x := range []float64{f.At.Seconds(), f.Back.Seconds()} {
			l, err := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
			if err != nil {
				return err
			}
			l.LineStyle.Color = c
			l.LineStyle.Width = vg.Points(1)
			if j == 1 {
				l.LineStyle.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
			} else {
				p.Legend.Add(f.What, l)
			}
			p.Add(l)
		}
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p.Save(28*vg.Centimeter, 14*vg.Centimeter, path)
}
