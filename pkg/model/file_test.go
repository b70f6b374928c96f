package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/internal/safetensors"
)

// fileFixture returns a small initialised classifier and matching metadata.
func fileFixture(t testing.TB, mask bool) (*Classifier, Meta) {
	t.Helper()
	cfg := Config{EmbeddingDim: 3, LSTM: []int{4, 2}, MaskPadding: mask}
	c, err := New(cfg, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	c.Init(rand.New(rand.NewPCG(7, 1)))
	for _, p := range c.Params() { // non-zero biases too, so every tensor is checked
		for i := range p.Data {
			if p.Data[i] == 0 {
				p.Data[i] = float32(i%7) * 0.01
			}
		}
	}
	config := fmt.Sprintf(`{"data": {"format": "auto"},
		"model": {"embedding_dim": 3, "lstm": [4, 2], "mask_padding": %v},
		"text": {"sequence_length": 20}}`, mask)
	return c, Meta{
		Config: json.RawMessage(config),
		Vocab:  []string{"", "[UNK]", "the", "<b>&", "ünï\"\n"},
		Labels: []string{"sports", "world", "b&w"},
		Extra:  map[string]string{"note": "hello"},
	}
}

func mustSave(t testing.TB, dir string, c *Classifier, m Meta) string {
	t.Helper()
	path := filepath.Join(dir, "model.safetensors")
	if err := Save(path, c, m); err != nil {
		t.Fatal(err)
	}
	return path
}

func sameParams(t *testing.T, got, want []*Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || !slices.Equal(g.Shape, w.Shape) || len(g.Data) != len(w.Data) {
			t.Fatalf("tensor %d: %s %v, want %s %v", i, g.Name, g.Shape, w.Name, w.Shape)
		}
		for j := range w.Data {
			if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
				t.Fatalf("%s[%d] = %v, want %v", w.Name, j, g.Data[j], w.Data[j])
			}
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, mask := range []bool{true, false} {
		c, m := fileFixture(t, mask)
		path := mustSave(t, t.TempDir(), c, m)
		got, gm, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		sameParams(t, got.Params(), c.Params())
		if !reflect.DeepEqual(got.Config, c.Config) || got.Vocab != 5 || got.Classes != 3 {
			t.Errorf("loaded %+v V=%d C=%d, want %+v", got.Config, got.Vocab, got.Classes, c.Config)
		}
		var compact bytes.Buffer
		_ = json.Compact(&compact, m.Config)
		want := m
		want.Config = compact.Bytes()
		want.Checksums = ChecksumsVerified
		if !reflect.DeepEqual(*gm, want) {
			t.Errorf("meta:\n got %+v\nwant %+v", *gm, want)
		}
		// The loaded weights are the ones the model computes with.
		in := Input{Tokens: []int32{2, 3, 4, 0, 1, 0}, Lengths: []int{2, 1, 0}, B: 3, T: 2}
		if !mask {
			in.Lengths = nil
		}
		a := slices.Clone(c.Forward(c.NewState(), in))
		b := got.Forward(got.NewState(), in)
		if !slices.Equal(a, b) {
			t.Errorf("logits differ: %v vs %v", a, b)
		}
		// Saving the loaded model again gives the same bytes.
		again := filepath.Join(t.TempDir(), "again.safetensors")
		if err := Save(again, got, *gm); err != nil {
			t.Fatal(err)
		}
		b1, _ := os.ReadFile(path)
		b2, _ := os.ReadFile(again)
		if !bytes.Equal(b1, b2) {
			t.Error("save(load(file)) differs from file")
		}
	}
}

func TestSaveDefaultConfig(t *testing.T) {
	c, m := fileFixture(t, true)
	m.Config, m.Extra = nil, nil
	_, gm, err := Load(mustSave(t, t.TempDir(), c, m))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true}}`; string(gm.Config) != want {
		t.Errorf("config %s, want %s", gm.Config, want)
	}
	if gm.Extra != nil {
		t.Errorf("Extra = %v, want nil", gm.Extra)
	}
}

// TestFileLayout reads a saved file with nothing but encoding/binary and
// encoding/json, as another safetensors reader would.
func TestFileLayout(t *testing.T) {
	c, m := fileFixture(t, true)
	b, err := os.ReadFile(mustSave(t, t.TempDir(), c, m))
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 {
		t.Errorf("header length %d: data not 8-byte aligned", n)
	}
	header, data := b[8:8+n], b[8+n:]
	type entry struct {
		DType   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	if err := json.Unmarshal(raw["__metadata__"], &meta); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(header, []byte(`{"__metadata__":{`)) {
		t.Errorf("header does not start with the metadata: %.40s", header)
	}
	sum := sha256.Sum256(data)
	wantMeta := map[string]string{
		"format":         "lstmctl",
		"format_version": "1",
		"config":         `{"data":{"format":"auto"},"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true},"text":{"sequence_length":20}}`,
		"vocab":          `["","[UNK]","the","\u003cb\u003e\u0026","ünï\"\n"]`,
		"labels":         `["sports","world","b\u0026w"]`,
		"note":           "hello",
		"sha256":         hex.EncodeToString(sum[:]),
	}
	for k, v := range wantMeta {
		if meta[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, meta[k], v)
		}
	}
	if len(meta) != len(wantMeta)+1 || len(meta["header_sha256"]) != 64 {
		t.Errorf("metadata keys %v", meta)
	}
	var off int64
	var wantData []byte
	lastPos := 0
	for _, p := range c.Params() {
		var e entry
		if err := json.Unmarshal(raw[p.Name], &e); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		size := int64(4 * len(p.Data))
		if e.DType != "F32" || !slices.Equal(e.Shape, p.Shape) || e.Offsets != [2]int64{off, off + size} {
			t.Errorf("%s: %+v, want F32 %v [%d %d]", p.Name, e, p.Shape, off, off+size)
		}
		// Header order is Params order.
		pos := bytes.Index(header, []byte(`"`+p.Name+`":`))
		if pos < lastPos {
			t.Errorf("%s out of order in the header", p.Name)
		}
		lastPos = pos
		off += size
		for _, v := range p.Data {
			wantData = binary.LittleEndian.AppendUint32(wantData, math.Float32bits(v))
		}
	}
	if len(raw) != len(c.Params())+1 {
		t.Errorf("header has %d entries", len(raw))
	}
	if !bytes.Equal(data, wantData) {
		t.Error("data region is not the little-endian float32 parameters in order")
	}
	expect := []string{"embedding.embeddings", "lstm.0.kernel", "lstm.0.recurrent_kernel", "lstm.0.bias",
		"lstm.1.kernel", "lstm.1.recurrent_kernel", "lstm.1.bias", "dense.kernel", "dense.bias"}
	for i, p := range c.Params() {
		if p.Name != expect[i] {
			t.Errorf("tensor %d is %s, want %s", i, p.Name, expect[i])
		}
	}
	i := 0
	for name, shape := range paramShapes(c.Config, 5, 0, 3) {
		if p := c.Params()[i]; name != p.Name || !slices.Equal(shape, p.Shape) {
			t.Errorf("paramShapes %d = %s %v, Params has %s %v", i, name, shape, p.Name, p.Shape)
		}
		i++
	}
	if i != len(c.Params()) {
		t.Errorf("paramShapes yields %d tensors", i)
	}
}

// writeRaw stores c's parameters (or ts) with the given metadata, bypassing
// Save's checks, so Load's own checks can be tested on well-formed files.
func writeRaw(t *testing.T, path string, ts []safetensors.Tensor, meta map[string]string) {
	t.Helper()
	if err := safetensors.WriteFile(path, ts, meta); err != nil {
		t.Fatal(err)
	}
}

func rawParts(t *testing.T, c *Classifier, m Meta) ([]safetensors.Tensor, map[string]string) {
	t.Helper()
	ts, meta, err := encodeModel(c, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ts, meta
}

func TestLoadRefuses(t *testing.T) {
	c, m := fileFixture(t, true)
	dir := t.TempDir()
	nan := float32(math.NaN())
	type edit func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor
	setMeta := func(k, v string) edit {
		return func(ts []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
			if v == "<delete>" {
				delete(meta, k)
			} else {
				meta[k] = v
			}
			return ts
		}
	}
	cases := []struct {
		name string
		edit edit
		msg  string
	}{
		{"foreign format", setMeta("format", "foo"), `not an lstmctl model (format "foo")`},
		{"no format", setMeta("format", "<delete>"), `not an lstmctl model (no "format" metadata)`},
		{"version", setMeta("format_version", "2"), `unsupported format_version "2" (this lstmctl reads "1")`},
		{"no version", setMeta("format_version", "<delete>"), `unsupported format_version ""`},
		{"no config", setMeta("config", "<delete>"), `missing "config" metadata`},
		{"config not json", setMeta("config", "{model"), "config is not a JSON object"},
		{"config array", setMeta("config", "[]"), "config is not a JSON object"},
		{"config null", setMeta("config", "null"), "config is not a JSON object"},
		{"no model section", setMeta("config", `{"text":{}}`), `config has no "model" section`},
		{"model not object", setMeta("config", `{"model":[3]}`), `"model" section is not an object`},
		{"no mask_padding", setMeta("config", `{"model":{"embedding_dim":3,"lstm":[4,2]}}`), `no "mask_padding"`},
		{"unknown model key", setMeta("config", `{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":true,"dropout_rate":0.5}}`), `unknown field "dropout_rate"`},
		{"bad model value", setMeta("config", `{"model":{"embedding_dim":"3","lstm":[4,2],"mask_padding":true}}`), "config model section"},
		{"invalid model config", setMeta("config", `{"model":{"embedding_dim":0,"lstm":[4,2],"mask_padding":true}}`), "embedding_dim must be positive"},
		{"huge dim", setMeta("config", `{"model":{"embedding_dim":3,"lstm":[4,2147483648],"mask_padding":true}}`), "lstm[1] = 2147483648 is too large"},
		{"many layers", setMeta("config", `{"model":{"embedding_dim":3,"lstm":[4,`+strings.Repeat("2,", 998)+`2],"mask_padding":true}}`), "missing tensor \"lstm.2.kernel\""},
		{"other config", setMeta("config", `{"model":{"embedding_dim":3,"lstm":[4,3],"mask_padding":true}}`), `tensor "lstm.1.kernel" has shape [4 8], expected [4 12]`},
		{"no vocab", setMeta("vocab", "<delete>"), `missing "vocab" metadata`},
		{"vocab not array", setMeta("vocab", `{"a":1}`), "vocab metadata is not a JSON array of strings"},
		{"vocab null element", setMeta("vocab", `["",null,"a","b","c"]`), "vocab[1] is null"},
		{"vocab short", setMeta("vocab", `[""]`), "vocab has 1 tokens, needs at least 2"},
		{"vocab no padding", setMeta("vocab", `["x","[UNK]","a","b","c"]`), `vocab[0] is "x", must be ""`},
		{"vocab no unk", setMeta("vocab", `["","unk","a","b","c"]`), `vocab[1] is "unk", must be "[UNK]"`},
		{"vocab duplicate", setMeta("vocab", `["","[UNK]","a","b","a"]`), `duplicate vocab token "a" (at 2 and 4)`},
		{"vocab size", setMeta("vocab", `["","[UNK]","a","b","c","d"]`), `tensor "embedding.embeddings" has shape [5 3], expected [6 3]`},
		{"no labels", setMeta("labels", "[]"), "no labels"},
		{"labels duplicate", setMeta("labels", `["a","b","a"]`), `duplicate label "a"`},
		{"labels not array", setMeta("labels", `"a"`), "labels metadata is not a JSON array"},
		{"labels size", setMeta("labels", `["a","b"]`), `tensor "dense.kernel" has shape [2 3], expected [2 2]`},
		{"missing tensor", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			return ts[:len(ts)-1]
		}, `missing tensor "dense.bias"`},
		{"renamed tensor", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			ts[1].Name = "lstm.0.kernel2"
			return ts
		}, `missing tensor "lstm.0.kernel"`},
		{"extra tensor", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			return append(ts, safetensors.Tensor{Name: "adam.m", Shape: []int{1}, Data: []float32{0}})
		}, `unexpected tensor "adam.m" (a checkpoint?`},
		{"transposed", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			ts[7].Shape = []int{3, 2}
			return ts
		}, `tensor "dense.kernel" has shape [3 2], expected [2 3]`},
		{"NaN weight", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			ts[5].Data = slices.Clone(ts[5].Data)
			ts[5].Data[3] = nan
			return ts
		}, `tensor "lstm.1.recurrent_kernel": element 3 is NaN (corrupted or diverged model)`},
		{"Inf weight", func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			ts[0].Data = slices.Clone(ts[0].Data)
			ts[0].Data[0] = float32(math.Inf(-1))
			return ts
		}, `tensor "embedding.embeddings": element 0 is -Inf`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, meta := rawParts(t, c, m)
			ts = tc.edit(slices.Clone(ts), meta)
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".safetensors")
			writeRaw(t, path, ts, meta)
			_, _, err := Load(path)
			if !errors.Is(err, ErrBadFile) {
				t.Fatalf("error %v does not wrap ErrBadFile", err)
			}
			if want := "model: " + path + ": "; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q\nwant %q...%q", err, want, tc.msg)
			}
		})
	}
}

// stripHeaderSum rewrites a valid file without its header_sha256 entry.
func stripHeaderSum(t *testing.T, b []byte) []byte {
	n := binary.LittleEndian.Uint64(b)
	header := string(b[8 : 8+n])
	i := strings.Index(header, `"header_sha256":"`)
	if i < 0 {
		t.Fatal("no header_sha256")
	}
	header = header[:i] + header[i+len(`"header_sha256":"`)+64+2:]
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), b[8+n:]...)
}

func TestLoadNeedsHeaderChecksum(t *testing.T) {
	c, m := fileFixture(t, true)
	dir := t.TempDir()
	b, _ := os.ReadFile(mustSave(t, dir, c, m))
	stripped := stripHeaderSum(t, b)
	if _, _, err := safetensors.Decode(stripped); err != nil {
		t.Fatalf("stripped file is not valid safetensors: %v", err)
	}
	path := filepath.Join(dir, "stripped.safetensors")
	if err := os.WriteFile(path, stripped, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(path)
	if !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "missing header_sha256 metadata beside the other checksum (file corrupted?)") {
		t.Fatalf("Load: %v", err)
	}
}

func TestLoadCorrupted(t *testing.T) {
	c, m := fileFixture(t, true)
	dir := t.TempDir()
	path := mustSave(t, dir, c, m)
	good, _ := os.ReadFile(path)
	n := int(binary.LittleEndian.Uint64(good))

	// One flipped byte, anywhere: refused. In the data region: a checksum error.
	for i := range good {
		for _, mask := range []byte{0x01, 0x80} {
			b := slices.Clone(good)
			b[i] ^= mask
			_, _, _, err := loadFrom(bytes.NewReader(b), int64(len(b)), "m.safetensors")
			if err == nil {
				t.Fatalf("byte %d ^ %#x accepted", i, mask)
			}
			if !errors.Is(err, ErrBadFile) || !strings.HasPrefix(err.Error(), "model: m.safetensors: ") {
				t.Fatalf("byte %d ^ %#x: %v", i, mask, err)
			}
			if i >= 8+n && (!errors.Is(err, safetensors.ErrChecksum) ||
				err.Error() != "model: m.safetensors: checksum mismatch (file corrupted?): the data does not match its sha256") {
				t.Fatalf("byte %d ^ %#x in the data: %v", i, mask, err)
			}
		}
	}
	// The same through a file.
	b := slices.Clone(good)
	b[len(b)/2+n/2] ^= 0x10
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(bad)
	if !errors.Is(err, safetensors.ErrChecksum) || !strings.HasPrefix(err.Error(), "model: "+bad+": checksum mismatch (file corrupted?)") {
		t.Fatalf("Load(flipped): %v", err)
	}

	// Cut at every length: truncated.
	for cut := range good {
		_, _, _, err := loadFrom(bytes.NewReader(good[:cut]), int64(cut), "m.safetensors")
		if !errors.Is(err, safetensors.ErrTruncated) || !errors.Is(err, ErrBadFile) ||
			!strings.HasPrefix(err.Error(), "model: m.safetensors: truncated file") {
			t.Fatalf("cut at %d: %v", cut, err)
		}
	}
	half := filepath.Join(dir, "half.safetensors")
	if err := os.WriteFile(half, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(half); !strings.HasPrefix(fmt.Sprint(err), "model: "+half+": truncated file") {
		t.Fatalf("Load(half): %v", err)
	}
}

func TestLoadForeignFiles(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content, msg string
	}{
		{"text.txt", "__label__a hello world\n", "exceeds the limit"},
		{"empty", "", "truncated file"},
		{"tiny", "abc", "truncated file"},
		{"json", `{"format":"lstmctl"}` + strings.Repeat(" ", 40), "exceeds the limit"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := Load(path)
		if !errors.Is(err, ErrBadFile) || !strings.HasPrefix(fmt.Sprint(err), "model: "+path+": ") || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// A valid safetensors file from another program.
	other := filepath.Join(dir, "other.safetensors")
	writeRaw(t, other, []safetensors.Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}}, map[string]string{"format": "pt"})
	if _, _, err := Load(other); err == nil || err.Error() != "model: "+other+`: not an lstmctl model (format "pt")` {
		t.Errorf("foreign safetensors: %v", err)
	}
	// Not a file.
	if _, _, err := Load(dir); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	missing := filepath.Join(dir, "missing.safetensors")
	_, _, err := Load(missing)
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing: %v", err)
	}
}

func TestSaveRefuses(t *testing.T) {
	c, m := fileFixture(t, true)
	dir := t.TempDir()
	path := mustSave(t, dir, c, m)
	good, _ := os.ReadFile(path)
	cases := []struct {
		name  string
		edit  func(m *Meta)
		extra []*Tensor
		nan   bool
		msg   string
	}{
		{name: "vocab size", edit: func(m *Meta) { m.Vocab = m.Vocab[:4] }, msg: "vocab has 4 tokens, the classifier 5"},
		{name: "labels size", edit: func(m *Meta) { m.Labels = m.Labels[:2] }, msg: "2 labels, the classifier has 3 classes"},
		{name: "vocab padding", edit: func(m *Meta) { m.Vocab = []string{"x", "[UNK]", "a", "b", "c"} }, msg: `vocab[0] is "x"`},
		{name: "vocab dup", edit: func(m *Meta) { m.Vocab = []string{"", "[UNK]", "a", "b", "a"} }, msg: `duplicate vocab token "a"`},
		{name: "vocab utf8", edit: func(m *Meta) { m.Vocab = []string{"", "[UNK]", "a", "b", "\xff"} }, msg: "not valid UTF-8"},
		{name: "labels dup", edit: func(m *Meta) { m.Labels = []string{"a", "a", "b"} }, msg: `duplicate label "a"`},
		{name: "config mismatch", edit: func(m *Meta) {
			m.Config = json.RawMessage(`{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":false}}`)
		}, msg: "does not describe the classifier"},
		{name: "config invalid", edit: func(m *Meta) { m.Config = json.RawMessage(`{"model":`) }, msg: "config is not a JSON object"},
		{name: "reserved extra", edit: func(m *Meta) { m.Extra = map[string]string{"sha256": "x"} }, msg: `metadata key "sha256" is reserved`},
		{name: "reserved vocab", edit: func(m *Meta) { m.Extra = map[string]string{"vocab": "x"} }, msg: `metadata key "vocab" is reserved`},
		{name: "extra clash", extra: []*Tensor{{Name: "dense.bias", Shape: []int{3}, Data: make([]float32, 3)}}, msg: `duplicate tensor name "dense.bias"`},
		{name: "extra nil", extra: []*Tensor{nil}, msg: "extra tensor 0 is nil"},
		{name: "extra size", extra: []*Tensor{{Name: "x", Shape: []int{2}, Data: make([]float32, 3)}}, msg: "needs 2 values"},
		{name: "extra NaN", extra: []*Tensor{{Name: "x", Shape: []int{1}, Data: []float32{float32(math.NaN())}}}, msg: `tensor "x": element 0 is NaN`},
		{name: "NaN weight", nan: true, msg: `tensor "dense.kernel": element 1 is NaN`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mm := m
			if tc.edit != nil {
				tc.edit(&mm)
			}
			cc := c
			if tc.nan {
				cc, _ = fileFixture(t, true)
				cc.Params()[7].Data[1] = float32(math.NaN())
			}
			err := SaveWith(path, cc, mm, tc.extra)
			if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want %q naming the file", err, tc.msg)
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(now, good) {
				t.Error("the good file was changed")
			}
		})
	}
	if err := Save(path, nil, m); err == nil {
		t.Error("nil classifier saved")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the good file", len(ents))
	}
}

func TestSaveOutputErrors(t *testing.T) {
	c, m := fileFixture(t, true)
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir", "model.safetensors")
	err := Save(missing, c, m)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(fmt.Sprint(err), "model: ") || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing dir: %v", err)
	}
	// The target is a directory: refused, nothing left behind.
	target := filepath.Join(dir, "model.safetensors")
	if err := os.MkdirAll(filepath.Join(target, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Save(target, c, m); err == nil || !strings.Contains(err.Error(), target) {
		t.Errorf("directory target: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "model.safetensors" {
		t.Errorf("directory holds %v", ents)
	}
	if os.Geteuid() != 0 { // root ignores permissions
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(ro, "m.safetensors")
		if err := Save(path, c, m); !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), path) {
			t.Errorf("read-only dir: %v", err)
		}
		if ents, _ := os.ReadDir(ro); len(ents) != 0 {
			t.Errorf("read-only dir holds %v", ents)
		}
	}
}

func TestSaveWithLoadWith(t *testing.T) {
	c, m := fileFixture(t, true)
	m.Extra = map[string]string{"step": "12", "rng": "abc"}
	var extra []*Tensor
	for _, p := range c.Params() {
		e := &Tensor{Name: "adam.m." + p.Name, Shape: slices.Clone(p.Shape), Data: make([]float32, len(p.Data))}
		for i := range e.Data {
			e.Data[i] = float32(i) * 1e-3
		}
		extra = append(extra, e)
	}
	extra = append(extra, &Tensor{Name: "step", Shape: []int{}, Data: []float32{12}})
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := SaveWith(path, c, m, extra); err != nil {
		t.Fatal(err)
	}
	got, gm, gotExtra, err := LoadWith(path)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, got.Params(), c.Params())
	sameParams(t, gotExtra, extra)
	if !reflect.DeepEqual(gm.Extra, m.Extra) {
		t.Errorf("Extra = %v", gm.Extra)
	}
	// Load refuses a checkpoint, naming the first extra tensor.
	if _, _, err := Load(path); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), `unexpected tensor "adam.m.embedding.embeddings"`) {
		t.Errorf("Load(checkpoint): %v", err)
	}
	// LoadWith reads a plain model with no extra tensors.
	plain := mustSave(t, t.TempDir(), c, m)
	if _, _, ex, err := LoadWith(plain); err != nil || len(ex) != 0 {
		t.Errorf("LoadWith(model): %v %v", ex, err)
	}
}

// TestLoadHostileSizes checks that sizes claimed by a file are not trusted:
// a tiny file with a huge header length or a huge claimed model is refused
// without allocating it.
func TestLoadHostileSizes(t *testing.T) {
	c, m := fileFixture(t, true)
	ts, meta := rawParts(t, c, m)
	meta["vocab"] = `["","[UNK]"]`
	meta["config"] = `{"model":{"embedding_dim":1000000000,"lstm":[1000000000],"mask_padding":true}}`
	hostile, err := safetensors.Encode(ts[:6], meta)
	if err != nil {
		t.Fatal(err)
	}
	files := [][]byte{
		binary.LittleEndian.AppendUint64(nil, 1<<62),
		append(binary.LittleEndian.AppendUint64(nil, safetensors.MaxHeaderSize), "{}"...),
		hostile,
	}
	for i, f := range files {
		var before, after runtimeMem
		before.read()
		_, _, _, err := loadFrom(bytes.NewReader(f), int64(len(f)), "h")
		after.read()
		if !errors.Is(err, ErrBadFile) {
			t.Errorf("file %d: %v", i, err)
		}
		if d := after.total - before.total; d > 1<<20 {
			t.Errorf("file %d (%d bytes) allocated %d bytes", i, len(f), d)
		}
	}
}

type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}
