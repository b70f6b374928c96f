package train

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
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
		if strings.Contains(e.Name(), "tmp") {
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

// A HistoryFile has every epoch's row in the file as soon as Append
// returns; created with a resumed run's history, it keeps those rows and
// drops the later ones a previous run wrote.
func TestHistoryFileLive(t *testing.T) {
	for _, name := range []string{"h.csv", "h.jsonl", "h.json"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, name)
			h, err := CreateHistory(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := historyEpochs(t, p); len(got) != 0 {
				t.Errorf("fresh file holds epochs %v", got)
			}
			for i, s := range sampleHistory {
				if err := h.Append(s); err != nil {
					t.Fatal(err)
				}
				if got := historyEpochs(t, p); len(got) != i+1 || got[i] != s.Epoch {
					t.Errorf("after epoch %d the file holds epochs %v", s.Epoch, got)
				}
			}
			if err := h.Close(); err != nil {
				t.Fatal(err)
			}
			// The same content as WriteHistory at the end.
			live, _ := os.ReadFile(p)
			whole := filepath.Join(t.TempDir(), name)
			if err := WriteHistory(whole, sampleHistory); err != nil {
				t.Fatal(err)
			}
			if want, _ := os.ReadFile(whole); string(live) != string(want) {
				t.Errorf("live file\n%s\nWriteHistory\n%s", live, want)
			}
			// Resume from a checkpoint after epoch 1: epoch 2 is written once.
			h, err = CreateHistory(p, sampleHistory[:1])
			if err != nil {
				t.Fatal(err)
			}
			if got := historyEpochs(t, p); len(got) != 1 || got[0] != 1 {
				t.Errorf("resumed file holds epochs %v, want [1]", got)
			}
			if err := h.Append(sampleHistory[1]); err != nil {
				t.Fatal(err)
			}
			h.Close()
			if again, _ := os.ReadFile(p); string(again) != string(live) {
				t.Errorf("resumed file\n%s\nwant\n%s", again, live)
			}
			assertNoTemp(t, dir, 1)
		})
	}
}

// historyEpochs reads the epoch column of a history file of any format.
func historyEpochs(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []HistoryRecord
	switch historyFormat(path) {
	case historyJSON:
		if err := json.Unmarshal(b, &recs); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	case historyJSONL:
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line == "" {
				continue
			}
			var r HistoryRecord
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			recs = append(recs, r)
		}
	default:
		rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
		if err != nil || len(rows) == 0 || rows[0][0] != "epoch" {
			t.Fatalf("%s: %v", b, err)
		}
		for _, r := range rows[1:] {
			e := 0
			fmt.Sscan(r[0], &e)
			recs = append(recs, HistoryRecord{Epoch: e})
		}
	}
	var epochs []int
	for _, r := range recs {
		epochs = append(epochs, r.Epoch)
	}
	return epochs
}
