package train

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var sampleHistory = []EpochStats{
	{Epoch: 1, Loss: 1.25, Accuracy: 0.5, ValLoss: 1.5, ValAccuracy: 0.25, HasVal: true, LearningRate: 0.001, Seconds: 2, SamplesPerSec: 100},
	{Epoch: 2, Loss: 0.75, Accuracy: 0.75, LearningRate: 0.001, Seconds: 1.5, SamplesPerSec: 120.5},
}

func TestWriteHistoryCSV(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "h.csv")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteHistory(p, sampleHistory); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds", "samples_per_sec"},
		{"1", "1.25", "0.5", "1.5", "0.25", "0.001", "2", "100"},
		{"2", "0.75", "0.75", "", "", "0.001", "1.5", "120.5"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %v", rows)
	}
	for i := range want {
		if strings.Join(rows[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("row %d = %v, want %v", i, rows[i], want[i])
		}
	}
	assertNoTemp(t, dir, 1)
}

func TestWriteHistoryJSON(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "h.JSON")
	if err := WriteHistory(p, sampleHistory); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0]["val_loss"] != 1.5 || got[1]["val_loss"] != nil || got[1]["samples_per_sec"] != 120.5 || got[0]["epoch"] != 1.0 {
		t.Errorf("history JSON %s", b)
	}
	for _, k := range historyColumns {
		if _, ok := got[1][k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	assertNoTemp(t, dir, 1)
}

func TestWriteHistoryErrors(t *testing.T) {
	dir := t.TempDir()
	if err := WriteHistory(filepath.Join(dir, "missing", "h.csv"), sampleHistory); err == nil || !strings.HasPrefix(err.Error(), "train: history: ") {
		t.Errorf("missing directory: %v", err)
	}
	bad := []EpochStats{{Epoch: 1, Loss: mathInf()}}
	if err := WriteHistory(filepath.Join(dir, "h.json"), bad); err == nil {
		t.Errorf("non-finite value accepted")
	}
	assertNoTemp(t, dir, 0)
}

func mathInf() float64 { x := 0.0; return 1 / x }

// assertNoTemp checks dir holds exactly n files and no temporary ones.
func assertNoTemp(t *testing.T, dir string, n int) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
		if !e.IsDir() {
			files++
		}
	}
	if files != n {
		t.Errorf("%d files in %s, want %d", files, dir, n)
	}
}
