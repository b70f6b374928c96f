package data

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// PCG streams: each use of a seed draws from its own stream.
const (
	streamSplit = 0x5851F42D4C957F2D
	streamEpoch = 0x9E3779B97F4A7C15
)

// bucketWindow is the number of batches whose samples are sorted together
// by length when bucketing.
const bucketWindow = 50

// Subset returns the samples idx of d, in that order. Sequences are shared,
// not copied.
func (d *Dataset) Subset(idx []int) *Dataset {
	s := &Dataset{Seqs: make([][]int32, len(idx)), Bags: d.Bags}
	if d.Labels != nil {
		s.Labels = make([]int32, len(idx))
	}
	if d.LabelSets != nil {
		s.LabelSets = make([][]int32, len(idx))
	}
	for j, i := range idx {
		s.Seqs[j] = d.Seqs[i]
		if d.Labels != nil {
			s.Labels[j] = d.Labels[i]
		}
		if d.LabelSets != nil {
			s.LabelSets[j] = d.LabelSets[i]
		}
	}
	return s
}

// Layout is how the text settings place an encoded sequence in a batch.
// The Encoder has already cut every sequence to SequenceLength (the one
// place where text.truncate applies); a Layout only pads.
type Layout struct {
	// SequenceLength is text.sequence_length: the T of unmasked batches
	// (0: the longest sequence of the batch) and the longest sequence a
	// batch accepts.
	SequenceLength int
	PadPre         bool // text.pad == "pre" (unmasked batches only)
}

// Layout returns the batch layout of the text settings.
func (c TextConfig) Layout() Layout {
	return Layout{SequenceLength: c.SequenceLength, PadPre: c.Pad == SidePre}
}

// Fits reports whether a sequence of n tokens fits the layout.
func (l Layout) Fits(n int) bool { return l.SequenceLength <= 0 || n <= l.SequenceLength }

// BatchOptions controls EpochBatches and FillBatch: the layout of the text
// settings and the sampling of the trainer (or evaluator) that batches.
type BatchOptions struct {
	Layout
	BatchSize int    // samples per batch (<= 0: all in one batch)
	Shuffle   bool   // reshuffle every epoch from (Seed, epoch)
	Bucket    bool   // group samples of similar length (see EpochBatches)
	Seed      uint64 // train.seed
	Masked    bool   // model.mask_padding: length-sorted, left-aligned batches with real Lengths
}

// EpochBatches returns the batches of one epoch as lists of dataset indices.
// There are exactly ceil(N/BatchSize) batches, every sample appears in
// exactly one, and all batches but at most one hold BatchSize samples.
// The result depends only on (d's lengths, opt, epoch):
//
//   - Shuffle: the order is a permutation drawn from PCG(Seed, f(epoch)).
//     Without Shuffle it is 0..N-1.
//   - Bucket: that order is cut into windows of 50 batches; each window is
//     sorted by sequence length (stable, so ties keep the random order) and
//     cut into batches; with Shuffle the batch order is then shuffled too.
//     Which samples the epoch sees and the number of batches do not change.
func EpochBatches(d *Dataset, opt BatchOptions, epoch int) [][]int {
	n := d.Len()
	if n == 0 {
		return nil
	}
	bs := opt.BatchSize
	if bs <= 0 || bs > n {
		bs = n
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	var rng *rand.Rand
	if opt.Shuffle {
		rng = rand.New(rand.NewPCG(opt.Seed, streamEpoch^uint64(epoch)*0xBF58476D1CE4E5B9))
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	nb := (n + bs - 1) / bs
	if opt.Bucket && nb > 1 {
		byLen := func(x, y int) int { return cmp.Compare(len(d.Seqs[x]), len(d.Seqs[y])) }
		w := bucketWindow * bs
		for s := 0; s < n; s += w {
			slices.SortStableFunc(order[s:min(s+w, n)], byLen)
		}
	}
	batches := make([][]int, 0, nb)
	for s := 0; s < n; s += bs {
		e := min(s+bs, n)
		batches = append(batches, order[s:e:e])
	}
	if opt.Bucket && rng != nil {
		rng.Shuffle(nb, func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	}
	return batches
}

// FillBatch lays out the samples idx of d in b (see Batch), reusing b's
// slices: once b has grown to the largest batch it allocates nothing.
//
//   - Masked: samples are ordered by non-increasing length (stable: equal
//     lengths keep their order in idx), T is the longest length, sequences
//     are left-aligned and Lengths holds the real counts (0 for an empty
//     text).
//   - Unmasked: samples keep the order of idx, T is SequenceLength (or the
//     longest length when 0), sequences are placed after the padding with
//     PadPre and before it otherwise, and every Lengths entry is T.
//
// T is at least 1, so a batch of empty texts is one padding step. Padding is
// id 0. Labels are copied (zeros when d has no labels), and so are the
// label sets of a multi-label data set (shared); Index holds the
// dataset index of each sample in batch order. A sequence longer than
// SequenceLength is a programmer error (the Encoder cuts them; callers
// check with Layout.Fits) and panics.
func (d *Dataset) FillBatch(b *Batch, idx []int, opt BatchOptions) {
	B := len(idx)
	b.B, b.Masked, b.Bags = B, opt.Masked, d.Bags
	b.Index = append(b.Index[:0], idx...)
	if opt.Masked {
		slices.SortStableFunc(b.Index, func(x, y int) int { return cmp.Compare(len(d.Seqs[y]), len(d.Seqs[x])) })
	}
	longest := 0
	for _, i := range b.Index {
		longest = max(longest, len(d.Seqs[i]))
	}
	if !opt.Fits(longest) {
		panic("data: FillBatch: a sequence is longer than SequenceLength")
	}
	T := longest
	if !opt.Masked && opt.SequenceLength > 0 {
		T = opt.SequenceLength
	}
	T = max(T, 1)
	b.T = T
	b.Tokens = resize(b.Tokens, T*B)
	clear(b.Tokens)
	b.Lengths = resize(b.Lengths, B)
	b.Labels = resize(b.Labels, B)
	if d.LabelSets != nil {
		b.LabelSets = resize(b.LabelSets, B)
	} else {
		b.LabelSets = nil
	}
	for j, i := range b.Index {
		seq := d.Seqs[i]
		off := 0
		if !opt.Masked && opt.PadPre {
			off = T - len(seq)
		}
		for t, id := range seq {
			b.Tokens[(off+t)*B+j] = id
		}
		if opt.Masked {
			b.Lengths[j] = len(seq)
		} else {
			b.Lengths[j] = T
		}
		if d.Labels != nil {
			b.Labels[j] = d.Labels[i]
		} else {
			b.Labels[j] = 0
		}
		if d.LabelSets != nil {
			b.LabelSets[j] = d.LabelSets[i]
		}
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
