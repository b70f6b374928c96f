// Package serve answers predictions over HTTP: JSON or JSON lines in, the
// objects of predict --format jsonl out (pipeline.Prediction), with
// Prometheus metrics, a health check and a model that can be reloaded
// while serving.
//
// Requests that arrive within a short window are merged into one forward
// pass by a single goroutine, the batcher, which owns the model's
// pipeline.Predictor (a Predictor is not safe for concurrent use). A
// reload swaps the model between two passes: a request is answered
// wholly by the old model or wholly by the new one.
package serve
