package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's own series, all named lstmctl_*, in a registry
// of their own beside the Go runtime's and the process's.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // by handler and status code
	errors    *prometheus.CounterVec   // by reason
	latency   *prometheus.HistogramVec // by handler
	batchSize prometheus.Histogram     // texts per forward pass
	batchReqs prometheus.Histogram     // requests merged into a pass
	texts     prometheus.Counter
	modelInfo *prometheus.GaugeVec // 1 for the model being served
	loadedAt  prometheus.Gauge
	reloads   *prometheus.CounterVec // by result: ok, refused
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lstmctl_requests_total", Help: "HTTP requests answered, by handler and status code.",
		}, []string{"handler", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lstmctl_request_errors_total", Help: "Requests answered with an error, by reason.",
		}, []string{"reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lstmctl_request_duration_seconds", Help: "Time from a request's arrival to its answer, by handler.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16), // 0.5 ms .. 16 s
		}, []string{"handler"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lstmctl_batch_size", Help: "Texts per forward pass.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12), // 1 .. 2048
		}),
		batchReqs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lstmctl_batch_requests", Help: "Requests merged into one forward pass.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 .. 512
		}),
		texts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lstmctl_texts_total", Help: "Texts predicted.",
		}),
		modelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lstmctl_model_info", Help: "1 for the model being served: its file, SHA-256 and number of labels.",
		}, []string{"path", "sha256", "labels"}),
		loadedAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lstmctl_model_loaded_timestamp_seconds", Help: "When the model being served was loaded (Unix time).",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lstmctl_model_reloads_total", Help: "Model reloads (SIGHUP), by result: ok, or refused (the old model is kept).",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.requests, m.errors, m.latency, m.batchSize, m.batchReqs, m.texts,
		m.modelInfo, m.loadedAt, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("refused")
	return m
}
