package bench

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// stageColors are the bar colours of the stages, in Stages order.
var stageColors = []color.Color{
	color.RGBA{0x6b, 0x6b, 0x6b, 0xff}, // mysql --quick: grey (the limit)
	color.RGBA{0xa8, 0xa8, 0xa8, 0xff}, // driver scan: light grey
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // source: blue
	color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // destination: orange
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // pipe: green
	color.RGBA{0x9e, 0xda, 0x9e, 0xff}, // socket ×1: light green
	color.RGBA{0x5c, 0xb8, 0x5c, 0xff}, // socket ×2
	color.RGBA{0x17, 0x6b, 0x17, 0xff}, // socket ×4: dark green
}

// WriteChart draws rows/s per stage, one panel per table (each with its own
// scale, since a narrow row and a 1 KB text row differ tenfold), as a PNG.
func WriteChart(w io.Writer, res *Result) error {
	ss := Summarize(res.Measurements, res.Tables)
	var panels []*plot.Plot
	for _, t := range res.Tables {
		p, err := tablePanel(res, ss, t)
		if err != nil {
			return err
		}
		if p != nil {
			panels = append(panels, p)
		}
	}
	if len(panels) == 0 {
		return fmt.Errorf("nothing to chart")
	}
	cols := min(3, len(panels))
	rows := (len(panels) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range panels {
		grid[i/cols][i%cols] = p
	}
	width, height := vg.Length(cols)*4.2*vg.Inch, vg.Length(rows)*3.4*vg.Inch+0.5*vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(110))
	dc := draw.New(img)
	// White background and a title line.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	title := fmt.Sprintf("rows/s per table and stage — %s, %d rows/table, median of %d (%s)",
		res.Machine.Kind(), res.Opts.Rows, res.Opts.Reps, res.Started.UTC().Format("2006-01-02"))
	font := plot.DefaultFont
	font.Size = 13
	face := plot.DefaultTextHandler
	sty := draw.TextStyle{Color: color.Black, Font: font, XAlign: draw.XCenter, YAlign: draw.YTop, Handler: face}
	sty.Font = font
	dc.FillText(sty, vg.Point{X: width / 2, Y: height - 0.12*vg.Inch}, title)
	body := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: dc.Min, Max: vg.Point{X: dc.Max.X, Y: dc.Max.Y - 0.45*vg.Inch}}}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 0.15 * vg.Inch, PadY: 0.15 * vg.Inch, PadTop: 0.05 * vg.Inch,
		PadBottom: 0.05 * vg.Inch, PadLeft: 0.05 * vg.Inch, PadRight: 0.15 * vg.Inch}
	canvases := plot.Align(grid, tiles, body)
	for i := range grid {
		for j := range grid[i] {
			if grid[i][j] != nil {
				grid[i][j].Draw(canvases[i][j])
			}
		}
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

func tablePanel(res *Result, ss []Summary, t TableInfo) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = displayTable(res, t.Name)
	p.Y.Label.Text = "rows/s"
	p.Y.Min = 0
	p.Y.Tick.Marker = rateTicks{}
	var names []string
	top := 0.0
	k := 0
	for si, st := range Stages {
		s := Find(ss, t.Name, st)
		if s == nil {
			continue
		}
		v := s.RowsPerSec
		bc, err := plotter.NewBarChart(plotter.Values{v}, vg.Points(34))
		if err != nil {
			return nil, err
		}
		bc.XMin = float64(k)
		bc.Color = stageColors[si]
		bc.LineStyle.Width = 0
		p.Add(bc)
		label := fmtRate(v)
		if s.Runs == s.Failed {
			label = "failed"
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: float64(k), Y: v}}, Labels: []string{label}})
		if err != nil {
			return nil, err
		}
		lb.TextStyle[0].XAlign = draw.XCenter
		lb.TextStyle[0].YAlign = draw.YBottom
		lb.Offset = vg.Point{Y: 2}
		p.Add(lb)
		top = max(top, v)
		name := string(st)
		if st == StageMySQL {
			name = "mysql"
		}
		names = append(names, name)
		k++
	}
	if k == 0 {
		return nil, nil
	}
	p.NominalX(names...)
	p.X.Tick.Label.Font.Size = 9
	p.Y.Max = top * 1.15
	if p.Y.Max == 0 {
		p.Y.Max = 1
	}
	return p, nil
}

// rateTicks labels the rows/s axis with k and M suffixes.
type rateTicks struct{}

func (rateTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmtRate(ts[i].Value)
		}
	}
	return ts
}
