package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lstmctl/lstmctl/internal/pretrained"
	"github.com/lstmctl/lstmctl/internal/safetensors"
	"github.com/lstmctl/lstmctl/pkg/model"
)

func TestMain(m *testing.M) {
	// A named vector set for the scripts, in the test binary and in the
	// lstmctl it runs as: small.vec of vectors.txtar (40 bytes) is its
	// cached file. Fetching is tested in internal/pretrained.
	pretrained.Sources = append(pretrained.Sources, pretrained.Source{
		Name: "small.3d", About: "test vectors", Words: 2, Dim: 3, Size: 40,
	})
	testscript.Main(m, map[string]func(){
		"lstmctl": func() { os.Exit(Main()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: the real binary
// on tiny inline data, checking outputs, files and exit codes.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"sametensors":  cmdSameTensors,
			"flipbyte":     cmdFlipByte,
			"truncate":     cmdTruncate,
			"tensorsum":    cmdTensorSum,
			"gzip":         cmdGzip,
			"zip":          cmdZip,
			"randbytes":    cmdRandBytes,
			"storedconfig": cmdStoredConfig,
			"probsclose":   cmdProbsClose,
			// exitcode N cmd args...: runs cmd and requires exit status N;
			// stdout and stderr are then available to the stdout/stderr checks.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exitcode: %v", err)
				}
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("exitcode: %v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("%s exited %d, want %d", args[1], got, want)
				}
			},
		},
	})
}

// sametensors A B: the two model files hold identical tensor bytes (their
// metadata may differ, e.g. in the output path stored in the config).
func cmdSameTensors(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sametensors A B")
	}
	a, _, err := model.Load(ts.MkAbs(args[0]))
	ts.Check(err)
	b, _, err := model.Load(ts.MkAbs(args[1]))
	ts.Check(err)
	pa, pb := a.Params(), b.Params()
	same := len(pa) == len(pb)
	for i := 0; same && i < len(pa); i++ {
		same = pa[i].Name == pb[i].Name && len(pa[i].Data) == len(pb[i].Data)
		for j := 0; same && j < len(pa[i].Data); j++ {
			same = math.Float32bits(pa[i].Data[j]) == math.Float32bits(pb[i].Data[j])
		}
	}
	if same == neg {
		ts.Fatalf("tensors of %s and %s: same = %v", args[0], args[1], same)
	}
}

// tensorsum FILE N: the tensors of the safetensors file hold N values in
// all (read from the file's header, not through the model).
func cmdTensorSum(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: tensorsum FILE N")
	}
	tensors, _, err := safetensors.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	sum := 0
	for _, t := range tensors {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		sum += n
	}
	if (strconv.Itoa(sum) == args[1]) == neg {
		ts.Fatalf("the tensors of %s hold %d values (want %s: %v)", args[0], sum, args[1], !neg)
	}
}

// flipbyte FILE OFFSET: inverts the bits of one byte (negative = from the end).
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	if off < 0 {
		off += len(b)
	}
	b[off] ^= 0xff
	ts.Check(os.WriteFile(path, b, 0o644))
}

// truncate FILE FRACTION: keeps the first FRACTION of the file's bytes.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE FRACTION")
	}
	path := ts.MkAbs(args[0])
	fi, err := os.Stat(path)
	ts.Check(err)
	frac, err := strconv.ParseFloat(args[1], 64)
	ts.Check(err)
	ts.Check(os.Truncate(path, int64(float64(fi.Size())*frac)))
}

// gzip FILE: writes FILE.gz beside FILE (testscript has no gzip).
func cmdGzip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gzip FILE")
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(ts.ReadFile(args[0])))
	ts.Check(err)
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+".gz"), buf.Bytes(), 0o644))
}

// zip ARCHIVE FILE...: writes a zip archive of the files, by their names.
func cmdZip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: zip ARCHIVE FILE...")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range args[1:] {
		w, err := zw.Create(name)
		ts.Check(err)
		_, err = w.Write([]byte(ts.ReadFile(name)))
		ts.Check(err)
	}
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o644))
}

// randbytes FILE N: writes N seeded pseudo-random bytes (always the same).
func cmdRandBytes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: randbytes FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

// probsclose A B TOL: two outputs of predict --format jsonl give the same
// label on every line, with probabilities within TOL of each other.
func cmdProbsClose(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: probsclose A B TOL")
	}
	tol, err := strconv.ParseFloat(args[2], 64)
	ts.Check(err)
	type line struct {
		Label       string  `json:"label"`
		Probability float64 `json:"probability"`
	}
	read := func(name string) []line {
		var out []line
		for _, l := range strings.Split(strings.TrimSpace(ts.ReadFile(name)), "\n") {
			var x line
			ts.Check(json.Unmarshal([]byte(l), &x))
			out = append(out, x)
		}
		return out
	}
	a, b := read(args[0]), read(args[1])
	if len(a) != len(b) || len(a) == 0 {
		ts.Fatalf("%s has %d lines, %s %d", args[0], len(a), args[1], len(b))
	}
	for i := range a {
		if a[i].Label != b[i].Label || math.Abs(a[i].Probability-b[i].Probability) > tol {
			ts.Fatalf("line %d: %+v vs %+v (tolerance %g)", i+1, a[i], b[i], tol)
		}
	}
}
