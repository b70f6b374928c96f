package model

import (
	"unicode/utf8"

	"github.com/lstmctl/lstmctl/internal/safetensors"
)

// ParamCount returns the number of float32 parameters of a classifier of
// cfg over v tokens and the given classes, without making it (cfg must be
// valid).
func ParamCount(cfg Config, v, classes int) int64 {
	var n int64
	for _, s := range paramShapes(cfg, v, 0, classes) {
		k := int64(1)
		for _, d := range s {
			k *= int64(d)
		}
		n += k
	}
	return n
}

// StateBytes returns an upper bound of the bytes a State of a classifier
// of cfg (with the given classes) holds after Forward (and, when train,
// Backward) of a batch of b samples and n packed rows: n is b·T without
// masking, the batch's real tokens with it. Every row keeps its
// embedding, each LSTM layer's gate pre-activations and states (for
// backpropagation through time) and the gradient of its input.
func StateBytes(cfg Config, classes, b, n int, train bool) int64 {
	E := int64(cfg.EmbeddingDim)
	dirs := int64(cfg.directions())
	B, N := int64(b), int64(n)
	rows := 1 + E + 4 // ids, x0; the packing's per-step counts (at most one step per row)
	if dirs == 2 {
		rows += 2 + E // rev, idsRev, x0Rev
	}
	perSample := int64(0)
	fixed := int64(0)
	in := E
	L := len(cfg.LSTM)
	for k, h := range cfg.LSTM {
		H := int64(h)
		layer := 8*H + in // z (4H), hs, hp, cs, tc, dx
		if cfg.Dropout > 0 {
			layer += in // xd
		}
		if train {
			layer += H // dy
		}
		rows += dirs * layer
		perSample += dirs * (2*H + in + H) // dh, dc, masks
		fixed += dirs * 4 * H * H          // Uᵀ
		if dirs == 2 && k < L-1 {
			rows += 4 * H // out, outRev
		}
		in = dirs * H
	}
	D := in
	perSample += 6*D + int64(classes) + E + 4 // hFinal, dhFinal, hDrop, masks, argmax, logits, embedding masks, packing
	return 4 * (N*rows + B*perSample + fixed)
}

// ListBudget is what a model file's header may spend on its vocabulary
// and its labels together (ListHeaderBytes): the safetensors header limit
// less 1 MiB for the configuration, the training information, a
// checkpoint's history and the tensors' entries.
const ListBudget = safetensors.MaxHeaderSize - 1<<20

// ListHeaderBytes returns the bytes a list of strings (the vocabulary, the
// labels) takes in a model file's header, where it is a JSON array
// (encoding/json) stored as a JSON string: every character once, those
// JSON escapes twice.
func ListHeaderBytes(list []string) int64 {
	n := int64(2) // [ ]
	for i, s := range list {
		if i > 0 {
			n++ // ,
		}
		n += 4 // \"...\"
		for _, r := range s {
			switch {
			case r == '"' || r == '\\':
				n += 4 // \" becomes \\\"
			case r == '\n' || r == '\r' || r == '\t':
				n += 3 // \n becomes \\n
			case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
				n += 7 // \u003c becomes \\u003c
			default:
				n += int64(utf8.RuneLen(r))
			}
		}
	}
	return n
}
