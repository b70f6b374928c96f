package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lstmctl/lstmctl/pkg/model"
)

// writeSummary prints the layers and totals of a model as Keras'
// model.summary() does.
func writeSummary(w io.Writer, s model.Summary) {
	head := [3]string{"Layer (type)", "Output Shape", "Param #"}
	rows := [][3]string{}
	width := [3]int{len(head[0]), len(head[1]), len(head[2])}
	for _, l := range s.Layers {
		r := [3]string{l.Name + " (" + l.Type + ")", l.OutputShape.String(), thousands(l.Params)}
		for i := range r {
			width[i] = max(width[i], len(r[i]))
		}
		rows = append(rows, r)
	}
	line := func(r [3]string) {
		fmt.Fprintf(w, " %-*s   %-*s   %s\n", width[0], r[0], width[1], r[1], r[2])
	}
	rule := width[0] + width[1] + width[2] + 7
	fmt.Fprintln(w, strings.Repeat("_", rule))
	line(head)
	fmt.Fprintln(w, strings.Repeat("=", rule))
	for _, r := range rows {
		line(r)
	}
	fmt.Fprintln(w, strings.Repeat("=", rule))
	fmt.Fprintf(w, "Total params: %s (%s)\n", thousands(s.TotalParams), float32Size(s.TotalParams))
	fmt.Fprintf(w, "Trainable params: %s (%s)\n", thousands(s.TrainableParams), float32Size(s.TrainableParams))
	fmt.Fprintf(w, "Non-trainable params: %s (%s)\n", thousands(s.NonTrainableParams), float32Size(s.NonTrainableParams))
	fmt.Fprintln(w, strings.Repeat("_", rule))
}

// thousands writes n with commas: 1,054,854.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// float32Size is the size of n float32 values, as Keras prints it.
func float32Size(n int) string {
	b := float64(4 * n)
	for _, u := range []string{"B", "KB", "MB"} {
		if b < 1024 {
			return fmt.Sprintf("%.2f %s", b, u)
		}
		b /= 1024
	}
	return fmt.Sprintf("%.2f GB", b)
}
