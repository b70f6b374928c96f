package model

import (
	"fmt"
	"math/rand/v2"
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
	// dense_dropout). Noise[b] is the key of sample b's dropout masks: the
	// masks are a pure function of (Noise[b], layer), so they do not depend
	// on how a batch is sharded. Ignored when Train is false.
	Train bool
	Noise []uint64
}

// Classifier is embedding -> stacked LSTMs -> dense (logits; the caller
// applies softmax). Every LSTM but the last returns sequences.
type Classifier struct {
	Config  Config
	Vocab   int // V
	Classes int // C

	Embedding *Embedding
	LSTMs     []*LSTM
	Dense     *Dense

	params []*Tensor
}

// New returns a classifier with zero weights (call Init, or copy weights into
// the tensors of Params).
func New(cfg Config, vocabSize, numClasses int) (*Classifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if vocabSize <= 0 {
		return nil, fmt.Errorf("model: vocabulary size must be positive, got %d", vocabSize)
	}
	if numClasses <= 0 {
		return nil, fmt.Errorf("model: number of classes must be positive, got %d", numClasses)
	}
	cfg.LSTM = append([]int(nil), cfg.LSTM...)
	c := &Classifier{Config: cfg, Vocab: vocabSize, Classes: numClasses}
	c.Embedding = NewEmbedding(vocabSize, cfg.EmbeddingDim)
	in := cfg.EmbeddingDim
	for k, h := range cfg.LSTM {
		c.LSTMs = append(c.LSTMs, NewLSTM(k, in, h, k < len(cfg.LSTM)-1))
		in = h
	}
	c.Dense = NewDense(in, numClasses)
	for _, l := range c.layers() {
		c.params = append(c.params, l.Params()...)
	}
	return c, nil
}

// layers returns the layers in order.
func (c *Classifier) layers() []Layer {
	ls := []Layer{c.Embedding}
	for _, l := range c.LSTMs {
		ls = append(ls, l)
	}
	return append(ls, c.Dense)
}

// Init draws all weights from rng with the Keras initialisers, layer by
// layer in order: the embedding, each LSTM (kernel, then recurrent kernel),
// the dense kernel. The same seed gives the same weights.
func (c *Classifier) Init(rng *rand.Rand) {
	for _, l := range c.layers() {
		l.Init(rng)
	}
}

// Params returns the parameters in model-file order: embedding.embeddings
// [V,E]; for each LSTM k lstm.k.kernel [in,4H], lstm.k.recurrent_kernel
// [H,4H], lstm.k.bias [4H]; dense.kernel [H_last,C]; dense.bias [C].
// These are the live weights: update them by writing into Data (the slice
// returned is shared; do not modify it).
func (c *Classifier) Params() []*Tensor { return c.params }

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
	owner   *Classifier
	pack    packing
	ids     []int32   // [N] packed token ids
	x0      []float32 // [N, E] packed embeddings
	layers  []lstmState
	hFinal  []float32 // [B, H_last] final state of the last LSTM
	dhFinal []float32 // [B, H_last]
	logits  []float32 // [B, C]
	ready   bool      // a Forward whose Backward has not run yet
}

// NewState returns an empty workspace for c.
func (c *Classifier) NewState() *State {
	return &State{owner: c, layers: make([]lstmState, len(c.LSTMs))}
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
	p := &s.pack
	p.build(B, T, in.Lengths, c.Config.MaskPadding)
	N := p.N
	e := c.Embedding
	hl := c.LSTMs[len(c.LSTMs)-1].Units
	s.ids = grow(s.ids, N)
	s.x0 = grow(s.x0, N*e.E)
	for i, l := range c.LSTMs {
		s.layers[i].reserve(l, B, N)
	}
	s.hFinal = grow(s.hFinal, B*hl)
	s.dhFinal = grow(s.dhFinal, B*hl)
	s.logits = grow(s.logits, B*c.Classes)

	for t := 0; t < p.T; t++ {
		copy(s.ids[p.off[t]:p.off[t+1]], in.Tokens[t*B:t*B+p.n[t]])
	}
	tab := e.Table()
	tab.Lookup(s.x0, s.ids)
	x := s.x0
	for i, l := range c.LSTMs {
		l.forward(&s.layers[i], p, x)
		x = s.layers[i].hs
	}
	for b := 0; b < B; b++ {
		dst := s.hFinal[b*hl : (b+1)*hl]
		if r := p.last[b]; r >= 0 {
			copy(dst, x[r*hl:(r+1)*hl])
		} else {
			clear(dst)
		}
	}
	c.Dense.forward(s.logits, s.hFinal, B)
	s.ready = true
	return s.logits
}

// Backward adds dL/dθ into grads (same names and shapes as Params; the
// caller zeroes them), given dL/dlogits [B*C] for the batch of the last
// Forward on s. It consumes the activations of s: each Forward allows one
// Backward. It panics on a shape mismatch or without a preceding Forward.
func (c *Classifier) Backward(s *State, dlogits []float32, grads []*Tensor) {
	if s == nil || s.owner != c {
		panic("model: Backward: State was not made by this Classifier's NewState")
	}
	if !s.ready {
		panic("model: Backward: no Forward on this State since the last Backward")
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
	gd := grads[1+3*L:]
	c.Dense.backward(s.dhFinal, dlogits, s.hFinal, B, gd[0].Data, gd[1].Data)
	for i := L - 1; i >= 0; i-- {
		l := c.LSTMs[i]
		x := s.x0
		if i > 0 {
			x = s.layers[i-1].hs
		}
		var dy, dFinal []float32
		if i == L-1 {
			dFinal = s.dhFinal
		} else {
			dy = s.layers[i+1].dx
		}
		g := grads[1+3*i:]
		l.backward(&s.layers[i], p, x, dy, dFinal, g[0].Data, g[1].Data, g[2].Data, true)
	}
	tab := c.Embedding.Table()
	tab.AddGrad(grads[0].Data, s.ids, s.layers[0].dx)
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
