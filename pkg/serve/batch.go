package serve

import (
	"context"
	"slices"
	"time"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// job is one request's texts on their way through the batcher.
type job struct {
	ctx   context.Context
	texts []string
	done  chan result // buffered: the batcher never blocks on it
}

// result is a job's probabilities, one row per text, and the model that
// computed them.
type result struct {
	probs [][]float32
	model *loaded
	err   error
}

// collect gathers the probabilities of a forward pass (pipeline.Sink).
type collect struct{ rows [][]float32 }

func (c *collect) Put(p []float32) error { c.rows = append(c.rows, slices.Clone(p)); return nil }
func (c *collect) Flush() error          { return nil }

// batcher runs the jobs of s.jobs until s.stop is closed, merging into one
// forward pass (up to MaxBatch texts) those queued and those of requests
// in flight that arrive within the batch window. It owns the Predictor of the model being served and makes
// a new one when a reload has swapped the model.
func (s *Server) batcher() {
	defer close(s.stopped)
	var (
		cur  *loaded
		pred *pipeline.Predictor
		out  collect
		all  []string
	)
	defer func() {
		if pred != nil {
			pred.Close()
		}
	}()
	for {
		var batch []*job
		select {
		case j := <-s.jobs:
			batch = append(batch, j)
		case <-s.stop:
			return
		}
		n := len(batch[0].texts)
		// Take what is queued; then wait, up to the window, only while
		// other requests are in flight (being read or queued): a lone
		// request runs at once.
		var timer *time.Timer
	gather:
		for n < s.opts.MaxBatch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
				n += len(j.texts)
				continue
			default:
			}
			if s.opts.BatchWindow <= 0 || int64(len(batch)) >= s.inflight.Load() {
				break
			}
			if timer == nil {
				timer = time.NewTimer(s.opts.BatchWindow)
			}
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
				n += len(j.texts)
			case <-timer.C:
				break gather
			case <-s.idle:
				// a request in flight ended without a job: look again
			}
		}
		if timer != nil {
			timer.Stop()
		}
		// Requests that gave up while waiting are not run.
		live := batch[:0]
		all = all[:0]
		for _, j := range batch {
			if err := j.ctx.Err(); err != nil {
				j.done <- result{err: err}
				continue
			}
			live = append(live, j)
			all = append(all, j.texts...)
		}
		if len(live) == 0 {
			continue
		}
		if m := s.model.Load(); m != cur {
			if pred != nil {
				pred.Close()
			}
			cur, pred = m, m.model.NewPredictor()
		}
		out.rows = out.rows[:0]
		err := pred.PredictTexts(context.Background(), all, &out)
		s.met.batchSize.Observe(float64(len(all)))
		s.met.batchReqs.Observe(float64(len(live)))
		rows := out.rows
		for _, j := range live {
			if err != nil {
				j.done <- result{err: err}
				continue
			}
			j.done <- result{probs: rows[:len(j.texts):len(j.texts)], model: cur}
			rows = rows[len(j.texts):]
		}
		out.rows = nil // the rows now belong to the jobs
	}
}
