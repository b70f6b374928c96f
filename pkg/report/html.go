package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"f3":  func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) },
	"f4":  func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) },
	"pct": func(x float64) string { return strconv.FormatFloat(100*x, 'f', 1, 64) + "%" },
	"lr":  func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) },
	"int": thousands,
	"i64": func(n int64) string { return thousands(int(n)) },
	"dur": func(s float64) string {
		return (time.Duration(s * float64(time.Second))).Round(100 * time.Millisecond).String()
	},
	"opt": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return strconv.FormatFloat(*p, 'f', 4, 64)
	},
	"share": func(n, of int) string {
		if of == 0 {
			return "–"
		}
		return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + "%"
	},
	"add":   func(a, b int) int { return a + b },
	"base":  filepath.Base,
	"deref": func(p *float64) float64 { return *p },
}).Parse(pageTemplate))

// thousands writes n with commas: 1,054,854.
func thousands(n int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// pageData is what the template fills the page with.
type pageData struct {
	*Report
	Title      string
	Figures    map[string]template.HTML // by Figure.Name: inline SVG
	Alt        map[string]string
	JSON       template.JS
	ConfigText string // the effective configuration, indented JSON
}

// WriteHTML writes the report as one HTML page: inline SVG figures,
// tables, and the report's JSON in <script type="application/json"
// id="report-data">.
func (r *Report) WriteHTML(w io.Writer, title string) error {
	figs, err := r.Figures()
	if err != nil {
		return err
	}
	d := pageData{Report: r, Title: title, Figures: map[string]template.HTML{}, Alt: map[string]string{}}
	for _, f := range figs {
		b, err := f.SVG()
		if err != nil {
			return err
		}
		// The SVG is drawn here; every text in it was escaped by vgsvg.
		d.Figures[f.Name] = template.HTML(inlineSVG(b, f))
		d.Alt[f.Name] = f.Alt
	}
	js, err := r.JSON()
	if err != nil {
		return err
	}
	// encoding/json escapes <, > and &, so the block cannot end early.
	d.JSON = template.JS(js)
	if r.Config != nil {
		b, _ := jsonIndent(r.Config)
		d.ConfigText = string(b)
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, d); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// WritePlots writes every figure as NAME.svg and NAME.png into dir,
// which it creates, and returns the paths written.
func (r *Report) WritePlots(dir string) ([]string, error) {
	figs, err := r.Figures()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: plots: %w", err)
	}
	var paths []string
	for _, f := range figs {
		for _, kind := range []string{"svg", "png"} {
			var b []byte
			if kind == "svg" {
				b, err = f.SVG()
			} else {
				b, err = f.PNG()
			}
			if err != nil {
				return paths, err
			}
			p := filepath.Join(dir, f.Name+"."+kind)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return paths, fmt.Errorf("report: plots: %w", err)
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// Names of the page's sections, as their element ids.
var Sections = []string{"run", "data", "training", "test", "calibration"}
