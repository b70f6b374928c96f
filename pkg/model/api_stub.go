package model

// THIS FILE IS A PLACEHOLDER that fixes the API other packages build on.
// The numerics work replaces it with the real implementation (same signatures).

import "math/rand/v2"

// Tensor is a named float32 tensor, row-major.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Input is one batch for the model (see data.Batch for the layout contract).
// Tokens is time-major [T*B]; Lengths are non-increasing; with
// Config.MaskPadding false, Lengths is ignored and all T steps are run.
type Input struct {
	Tokens  []int32
	Lengths []int
	B, T    int
}

// Classifier is embedding -> stacked LSTMs -> dense softmax.
type Classifier struct {
	Config  Config
	Vocab   int // V
	Classes int // C
}

// New returns a classifier with zero weights.
func New(cfg Config, vocabSize, numClasses int) (*Classifier, error) { panic("unimplemented") }

// Init draws the weights from rng (Keras initialisers).
func (c *Classifier) Init(rng *rand.Rand) { panic("unimplemented") }

// Params returns the parameters in model-file order.
func (c *Classifier) Params() []*Tensor { panic("unimplemented") }

// NewGrads returns zeroed tensors shaped like Params.
func (c *Classifier) NewGrads() []*Tensor { panic("unimplemented") }

// State is a per-goroutine workspace for Forward and Backward.
type State struct{}

// NewState returns a workspace.
func (c *Classifier) NewState() *State { panic("unimplemented") }

// Forward returns logits [B*C] (owned by s).
func (c *Classifier) Forward(s *State, in Input) []float32 { panic("unimplemented") }

// Backward adds the gradient of the loss into grads, given dL/dlogits [B*C].
func (c *Classifier) Backward(s *State, dlogits []float32, grads []*Tensor) { panic("unimplemented") }
