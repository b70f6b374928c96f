package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Okabe-Ito colours, distinguishable with every common colour-vision
// deficiency.
var (
	blue       = rgb(0x0072B2)
	vermillion = rgb(0xD55E00)
	green      = rgb(0x009E73)
	orange     = rgb(0xE69F00)
	skyBlue    = rgb(0x56B4E9)
	purple     = rgb(0xCC79A7)
	grey       = rgb(0x777777)
	lightGrey  = rgb(0xDDDDDD)
	black      = rgb(0x000000)
)

// seriesColors are the colours of the bars of one group, in order.
var seriesColors = []color.Color{blue, orange, green, purple, skyBlue, vermillion}

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// viridis are nine stops of the viridis map: perceptually uniform, dark
// to light, readable in grey and with colour-vision deficiencies.
var viridis = []color.RGBA{
	rgb(0x440154), rgb(0x472c7a), rgb(0x3b518b), rgb(0x2c718e), rgb(0x21908d),
	rgb(0x27ad81), rgb(0x5cc863), rgb(0xaadc32), rgb(0xfde725),
}

// sequential returns the viridis colour of t in [0, 1].
func sequential(t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	x := t * float64(len(viridis)-1)
	i := min(int(x), len(viridis)-2)
	f := x - float64(i)
	a, b := viridis[i], viridis[i+1]
	mix := func(p, q uint8) uint8 { return uint8(math.Round(float64(p) + f*(float64(q)-float64(p)))) }
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 0xff}
}

// sans is the typeface of every text of a figure.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Font sizes, in points.
const (
	titleSize = 12
	labelSize = 10.5
	tickSize  = 9
)

// Figure is one picture of the report.
type Figure struct {
	Name    string // file stem of --plots: loss, accuracy, confusion_counts, ...
	Title   string
	Alt     string // what the figure shows, in words
	W, H    vg.Length
	plot    *plot.Plot
	section string
}

// SVG draws the figure as an SVG document.
func (f *Figure) SVG() ([]byte, error) {
	c := vgsvg.New(f.W, f.H)
	f.plot.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// PNG draws the figure as a PNG image at 144 dots per inch (two pixels
// per point).
func (f *Figure) PNG() ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(f.W, f.H), vgimg.UseDPI(144))
	f.plot.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// newPlot returns a plot with the report's fonts, a light grid and the
// legend at the top right.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, titleSize)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Tick.Label.Font = font.From(sans, tickSize)
		a.Padding = vg.Points(2)
	}
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.Legend.TextStyle.Font = font.From(sans, tickSize)
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(22)
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = lightGrey, lightGrey
	g.Vertical.Width, g.Horizontal.Width = vg.Points(0.5), vg.Points(0.5)
	p.Add(g)
	return p
}

// intTicks marks whole numbers only, at most about ten of them, at
// steps of 1, 2 or 5 times a power of ten.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for p := 1.0; (hi-lo)/step > 10; p *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if step = m * p; (hi-lo)/step <= 10 {
				break
			}
		}
	}
	var ts []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ts
}

// fracTicks marks [0, 1] every 0.1 (labelled every 0.2).
type fracTicks struct{}

func (fracTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		if v < lo-1e-9 || v > hi+1e-9 {
			continue
		}
		t := plot.Tick{Value: v}
		if i%2 == 0 {
			t.Label = strconv.FormatFloat(v, 'f', 1, 64)
		}
		ts = append(ts, t)
	}
	return ts
}

// abbreviate shortens a label to n runes, with an ellipsis.
func abbreviate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// maxLabel is the longest tick label a class-name axis shows.
const maxLabel = 24

// Figures draws the report's figures, in page order. A figure whose data
// the report lacks is left out.
func (r *Report) Figures() ([]*Figure, error) {
	var figs []*Figure
	if len(r.History) > 0 {
		figs = append(figs, r.curve("loss", "Loss per epoch", "cross-entropy (nats)",
			func(e Epoch) float64 { return e.Loss }, func(e Epoch) *float64 { return e.ValLoss }))
		figs = append(figs, r.curve("accuracy", "Accuracy per epoch", "accuracy (fraction correct)",
			func(e Epoch) float64 { return e.Accuracy }, func(e Epoch) *float64 { return e.ValAccuracy }))
		figs = append(figs, r.learningRate())
	}
	if d := r.Data; d != nil {
		if len(d.ClassCounts) > 0 {
			figs = append(figs, classShares(d.ClassCounts))
		}
		if len(d.Lengths) > 0 {
			figs = append(figs, lengthHistogram(d.Lengths[0]))
		}
	}
	if t := r.Test; t != nil {
		figs = append(figs, perClass(t.Metrics))
		figs = append(figs, confusion(t.Metrics, false), confusion(t.Metrics, true))
		figs = append(figs, reliability(t.Calibration))
	}
	for _, f := range figs {
		if f == nil {
			return nil, fmt.Errorf("report: a figure could not be drawn")
		}
	}
	return figs, nil
}

// curve draws a training metric and its validation twin per epoch, and
// marks the epoch whose weights the model kept.
func (r *Report) curve(name, title, ylabel string, trainV func(Epoch) float64, valV func(Epoch) *float64) *Figure {
	p := newPlot(title, "epoch", ylabel)
	p.X.Tick.Marker = intTicks{}
	var tr, va plotter.XYs
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, e := range r.History {
		v := trainV(e)
		tr = append(tr, plotter.XY{X: float64(e.Epoch), Y: v})
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		if pv := valV(e); pv != nil {
			va = append(va, plotter.XY{X: float64(e.Epoch), Y: *pv})
			lo, hi = math.Min(lo, *pv), math.Max(hi, *pv)
		}
	}
	addSeries(p, "train", tr, blue, nil, draw.CircleGlyph{})
	if len(va) > 0 {
		addSeries(p, "validation", va, vermillion, []vg.Length{vg.Points(5), vg.Points(3)}, draw.TriangleGlyph{})
	}
	// Room for the legend where the curves are not: above a falling loss,
	// below a rising accuracy.
	span := math.Max(hi-lo, 1e-3)
	if name == "accuracy" {
		lo, hi = math.Max(0, lo-0.45*span), math.Min(1, hi+0.05*span)
		p.Legend.Top = false
	} else {
		lo, hi = math.Max(0, lo-0.05*span), hi+0.45*span
	}
	p.Y.Min, p.Y.Max = lo, hi
	r.markKept(p, lo, hi)
	return &Figure{Name: name, Title: title, W: 330, H: 230, plot: p, section: "training",
		Alt: fmt.Sprintf("%s of the training data (solid blue circles) and of the validation data (dashed vermillion triangles) per epoch", title)}
}

// markKept draws a dotted vertical line at the kept epoch.
func (r *Report) markKept(p *plot.Plot, lo, hi float64) {
	if r.KeptEpoch <= 0 || len(r.History) < 2 {
		return
	}
	l, err := plotter.NewLine(plotter.XYs{{X: float64(r.KeptEpoch), Y: lo}, {X: float64(r.KeptEpoch), Y: hi}})
	if err != nil {
		return
	}
	l.Color, l.Width, l.Dashes = grey, vg.Points(1.2), []vg.Length{vg.Points(1.5), vg.Points(2.5)}
	p.Add(l)
	p.Legend.Add(fmt.Sprintf("kept: epoch %d", r.KeptEpoch), l)
}

func addSeries(p *plot.Plot, name string, xys plotter.XYs, c color.Color, dashes []vg.Length, g draw.GlyphDrawer) {
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return
	}
	l.Color, l.Width, l.Dashes = c, vg.Points(1.6), dashes
	s.Color, s.Shape, s.Radius = c, g, vg.Points(2.6)
	if len(xys) > 40 {
		s.Radius = vg.Points(1.2)
	}
	p.Add(l, s)
	p.Legend.Add(name, l, s)
}

// learningRate draws the learning rate per epoch.
func (r *Report) learningRate() *Figure {
	p := newPlot("Learning rate per epoch", "epoch", "learning rate (at the epoch's last step)")
	p.X.Tick.Marker = intTicks{}
	var xys plotter.XYs
	hi := 0.0
	for _, e := range r.History {
		xys = append(xys, plotter.XY{X: float64(e.Epoch), Y: e.LearningRate})
		hi = math.Max(hi, e.LearningRate)
	}
	p.Y.Min, p.Y.Max = 0, hi*1.1
	if hi == 0 {
		p.Y.Max = 1
	}
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ts := plot.DefaultTicks{}.Ticks(lo, hi)
		for i := range ts {
			if ts[i].Label != "" {
				ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 3, 64)
			}
		}
		return ts
	})
	addSeries(p, "learning rate", xys, green, nil, draw.SquareGlyph{})
	r.markKept(p, 0, hi*1.1)
	p.Legend = plot.NewLegend() // one line: the title names it
	return &Figure{Name: "learning_rate", Title: "Learning rate per epoch", W: 330, H: 230, plot: p, section: "training",
		Alt: "the optimizer's learning rate at the last step of each epoch (the dotted line: the epoch whose weights the model holds)"}
}

// classAxis puts class names on the Y axis of a horizontal chart, the
// first class at the top, and returns the figure height that gives each
// class band rows of band points.
func classAxis(p *plot.Plot, names []string) {
	ticks := make([]plot.Tick, len(names))
	n := len(names)
	for i, name := range names {
		ticks[i] = plot.Tick{Value: float64(n - 1 - i), Label: abbreviate(name, maxLabel)}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Length, p.Y.Min, p.Y.Max = 0, -0.5, float64(n)-0.5
}

// groupedBars adds horizontal bars per class (rows of values[k][class])
// for each series k, with a legend.
func groupedBars(p *plot.Plot, series []string, values [][]float64, h vg.Length) {
	n := len(values[0])
	band := (h - 90) / vg.Length(n) // the figure's height less title, axis and legend
	w := band * 0.8 / vg.Length(len(series))
	for k, vals := range values {
		rev := make(plotter.Values, n) // the first class at the top
		for i, v := range vals {
			rev[n-1-i] = v
		}
		b, err := plotter.NewBarChart(rev, w)
		if err != nil {
			continue
		}
		b.Horizontal = true
		b.Color = seriesColors[k%len(seriesColors)]
		b.LineStyle.Width = 0
		b.Offset = w * (vg.Length(len(series)-1-k) - vg.Length(len(series)-1)/2)
		p.Add(b)
		p.Legend.Add(series[k], b)
	}
}

// classHeight is the height of a chart with a band per class.
func classHeight(classes, series int) vg.Length {
	return vg.Length(max(200, 90+classes*(6+5*series)))
}

// classShares draws each class's share of each split.
func classShares(sc []SplitCounts) *Figure {
	names := sc[0].Labels
	for _, s := range sc[1:] {
		if len(s.Labels) > len(names) {
			names = s.Labels
		}
	}
	title := "Class shares per split"
	p := newPlot(title, "share of the split's texts (%)", "")
	classAxis(p, names)
	var series []string
	var values [][]float64
	for _, s := range sc {
		v := make([]float64, len(names))
		for i, c := range s.Counts {
			v[i] = 100 * float64(c) / float64(max(s.N, 1))
		}
		series = append(series, fmt.Sprintf("%s (%d)", s.Split, s.N))
		values = append(values, v)
	}
	h := classHeight(len(names), len(series))
	groupedBars(p, series, values, h)
	top := 0.0
	for _, v := range values {
		for _, x := range v {
			top = math.Max(top, x)
		}
	}
	// The legend sits at the top right, beyond the longest bar.
	p.X.Min, p.X.Max = 0, math.Max(top*1.45, 1)
	p.X.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		for _, t := range (intTicks{}).Ticks(lo, hi) {
			if t.Value <= top*1.05 {
				ts = append(ts, t)
			}
		}
		return ts
	})
	return &Figure{Name: "class_shares", Title: title, W: 480, H: h, plot: p, section: "data",
		Alt: "horizontal bars: the percentage of each split's texts in each class"}
}

// lengthHistogram draws the distribution of text lengths with the
// sequence length.
func lengthHistogram(l Lengths) *Figure {
	title := fmt.Sprintf("Text lengths (%s)", l.Split)
	p := newPlot(title, "tokens per text (before truncation)", "texts")
	bins := make([]plotter.HistogramBin, len(l.Hist))
	hi := 0.0
	for i, b := range l.Hist {
		bins[i] = plotter.HistogramBin{Min: float64(b.Lo), Max: float64(b.Hi), Weight: float64(b.Count)}
		hi = math.Max(hi, float64(b.Count))
	}
	h := &plotter.Histogram{Bins: bins, Width: bins[0].Max - bins[0].Min, FillColor: skyBlue,
		LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}}
	p.Add(h)
	p.Legend.Add("texts", h)
	p.Y.Min, p.Y.Max = 0, math.Max(1, hi*1.1)
	p.Y.Tick.Marker = intTicks{}
	if l.SequenceLength > 0 {
		x := float64(l.SequenceLength)
		line, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: hi * 1.05}})
		if err == nil {
			line.Color, line.Width, line.Dashes = vermillion, vg.Points(2), []vg.Length{vg.Points(5), vg.Points(3)}
			p.Add(line)
			p.Legend.Add(fmt.Sprintf("sequence length %d", l.SequenceLength), line)
		}
	}
	// Room at the right for the legend.
	p.X.Min, p.X.Max = 0, math.Max(float64(l.Hist[len(l.Hist)-1].Hi), float64(l.SequenceLength))*1.3
	if last := l.Hist[len(l.Hist)-1]; l.Max >= last.Hi {
		p.X.Label.Text += fmt.Sprintf("; the last bar holds all from %d", last.Lo)
	}
	return &Figure{Name: "lengths", Title: title, W: 480, H: 250, plot: p, section: "data",
		Alt: "histogram of the number of tokens per text, with the sequence length as a dashed vertical line"}
}

// perClass draws precision, recall and F1 per class.
func perClass(m EvalMetrics) *Figure {
	title := "Precision, recall and F1 per class (test)"
	p := newPlot(title, "score", "")
	classAxis(p, m.Labels)
	vals := [][]float64{make([]float64, len(m.Labels)), make([]float64, len(m.Labels)), make([]float64, len(m.Labels))}
	for i, name := range m.Labels {
		pc := m.PerClass[name]
		vals[0][i], vals[1][i], vals[2][i] = pc.Precision, pc.Recall, pc.F1
	}
	h := classHeight(len(m.Labels), 3)
	groupedBars(p, []string{"precision", "recall", "F1"}, vals, h)
	// The legend sits at the top right, beyond the longest possible bar.
	p.X.Min, p.X.Max = 0, 1.32
	p.X.Tick.Marker = fracTicks{}
	return &Figure{Name: "per_class", Title: title, W: 480, H: h, plot: p, section: "test",
		Alt: "horizontal bars per class: precision (blue), recall (orange) and F1 (green) on the test data"}
}

// cells draws a confusion matrix: row i (true class) at the top, column
// j (predicted class) from the left, each cell coloured by value(i, j) in
// [0, 1] and labelled.
type cells struct {
	n     int
	value func(i, j int) float64
	label func(i, j int) string
	size  vg.Length // of the labels' font
}

func (c *cells) Plot(cv draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&cv)
	sty := draw.TextStyle{Font: font.From(sans, c.size), XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
	for i := range c.n {
		y := float64(c.n - 1 - i)
		for j := range c.n {
			x0, x1 := trX(float64(j)-0.5), trX(float64(j)+0.5)
			y0, y1 := trY(y-0.5), trY(y+0.5)
			v := c.value(i, j)
			cv.FillPolygon(sequential(v), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			if t := c.label(i, j); t != "" {
				sty.Color = color.Color(color.White)
				if v > 0.55 { // the light end of viridis
					sty.Color = black
				}
				cv.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, t)
			}
		}
	}
	// The diagonal, outlined: the correct predictions.
	line := draw.LineStyle{Color: color.White, Width: vg.Points(1)}
	for i := range c.n {
		y := float64(c.n - 1 - i)
		x0, x1 := trX(float64(i)-0.5), trX(float64(i)+0.5)
		y0, y1 := trY(y-0.5), trY(y+0.5)
		cv.StrokeLines(line, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
	}
}

func (c *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(c.n) - 0.5, -0.5, float64(c.n) - 0.5
}

// confusion draws the confusion matrix of m as a heat map: counts, or
// each row divided by its total (percent of the true class).
func confusion(m EvalMetrics, normalised bool) *Figure {
	n := len(m.Labels)
	conf := m.Confusion
	rowSum := make([]int, n)
	top := 1
	for i, row := range conf {
		for _, v := range row {
			rowSum[i] += v
			top = max(top, v)
		}
	}
	frac := func(i, j int) float64 {
		if rowSum[i] == 0 {
			return 0
		}
		return float64(conf[i][j]) / float64(rowSum[i])
	}
	title, name := "Confusion matrix (test, counts)", "confusion_counts"
	c := &cells{n: n}
	if normalised {
		title, name = "Confusion matrix (test, % of the true class)", "confusion_normalized"
		c.value = frac
		c.label = func(i, j int) string {
			if conf[i][j] == 0 {
				return ""
			}
			return strconv.Itoa(int(math.Round(100 * frac(i, j))))
		}
	} else {
		// A square-root scale keeps the small off-diagonal counts visible
		// beside a large diagonal.
		c.value = func(i, j int) float64 { return math.Sqrt(float64(conf[i][j]) / float64(top)) }
		c.label = func(i, j int) string {
			if conf[i][j] == 0 && n > 8 {
				return ""
			}
			return strconv.Itoa(conf[i][j])
		}
	}
	cell := vg.Length(math.Max(22, math.Min(44, 440/float64(n))))
	c.size = vg.Length(math.Min(10, float64(cell)*0.36))
	p := newPlot(title, "predicted class", "true class")
	p.Add(c)
	p.X.Tick.Label.Font, p.Y.Tick.Label.Font = font.From(sans, tickSize), font.From(sans, tickSize)
	xt := make([]plot.Tick, n)
	yt := make([]plot.Tick, n)
	longest := vg.Length(0)
	for i, l := range m.Labels {
		a := abbreviate(l, maxLabel)
		xt[i] = plot.Tick{Value: float64(i), Label: a}
		yt[i] = plot.Tick{Value: float64(n - 1 - i), Label: a}
		longest = max(longest, p.X.Tick.Label.Width(a))
	}
	if longest >= 4*cell/5 {
		// Rotated, a label's end sits on the axis line: trailing spaces
		// keep it off the cells.
		for i := range xt {
			xt[i].Label += "   "
		}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	// Invisible ticks keep the labels off the cells.
	p.X.Tick.Length, p.Y.Tick.Length = vg.Points(4), vg.Points(4)
	p.X.Tick.LineStyle.Width, p.Y.Tick.LineStyle.Width = 0, 0
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	if longest < 4*cell/5 {
		p.X.Tick.Label.Rotation = 0
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XCenter, draw.YTop
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5, -0.5, float64(n)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Width, p.Y.Width = 0, 0
	p.Legend = plot.NewLegend() // nothing to list
	side := cell * vg.Length(n)
	extraH := vg.Length(60)
	if p.X.Tick.Label.Rotation != 0 {
		extraH += longest
	}
	w := side + longest + 50
	return &Figure{Name: name, Title: title, W: max(w, 260), H: side + extraH + 20, plot: p, section: "test",
		Alt: fmt.Sprintf("heat map of the confusion matrix, rows the true class and columns the predicted one, %s", map[bool]string{false: "each cell its count (colour on a square-root scale)", true: "each cell the percentage of its row"}[normalised])}
}

// reliability draws the calibration diagram: accuracy per confidence bin
// against the diagonal of perfect calibration.
func reliability(cal Calibration) *Figure {
	title := fmt.Sprintf("Reliability diagram (test, ECE %.3f)", cal.ECE)
	p := newPlot(title, "confidence (probability of the predicted class)", "accuracy in the bin")
	var bins []plotter.HistogramBin
	var pts plotter.XYs
	for _, b := range cal.Bins {
		if b.Count == 0 {
			continue
		}
		bins = append(bins, plotter.HistogramBin{Min: b.Lo, Max: b.Hi, Weight: b.Accuracy})
		pts = append(pts, plotter.XY{X: b.Confidence, Y: b.Accuracy})
	}
	if len(bins) > 0 {
		h := &plotter.Histogram{Bins: bins, Width: bins[0].Max - bins[0].Min, FillColor: skyBlue,
			LineStyle: draw.LineStyle{Color: blue, Width: vg.Points(0.8)}}
		p.Add(h)
		p.Legend.Add("accuracy", h)
		s, err := plotter.NewScatter(pts)
		if err == nil {
			s.Shape, s.Color, s.Radius = draw.CircleGlyph{}, vermillion, vg.Points(2.6)
			p.Add(s)
			p.Legend.Add("mean confidence", s)
		}
	}
	d, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err == nil {
		d.Color, d.Width, d.Dashes = black, vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(d)
		p.Legend.Add("calibrated", d)
	}
	// The legend sits above accuracy 1, where no bar reaches.
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.22
	p.X.Tick.Marker, p.Y.Tick.Marker = fracTicks{}, fracTicks{}
	p.Legend.Top, p.Legend.Left = true, true
	return &Figure{Name: "calibration", Title: title, W: 330, H: 330, plot: p, section: "calibration",
		Alt: "reliability diagram: bars of the accuracy of the test texts in each confidence bin, the dashed diagonal where accuracy equals confidence"}
}

// inlineSVG prepares an SVG document to sit inside an HTML page: no XML
// declaration or comment, a size that scales down on a narrow screen, and
// fonts that fall back to metric-compatible ones.
func inlineSVG(b []byte, f *Figure) string {
	s := string(b)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	s = strings.Replace(s, "<svg ", fmt.Sprintf(`<svg role="img" aria-label="%s" style="max-width:100%%;height:auto" `, htmlAttr(f.Alt)), 1)
	s = strings.ReplaceAll(s, "font-family:Liberation Sans;", "font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;")
	return s
}

func htmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;").Replace(s)
}
