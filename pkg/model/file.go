package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/lstmctl/lstmctl/internal/safetensors"
)

// Format and FormatVersion are the values of the "format" and
// "format_version" metadata of a model file.
//
// # The model file
//
// A model is one safetensors file (see internal/safetensors for the byte
// layout, the checksums and the checks every read makes). Its tensors are
// Params in order, float32, Keras layouts:
//
//	embedding.embeddings                                        [V, E]
//	lstm.k.kernel, lstm.k.recurrent_kernel, lstm.k.bias         [in_k, 4H_k], [H_k, 4H_k], [4H_k]
//	lstm.k.backward.kernel, .recurrent_kernel, .bias            (bidirectional only; same shapes)
//	dense.kernel, dense.bias                                    [D, C], [C]
//	embedding.subwords                                          [buckets, E] (text.subwords only)
//
// with in_0 = E, in_k = H_{k-1} and D = H_last (2H_{k-1} and 2H_last when
// the config's "bidirectional" is true), followed, in a checkpoint (SaveWith), by the caller's extra tensors. Its
// "__metadata__" holds:
//
//	format          "lstmctl"
//	format_version  "1"
//	config          the full effective configuration as compact JSON (same
//	                keys as the YAML file); its "model" object is the Config
//	vocab           JSON array of the tokens by id: "", "[UNK]", ...
//	labels          JSON array of the class names by index
//	sha256          SHA-256 of the data region (added by the writer)
//	header_sha256   SHA-256 of the header's content (added by the writer)
//	quantization    "int8" in an int8 model file (see QuantInt8), else absent
//
// plus the entries of Meta.Extra (a checkpoint's step, epoch, RNG state, ...).
// The two checksums are verified when present; a file written by another
// safetensors writer (a model converted from PyTorch) has neither, and Load
// reports it in Meta.Checksums. A file with only one of them is refused.
//
// Load refuses, with an error naming the file and saying what is wrong:
// anything internal/safetensors refuses (truncated, not safetensors, hostile
// header, an unknown dtype, overlapping offsets, checksum mismatch), a
// foreign file (format other than "lstmctl"), another format_version, a config without a valid "model" object (unknown keys in
// it are refused: they would come from a newer lstmctl), a vocabulary of
// fewer than 2 tokens, not starting with "" and "[UNK]" or with duplicates,
// no labels or duplicate labels, a missing or unexpected tensor, a tensor
// whose shape differs from the one config, len(vocab) and len(labels)
// imply, and NaN or ±Inf in any tensor. Shapes are checked against the
// header before any weight is allocated, so Load allocates no more than the
// file's size (plus parsing overhead). Save refuses what Load would refuse,
// so a saved file always loads.
const (
	Format        = "lstmctl"
	FormatVersion = "1"
)

// SubwordsTensor is the name of the subword rows (hashed character
// n-grams) of a model trained with text.subwords.
const SubwordsTensor = "embedding.subwords"

// Metadata keys of a model file that Meta.Extra may not use.
const (
	keyFormat  = "format"
	keyVersion = "format_version"
	keyConfig  = "config"
	keyVocab   = "vocab"
	keyLabels  = "labels"
	// keyQuantization is "int8" in a quantized model file (quant.go), absent
	// in a float32 one.
	keyQuantization = "quantization"
)

func reservedKey(k string) bool {
	switch k {
	case keyFormat, keyVersion, keyConfig, keyVocab, keyLabels, keyQuantization, safetensors.SHA256Key, safetensors.HeaderSHA256Key:
		return true
	}
	return false
}

// Meta is what a model file holds besides the weights.
type Meta struct {
	// Config is the full effective configuration as a JSON object; its
	// "model" object must describe the classifier. Save may be given nil, and
	// then stores {"model": <the classifier's Config>}. Load returns it
	// compacted.
	Config json.RawMessage
	// Vocab lists the tokens by id: Vocab[0] == "" (padding), Vocab[1] ==
	// "[UNK]", no duplicates, len(Vocab) == V.
	Vocab []string
	// Labels lists the class names by index: unique, len(Labels) == C.
	Labels []string
	// Extra holds further string metadata (for example a checkpoint's step
	// and RNG state). Its keys may not be format, format_version, config,
	// vocab, labels, quantization, sha256 or header_sha256. Load returns nil
	// when there is none.
	Extra map[string]string

	// Set by Load, ignored by Save:

	// Quantization is how the file stores the weights: "" for float32,
	// QuantInt8 for int8 with per-row scales (the classifier Load returns
	// holds them dequantized).
	Quantization string
	// Checksums is ChecksumsVerified when the file carries lstmctl's
	// sha256 and header_sha256 (and they matched), ChecksumsAbsent when it
	// has neither (a file of another safetensors writer). A file with one
	// of them only is refused.
	Checksums string
}

// The values of Meta.Checksums.
const (
	ChecksumsVerified = "verified"
	ChecksumsAbsent   = "absent"
)

// ErrBadFile is wrapped by every error of Load that refuses the content of a
// file (as opposed to an I/O error such as a missing file).
var ErrBadFile = errors.New("model: bad model file")

// FileError is the error Load returns for a file it refuses. It wraps
// ErrBadFile and, when there is one, the cause (for example
// safetensors.ErrChecksum or safetensors.ErrTruncated).
type FileError struct {
	Path string
	Msg  string
	Err  error
}

// Error returns "model: PATH: MSG".
func (e *FileError) Error() string { return "model: " + e.Path + ": " + e.Msg }

// Unwrap returns ErrBadFile and the cause.
func (e *FileError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrBadFile}
	}
	return []error{ErrBadFile, e.Err}
}

func badFile(path, format string, args ...any) error {
	return &FileError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Save writes c and m to path atomically (a temporary file in the same
// directory, fsync, rename, fsync of the directory): after an error path is
// either untouched or absent, and no temporary file is left.
func Save(path string, c *Classifier, m Meta) error {
	return SaveWith(path, c, m, nil)
}

// SaveWith is Save with extra tensors stored after the parameters, for
// checkpoints (for example Adam's moments, named "adam.m.<param>"). Extra
// tensors need names distinct from the parameters' and from each other, and
// finite values. LoadWith returns them.
func SaveWith(path string, c *Classifier, m Meta, extra []*Tensor) error {
	tensors, meta, err := encodeModel(c, m, extra)
	if err != nil {
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	if err := safetensors.WriteFile(path, tensors, meta); err != nil {
		if cause := errors.Unwrap(err); cause != nil {
			err = cause // drop the "safetensors: write PATH" layer
		}
		return fmt.Errorf("model: save %s: %w", path, err)
	}
	return nil
}

// encodeModel checks c, m and extra and returns what the file will hold.
func encodeModel(c *Classifier, m Meta, extra []*Tensor) ([]safetensors.Tensor, map[string]string, error) {
	if c == nil {
		return nil, nil, errors.New("nil classifier")
	}
	if len(m.Vocab) != c.Vocab {
		return nil, nil, fmt.Errorf("vocab has %d tokens, the classifier %d", len(m.Vocab), c.Vocab)
	}
	if len(m.Labels) != c.Classes {
		return nil, nil, fmt.Errorf("%d labels, the classifier has %d classes", len(m.Labels), c.Classes)
	}
	if err := checkVocab(m.Vocab); err != nil {
		return nil, nil, err
	}
	if err := checkLabels(m.Labels); err != nil {
		return nil, nil, err
	}
	config := []byte(m.Config)
	if len(config) == 0 {
		b, err := json.Marshal(map[string]Config{"model": c.Config})
		if err != nil {
			return nil, nil, err
		}
		config = b
	}
	cfg, err := parseModelConfig(config)
	if err != nil {
		return nil, nil, err
	}
	if !sameArchitecture(cfg, c.Config) {
		return nil, nil, fmt.Errorf("config model section %+v does not describe the classifier (%+v)", cfg, c.Config)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, config); err != nil {
		return nil, nil, err
	}
	vocab, err := json.Marshal(m.Vocab)
	if err != nil {
		return nil, nil, err
	}
	labels, err := json.Marshal(m.Labels)
	if err != nil {
		return nil, nil, err
	}
	meta := map[string]string{
		keyFormat:  Format,
		keyVersion: FormatVersion,
		keyConfig:  compact.String(),
		keyVocab:   string(vocab),
		keyLabels:  string(labels),
	}
	for k, v := range m.Extra {
		if reservedKey(k) {
			return nil, nil, fmt.Errorf("metadata key %q is reserved", k)
		}
		meta[k] = v
	}
	params := c.Params()
	tensors := make([]safetensors.Tensor, 0, len(params)+len(extra))
	for _, p := range params {
		tensors = append(tensors, safetensors.Tensor(*p))
	}
	for i, t := range extra {
		if t == nil {
			return nil, nil, fmt.Errorf("extra tensor %d is nil", i)
		}
		tensors = append(tensors, safetensors.Tensor(*t))
	}
	if err := safetensors.AllFinite(tensors); err != nil {
		return nil, nil, errors.New(stMsg(err))
	}
	return tensors, meta, nil
}

// stMsg returns the message of a safetensors error without its prefix.
func stMsg(err error) string {
	var se *safetensors.Error
	if errors.As(err, &se) {
		return se.Msg
	}
	return err.Error()
}

// Load reads and verifies a model file (see the file format above). A
// checkpoint, which has extra tensors, is refused: use LoadWith.
func Load(path string) (*Classifier, *Meta, error) {
	c, m, extra, err := LoadWith(path)
	if err != nil {
		return nil, nil, err
	}
	if len(extra) > 0 {
		return nil, nil, badFile(path, "unexpected tensor %q (a checkpoint? it holds %d tensors besides the weights)",
			extra[0].Name, len(extra))
	}
	return c, m, nil
}

// LoadWith is Load for files written by SaveWith: it also returns the extra
// tensors, in file order, checked to be finite.
func LoadWith(path string) (c *Classifier, m *Meta, extra []*Tensor, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("model: %w", err)
	}
	defer f.Close() // read-only: a close error cannot lose data
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("model: %w", err)
	}
	if fi.IsDir() {
		return nil, nil, nil, badFile(path, "is a directory, not a model file")
	}
	return loadFrom(f, fi.Size(), path)
}

// loadFrom is LoadWith for a size-byte file read from r; name is the file
// name for errors.
func loadFrom(r io.ReaderAt, size int64, name string) (*Classifier, *Meta, []*Tensor, error) {
	fail := func(err error) (*Classifier, *Meta, []*Tensor, error) {
		return nil, nil, nil, readError(name, err)
	}
	rd, err := safetensors.NewReader(r, size)
	if err != nil {
		return fail(err)
	}
	md := rd.Metadata()
	switch format, ok := md[keyFormat]; {
	case !ok:
		return nil, nil, nil, badFile(name, "not an lstmctl model (no %q metadata)", keyFormat)
	case format != Format:
		return nil, nil, nil, badFile(name, "not an lstmctl model (format %q)", format)
	}
	if v := md[keyVersion]; v != FormatVersion {
		return nil, nil, nil, badFile(name, "unsupported format_version %q (this lstmctl reads %q)", v, FormatVersion)
	}
	meta := &Meta{Checksums: ChecksumsVerified, Quantization: md[keyQuantization]}
	switch data, header := rd.Checksummed(); {
	case !data && !header:
		meta.Checksums = ChecksumsAbsent
	case !data || !header:
		// lstmctl writes both, other writers neither: one alone is a
		// damaged key (a flipped byte in "header_sha256" must not turn
		// the header check off).
		missing := safetensors.SHA256Key
		if data {
			missing = safetensors.HeaderSHA256Key
		}
		return nil, nil, nil, badFile(name, "missing %s metadata beside the other checksum (file corrupted?)", missing)
	}
	if _, ok := md[keyQuantization]; ok && meta.Quantization != QuantInt8 {
		return nil, nil, nil, badFile(name, "unsupported quantization %q (this lstmctl reads %q)", meta.Quantization, QuantInt8)
	}
	rawConfig, ok := md[keyConfig]
	if !ok {
		return nil, nil, nil, badFile(name, "missing %q metadata", keyConfig)
	}
	cfg, err := parseModelConfig([]byte(rawConfig))
	if err != nil {
		return nil, nil, nil, badFile(name, "%v", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(rawConfig)); err != nil { // valid: parsed above
		return nil, nil, nil, badFile(name, "config: %v", err)
	}
	meta.Config = json.RawMessage(compact.Bytes())
	if meta.Vocab, err = stringArray(md, keyVocab); err != nil {
		return nil, nil, nil, badFile(name, "%v", err)
	}
	if err := checkVocab(meta.Vocab); err != nil {
		return nil, nil, nil, badFile(name, "%v", err)
	}
	if meta.Labels, err = stringArray(md, keyLabels); err != nil {
		return nil, nil, nil, badFile(name, "%v", err)
	}
	if err := checkLabels(meta.Labels); err != nil {
		return nil, nil, nil, badFile(name, "%v", err)
	}
	for k, v := range md {
		if !reservedKey(k) {
			if meta.Extra == nil {
				meta.Extra = make(map[string]string)
			}
			meta.Extra[k] = v
		}
	}

	// Check every tensor's shape against the header before allocating
	// (stopping at the first missing one, so a config claiming a million
	// layers costs nothing).
	// The subword table, when the file has one, gives its own size: the
	// text settings that chose it are the caller's to compare.
	buckets := 0
	if info, ok := rd.Lookup(SubwordsTensor); ok && len(info.Shape) == 2 && info.Shape[0] > 0 {
		buckets = info.Shape[0]
	}
	want, err := CheckShapes(cfg, len(meta.Vocab), buckets, len(meta.Labels), func(name string) ([]int, bool) {
		info, ok := rd.Lookup(name)
		return info.Shape, ok
	})
	if err != nil {
		return nil, nil, nil, badFile(name, "%v", err)
	}
	if meta.Quantization == QuantInt8 {
		c, err := loadInt8(rd, name, cfg, len(meta.Vocab), buckets, len(meta.Labels), want)
		if err != nil {
			return nil, nil, nil, err
		}
		return c, meta, nil, nil
	}
	c, err := NewWithSubwords(cfg, len(meta.Vocab), buckets, len(meta.Labels))
	if err != nil {
		return nil, nil, nil, badFile(name, "%v", err)
	}
	params := c.Params()
	dst := make([]safetensors.Tensor, len(params))
	for i, p := range params {
		if p.Name != want[i].Name || !slices.Equal(p.Shape, want[i].Shape) {
			return nil, nil, nil, fmt.Errorf("model: internal error: parameter %d is %s %v, the file format expects %s %v",
				i, p.Name, p.Shape, want[i].Name, want[i].Shape)
		}
		dst[i] = safetensors.Tensor(*p)
	}
	rest, err := rd.ReadInto(dst)
	if err != nil {
		return fail(err)
	}
	if err := safetensors.AllFinite(dst); err != nil {
		return nil, nil, nil, &FileError{Path: name, Msg: stMsg(err) + " (corrupted or diverged model)", Err: err}
	}
	if err := safetensors.AllFinite(rest); err != nil {
		return nil, nil, nil, &FileError{Path: name, Msg: stMsg(err), Err: err}
	}
	extra := make([]*Tensor, len(rest))
	for i, t := range rest {
		extra[i] = &Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data}
	}
	return c, meta, extra, nil
}

// readError is the error of Load for an error of the safetensors reader:
// a *FileError for a file it refuses, else an I/O error.
func readError(name string, err error) error {
	if errors.Is(err, safetensors.ErrTruncated) || errors.Is(err, safetensors.ErrInvalid) ||
		errors.Is(err, safetensors.ErrChecksum) {
		return &FileError{Path: name, Msg: stMsg(err), Err: err}
	}
	return fmt.Errorf("model: %s: %w", name, err)
}

// CheckShapes compares the parameters a classifier of cfg with v
// vocabulary tokens, buckets subword rows (0: none) and the given classes
// would have against the tensors a
// file holds (shape looks one up by name), stopping at the first that is
// missing or of another shape, and returns the parameters' names and shapes
// in Params order. It allocates nothing of the parameters' size, so a
// loader calls it before New: a config that claims huge layers costs
// nothing when the file does not hold them.
func CheckShapes(cfg Config, v, buckets, classes int, shape func(name string) ([]int, bool)) ([]Tensor, error) {
	var want []Tensor
	for pname, s := range paramShapes(cfg, v, buckets, classes) {
		got, ok := shape(pname)
		if !ok {
			return nil, fmt.Errorf("missing tensor %q", pname)
		}
		if !slices.Equal(got, s) {
			return nil, fmt.Errorf("tensor %q has shape %v, expected %v (from the config, %d vocab tokens and %d labels)",
				pname, got, s, v, classes)
		}
		want = append(want, Tensor{Name: pname, Shape: s})
	}
	return want, nil
}

// paramShapes yields the names and shapes of the parameters of a
// classifier (the model file's tensors), in Params order.
func paramShapes(cfg Config, v, buckets, classes int) iter.Seq2[string, []int] {
	return func(yield func(string, []int) bool) {
		if !yield("embedding.embeddings", []int{v, cfg.EmbeddingDim}) {
			return
		}
		in := cfg.EmbeddingDim
		for k, h := range cfg.LSTM {
			for d := 0; d < cfg.directions(); d++ {
				p := "lstm." + strconv.Itoa(k) + "."
				if d == 1 {
					p += "backward."
				}
				if !yield(p+"kernel", []int{in, 4 * h}) ||
					!yield(p+"recurrent_kernel", []int{h, 4 * h}) ||
					!yield(p+"bias", []int{4 * h}) {
					return
				}
			}
			in = cfg.directions() * h
		}
		if !yield("dense.kernel", []int{in, classes}) || !yield("dense.bias", []int{classes}) {
			return
		}
		if buckets > 0 {
			yield(SubwordsTensor, []int{buckets, cfg.EmbeddingDim})
		}
	}
}

// parseModelConfig extracts and validates the "model" object of a full
// configuration. Its three keys are required (mask_padding has no safe
// default) and unknown keys are refused.
func parseModelConfig(raw []byte) (Config, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return Config{}, fmt.Errorf("config is not a JSON object")
	}
	section, ok := top["model"]
	if !ok {
		return Config{}, errors.New(`config has no "model" section`)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(section, &fields); err != nil || fields == nil {
		return Config{}, errors.New(`config "model" section is not an object`)
	}
	for _, k := range []string{"embedding_dim", "lstm", "mask_padding"} {
		if _, ok := fields[k]; !ok {
			return Config{}, fmt.Errorf("config model section has no %q", k)
		}
	}
	// embedding_vectors says where the embedding's first values came from:
	// a setting of the training pipeline (pipeline.ModelConfig), not of the
	// network, which needs nothing of it.
	if _, ok := fields["embedding_vectors"]; ok {
		delete(fields, "embedding_vectors")
		var err error
		if section, err = json.Marshal(fields); err != nil {
			return Config{}, err
		}
	}
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(section))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("config model section: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	// 4H must not overflow an int (shapes are compared, not allocated).
	for i, h := range cfg.LSTM {
		if h > maxDim {
			return Config{}, fmt.Errorf("config: lstm[%d] = %d is too large", i, h)
		}
	}
	if cfg.EmbeddingDim > maxDim {
		return Config{}, fmt.Errorf("config: embedding_dim = %d is too large", cfg.EmbeddingDim)
	}
	return cfg, nil
}

// maxDim bounds the sizes in a config read from a file (far above any real
// model; a larger one could not be stored anyway).
const maxDim = 1 << 30

// stringArray decodes the metadata entry key as a JSON array of strings.
func stringArray(md map[string]string, key string) ([]string, error) {
	raw, ok := md[key]
	if !ok {
		return nil, fmt.Errorf("missing %q metadata", key)
	}
	var ptrs []*string // *string: a null element is an error, not ""
	if err := json.Unmarshal([]byte(raw), &ptrs); err != nil || ptrs == nil {
		return nil, fmt.Errorf("%s metadata is not a JSON array of strings", key)
	}
	out := make([]string, len(ptrs))
	for i, p := range ptrs {
		if p == nil {
			return nil, fmt.Errorf("%s[%d] is null, not a string", key, i)
		}
		out[i] = *p
	}
	return out, nil
}

// checkVocab checks the vocabulary invariants: "" and "[UNK]" first, no
// duplicates, valid UTF-8.
func checkVocab(v []string) error {
	switch {
	case len(v) < 2:
		return fmt.Errorf("vocab has %d tokens, needs at least 2 (\"\" and \"[UNK]\")", len(v))
	case v[0] != "":
		return fmt.Errorf("vocab[0] is %q, must be \"\" (padding)", v[0])
	case v[1] != "[UNK]":
		return fmt.Errorf("vocab[1] is %q, must be \"[UNK]\"", v[1])
	}
	return checkUnique("vocab token", v)
}

// checkLabels checks that there is at least one label and no duplicate.
func checkLabels(l []string) error {
	if len(l) == 0 {
		return errors.New("no labels")
	}
	return checkUnique("label", l)
}

func checkUnique(what string, s []string) error {
	seen := make(map[string]int, len(s))
	for i, x := range s {
		if !utf8.ValidString(x) {
			return fmt.Errorf("%s %d (%q) is not valid UTF-8", what, i, x)
		}
		if j, dup := seen[x]; dup {
			return fmt.Errorf("duplicate %s %q (at %d and %d)", what, x, j, i)
		}
		seen[x] = i
	}
	return nil
}
