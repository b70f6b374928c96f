package model

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/lstmctl/lstmctl/internal/safetensors"
)

// QuantInt8 is the "quantization" metadata of an int8 model file.
//
// # The int8 model file
//
// It is a model file (see Format) with "quantization": "int8" in its
// metadata, whose embedding, subword rows (text.subwords) and LSTM kernels
// (every 2-D weight but dense.kernel) are stored as int8 with one float32
// scale per row:
//
//	NAME         I8  [R, C]   q
//	NAME.scale   F32 [R]      s
//
// so that the weight is W[r, c] = q[r, c] · s[r]. Each scale tensor follows
// its weight; the biases and the dense layer stay F32. Quantize chooses
// s[r] = max_c |W[r, c]| / 127 and q = round(W / s) in [-127, 127] (a row
// of zeros has scale 0). Load dequantizes once, so a loaded int8 model runs
// exactly the float32 code.
//
// Load refuses, besides what it refuses in a float32 file: another
// quantization value, a weight of the wrong dtype (F32 where I8 is expected
// or the other way round), a missing scale, a scale of another shape or
// dtype, a negative or non-finite scale, and any tensor it does not expect.
const QuantInt8 = "int8"

// scaleSuffix names the scale tensor of a quantized weight.
const scaleSuffix = ".scale"

// quantizedParam reports whether an int8 file stores the parameter of this
// name and shape as int8: the 2-D weights but the dense kernel (which is
// small and feeds the logits directly).
func quantizedParam(name string, shape []int) bool {
	return len(shape) == 2 && name != "dense.kernel"
}

// quantizeRows returns the int8 values and per-row scales of the
// row-major [rows, cols] matrix w (see QuantInt8).
func quantizeRows(w []float32, rows, cols int) ([]int8, []float32) {
	q := make([]int8, len(w))
	scale := make([]float32, rows)
	for r := range rows {
		row := w[r*cols : (r+1)*cols]
		var m float32
		for _, v := range row {
			m = max(m, float32(math.Abs(float64(v))))
		}
		s := m / 127
		scale[r] = s
		if s == 0 {
			continue
		}
		for c, v := range row {
			x := math.Round(float64(v / s))
			q[r*cols+c] = int8(max(-127, min(127, x)))
		}
	}
	return q, scale
}

// dequantizeRows writes w[r, c] = q[r, c] · scale[r].
func dequantizeRows(w []float32, q []int8, scale []float32, cols int) {
	for r, s := range scale {
		for c, v := range q[r*cols : (r+1)*cols] {
			w[r*cols+c] = float32(v) * s
		}
	}
}

// SaveInt8 writes c and m to path as an int8 model file (see QuantInt8),
// atomically like Save. m.Extra may not hold checkpoint state: an int8 file
// is for prediction.
func SaveInt8(path string, c *Classifier, m Meta) error {
	tensors, meta, err := encodeInt8(c, m)
	if err != nil {
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	if err := safetensors.WriteFileTyped(path, tensors, meta); err != nil {
		if cause := errors.Unwrap(err); cause != nil {
			err = cause // drop the "safetensors: write PATH" layer
		}
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	return nil
}

// encodeInt8 checks c and m and returns what an int8 file of them holds.
func encodeInt8(c *Classifier, m Meta) ([]safetensors.Typed, map[string]string, error) {
	tensors, meta, err := encodeModel(c, m, nil)
	if err != nil {
		return nil, nil, err
	}
	meta[keyQuantization] = QuantInt8
	out := make([]safetensors.Typed, 0, 2*len(tensors))
	for _, t := range tensors {
		if !quantizedParam(t.Name, t.Shape) {
			out = append(out, safetensors.Typed{Name: t.Name, DType: safetensors.DTypeF32, Shape: t.Shape, F32: t.Data})
			continue
		}
		q, s := quantizeRows(t.Data, t.Shape[0], t.Shape[1])
		out = append(out,
			safetensors.Typed{Name: t.Name, DType: safetensors.DTypeI8, Shape: t.Shape, I8: q},
			safetensors.Typed{Name: t.Name + scaleSuffix, DType: safetensors.DTypeF32, Shape: t.Shape[:1], F32: s})
	}
	return out, meta, nil
}

// loadInt8 reads the weights of an int8 model file whose header rd has
// checked (buckets subword rows, 0 for none), given the parameters want (names and shapes, checked against
// the header by CheckShapes), and returns the classifier with them
// dequantized. Every dtype and scale shape is checked on the header before
// anything of the weights' size is allocated.
func loadInt8(rd *safetensors.Reader, name string, cfg Config, v, buckets, classes int, want []Tensor) (*Classifier, error) {
	expected := make(map[string]bool, 2*len(want))
	for _, p := range want {
		info, _ := rd.Lookup(p.Name) // present: CheckShapes found it
		dtype := safetensors.DTypeF32
		if quantizedParam(p.Name, p.Shape) {
			dtype = safetensors.DTypeI8
		}
		if info.DType != dtype {
			return nil, badFile(name, "tensor %q is %s, an int8 model file stores it as %s", p.Name, info.DType, dtype)
		}
		expected[p.Name] = true
		if dtype == safetensors.DTypeF32 {
			continue
		}
		sname := p.Name + scaleSuffix
		s, ok := rd.Lookup(sname)
		switch {
		case !ok:
			return nil, badFile(name, "missing tensor %q (the scales of the int8 tensor %q)", sname, p.Name)
		case s.DType != safetensors.DTypeF32 || !slices.Equal(s.Shape, p.Shape[:1]):
			return nil, badFile(name, "tensor %q is %s %v, expected F32 [%d] (one scale per row of %q)",
				sname, s.DType, s.Shape, p.Shape[0], p.Name)
		}
		expected[sname] = true
	}
	for _, info := range rd.Tensors() {
		if !expected[info.Name] {
			return nil, badFile(name, "unexpected tensor %q in an int8 model file", info.Name)
		}
	}
	ts, err := rd.ReadTyped()
	if err != nil {
		return nil, readError(name, err)
	}
	byName := make(map[string]safetensors.Typed, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	c, err := NewWithSubwords(cfg, v, buckets, classes)
	if err != nil {
		return nil, badFile(name, "%v", err)
	}
	for _, p := range c.Params() {
		t := byName[p.Name]
		if t.DType == safetensors.DTypeF32 {
			copy(p.Data, t.F32)
			continue
		}
		scale := byName[p.Name+scaleSuffix].F32
		for r, s := range scale {
			if !(s >= 0) || math.IsInf(float64(s), 0) {
				return nil, badFile(name, "tensor %q: scale %d is %v, must be finite and not negative", p.Name+scaleSuffix, r, s)
			}
		}
		dequantizeRows(p.Data, t.I8, scale, p.Shape[1])
	}
	weights := make([]safetensors.Tensor, 0, len(c.Params()))
	for _, p := range c.Params() {
		weights = append(weights, safetensors.Tensor(*p))
	}
	if err := safetensors.AllFinite(weights); err != nil {
		return nil, &FileError{Path: name, Msg: stMsg(err) + " (corrupted or diverged model)", Err: err}
	}
	return c, nil
}
