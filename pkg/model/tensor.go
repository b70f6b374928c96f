package model

import "fmt"

// Tensor is a named float32 tensor, row-major: len(Data) is the product of
// Shape.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// newTensor returns a zero tensor of the given shape.
func newTensor(name string, shape ...int) *Tensor {
	return &Tensor{Name: name, Shape: shape, Data: make([]float32, numel(shape))}
}

// numel returns the number of elements of a tensor of the given shape.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// checkTensors panics unless ts has the names and sizes of want, in order.
func checkTensors(what string, ts, want []*Tensor) {
	if len(ts) != len(want) {
		panic(fmt.Sprintf("model: %s: %d tensors, want %d", what, len(ts), len(want)))
	}
	for i, t := range ts {
		w := want[i]
		if t == nil || t.Name != w.Name || len(t.Data) != len(w.Data) {
			if t == nil {
				panic(fmt.Sprintf("model: %s: tensor %d is nil, want %s", what, i, w.Name))
			}
			panic(fmt.Sprintf("model: %s: tensor %d is %s with %d values, want %s %v (%d values)",
				what, i, t.Name, len(t.Data), w.Name, w.Shape, len(w.Data)))
		}
	}
}
