package embed

// THIS FILE IS A PLACEHOLDER; the numerics work replaces it.

import "math/rand/v2"

// Table is an embedding table of V rows of E float32 values.
type Table struct {
	V, E int
	W    []float32 // [V*E]
}

// New returns a zero table.
func New(v, e int) *Table { return &Table{V: v, E: e, W: make([]float32, v*e)} }

// Init draws every weight from U(-0.05, 0.05).
func (t *Table) Init(rng *rand.Rand) { panic("unimplemented") }
