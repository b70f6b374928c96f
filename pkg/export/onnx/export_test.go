package onnx

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"google.golang.org/protobuf/proto"

	pb "github.com/lstmctl/lstmctl/internal/onnx"
	"github.com/lstmctl/lstmctl/pkg/data"
	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// testModel returns a small model with random weights.
func testModel(t *testing.T, edit func(*pipeline.Config)) *pipeline.Model {
	t.Helper()
	cfg := pipeline.DefaultConfig()
	cfg.Model.EmbeddingDim, cfg.Model.LSTM = 4, []int{3, 2}
	if edit != nil {
		edit(&cfg)
	}
	vocab, err := data.NewVocab([]string{"", "[UNK]", "the", "café", "<b>"})
	if err != nil {
		t.Fatal(err)
	}
	labels, err := data.NewLabels([]string{"neg", "pos", "a&b"})
	if err != nil {
		t.Fatal(err)
	}
	clf, err := model.New(cfg.Model.Config, vocab.Len(), labels.Len())
	if err != nil {
		t.Fatal(err)
	}
	clf.Init(rand.New(rand.NewPCG(1, 2)))
	enc, err := data.NewEncoder(cfg.Text, vocab)
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Model{Classifier: clf, Config: cfg, Vocab: vocab, Labels: labels, Encoder: enc}
}

func TestBuildGraphInterface(t *testing.T) {
	m := testModel(t, func(c *pipeline.Config) { c.Model.Bidirectional, c.Model.Pooling = true, model.PoolMean })
	e, err := Build(m, Options{ProducerVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.MarshalModel()
	if err != nil {
		t.Fatal(err)
	}
	// The same model gives the same bytes.
	e2, err := Build(m, Options{ProducerVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := e2.MarshalModel(); !bytes.Equal(b, b2) {
		t.Error("two exports of one model differ")
	}

	var got pb.ModelProto
	if err := proto.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.GetIrVersion() != IRVersion || len(got.OpsetImport) != 1 || got.OpsetImport[0].GetVersion() != Opset || got.OpsetImport[0].GetDomain() != "" {
		t.Errorf("ir_version %d, opsets %v", got.GetIrVersion(), got.OpsetImport)
	}
	type io struct {
		name string
		elem pb.TensorProto_DataType
		dims string
	}
	describe := func(vs []*pb.ValueInfoProto) []io {
		var out []io
		for _, v := range vs {
			tt := v.GetType().GetTensorType()
			var dims []string
			for _, d := range tt.GetShape().GetDim() {
				if d.GetDimParam() != "" {
					dims = append(dims, d.GetDimParam())
				} else {
					dims = append(dims, strings.Repeat("#", int(d.GetDimValue())))
				}
			}
			out = append(out, io{v.GetName(), pb.TensorProto_DataType(tt.GetElemType()), strings.Join(dims, ",")})
		}
		return out
	}
	wantIn := []io{{"input_ids", pb.TensorProto_INT64, "batch,time"}, {"lengths", pb.TensorProto_INT64, "batch"}}
	wantOut := []io{{"probabilities", pb.TensorProto_FLOAT, "batch,###"}}
	if in := describe(got.Graph.Input); !slices.Equal(in, wantIn) {
		t.Errorf("inputs %v, want %v", in, wantIn)
	}
	if out := describe(got.Graph.Output); !slices.Equal(out, wantOut) {
		t.Errorf("outputs %v, want %v", out, wantOut)
	}
	var lstms []string
	for _, n := range got.Graph.Node {
		if n.GetOpType() == "LSTM" {
			for _, a := range n.Attribute {
				if a.GetName() == "direction" {
					lstms = append(lstms, string(a.GetS()))
				}
			}
		}
	}
	if !slices.Equal(lstms, []string{"bidirectional", "bidirectional"}) {
		t.Errorf("LSTM nodes %v, want two bidirectional", lstms)
	}

	meta := map[string]string{}
	for _, p := range got.MetadataProps {
		meta[p.GetKey()] = p.GetValue()
	}
	var vocab, labels []string
	var text Text
	if err := json.Unmarshal([]byte(meta["vocabulary"]), &vocab); err != nil || !slices.Equal(vocab, m.Vocab.Tokens()) {
		t.Errorf("vocabulary %q (%v)", meta["vocabulary"], err)
	}
	if err := json.Unmarshal([]byte(meta["labels"]), &labels); err != nil || !slices.Equal(labels, m.Labels.Names()) {
		t.Errorf("labels %q (%v)", meta["labels"], err)
	}
	if err := json.Unmarshal([]byte(meta["text"]), &text); err != nil || !reflect.DeepEqual(text, e.Tokenizer.Text) {
		t.Errorf("text %q (%v), want %+v", meta["text"], err, e.Tokenizer.Text)
	}
}

// TestLSTMWeightsGateOrder checks the conversion of one LSTM's weights
// from Keras' gate order (i, f, c, o) and layout to ONNX's (i, o, f, c).
func TestLSTMWeightsGateOrder(t *testing.T) {
	const in, h = 2, 1
	kernel := &model.Tensor{Name: "l.kernel", Shape: []int{in, 4 * h}, Data: []float32{
		// i   f   c   o
		1, 2, 3, 4, // input 0
		5, 6, 7, 8, // input 1
	}}
	rec := &model.Tensor{Name: "l.recurrent_kernel", Shape: []int{h, 4 * h}, Data: []float32{11, 12, 13, 14}}
	bias := &model.Tensor{Name: "l.bias", Shape: []int{4 * h}, Data: []float32{21, 22, 23, 24}}
	params := map[string]*model.Tensor{"l.kernel": kernel, "l.recurrent_kernel": rec, "l.bias": bias}
	w, r, b := lstmWeights(params, []string{"l"})
	// W [1, 4H, in]: rows i, o, f, c, each the gate's column of the kernel.
	if want := []float32{1, 5, 4, 8, 2, 6, 3, 7}; !slices.Equal(w, want) {
		t.Errorf("W %v, want %v", w, want)
	}
	if want := []float32{11, 14, 12, 13}; !slices.Equal(r, want) {
		t.Errorf("R %v, want %v", r, want)
	}
	if want := []float32{21, 24, 22, 23, 0, 0, 0, 0}; !slices.Equal(b, want) {
		t.Errorf("B %v, want %v", b, want)
	}
}

// TestWantTensorsMatchesModel keeps the exporter's list of parameters in
// step with the classifier's.
func TestWantTensorsMatchesModel(t *testing.T) {
	for _, cfg := range []model.Config{
		{EmbeddingDim: 4, LSTM: []int{3}},
		{EmbeddingDim: 4, LSTM: []int{3, 2}, Bidirectional: true, Pooling: model.PoolMax},
		{EmbeddingDim: 5, LSTM: []int{2, 3, 4}, Pooling: model.PoolMean},
	} {
		c, err := model.New(cfg, 7, 3)
		if err != nil {
			t.Fatal(err)
		}
		want := wantTensors(cfg, 7, 0, 3)
		if len(want) != len(c.Params()) {
			t.Fatalf("%+v: %d tensors, the classifier %d", cfg, len(want), len(c.Params()))
		}
		for i, p := range c.Params() {
			if p.Name != want[i].Name || !slices.Equal(p.Shape, want[i].Shape) {
				t.Errorf("%+v: tensor %d is %s %v, the exporter expects %s %v", cfg, i, p.Name, p.Shape, want[i].Name, want[i].Shape)
			}
		}
		if err := checkTensors(c); err != nil {
			t.Error(err)
		}
	}
}

// TestRefusesUnknownSettings: a setting the exporter does not know is
// refused when it is on, whatever section of text and model it is in.
func TestRefusesUnknownSettings(t *testing.T) {
	base := func() map[string]map[string]any {
		var s map[string]map[string]any
		cfg := pipeline.DefaultConfig()
		if err := json.Unmarshal(cfg.JSON(), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := checkSections(base()); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	refused := []struct {
		sec, key string
		value    any
		msg      string
	}{
		{"model", "output_activation", "tanh", `model.output_activation = "tanh", which cannot be exported`},
		{"text", "stem", "porter", `text.stem = "porter", a setting the ONNX exporter does not know`},
		{"model", "attention", map[string]any{"heads": 2.0}, `model.attention = {"heads":2}, a setting the ONNX exporter does not know`},
		{"text", "split", "words", `text.split = "words", which cannot be exported to ONNX (the exporter knows "whitespace", "character")`},
		{"text", "split", "unicode_words", `text.split = "unicode_words", which cannot be exported to ONNX (its word boundaries (Unicode UAX #29) are not reproduced exactly`},
		{"model", "pooling", "attention", `model.pooling = "attention", which cannot be exported`},
	}
	for _, r := range refused {
		s := base()
		s[r.sec][r.key] = r.value
		err := checkSections(s)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), r.msg) {
			t.Errorf("%s.%s = %v: %v, want ErrUnsupported saying %q", r.sec, r.key, r.value, err, r.msg)
		}
	}
	// Unknown keys that are off (their zero value) do not matter.
	s := base()
	s["model"]["output_activation"], s["text"]["stem"], s["model"]["attention"] = "", "", map[string]any{"heads": 0.0}
	if err := checkSections(s); err != nil {
		t.Errorf("settings that are off: %v", err)
	}
	// The tokenizer's options export: the tokenizer file carries them.
	s = base()
	s["text"]["ngrams"], s["text"]["split"] = 3.0, "character"
	s["text"]["subwords"] = map[string]any{"buckets": 1000.0, "min_n": 3.0, "max_n": 6.0}
	if err := checkSections(s); err != nil {
		t.Errorf("n-grams, subwords, character: %v", err)
	}
	// Training settings are no concern of the graph.
	s = base()
	s["model"]["dropout"], s["model"]["freeze_embedding"] = 0.5, true
	if err := checkSections(s); err != nil {
		t.Errorf("training settings: %v", err)
	}
	// Unmasked without a sequence length depends on the batch.
	s = base()
	s["model"]["mask_padding"], s["text"]["sequence_length"] = false, 0.0
	if err := checkSections(s); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "sequence_length 0") {
		t.Errorf("unmasked, sequence_length 0: %v", err)
	}
}

func TestBuildRefusesUnmaskedWithoutLength(t *testing.T) {
	m := testModel(t, func(c *pipeline.Config) { c.Model.MaskPadding, c.Text.SequenceLength = false, 0 })
	if _, err := Build(m, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Build: %v, want ErrUnsupported", err)
	}
}

func TestTokenizerFile(t *testing.T) {
	m := testModel(t, func(c *pipeline.Config) { c.Text.Standardize = data.StandardizeStrip })
	e, err := Build(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw := e.Tokenizer.JSON()
	var tok Tokenizer
	if err := json.Unmarshal(raw, &tok); err != nil {
		t.Fatal(err)
	}
	if tok.Lowercase || tok.StripPunctuation != data.Punctuation || tok.Standardize != data.StandardizeStrip {
		t.Errorf("standardize: %+v", tok.Text)
	}
	if !slices.Equal(tok.Vocabulary, m.Vocab.Tokens()) || !slices.Equal(tok.Labels, m.Labels.Names()) {
		t.Errorf("vocabulary %q, labels %q", tok.Vocabulary, tok.Labels)
	}
	// The white space listed is exactly what the tokenizer splits on.
	var want []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.IsSpace(r) {
			want = append(want, r)
		}
	}
	if got := []rune(tok.Whitespace); !slices.Equal(got, want) {
		t.Errorf("whitespace %q, want %q", got, want)
	}
	// ... and shows as escapes, the file being read by people too.
	if bytes.Contains(raw, []byte("\u00a0")) || !bytes.Contains(raw, []byte(`\u00a0`)) {
		t.Error("non-ASCII white space is not escaped")
	}
	// The tokenizer's split agrees with it.
	tk, err := data.NewTokenizer(m.Config.Text)
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Tokens("a" + tok.Whitespace + "b"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("tokens %q", got)
	}
	if tok.LowercaseMap != nil {
		t.Errorf("a lowercase_map without lower-casing")
	}
}

// The lowercase map is exactly what the tokenizer's lower-casing changes.
func TestTokenizerLowercaseMap(t *testing.T) {
	e, err := Build(testModel(t, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tok Tokenizer
	if err := json.Unmarshal(e.Tokenizer.JSON(), &tok); err != nil {
		t.Fatal(err)
	}
	tk, err := data.NewTokenizer(data.TextConfig{Standardize: data.StandardizeLower, Split: data.SplitCharacter})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue // surrogates are no characters of UTF-8 text
		}
		want := tk.Standardize(string(r))
		got, listed := tok.LowercaseMap[string(r)]
		switch {
		case listed:
			n++
			if got != want || got == string(r) {
				t.Errorf("%U: map %q, tokenizer %q", r, got, want)
			}
		case want != string(r):
			t.Errorf("%U: lower-cased to %q but not in the map", r, want)
		}
	}
	if n != len(tok.LowercaseMap) || tok.LowercaseMap["\u0130"] != "i" || tok.LowercaseMap["A"] != "a" {
		t.Errorf("%d of %d entries checked; İ %q, A %q", n, len(tok.LowercaseMap), tok.LowercaseMap["\u0130"], tok.LowercaseMap["A"])
	}
}

func TestTokenizerPath(t *testing.T) {
	for in, want := range map[string]string{
		"model.onnx":       "model.tokenizer.json",
		"dir/m.ONNX":       "dir/m.tokenizer.json",
		"model":            "model.tokenizer.json",
		"model.v2.bin":     "model.v2.bin.tokenizer.json",
		"out/x.y.onnx":     "out/x.y.tokenizer.json",
		"../a/model.onnx":  "../a/model.tokenizer.json",
		"weird.onnx.other": "weird.onnx.other.tokenizer.json",
	} {
		if got := TokenizerPath(in); got != want {
			t.Errorf("TokenizerPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSigmoidOutput: a multi-label model's graph ends in a Sigmoid (one
// probability per label), a single-label model's in a Softmax, and the
// metadata says which.
func TestSigmoidOutput(t *testing.T) {
	for _, act := range []string{model.OutputSoftmax, model.OutputSigmoid} {
		m := testModel(t, func(c *pipeline.Config) { c.Model.OutputActivation = act })
		e, err := Build(m, Options{ProducerVersion: "test"})
		if err != nil {
			t.Fatalf("%s: %v", act, err)
		}
		nodes := e.Model.GetGraph().GetNode()
		last := nodes[len(nodes)-1]
		want := map[string]string{model.OutputSoftmax: "Softmax", model.OutputSigmoid: "Sigmoid"}[act]
		if last.GetOpType() != want || last.GetOutput()[0] != OutputProbabilities {
			t.Errorf("%s: the graph ends in %s -> %v, want %s -> %s", act, last.GetOpType(), last.GetOutput(), want, OutputProbabilities)
		}
		found := false
		for _, p := range e.Model.GetMetadataProps() {
			if p.GetKey() == "output_activation" {
				found = p.GetValue() == act
			}
		}
		if !found {
			t.Errorf("%s: metadata output_activation missing or wrong: %v", act, e.Model.GetMetadataProps())
		}
	}
}
