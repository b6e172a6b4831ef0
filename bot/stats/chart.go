package stats

import (
	"fmt"
	"image/color"
	"os"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// WritePNG draws the weeks as one small image for the team's meeting:
// requests per week by topic, time to claim (median and p90) per week, the
// share past the call-back date and for someone else, and the intents
// asked about most over the period, with the questions not placed.
func WritePNG(path string, weeks []Week, names Names, topIntents int) error {
	labels := make([]string, len(weeks))
	for i, w := range weeks {
		_, n := w.Start.ISOWeek()
		labels[i] = fmt.Sprintf("wk %d", n)
	}
	plots := [][]*plot.Plot{{nil, nil}, {nil, nil}}
	var err error
	if plots[0][0], err = requestsPlot(weeks, labels, names); err != nil {
		return err
	}
	if plots[0][1], err = claimPlot(weeks, labels); err != nil {
		return err
	}
	if plots[1][0], err = sharesPlot(weeks, labels); err != nil {
		return err
	}
	if plots[1][1], err = intentsPlot(Total(weeks), names, topIntents); err != nil {
		return err
	}
	img := vgimg.New(26*vg.Centimeter, 18*vg.Centimeter)
	dc := draw.New(img)
	dc.Canvas.Push()
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	dc.Canvas.Pop()
	tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, tiles, dc)
	for r := range plots {
		for c := range plots[r] {
			plots[r][c].Draw(canvases[r][c])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("stats chart: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("stats chart %s: %w", path, err)
	}
	return f.Close()
}

// palette tells eight topics apart (Okabe-Ito, readable for colour-blind eyes).
var palette = []color.Color{
	color.RGBA{0xe6, 0x9f, 0x00, 0xff}, color.RGBA{0x56, 0xb4, 0xe9, 0xff}, color.RGBA{0x00, 0x9e, 0x73, 0xff},
	color.RGBA{0xf0, 0xe4, 0x42, 0xff}, color.RGBA{0x00, 0x72, 0xb2, 0xff}, color.RGBA{0xd5, 0x5e, 0x00, 0xff},
	color.RGBA{0xcc, 0x79, 0xa7, 0xff}, color.RGBA{0x66, 0x66, 0x66, 0xff},
}

func requestsPlot(weeks []Week, labels []string, names Names) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Requests per week, by topic"
	p.Y.Label.Text = "requests"
	total := Total(weeks)
	topics := make([]string, 0, len(total.Topic))
	for t := range total.Topic {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var below *plotter.BarChart
	for i, t := range topics {
		v := make(plotter.Values, len(weeks))
		for j, w := range weeks {
			v[j] = float64(w.Topic[t])
		}
		bars, err := plotter.NewBarChart(v, vg.Points(14))
		if err != nil {
			return nil, fmt.Errorf("stats chart: %w", err)
		}
		bars.LineStyle.Width = 0
		bars.Color = palette[i%len(palette)]
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		p.Legend.Add(name(names.Topic, t), bars)
	}
	// Room above the bars for the legend.
	most := 0.0
	for _, w := range weeks {
		most = max(most, float64(w.Requests))
	}
	p.Y.Min, p.Y.Max = 0, max(most*1.8, 5)
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(7)
	if len(labels) > 0 {
		p.NominalX(labels...)
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

func claimPlot(weeks []Week, labels []string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Time to claim"
	p.Y.Label.Text = "hours"
	med, p90 := make(plotter.XYs, 0, len(weeks)), make(plotter.XYs, 0, len(weeks))
	for i, w := range weeks {
		if w.Claimed == 0 {
			continue
		}
		med = append(med, plotter.XY{X: float64(i), Y: w.ClaimMedian.Hours()})
		p90 = append(p90, plotter.XY{X: float64(i), Y: w.ClaimP90.Hours()})
	}
	if len(med) > 0 {
		if err := plotutil.AddLinePoints(p, "median", med, "p90", p90); err != nil {
			return nil, fmt.Errorf("stats chart: %w", err)
		}
	}
	most := 0.0
	for _, xy := range p90 {
		most = max(most, xy.Y)
	}
	p.Legend.Top = true
	if len(labels) > 0 {
		p.NominalX(labels...)
	}
	p.Y.Min, p.Y.Max = 0, max(most*1.3, 1)
	p.Add(plotter.NewGrid())
	return p, nil
}

func sharesPlot(weeks []Week, labels []string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Share of requests"
	p.Y.Label.Text = "%"
	if len(weeks) == 0 {
		return p, nil
	}
	late, other := make(plotter.Values, len(weeks)), make(plotter.Values, len(weeks))
	for i, w := range weeks {
		late[i] = 100 * w.LateShare()
		other[i] = 100 * w.ForOtherShare()
	}
	a, err := plotter.NewBarChart(late, vg.Points(9))
	if err != nil {
		return nil, fmt.Errorf("stats chart: %w", err)
	}
	a.Color, a.LineStyle.Width, a.Offset = plotutil.Color(0), 0, -vg.Points(5)
	b, err := plotter.NewBarChart(other, vg.Points(9))
	if err != nil {
		return nil, fmt.Errorf("stats chart: %w", err)
	}
	b.Color, b.LineStyle.Width, b.Offset = plotutil.Color(2), 0, vg.Points(5)
	p.Add(a, b, plotter.NewGrid())
	p.Legend.Add("past call-back date", a)
	p.Legend.Add("for someone else", b)
	p.Legend.Top = true
	if len(labels) > 0 {
		p.NominalX(labels...)
	}
	p.Y.Min, p.Y.Max = 0, 125 // room for the legend
	return p, nil
}

func intentsPlot(total Week, names Names, n int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Questions asked most (whole period)"
	top := Top(total.Intents, n)
	// Bottom to top: the most asked at the top, "not placed" below them all.
	var v plotter.Values
	var labels []string
	v = append(v, float64(total.Unplaced))
	labels = append(labels, "not placed")
	for i := len(top) - 1; i >= 0; i-- {
		v = append(v, float64(top[i].N))
		labels = append(labels, name(names.Intent, top[i].Key))
	}
	bars, err := plotter.NewBarChart(v, vg.Points(9))
	if err != nil {
		return nil, fmt.Errorf("stats chart: %w", err)
	}
	bars.Horizontal = true
	bars.LineStyle.Width = 0
	bars.Color = plotutil.Color(1)
	p.Add(bars, plotter.NewGrid())
	p.NominalY(labels...)
	p.X.Label.Text = "questions"
	p.X.Min = 0
	return p, nil
}
