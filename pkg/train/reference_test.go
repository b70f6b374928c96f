package train_test

// Reference tests: the float32 model, loss and Adam against float64 PyTorch.
//
// The fixtures in testdata/reference/*.json are written by
// scripts/reference/make_fixtures.py (see its doc and README.md there for the
// JSON layout and how to regenerate them). Each holds small deterministic
// weights and one time-major batch, and the float64 logits, mean loss, every
// gradient, and the parameters after one and after three Adam steps (Keras
// form; the gradient is recomputed at the new weights before every step).
// The tolerances are stored in the fixtures; the script checks that torch
// float32 running the same math uses under a tenth of them.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// refTol is a per-element tolerance:
// |got-want| <= Abs + Rel*|want| + RelMax*max_j|want_j| (max over the tensor).
type refTol struct {
	Abs    float64 `json:"abs"`
	Rel    float64 `json:"rel"`
	RelMax float64 `json:"rel_max"`
}

type refParam struct {
	Name   string    `json:"name"`
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

type refFixture struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Config      struct {
		Model      model.Config          `json:"model"`
		VocabSize  int                   `json:"vocab_size"`
		NumClasses int                   `json:"num_classes"`
		Optimizer  train.OptimizerConfig `json:"optimizer"`
	} `json:"config"`
	Input struct {
		B       int     `json:"B"`
		T       int     `json:"T"`
		Tokens  []int32 `json:"tokens"`
		Lengths []int   `json:"lengths"`
		Labels  []int32 `json:"labels"`
		// LabelSets: the class indices of each sample of a multi-label
		// (sigmoid) case, which has no Labels.
		LabelSets [][]int32 `json:"label_sets"`
	} `json:"input"`
	Params       []refParam             `json:"params"`
	Logits       []float64              `json:"logits"`
	Loss         float64                `json:"loss"`
	Grads        map[string][]float64   `json:"grads"`
	LaterGrads   []map[string][]float64 `json:"later_grads"`
	Losses       []float64              `json:"losses"`
	ParamsAfter1 map[string][]float64   `json:"params_after_1"`
	ParamsAfter3 map[string][]float64   `json:"params_after_3"`
	Tolerance    map[string]refTol      `json:"tolerance"`
}

// refCases are the fixtures make_fixtures.py writes; a missing one fails.
var refCases = []string{
	"adam_epsilon_betas",
	"bidi_maxpool_masked_2layer",
	"clipnorm_1layer",
	"global_clipnorm_1layer",
	"masked_2layer",
	"sigmoid_bce_masked_2layer",
	"unmasked_2layer_prepad",
}

func loadRefFixtures(t *testing.T) []*refFixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "reference", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*refFixture
	var names []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f := new(refFixture)
		if err := json.Unmarshal(b, f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if err := f.validate(); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, f)
		names = append(names, f.Name)
	}
	sort.Strings(names)
	if !slices.Equal(names, refCases) {
		t.Fatalf("reference fixtures %v, want %v (regenerate with scripts/reference/make_fixtures.py)", names, refCases)
	}
	return out
}

// validate checks the fixture is internally consistent, so that a broken
// file fails here and not as a confusing numeric mismatch.
func (f *refFixture) validate() error {
	in := f.Input
	labels := len(in.Labels)
	if f.Config.Model.Sigmoid() {
		labels = len(in.LabelSets)
	}
	if in.B <= 0 || in.T < 0 || len(in.Tokens) != in.B*in.T || len(in.Lengths) != in.B || labels != in.B {
		return fmt.Errorf("bad input sizes B=%d T=%d tokens=%d lengths=%d labels=%d",
			in.B, in.T, len(in.Tokens), len(in.Lengths), labels)
	}
	if len(f.Logits) != in.B*f.Config.NumClasses || len(f.Losses) != 3 {
		return fmt.Errorf("bad logits (%d) or losses (%d)", len(f.Logits), len(f.Losses))
	}
	for _, k := range []string{"logits", "loss", "grads", "params"} {
		tol, ok := f.Tolerance[k]
		if !ok {
			return fmt.Errorf("tolerance %q missing", k)
		}
		// Guard against a regenerated fixture that silently loosens the test.
		if tol.Abs > 1e-5 || tol.Rel > 1e-3 || tol.RelMax > 1e-3 {
			return fmt.Errorf("tolerance %q = %+v is too loose", k, tol)
		}
	}
	if len(f.LaterGrads) != 0 && len(f.LaterGrads) != 2 {
		return fmt.Errorf("later_grads has %d entries, want 0 or 2", len(f.LaterGrads))
	}
	for _, p := range f.Params {
		n := 1
		for _, d := range p.Shape {
			n *= d
		}
		if len(p.Values) != n {
			return fmt.Errorf("param %s: %d values for shape %v", p.Name, len(p.Values), p.Shape)
		}
		sets := []map[string][]float64{f.Grads, f.ParamsAfter1, f.ParamsAfter3}
		sets = append(sets, f.LaterGrads...)
		for _, m := range sets {
			if len(m[p.Name]) != n {
				return fmt.Errorf("param %s: a reference tensor has %d values, want %d", p.Name, len(m[p.Name]), n)
			}
		}
	}
	return nil
}

// toF32 converts reference values to float32 (the initial parameters are
// written with 9 significant digits, so this is exact).
func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// refTensors returns fresh tensors holding the fixture's initial parameters.
func (f *refFixture) refTensors() []*model.Tensor {
	out := make([]*model.Tensor, len(f.Params))
	for i, p := range f.Params {
		out[i] = &model.Tensor{Name: p.Name, Shape: slices.Clone(p.Shape), Data: toF32(p.Values)}
	}
	return out
}

// gradTensors returns tensors named like params holding the reference values.
func gradTensors(params []*model.Tensor, vals map[string][]float64) []*model.Tensor {
	out := make([]*model.Tensor, len(params))
	for i, p := range params {
		out[i] = &model.Tensor{Name: p.Name, Shape: slices.Clone(p.Shape), Data: toF32(vals[p.Name])}
	}
	return out
}

// compareRef reports every element of got outside tol around want, with the
// worst one, and logs the largest absolute error.
func compareRef[F float32 | float64](t *testing.T, what string, got []F, want []float64, tol refTol) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	var scale float64
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	var (
		bad              int
		worst, worstErr  float64
		worstAt          = -1
		maxAbs, maxRatio float64
	)
	for i, w := range want {
		g := float64(got[i])
		e := math.Abs(g - w)
		lim := tol.Abs + tol.Rel*math.Abs(w) + tol.RelMax*scale
		r := e / lim
		if math.IsNaN(g) || math.IsInf(g, 0) {
			r = math.Inf(1)
		}
		maxAbs = math.Max(maxAbs, e)
		maxRatio = math.Max(maxRatio, r)
		if r > 1 {
			bad++
			if r > worst || worstAt < 0 {
				worst, worstAt, worstErr = r, i, e
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values outside tolerance; worst [%d]: got %.9g, want %.9g (|err| %.3g = %.1f x tolerance)",
			what, bad, len(want), worstAt, got[worstAt], want[worstAt], worstErr, worst)
		return
	}
	t.Logf("%s: max |err| %.3g (%.3f of tolerance)", what, maxAbs, maxRatio)
}

func compareTensors(t *testing.T, what string, got []*model.Tensor, want map[string][]float64, tol refTol) {
	t.Helper()
	for _, g := range got {
		compareRef(t, what+" "+g.Name, g.Data, want[g.Name], tol)
	}
}

// noPanic runs fn and turns a panic into a test failure with its stack, so
// that one unfinished or broken piece does not hide the other cases.
func noPanic(t *testing.T, fn func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	fn()
}

// TestReferenceAdam drives Adam alone with the fixture's float64 gradients
// (one step, or three where later_grads are stored), so an optimizer error
// shows up apart from the model's.
func TestReferenceAdam(t *testing.T) {
	for _, f := range loadRefFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			noPanic(t, func() {
				params := f.refTensors()
				opt, err := train.NewAdam(f.Config.Optimizer, params)
				if err != nil {
					t.Fatal(err)
				}
				tol := f.Tolerance["params"]
				opt.Step(params, gradTensors(params, f.Grads))
				compareTensors(t, "after 1 step", params, f.ParamsAfter1, tol)
				if len(f.LaterGrads) == 0 {
					return
				}
				for _, g := range f.LaterGrads {
					opt.Step(params, gradTensors(params, g))
				}
				compareTensors(t, "after 3 steps", params, f.ParamsAfter3, tol)
			})
		})
	}
}

// TestReferenceModel runs the Go classifier on each fixture: logits, loss,
// every gradient, then three real training steps (forward, loss, backward,
// Adam) on the same batch, comparing the loss before each step and the
// parameters after steps 1 and 3.
func TestReferenceModel(t *testing.T) {
	for _, f := range loadRefFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			t.Log(f.Description)
			noPanic(t, func() { runReferenceModel(t, f) })
		})
	}
}

func runReferenceModel(t *testing.T, f *refFixture) {
	cfg := f.Config
	c, err := model.New(cfg.Model, cfg.VocabSize, cfg.NumClasses)
	if err != nil {
		t.Fatal(err)
	}
	params := c.Params()
	if len(params) != len(f.Params) {
		t.Fatalf("Params() has %d tensors, want %d", len(params), len(f.Params))
	}
	for i, p := range params {
		w := f.Params[i]
		if p.Name != w.Name || !slices.Equal(p.Shape, w.Shape) || len(p.Data) != len(w.Values) {
			t.Fatalf("Params()[%d] = %s %v (%d values), want %s %v (model-file order)",
				i, p.Name, p.Shape, len(p.Data), w.Name, w.Shape)
		}
		copy(p.Data, toF32(w.Values))
	}
	grads := c.NewGrads()
	for i, g := range grads {
		if g.Name != params[i].Name || !slices.Equal(g.Shape, params[i].Shape) || len(g.Data) != len(params[i].Data) {
			t.Fatalf("NewGrads()[%d] = %s %v, want %s %v", i, g.Name, g.Shape, params[i].Name, params[i].Shape)
		}
	}

	in := model.Input{Tokens: f.Input.Tokens, Lengths: f.Input.Lengths, B: f.Input.B, T: f.Input.T}
	B, C := f.Input.B, cfg.NumClasses
	s := c.NewState()
	dlogits := make([]float32, B*C)
	// step computes the loss and the gradient at the current weights.
	step := func() float64 {
		for _, g := range grads {
			clear(g.Data)
		}
		logits := c.Forward(s, in)
		if len(logits) != B*C {
			t.Fatalf("Forward returned %d logits, want %d", len(logits), B*C)
		}
		var sum float64
		if cfg.Model.Sigmoid() {
			sum, _ = train.SigmoidBinaryCrossEntropy(logits, f.Input.LabelSets, B, C, 0, dlogits)
		} else {
			sum, _ = train.SoftmaxCrossEntropy(logits, f.Input.Labels, B, C, dlogits)
		}
		c.Backward(s, dlogits, grads)
		return sum / float64(B)
	}

	logits := c.Forward(s, in)
	compareRef(t, "logits", logits, f.Logits, f.Tolerance["logits"])
	loss := step()
	compareRef(t, "loss", []float64{loss}, []float64{f.Loss}, f.Tolerance["loss"])
	compareTensors(t, "grad", grads, f.Grads, f.Tolerance["grads"])

	opt, err := train.NewAdam(cfg.Optimizer, params)
	if err != nil {
		t.Fatal(err)
	}
	opt.Step(params, grads)
	compareTensors(t, "after 1 step", params, f.ParamsAfter1, f.Tolerance["params"])
	for k := 1; k < 3; k++ {
		loss := step()
		compareRef(t, fmt.Sprintf("loss before step %d", k+1), []float64{loss}, []float64{f.Losses[k]}, f.Tolerance["loss"])
		if len(f.LaterGrads) > 0 {
			compareTensors(t, fmt.Sprintf("grad before step %d", k+1), grads, f.LaterGrads[k-1], f.Tolerance["grads"])
		}
		opt.Step(params, grads)
	}
	compareTensors(t, "after 3 steps", params, f.ParamsAfter3, f.Tolerance["params"])
}
