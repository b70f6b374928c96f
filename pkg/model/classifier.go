package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/lstmctl/lstmctl/internal/kernels"
	"github.com/lstmctl/lstmctl/pkg/embed"
)

// Input is one batch for the model, time-major: Tokens[t*B+b] is the id of
// sample b at step t, len(Tokens) == T*B.
//
// With Config.MaskPadding, Lengths (len B, non-increasing, each in [0, T])
// are the real token counts, each sequence is left-aligned (its tokens are at
// steps 0..Lengths[b]-1) and whatever stands beyond is ignored. Without
// masking, Lengths is ignored: all T steps run for every sample and padding
// (id 0) is an ordinary token.
type Input struct {
	Tokens  []int32
	Lengths []int
	B, T    int

	// Train turns on dropout (model.dropout, recurrent_dropout,
	// dense_dropout, embedding_dropout). Noise[b] is the key of sample b's
	// dropout masks: each mask is a pure function of (Noise[b], layer,
	// direction, which mask), so it does not depend on the other samples
	// or on how a batch is sharded; the caller gives every sample of every
	// step its own key. Noise needs B entries when Train is set and a rate
	// is non-zero, and is ignored otherwise. With Train false there is no
	// dropout at all.
	Train bool
	Noise []uint64

	// Bags gives every token id its subword rows (the classifier's
	// Buckets > 0): ids below V are vocabulary words, ids from V up to
	// Bags.Len() are words the vocabulary does not hold, whose word row is
	// [UNK]. Required with subwords, ignored without.
	Bags *embed.Bags
}

// Classifier is embedding -> stacked LSTMs (each optionally bidirectional)
// -> read-out (last, mean or max) -> dense (logits; the caller applies
// softmax). Every LSTM but the last returns sequences.
type Classifier struct {
	Config  Config
	Vocab   int // V
	Classes int // C

	Embedding *Embedding
	LSTMs     []*LSTM // the (forward) LSTM of each layer
	BackLSTMs []*LSTM // the backward LSTM of each layer (Bidirectional), else nil
	Dense     *Dense

	params []*Tensor
	// frozen is whether Backward leaves the embedding's gradient alone:
	// Config.FreezeEmbedding at first, changed by SetEmbeddingFrozen.
	frozen bool
}

// New returns a classifier with zero weights (call Init, or copy weights into
// the tensors of Params).
func New(cfg Config, vocabSize, numClasses int) (*Classifier, error) {
	return NewWithSubwords(cfg, vocabSize, 0, numClasses)
}

// NewWithSubwords is New with a table of buckets subword rows
// (embedding.subwords, the last parameter); 0 is New.
func NewWithSubwords(cfg Config, vocabSize, buckets, numClasses int) (*Classifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if vocabSize <= 0 {
		return nil, fmt.Errorf("model: vocabulary size must be positive, got %d", vocabSize)
	}
	if buckets < 0 {
		return nil, fmt.Errorf("model: subword buckets must not be negative, got %d", buckets)
	}
	if numClasses <= 0 {
		return nil, fmt.Errorf("model: number of classes must be positive, got %d", numClasses)
	}
	cfg.LSTM = append([]int(nil), cfg.LSTM...)
	c := &Classifier{Config: cfg, Vocab: vocabSize, Classes: numClasses, frozen: cfg.FreezeEmbedding}
	c.Embedding = NewEmbedding(vocabSize, cfg.EmbeddingDim)
	if buckets > 0 {
		c.Embedding.Buckets = buckets
		c.Embedding.Subwords = newTensor(SubwordsTensor, buckets, cfg.EmbeddingDim)
	}
	in := cfg.EmbeddingDim
	for k, h := range cfg.LSTM {
		seq := k < len(cfg.LSTM)-1 || cfg.pooling() != PoolLast
		c.LSTMs = append(c.LSTMs, NewLSTM(k, in, h, seq))
		if cfg.Bidirectional {
			c.BackLSTMs = append(c.BackLSTMs, NewBackwardLSTM(k, in, h, seq))
		}
		in = cfg.directions() * h
	}
	c.Dense = NewDense(in, numClasses)
	for _, l := range c.layers() {
		c.params = append(c.params, l.Params()...)
	}
	if buckets > 0 {
		c.params = append(c.params, c.Embedding.Subwords)
	}
	return c, nil
}

// lstm returns the LSTM of layer k in direction d (0 forward, 1 backward).
func (c *Classifier) lstm(k, d int) *LSTM {
	if d == 0 {
		return c.LSTMs[k]
	}
	return c.BackLSTMs[k]
}

// layers returns the layers in order: the embedding, for each LSTM layer
// its forward then its backward LSTM, the dense layer.
func (c *Classifier) layers() []Layer {
	ls := []Layer{c.Embedding}
	for k, l := range c.LSTMs {
		ls = append(ls, l)
		if c.BackLSTMs != nil {
			ls = append(ls, c.BackLSTMs[k])
		}
	}
	return append(ls, c.Dense)
}

// Init draws all weights from rng with the Keras initialisers, layer by
// layer in order: the embedding, each LSTM (kernel, then recurrent kernel;
// a bidirectional layer's forward LSTM, then its backward one, with draws of
// its own), the dense kernel, then the subword rows. The same seed gives
// the same weights, and the other layers the weights they have without
// subwords.
func (c *Classifier) Init(rng *rand.Rand) {
	for _, l := range c.layers() {
		l.Init(rng)
	}
	c.Embedding.InitSubwords(rng)
}

// Params returns the parameters in model-file order: embedding.embeddings
// [V,E]; for each LSTM layer k lstm.k.kernel [in,4H], lstm.k.recurrent_kernel
// [H,4H], lstm.k.bias [4H], then (Bidirectional) lstm.k.backward.kernel,
// .recurrent_kernel, .bias of the same shapes; dense.kernel [D,C] (D =
// H_last, or 2H_last bidirectional); dense.bias [C]. in is E for layer 0,
// else H_{k-1} (2H_{k-1} bidirectional); then, with subwords,
// embedding.subwords [Buckets, E].
// These are the live weights: update them by writing into Data (the slice
// returned is shared; do not modify it).
func (c *Classifier) Params() []*Tensor { return c.params }

// SetEmbeddingFrozen sets whether Backward computes the embedding's
// gradient (a trainer freezes it for the first epochs of a transfer-learning
// run); it starts as Config.FreezeEmbedding, which it does not change.
func (c *Classifier) SetEmbeddingFrozen(frozen bool) { c.frozen = frozen }

// EmbeddingFrozen reports whether Backward leaves the embedding's gradient
// at zero.
func (c *Classifier) EmbeddingFrozen() bool { return c.frozen }

// NewGrads returns zeroed tensors with the names and shapes of Params.
func (c *Classifier) NewGrads() []*Tensor {
	g := make([]*Tensor, len(c.params))
	for i, p := range c.params {
		g[i] = newTensor(p.Name, append([]int(nil), p.Shape...)...)
	}
	return g
}

// State is a per-goroutine workspace for Forward and Backward: the packed
// activations of the last Forward. Its buffers grow with the batch (B, and
// the number of real tokens) and are reused, so a training loop allocates
// nothing once it has seen its largest batch. One State must not be used by
// two goroutines at once; several States may share one Classifier.
type State struct {
	owner  *Classifier
	pack   packing
	bags   *embed.Bags // the subword bags of the last Forward (nil without subwords)
	rev    []int32     // [N] bidirectional: reversed row -> original row (packing.reverse)
	ids    []int32     // [N] packed token ids
	idsRev []int32     // [N] the ids in reversed row order
	x0     []float32   // [N, E] packed embeddings (after embedding dropout)
	x0Rev  []float32   // [N, E] the same in reversed row order
	layers []layerState

	emask   []float32 // [B, E] embedding dropout masks (nil when off)
	dmask   []float32 // [B, D] dense dropout masks (nil when off)
	maskBuf [2][]float32
	argmax  []int32   // [B, D] max pooling: the row each maximum came from (-1: empty)
	hFinal  []float32 // [B, D] the read-out of the last LSTM layer
	hDrop   []float32 // [B, D] the dense layer's input: hFinal, or hFinal⊙dmask
	dropBuf []float32
	dhFinal []float32 // [B, D]
	logits  []float32 // [B, C]
	ready   bool      // a Forward whose Backward has not run yet

	// folded, when set (UseFolded), gives the first layer's input
	// projection of Forward without dropout; foldedRun says the last
	// Forward used it (then s.x0 is not filled and Backward refuses).
	folded    *Folded
	foldedRun bool

	// int8, when set (UseInt8), makes Forward without dropout compute the
	// LSTM products but the first layer's input projection in int8;
	// int8Run says the last Forward did (then Backward refuses).
	int8    *Int8Compute
	int8Run bool
}

// layerState is one LSTM layer's workspace: the forward direction (dir[0])
// in the original row order, the backward one (dir[1]) in reversed order.
type layerState struct {
	dir    [2]lstmState
	out    []float32    // [N, 2H] bidirectional, not the last layer: [fwd h_t, bwd h_t] per original row
	outRev []float32    // [N, 2H] the same rows in reversed order (the next backward LSTM's input)
	dy     [2][]float32 // [N, H] dL/dh_t of each direction's rows (when not in the next layer's dx)
	dFinal [2][]float32 // [B, H] bidirectional last read-out: dL/dh_final per direction
}

// NewState returns an empty workspace for c.
func (c *Classifier) NewState() *State {
	return &State{owner: c, layers: make([]layerState, len(c.LSTMs))}
}

// dropouts returns the rates in effect for in (all 0 unless in.Train).
func (c *Classifier) dropouts(in Input) (emb, input, rec, dense float64) {
	if !in.Train {
		return 0, 0, 0, 0
	}
	cfg := c.Config
	return cfg.EmbeddingDropout, cfg.Dropout, cfg.RecurrentDropout, cfg.DenseDropout
}

// Forward runs the batch and returns the logits [B*C] (row-major, owned by s
// and valid until its next Forward). It panics if in breaks the Input
// contract or a token id is outside [0, V).
func (c *Classifier) Forward(s *State, in Input) []float32 {
	if s == nil || s.owner != c {
		panic("model: Forward: State was not made by this Classifier's NewState")
	}
	c.checkParams()
	B, T := in.B, in.T
	if B < 0 || T < 0 {
		panic(fmt.Sprintf("model: Forward: negative batch shape B=%d T=%d", B, T))
	}
	if len(in.Tokens) != B*T {
		panic(fmt.Sprintf("model: Forward: Input.Tokens has %d ids, want T*B = %d*%d", len(in.Tokens), T, B))
	}
	pEmb, pIn, pRec, pDense := c.dropouts(in)
	pTok := 0.0
	if in.Train {
		pTok = c.Config.TokenDropout
	}
	bags := c.bags(in)
	if pEmb+pIn+pRec+pDense+pTok > 0 && len(in.Noise) != B {
		panic(fmt.Sprintf("model: Forward: Input.Noise has %d keys, want B = %d for dropout", len(in.Noise), B))
	}
	noise := in.Noise
	p := &s.pack
	p.build(B, T, in.Lengths, c.Config.MaskPadding)
	N := p.N
	E := c.Embedding.E
	L := len(c.LSTMs)
	dirs := c.Config.directions()
	D := c.Dense.In
	s.ids = grow(s.ids, N)
	s.x0 = grow(s.x0, N*E)
	for k, l := range c.LSTMs {
		ls := &s.layers[k]
		for d := 0; d < dirs; d++ {
			ls.dir[d].reserve(l, B, N, pIn > 0, pRec > 0)
		}
		if dirs == 2 && k < L-1 {
			ls.out = grow(ls.out, N*2*l.Units)
			ls.outRev = grow(ls.outRev, N*2*l.Units)
		}
	}
	s.hFinal = grow(s.hFinal, B*D)
	s.dhFinal = grow(s.dhFinal, B*D)
	s.logits = grow(s.logits, B*c.Classes)

	for t := 0; t < p.T; t++ {
		copy(s.ids[p.off[t]:p.off[t+1]], in.Tokens[t*B:t*B+p.n[t]])
	}
	if pTok > 0 {
		dropTokens(s.ids, noise, p, maskStream(0, 0, maskToken), pTok)
	}
	fold := s.folded
	if in.Train || bags != nil { // a subword bag is no single row to fold
		fold = nil
	}
	s.foldedRun = fold != nil
	q := s.int8
	if in.Train {
		q = nil
	}
	s.int8Run = q != nil
	tab := c.Embedding.Table()
	s.bags = bags
	switch {
	case bags != nil:
		sub := c.Embedding.SubwordTable()
		tab.LookupBags(s.x0, s.ids, bags, &sub, UnknownID)
	case fold == nil:
		tab.Lookup(s.x0, s.ids)
	default:
		fold.check(s.ids)
	}
	s.emask = nil
	if pEmb > 0 {
		s.maskBuf[0] = grow(s.maskBuf[0], B*E)
		s.emask = s.maskBuf[0]
		fillMasks(s.emask, noise, maskStream(0, 0, maskEmbedding), E, pEmb)
		maskRows(s.x0, s.x0, s.emask, p, E)
	}
	x, xRev := s.x0, []float32(nil)
	if dirs == 2 {
		s.rev = grow(s.rev, N)
		p.reverse(s.rev)
		s.idsRev = grow(s.idsRev, N)
		for r, i := range s.rev {
			s.idsRev[r] = s.ids[i]
		}
		if fold == nil {
			s.x0Rev = grow(s.x0Rev, N*E)
			kernels.GatherRows(s.x0Rev, s.x0, s.rev, E)
			xRev = s.x0Rev
		}
	}
	for k := range c.LSTMs {
		ls := &s.layers[k]
		for d := 0; d < dirs; d++ {
			l, st := c.lstm(k, d), &ls.dir[d]
			if st.imask != nil {
				fillMasks(st.imask, noise, maskStream(k, d, maskInput), l.In, pIn)
			}
			if st.rmask != nil {
				fillMasks(st.rmask, noise, maskStream(k, d, maskRecurrent), l.Units, pRec)
			}
			switch {
			case k == 0 && fold != nil:
				ids := s.ids
				if d == 1 {
					ids = s.idsRev
				}
				kernels.GatherRows(st.z, fold.z[d], ids, fold.width)
				if q != nil {
					l.steps(st, p, q.u[k][d])
				} else {
					l.steps(st, p, nil)
				}
			case q != nil && d == 0:
				l.forwardInt8(st, p, x, q.w[k][d], q.u[k][d])
			case q != nil:
				l.forwardInt8(st, p, xRev, q.w[k][d], q.u[k][d])
			case d == 0:
				l.forward(st, p, x)
			default:
				l.forward(st, p, xRev)
			}
		}
		switch {
		case dirs == 1:
			x = ls.dir[0].hs
		case k < L-1:
			h := c.LSTMs[k].Units
			fw, bw := ls.dir[0].hs, ls.dir[1].hs
			for r, q := range s.rev {
				copy(ls.out[r*2*h:r*2*h+h], fw[r*h:(r+1)*h])
				copy(ls.out[r*2*h+h:(r+1)*2*h], bw[int(q)*h:(int(q)+1)*h])
				copy(ls.outRev[r*2*h:r*2*h+h], fw[int(q)*h:(int(q)+1)*h])
				copy(ls.outRev[r*2*h+h:(r+1)*2*h], bw[r*h:(r+1)*h])
			}
			x, xRev = ls.out, ls.outRev
		}
	}
	c.readout(s)
	s.hDrop, s.dmask = s.hFinal, nil
	if pDense > 0 {
		s.maskBuf[1] = grow(s.maskBuf[1], B*D)
		s.dmask = s.maskBuf[1]
		fillMasks(s.dmask, noise, maskStream(0, 0, maskDense), D, pDense)
		s.dropBuf = grow(s.dropBuf, B*D)
		s.hDrop = s.dropBuf
		mulInto(s.hDrop, s.hFinal, s.dmask)
	}
	c.Dense.forward(s.logits, s.hDrop, B)
	s.ready = true
	return s.logits
}

// readout writes hFinal [B, D] from the outputs of the last LSTM layer: per
// direction d (columns d·H..(d+1)·H-1), over the rows of each sample (in
// that direction's row order), the last row (the state after the last
// real step, for the backward direction after the first token), the mean or
// the element-wise maximum. An empty sample reads zeros.
func (c *Classifier) readout(s *State) {
	p := &s.pack
	B, D := p.B, c.Dense.In
	ls := &s.layers[len(c.LSTMs)-1]
	h := c.LSTMs[len(c.LSTMs)-1].Units
	pool := c.Config.pooling()
	if pool == PoolMax {
		s.argmax = grow(s.argmax, B*D)
	}
	for d := 0; d < c.Config.directions(); d++ {
		hs, col := ls.dir[d].hs, d*h
		switch pool {
		case PoolLast:
			for b := 0; b < B; b++ {
				dst := s.hFinal[b*D+col : b*D+col+h]
				if r := p.last[b]; r >= 0 {
					copy(dst, hs[r*h:(r+1)*h])
				} else {
					clear(dst)
				}
			}
		case PoolMean:
			for b := 0; b < B; b++ {
				clear(s.hFinal[b*D+col : b*D+col+h])
			}
			for t := 0; t < p.T; t++ {
				o := p.off[t]
				for b := 0; b < p.n[t]; b++ {
					dst := s.hFinal[b*D+col : b*D+col+h]
					for j, v := range hs[(o+b)*h : (o+b+1)*h] {
						dst[j] += v
					}
				}
			}
			for b := 0; b < B; b++ {
				if l := p.lens[b]; l > 0 {
					n := float32(l)
					dst := s.hFinal[b*D+col : b*D+col+h]
					for j := range dst {
						dst[j] /= n
					}
				}
			}
		case PoolMax:
			for b := 0; b < B; b++ {
				dst := s.hFinal[b*D+col : b*D+col+h]
				am := s.argmax[b*D+col : b*D+col+h]
				if p.lens[b] == 0 {
					clear(dst)
					for j := range am {
						am[j] = -1
					}
					continue
				}
				copy(dst, hs[b*h:(b+1)*h]) // step 0: row off_0+b = b
				for j := range am {
					am[j] = int32(b)
				}
			}
			for t := 1; t < p.T; t++ {
				o := p.off[t]
				for b := 0; b < p.n[t]; b++ {
					dst := s.hFinal[b*D+col : b*D+col+h]
					am := s.argmax[b*D+col : b*D+col+h]
					for j, v := range hs[(o+b)*h : (o+b+1)*h] {
						if v > dst[j] {
							dst[j], am[j] = v, int32(o+b)
						}
					}
				}
			}
		}
	}
}

// readoutBackward turns dhFinal into the gradient reaching the outputs of
// direction d of the last layer: dFinal [B, H] for the last-step read-out
// (returned; dy is nil), else dy [N, H] for every row (returned, dFinal
// nil).
func (c *Classifier) readoutBackward(s *State, d int) (dy, dFinal []float32) {
	p := &s.pack
	B, D := p.B, c.Dense.In
	ls := &s.layers[len(c.LSTMs)-1]
	h := c.LSTMs[len(c.LSTMs)-1].Units
	col := d * h
	switch c.Config.pooling() {
	case PoolLast:
		if D == h {
			return nil, s.dhFinal
		}
		ls.dFinal[d] = grow(ls.dFinal[d], B*h)
		for b := 0; b < B; b++ {
			copy(ls.dFinal[d][b*h:(b+1)*h], s.dhFinal[b*D+col:b*D+col+h])
		}
		return nil, ls.dFinal[d]
	case PoolMean:
		ls.dy[d] = grow(ls.dy[d], p.N*h)
		dy = ls.dy[d]
		for t := 0; t < p.T; t++ {
			o := p.off[t]
			for b := 0; b < p.n[t]; b++ {
				n := float32(p.lens[b])
				src := s.dhFinal[b*D+col : b*D+col+h]
				for j, v := range src {
					dy[(o+b)*h+j] = v / n
				}
			}
		}
		return dy, nil
	default: // PoolMax
		ls.dy[d] = grow(ls.dy[d], p.N*h)
		dy = ls.dy[d]
		clear(dy)
		for b := 0; b < B; b++ {
			am := s.argmax[b*D+col : b*D+col+h]
			for j, r := range am {
				if r >= 0 {
					dy[int(r)*h+j] += s.dhFinal[b*D+col+j]
				}
			}
		}
		return dy, nil
	}
}

// Backward adds dL/dθ into grads (same names and shapes as Params; the
// caller zeroes them), given dL/dlogits [B*C] for the batch of the last
// Forward on s, with the same dropout masks. It consumes the activations of
// s: each Forward allows one Backward. It panics on a shape mismatch or
// without a preceding Forward.
func (c *Classifier) Backward(s *State, dlogits []float32, grads []*Tensor) {
	if s == nil || s.owner != c {
		panic("model: Backward: State was not made by this Classifier's NewState")
	}
	if !s.ready {
		panic("model: Backward: no Forward on this State since the last Backward")
	}
	if s.foldedRun {
		panic("model: Backward: the last Forward used a folded table (prediction only)")
	}
	if s.int8Run {
		panic("model: Backward: the last Forward used int8 products (prediction only)")
	}
	p := &s.pack
	B := p.B
	if len(dlogits) != B*c.Classes {
		panic(fmt.Sprintf("model: Backward: dlogits has %d values, want B*C = %d*%d", len(dlogits), B, c.Classes))
	}
	checkTensors("Backward: grads", grads, c.params)
	c.checkParams()
	s.ready = false

	L := len(c.LSTMs)
	dirs := c.Config.directions()
	gd := grads[1+3*dirs*L:]
	c.Dense.backward(s.dhFinal, dlogits, s.hDrop, B, gd[0].Data, gd[1].Data)
	if s.dmask != nil {
		mulInto(s.dhFinal, s.dhFinal, s.dmask)
	}
	for k := L - 1; k >= 0; k-- {
		ls := &s.layers[k]
		for d := 0; d < dirs; d++ {
			var x, dy, dFinal []float32
			switch {
			case k == 0 && d == 0:
				x = s.x0
			case k == 0:
				x = s.x0Rev
			case dirs == 1:
				x = s.layers[k-1].dir[0].hs
			case d == 0:
				x = s.layers[k-1].out
			default:
				x = s.layers[k-1].outRev
			}
			switch {
			case k == L-1:
				dy, dFinal = c.readoutBackward(s, d)
			case dirs == 1:
				dy = s.layers[k+1].dir[0].dx
			default:
				dy = ls.dy[d]
			}
			g := grads[1+3*(dirs*k+d):]
			// The first layer's input gradient only feeds the embedding.
			needDX := k > 0 || !c.frozen
			c.lstm(k, d).backward(&ls.dir[d], p, x, dy, dFinal, g[0].Data, g[1].Data, g[2].Data, needDX)
		}
		if dirs == 2 && k > 0 {
			c.splitInputGrad(s, k)
		}
	}
	if c.frozen {
		return // its gradient stays zero; the optimizer skips it (train)
	}
	tab := c.Embedding.Table()
	for d := 0; d < dirs; d++ {
		dx := s.layers[0].dir[d].dx
		if s.emask != nil {
			maskRows(dx, dx, s.emask, p, c.Embedding.E)
		}
		ids := s.ids
		if d == 1 {
			ids = s.idsRev
		}
		if s.bags != nil {
			tab.AddGradBags(grads[0].Data, grads[len(grads)-1].Data, ids, s.bags, dx, UnknownID)
		} else {
			tab.AddGrad(grads[0].Data, ids, dx)
		}
	}
}

// bags returns in.Bags, nil without subwords; with them every id must
// have a bag, and it panics otherwise (a broken Input). Checking the rows
// of the bags (embed.Bags.Check) is the caller's, once per data set.
func (c *Classifier) bags(in Input) *embed.Bags {
	if c.Embedding.Buckets == 0 {
		return nil
	}
	b := in.Bags
	if b == nil {
		panic("model: Forward: the classifier has subwords but Input.Bags is nil")
	}
	n := b.Len()
	if n < c.Vocab {
		panic(fmt.Sprintf("model: Forward: Input.Bags has %d bags, fewer than the %d vocabulary ids", n, c.Vocab))
	}
	for _, id := range in.Tokens {
		if id < 0 || int(id) >= n {
			panic(fmt.Sprintf("model: Forward: token id %d has no bag (%d bags)", id, n))
		}
	}
	return b // its rows were checked by the caller (embed.Bags.Check)
}

// splitInputGrad turns the input gradients of bidirectional layer k (its
// forward LSTM's dx in original row order, its backward LSTM's in reversed
// order, both [N, 2H_{k-1}]) into the gradients reaching layer k-1's outputs:
// dy[0] of its forward LSTM (original order) and dy[1] of its backward LSTM
// (reversed order), both [N, H_{k-1}].
func (c *Classifier) splitInputGrad(s *State, k int) {
	N := s.pack.N
	h := c.LSTMs[k-1].Units
	prev := &s.layers[k-1]
	fdx, bdx := s.layers[k].dir[0].dx, s.layers[k].dir[1].dx
	prev.dy[0] = grow(prev.dy[0], N*h)
	prev.dy[1] = grow(prev.dy[1], N*h)
	dyF, dyB := prev.dy[0], prev.dy[1]
	for r, q := range s.rev {
		r2, q2 := r*2*h, int(q)*2*h
		f, fq := fdx[r2:r2+2*h], fdx[q2:q2+2*h]
		b, bq := bdx[r2:r2+2*h], bdx[q2:q2+2*h]
		df, db := dyF[r*h:(r+1)*h], dyB[r*h:(r+1)*h]
		for j := range df {
			df[j] = f[j] + bq[j]
			db[j] = fq[h+j] + b[h+j]
		}
	}
}

// checkParams panics if a parameter tensor no longer has its size (the
// tensors of Params must be updated in place).
func (c *Classifier) checkParams() {
	for _, p := range c.params {
		if len(p.Data) != numel(p.Shape) {
			panic(fmt.Sprintf("model: parameter %s %v holds %d values", p.Name, p.Shape, len(p.Data)))
		}
	}
}
