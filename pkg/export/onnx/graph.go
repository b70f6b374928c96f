package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	pb "github.com/lstmctl/lstmctl/internal/onnx"
	"github.com/lstmctl/lstmctl/pkg/model"
)

// builder accumulates the nodes and initializers of a graph.
type builder struct {
	g *pb.GraphProto
	n int // names handed out
}

// name returns a fresh value name with the given prefix.
func (b *builder) name(prefix string) string {
	b.n++
	return fmt.Sprintf("%s_%d", prefix, b.n)
}

// node adds an operator with the given inputs and attributes and returns
// its outputs' names (outs of them).
func (b *builder) node(op string, inputs []string, outs int, attrs ...*pb.AttributeProto) []string {
	names := make([]string, outs)
	for i := range names {
		names[i] = b.name(op)
	}
	b.g.Node = append(b.g.Node, &pb.NodeProto{
		OpType: proto.String(op), Name: proto.String(names[0]),
		Input: inputs, Output: names, Attribute: attrs,
	})
	return names
}

// op1 adds an operator with one output and returns its name.
func (b *builder) op1(op string, inputs []string, attrs ...*pb.AttributeProto) string {
	return b.node(op, inputs, 1, attrs...)[0]
}

// floats adds a float32 initializer.
func (b *builder) floats(name string, shape []int, v []float32) string {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	b.g.Initializer = append(b.g.Initializer, &pb.TensorProto{
		Name: proto.String(name), DataType: proto.Int32(int32(pb.TensorProto_FLOAT)),
		Dims: dims(shape), RawData: raw,
	})
	return name
}

// ints adds an int64 constant: a scalar when shape is nil, else a tensor.
func (b *builder) ints(shape []int, v ...int64) string {
	name := b.name("const")
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	b.g.Initializer = append(b.g.Initializer, &pb.TensorProto{
		Name: proto.String(name), DataType: proto.Int32(int32(pb.TensorProto_INT64)),
		Dims: dims(shape), RawData: raw,
	})
	return name
}

// vec adds a one-dimensional int64 constant.
func (b *builder) vec(v ...int64) string { return b.ints([]int{len(v)}, v...) }

// scalarFloat adds a float32 scalar constant.
func (b *builder) scalarFloat(x float32) string { return b.floats(b.name("const"), nil, []float32{x}) }

func dims(shape []int) []int64 {
	d := make([]int64, len(shape))
	for i, x := range shape {
		d[i] = int64(x)
	}
	return d
}

func attrInt(name string, v int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func attrInts(name string, v ...int64) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_INTS.Enum(), Ints: v}
}

func attrString(name, v string) *pb.AttributeProto {
	return &pb.AttributeProto{Name: proto.String(name), Type: pb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

// tensorInfo describes a graph input or output; a string dimension is
// symbolic, an int fixed.
func tensorInfo(name string, elem pb.TensorProto_DataType, shape ...any) *pb.ValueInfoProto {
	sh := &pb.TensorShapeProto{}
	for _, d := range shape {
		switch d := d.(type) {
		case string:
			sh.Dim = append(sh.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimParam{DimParam: d}})
		case int:
			sh.Dim = append(sh.Dim, &pb.TensorShapeProto_Dimension{Value: &pb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
	}
	return &pb.ValueInfoProto{
		Name: proto.String(name),
		Type: &pb.TypeProto{Value: &pb.TypeProto_TensorType{TensorType: &pb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(elem)), Shape: sh,
		}}},
	}
}

// onnxGates maps ONNX's gate blocks (i, o, f, c) to lstmctl's (i, f, c, o).
var onnxGates = [4]int{0, 3, 1, 2}

// lstmWeights converts the Keras-layout LSTMs of one layer (one per
// direction: the tensors under each prefix) into ONNX's W [dirs, 4H, in],
// R [dirs, 4H, H] and B [dirs, 8H] (the input bias, then a zero
// recurrent bias).
func lstmWeights(params map[string]*model.Tensor, prefixes []string) (w, r, bias []float32) {
	for _, p := range prefixes {
		kernel, rec, bb := params[p+".kernel"], params[p+".recurrent_kernel"], params[p+".bias"]
		in, h := kernel.Shape[0], rec.Shape[0]
		for _, kb := range onnxGates {
			for j := range h {
				col := kb*h + j
				for k := range in {
					w = append(w, kernel.Data[k*4*h+col])
				}
			}
		}
		for _, kb := range onnxGates {
			for j := range h {
				col := kb*h + j
				for k := range h {
					r = append(r, rec.Data[k*4*h+col])
				}
			}
		}
		for _, kb := range onnxGates {
			bias = append(bias, bb.Data[kb*h:(kb+1)*h]...)
		}
		bias = append(bias, make([]float32, 4*h)...)
	}
	return w, r, bias
}

// build writes the classifier's graph: input_ids and lengths in,
// probabilities out. seqLen and padPre are the text settings. c's
// parameters must be those of wantTensors (checkTensors).
func build(c *model.Classifier, seqLen int, padPre bool) *pb.GraphProto {
	b := &builder{g: &pb.GraphProto{Name: proto.String("lstmctl")}}
	cfg := c.Config
	subwords := c.Embedding.Subwords != nil
	params := map[string]*model.Tensor{}
	for _, t := range c.Params() {
		params[t.Name] = t
	}
	initializer := func(name string) string {
		t := params[name]
		return b.floats(name, t.Shape, t.Data)
	}
	b.g.Input = []*pb.ValueInfoProto{
		tensorInfo(InputIDs, pb.TensorProto_INT64, "batch", "time"),
		tensorInfo(InputLengths, pb.TensorProto_INT64, "batch"),
	}
	b.g.Output = []*pb.ValueInfoProto{tensorInfo(OutputProbabilities, pb.TensorProto_FLOAT, "batch", c.Classes)}

	// With subwords, subword_ids [B, T, S] is laid out as input_ids is,
	// SubwordPad (-1) where a token has no more rows: every change of
	// layout below is made to both, padding it with SubwordPad.
	ids, sub := InputIDs, ""
	if subwords {
		b.g.Input = append(b.g.Input, tensorInfo(InputSubwordIDs, pb.TensorProto_INT64, "batch", "time", "subwords"))
		sub = InputSubwordIDs
	}
	both := func(f func(x string, rank int, pad string) string) {
		ids = f(ids, 2, "")
		if sub != "" {
			sub = f(sub, 3, b.ints(nil, SubwordPad))
		}
	}
	// padTime pads axis 1 of a rank-r tensor with before and after steps.
	padTime := func(x string, rank int, pad string, before, after int64) string {
		pads := make([]int64, 2*rank)
		pads[1], pads[rank+1] = before, after
		in := []string{x, b.vec(pads...)}
		if pad != "" {
			in = append(in, pad)
		}
		return b.op1("Pad", in)
	}
	var seqLens, nonEmpty string
	if cfg.MaskPadding {
		if padPre {
			// Padding before the ids: reverse every row, then reverse its
			// first lengths[b] entries back, which puts the ids first.
			both(func(x string, _ int, _ string) string {
				rev := b.op1("Slice", []string{x, b.vec(-1), b.vec(math.MinInt64), b.vec(1), b.vec(-1)})
				return b.op1("ReverseSequence", []string{rev, InputLengths}, attrInt("batch_axis", 0), attrInt("time_axis", 1))
			})
		}
		// One more padding step, so that a batch of empty texts still has
		// a step to run; it lies beyond every length.
		both(func(x string, rank int, pad string) string { return padTime(x, rank, pad, 0, 1) })
		// The ONNX specification does not say what an LSTM gives for a
		// sequence of length 0: an empty text runs one padding step, and
		// its read-out is multiplied by 0.
		one := b.ints(nil, 1)
		zero := b.ints(nil, 0)
		seqLens = b.op1("Cast", []string{b.op1("Max", []string{InputLengths, one})}, attrInt("to", int64(pb.TensorProto_INT32)))
		gt := b.op1("Greater", []string{InputLengths, zero})
		nonEmpty = b.op1("Unsqueeze", []string{b.op1("Cast", []string{gt}, attrInt("to", int64(pb.TensorProto_FLOAT))), b.vec(1)})
	} else {
		// Without masking every text runs padded to sequence_length on
		// its pad side, as Keras without a mask: pad the rows with that
		// many more steps and keep the sequence_length next to the text.
		L := int64(seqLen)
		both(func(x string, rank int, pad string) string {
			if padPre {
				return b.op1("Slice", []string{padTime(x, rank, pad, L, 0), b.vec(-L), b.vec(math.MaxInt64), b.vec(1)})
			}
			return b.op1("Slice", []string{padTime(x, rank, pad, 0, L), b.vec(0), b.vec(L), b.vec(1)})
		})
	}

	// [B, T] ids -> [B, T, E] -> time-major [T, B, E].
	emb := b.op1("Gather", []string{initializer("embedding.embeddings"), ids})
	if sub != "" {
		emb = b.subwordMean(emb, initializer(model.SubwordsTensor), sub)
	}
	x := b.op1("Transpose", []string{emb}, attrInts("perm", 1, 0, 2))

	dirs, direction := 1, "forward"
	if cfg.Bidirectional {
		dirs, direction = 2, "bidirectional"
	}
	var yh string
	last := cfg.Pooling == "" || cfg.Pooling == model.PoolLast
	for k, h := range cfg.LSTM {
		p := fmt.Sprintf("lstm.%d", k)
		prefixes := []string{p}
		if cfg.Bidirectional {
			prefixes = append(prefixes, p+".backward")
		}
		w, r, bias := lstmWeights(params, prefixes)
		in := len(w) / (dirs * 4 * h)
		outs := b.node("LSTM", []string{
			x,
			b.floats(p+".W", []int{dirs, 4 * h, in}, w),
			b.floats(p+".R", []int{dirs, 4 * h, h}, r),
			b.floats(p+".B", []int{dirs, 8 * h}, bias),
			seqLens, // "" without masking: every step runs
		}, 2, attrInt("hidden_size", int64(h)), attrString("direction", direction))
		yh = outs[1]
		if k == len(cfg.LSTM)-1 && last {
			break // the read-out is Y_h
		}
		// Y [T, dirs, B, H] -> [T, B, dirs*H]: the forward outputs, then
		// the backward ones.
		x = b.op1("Reshape", []string{
			b.op1("Transpose", []string{outs[0]}, attrInts("perm", 0, 2, 1, 3)), b.vec(0, 0, -1)})
	}

	var pooled string
	if last {
		// Y_h [dirs, B, H]: the forward state after the last step, the
		// backward state after the first -> [B, dirs*H].
		pooled = b.op1("Reshape", []string{b.op1("Transpose", []string{yh}, attrInts("perm", 1, 0, 2)), b.vec(0, -1)})
	} else {
		pooled = b.pool(x, cfg.Pooling, cfg.MaskPadding)
	}
	if nonEmpty != "" {
		pooled = b.op1("Mul", []string{pooled, nonEmpty}) // an empty text reads zeros
	}
	logits := b.op1("Gemm", []string{pooled, initializer("dense.kernel"), initializer("dense.bias")})
	if cfg.Sigmoid() { // multi-label: one probability per label
		b.g.Node = append(b.g.Node, &pb.NodeProto{
			OpType: proto.String("Sigmoid"), Name: proto.String("sigmoid"),
			Input: []string{logits}, Output: []string{OutputProbabilities},
		})
		return b.g
	}
	b.g.Node = append(b.g.Node, &pb.NodeProto{
		OpType: proto.String("Softmax"), Name: proto.String("softmax"),
		Input: []string{logits}, Output: []string{OutputProbabilities}, Attribute: []*pb.AttributeProto{attrInt("axis", -1)},
	})
	return b.g
}

// subwordMean returns each token's vector with subwords: the mean of its
// word row (words [B, T, E]) and the rows of table that sub [B, T, S]
// names, SubwordPad entries left out, as the model's LookupBags.
func (b *builder) subwordMean(words, table, sub string) string {
	zero := b.ints(nil, 0)
	valid := b.op1("GreaterOrEqual", []string{sub, zero})
	rows := b.op1("Gather", []string{table, b.op1("Where", []string{valid, sub, zero})}) // [B, T, S, E]
	w := b.op1("Cast", []string{valid}, attrInt("to", int64(pb.TensorProto_FLOAT)))      // [B, T, S]
	sum := b.op1("ReduceSum", []string{b.op1("Mul", []string{rows, b.op1("Unsqueeze", []string{w, b.vec(3)})}), b.vec(2)},
		attrInt("keepdims", 0))
	n := b.op1("Add", []string{b.op1("ReduceSum", []string{w, b.vec(2)}, attrInt("keepdims", 1)), b.scalarFloat(1)}) // [B, T, 1]
	return b.op1("Div", []string{b.op1("Add", []string{words, sum}), n})
}

// pool reduces x [T, B, D] over time to [B, D]: the mean or maximum over
// the real steps (masked) or over all of them.
func (b *builder) pool(x, mode string, masked bool) string {
	if !masked {
		op := "ReduceMean"
		if mode == model.PoolMax {
			op = "ReduceMax"
		}
		return b.op1(op, []string{x}, attrInts("axes", 0), attrInt("keepdims", 0))
	}
	// mask [T, B, 1]: step t of text b is real when t < lengths[b].
	steps := b.op1("Squeeze", []string{b.op1("Shape", []string{x}, attrInt("start", 0), attrInt("end", 1)), b.vec(0)})
	t := b.op1("Unsqueeze", []string{b.op1("Range", []string{b.ints(nil, 0), steps, b.ints(nil, 1)}), b.vec(1)})
	real := b.op1("Unsqueeze", []string{b.op1("Less", []string{t, b.op1("Unsqueeze", []string{InputLengths, b.vec(0)})}), b.vec(2)})
	if mode == model.PoolMax {
		low := b.scalarFloat(-math.MaxFloat32)
		return b.op1("ReduceMax", []string{b.op1("Where", []string{real, x, low})}, attrInts("axes", 0), attrInt("keepdims", 0))
	}
	mask := b.op1("Cast", []string{real}, attrInt("to", int64(pb.TensorProto_FLOAT)))
	sum := b.op1("ReduceSum", []string{b.op1("Mul", []string{x, mask}), b.vec(0)}, attrInt("keepdims", 0))
	n := b.op1("Cast", []string{b.op1("Max", []string{InputLengths, b.ints(nil, 1)})}, attrInt("to", int64(pb.TensorProto_FLOAT)))
	return b.op1("Div", []string{sum, b.op1("Unsqueeze", []string{n, b.vec(1)})})
}
