package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
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
