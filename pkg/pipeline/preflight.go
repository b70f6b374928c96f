package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lstmctl/lstmctl/internal/pretrained"
	"github.com/lstmctl/lstmctl/pkg/embed"
	"github.com/lstmctl/lstmctl/pkg/train"
)

// preflight checks, before any data is read, that a run can deliver its
// work: every input can be opened, and every output can be written (its
// directory exists and takes a new file; the checkpoint directory is
// created). An output that is not a regular file, or that is the same file
// as a data or vectors input, is refused. Every problem found is reported,
// each naming the path and what fixes it, as a ConfigError.
func preflight(cfg *Config, opts TrainOptions, extra ...Output) error {
	var errs []error
	var inputs []namedFile // for the same-file check
	in := func(label, path string, data bool) {
		if path == "" || (data && path == Stdin) {
			return
		}
		fi, err := checkInput(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("train: %s %s: %s; fix the path (it is read)", label, path, reason(err)))
			return
		}
		if data {
			inputs = append(inputs, namedFile{label + " " + path, fi})
		}
	}
	in("--train (data.train)", cfg.Data.Train, true)
	in("--validation (data.validation)", cfg.Data.Validation, true)
	in("--test (data.test)", cfg.Data.Test, true)
	in("--from", opts.From, false)
	in("--resume", opts.Resume, false)
	if v := cfg.Model.EmbeddingVectors; v != "" && opts.From == "" && opts.Resume == "" && !knownVectors(v) {
		file := v
		if archive, _, ok := embed.SplitMember(v); ok {
			file = archive // ARCHIVE#MEMBER: the member is looked up when read
		}
		if fi, err := checkInput(file); err != nil {
			errs = append(errs, fmt.Errorf("train: --vectors (model.embedding_vectors) %s: %s (known vector names: %s); give a vectors file or one of the names",
				v, reason(err), strings.Join(pretrained.Names(), ", ")))
		} else {
			inputs = append(inputs, namedFile{"--vectors " + v, fi})
		}
	}
	outputs := []Output{{"--model (output.model)", cfg.Output.Model}}
	if cfg.Output.History != "" {
		outputs = append(outputs, Output{"--history (output.history)", cfg.Output.History})
	}
	outputs = append(outputs, extra...)
	for i, o := range outputs {
		errs = append(errs, checkOutput(o.Label, o.Path, inputs))
		for _, p := range outputs[:i] {
			if samePath(o.Path, p.Path) {
				errs = append(errs, fmt.Errorf("train: %s %s is %s as well; give the two different paths", o.Label, o.Path, p.Label))
			}
		}
	}
	if d := cfg.Output.CheckpointDir; d != "" {
		errs = append(errs, checkCheckpointDir(d))
	}
	if err := errors.Join(errs...); err != nil {
		return &ConfigError{err}
	}
	return nil
}

// Output is a file a run writes: the flag or key that names it, and its
// path.
type Output struct{ Label, Path string }

// Preflight runs the checks Train starts with (preflight) without
// training, with extra files to write checked like the model file: for a
// command that trains several times and writes more than a model.
func Preflight(cfg Config, opts TrainOptions, extra ...Output) error {
	return preflight(&cfg, opts, extra...)
}

// namedFile is an input: its flag and path, and its file.
type namedFile struct {
	name string
	fi   os.FileInfo
}

// checkInput opens path (a file or a directory) and closes it again.
func checkInput(path string) (os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Stat()
}

// knownVectors says whether v names a built-in or fetchable vector set
// rather than a file (a file of that name wins, as in pretrained.Cache).
func knownVectors(v string) bool {
	if _, err := os.Stat(v); err == nil {
		return false
	}
	if _, ok := pretrained.LookupBuiltin(v); ok {
		return true
	}
	_, ok := pretrained.Lookup(v)
	return ok
}

// checkOutput checks that the file path can be written: its directory
// exists and takes a new file, and it is a regular file or does not exist,
// and none of inputs.
func checkOutput(label, path string, inputs []namedFile) error {
	if path == "" {
		return fmt.Errorf("train: %s is empty; name the file to write", label)
	}
	if err := checkWritableDir(label, path, filepath.Dir(path)); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("train: %s %s is %s, not a regular file; name a file to write", label, path, fileKind(fi))
	case err == nil:
		for _, in := range inputs {
			if os.SameFile(fi, in.fi) {
				return fmt.Errorf("train: %s %s is the same file as %s: training would overwrite its input; write elsewhere", label, path, in.name)
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("train: %s %s: %s", label, path, reason(err))
	}
	return nil
}

// checkWritableDir checks that dir, the directory of output path, exists
// and takes a new file: it creates and removes a probe file there.
func checkWritableDir(label, path, dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("train: %s %s: directory %s does not exist; create it (mkdir -p %s) or write elsewhere", label, path, dir, dir)
	case err != nil:
		return fmt.Errorf("train: %s %s: directory %s: %s", label, path, dir, reason(err))
	case !fi.IsDir():
		return fmt.Errorf("train: %s %s: %s is not a directory; write elsewhere", label, path, dir)
	}
	f, err := os.CreateTemp(dir, ".lstmctl-probe-*")
	if err != nil {
		return fmt.Errorf("train: %s %s: cannot create a file in %s: %s; make it writable or write elsewhere", label, path, dir, reason(err))
	}
	f.Close()
	_ = os.Remove(f.Name())
	return nil
}

// checkCheckpointDir creates the checkpoint directory when it does not
// exist, checks that it takes new files and that the checkpoints in it, if
// any, are regular files.
func checkCheckpointDir(dir string) error {
	const label = "--checkpoint-dir (output.checkpoint_dir)"
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("train: %s %s is %s, not a directory; name a directory", label, dir, fileKind(fi))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: %s %s: cannot create it: %s; create it or choose another directory", label, dir, reason(err))
	}
	if err := checkWritableDir(label, dir, dir); err != nil {
		return err
	}
	for _, name := range []string{train.LastCheckpoint, train.BestCheckpoint} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.Mode().IsRegular() {
			return fmt.Errorf("train: %s: %s is %s, not a regular file; remove it or choose another directory", label, p, fileKind(fi))
		}
	}
	return nil
}

// fileKind names what a file that is not a regular file is.
func fileKind(fi os.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// samePath says whether a and b name one file: the same path, or the same
// existing file.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// reason is the cause of a file error without the operation and path the
// message names already ("no such file or directory").
func reason(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
