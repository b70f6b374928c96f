package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/internal/safetensors"
	"github.com/lstmctl/lstmctl/pkg/embed"
)

// plainEncode writes a safetensors file as a minimal third-party writer
// does (Python's safetensors library, or the docs/python scripts): a JSON
// header by encoding/json, the raw little-endian bytes, no checksums.
func plainEncode(t testing.TB, ts []safetensors.Typed, meta map[string]string) []byte {
	t.Helper()
	header := map[string]any{}
	if meta != nil {
		header["__metadata__"] = meta
	}
	var data []byte
	for _, x := range ts {
		begin := len(data)
		for _, v := range x.I8 {
			data = append(data, byte(v))
		}
		for _, v := range x.F32 {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		header[x.Name] = map[string]any{"dtype": x.DType, "shape": x.Shape, "data_offsets": []int{begin, len(data)}}
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(b, h...), data...)
}

// withoutChecksums drops the writer's checksums from meta (a copy).
func withoutChecksums(meta map[string]string) map[string]string {
	out := make(map[string]string, len(meta))
	for k, v := range meta {
		if k != safetensors.SHA256Key && k != safetensors.HeaderSHA256Key {
			out[k] = v
		}
	}
	return out
}

func floatTyped(ts []safetensors.Tensor) []safetensors.Typed {
	out := make([]safetensors.Typed, len(ts))
	for i, x := range ts {
		out[i] = safetensors.Typed{Name: x.Name, DType: safetensors.DTypeF32, Shape: x.Shape, F32: x.Data}
	}
	return out
}

// TestLoadWithoutChecksums loads a model file written by a plain writer:
// the same tensors and metadata, no checksums, another header layout.
func TestLoadWithoutChecksums(t *testing.T) {
	c, m := fileFixture(t, true)
	ts, meta, err := encodeModel(c, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another writer may order the tensors differently.
	typed := floatTyped(ts)
	slices.Reverse(typed)
	b := plainEncode(t, typed, withoutChecksums(meta))
	c2, m2, extra, err := loadFrom(bytes.NewReader(b), int64(len(b)), "plain.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, c2.Params(), c.Params())
	if len(extra) != 0 || m2.Checksums != ChecksumsAbsent || m2.Quantization != "" || m2.Extra["note"] != "hello" {
		t.Fatalf("meta %+v, extra %v", m2, extra)
	}
	// lstmctl's own file says its checksums were verified.
	path := mustSave(t, t.TempDir(), c, m)
	if _, m3, err := Load(path); err != nil || m3.Checksums != ChecksumsVerified {
		t.Fatalf("Load(saved): %+v %v", m3, err)
	}
	// The model checks apply to a file without checksums all the same.
	bad := withoutChecksums(meta)
	bad["vocab"] = `["","[UNK]","a","b"]`
	b = plainEncode(t, floatTyped(ts), bad)
	_, _, _, err = loadFrom(bytes.NewReader(b), int64(len(b)), "plain.safetensors")
	if !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), `tensor "embedding.embeddings" has shape [5 3], expected [4 3]`) {
		t.Fatalf("misshapen plain file: %v", err)
	}
}

// TestInt8RoundTrip quantizes a model and loads it back: the weights are
// within half a step of the float ones, the biases and the dense layer
// exact, and the logits close.
func TestInt8RoundTrip(t *testing.T) {
	c, m := fileFixture(t, true)
	path := filepath.Join(t.TempDir(), "small.safetensors")
	if err := SaveInt8(path, c, m); err != nil {
		t.Fatal(err)
	}
	q, qm, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if qm.Quantization != QuantInt8 || qm.Checksums != ChecksumsVerified || qm.Extra["note"] != "hello" || len(qm.Extra) != 1 {
		t.Fatalf("meta %+v", qm)
	}
	for i, p := range c.Params() {
		g := q.Params()[i]
		if !quantizedParam(p.Name, p.Shape) {
			sameParams(t, []*Tensor{g}, []*Tensor{p})
			continue
		}
		cols := p.Shape[1]
		for r := range p.Shape[0] {
			row := p.Data[r*cols : (r+1)*cols]
			var m float32
			for _, v := range row {
				m = max(m, float32(math.Abs(float64(v))))
			}
			for j, v := range row {
				if d := math.Abs(float64(g.Data[r*cols+j] - v)); d > float64(m)/254*1.0001 {
					t.Fatalf("%s[%d,%d] = %v, float %v: off by %v, more than half a step of %v", p.Name, r, j, g.Data[r*cols+j], v, d, m/127)
				}
			}
		}
	}
	in := Input{Tokens: []int32{2, 3, 4, 2, 1, 0}, Lengths: []int{3, 3}, B: 2, T: 3}
	want := slices.Clone(c.Forward(c.NewState(), in))
	got := q.Forward(q.NewState(), in)
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 0.02 {
			t.Errorf("logit %d: int8 %v, float %v", i, got[i], want[i])
		}
	}
	// Saving an int8 model again as int8 gives the same weights.
	again := filepath.Join(t.TempDir(), "again.safetensors")
	if err := SaveInt8(again, q, *qm); err != nil {
		t.Fatal(err)
	}
	q2, _, err := Load(again)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, q2.Params(), q.Params())
	// The file is smaller than the float one.
	fpath := mustSave(t, t.TempDir(), c, m)
	fs, _ := os.Stat(fpath)
	qs, _ := os.Stat(path)
	if qs.Size() >= fs.Size() {
		t.Errorf("int8 file %d bytes, float %d", qs.Size(), fs.Size())
	}
}

// A model with subwords keeps its subword rows in an int8 file, as int8
// with a scale per row, and predicts within the quantization's error.
func TestInt8Subwords(t *testing.T) {
	cfg := Config{EmbeddingDim: 3, LSTM: []int{4}, MaskPadding: true}
	c, err := NewWithSubwords(cfg, 5, 6, 2)
	if err != nil {
		t.Fatal(err)
	}
	c.Init(rand.New(rand.NewPCG(3, 4)))
	m := Meta{Config: json.RawMessage(`{"model": {"embedding_dim": 3, "lstm": [4], "mask_padding": true},
		"text": {"sequence_length": 20, "subwords": {"min_n": 3, "max_n": 4, "buckets": 6}}}`),
		Vocab: []string{"", "[UNK]", "the", "cat", "sat"}, Labels: []string{"a", "b"}}
	path := filepath.Join(t.TempDir(), "sub8.safetensors")
	if err := SaveInt8(path, c, m); err != nil {
		t.Fatal(err)
	}
	q, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if q.Embedding.Buckets != 6 || q.Embedding.Subwords == nil {
		t.Fatalf("loaded %d subword buckets, want 6", q.Embedding.Buckets)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := safetensors.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if info, ok := rd.Lookup(SubwordsTensor); !ok || info.DType != safetensors.DTypeI8 {
		t.Errorf("%s stored as %v, want I8", SubwordsTensor, info.DType)
	}
	for i, v := range c.Embedding.Subwords.Data {
		if d := math.Abs(float64(q.Embedding.Subwords.Data[i] - v)); d > 0.05/254*1.0001 {
			t.Fatalf("subword value %d: int8 %v, float %v", i, q.Embedding.Subwords.Data[i], v)
		}
	}
	bags := &embed.Bags{}
	for _, rows := range [][]int32{{}, {}, {0, 5}, {1, 2, 3}, {4}} {
		bags.Add(rows)
	}
	in := Input{Tokens: []int32{2, 3, 4, 2, 1, 0}, Lengths: []int{3, 3}, B: 2, T: 3, Bags: bags}
	want := slices.Clone(c.Forward(c.NewState(), in))
	got := q.Forward(q.NewState(), in)
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 0.02 {
			t.Errorf("logit %d: int8 %v, float %v", i, got[i], want[i])
		}
	}
}

// int8Variants returns an int8 model's tensors and metadata (no checksums)
// and hostile variants of them with the error each must give.
func int8Variants(t testing.TB) (good []byte, bad map[string]struct {
	file []byte
	msg  string
}) {
	c, m := fileFixture(t, true)
	ts, meta, err := encodeInt8(c, m)
	if err != nil {
		t.Fatal(err)
	}
	meta = withoutChecksums(meta)
	edit := func(f func(ts []safetensors.Typed, md map[string]string) []safetensors.Typed) []byte {
		ts2 := slices.Clone(ts)
		md := withoutChecksums(meta)
		return plainEncode(t, f(ts2, md), md)
	}
	find := func(ts []safetensors.Typed, name string) int {
		for i, x := range ts {
			if x.Name == name {
				return i
			}
		}
		t.Fatalf("no tensor %s", name)
		return -1
	}
	setScale := func(v float32) func([]safetensors.Typed, map[string]string) []safetensors.Typed {
		return func(ts []safetensors.Typed, _ map[string]string) []safetensors.Typed {
			i := find(ts, "lstm.0.kernel.scale")
			s := slices.Clone(ts[i].F32)
			s[1] = v
			ts[i].F32 = s
			return ts
		}
	}
	bad = map[string]struct {
		file []byte
		msg  string
	}{
		"scale shape": {edit(func(ts []safetensors.Typed, _ map[string]string) []safetensors.Typed {
			i := find(ts, "embedding.embeddings.scale")
			ts[i].Shape, ts[i].F32 = []int{4}, ts[i].F32[:4]
			return ts
		}), `tensor "embedding.embeddings.scale" is F32 [4], expected F32 [5]`},
		"scale 2-D": {edit(func(ts []safetensors.Typed, _ map[string]string) []safetensors.Typed {
			i := find(ts, "lstm.1.recurrent_kernel.scale")
			ts[i].Shape = []int{1, len(ts[i].F32)}
			return ts
		}), `tensor "lstm.1.recurrent_kernel.scale" is F32 [1 2], expected F32 [2]`},
		"scale I8": {edit(func(ts []safetensors.Typed, _ map[string]string) []safetensors.Typed {
			i := find(ts, "lstm.0.kernel.scale")
			ts[i] = safetensors.Typed{Name: ts[i].Name, DType: safetensors.DTypeI8, Shape: ts[i].Shape, I8: make([]int8, len(ts[i].F32))}
			return ts
		}), `tensor "lstm.0.kernel.scale" is I8 [3], expected F32 [3]`},
		"missing scale": {edit(func(ts []safetensors.Typed, _ map[string]string) []safetensors.Typed {
			return slices.Delete(ts, find(ts, "lstm.0.recurrent_kernel.scale"), find(ts, "lstm.0.recurrent_kernel.scale")+1)
		}), `missing tensor "lstm.0.recurrent_kernel.scale"`},
		"float weight": {edit(func(ts []safetensors.Typed, _ map[string]string) []safetensors.Typed {
			i := find(ts, "lstm.0.kernel")
			ts[i] = safetensors.Typed{Name: ts[i].Name, DType: safetensors.DTypeF32, Shape: ts[i].Shape, F32: make([]float32, len(ts[i].I8))}
			return ts
		}), `tensor "lstm.0.kernel" is F32, an int8 model file stores it as I8`},
		"int8 bias": {edit(func(ts []safetensors.Typed, _ map[string]string) []safetensors.Typed {
			i := find(ts, "dense.bias")
			ts[i] = safetensors.Typed{Name: ts[i].Name, DType: safetensors.DTypeI8, Shape: ts[i].Shape, I8: make([]int8, len(ts[i].F32))}
			return ts
		}), `tensor "dense.bias" is I8, an int8 model file stores it as F32`},
		"extra tensor": {edit(func(ts []safetensors.Typed, _ map[string]string) []safetensors.Typed {
			return append(ts, safetensors.Typed{Name: "dense.kernel.scale", DType: safetensors.DTypeF32, Shape: []int{2}, F32: []float32{1, 1}})
		}), `unexpected tensor "dense.kernel.scale" in an int8 model file`},
		"negative scale":    {edit(setScale(-1)), `tensor "lstm.0.kernel.scale": scale 1 is -1, must be finite and not negative`},
		"NaN scale":         {edit(setScale(float32(math.NaN()))), `scale 1 is NaN`},
		"Inf scale":         {edit(setScale(float32(math.Inf(1)))), `scale 1 is +Inf`},
		"overflowing scale": {edit(setScale(math.MaxFloat32)), `Inf (corrupted or diverged model)`},
		"unknown quantization": {edit(func(ts []safetensors.Typed, md map[string]string) []safetensors.Typed {
			md["quantization"] = "int4"
			return ts
		}), `unsupported quantization "int4" (this lstmctl reads "int8")`},
		"int8 without its metadata": {edit(func(ts []safetensors.Typed, md map[string]string) []safetensors.Typed {
			delete(md, "quantization")
			return ts
		}), `tensor "embedding.embeddings" is I8, expected F32`},
		"wrong weight shape": {edit(func(ts []safetensors.Typed, _ map[string]string) []safetensors.Typed {
			i := find(ts, "lstm.1.kernel")
			ts[i].Shape = []int{ts[i].Shape[1], ts[i].Shape[0]}
			return ts
		}), `tensor "lstm.1.kernel" has shape [8 4], expected [4 8]`},
	}
	return plainEncode(t, ts, meta), bad
}

// TestInt8Refuses feeds hostile int8 files: each is refused, by name,
// without a panic.
func TestInt8Refuses(t *testing.T) {
	good, bad := int8Variants(t)
	if _, m, _, err := loadFrom(bytes.NewReader(good), int64(len(good)), "q.safetensors"); err != nil || m.Checksums != ChecksumsAbsent {
		t.Fatalf("the unmodified int8 file: %+v %v", m, err)
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			_, _, _, err := loadFrom(bytes.NewReader(tc.file), int64(len(tc.file)), "q.safetensors")
			if !errors.Is(err, ErrBadFile) || !strings.HasPrefix(err.Error(), "model: q.safetensors: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v\nwant %q", err, tc.msg)
			}
		})
	}
}

// int8Seeds returns int8 files for the fuzz targets: one lstmctl wrote and
// the hostile variants.
func int8Seeds(t testing.TB) [][]byte {
	c, m := fileFixture(t, false)
	path := filepath.Join(t.TempDir(), "q.safetensors")
	if err := SaveInt8(path, c, m); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	good, bad := int8Variants(t)
	seeds := [][]byte{saved, good}
	for _, b := range bad {
		seeds = append(seeds, b.file)
	}
	return seeds
}
