//go:build !noasm

// The recipe is process plumbing, not numerics: it runs once, with the
// assembly kernels, not again under -tags noasm.

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPredictUnderGNUParallel runs the recipe of docs/scale.md: predict as
// a filter under GNU parallel (--pipe --keep-order) on 200 000 lines, which
// must give the output of one process, line for line. It needs Debian's
// parallel (.ci/run installs it).
func TestPredictUnderGNUParallel(t *testing.T) {
	parallel, err := exec.LookPath("parallel")
	if err != nil {
		skipOrFailInCI(t, "GNU parallel is not installed (apt-get install parallel); the scale recipe is not tested")
		return
	}
	bin := lstmctlBinary(t)
	model := trainExample(t, bin)
	dir := t.TempDir()

	// 200 000 lines: the example's texts without their labels, numbered so
	// that no two blocks are alike, an empty line now and then.
	train, err := os.ReadFile(filepath.Join(exampleDir, "train.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, l := range strings.Split(strings.TrimSpace(string(train)), "\n") {
		if _, text, ok := strings.Cut(l, " "); ok {
			texts = append(texts, text)
		}
	}
	const n = 200_000
	in := filepath.Join(dir, "in.txt")
	var b bytes.Buffer
	for i := range n {
		if i%997 == 0 {
			b.WriteByte('\n')
			continue
		}
		fmt.Fprintf(&b, "%s w%d\n", texts[i%len(texts)], i%89)
	}
	if err := os.WriteFile(in, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	run := func(name string, args ...string) []byte {
		t.Helper()
		f, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command(name, args...)
		cmd.Stdin = f
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	one := run(bin, "predict", "--model", model, "--threads", "1")
	many := run(parallel, "--will-cite", "--pipe", "--keep-order", "--block", "1M", "-j", "2",
		bin, "predict", "--model", model, "--threads", "1")
	if got := bytes.Count(one, []byte("\n")); got != n {
		t.Fatalf("one process wrote %d lines for %d", got, n)
	}
	if !bytes.Equal(one, many) {
		a, c := bufio.NewScanner(bytes.NewReader(one)), bufio.NewScanner(bytes.NewReader(many))
		for line := 1; ; line++ {
			okA, okC := a.Scan(), c.Scan()
			if !okA || !okC || a.Text() != c.Text() {
				t.Fatalf("line %d differs: one process %q, under parallel %q", line, a.Text(), c.Text())
			}
		}
	}

	// A failing job fails the whole run (parallel exits with the number
	// of failed jobs), and predict's exit code tells why.
	cmd := exec.Command(parallel, "--will-cite", "--pipe", "--keep-order", "--halt", "now,fail=1", "--block", "1M", "-j", "2",
		bin, "predict", "--model", filepath.Join(dir, "missing.safetensors"))
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdin = f
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Errorf("parallel with a missing model: %v, want a non-zero exit", err)
	}
}
