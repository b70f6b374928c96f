package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestYAMLRoundTrip: a configuration written by YAML reads back through
// Load as the same configuration, for changed, explicit and
// omitempty-zero keys alike.
func TestYAMLRoundTrip(t *testing.T) {
	set := map[string]any{
		"train.optimizer.learning_rate": "0.0007",
		"train.batch_size":              "16",
		"model.embedding_vectors":       "none",
		"model.bidirectional":           "true",
		"model.pooling":                 "max",
		"model.lstm":                    "[48]",
		"train.freeze_embedding_epochs": "0",
		"text.sequence_length":          "64",
		"train.optimizer.epsilon":       "1e-7",
		"train.class_weights":           map[string]any{"a": 2.5},
		"data.train":                    "train.txt",
	}
	want, err := Load("", nil, NoEnv, set)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := YAML(want.Config, want.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "threads") {
		t.Errorf("train.threads written though not set:\n%s", raw)
	}
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(file, nil, NoEnv, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	if !reflect.DeepEqual(got.Config, want.Config) {
		t.Errorf("read back:\n%+v\nwant:\n%+v\nfile:\n%s", got.Config, want.Config, raw)
	}
	if got.Config.Model.EmbeddingVectors != "" {
		t.Errorf("embedding_vectors %q, want empty (random)", got.Config.Model.EmbeddingVectors)
	}
}

// TestYAMLDefaultsEmpty: the defaults themselves need no key.
func TestYAMLDefaultsEmpty(t *testing.T) {
	d, err := Load("", nil, NoEnv, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := YAML(d.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(string(raw)); s != "{}" {
		t.Errorf("defaults written as\n%s\nwant {}", s)
	}
}
