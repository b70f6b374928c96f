package model

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/embed"
)

// testBags returns bags over V vocabulary ids (0 and 1 empty, the others
// 0..3 random rows of buckets) and extra out-of-vocabulary ids, each with
// 1..3 rows, a repeated row included.
func testBags(rng *rand.Rand, V, extra, buckets int) *embed.Bags {
	base := &embed.Bags{}
	for id := 0; id < V; id++ {
		var rows []int32
		if id >= 2 {
			for range rng.IntN(4) {
				rows = append(rows, int32(rng.IntN(buckets)))
			}
		}
		base.Add(rows)
	}
	b := &embed.Bags{Base: base}
	for k := 0; k < extra; k++ {
		r := int32(rng.IntN(buckets))
		rows := []int32{r}
		if k%2 == 1 {
			rows = append(rows, int32(rng.IntN(buckets)), r)
		}
		b.Add(rows)
	}
	return b
}

// TestSubwordGradients checks every gradient of classifiers with subwords
// (the word and subword rows included) by central differences, with
// out-of-vocabulary ids, masked and unmasked, bidirectional, and with
// token dropout (whose [UNK] has no subwords).
func TestSubwordGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 1))
	base := DefaultConfig()
	base.LSTM = []int{4, 3}
	base.EmbeddingDim = 3
	bidi := base
	bidi.Bidirectional, bidi.Pooling, bidi.LSTM = true, PoolMean, []int{3}
	unmasked := base
	unmasked.MaskPadding = false
	tokdrop := base
	tokdrop.TokenDropout = 0.4
	for _, cfg := range []Config{base, bidi, unmasked, tokdrop} {
		t.Run(cfgName(cfg), func(t *testing.T) {
			const V, extra, buckets, C, B, T = 6, 4, 5, 3, 4, 4
			c, err := NewWithSubwords(cfg, V, buckets, C)
			if err != nil {
				t.Fatal(err)
			}
			c.Init(rng)
			perturbModel(c, rng)
			in := randomBatch(rng, V+extra, T, []int{T, 3, 2, 0}, false)
			in.Tokens[0], in.Tokens[1] = V, V+extra-1 // out of the vocabulary
			in.Bags = testBags(rng, V, extra, buckets)
			if cfg.TokenDropout > 0 {
				in.Train, in.Noise = true, noiseKeys(rng, B)
			}
			if n := checkClassifierGradients(t, c, in, []int{0, 2, 1, 1}); n < 100 {
				t.Fatalf("only %d coordinates checked", n)
			}
		})
	}
}

// TestSubwordEmbeddingMean: a token's input is the mean of its word row
// ([UNK]'s out of the vocabulary) and its subword rows, so a classifier
// with zero subword rows and a token without subwords reads what the plain
// classifier reads, and two unseen words with different n-grams differ.
func TestSubwordEmbeddingMean(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LSTM, cfg.EmbeddingDim = []int{4}, 3
	const V, C = 5, 2
	plain := mustNew(t, cfg, V, C)
	plain.Init(rand.New(rand.NewPCG(1, 1)))
	sub, err := NewWithSubwords(cfg, V, 7, C)
	if err != nil {
		t.Fatal(err)
	}
	sub.Init(rand.New(rand.NewPCG(1, 1)))
	// Init draws the subword rows last: every other weight is the plain one.
	for i, p := range plain.Params() {
		if !slices.Equal(p.Data, sub.Params()[i].Data) {
			t.Fatalf("%s differs from the plain classifier's", p.Name)
		}
	}
	if ps := sub.Params(); ps[len(ps)-1].Name != SubwordsTensor || slices.Max(ps[len(ps)-1].Data) == 0 {
		t.Fatalf("the subword rows are not the last, initialised parameter")
	}
	bags := &embed.Bags{}
	for range V {
		bags.Add(nil) // no subwords: the word rows alone
	}
	ext := &embed.Bags{Base: bags}
	oovA := ext.Add([]int32{2, 3})
	oovB := ext.Add([]int32{2, 4})
	in := Input{Tokens: []int32{3, 1}, Lengths: []int{2}, B: 1, T: 2}
	want := slices.Clone(plain.Forward(plain.NewState(), in))
	in.Bags = ext
	if got := sub.Forward(sub.NewState(), in); !slices.Equal(got, want) {
		t.Errorf("without subwords: %v, plain %v", got, want)
	}
	s := sub.NewState()
	a := slices.Clone(sub.Forward(s, Input{Tokens: []int32{oovA}, Lengths: []int{1}, B: 1, T: 1, Bags: ext}))
	b := slices.Clone(sub.Forward(s, Input{Tokens: []int32{oovB}, Lengths: []int{1}, B: 1, T: 1, Bags: ext}))
	u := slices.Clone(sub.Forward(s, Input{Tokens: []int32{1}, Lengths: []int{1}, B: 1, T: 1, Bags: ext}))
	if slices.Equal(a, b) || slices.Equal(a, u) {
		t.Errorf("unseen words read alike: %v %v [UNK] %v", a, b, u)
	}
	// The input of oovA is exactly the mean of [UNK], row 2 and row 3.
	E := 3
	x := make([]float32, E)
	tab, st := sub.Embedding.Table(), sub.Embedding.SubwordTable()
	tab.LookupBags(x, []int32{oovA}, ext, &st, UnknownID)
	for j := range x {
		w := (float64(tab.Row(1)[j]) + float64(st.Row(2)[j]) + float64(st.Row(3)[j])) / 3
		if math.Abs(float64(x[j])-w) > 1e-7 {
			t.Errorf("x[%d] = %v, mean %v", j, x[j], w)
		}
	}
	expectPanic(t, "no bags", func() { sub.Forward(s, Input{Tokens: []int32{2}, Lengths: []int{1}, B: 1, T: 1}) })
	expectPanic(t, "id without a bag", func() {
		sub.Forward(s, Input{Tokens: []int32{int32(ext.Len())}, Lengths: []int{1}, B: 1, T: 1, Bags: ext})
	})
}

// bagFixture is testdata/embedding_bag.json, written by
// scripts/reference/embedding_bag.py with PyTorch float64
// (torch.nn.functional.embedding_bag, mode "mean").
type bagFixture struct {
	V, E, Buckets int
	Unknown       int32
	W, S          []float64
	IDs           []int32
	Off, Rows     []int32 // the bags of ids 0..len(Off)-2
	DY            []float64
	Out           []float64
	GradW         []float64 `json:"grad_w"`
	GradS         []float64 `json:"grad_s"`
}

func TestEmbeddingBagMatchesTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/embedding_bag.json")
	if err != nil {
		t.Fatal(err)
	}
	var f bagFixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	f32 := func(x []float64) []float32 {
		y := make([]float32, len(x))
		for i, v := range x {
			y[i] = float32(v)
		}
		return y
	}
	tab := embed.Table{V: f.V, E: f.E, W: f32(f.W)}
	sub := embed.Table{V: f.Buckets, E: f.E, W: f32(f.S)}
	bags := &embed.Bags{Off: f.Off, Rows: f.Rows}
	if err := bags.Check(f.Buckets); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(f.IDs)*f.E)
	tab.LookupBags(out, f.IDs, bags, &sub, f.Unknown)
	gw, gs := make([]float32, f.V*f.E), make([]float32, f.Buckets*f.E)
	tab.AddGradBags(gw, gs, f.IDs, bags, f32(f.DY), f.Unknown)
	for _, c := range []struct {
		name string
		got  []float32
		want []float64
	}{{"output", out, f.Out}, {"grad embeddings", gw, f.GradW}, {"grad subwords", gs, f.GradS}} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%s: %d values, torch %d", c.name, len(c.got), len(c.want))
		}
		for i, v := range c.want {
			if d := math.Abs(float64(c.got[i]) - v); d > 1e-6*(1+math.Abs(v)) {
				t.Errorf("%s[%d] = %v, torch %v", c.name, i, c.got[i], v)
			}
		}
	}
}
