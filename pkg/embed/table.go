package embed

import (
	"fmt"
	"math/rand/v2"

	"github.com/lstmctl/lstmctl/internal/kernels"
)

// InitScale bounds the uniform initialisation: weights are drawn from
// U(-InitScale, InitScale) (Keras RandomUniform(-0.05, 0.05)).
const InitScale = 0.05

// Table is an embedding table of V rows of E float32 values, row-major.
// A Table is a view: several Tables may share one W (the model keeps W in a
// parameter tensor and builds a Table around it when it needs one).
type Table struct {
	V, E int
	W    []float32 // [V*E]
}

// New returns a zero table of v rows of e values. It panics if v or e is not
// positive.
func New(v, e int) *Table {
	if v <= 0 || e <= 0 {
		panic(fmt.Sprintf("embed: table size must be positive, got %d×%d", v, e))
	}
	return &Table{V: v, E: e, W: make([]float32, v*e)}
}

// Init draws every weight from U(-0.05, 0.05) in row-major order, one
// rng.Float64 per weight.
func (t *Table) Init(rng *rand.Rand) {
	t.check()
	for i := range t.W {
		t.W[i] = float32((2*rng.Float64() - 1) * InitScale)
	}
}

// Row returns row id of the table (shared, not a copy).
func (t *Table) Row(id int32) []float32 {
	return t.W[int(id)*t.E : int(id+1)*t.E]
}

// Lookup writes the rows of ids into dst: dst[r*E:(r+1)*E] = W[ids[r]].
// It panics if dst is shorter than len(ids)*E or an id is outside [0, V).
func (t *Table) Lookup(dst []float32, ids []int32) {
	t.check()
	e := t.E
	if len(dst) < len(ids)*e {
		panic(fmt.Sprintf("embed: Lookup: dst has %d values, need %d×%d", len(dst), len(ids), e))
	}
	t.checkIDs(ids)
	kernels.GatherRows(dst, t.W, ids, e)
}

// AddGrad adds the gradient of a Lookup into grad ([V*E], shaped like W):
// grad[ids[r]] += dy[r] for every r, in order. Only the rows that occur in ids
// are touched. It panics on a size mismatch or an id outside [0, V).
func (t *Table) AddGrad(grad []float32, ids []int32, dy []float32) {
	e := t.E
	if len(grad) != t.V*e {
		panic(fmt.Sprintf("embed: AddGrad: grad has %d values, want %d×%d", len(grad), t.V, e))
	}
	if len(dy) < len(ids)*e {
		panic(fmt.Sprintf("embed: AddGrad: dy has %d values, need %d×%d", len(dy), len(ids), e))
	}
	t.checkIDs(ids)
	kernels.AddRows(grad, ids, dy, e)
}

// checkIDs panics if an id is outside [0, V), before any row is touched.
func (t *Table) checkIDs(ids []int32) {
	v := uint32(t.V)
	for _, id := range ids {
		if uint32(id) >= v {
			panic(fmt.Sprintf("embed: token id %d out of range [0, %d)", id, t.V))
		}
	}
}

func (t *Table) check() {
	if t.V <= 0 || t.E <= 0 || len(t.W) != t.V*t.E {
		panic(fmt.Sprintf("embed: table is %d×%d but holds %d values", t.V, t.E, len(t.W)))
	}
}
