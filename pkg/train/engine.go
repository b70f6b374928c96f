package train

import (
	"runtime"
	"slices"
	"sync"

	"github.com/lstmctl/lstmctl/internal/kernels"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// The shard rule: a batch of B samples is cut into
//
//	n = min(MaxShards, ceil(B / ShardSize))   (at least 1)
//
// contiguous shards, shard k holding samples [k·B/n, (k+1)·B/n). The rule
// depends on B only, never on the thread count, so every shard computes the
// same floating-point operations whatever the number of goroutines, and shard
// gradients are summed in shard order: the model is bit-identical for any
// Threads.
const (
	ShardSize = 32
	MaxShards = 8
)

// numShards returns the number of shards of a batch of b samples.
func numShards(b int) int {
	n := (b + ShardSize - 1) / ShardSize
	return max(1, min(n, MaxShards))
}

// resolveThreads maps the config's 0 to GOMAXPROCS.
func resolveThreads(threads int) int {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return max(1, threads)
}

type runMode int

const (
	modeTrain runMode = iota
	modeEval
	modePredict
)

// worker is one goroutine's workspace: its model.State (activations kept
// between Forward and Backward of the shard it runs) and dlogits.
type worker struct {
	state   *model.State
	dlogits []float32
}

// shard is one slice of the current batch and its private outputs.
type shard struct {
	lo, hi  int
	tokens  []int32         // the shard's time-major tokens [T*(hi-lo)]
	grads   []*model.Tensor // train: this shard's gradient (zeroed before Backward)
	loss    float64         // train: sum of the shard's sample losses
	correct int
	// Sparse embedding gradient bookkeeping (train mode, see engine.sparse):
	// rows are the distinct token ids of the shard in the current step;
	// dirty the embedding rows that may be non-zero in grads[0].
	rows, dirty []int32
	// input is the last model.Input given to Forward (for tests).
	input model.Input
}

// chunk is a range of one parameter tensor for the parallel Adam update.
type chunk struct{ t, lo, hi int }

// chunkSize is the number of elements per Adam job.
const chunkSize = 1 << 15

type phase int

const (
	phaseShards phase = iota
	phaseAdam
)

// engine runs Forward (and Backward) over the shards of a batch on a fixed
// pool of goroutines. It is not safe for concurrent use.
type engine struct {
	m       *model.Classifier
	C       int
	sigmoid bool // multi-label: sigmoid outputs, binary cross-entropy
	workers []worker
	shards  [MaxShards]shard
	n       int
	batch   *data.Batch
	mode    runMode
	scale   float64 // train: factor of the loss gradient, 1/B or 1/(sum of the batch's class weights)
	jobs    chan int
	wg      sync.WaitGroup
	phase   phase

	// Train mode: the loss options, the sum of the batch's class weights
	// and the dropout keys of the current batch (noise[j] for batch
	// position j).
	loss  LossOptions
	wsum  float64
	noise []uint64

	// The embedding gradient [V, E] (params[0]) is handled sparsely: a
	// shard's gradient is non-zero only in the rows of the token ids it saw,
	// so only those rows are cleared, summed and squared. Skipped entries are
	// exact zeros, so the result is the dense one bit for bit.
	sparse bool
	E      int
	mark   []uint32 // [V] stamp of the last shard that saw each id
	stamp  uint32
	union  []int32 // rows non-zero in the reduced gradient

	// Adam phase.
	adam   *Adam
	coef   kernels.AdamArgs
	params []*model.Tensor
	grads  []*model.Tensor
	chunks []chunk

	// Per-sample outputs indexed by dataset index (eval and predict).
	sampleLoss []float64
	pred       []int32
	probs      []float32 // [N*C]
}

// newEngine starts min(threads, MaxShards) workers (threads 0 = GOMAXPROCS).
// With one worker everything runs on the calling goroutine.
func newEngine(m *model.Classifier, threads int) *engine {
	nw := min(resolveThreads(threads), MaxShards)
	e := &engine{m: m, C: m.Classes, sigmoid: m.Config.Sigmoid(), workers: make([]worker, nw), params: m.Params()}
	if ps := e.params; len(ps) > 0 && len(ps[0].Shape) == 2 && ps[0].Shape[0] == m.Vocab &&
		ps[0].Name == "embedding.embeddings" {
		e.sparse, e.E = true, ps[0].Shape[1]
	}
	for i, p := range e.params {
		for lo := 0; lo < len(p.Data); lo += chunkSize {
			e.chunks = append(e.chunks, chunk{i, lo, min(lo+chunkSize, len(p.Data))})
		}
	}
	for i := range e.workers {
		e.workers[i].state = m.NewState()
	}
	if nw > 1 {
		e.jobs = make(chan int, MaxShards)
		for i := range e.workers {
			go e.loop(i, e.jobs)
		}
	}
	return e
}

func (e *engine) loop(w int, jobs <-chan int) {
	for k := range jobs {
		if e.phase == phaseShards {
			e.runShard(w, k)
		} else {
			c := e.chunks[k]
			e.adam.updateRange(&e.coef, e.params, e.grads, c.t, c.lo, c.hi)
		}
		e.wg.Done()
	}
}

// close stops the workers.
func (e *engine) close() {
	if e.jobs != nil {
		close(e.jobs)
		e.jobs = nil
	}
}

// run processes every shard of b in mode.
func (e *engine) run(b *data.Batch, mode runMode) {
	e.batch, e.mode = b, mode
	e.n = numShards(b.B)
	e.scale = 1 / float64(b.B)
	if mode == modeTrain && e.loss.ClassWeights != nil {
		e.wsum = batchWeight(b.Labels[:b.B], e.loss.ClassWeights)
		e.scale = 1 / e.wsum
	}
	for k := 0; k < e.n; k++ {
		sh := &e.shards[k]
		sh.lo, sh.hi = k*b.B/e.n, (k+1)*b.B/e.n
		if mode == modeTrain {
			if sh.grads == nil {
				sh.grads = e.m.NewGrads()
			}
			if e.sparse {
				sh.rows = e.distinctIDs(sh.rows[:0], b, sh.lo, sh.hi)
			}
		}
	}
	e.phase = phaseShards
	e.dispatch(e.n, func(k int) { e.runShard(0, k) })
	e.batch = nil
}

// dispatch runs jobs 0..n-1 on the workers (inline when there is one).
func (e *engine) dispatch(n int, inline func(k int)) {
	if e.jobs == nil || n == 1 {
		for k := 0; k < n; k++ {
			inline(k)
		}
		return
	}
	e.wg.Add(n)
	for k := 0; k < n; k++ {
		e.jobs <- k
	}
	e.wg.Wait()
}

// distinctIDs appends to dst the distinct token ids of samples [lo, hi) of
// b, and id 0 (padding), in order of first appearance; with token dropout
// also model.UnknownID, which the model's forward substitutes for dropped
// tokens (so its embedding row gets a gradient the batch ids do not show).
func (e *engine) distinctIDs(dst []int32, b *data.Batch, lo, hi int) []int32 {
	if e.mark == nil {
		e.mark = make([]uint32, e.m.Vocab)
	}
	e.stamp++
	if e.stamp == 0 {
		clear(e.mark)
		e.stamp = 1
	}
	st := e.stamp
	e.mark[0] = st
	dst = append(dst, 0)
	if e.m.Config.TokenDropout > 0 && e.m.Vocab > model.UnknownID {
		e.mark[model.UnknownID] = st
		dst = append(dst, model.UnknownID)
	}
	V := int32(e.m.Vocab)
	for t := 0; t < b.T; t++ {
		for _, id := range b.Tokens[t*b.B+lo : t*b.B+hi] {
			if id >= V {
				id = model.UnknownID // a word out of the vocabulary: [UNK]'s row and its subwords
			}
			if e.mark[id] != st {
				e.mark[id] = st
				dst = append(dst, id)
			}
		}
	}
	return dst
}

// runShard runs shard k on worker w's state.
func (e *engine) runShard(w, k int) {
	ws := &e.workers[w]
	sh := &e.shards[k]
	b := e.batch
	lo, hi := sh.lo, sh.hi
	n := hi - lo
	// With masking, a shard only needs the steps of its longest sequence
	// (samples are sorted by non-increasing length); at least one step is
	// run so that an all-empty shard is well defined (its steps are masked).
	T := b.T
	if b.Masked {
		T = 1
		for _, l := range b.Lengths[lo:hi] {
			T = max(T, l)
		}
		T = min(T, max(1, b.T))
	}
	sh.tokens = grow(sh.tokens, T*n)
	for t := 0; t < T; t++ {
		dst := sh.tokens[t*n : (t+1)*n]
		if t < b.T {
			copy(dst, b.Tokens[t*b.B+lo:t*b.B+hi])
		} else {
			clear(dst)
		}
	}
	in := model.Input{Tokens: sh.tokens[:T*n], Lengths: b.Lengths[lo:hi], B: n, T: T, Bags: b.Bags}
	if e.mode == modeTrain {
		in.Train, in.Noise = true, e.noise[lo:hi]
	}
	sh.input = in
	logits := e.m.Forward(ws.state, in)
	labels := b.Labels[lo:hi]
	C := e.C
	switch e.mode {
	case modeTrain:
		ws.dlogits = grow(ws.dlogits, n*C)
		if e.sigmoid {
			sh.loss, sh.correct = bceTo(ws.dlogits[:n*C], logits, b.LabelSets[lo:hi], n, C, e.scale, e.loss.LabelSmoothing)
		} else {
			sh.loss, sh.correct = crossEntropyTo(ws.dlogits[:n*C], logits, labels, n, C, e.scale, e.loss)
		}
		for i, g := range sh.grads {
			if i == 0 && e.sparse {
				E := e.E
				for _, r := range sh.dirty {
					clear(g.Data[int(r)*E : int(r+1)*E])
				}
			} else {
				clear(g.Data)
			}
		}
		e.m.Backward(ws.state, ws.dlogits[:n*C], sh.grads)
	case modeEval:
		if e.sigmoid {
			for i := 0; i < n; i++ {
				idx := b.Index[lo+i]
				row := logits[i*C : (i+1)*C]
				e.sampleLoss[idx], _ = bceTo(nil, row, b.LabelSets[lo+i:lo+i+1], 1, C, 0, 0)
				sigmoidTo(e.probs[idx*C:(idx+1)*C], row)
			}
			break
		}
		for i := 0; i < n; i++ {
			idx := b.Index[lo+i]
			loss, arg := sampleLoss(logits[i*C:(i+1)*C], int(labels[i]))
			e.sampleLoss[idx] = loss
			e.pred[idx] = int32(arg)
		}
	case modePredict:
		for i := 0; i < n; i++ {
			idx := b.Index[lo+i]
			if e.sigmoid {
				sigmoidTo(e.probs[idx*C:(idx+1)*C], logits[i*C:(i+1)*C])
			} else {
				softmaxTo(e.probs[idx*C:(idx+1)*C], logits[i*C:(i+1)*C])
			}
		}
	}
}

// trainStep runs Forward (in training mode, sample j of b with dropout key
// sampleKey(key, b.Index[j])) and Backward over b and leaves the batch
// gradient (the sum of the shard gradients, in shard order) in the returned
// tensors, which belong to the engine, and the per-tensor sums of squares of
// that gradient in sumsq. The loss gradient is that of the batch's weighted
// MEAN loss (see WeightedSoftmaxCrossEntropy with e.loss); sumLoss is the
// weighted sum of the per-sample losses and sumWeight the sum of the
// weights (B without class weights).
func (e *engine) trainStep(b *data.Batch, key uint64, sumsq []float64) (grads []*model.Tensor, sumLoss, sumWeight float64, correct int) {
	e.noise = grow(e.noise, b.B)
	for j, idx := range b.Index[:b.B] {
		e.noise[j] = sampleKey(key, idx)
	}
	e.run(b, modeTrain)
	sumWeight = float64(b.B)
	if e.loss.ClassWeights != nil {
		sumWeight = e.wsum
	}
	sh0 := &e.shards[0]
	g0 := sh0.grads
	for k := 0; k < e.n; k++ {
		sh := &e.shards[k]
		sumLoss += sh.loss
		correct += sh.correct
		if k == 0 {
			continue
		}
		for i, g := range sh.grads {
			if i == 0 && e.sparse {
				E := e.E
				for _, r := range sh.rows {
					lo, hi := int(r)*E, int(r+1)*E
					addTo(g0[0].Data[lo:hi], g.Data[lo:hi])
				}
			} else {
				addTo(g0[i].Data, g.Data)
			}
		}
	}
	if e.sparse {
		// Rows of the reduced gradient: the union of the shards' rows.
		e.stamp++
		if e.stamp == 0 {
			clear(e.mark)
			e.stamp = 1
		}
		e.union = e.union[:0]
		for k := 0; k < e.n; k++ {
			for _, r := range e.shards[k].rows {
				if e.mark[r] != e.stamp {
					e.mark[r] = e.stamp
					e.union = append(e.union, r)
				}
			}
		}
		// Ascending rows make the sum of squares below add the same non-zero
		// terms in the same order as a dense pass.
		slices.Sort(e.union)
		for k := 1; k < e.n; k++ {
			sh := &e.shards[k]
			sh.dirty, sh.rows = sh.rows, sh.dirty
		}
		sh0.dirty = append(sh0.dirty[:0], e.union...)
	}
	for i, g := range g0 {
		if i == 0 && e.sparse {
			var s float64
			E := e.E
			for _, r := range e.union {
				for _, x := range g.Data[int(r)*E : int(r+1)*E] {
					s += float64(x) * float64(x)
				}
			}
			sumsq[0] = s
		} else {
			sumsq[i] = sumSquares(g.Data)
		}
	}
	return g0, sumLoss, sumWeight, correct
}

// update applies one Adam step with the batch gradient, in parallel over
// fixed element ranges (element-wise, so bit-identical for any thread count).
func (e *engine) update(a *Adam, grads []*model.Tensor, sumsq []float64) {
	e.adam, e.grads = a, grads
	e.coef = a.begin(e.params, grads, sumsq)
	e.phase = phaseAdam
	e.dispatch(len(e.chunks), func(k int) {
		c := e.chunks[k]
		a.updateRange(&e.coef, e.params, grads, c.t, c.lo, c.hi)
	})
	e.adam, e.grads = nil, nil
}

// batchWeight returns the sum of the class weights of labels, in order.
func batchWeight(labels []int32, cw []float64) float64 {
	var s float64
	for _, y := range labels {
		s += cw[y]
	}
	return s
}

// addTo adds src into dst element-wise.
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// grow returns s with length n, reusing its storage when large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
