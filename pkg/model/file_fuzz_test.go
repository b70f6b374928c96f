package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/internal/safetensors"
)

// fuzzSeeds returns valid model and checkpoint files and broken variants.
func fuzzSeeds(t testing.TB) [][]byte {
	dir := t.TempDir()
	var seeds [][]byte
	for i, mask := range []bool{true, false} {
		c, m := fileFixture(t, mask)
		path := filepath.Join(dir, "m.safetensors")
		var extra []*Tensor
		if i == 1 {
			extra = []*Tensor{{Name: "adam.step", Shape: []int{1}, Data: []float32{3}}}
		}
		if err := SaveWith(path, c, m, extra); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	good := seeds[0]
	n := binary.LittleEndian.Uint64(good)
	flipped := bytes.Clone(good)
	flipped[len(flipped)-3] ^= 0x40
	headerFlip := bytes.Clone(good)
	headerFlip[8+n/2] ^= 0x01
	foreign, err := safetensors.Encode([]safetensors.Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}}}, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	seeds = append(seeds, int8Seeds(t)...)
	return append(seeds, good[:len(good)/2], good[:8+n], flipped, headerFlip, foreign, nil,
		binary.LittleEndian.AppendUint64(nil, 1<<40))
}

// FuzzLoad feeds arbitrary bytes to the model loader. Properties: no panic;
// a refusal names the file; an accepted file's data region matches the
// sha256 in its header (read independently with encoding/json), the model
// agrees with the metadata, and saving it again gives a file that loads to
// the same weights, metadata and extra tensors.
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, m, extra, err := loadFrom(bytes.NewReader(b), int64(len(b)), "fuzz.safetensors")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "model: fuzz.safetensors: ") || !errors.Is(err, ErrBadFile) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		n := binary.LittleEndian.Uint64(b)
		var header struct {
			Meta map[string]string `json:"__metadata__"`
		}
		if err := json.Unmarshal(b[8:8+n], &header); err != nil {
			t.Fatalf("accepted a header encoding/json refuses: %v", err)
		}
		sum := sha256.Sum256(b[8+n:])
		if want, ok := header.Meta["sha256"]; ok && want != hex.EncodeToString(sum[:]) {
			t.Fatalf("accepted a file whose data does not match its sha256")
		}
		if _, ok := header.Meta["sha256"]; ok != (m.Checksums == ChecksumsVerified) {
			t.Fatalf("Checksums = %q for a file with sha256 %v", m.Checksums, ok)
		}
		checkLoaded(t, c, m, extra)
	})
}

// FuzzLoadMeta fuzzes the config, vocab and labels metadata of an otherwise
// valid file (checksums are computed after the mutation), to reach the
// model-level checks. Same properties as FuzzLoad.
func FuzzLoadMeta(f *testing.F) {
	c, m := fileFixture(f, true)
	ts, meta, err := encodeModel(c, m, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(meta["config"], meta["vocab"], meta["labels"], meta["format_version"])
	f.Add(`{"model":{"embedding_dim":3,"lstm":[4,2],"mask_padding":false}}`, `["","[UNK]","a","b","c"]`, `["x","y","z"]`, "1")
	f.Add(`{"model":{"embedding_dim":3,"lstm":[4],"mask_padding":true}}`, `["","[UNK]","a","b","a"]`, `["x","y","z"]`, "1")
	f.Add(`{"model":{"embedding_dim":3,"lstm":[4,2,2],"mask_padding":true}}`, `["","[UNK]","\u0000","b","c"]`, `["x","y",null]`, "01")
	f.Fuzz(func(t *testing.T, config, vocab, labels, version string) {
		md := make(map[string]string, len(meta))
		for k, v := range meta {
			md[k] = v
		}
		md["config"], md["vocab"], md["labels"], md["format_version"] = config, vocab, labels, version
		b, err := safetensors.Encode(ts, md)
		if err != nil {
			return // not valid UTF-8: cannot be written
		}
		c2, m2, extra, err := loadFrom(bytes.NewReader(b), int64(len(b)), "fuzz.safetensors")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "model: fuzz.safetensors: ") || !errors.Is(err, ErrBadFile) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		checkLoaded(t, c2, m2, extra)
	})
}

// checkLoaded checks an accepted model against its metadata and round-trips
// it through what SaveWith and LoadWith do, in memory (fsync per execution
// would starve the fuzzer).
func checkLoaded(t *testing.T, c *Classifier, m *Meta, extra []*Tensor) {
	t.Helper()
	if c.Vocab != len(m.Vocab) || c.Classes != len(m.Labels) || m.Vocab[0] != "" || m.Vocab[1] != "[UNK]" {
		t.Fatalf("model V=%d C=%d does not match meta %d tokens %d labels", c.Vocab, c.Classes, len(m.Vocab), len(m.Labels))
	}
	if err := safetensors.AllFinite(toST(c.Params())); err != nil {
		t.Fatalf("accepted non-finite weights: %v", err)
	}
	ts, meta, err := encodeModel(c, *m, extra)
	if err != nil {
		t.Fatalf("cannot save an accepted model: %v", err)
	}
	b, err := safetensors.Encode(ts, meta)
	if err != nil {
		t.Fatalf("cannot save an accepted model: %v", err)
	}
	c2, m2, extra2, err := loadFrom(bytes.NewReader(b), int64(len(b)), "again")
	if err != nil {
		t.Fatalf("cannot load a saved model: %v", err)
	}
	sameParams(t, c2.Params(), c.Params())
	sameParams(t, extra2, extra)
	if !bytes.Equal(m2.Config, m.Config) || strings.Join(m2.Vocab, "\x00") != strings.Join(m.Vocab, "\x00") ||
		strings.Join(m2.Labels, "\x00") != strings.Join(m.Labels, "\x00") || len(m2.Extra) != len(m.Extra) {
		t.Fatalf("meta changed in a round trip: %+v vs %+v", m2, m)
	}
}

func toST(ts []*Tensor) []safetensors.Tensor {
	out := make([]safetensors.Tensor, len(ts))
	for i, t := range ts {
		out[i] = safetensors.Tensor(*t)
	}
	return out
}
