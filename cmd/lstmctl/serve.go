package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
	"github.com/lstmctl/lstmctl/pkg/serve"
)

type serveOptions struct {
	IO           *IOStreams
	ConfigFile   string
	Set          map[string]any
	Model        string
	Addr         string
	Serve        serve.Options
	DrainTimeout time.Duration
	Int8         bool // --int8-compute
}

func newServeCmd(f *factory, g *globalOptions, runF func(context.Context, *serveOptions) error) *cobra.Command {
	opts := &serveOptions{IO: f.IO, Serve: serve.DefaultOptions()}
	c := &cobra.Command{
		Use:   "serve --model MODEL [--addr HOST:PORT]",
		Short: "Answer predictions over HTTP",
		Long: `Serve answers predictions over HTTP with JSON (see docs/serving.md):

  POST /v1/predict  {"texts": ["...", ...], "top_k": 2}
                    -> {"predictions": [<a line of predict --format jsonl>, ...]}
                    with Content-Type application/x-ndjson: one {"text": ..., "id": ...}
                    per line in, one prediction per line out (?top_k=K)
  GET  /healthz     the model served
  GET  /metrics     Prometheus metrics (lstmctl_*)

Texts are cut to the model's sequence length as predict cuts its lines, and
get the same probabilities. Concurrent requests are run in one forward
pass (waiting up to --batch-window for those still being read). A bad request gets a 400 (413 when over a limit)
with {"error": "..."}.

The address bound is printed on stderr ("listening on http://..."); port 0
picks a free one. SIGTERM or Ctrl-C stops accepting connections, answers
the requests in flight and exits 0. SIGHUP reloads the model file; a file
that cannot be loaded is refused (logged, counted in
lstmctl_model_reloads_total) and the old model goes on serving.`,
		Example: `  lstmctl serve --model model.safetensors --addr 127.0.0.1:8080
  curl -s localhost:8080/v1/predict -d '{"texts": ["what is the capital of peru"], "top_k": 2}'`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			opts.ConfigFile = g.ConfigFile
			opts.Set = changedSettings(c, globalBindings)
			if err := opts.check(); err != nil {
				return &usageError{err: err, cmd: c.CommandPath()}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runServe(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Model, "model", "model.safetensors", "model `file`")
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "address to listen on (`host:port`; port 0 picks one)")
	fl.DurationVar(&opts.Serve.BatchWindow, "batch-window", opts.Serve.BatchWindow, "longest wait for requests being read to join a forward pass (0: none)")
	fl.IntVar(&opts.Serve.MaxBatch, "max-batch", opts.Serve.MaxBatch, "texts that end the batch window early")
	fl.Int64Var(&opts.Serve.MaxBodyBytes, "max-body", opts.Serve.MaxBodyBytes, "largest request body in `bytes` (413 beyond)")
	fl.IntVar(&opts.Serve.MaxTexts, "max-texts", opts.Serve.MaxTexts, "most texts in one request (413 beyond)")
	fl.DurationVar(&opts.Serve.RequestTimeout, "timeout", opts.Serve.RequestTimeout, "longest time to answer a request (503 beyond)")
	fl.DurationVar(&opts.DrainTimeout, "drain-timeout", 30*time.Second, "longest wait for the requests in flight on SIGTERM")
	addInt8Flag(fl, &opts.Int8)
	return c
}

// check validates the options that need no model.
func (o *serveOptions) check() error {
	switch {
	case o.Serve.BatchWindow < 0:
		return fmt.Errorf("serve: --batch-window must be 0 or more, got %s", o.Serve.BatchWindow)
	case o.Serve.MaxBatch < 1:
		return fmt.Errorf("serve: --max-batch must be at least 1, got %d", o.Serve.MaxBatch)
	case o.Serve.MaxBodyBytes < 1:
		return fmt.Errorf("serve: --max-body must be at least 1, got %d", o.Serve.MaxBodyBytes)
	case o.Serve.MaxTexts < 1:
		return fmt.Errorf("serve: --max-texts must be at least 1, got %d", o.Serve.MaxTexts)
	case o.Serve.RequestTimeout <= 0:
		return fmt.Errorf("serve: --timeout must be positive, got %s", o.Serve.RequestTimeout)
	case o.DrainTimeout <= 0:
		return fmt.Errorf("serve: --drain-timeout must be positive, got %s", o.DrainTimeout)
	}
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		return fmt.Errorf("serve: --addr %q: %v (want host:port, e.g. 127.0.0.1:8080)", o.Addr, err)
	}
	return nil
}

func runServe(ctx context.Context, opts *serveOptions) error {
	ios := opts.IO
	log := slog.New(slog.NewTextHandler(ios.ErrOut, nil))
	so := opts.Serve
	so.Log = log
	if so.BatchWindow == 0 {
		so.BatchWindow = -1 // the flag's 0 is no window; the package's is its default
	}
	so.Open = func(path string) (*pipeline.Model, error) {
		m, err := openModel(ios, path, opts.ConfigFile, opts.Set)
		if err == nil && opts.Int8 {
			useInt8(ios, m)
		}
		return m, err
	}
	s, err := serve.New(opts.Model, so)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       so.RequestTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(ios.ErrOut, "lstmctl serve: listening on http://%s\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			s.Reload() // logged and counted; a refused file keeps the old model
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
			log.Info("shutting down: answering the requests in flight", "timeout", opts.DrainTimeout)
			dctx, cancel := context.WithTimeout(context.Background(), opts.DrainTimeout)
			defer cancel()
			if err := srv.Shutdown(dctx); err != nil {
				srv.Close()
				return fmt.Errorf("serve: requests still in flight after --drain-timeout %s: %w", opts.DrainTimeout, err)
			}
			if err := <-served; !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve: %w", err)
			}
			log.Info("stopped")
			return nil
		}
	}
}
