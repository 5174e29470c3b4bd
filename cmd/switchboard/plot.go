package main

import (
	"fmt"
	"image/color"
	"os"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/switchboard-cc/switchboard/pkg/dialer/sim"
)

// plotSamples is about how many samples a plot wants when --sample-every
// is not given.
const plotSamples = 300

// defaultSampleEvery picks a whole-second interval giving about plotSamples samples.
func defaultSampleEvery(d time.Duration) time.Duration {
	every := (d / plotSamples).Round(time.Second)
	return max(every, time.Second)
}

// writePlot draws occupancy, abandon rate and lines dialled over time for
// the run (and, dashed, the --compare run) as a PNG.
func writePlot(path string, o simulateOutput, abandonCap float64) error {
	if len(o.Series) == 0 {
		return fmt.Errorf("--plot: the run recorded no samples")
	}
	runs := []simulateOutput{o}
	if o.Compare != nil {
		runs = append(runs, *o.Compare)
	}
	xUnit, xLabel := 60.0, "minutes"
	if o.SimulatedSeconds > 3*3600 {
		xUnit, xLabel = 3600, "hours"
	}
	colors := []color.Color{color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}}
	every := o.Series[0].Seconds
	panel := func(title, ylabel string) *plot.Plot {
		p := plot.New()
		p.Title.Text, p.Y.Label.Text, p.X.Label.Text = title, ylabel, xLabel
		p.Add(plotter.NewGrid())
		p.Legend.Top, p.Legend.Left = true, true
		p.X.Min, p.X.Max = 0, o.SimulatedSeconds/xUnit
		return p
	}
	occ := panel(fmt.Sprintf("Occupancy (agents' busy share per %s)", secondsLabel(every)), "%")
	occ.Y.Min, occ.Y.Max = 0, 115 // room for the legend
	ab := panel("Abandon rate (abandoned / answered, so far)", "%")
	ab.Y.Min = 0
	lines := panel(fmt.Sprintf("Lines: calls up, and calls dialled per %s", secondsLabel(every)), "calls")
	lines.Y.Min = 0
	for i, r := range runs {
		name := fmt.Sprintf("%s, %d agents", r.Mode, r.Agents)
		dash := []vg.Length(nil)
		if i > 0 {
			dash = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		series := func(f func(sim.Sample) float64) plotter.XYs {
			xy := make(plotter.XYs, len(r.Series))
			for j, s := range r.Series {
				xy[j].X, xy[j].Y = s.Seconds/xUnit, f(s)
			}
			return xy
		}
		add := func(p *plot.Plot, label string, xy plotter.XYs, width vg.Length, c color.Color) error {
			l, err := plotter.NewLine(xy)
			if err != nil {
				return err
			}
			l.Color, l.Width, l.Dashes = c, width, dash
			p.Add(l)
			p.Legend.Add(label, l)
			return nil
		}
		c := colors[i%len(colors)]
		if err := add(occ, name, series(func(s sim.Sample) float64 { return 100 * s.Occupancy }), vg.Points(1.5), c); err != nil {
			return err
		}
		if err := add(ab, name, series(func(s sim.Sample) float64 { return 100 * s.AbandonRate }), vg.Points(1.5), c); err != nil {
			return err
		}
		if err := add(lines, name+": calls up", series(func(s sim.Sample) float64 { return float64(s.LiveCalls) }), vg.Points(1.5), c); err != nil {
			return err
		}
		faint := color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
		if i > 0 {
			faint = color.RGBA{R: 0xe8, G: 0xa0, B: 0xa0, A: 0xff}
		}
		if err := add(lines, name+": dialled", series(func(s sim.Sample) float64 { return float64(s.Dialled) }), vg.Points(0.8), faint); err != nil {
			return err
		}
	}
	if abandonCap > 0 {
		end := o.SimulatedSeconds / xUnit
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 100 * abandonCap}, {X: end, Y: 100 * abandonCap}})
		if err != nil {
			return err
		}
		l.Color, l.Dashes = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, []vg.Length{vg.Points(2), vg.Points(2)}
		ab.Add(l)
		ab.Legend.Add(fmt.Sprintf("cap %.1f%%", 100*abandonCap), l)
	}
	ab.Y.Max *= 1.3 // room for the legend above the cap

	img := vgimg.New(vg.Points(900), vg.Points(960))
	dc := draw.New(img)
	plots := [][]*plot.Plot{{occ}, {ab}, {lines}}
	tiles := draw.Tiles{Rows: 3, Cols: 1, PadTop: vg.Points(10), PadBottom: vg.Points(10), PadLeft: vg.Points(10), PadRight: vg.Points(20), PadY: vg.Points(20)}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("--plot %s: %w", path, err)
	}
	return f.Close()
}

func secondsLabel(s float64) string {
	return (time.Duration(s) * time.Second).String()
}
