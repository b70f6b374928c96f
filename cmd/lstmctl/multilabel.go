package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/lstmctl/lstmctl/pkg/report"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// gateMetric is a metric eval's quality gate can watch (--fail-metric).
type gateMetric struct {
	name  string
	lower bool // lower is better: the gate fails above the value
	multi bool // multi-label models only
	value func(*train.Metrics) float64
}

// gateMetrics are the metrics --fail-metric accepts, in the order of the
// help text.
var gateMetrics = []gateMetric{
	{name: "accuracy", value: func(m *train.Metrics) float64 { return m.Accuracy }},
	{name: "macro_f1", value: func(m *train.Metrics) float64 { return m.MacroF1 }},
	{name: "weighted_f1", value: func(m *train.Metrics) float64 { return m.WeightedF1 }},
	{name: "loss", lower: true, value: func(m *train.Metrics) float64 { return m.Loss }},
	{name: "micro_f1", multi: true, value: func(m *train.Metrics) float64 { return m.MultiLabel.MicroF1 }},
	{name: "micro_precision", multi: true, value: func(m *train.Metrics) float64 { return m.MultiLabel.MicroPrecision }},
	{name: "micro_recall", multi: true, value: func(m *train.Metrics) float64 { return m.MultiLabel.MicroRecall }},
	{name: "macro_precision", multi: true, value: func(m *train.Metrics) float64 { return m.MultiLabel.MacroPrecision }},
	{name: "macro_recall", multi: true, value: func(m *train.Metrics) float64 { return m.MultiLabel.MacroRecall }},
	{name: "subset_accuracy", multi: true, value: func(m *train.Metrics) float64 { return m.MultiLabel.SubsetAccuracy }},
	{name: "hamming_loss", lower: true, multi: true, value: func(m *train.Metrics) float64 { return m.MultiLabel.HammingLoss }},
	atKGate("precision", 1), atKGate("recall", 1),
	atKGate("precision", 3), atKGate("recall", 3),
	atKGate("precision", 5), atKGate("recall", 5),
}

// atKGate is the gate metric precision_at_K or recall_at_K (0 when the
// model has fewer than K labels).
func atKGate(what string, k int) gateMetric {
	return gateMetric{name: fmt.Sprintf("%s_at_%d", what, k), multi: true, value: func(m *train.Metrics) float64 {
		for _, a := range m.MultiLabel.AtK {
			if a.K == k {
				if what == "precision" {
					return a.Precision
				}
				return a.Recall
			}
		}
		return 0
	}}
}

// findGateMetric returns the gate metric called name.
func findGateMetric(name string) (gateMetric, bool) {
	i := slices.IndexFunc(gateMetrics, func(g gateMetric) bool { return g.name == name })
	if i < 0 {
		return gateMetric{}, false
	}
	return gateMetrics[i], true
}

// gateMetricNames lists the names of the gate metrics.
func gateMetricNames() string {
	names := make([]string, len(gateMetrics))
	for i, g := range gateMetrics {
		names[i] = g.name
	}
	return strings.Join(names, ", ")
}

// check applies the gate at limit to met: an error wrapping
// errQualityGate when the metric is on the wrong side of it.
func (g gateMetric) check(met *train.Metrics, limit float64) error {
	v := g.value(met)
	if g.lower && v > limit {
		return fmt.Errorf("%w: %s %.4f is above --fail-under %.4f (lower is better)", errQualityGate, g.name, v, limit)
	}
	if !g.lower && v < limit {
		return fmt.Errorf("%w: %s %.4f is below --fail-under %.4f", errQualityGate, g.name, v, limit)
	}
	return nil
}

// multiLabelJSON is eval --format json of a multi-label model.
type multiLabelJSON struct {
	N              int                            `json:"n"`
	MultiLabel     bool                           `json:"multi_label"`
	Threshold      float64                        `json:"threshold"`
	Accuracy       float64                        `json:"accuracy"`
	SubsetAccuracy float64                        `json:"subset_accuracy"`
	HammingLoss    float64                        `json:"hamming_loss"`
	Loss           float64                        `json:"loss"`
	MicroPrecision float64                        `json:"micro_precision"`
	MicroRecall    float64                        `json:"micro_recall"`
	MicroF1        float64                        `json:"micro_f1"`
	MacroPrecision float64                        `json:"macro_precision"`
	MacroRecall    float64                        `json:"macro_recall"`
	MacroF1        float64                        `json:"macro_f1"`
	WeightedF1     float64                        `json:"weighted_f1"`
	PrecisionAt1   *float64                       `json:"precision_at_1,omitempty"`
	RecallAt1      *float64                       `json:"recall_at_1,omitempty"`
	PrecisionAt3   *float64                       `json:"precision_at_3,omitempty"`
	RecallAt3      *float64                       `json:"recall_at_3,omitempty"`
	PrecisionAt5   *float64                       `json:"precision_at_5,omitempty"`
	RecallAt5      *float64                       `json:"recall_at_5,omitempty"`
	Labels         []string                       `json:"labels"`
	PerClass       map[string]report.ClassMetrics `json:"per_class"`
}

func writeMultiLabelJSON(w io.Writer, m *train.Metrics, labels []string) error {
	ml := m.MultiLabel
	out := multiLabelJSON{
		N: m.N, MultiLabel: true, Threshold: ml.Threshold, Accuracy: m.Accuracy, SubsetAccuracy: ml.SubsetAccuracy,
		HammingLoss: ml.HammingLoss, Loss: m.Loss, MicroPrecision: ml.MicroPrecision, MicroRecall: ml.MicroRecall,
		MicroF1: ml.MicroF1, MacroPrecision: ml.MacroPrecision, MacroRecall: ml.MacroRecall, MacroF1: m.MacroF1,
		WeightedF1: m.WeightedF1, Labels: labels, PerClass: map[string]report.ClassMetrics{},
	}
	for _, a := range ml.AtK {
		p, r := a.Precision, a.Recall
		switch a.K {
		case 1:
			out.PrecisionAt1, out.RecallAt1 = &p, &r
		case 3:
			out.PrecisionAt3, out.RecallAt3 = &p, &r
		case 5:
			out.PrecisionAt5, out.RecallAt5 = &p, &r
		}
	}
	for i, name := range labels {
		pc := m.PerClass[i]
		out.PerClass[name] = report.ClassMetrics{Precision: pc.Precision, Recall: pc.Recall, F1: pc.F1, Support: pc.Support}
	}
	return json.NewEncoder(w).Encode(out)
}

func writeMultiLabelText(w io.Writer, m *train.Metrics, labels []string) error {
	ml := m.MultiLabel
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "n\t%d\nmulti-label, threshold\t%g\nsubset_accuracy\t%.4f\nhamming_loss\t%.4f\nloss\t%.4f\n", m.N, ml.Threshold, ml.SubsetAccuracy, ml.HammingLoss, m.Loss)
	fmt.Fprintf(tw, "micro_precision\t%.4f\nmicro_recall\t%.4f\nmicro_f1\t%.4f\n", ml.MicroPrecision, ml.MicroRecall, ml.MicroF1)
	fmt.Fprintf(tw, "macro_precision\t%.4f\nmacro_recall\t%.4f\nmacro_f1\t%.4f\nweighted_f1\t%.4f\n", ml.MacroPrecision, ml.MacroRecall, m.MacroF1, m.WeightedF1)
	for _, a := range ml.AtK {
		fmt.Fprintf(tw, "precision_at_%d\t%.4f\nrecall_at_%d\t%.4f\n", a.K, a.Precision, a.K, a.Recall)
	}
	fmt.Fprintf(tw, "\nlabel\tprecision\trecall\tf1\tsupport\n")
	for i, name := range labels {
		pc := m.PerClass[i]
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%d\n", name, pc.Precision, pc.Recall, pc.F1, pc.Support)
	}
	return tw.Flush()
}
