package pipeline

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lstmctl/lstmctl/pkg/train"
)

// onStart is a reporter that runs f when the data is read, after the
// preflight, and fails the test if it runs when it should not.
type onStart struct {
	nopReporter
	f func()
}

func (o onStart) Start(StartReport) { o.f() }

// A run that cannot write an output or read an input fails before it reads
// the data, naming the path and what fixes it, as a ConfigError.
func TestPreflight(t *testing.T) {
	cases := []struct {
		name string
		edit func(dir string, cfg *Config, opts *TrainOptions)
		want string
	}{
		{"history directory missing", func(dir string, c *Config, _ *TrainOptions) { c.Output.History = filepath.Join(dir, "nodir", "h.csv") }, "nodir/h.csv: directory " + "DIR/nodir does not exist; create it (mkdir -p DIR/nodir)"},
		{"model directory missing", func(dir string, c *Config, _ *TrainOptions) {
			c.Output.Model = filepath.Join(dir, "nodir", "m.safetensors")
		}, "--model (output.model) DIR/nodir/m.safetensors: directory DIR/nodir does not exist"},
		{"model directory is a file", func(dir string, c *Config, _ *TrainOptions) {
			c.Output.Model = filepath.Join(c.Data.Train, "m.safetensors")
		}, "DIR/train.txt is not a directory"},
		{"test missing", func(dir string, c *Config, _ *TrainOptions) { c.Data.Test = filepath.Join(dir, "nosuch.txt") }, "--test (data.test) DIR/nosuch.txt: no such file or directory; fix the path"},
		{"validation missing", func(dir string, c *Config, _ *TrainOptions) { c.Data.Validation = filepath.Join(dir, "nosuch.txt") }, "--validation (data.validation) DIR/nosuch.txt: no such file"},
		{"train missing", func(dir string, c *Config, _ *TrainOptions) { c.Data.Train = filepath.Join(dir, "nosuch.txt") }, "--train (data.train) DIR/nosuch.txt: no such file"},
		{"from missing", func(dir string, _ *Config, o *TrainOptions) { o.From = filepath.Join(dir, "nosuch.safetensors") }, "--from DIR/nosuch.safetensors: no such file"},
		{"resume missing", func(dir string, _ *Config, o *TrainOptions) { o.Resume = filepath.Join(dir, "nosuch.safetensors") }, "--resume DIR/nosuch.safetensors: no such file"},
		{"vectors missing", func(dir string, c *Config, _ *TrainOptions) {
			c.Model.EmbeddingVectors = filepath.Join(dir, "nosuch.vec")
		}, "DIR/nosuch.vec: no such file or directory (known vector names: "},
		{"model is the training data", func(dir string, c *Config, _ *TrainOptions) { c.Output.Model = c.Data.Train }, "--model (output.model) DIR/train.txt is the same file as --train (data.train) DIR/train.txt"},
		{"history is the training data by another path", func(dir string, c *Config, _ *TrainOptions) {
			c.Output.History = filepath.Join(dir, ".", "sub", "..", "train.txt")
			os.Mkdir(filepath.Join(dir, "sub"), 0o755)
		}, "is the same file as --train"},
		{"model is a directory", func(dir string, c *Config, _ *TrainOptions) { c.Output.Model = dir }, "--model (output.model) DIR is a directory, not a regular file"},
		{"history is the model", func(dir string, c *Config, _ *TrainOptions) { c.Output.History = c.Output.Model }, "--history (output.history) DIR/m.safetensors is --model (output.model) as well"},
		{"checkpoint dir is a file", func(dir string, c *Config, _ *TrainOptions) { c.Output.CheckpointDir = c.Data.Train }, "--checkpoint-dir (output.checkpoint_dir) DIR/train.txt is a regular file"},
		{"checkpoint is a directory", func(dir string, c *Config, _ *TrainOptions) {
			c.Output.CheckpointDir = filepath.Join(dir, "ck")
			os.MkdirAll(filepath.Join(dir, "ck", train.LastCheckpoint), 0o755)
		}, "DIR/ck/last.safetensors is a directory, not a regular file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := tinyRun(t, dir)
			started := false
			opts := TrainOptions{Reporter: onStart{f: func() { started = true }}}
			tc.edit(dir, &cfg, &opts)
			t0 := time.Now()
			_, err := Train(context.Background(), cfg, opts)
			if _, ok := errors.AsType[*ConfigError](err); !ok {
				t.Fatalf("error %v (%T), want a ConfigError", err, err)
			}
			if want := strings.ReplaceAll(tc.want, "DIR", dir); !strings.Contains(err.Error(), want) {
				t.Errorf("error\n%v\nwant it to contain\n%s", err, want)
			}
			if started || time.Since(t0) > time.Second {
				t.Errorf("failed after reading the data (%v)", time.Since(t0))
			}
			if _, err := os.Stat(filepath.Join(dir, "m.safetensors")); err == nil && cfg.Output.Model != dir {
				t.Error("a model file was written")
			}
			assertNoProbe(t, dir)
		})
	}
}

// fileKind is a mistake (and exit 2) for the writers' special files too.
func TestPreflightSpecialFile(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Output.History = os.DevNull
	_, err := Train(context.Background(), cfg, TrainOptions{})
	if _, ok := errors.AsType[*ConfigError](err); !ok || !strings.Contains(err.Error(), os.DevNull+" is a device, not a regular file") {
		t.Errorf("history %s: %v", os.DevNull, err)
	}
}

// The checkpoint directory is created; the probe files are gone.
func TestPreflightCreatesCheckpointDir(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Train.Epochs = 1
	cfg.Output.CheckpointDir = filepath.Join(dir, "a", "b")
	if _, err := Train(context.Background(), cfg, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Output.CheckpointDir, train.LastCheckpoint)); err != nil {
		t.Error(err)
	}
	assertNoProbe(t, dir)
}

func assertNoProbe(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "lstmctl-probe") {
			t.Errorf("probe file left: %s", p)
		}
		return nil
	})
}

// A model file that cannot be written at the end (here its path became a
// directory during the run) leaves the weights in a rescue file beside it,
// named in the error.
func TestRescueBeside(t *testing.T) {
	dir := t.TempDir()
	cfg, full := fullRun(t, dir)
	cfg.Output.Model = filepath.Join(dir, "late.safetensors")
	_, err := Train(context.Background(), cfg, TrainOptions{Reporter: onStart{f: func() {
		if err := os.Mkdir(cfg.Output.Model, 0o755); err != nil {
			t.Fatal(err)
		}
	}}})
	rescued := rescuedFile(t, err, dir, "late")
	m, err := Open(rescued)
	if err != nil {
		t.Fatal(err)
	}
	if !sameParams(paramBytes(m), paramBytes(full.Model)) {
		t.Error("rescued weights differ from the run's")
	}
}

// When the model's directory itself is gone, the rescue file goes to the
// temporary directory.
func TestRescueTempDir(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cfg := tinyRun(t, dir)
	cfg.Data.Test = ""
	sub := filepath.Join(dir, "out")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Output.Model = filepath.Join(sub, "m.safetensors")
	_, err := Train(context.Background(), cfg, TrainOptions{Reporter: onStart{f: func() {
		// The directory becomes a file: nothing can be written there.
		if err := os.Remove(sub); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sub, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}}})
	if _, err := Open(rescuedFile(t, err, tmp, "m")); err != nil {
		t.Fatal(err)
	}
}

// rescuedFile checks that err names one rescue file of the model base in
// dir, and returns its path.
func rescuedFile(t *testing.T, err error, dir, base string) string {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	found, _ := filepath.Glob(filepath.Join(dir, "lstmctl-rescued-"+base+"-*.safetensors"))
	if len(found) != 1 {
		t.Fatalf("rescue files %v; error: %v", found, err)
	}
	if !strings.Contains(err.Error(), "the trained weights were saved to "+found[0]+" instead") {
		t.Errorf("error does not name the rescue file %s: %v", found[0], err)
	}
	return found[0]
}

// historyRows reads a CSV history: the epoch and loss columns of its rows.
func historyRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 || rows[0][0] != "epoch" {
		t.Fatalf("%s: %v %v", path, rows, err)
	}
	var out [][]string
	for _, r := range rows[1:] {
		out = append(out, r[:3])
	}
	return out
}

// An interrupted run has the rows of its completed epochs in the history
// file; resuming continues the same file without duplicates, with the rows
// of an uninterrupted run.
func TestHistoryInterruptResume(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := fullRun(t, dir)
	full := historyRows(t, cfg.Output.History)
	if len(full) != 3 {
		t.Fatalf("uninterrupted history %v", full)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Output.Model = filepath.Join(dir, "again.safetensors")
	cfg.Output.History = filepath.Join(dir, "again.csv")
	var during [][]string
	_, err := Train(ctx, cfg, TrainOptions{Reporter: stepHook{f: func(epoch, step int) {
		if epoch == 2 && step == 1 { // the row of epoch 1 is in the file while the run goes
			during = historyRows(t, cfg.Output.History)
			cancel()
		}
	}}})
	ie, ok := errors.AsType[*InterruptedError](err)
	if !ok {
		t.Fatalf("interrupted run: %v", err)
	}
	if !slices.EqualFunc(during, full[:1], slices.Equal) {
		t.Errorf("history during epoch 2 %v, want %v", during, full[:1])
	}
	if got := historyRows(t, cfg.Output.History); !slices.EqualFunc(got, full[:1], slices.Equal) {
		t.Errorf("history after the interruption %v, want %v", got, full[:1])
	}
	if _, err := Train(context.Background(), cfg, TrainOptions{Resume: ie.Checkpoint}); err != nil {
		t.Fatal(err)
	}
	if got := historyRows(t, cfg.Output.History); !slices.EqualFunc(got, full, slices.Equal) {
		t.Errorf("history after resuming %v, want %v", got, full)
	}
}

// A history write that fails during the run does not lose the model: the
// run ends, the model is written, and the error says where it is.
func TestHistoryWriteFails(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyRun(t, dir)
	cfg.Output.History = filepath.Join(dir, "h.json")
	rep := epochHook{f: func(s train.EpochStats) {
		if s.Epoch == 1 { // the next rewrite cannot replace a directory
			os.Remove(cfg.Output.History)
			os.Mkdir(cfg.Output.History, 0o755)
		}
	}}
	_, err := Train(context.Background(), cfg, TrainOptions{Reporter: rep})
	if err == nil || !strings.Contains(err.Error(), "train: history: ") || !strings.Contains(err.Error(), "(the model was saved to "+cfg.Output.Model+")") {
		t.Fatalf("error %v", err)
	}
	if _, err := Open(cfg.Output.Model); err != nil {
		t.Error(err)
	}
}

// epochHook is a reporter that runs f at every epoch's end.
type epochHook struct {
	nopReporter
	f func(train.EpochStats)
}

func (e epochHook) EpochEnd(s train.EpochStats) { e.f(s) }

// stepHook is a reporter that runs f at every step.
type stepHook struct {
	nopReporter
	f func(epoch, step int)
}

func (h stepHook) Step(epoch, step int, loss, acc float64) { h.f(epoch, step) }

// fullRun trains the tiny run of dir without a test set, uninterrupted.
func fullRun(t *testing.T, dir string) (Config, *TrainResult) {
	t.Helper()
	cfg := tinyRun(t, dir)
	cfg.Data.Test = ""
	res, err := Train(context.Background(), cfg, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, res
}

// An interrupted run whose checkpoint cannot be written beside the model
// keeps it in a rescue file in the temporary directory, which resumes.
func TestRescueInterruptCheckpoint(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cfg, full := fullRun(t, dir)
	sub := filepath.Join(dir, "out")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Output.Model = filepath.Join(sub, "m.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Train(ctx, cfg, TrainOptions{Reporter: stepHook{f: func(epoch, step int) {
		if epoch == 2 && step == 1 {
			os.Remove(sub)
			os.WriteFile(sub, nil, 0o644)
			cancel()
		}
	}}})
	ie, ok := errors.AsType[*InterruptedError](err)
	if !ok {
		t.Fatalf("interrupted run: %v", err)
	}
	found, _ := filepath.Glob(filepath.Join(tmp, "lstmctl-rescued-m.checkpoint-*.safetensors"))
	if len(found) != 1 || ie.Checkpoint != found[0] {
		t.Fatalf("checkpoint %q, rescue files %v", ie.Checkpoint, found)
	}
	cfg.Output.Model = filepath.Join(dir, "resumed.safetensors")
	resumed, err := Train(context.Background(), cfg, TrainOptions{Resume: ie.Checkpoint})
	if err != nil {
		t.Fatal(err)
	}
	if !sameParams(paramBytes(resumed.Model), paramBytes(full.Model)) {
		t.Error("resumed weights differ from the uninterrupted run's")
	}
}
