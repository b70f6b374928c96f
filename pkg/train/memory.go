package train

import (
	"slices"

	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// Memory is an estimate, in bytes, of what a run keeps in memory at its
// peak, by part.
type Memory struct {
	Weights     int64 // the parameters
	Gradients   int64 // one gradient of every parameter per shard (train)
	Optimizer   int64 // Adam's moments, the moving average, the best weights kept (train)
	Activations int64 // the workers' model.States: what backpropagation keeps of each step
	Data        int64 // the encoded data sets and the batch

	// The largest batch: B samples, T steps.
	B, T int
}

// Total is the sum of the parts.
func (m Memory) Total() int64 {
	return m.Weights + m.Gradients + m.Optimizer + m.Activations + m.Data
}

// MemoryFor estimates the memory of training a classifier of cfg (over
// vocab tokens and classes) with tc, layout and the encoded data sets
// (valDS may be nil; lengths nil leaves out the activations and the data:
// an estimate before the data is encoded). It follows what Fit allocates:
// the weights, a gradient per shard, Adam's two moments (and the moving
// average, and a copy of the best weights when they are restored), and
// per worker the State of the largest shard: its sequences' steps, all of
// them kept for backpropagation through time.
func MemoryFor(cfg model.Config, vocab, classes int, tc Config, layout data.Layout, trainDS, valDS *data.Dataset) Memory {
	P := 4 * model.ParamCount(cfg, vocab, classes)
	bs := tc.BatchSizeFor(SmallData) // the larger of batch_size 0's sizes
	if trainDS != nil {
		bs = min(tc.BatchSizeFor(trainDS.Len()), trainDS.Len())
	}
	bs = max(bs, 1)
	shards := numShards(bs)
	m := Memory{Weights: P, Gradients: int64(shards) * P, Optimizer: 2 * P}
	if tc.Optimizer.UseEMA {
		m.Optimizer += P
	}
	if tc.EarlyStopping.Patience > 0 && tc.EarlyStopping.RestoreBestWeights {
		m.Optimizer += P
	}
	if trainDS == nil {
		return m
	}
	m.addActivations(cfg, classes, bs, resolveThreads(tc.Threads), layout, cfg.MaskPadding, true, trainDS, valDS)
	return m
}

// InferenceMemoryFor estimates the memory of predicting or evaluating with
// a classifier of cfg in batches of batchSize (0: the evaluation default)
// on threads workers: ds's sequences, or, when ds is nil, batches of
// sequences as long as the layout lets them be (its sequence length, or
// maxLen when that is 0).
func InferenceMemoryFor(cfg model.Config, vocab, classes, batchSize, threads int, layout data.Layout, ds *data.Dataset, maxLen int) Memory {
	if batchSize <= 0 {
		batchSize = DefaultEvalBatchSize
	}
	m := Memory{Weights: 4 * model.ParamCount(cfg, vocab, classes)}
	if ds == nil {
		T := layout.SequenceLength
		if T <= 0 {
			T = maxLen
		}
		m.addShape(cfg, classes, batchSize, resolveThreads(threads), max(T, 1), false)
		m.Data = 4 * int64(batchSize) * int64(max(T, 1))
		return m
	}
	m.addActivations(cfg, classes, min(batchSize, max(ds.Len(), 1)), resolveThreads(threads), layout, cfg.MaskPadding, false, ds, nil)
	return m
}

// addActivations adds the States, batch and data of batches of bs samples
// of the data sets.
func (m *Memory) addActivations(cfg model.Config, classes, bs, threads int, layout data.Layout, masked, train bool, sets ...*data.Dataset) {
	var lens []int
	tokens := int64(0)
	for _, d := range sets {
		if d == nil {
			continue
		}
		for _, s := range d.Seqs {
			lens = append(lens, len(s))
			tokens += int64(len(s))
		}
	}
	slices.SortFunc(lens, func(a, b int) int { return b - a })
	longest := 1
	if len(lens) > 0 {
		longest = max(lens[0], 1)
	}
	T := longest
	if !masked && layout.SequenceLength > 0 {
		T = layout.SequenceLength
	}
	shardB := (bs + numShards(bs) - 1) / numShards(bs)
	rows := int64(shardB) * int64(T)
	if masked {
		// A shard holds at most the real tokens of the shardB longest
		// sequences (length bucketing puts them together).
		rows = 0
		for _, l := range lens[:min(shardB, len(lens))] {
			rows += int64(max(l, 1))
		}
	}
	workers := min(threads, MaxShards, numShards(bs))
	m.Activations = int64(workers) * model.StateBytes(cfg, classes, shardB, int(rows), train)
	m.B, m.T = bs, T
	m.Data = 4*tokens + 4*int64(bs)*int64(T)*2 // the data sets; the batch and its shards' tokens
}

// addShape adds the States of unmasked-size batches of bs samples of T
// steps (the worst case, masked or not).
func (m *Memory) addShape(cfg model.Config, classes, bs, threads, T int, train bool) {
	shardB := (bs + numShards(bs) - 1) / numShards(bs)
	workers := min(threads, MaxShards, numShards(bs))
	m.Activations = int64(workers) * model.StateBytes(cfg, classes, shardB, shardB*T, train)
	m.B, m.T = bs, T
}
