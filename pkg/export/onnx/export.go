// Package onnx exports an lstmctl classifier to a standard ONNX graph of the
// whole network after tokenization (embedding, LSTM layers with ONNX's own
// LSTM operator, read-out, dense, softmax) and describes its tokenizer in a
// JSON file beside it. docs/export.md is the reference.
//
// The graph has two inputs, input_ids (int64 [batch, time], the ids of each
// text padded with 0 on the model's pad side) and lengths (int64 [batch],
// the number of real ids of each text), and one output, probabilities
// (float32 [batch, classes]). It uses operator set 17 of the default
// domain (IR version 8).
//
// A model whose configuration has a setting the exporter does not know, or
// a parameter it does not expect, is refused with an error wrapping
// ErrUnsupported rather than exported to a graph that may compute
// something else.
package onnx

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/lstmctl/lstmctl/internal/atomicfile"
	pb "github.com/lstmctl/lstmctl/internal/onnx"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// The graph's inputs and output.
const (
	InputIDs            = "input_ids"
	InputLengths        = "lengths"
	OutputProbabilities = "probabilities"
	// InputSubwordIDs is the third input of a model with subwords: int64
	// [batch, time, subwords], the subword rows of each token, SubwordPad
	// beyond a token's rows.
	InputSubwordIDs = "subword_ids"
)

// SubwordPad fills subword_ids beyond a token's rows.
const SubwordPad = -1

// Opset and IRVersion are the ONNX operator set (default domain) and IR
// version of the exported file: the operator set PyTorch's exporter
// writes by default, read by ONNX Runtime 1.12 and later.
const (
	Opset     = 17
	IRVersion = 8
)

// maxModelBytes bounds the serialized model: protobuf messages cannot
// exceed 2 GiB, and the exporter does not write ONNX's external data.
const maxModelBytes = 2<<30 - 1<<20

// Options are the exporter's settings.
type Options struct {
	// ProducerVersion is the lstmctl version written into the model.
	ProducerVersion string
}

// Export is an exported model: the ONNX model and its tokenizer.
type Export struct {
	Model     *pb.ModelProto
	Tokenizer *Tokenizer
}

// Build exports m, or refuses it with an error wrapping ErrUnsupported.
func Build(m *pipeline.Model, opts Options) (*Export, error) {
	if err := checkConfig(&m.Config); err != nil {
		return nil, err
	}
	c := m.Classifier
	if err := checkTensors(c); err != nil {
		return nil, err
	}
	if c.Vocab != m.Vocab.Len() || c.Classes != m.Labels.Len() {
		return nil, fmt.Errorf("onnx: the classifier has %d tokens and %d classes, the model's vocabulary and labels %d and %d",
			c.Vocab, c.Classes, m.Vocab.Len(), m.Labels.Len())
	}
	var bytes int64
	for _, t := range c.Params() {
		bytes += 4 * int64(len(t.Data))
	}
	if bytes > maxModelBytes {
		return nil, fmt.Errorf("the model's weights take %d bytes, more than an ONNX file without external data holds (2 GiB), so it %w", bytes, ErrUnsupported)
	}
	tok := newTokenizer(m)
	text := m.Config.Text
	graph := build(c, text.SequenceLength, text.Pad == data.SidePre)
	mp := &pb.ModelProto{
		IrVersion:       proto.Int64(IRVersion),
		OpsetImport:     []*pb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		ProducerName:    proto.String("lstmctl"),
		ProducerVersion: proto.String(opts.ProducerVersion),
		ModelVersion:    proto.Int64(1),
		DocString: proto.String("lstmctl text classifier: input_ids (int64 [batch, time], padded with 0 on the side " +
			"metadata text.pad names) and lengths (int64 [batch], real ids per text) give probabilities " +
			"(float32 [batch, classes], the labels of metadata labels)"),
		Graph: graph,
		MetadataProps: []*pb.StringStringEntryProto{
			{Key: proto.String("text"), Value: proto.String(string(marshalJSON(tok.Text, false)))},
			{Key: proto.String("labels"), Value: proto.String(string(marshalJSON(tok.Labels, false)))},
			{Key: proto.String("vocabulary"), Value: proto.String(string(marshalJSON(tok.Vocabulary, false)))},
			{Key: proto.String("output_activation"), Value: proto.String(outputActivation(m.Config.Model.Config))},
		},
	}
	return &Export{Model: mp, Tokenizer: tok}, nil
}

// MarshalModel returns the ONNX file's bytes; the same model gives the
// same bytes.
func (e *Export) MarshalModel() ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(e.Model)
}

// Write writes the ONNX file to path and the tokenizer file to tokPath,
// each atomically.
func (e *Export) Write(path, tokPath string) error {
	b, err := e.MarshalModel()
	if err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	if err := atomicfile.WriteBytes(path, 0o644, b); err != nil {
		return err
	}
	return atomicfile.Write(tokPath, 0o644, func(w io.Writer) error {
		_, err := w.Write(e.Tokenizer.JSON())
		return err
	})
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// CheckPaths refuses output paths that would overwrite the model file or
// each other, or whose directory does not exist.
func CheckPaths(modelPath, path, tokPath string) error {
	switch {
	case filepath.Clean(path) == filepath.Clean(tokPath):
		return fmt.Errorf("the ONNX file and the tokenizer file are both %s; give them different names", path)
	case sameFile(modelPath, path), sameFile(modelPath, tokPath):
		return fmt.Errorf("the export would overwrite the model file %s; give another output path", modelPath)
	}
	for _, p := range []string{path, tokPath} {
		dir := filepath.Dir(p)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s: the directory %s does not exist; create it or write elsewhere", p, dir)
		}
	}
	return nil
}

// outputActivation names what turns the logits into probabilities:
// softmax (one label per text, the probabilities sum to 1) or sigmoid
// (multi-label: each label's own probability).
func outputActivation(c model.Config) string {
	if c.Sigmoid() {
		return model.OutputSigmoid
	}
	return model.OutputSoftmax
}
