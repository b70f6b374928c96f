package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/report"
)

// writeTopics writes a small three-class training and test set, with a
// test text that needs escaping.
func writeTopics(t *testing.T) (dir, trainPath, testPath string) {
	t.Helper()
	dir = t.TempDir()
	words := map[string][]string{
		"sport": {"match", "goal", "team", "score"},
		"food":  {"bread", "soup", "cheese", "salad"},
		"tech":  {"chip", "code", "disk", "cable"},
	}
	var tr, te strings.Builder
	for i := range 60 {
		for _, c := range []string{"sport", "food", "tech"} {
			w := words[c]
			fmt.Fprintf(&tr, "__label__%s the %s and %s %d\n", c, w[i%4], w[(i+1)%4], i)
			if i < 8 {
				fmt.Fprintf(&te, "__label__%s a %s or %s\n", c, w[(i+2)%4], w[i%4])
			}
		}
	}
	te.WriteString("__label__food <script>alert(1)</script> chip code & \"disk\"\n")
	trainPath, testPath = filepath.Join(dir, "train.txt"), filepath.Join(dir, "test.txt")
	for p, s := range map[string]string{trainPath: tr.String(), testPath: te.String()} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, trainPath, testPath
}

// lstmctlRun runs one command line and returns its stdout, stderr and
// exit code.
func lstmctlRun(args ...string) (stdout, stderr string, code int) {
	ios, _, out, errOut := Test()
	code = run(context.Background(), ios, args)
	return out.String(), errOut.String(), code
}

var reportData = regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`)

// readReport reads a report page and its report-data block.
func readReport(t *testing.T, path string) (string, *report.Report) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := reportData.FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no report-data block", path)
	}
	var r report.Report
	if err := json.Unmarshal(m[1], &r); err != nil {
		t.Fatalf("%s: report-data: %v", path, err)
	}
	return string(b), &r
}

func TestReportMatchesEval(t *testing.T) {
	dir, trainPath, testPath := writeTopics(t)
	model, hist := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "h.csv")
	trainReport, plots := filepath.Join(dir, "train.html"), filepath.Join(dir, "plots")
	_, stderr, code := lstmctlRun("train", "--train", trainPath, "--test", testPath, "--epochs", "4", "--vectors", "none",
		"--model", model, "--history", hist, "--report", trainReport, "--plots", plots, "--quiet")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	evalOut, stderr, code := lstmctlRun("eval", "--model", model, "--data", testPath, "--format", "json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	var want report.EvalMetrics
	if err := json.Unmarshal([]byte(evalOut), &want); err != nil {
		t.Fatal(err)
	}
	reportPath := filepath.Join(dir, "report.html")
	if _, stderr, code := lstmctlRun("report", "--model", model, "--data", testPath, "--history", hist, "-o", reportPath); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	evalReport := filepath.Join(dir, "eval.html")
	if _, stderr, code := lstmctlRun("eval", "--model", model, "--data", testPath, "--report", evalReport); code != 0 {
		t.Fatalf("eval --report: exit %d: %s", code, stderr)
	}
	for _, path := range []string{trainReport, reportPath, evalReport} {
		page, r := readReport(t, path)
		name := filepath.Base(path)
		if r.Test == nil || !reflect.DeepEqual(r.Test.Metrics, want) {
			t.Errorf("%s: test metrics differ from eval --format json's:\n%+v\nwant\n%+v", name, r.Test, want)
		}
		for _, id := range report.Sections {
			if !strings.Contains(page, `<section id="`+id+`">`) {
				t.Errorf("%s: no section %q", name, id)
			}
		}
		// The confusion counts are drawn: each appears as a cell label.
		for i, row := range want.Confusion {
			if n := row[i]; n > 0 && !strings.Contains(page, fmt.Sprintf(">%d</text>", n)) {
				t.Errorf("%s: the count %d of %s is not drawn", name, n, want.Labels[i])
			}
		}
		figures := 9
		if path == evalReport {
			figures = 6 // no history
		}
		if n := strings.Count(page, "<svg "); n != figures {
			t.Errorf("%s: %d figures, want %d", name, n, figures)
		}
		if strings.Contains(page, "<script>alert") {
			t.Errorf("%s: a test text is not escaped", name)
		}
		if r.Model == nil || r.Model.TotalParams == 0 || len(r.Model.Layers) != 4 {
			t.Errorf("%s: model summary %+v", name, r.Model)
		}
		if r.Data == nil || len(r.Data.ClassCounts) != 3 || r.Data.ClassCounts[0].Split != "train" {
			t.Errorf("%s: class counts %+v, want train, validation and test", name, r.Data)
		}
		if r.Test.Calibration.ECE < 0 || r.Test.Calibration.ECE > 1 {
			t.Errorf("%s: ECE %v", name, r.Test.Calibration.ECE)
		}
	}
	_, r := readReport(t, reportPath)
	if len(r.History) != 4 || r.Seconds <= 0 || r.KeptEpoch == 0 {
		t.Errorf("history %d rows, %v seconds, kept epoch %d; want 4 rows", len(r.History), r.Seconds, r.KeptEpoch)
	}
	if len(r.Files) != 3 || r.Files[0].Role != "train" || len(r.Files[0].SHA256) != 64 {
		t.Errorf("files = %+v", r.Files)
	}
	entries, err := os.ReadDir(plots)
	if err != nil || len(entries) != 18 {
		t.Errorf("--plots wrote %d files (%v), want 18", len(entries), err)
	}
}

func TestReportHistoryAlone(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "h.csv")
	text := "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_sec\n1,1.2,0.5,1.3,0.4,0.001,1,10\n2,0.9,0.6,1.1,0.5,0.001,1,10\n3,0.8"
	if err := os.WriteFile(hist, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "curves.html")
	if _, stderr, code := lstmctlRun("report", "--history", hist, "-o", out); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	page, r := readReport(t, out)
	if len(r.History) != 2 || !r.HistoryPartial || r.Test != nil {
		t.Errorf("history %+v, partial %v", r.History, r.HistoryPartial)
	}
	if n := strings.Count(page, "<svg "); n != 3 {
		t.Errorf("%d figures, want 3", n)
	}
	// A broken row that is not the last is bad data (exit 3), named.
	if err := os.WriteFile(hist, []byte("epoch,loss,accuracy\n1,oops,0.5\n2,0.5,0.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := lstmctlRun("report", "--history", hist, "-o", out)
	if code != exitData || !strings.Contains(stderr, "h.csv:2:") {
		t.Errorf("exit %d, stderr %q; want 3 naming h.csv:2", code, stderr)
	}
}

func TestReportUsage(t *testing.T) {
	for _, args := range [][]string{
		{"report"},
		{"report", "--data", "t.txt", "--history", "h.csv"},
		{"eval", "--model", "m", "--data", "d", "--plots", "p"},
		{"eval", "--model", "m", "--data", "d", "--report", "-"},
		{"train", "--train", "t.txt", "--plots", "p"},
	} {
		if _, stderr, code := lstmctlRun(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2; %s", args, code, stderr)
		}
	}
}

// A multi-label model gets the run, data and curves; its test figures
// are left out with a note, not drawn wrong.
func TestReportMultiLabel(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "__label__a __label__b alpha beta %d\n__label__b gamma delta %d\n", i, i)
	}
	data := filepath.Join(dir, "ml.txt")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	model, out := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "r.html")
	if _, stderr, code := lstmctlRun("train", "--train", data, "--epochs", "2", "--vectors", "none", "--model", model, "--quiet"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if _, stderr, code := lstmctlRun("report", "--model", model, "--data", data, "-o", out); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	page, r := readReport(t, out)
	if r.Test != nil || !strings.Contains(r.TestNote, "multi-label") || !strings.Contains(page, "multi-label model") {
		t.Errorf("test %+v, note %q", r.Test, r.TestNote)
	}
	if c := r.Data.ClassCounts[0]; c.Counts[0] == 0 || c.Counts[1] == 0 {
		t.Errorf("class counts %+v, want both labels counted", c)
	}
}
