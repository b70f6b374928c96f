// Package report draws what a training run and a test set say about a
// model as one self-contained HTML page: inline SVG figures drawn with
// gonum.org/v1/plot, tables, and the numbers behind them in a JSON block
// (<script type="application/json" id="report-data">), readable without
// a network or JavaScript. The same figures can be written as PNG and SVG
// files (WritePlots).
//
// Build gathers a Report from an Input: a model and its test examples
// (metrics, per-class scores, confusion matrix, most confused pairs,
// misclassified texts, calibration), the training and validation
// examples where they are known (class counts, text lengths against the
// sequence length, vocabulary coverage), and a history (the curves per
// epoch). Any part may be missing: a history alone gives the curves.
//
// The confusion matrix has rows for the true class and columns for the
// predicted one, in the model's label order, as EvalMetrics (the JSON of
// lstmctl eval --format json) holds it.
package report
