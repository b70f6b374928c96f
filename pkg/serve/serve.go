package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// Options are the server's limits and batching. The zero value of a field
// takes its default (DefaultOptions).
type Options struct {
	// BatchWindow is the longest the batcher waits for the requests in
	// flight (being read) to join a forward pass; it does not wait when
	// none is, and takes the requests already queued in any case.
	// Negative: no wait.
	BatchWindow time.Duration
	// MaxBatch ends the wait early once this many texts are gathered (one
	// request larger than it runs alone, in chunks).
	MaxBatch int
	// MaxBodyBytes bounds a request's body (413 beyond it).
	MaxBodyBytes int64
	// MaxTexts bounds the texts of one request (413 beyond it).
	MaxTexts int
	// RequestTimeout bounds a request from its arrival to its answer (503
	// beyond it).
	RequestTimeout time.Duration
	// Open loads a model file; pipeline.Open when nil. The command passes
	// one that also applies the configuration and flags.
	Open func(path string) (*pipeline.Model, error)
	// Log gets the server's messages (reloads, failures); none when nil.
	Log *slog.Logger
}

// DefaultOptions returns the defaults of the command's flags.
func DefaultOptions() Options {
	return Options{
		BatchWindow:    2 * time.Millisecond,
		MaxBatch:       256,
		MaxBodyBytes:   4 << 20,
		MaxTexts:       4096,
		RequestTimeout: 30 * time.Second,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.BatchWindow == 0 {
		o.BatchWindow = d.BatchWindow
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = d.MaxBatch
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = d.MaxBodyBytes
	}
	if o.MaxTexts <= 0 {
		o.MaxTexts = d.MaxTexts
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = d.RequestTimeout
	}
	if o.Open == nil {
		o.Open = pipeline.Open
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// loaded is a model being served and what identifies it.
type loaded struct {
	model  *pipeline.Model
	labels []string
	path   string
	sha256 string
	at     time.Time
}

// Server answers predictions with one model at a time. Handler serves
// it; Reload swaps the model; Close stops the batcher once the HTTP
// server is shut down.
type Server struct {
	opts     Options
	path     string
	model    atomic.Pointer[loaded]
	met      *metrics
	jobs     chan *job
	inflight atomic.Int64  // predict requests being read, queued or run, not yet answered
	idle     chan struct{} // a request left the in-flight count
	stop     chan struct{}
	stopped  chan struct{}
	reloadMu sync.Mutex
	closed   sync.Once
}

// New loads the model file at path and starts the batcher.
func New(path string, opts Options) (*Server, error) {
	s := &Server{
		opts:    opts.withDefaults(),
		path:    path,
		met:     newMetrics(),
		jobs:    make(chan *job, 1024),
		idle:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	l, err := s.load()
	if err != nil {
		return nil, err
	}
	s.install(l, nil)
	go s.batcher()
	return s, nil
}

// load opens the model file and hashes it.
func (s *Server) load() (*loaded, error) {
	sum, err := fileSHA256(s.path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := s.opts.Open(s.path)
	if err != nil {
		return nil, err
	}
	return &loaded{model: m, labels: m.Labels.Names(), path: s.path, sha256: sum, at: time.Now()}, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// install makes l the model served (old is the one it replaces, or nil).
func (s *Server) install(l, old *loaded) {
	s.model.Store(l)
	if old != nil {
		s.met.modelInfo.DeleteLabelValues(old.path, old.sha256, strconv.Itoa(len(old.labels)))
	}
	s.met.modelInfo.WithLabelValues(l.path, l.sha256, strconv.Itoa(len(l.labels))).Set(1)
	s.met.loadedAt.Set(float64(l.at.UnixNano()) / 1e9)
}

// Reload reads the model file again and serves it from the next forward
// pass on. A file that cannot be opened is refused: the error is logged
// and counted (lstmctl_model_reloads_total{result="refused"}), and the
// old model goes on serving.
func (s *Server) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	l, err := s.load()
	if err != nil {
		s.met.reloads.WithLabelValues("refused").Inc()
		old := s.model.Load()
		s.opts.Log.Error("reload refused, still serving the old model", "path", s.path, "sha256", old.sha256, "err", err)
		return err
	}
	old := s.model.Load()
	s.install(l, old)
	s.met.reloads.WithLabelValues("ok").Inc()
	s.opts.Log.Info("model reloaded", "path", s.path, "sha256", l.sha256, "labels", len(l.labels))
	return nil
}

// ErrClosed is a request that came after Close.
var ErrClosed = errors.New("server closed")

// Close stops the batcher. Call it after the HTTP server has shut down
// (http.Server.Shutdown waits for the requests in flight).
func (s *Server) Close() {
	s.closed.Do(func() {
		close(s.stop)
		<-s.stopped
	})
}
