package model

import (
	"fmt"

	"github.com/lstmctl/lstmctl/internal/kernels"
)

// Folded is the first LSTM layer's input projection precomputed per token:
// row v of z[d] is embedding row v times the kernel W of direction d, 4H
// wide. Forward on a State that uses it (State.UseFolded) copies the rows
// of a batch's tokens instead of looking up their embeddings and
// multiplying them by W. The numbers are the same, bit for bit: a row is
// computed by the same matrix product, whose every element is the same sum
// of products in the same order whatever the rows around it.
//
// Rows are computed when first needed (Prepare), so a short prediction
// pays for the tokens it reads, not for the vocabulary. The table is a copy
// of the weights at the time the rows were computed: it is for prediction,
// stale once the weights change, and Forward uses it only without dropout
// (Input.Train false).
type Folded struct {
	owner *Classifier
	width int          // 4H
	z     [2][]float32 // [V, 4H] per direction
	ready []bool       // [V] the rows computed
	x, y  []float32    // Prepare's buffers: embeddings, products
	ids   []int32      // Prepare's list of the missing tokens
}

// MaxFoldedFloats bounds the size of a Folded table (V·4H per direction):
// 16 Mi floats, 64 MB (the default model with 40 000 tokens needs 10 Mi).
// Fold refuses a larger one.
const MaxFoldedFloats = 16 << 20

// Fold returns an empty folded input projection of c's first LSTM layer
// (see Folded) with the row of the padding token computed. It fails when
// the table would exceed MaxFoldedFloats per direction.
func (c *Classifier) Fold() (*Folded, error) {
	g := 4 * c.LSTMs[0].Units
	if c.Vocab > MaxFoldedFloats/g {
		return nil, fmt.Errorf("model: fold: a table of %d tokens by %d exceeds %d values", c.Vocab, g, MaxFoldedFloats)
	}
	f := &Folded{owner: c, width: g, ready: make([]bool, c.Vocab)}
	for d := 0; d < c.Config.directions(); d++ {
		f.z[d] = make([]float32, c.Vocab*g)
	}
	f.Prepare([]int32{0}) // unmasked batches run padding steps
	return f, nil
}

// Prepare computes the rows of the tokens in ids that are not computed
// yet. Ids must be in [0, V). It is not safe to call while a Forward uses
// f.
func (f *Folded) Prepare(ids []int32) {
	f.ids = f.ids[:0]
	for _, id := range ids {
		if !f.ready[id] {
			f.ready[id] = true
			f.ids = append(f.ids, id)
		}
	}
	m := len(f.ids)
	if m == 0 {
		return
	}
	c := f.owner
	e, g := c.Embedding.E, f.width
	f.x = grow(f.x, m*e)
	f.y = grow(f.y, m*g)
	tab := c.Embedding.Table()
	tab.Lookup(f.x, f.ids)
	for d := 0; d < c.Config.directions(); d++ {
		kernels.Sgemm(false, false, m, g, e, 1, f.x, e, c.lstm(0, d).Kernel.Data, g, 0, f.y, g)
		for r, id := range f.ids {
			copy(f.z[d][int(id)*g:(int(id)+1)*g], f.y[r*g:(r+1)*g])
		}
	}
}

// check panics unless every id has its row computed.
func (f *Folded) check(ids []int32) {
	for _, id := range ids {
		if !f.ready[id] {
			panic(fmt.Sprintf("model: Forward: token %d has no row in the folded table (call Folded.Prepare first)", id))
		}
	}
}

// UseFolded makes Forward on s take the first layer's input projection
// from f when the input has no dropout (nil: compute it). f must come from
// the Classifier that made s, and have the rows of the batch's tokens.
func (s *State) UseFolded(f *Folded) {
	if f != nil && f.owner != s.owner {
		panic("model: UseFolded: the table was folded from another Classifier")
	}
	s.folded = f
}
