package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/lstmctl/lstmctl/pkg/embed"
)

// Layer is what every layer of the classifier provides: its parameters, in
// model-file order, and a seeded initialisation.
type Layer interface {
	Params() []*Tensor
	Init(rng *rand.Rand)
}

var (
	_ Layer = (*Embedding)(nil)
	_ Layer = (*LSTM)(nil)
	_ Layer = (*Dense)(nil)
)

// Embedding maps token ids to vectors: Weights is embedding.embeddings [V, E].
// With subwords (Buckets > 0), Subwords is embedding.subwords [Buckets, E],
// the rows of hashed character n-grams, and a token's vector is the mean of
// its word row and its n-grams' rows (embed.Table.LookupBags).
type Embedding struct {
	V, E     int
	Weights  *Tensor
	Buckets  int
	Subwords *Tensor // nil without subwords
}

// NewEmbedding returns a zero embedding of v rows of e values.
func NewEmbedding(v, e int) *Embedding {
	return &Embedding{V: v, E: e, Weights: newTensor("embedding.embeddings", v, e)}
}

// Table returns an embed.Table view of the weights (no copy).
func (l *Embedding) Table() embed.Table {
	return embed.Table{V: l.V, E: l.E, W: l.Weights.Data}
}

// SubwordTable returns an embed.Table view of the subword rows (no copy);
// only valid when Buckets > 0.
func (l *Embedding) SubwordTable() embed.Table {
	return embed.Table{V: l.Buckets, E: l.E, W: l.Subwords.Data}
}

// Params returns [embedding.embeddings]. The subword rows are not in it:
// the classifier lists them last, after the dense layer, so that the
// other parameters keep their places.
func (l *Embedding) Params() []*Tensor { return []*Tensor{l.Weights} }

// Init draws the weights from U(-0.05, 0.05); the subword rows are drawn
// by InitSubwords, after every other layer.
func (l *Embedding) Init(rng *rand.Rand) {
	t := l.Table()
	t.Init(rng)
}

// InitSubwords draws the subword rows from U(-0.05, 0.05), as the word
// rows (fastText draws both from one uniform distribution).
func (l *Embedding) InitSubwords(rng *rand.Rand) {
	if l.Buckets > 0 {
		t := l.SubwordTable()
		t.Init(rng)
	}
}

// LSTM is a Keras LSTM layer of Units cells over In inputs. Kernel is [In,
// 4·Units], Recurrent [Units, 4·Units] and Bias [4·Units], each with the gate
// blocks i, f, c, o side by side. With ReturnSequences the layer outputs h at
// every step (for the next LSTM or a pooled read-out), otherwise only the
// final h. GoBackwards marks the backward half of a bidirectional layer: the
// classifier feeds it each sequence in reverse (the layer itself runs the
// same way).
type LSTM struct {
	In, Units       int
	ReturnSequences bool
	GoBackwards     bool
	Kernel          *Tensor // lstm.K.kernel [In, 4H] (lstm.K.backward.kernel)
	Recurrent       *Tensor // lstm.K.recurrent_kernel [H, 4H]
	Bias            *Tensor // lstm.K.bias [4H]
}

// NewLSTM returns layer number k (0-based, used in the tensor names) with
// zero weights.
func NewLSTM(k, in, units int, returnSequences bool) *LSTM {
	return newLSTM(fmt.Sprintf("lstm.%d.", k), in, units, returnSequences, false)
}

// NewBackwardLSTM returns the backward half of bidirectional layer k (tensor
// names lstm.k.backward.*) with zero weights.
func NewBackwardLSTM(k, in, units int, returnSequences bool) *LSTM {
	return newLSTM(fmt.Sprintf("lstm.%d.backward.", k), in, units, returnSequences, true)
}

func newLSTM(prefix string, in, units int, returnSequences, goBackwards bool) *LSTM {
	g := 4 * units
	return &LSTM{
		In: in, Units: units, ReturnSequences: returnSequences, GoBackwards: goBackwards,
		Kernel:    newTensor(prefix+"kernel", in, g),
		Recurrent: newTensor(prefix+"recurrent_kernel", units, g),
		Bias:      newTensor(prefix+"bias", g),
	}
}

// Params returns [kernel, recurrent_kernel, bias].
func (l *LSTM) Params() []*Tensor { return []*Tensor{l.Kernel, l.Recurrent, l.Bias} }

// Init draws the kernel from Glorot-uniform (fan_in = In, fan_out = 4H), then
// the recurrent kernel from Orthogonal, and sets the bias to zero with the
// forget block [H, 2H) at 1 (Keras unit_forget_bias).
func (l *LSTM) Init(rng *rand.Rand) {
	h := l.Units
	glorotUniform(l.Kernel.Data, l.In, 4*h, rng)
	orthogonal(l.Recurrent.Data, h, 4*h, rng)
	clear(l.Bias.Data)
	for j := h; j < 2*h; j++ {
		l.Bias.Data[j] = 1
	}
}

// Dense is the output layer: logits = h·Kernel + Bias, Kernel [In, Out]
// (dense.kernel), Bias [Out] (dense.bias). Softmax is left to the caller.
type Dense struct {
	In, Out int
	Kernel  *Tensor
	Bias    *Tensor
}

// NewDense returns a zero dense layer.
func NewDense(in, out int) *Dense {
	return &Dense{In: in, Out: out, Kernel: newTensor("dense.kernel", in, out), Bias: newTensor("dense.bias", out)}
}

// Params returns [kernel, bias].
func (l *Dense) Params() []*Tensor { return []*Tensor{l.Kernel, l.Bias} }

// Init draws the kernel from Glorot-uniform and zeroes the bias.
func (l *Dense) Init(rng *rand.Rand) {
	glorotUniform(l.Kernel.Data, l.In, l.Out, rng)
	clear(l.Bias.Data)
}
