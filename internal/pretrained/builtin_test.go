package pretrained

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"testing"
)

// TestBuiltinData: the compiled-in sets are the files their generator
// wrote (scripts/builtinvectors printed these hashes), and they decode.
func TestBuiltinData(t *testing.T) {
	for _, b := range Builtins {
		sum := sha256.Sum256(b.data)
		if got := hex.EncodeToString(sum[:]); got != b.SHA256 {
			t.Errorf("%s: sha256 %s, want %s", b.Name, got, b.SHA256)
		}
		words, dim, scales, _, err := decodeBuiltin(b.data)
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		if len(words) != 100000 || dim != b.Dim || dim != 100 || words[0] != "the" {
			t.Errorf("%s: %d words of %d dimensions, first %q", b.Name, len(words), dim, words[0])
		}
		seen := map[string]bool{}
		for i, w := range words {
			if seen[w] || w == "" {
				t.Fatalf("%s: word %d %q empty or repeated", b.Name, i, w)
			}
			seen[w] = true
			if s := float64(scales[i]); !(s > 0) || math.IsInf(s, 0) {
				t.Fatalf("%s: word %q has scale %v", b.Name, w, s)
			}
		}
		if _, ok := LookupBuiltin(b.Name); !ok {
			t.Errorf("LookupBuiltin(%q) fails", b.Name)
		}
	}
	if _, ok := LookupBuiltin("glove.6B.100d"); ok {
		t.Error("a fetched set is reported built in")
	}
}

// TestBuiltinVectors: the vocabulary's tokens get the stored words'
// vectors, through their lower-cased form too, and related words are
// nearer than unrelated ones (int8 kept the geometry).
func TestBuiltinVectors(t *testing.T) {
	b, _ := LookupBuiltin("glove.6B.100d.int8")
	vocab := []string{"", "[UNK]", "king", "Queen", "banana", "qwxzzv"}
	v, err := b.Vectors(vocab)
	if err != nil {
		t.Fatal(err)
	}
	if found, total := v.Coverage(); found != 3 || total != 4 || v.Lowered != 1 || v.Dim != 100 || v.Words != 100000 || v.Name != b.Name {
		t.Fatalf("found %d of %d, lowered %d, dim %d, words %d, name %q", found, total, v.Lowered, v.Dim, v.Words, v.Name)
	}
	cos := func(a, b []float32) float64 {
		var ab, aa, bb float64
		for i := range a {
			ab += float64(a[i] * b[i])
			aa += float64(a[i] * a[i])
			bb += float64(b[i] * b[i])
		}
		return ab / math.Sqrt(aa*bb)
	}
	kq, kb := cos(v.Vector(2), v.Vector(3)), cos(v.Vector(2), v.Vector(4))
	if !(kq > 0.5 && kq > kb+0.3) {
		t.Errorf("cos(king, queen) = %.2f, cos(king, banana) = %.2f", kq, kb)
	}
}

// TestEncodeBuiltin: a round trip quantizes each value to within half a
// step of its word's scale, and bad input and damaged data are refused.
func TestEncodeBuiltin(t *testing.T) {
	words := []string{"a", "b", "zero"}
	vecs := [][]float32{{1, -0.5, 0.25}, {-3, 2.9, 0.001}, {0, 0, 0}}
	var buf bytes.Buffer
	if err := EncodeBuiltin(&buf, words, 3, func(i int) []float32 { return vecs[i] }); err != nil {
		t.Fatal(err)
	}
	got, dim, scales, q, err := decodeBuiltin(buf.Bytes())
	if err != nil || dim != 3 || !slices.Equal(got, words) {
		t.Fatalf("decode: %v %d %v", err, dim, got)
	}
	for i, v := range vecs {
		for j, x := range v {
			y := float32(int8(q[i*3+j])) * scales[i]
			if d := math.Abs(float64(y - x)); d > float64(scales[i])/2+1e-7 {
				t.Errorf("word %d value %d: %v decodes to %v", i, j, x, y)
			}
		}
	}
	if scales[0] != 1.0/127 || int8(q[0]) != 127 || int8(q[3]) != -127 {
		t.Errorf("scale %v, q %d %d: the largest magnitude should map to ±127", scales[0], int8(q[0]), int8(q[3]))
	}
	for name, bad := range map[string][]string{"space": {"a b"}, "empty": {""}} {
		if err := EncodeBuiltin(&bytes.Buffer{}, bad, 3, func(int) []float32 { return vecs[0] }); err == nil {
			t.Errorf("%s word accepted", name)
		}
	}
	if err := EncodeBuiltin(&bytes.Buffer{}, []string{"a"}, 3, func(int) []float32 { return []float32{1, float32(math.NaN()), 0} }); err == nil {
		t.Error("NaN accepted")
	}
	data := buf.Bytes()
	for name, d := range map[string][]byte{
		"truncated": data[:len(data)-1],
		"longer":    append(slices.Clone(data), 0),
		"magic":     append([]byte("x"), data[1:]...),
		"empty":     nil,
	} {
		if _, _, _, _, err := decodeBuiltin(d); !errors.Is(err, errBuiltin) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
