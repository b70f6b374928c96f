package main

import (
	"context"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/internal/kernels"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// TestInt8ComputeExample trains the shipped example and predicts its test
// set with and without --int8-compute, from the float32 file and from its
// int8 file: every output line is a valid distribution over the labels,
// the int8 probabilities are within 0.02 of float32's, and the most
// probable label is the same on at least 90% of the lines (each file
// against its own float32 predictions). eval takes the flag too.
func TestInt8ComputeExample(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	small := filepath.Join(dir, "small.safetensors")
	test := filepath.Join(exampleDir, "test.txt")
	runCLI(t, "train", "--quiet", "--train", filepath.Join(exampleDir, "train.txt"), "--model", model, "--epochs", "3", "--threads", "1")
	runCLI(t, "quantize", "--quiet", model, "-o", small)
	predict := func(m string, extra ...string) []map[string]float64 {
		args := append([]string{"predict", "--model", m, "--format", "jsonl", "--top-k", "100", test}, extra...)
		lines := parsePredictions(t, runCLI(t, args...))
		if len(lines) != 40 {
			t.Fatalf("%v: %d lines, want 40", args, len(lines))
		}
		for i, l := range lines {
			var sum float64
			for _, p := range l {
				if !(p >= 0 && p <= 1) {
					t.Fatalf("%v line %d: probability %v", args, i+1, p)
				}
				sum += p
			}
			if math.Abs(sum-1) > 1e-3 {
				t.Fatalf("%v line %d: probabilities sum to %v", args, i+1, sum)
			}
		}
		return lines
	}
	for _, tc := range []struct{ name, file string }{{"float32 file", model}, {"int8 file", small}} {
		float := predict(tc.file)
		if len(float[0]) < 2 {
			t.Fatalf("%d labels per line, want all of them", len(float[0]))
		}
		got := predict(tc.file, "--int8-compute")
		agree, worst := 0, 0.0
		for i := range float {
			for label, p := range float[i] {
				q, ok := got[i][label]
				if !ok {
					t.Fatalf("%s line %d: no label %q", tc.name, i+1, label)
				}
				worst = max(worst, math.Abs(p-q))
			}
			if top(float[i]) == top(got[i]) {
				agree++
			}
		}
		t.Logf("%s: largest difference %.4f, same label on %d/40", tc.name, worst, agree)
		if worst > 0.02 {
			t.Errorf("%s --int8-compute: probabilities differ from float32 by up to %.4f, want at most 0.02", tc.name, worst)
		}
		if agree < 36 {
			t.Errorf("%s --int8-compute: the same label on %d of 40 lines, want 36", tc.name, agree)
		}
	}
	out := string(runCLI(t, "eval", "--model", model, "--data", test, "--int8-compute"))
	if !regexp.MustCompile(`(?m)^n +40$`).MatchString(out) || !strings.Contains(out, "accuracy") {
		t.Errorf("eval --int8-compute:\n%s", out)
	}
}

// top returns the most probable label.
func top(p map[string]float64) string {
	best, bp := "", -1.0
	for l, v := range p {
		if v > bp || (v == bp && l < best) {
			best, bp = l, v
		}
	}
	return best
}

// TestInt8ComputeFlag: predict, eval and serve take --int8-compute (off by
// default) into their options.
func TestInt8ComputeFlag(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  func(f *factory, g *globalOptions, got *bool) *cobra.Command
		args []string
	}{
		{"predict", func(f *factory, g *globalOptions, got *bool) *cobra.Command {
			return newPredictCmd(f, g, func(_ context.Context, o *predictOptions) error { *got = o.Int8; return nil })
		}, nil},
		{"eval", func(f *factory, g *globalOptions, got *bool) *cobra.Command {
			return newEvalCmd(f, g, func(_ context.Context, o *evalOptions) error { *got = o.Int8; return nil })
		}, []string{"--data", "d.txt"}},
		{"serve", func(f *factory, g *globalOptions, got *bool) *cobra.Command {
			return newServeCmd(f, g, func(_ context.Context, o *serveOptions) error { *got = o.Int8; return nil })
		}, nil},
	} {
		for _, on := range []bool{false, true} {
			ios, _, _, _ := Test()
			root := &cobra.Command{Use: "lstmctl"}
			g := &globalOptions{}
			addGlobalFlags(root, g)
			got := !on
			root.AddCommand(tc.add(&factory{IO: ios}, g, &got))
			args := append([]string{tc.name}, tc.args...)
			if on {
				args = append(args, "--int8-compute")
			}
			root.SetArgs(args)
			if err := root.Execute(); err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			if got != on {
				t.Errorf("%v: Int8 = %v, want %v", args, got, on)
			}
		}
	}
}

// --int8-compute warns when the int8 product runs in pure Go (a CPU
// without AVX-512 VNNI, or a noasm build), and only then.
func TestInt8ComputeWarnsWithoutVNNI(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.safetensors")
	runCLI(t, "train", "--quiet", "--train", filepath.Join(exampleDir, "train.txt"), "--model", model, "--epochs", "1", "--vectors", "none")
	m, err := pipeline.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range kernels.Available("qgemm") {
		restore, err := kernels.Force("qgemm", v)
		if err != nil {
			t.Fatal(err)
		}
		ios, _, _, errOut := Test()
		useInt8(ios, m)
		restore()
		if warned := strings.Contains(errOut.String(), "warning: --int8-compute: without AVX-512 VNNI"); warned != (v == "generic") {
			t.Errorf("qgemm %s: stderr %q", v, errOut.String())
		}
	}
}
