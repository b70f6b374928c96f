package data

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func randomDataset(n, maxLen int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 0))
	d := &Dataset{Seqs: make([][]int32, n), Labels: make([]int32, n)}
	for i := range d.Seqs {
		l := rng.IntN(maxLen + 1)
		d.Seqs[i] = make([]int32, l)
		for t := range d.Seqs[i] {
			d.Seqs[i][t] = int32(2 + rng.IntN(100))
		}
		d.Labels[i] = int32(rng.IntN(3))
	}
	return d
}

func TestEpochBatches(t *testing.T) {
	d := randomDataset(1003, 60, 1)
	for _, opt := range []BatchOptions{
		{BatchSize: 128},
		{BatchSize: 128, Shuffle: true, Seed: 3},
		{BatchSize: 128, Shuffle: true, Bucket: true, Seed: 3},
		{BatchSize: 10, Shuffle: true, Bucket: true, Seed: 3}, // several windows
		{BatchSize: 10, Bucket: true},
		{BatchSize: 1},
		{BatchSize: 5000, Shuffle: true, Bucket: true},
		{BatchSize: 0},
	} {
		for epoch := range 3 {
			batches := EpochBatches(d, opt, epoch)
			bs := opt.BatchSize
			if bs <= 0 || bs > d.Len() {
				bs = d.Len()
			}
			if want := (d.Len() + bs - 1) / bs; len(batches) != want {
				t.Fatalf("%+v: %d batches, want %d", opt, len(batches), want)
			}
			seen := make([]int, d.Len())
			partial := 0
			for _, b := range batches {
				if len(b) != bs {
					partial++
				}
				for _, i := range b {
					seen[i]++
				}
			}
			if partial > 1 {
				t.Errorf("%+v: %d partial batches", opt, partial)
			}
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("%+v: sample %d seen %d times", opt, i, c)
				}
			}
			again := EpochBatches(d, opt, epoch)
			if !slices.EqualFunc(batches, again, slices.Equal) {
				t.Errorf("%+v: not deterministic", opt)
			}
			if k := min(bs, 5); !opt.Shuffle && !opt.Bucket && !slices.Equal(batches[0][:k], []int{0, 1, 2, 3, 4}[:k]) {
				t.Errorf("%+v: unshuffled order does not start at 0", opt)
			}
		}
		if opt.Shuffle && opt.BatchSize < d.Len() {
			e0, e1 := EpochBatches(d, opt, 0), EpochBatches(d, opt, 1)
			if slices.EqualFunc(e0, e1, slices.Equal) {
				t.Errorf("%+v: epochs 0 and 1 are the same", opt)
			}
		}
	}
	if EpochBatches(&Dataset{}, BatchOptions{BatchSize: 4}, 0) != nil {
		t.Error("empty dataset has batches")
	}
}

// spread is the mean over batches of (longest - shortest) length.
func spread(d *Dataset, batches [][]int) float64 {
	total := 0
	for _, b := range batches {
		lo, hi := 1<<30, 0
		for _, i := range b {
			lo, hi = min(lo, len(d.Seqs[i])), max(hi, len(d.Seqs[i]))
		}
		total += hi - lo
	}
	return float64(total) / float64(len(batches))
}

func TestBucketing(t *testing.T) {
	d := randomDataset(5000, 200, 2)
	plain := EpochBatches(d, BatchOptions{BatchSize: 32, Shuffle: true, Seed: 1}, 0)
	bucketed := EpochBatches(d, BatchOptions{BatchSize: 32, Shuffle: true, Bucket: true, Seed: 1}, 0)
	sp, sb := spread(d, plain), spread(d, bucketed)
	if sb > sp/5 {
		t.Errorf("bucketing spread %.1f, without %.1f: not grouped by length", sb, sp)
	}
	// The batch order is shuffled: lengths do not just grow through the epoch.
	firstLen := func(b []int) int { return len(d.Seqs[b[0]]) }
	if slices.IsSortedFunc(bucketed[:50], func(a, b []int) int { return firstLen(a) - firstLen(b) }) {
		t.Error("bucketed batches come in length order")
	}
}

func TestFillBatch(t *testing.T) {
	d := &Dataset{
		Seqs:   [][]int32{{2, 3}, {4, 5, 6, 7}, {}, {8}, {9, 10, 11, 12, 13, 14}},
		Labels: []int32{0, 1, 2, 0, 1},
	}
	idx := []int{0, 1, 2, 3}
	var b Batch

	// Masked: sorted by non-increasing length, stable, left-aligned.
	d.FillBatch(&b, idx, BatchOptions{Masked: true, Layout: Layout{SequenceLength: 200}})
	if b.B != 4 || b.T != 4 || !b.Masked {
		t.Fatalf("B, T = %d, %d", b.B, b.T)
	}
	wantTok := []int32{ // time-major [T*B]: rows are steps
		4, 2, 8, 0,
		5, 3, 0, 0,
		6, 0, 0, 0,
		7, 0, 0, 0,
	}
	check := func(name string, index []int, lengths []int, labels []int32, tokens []int32) {
		t.Helper()
		if !slices.Equal(b.Index, index) || !slices.Equal(b.Lengths, lengths) || !slices.Equal(b.Labels, labels) || !slices.Equal(b.Tokens, tokens) {
			t.Errorf("%s:\nIndex %v want %v\nLengths %v want %v\nLabels %v want %v\nTokens %v want %v",
				name, b.Index, index, b.Lengths, lengths, b.Labels, labels, b.Tokens, tokens)
		}
	}
	check("masked", []int{1, 0, 3, 2}, []int{4, 2, 1, 0}, []int32{1, 0, 0, 2}, wantTok)

	// Masked: T is the longest sequence, not SequenceLength.
	d.FillBatch(&b, []int{3, 0}, BatchOptions{Masked: true, Layout: Layout{SequenceLength: 3}})
	check("masked short", []int{0, 3}, []int{2, 1}, []int32{0, 0}, []int32{2, 8, 3, 0})
	// A sequence longer than SequenceLength was not cut by the Encoder.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("FillBatch took a sequence longer than SequenceLength")
			}
		}()
		d.FillBatch(&b, []int{3, 4}, BatchOptions{Masked: true, Layout: Layout{SequenceLength: 3}})
	}()

	// Unmasked, pad post: T = SequenceLength, order kept.
	d.FillBatch(&b, []int{0, 3}, BatchOptions{Layout: Layout{SequenceLength: 3}})
	check("post", []int{0, 3}, []int{3, 3}, []int32{0, 0}, []int32{2, 8, 3, 0, 0, 0})
	// Unmasked, pad pre: padding first.
	d.FillBatch(&b, []int{0, 3}, BatchOptions{Layout: Layout{SequenceLength: 3, PadPre: true}})
	check("pre", []int{0, 3}, []int{3, 3}, []int32{0, 0}, []int32{0, 0, 2, 0, 3, 8})
	// Unmasked with SequenceLength 0: T = longest.
	d.FillBatch(&b, []int{3, 0}, BatchOptions{Layout: Layout{PadPre: true}})
	check("longest", []int{3, 0}, []int{2, 2}, []int32{0, 0}, []int32{0, 2, 8, 3})
	// All empty: one padding step.
	d.FillBatch(&b, []int{2}, BatchOptions{Masked: true})
	check("empty masked", []int{2}, []int{0}, []int32{2}, []int32{0})
	d.FillBatch(&b, []int{2, 2}, BatchOptions{})
	check("empty unmasked", []int{2, 2}, []int{1, 1}, []int32{2, 2}, []int32{0, 0})
	// No labels (predict).
	p := &Dataset{Seqs: d.Seqs}
	p.FillBatch(&b, []int{0}, BatchOptions{Masked: true})
	check("no labels", []int{0}, []int{2}, []int32{0}, []int32{2, 3})
}

func TestFillBatchAllocs(t *testing.T) {
	d := randomDataset(2000, 200, 3)
	for _, opt := range []BatchOptions{
		{BatchSize: 128, Shuffle: true, Bucket: true, Masked: true, Layout: Layout{SequenceLength: 200}},
		{BatchSize: 128, Shuffle: true, Layout: Layout{SequenceLength: 200, PadPre: true}},
	} {
		batches := EpochBatches(d, opt, 0)
		var b Batch
		for _, bi := range batches { // warm up to the largest batch
			d.FillBatch(&b, bi, opt)
		}
		k := 0
		allocs := testing.AllocsPerRun(50, func() {
			d.FillBatch(&b, batches[k%len(batches)], opt)
			k++
		})
		if allocs != 0 {
			t.Errorf("%+v: FillBatch allocates %v times per call", opt, allocs)
		}
		// Invariants on every batch.
		for _, bi := range batches {
			d.FillBatch(&b, bi, opt)
			if len(b.Tokens) != b.T*b.B || len(b.Lengths) != b.B || len(b.Index) != b.B {
				t.Fatal("slice sizes")
			}
			if opt.Masked && !slices.IsSortedFunc(b.Lengths, func(x, y int) int { return y - x }) {
				t.Fatal("lengths not non-increasing")
			}
			for j, i := range b.Index {
				if b.Labels[j] != d.Labels[i] {
					t.Fatal("labels not in batch order")
				}
			}
		}
	}
}

func TestSubset(t *testing.T) {
	d := randomDataset(10, 5, 4)
	s := d.Subset([]int{7, 2})
	if s.Len() != 2 || s.Labels[0] != d.Labels[7] || !slices.Equal(s.Seqs[1], d.Seqs[2]) {
		t.Errorf("Subset wrong")
	}
	if p := (&Dataset{Seqs: d.Seqs}).Subset([]int{1}); p.Labels != nil {
		t.Error("Subset invented labels")
	}
	if l := (TextConfig{SequenceLength: 40, Pad: SidePre, Truncate: SidePost}).Layout(); l != (Layout{SequenceLength: 40, PadPre: true}) {
		t.Errorf("Layout = %+v", l)
	}
}
