package model

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// heldBytes sums the capacity, in bytes, of every slice of numbers
// reachable from v (the buffers of a State).
func heldBytes(v reflect.Value) int64 {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return heldBytes(v.Elem())
	case reflect.Struct:
		var n int64
		for i := range v.NumField() {
			if v.Type().Field(i).Name == "owner" {
				continue
			}
			n += heldBytes(v.Field(i))
		}
		return n
	case reflect.Array:
		var n int64
		for i := range v.Len() {
			n += heldBytes(v.Index(i))
		}
		return n
	case reflect.Slice:
		switch v.Type().Elem().Kind() {
		case reflect.Float32, reflect.Int32, reflect.Uint32:
			return 4 * int64(v.Cap())
		case reflect.Int:
			return 8 * int64(v.Cap())
		}
		var n int64
		for i := range v.Len() {
			n += heldBytes(v.Index(i))
		}
		return n
	}
	return 0
}

// StateBytes bounds what a State really holds after a training step, and
// not by much.
func TestStateBytesBoundsState(t *testing.T) {
	for _, cfg := range []Config{
		{EmbeddingDim: 8, LSTM: []int{6, 4}},
		{EmbeddingDim: 8, LSTM: []int{6, 4}, MaskPadding: true, Bidirectional: true, Dropout: 0.2, RecurrentDropout: 0.1, Pooling: PoolMax},
	} {
		c, err := New(cfg, 50, 3)
		if err != nil {
			t.Fatal(err)
		}
		B, T := 5, 40
		in := Input{B: B, T: T, Tokens: make([]int32, B*T), Lengths: make([]int, B), Train: true, Noise: make([]uint64, B)}
		for b := range B {
			in.Lengths[b] = T
		}
		for i := range in.Tokens {
			in.Tokens[i] = int32(i % 50)
		}
		s := c.NewState()
		logits := c.Forward(s, in)
		c.Backward(s, make([]float32, len(logits)), c.NewGrads())
		got := heldBytes(reflect.ValueOf(s))
		est := StateBytes(cfg, 3, B, B*T, true)
		if got > est || est > got*3/2 {
			t.Errorf("%+v: the State holds %d bytes, the estimate is %d", cfg, got, est)
		}
		if n := ParamCount(cfg, 50, 3); n != int64(len(flat(c.Params()))) {
			t.Errorf("ParamCount %d, the classifier has %d", n, len(flat(c.Params())))
		}
	}
}

func flat(ps []*Tensor) []float32 {
	var out []float32
	for _, p := range ps {
		out = append(out, p.Data...)
	}
	return out
}

// ListHeaderBytes is what a vocabulary adds to a model file's header.
func TestListHeaderBytes(t *testing.T) {
	cfg := Config{EmbeddingDim: 2, LSTM: []int{2}, MaskPadding: true}
	headerLen := func(vocab []string) int64 {
		c, err := New(cfg, len(vocab), 2)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := Save(path, c, Meta{Vocab: vocab, Labels: []string{"a", "b"}}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		n := binary.LittleEndian.Uint64(b)
		return int64(len(bytes.TrimRight(b[8:8+n], " "))) // without the padding
	}
	plain := []string{"", "[UNK]", "aaaaaaaa", "bbbbbbbb", "cccccccc"}
	odd := []string{"", "[UNK]", "a\"b\\c\x01", "<&>\u2028é\t", "x\ufffd"}
	got := headerLen(odd) - headerLen(plain)
	want := ListHeaderBytes(odd) - ListHeaderBytes(plain)
	if got != want {
		t.Errorf("the odd vocabulary adds %d bytes to the header, ListHeaderBytes says %d", got, want)
	}
}
