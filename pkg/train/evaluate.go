package train

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/embed"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// DefaultEvalBatchSize is used by Evaluate and Predictor when the batch
// size is 0.
const DefaultEvalBatchSize = 128

// evalOptions returns the batching of Evaluate and Predictor: no
// shuffling, length bucketing on, masking as the model was configured.
func evalOptions(m *model.Classifier, layout data.Layout, batchSize int) data.BatchOptions {
	if batchSize <= 0 {
		batchSize = DefaultEvalBatchSize
	}
	return data.BatchOptions{Layout: layout, BatchSize: batchSize, Bucket: true, Masked: m.Config.MaskPadding}
}

// Evaluate computes the metrics of m on ds: the mean cross-entropy, accuracy,
// per-class precision/recall/F1/support, macro and weighted F1 and the
// confusion matrix (rows = true class, columns = predicted class).
//
// layout is the text settings' (data.TextConfig.Layout); batches of
// batchSize (0 = 128) are length-bucketed and not shuffled, masked as the
// model was configured. threads follows Config.Threads (0 = GOMAXPROCS).
// Batches are sharded by the fixed shard rule and the loss is summed per
// sample in data set order, so the result does not depend on threads.
//
// A multi-label model (sigmoid outputs) needs a data set with LabelSets; its
// metrics are MultiLabelMetricsOf at the threshold 0.5, and the loss the
// mean binary cross-entropy.
func Evaluate(m *model.Classifier, ds *data.Dataset, layout data.Layout, batchSize, threads int) (*Metrics, error) {
	return EvaluateAt(m, ds, layout, batchSize, threads, DefaultThreshold)
}

// DefaultThreshold is the probability from which a multi-label model
// predicts a label.
const DefaultThreshold = 0.5

// EvaluateAt is Evaluate with the threshold of a multi-label model (unused
// for a single-label one).
func EvaluateAt(m *model.Classifier, ds *data.Dataset, layout data.Layout, batchSize, threads int, threshold float64) (*Metrics, error) {
	return EvaluateInt8At(m, nil, ds, layout, batchSize, threads, threshold)
}

// EvaluateInt8At is EvaluateAt with the LSTM products in int8: q is
// m.QuantizeCompute() (model.Int8Compute), nil for float32.
func EvaluateInt8At(m *model.Classifier, q *model.Int8Compute, ds *data.Dataset, layout data.Layout, batchSize, threads int, threshold float64) (*Metrics, error) {
	if err := checkDataset("evaluate", ds, m, layout, true); err != nil {
		return nil, err
	}
	e := newEngine(m, threads)
	defer e.close()
	for i := range e.workers {
		e.workers[i].state.UseInt8(q)
	}
	return e.evaluate(ds, evalOptions(m, layout, batchSize), threshold), nil
}

// evaluate runs ds (already checked) through the model.
func (e *engine) evaluate(ds *data.Dataset, opt data.BatchOptions, threshold float64) *Metrics {
	N := ds.Len()
	e.sampleLoss = grow(e.sampleLoss, N)
	e.pred = grow(e.pred, N)
	if e.sigmoid {
		e.probs = grow(e.probs, N*e.C)
	}
	var b data.Batch
	for _, idx := range data.EpochBatches(ds, opt, 0) {
		ds.FillBatch(&b, idx, opt)
		e.run(&b, modeEval)
	}
	if e.sigmoid {
		met := MultiLabelMetricsOf(e.probs[:N*e.C], ds.LabelSets, e.C, threshold)
		var loss float64
		for _, l := range e.sampleLoss[:N] {
			loss += l
		}
		met.Loss = loss / float64(N)
		return met
	}
	conf := newConfusion(e.C)
	var loss float64
	for i := 0; i < N; i++ {
		loss += e.sampleLoss[i]
		conf[ds.Labels[i]][e.pred[i]]++
	}
	met := metricsFromConfusion(conf)
	met.Loss = loss / float64(N)
	return met
}

// checkDataset verifies that ds is non-empty, that every token id is in
// [0, vocab) and, when withLabels, that there is one label in [0, classes)
// per sample.
func checkDataset(what string, ds *data.Dataset, m *model.Classifier, layout data.Layout, withLabels bool) error {
	if ds == nil || ds.Len() == 0 {
		return fmt.Errorf("train: %s: %w", what, data.ErrEmpty)
	}
	if withLabels && m.Config.Sigmoid() {
		if len(ds.LabelSets) != len(ds.Seqs) {
			return fmt.Errorf("train: %s: %d label sets for %d samples (a multi-label model needs data.EncodeMultiLabel)", what, len(ds.LabelSets), len(ds.Seqs))
		}
		for i, set := range ds.LabelSets {
			for k, c := range set {
				if c < 0 || int(c) >= m.Classes || (k > 0 && c <= set[k-1]) {
					return fmt.Errorf("train: %s: sample %d has label set %v, want ascending classes in [0, %d)", what, i, set, m.Classes)
				}
			}
		}
	} else if withLabels {
		if len(ds.Labels) != len(ds.Seqs) {
			return fmt.Errorf("train: %s: %d labels for %d samples", what, len(ds.Labels), len(ds.Seqs))
		}
		for i, l := range ds.Labels {
			if l < 0 || int(l) >= m.Classes {
				return fmt.Errorf("train: %s: sample %d has label %d, the model has %d classes", what, i, l, m.Classes)
			}
		}
	}
	return checkSeqs(what, ds.Seqs, ds.Bags, m, layout)
}

// checkSeqs checks that every sequence fits the layout and every id is in
// the vocabulary, or, for a model with subwords, has a bag in bags, whose
// rows must be rows of the model's subword table.
func checkSeqs(what string, seqs [][]int32, bags *embed.Bags, m *model.Classifier, layout data.Layout) error {
	vocab := m.Vocab
	if b := m.Embedding.Buckets; b > 0 {
		if bags == nil {
			return fmt.Errorf("train: %s: the model has subwords but the data has no subword bags (encode it with data.Encoder of the model's text settings)", what)
		}
		if err := bags.Check(b); err != nil {
			return fmt.Errorf("train: %s: %w", what, err)
		}
		vocab = bags.Len()
	}
	for i, s := range seqs {
		if !layout.Fits(len(s)) {
			return fmt.Errorf("train: %s: sample %d has %d tokens, more than the sequence length %d (encode it with data.Encoder)", what, i, len(s), layout.SequenceLength)
		}
		for _, id := range s {
			if id < 0 || int(id) >= vocab {
				return fmt.Errorf("train: %s: sample %d has token id %d, the vocabulary has %d entries", what, i, id, vocab)
			}
		}
	}
	return nil
}

// Predictor computes class probabilities (softmax of the logits) for batches
// of encoded texts, reusing its buffers and goroutines between calls. It is
// not safe for concurrent use; Close releases its goroutines.
type Predictor struct {
	fold  *model.Folded // nil: unfolded
	e     *engine
	opt   data.BatchOptions
	ds    data.Dataset
	order []int
	batch data.Batch
}

// NewPredictor returns a Predictor for m with the layout of its text
// settings, batches of batchSize (0 = 128) and threads goroutines (0 =
// GOMAXPROCS).
//
// It folds the first LSTM layer's input projection into a table of one row
// per token (model.Classifier.Fold), computed as tokens first appear, which
// gives the same probabilities, bit for bit, faster; so m's weights must
// not change while the Predictor is in use. A vocabulary too large for the
// table (model.MaxFoldedFloats) runs unfolded.
func NewPredictor(m *model.Classifier, layout data.Layout, batchSize, threads int) *Predictor {
	e := newEngine(m, threads)
	f, err := m.Fold()
	if err != nil {
		f = nil
	}
	for i := range e.workers {
		e.workers[i].state.UseFolded(f)
	}
	return &Predictor{e: e, opt: evalOptions(m, layout, batchSize), fold: f}
}

// UseInt8 makes the Predictor compute the LSTM products in int8 with q,
// from m.QuantizeCompute() (see model.Int8Compute); nil goes back to
// float32. The probabilities change (slightly): the first layer's table
// and the rest stay float32.
func (p *Predictor) UseInt8(q *model.Int8Compute) {
	for i := range p.e.workers {
		p.e.workers[i].state.UseInt8(q)
	}
}

// Classes returns the number of probabilities per text.
func (p *Predictor) Classes() int { return p.e.C }

// Predict returns the probabilities of every class for every sequence:
// [len(seqs)*C], row i for seqs[i], in input order. Sequences may be empty
// and need not be sorted (they are grouped by length internally). The slice
// belongs to the Predictor and is overwritten by the next call.
func (p *Predictor) Predict(seqs [][]int32) ([]float32, error) {
	return p.PredictBags(seqs, nil)
}

// PredictBags is Predict for a model with subwords: bags are the subword
// bags of the ids of seqs (data.Forms.Bags); nil without subwords.
func (p *Predictor) PredictBags(seqs [][]int32, bags *embed.Bags) ([]float32, error) {
	N, C := len(seqs), p.e.C
	p.e.probs = grow(p.e.probs, N*C)
	if N == 0 {
		return p.e.probs, nil
	}
	if err := checkSeqs("predict", seqs, bags, p.e.m, p.opt.Layout); err != nil {
		return nil, err
	}
	if p.fold != nil && bags == nil {
		for _, s := range seqs {
			p.fold.Prepare(s)
		}
	}
	p.ds = data.Dataset{Seqs: seqs, Bags: bags}
	p.order = grow(p.order, N)
	for i := range p.order {
		p.order[i] = i
	}
	slices.SortStableFunc(p.order, func(a, b int) int { return cmp.Compare(len(seqs[b]), len(seqs[a])) })
	bs := p.opt.BatchSize
	for lo := 0; lo < N; lo += bs {
		p.ds.FillBatch(&p.batch, p.order[lo:min(lo+bs, N)], p.opt)
		p.e.run(&p.batch, modePredict)
	}
	p.ds = data.Dataset{}
	return p.e.probs, nil
}

// Close stops the Predictor's goroutines.
func (p *Predictor) Close() { p.e.close() }

// PredictProba is a one-shot Predict: probabilities [len(seqs)*C] of m.
func PredictProba(m *model.Classifier, seqs [][]int32, layout data.Layout, batchSize, threads int) ([]float32, error) {
	p := NewPredictor(m, layout, batchSize, threads)
	defer p.Close()
	probs, err := p.Predict(seqs)
	if err != nil {
		return nil, err
	}
	return slices.Clone(probs), nil
}
