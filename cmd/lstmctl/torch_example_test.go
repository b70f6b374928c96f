package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/model"
	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

// torchExample is the documented PyTorch conversion, seen from this
// directory.
const torchExample = "../../docs/python/torch_convert.py"

// torchPython returns the Python that runs the example, or skips (fails in
// CI, where .ci/run installs python3-torch).
func torchPython(t *testing.T) string {
	t.Helper()
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		skipOrFailInCI(t, python+" is not installed; the PyTorch example is not tested")
	}
	if out, err := exec.Command(python, "-c", "import torch, numpy").CombinedOutput(); err != nil {
		skipOrFailInCI(t, "PyTorch is missing ("+strings.TrimSpace(string(out))+"); install it with apt-get install python3-torch")
	}
	return python
}

// runPython runs the example with args and returns its stdout.
func runPython(t *testing.T, python string, args ...string) []byte {
	t.Helper()
	script, err := filepath.Abs(torchExample)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, append([]string{script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestTorchToLstmctl trains a PyTorch model in the example, which writes
// it with a plain safetensors writer (no checksums) and prints its
// probabilities: lstmctl predict on the file gives the same.
func TestTorchToLstmctl(t *testing.T) {
	python := torchPython(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(input, []byte(numpyInput), 0o644); err != nil {
		t.Fatal(err)
	}
	modelPath := filepath.Join(dir, "from-torch.safetensors")
	torchProbs := parsePredictions(t, runPython(t, python, "export", "../../examples/topics/train.txt", modelPath, input))
	want := parsePredictions(t, runCLI(t, "predict", "--model", modelPath, "--format", "jsonl", "--top-k", "100", input))
	sameProbabilities(t, torchProbs, want, 1e-5)

	m, err := pipeline.Open(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	if m.Storage.Checksums != model.ChecksumsAbsent || m.Storage.Weights != "float32" {
		t.Errorf("storage %+v, want float32 weights without checksums", m.Storage)
	}
	// The metadata is checked as in any model file, checksums or not.
	b, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, bytes.Replace(b, []byte(`[UNK]`), []byte(`[UNX]`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Open(bad); err == nil || !strings.Contains(err.Error(), `vocab[1] is "[UNX]", must be "[UNK]"`) {
		t.Errorf("Open(bad vocabulary): %v", err)
	}
}

// TestLstmctlToTorch loads lstmctl models, float32 and int8, into the
// example's PyTorch module: its probabilities are lstmctl predict's.
func TestLstmctlToTorch(t *testing.T) {
	python := torchPython(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(input, []byte(numpyInput), 0o644); err != nil {
		t.Fatal(err)
	}
	modelPath := filepath.Join(dir, "model.safetensors")
	runCLI(t, "train", "--quiet", "--train", "../../examples/topics/train.txt", "--model", modelPath, "--epochs", "2")
	small := filepath.Join(dir, "small.safetensors")
	runCLI(t, "quantize", "--quiet", modelPath, "-o", small)
	for _, path := range []string{modelPath, small} {
		want := parsePredictions(t, runCLI(t, "predict", "--model", path, "--format", "jsonl", "--top-k", "100", input))
		sameProbabilities(t, parsePredictions(t, runPython(t, python, "predict", path, input)), want, 1e-5)
	}
}
