package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lstmctl/lstmctl/pkg/data"
)

func TestPredictFormat(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct{ path, format, want string }{
		{Stdin, "auto", FormatLines},
		{Stdin, "csv", data.FormatCSV},
		{dir, "", data.FormatDir},
		{write("a.csv", "x"), "auto", data.FormatCSV},
		{write("a.TSV", "x"), "auto", data.FormatTSV},
		{write("a.ndjson", "x"), "auto", data.FormatJSONL},
		{write("ft.txt", "\n  \n\ufeff__label__a text\n"), "auto", data.FormatFastText},
		{write("plain.txt", "\nsome text __label__a\n"), "auto", FormatLines},
		{write("empty.txt", ""), "auto", FormatLines},
		{write("noext", "__label__a x"), "auto", FormatLines},
		{write("ft.txt2", "__label__a x"), "lines", FormatLines},
	}
	for _, c := range cases {
		got, err := PredictFormat(c.path, c.format, "__label__")
		if err != nil || got != c.want {
			t.Errorf("PredictFormat(%s, %q) = %q, %v; want %q", filepath.Base(c.path), c.format, got, err, c.want)
		}
	}
	if _, err := PredictFormat("a.csv", "xml", "__label__"); err == nil {
		t.Error("format xml accepted")
	}
	if got, _ := PredictFormat(write("p.txt", "__label__a x"), "auto", ""); got != FormatLines {
		t.Errorf("empty prefix: %q, want lines", got)
	}
}

// recordSink collects predictions with their ids.
type recordSink struct {
	sink
	ids []string
}

func (s *recordSink) PutRecord(id string, p []float32) error {
	s.ids = append(s.ids, id)
	return s.Put(p)
}

// PredictRecords gives one prediction per record, in order, with its id,
// equal to the prediction of the same text as a line, across chunks.
func TestPredictRecords(t *testing.T) {
	dir := t.TempDir()
	res, err := Train(context.Background(), tinyRun(t, dir), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	texts := []string{"alpha beta", "", "gamma delta w3", "never seen"}
	var csv, lines strings.Builder
	csv.WriteString("id,text\n")
	n := predictChunk + 3 // more than one chunk
	for i := range n {
		csv.WriteString("r" + string(rune('a'+i%26)) + "," + texts[i%len(texts)] + "\n")
		lines.WriteString(texts[i%len(texts)] + "\n")
	}
	path := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := m.NewPredictor()
	defer p.Close()
	r, err := m.OpenRecords(path, data.FormatCSV, "id", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got recordSink
	if err := p.PredictRecords(context.Background(), r, &got); err != nil {
		t.Fatal(err)
	}
	var want sink
	if err := p.PredictLines(context.Background(), strings.NewReader(lines.String()), "in", &want); err != nil {
		t.Fatal(err)
	}
	if len(got.probs) != n || len(got.ids) != n || got.flushes < 2 {
		t.Fatalf("%d predictions, %d ids, %d flushes for %d records", len(got.probs), len(got.ids), got.flushes, n)
	}
	for i := range n {
		if wantID := "r" + string(rune('a'+i%26)); got.ids[i] != wantID {
			t.Errorf("record %d: id %q, want %q", i, got.ids[i], wantID)
		}
		if !slices.Equal(got.probs[i], want.probs[i]) {
			t.Errorf("record %d: %v, as a line %v", i, got.probs[i], want.probs[i])
		}
	}
	if _, err := m.OpenRecords(Stdin, data.FormatCSV, "", nil); err == nil {
		t.Error("stdin without a reader accepted")
	}
}
