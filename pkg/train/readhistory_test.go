package train

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadHistoryRoundTrip(t *testing.T) {
	h := []EpochStats{
		{Epoch: 1, Loss: 1.25, Accuracy: 0.5, ValLoss: 1.5, ValAccuracy: 0.25, HasVal: true, LearningRate: 0.001, Seconds: 2, SamplesPerSec: 100},
		{Epoch: 2, Loss: 0.75, Accuracy: 0.625, ValLoss: 1, ValAccuracy: 0.5, HasVal: true, LearningRate: 0.0005, Seconds: 2.5, SamplesPerSec: 80},
	}
	noVal := []EpochStats{{Epoch: 1, Loss: 1, Accuracy: 0.5, LearningRate: 0.001, Seconds: 1, SamplesPerSec: 10}}
	for _, ext := range []string{".csv", ".jsonl", ".json"} {
		for _, want := range [][]EpochStats{h, noVal} {
			path := filepath.Join(t.TempDir(), "h"+ext)
			if err := WriteHistory(path, want); err != nil {
				t.Fatal(err)
			}
			got, partial, err := ReadHistory(path)
			if err != nil || partial {
				t.Fatalf("%s: %v, partial %v", ext, err, partial)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: read %+v, want %+v", ext, got, want)
			}
		}
	}
}

// A run appends to its CSV or JSONL history as it goes: a last line
// without its newline is a row still being written, and is left out.
func TestReadHistoryPartialLastLine(t *testing.T) {
	for name, text := range map[string]string{
		"h.csv":   "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_sec\n1,1.2,0.5,,,0.001,1,10\n2,0.9,0.6,,,0.001,1,10\n3,0.8,0.",
		"h.jsonl": `{"epoch":1,"loss":1.2,"accuracy":0.5,"val_loss":null,"val_accuracy":null,"learning_rate":0.001,"seconds":1,"samples_per_sec":10}` + "\n" + `{"epoch":2,"loss":0.9,"accuracy":0.6,"val_loss":null,"val_accuracy":null,"learning_rate":0.001,"seconds":1,"samples_per_sec":10}` + "\n" + `{"epoch":3,"lo`,
	} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		got, partial, err := ReadHistory(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !partial || len(got) != 2 || got[1].Epoch != 2 || got[1].Loss != 0.9 || got[0].HasVal {
			t.Errorf("%s: %+v, partial %v; want epochs 1 and 2 without validation, partial", name, got, partial)
		}
	}
}

func TestReadHistoryErrors(t *testing.T) {
	for name, c := range map[string]struct{ text, want string }{
		"bad.csv":     {"epoch,loss,accuracy\n1,0.5,0.5\n2,x,0.5\n3,0.1,0.9\n", "bad.csv:3: not a history file: loss \"x\" is not a finite number"},
		"nohead.csv":  {"1,0.5,0.5\n", "nohead.csv:1: not a history file: the header has no \"epoch\" column"},
		"epoch.csv":   {"epoch,loss,accuracy\n1.5,0.5,0.5\n", "epoch.csv:2: not a history file: epoch 1.5 is not a whole number"},
		"bad.jsonl":   {"{\"epoch\":1,\"loss\":1,\"accuracy\":0.5}\nnot json\n{\"epoch\":3,\"loss\":1,\"accuracy\":0.5}\n", "bad.jsonl:2: not a history file"},
		"bad.json":    {"[{\"epoch\":1,\"loss\":1,\"accuracy\":0.5},", "bad.json: not a history file"},
		"zero.jsonl":  {"{\"epoch\":0,\"loss\":1,\"accuracy\":0.5}\n", "zero.jsonl:1: not a history file: epoch 0"},
		"model.jsonl": {"\x00\x01binary\n", "model.jsonl:1: not a history file"},
	} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := ReadHistory(path)
		if !errors.Is(err, ErrHistory) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
}
