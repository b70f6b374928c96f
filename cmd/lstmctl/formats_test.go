package main

import (
	"reflect"
	"testing"

	"github.com/lstmctl/lstmctl/internal/config"
)

// The column flags reach the configuration as lists, a comma inside a name
// kept; train's --format chooses the metrics output, and a data format
// there is taken as --data-format with a warning.
func TestColumnAndFormatFlags(t *testing.T) {
	got, errOut := parseTrain(t, "--train", "x.csv", "--label-column", "y", "--text-column", "title, short",
		"--text-column", "body", "--format", "tsv")
	want := map[string]any{"data.train": "x.csv", "data.label_column": "y",
		"data.text_columns": []string{"title, short", "body"}, "data.format": "tsv"}
	if !reflect.DeepEqual(got.Set, want) || got.Format != "text" {
		t.Errorf("settings = %v, format %q; want %v, text", got.Set, got.Format, want)
	}
	if errOut.Len() == 0 {
		t.Error("no deprecation warning for --format tsv")
	}
	cfg, err := config.Load("", nil, config.NoEnv, got.Set)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Data.TextColumns, []string{"title, short", "body"}) || cfg.Data.Format != "tsv" {
		t.Errorf("data = %+v", cfg.Data)
	}
}
