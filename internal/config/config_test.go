package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/pipeline"
)

func TestDefaultConfigMatchesPackages(t *testing.T) {
	cfg, err := Load("", nil, NoEnv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Data.Labels) == 0 {
		cfg.Data.Labels = nil // `labels: []` in YAML
	}
	want := pipeline.DefaultConfig()
	for _, sec := range []struct {
		name      string
		yaml, pkg any
	}{
		{"data", cfg.Data, want.Data}, {"text", cfg.Text, want.Text}, {"model", cfg.Model, want.Model},
		{"train", cfg.Train, want.Train}, {"output", cfg.Output, want.Output},
	} {
		if !reflect.DeepEqual(sec.yaml, sec.pkg) {
			t.Errorf("%s defaults differ:\n yaml %+v\n  pkg %+v", sec.name, sec.yaml, sec.pkg)
		}
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("train:\n  epochs: 5\n  batch_size: 32\nmodel:\n  lstm: [16]\ntext:\n  sequence_length: 50\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LSTMCTL_TRAIN_BATCH_SIZE": "64", "LSTMCTL_TEXT_SEQUENCE_LENGTH": "60", "LSTMCTL_DATA_TEXT_COLUMNS": "title,body"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := Load(file, nil, lookup, map[string]any{"text.sequence_length": "70"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Train.Epochs != 5 || cfg.Train.BatchSize != 64 || cfg.Text.SequenceLength != 70 {
		t.Errorf("epochs %d (file 5), batch %d (env 64), seqlen %d (flag 70)", cfg.Train.Epochs, cfg.Train.BatchSize, cfg.Text.SequenceLength)
	}
	if !reflect.DeepEqual(cfg.Model.LSTM, []int{16}) {
		t.Errorf("model.lstm = %v", cfg.Model.LSTM)
	}
	if !reflect.DeepEqual(cfg.Data.TextColumns, []string{"title", "body"}) {
		t.Errorf("text_columns = %v", cfg.Data.TextColumns)
	}
	if cfg.Train.Optimizer.LearningRate != 0.003 {
		t.Errorf("untouched default changed: lr %v", cfg.Train.Optimizer.LearningRate)
	}
	// The keys set by the file, the environment and the flags, and no
	// other (train --vectors takes the file's dimension unless
	// model.embedding_dim is one of them).
	var explicit []string
	for k := range cfg.Explicit {
		explicit = append(explicit, k)
	}
	sort.Strings(explicit)
	if want := []string{"data.text_columns", "model.lstm", "text.sequence_length", "train.batch_size", "train.epochs"}; !reflect.DeepEqual(explicit, want) {
		t.Errorf("explicit keys %v, want %v", explicit, want)
	}
	env = map[string]string{"LSTMCTL_MODEL_LSTM": "128,64"}
	if cfg, err = Load("", nil, lookup, nil); err != nil || !reflect.DeepEqual(cfg.Model.LSTM, []int{128, 64}) {
		t.Errorf("LSTMCTL_MODEL_LSTM: %v %v", cfg, err)
	}
}

func TestErrorType(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("train:\n  epochz: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file, nil, NoEnv, nil)
	if _, ok := errors.AsType[*Error](err); !ok {
		t.Errorf("unknown key: %v (%T), want an *Error", err, err)
	}
}

func TestUnknownKeySuggestion(t *testing.T) {
	for _, c := range []struct{ yaml, key, want string }{
		{"# lr\ntrain:\n  epochs: 3\n  learning_rate: 0.01\n", "train.learning_rate", "c.yaml:4: unknown key \"train.learning_rate\" (did you mean train.optimizer.learning_rate?)"},
		{"train:\n  epoch: 3\n", "train.epoch", "did you mean train.epochs?"},
		{"text:\n  sequence_lenght: 3\n", "text.sequence_lenght", "did you mean text.sequence_length?"},
		{"colour: blue\n", "colour", "c.yaml:1: "},
		{"Train: {Epochz: 3}\n", "train.epochz", "c.yaml:1: "},
	} {
		file := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(file, []byte(c.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(file, nil, NoEnv, nil)
		if err == nil || !strings.Contains(err.Error(), `unknown key "`+c.key+`"`) || !strings.Contains(err.Error(), "c.yaml") {
			t.Errorf("%q: %v", c.yaml, err)
			continue
		}
		if c.key == "colour" && strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestEnvWarnings(t *testing.T) {
	got := EnvWarnings([]string{
		"HOME=/root",
		"LSTMCTL_TRAIN_EPOCHS=3",             // a key
		"LSTMCTL_CACHE_DIR=/tmp/x",           // documented, not a key
		"LSTMCTL_TRAIN_EPOCH=3",              // a typo
		"LSTMCTL_TRAIN_LEARNING_RATE=0.1",    // a section left out
		"LSTMCTL_CACHEDIR=/tmp/x",            // a typo of another variable
		"LSTMCTL_COLOUR=blue",                // nothing near
		"LSTMCTL_TRAIN_BATCHSIZE=",           // empty: unset
		"lstmctl_train_epochs=3",             // not ours: the prefix is upper case
		"LSTMCTL_TEXT_SEQUENCE_LENGTH=7=8=9", // a key, '=' in the value
		"OTHER_LSTMCTL_TRAIN_EPOCHS=3",       // another program's
	})
	want := []string{
		"LSTMCTL_CACHEDIR is not a setting of lstmctl and is ignored (did you mean LSTMCTL_CACHE_DIR?)",
		"LSTMCTL_COLOUR is not a setting of lstmctl and is ignored",
		"LSTMCTL_TRAIN_EPOCH is not a setting of lstmctl and is ignored (did you mean LSTMCTL_TRAIN_EPOCHS?)",
		"LSTMCTL_TRAIN_LEARNING_RATE is not a setting of lstmctl and is ignored (did you mean LSTMCTL_TRAIN_OPTIMIZER_LEARNING_RATE?)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestOtherEnvComplete: every LSTMCTL_ variable the code reads is a
// configuration key's or listed in OtherEnv, so that EnvWarnings never
// warns about a variable lstmctl reads.
func TestOtherEnvComplete(t *testing.T) {
	root := filepath.Join("..", "..")
	re := regexp.MustCompile(`"(LSTMCTL_[A-Z0-9_]+)"`)
	listed := map[string]bool{}
	for _, o := range OtherEnv {
		listed[o] = true
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if !listed[m[1]] && m[1] != envPrefix {
				t.Errorf("%s reads %s: add it to OtherEnv", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(EnvWarnings([]string{"LSTMCTL_SHARED_DATA=x", "LSTMCTL_REQUIRE_AVX512=1", "LSTMCTL_VECTORS_REGISTRY=x"})) != 0 {
		t.Error("a variable of OtherEnv draws a warning")
	}
}

// Integer settings are typed strictly: 1.5 epochs is refused, not cut to 1,
// from a file and from the environment; 2.0 is 2.
func TestWholeNumbers(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		yaml, env string
		ok        bool
	}{
		{yaml: "train:\n  epochs: 1.5\n"},
		{env: "1.5"},
		{yaml: "train:\n  epochs: 2.0\n", ok: true},
		{env: "3", ok: true},
	} {
		file := ""
		if tc.yaml != "" {
			file = filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(file, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		env := func(k string) (string, bool) {
			if k == "LSTMCTL_TRAIN_EPOCHS" && tc.env != "" {
				return tc.env, true
			}
			return "", false
		}
		_, err := Load(file, nil, env, nil)
		if tc.ok != (err == nil) {
			t.Errorf("%q %q: err = %v", tc.yaml, tc.env, err)
		}
	}
}

// A config file is read up to a bound: one larger is refused, not read
// until memory runs out.
func TestConfigFileBounded(t *testing.T) {
	file := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(file, make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file, nil, NoEnv, nil)
	if _, ok := errors.AsType[*Error](err); !ok || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized config: %v", err)
	}
}
