package data

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// readAll reads every example of in, whole (Cut and File included).
func readAll(t *testing.T, in, name string, opt ReadOptions) ([]Example, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(in), name, opt)
	if err != nil {
		return nil, err
	}
	var out []Example
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

// A fastText line longer than MaxTextBytes is cut as it is read, at a
// character boundary; the lines after it read as before.
func TestLongFastTextLineIsCut(t *testing.T) {
	long := "__label__a " + strings.Repeat("wörd ", 3*MaxTextBytes/6)
	in := "__label__b first\n" + long + "\n__label__c last\r\n"
	got, err := readAll(t, in, "t.txt", defaultReadOptions(FormatFastText))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Text != "first" || got[2].Text != "last" || got[2].Line != 3 || got[0].Cut != 0 || got[2].Cut != 0 {
		t.Fatalf("examples %+v", got)
	}
	e := got[1]
	if e.Label != "a" || e.Line != 2 || e.Cut != len(long) {
		t.Errorf("label %q line %d cut %d; want a, 2, %d", e.Label, e.Line, e.Cut, len(long))
	}
	if len(e.Text) > MaxTextBytes || len(e.Text) < MaxTextBytes-20 || !utf8.ValidString(e.Text) || !strings.HasPrefix(long[len("__label__a "):], e.Text) {
		t.Errorf("text of %d bytes, valid %v: want a prefix of at most %d", len(e.Text), utf8.ValidString(e.Text), MaxTextBytes)
	}
	if w := CutWarning(&e); !strings.Contains(w, "t.txt:2: a text of") {
		t.Errorf("warning %q", w)
	}
}

// predict's lines: one line out per line in, however long.
func TestLongBareLineIsCut(t *testing.T) {
	in := "a\n" + strings.Repeat("x", 2*MaxTextBytes+5) + "\n\nb"
	lr := NewLineReader(strings.NewReader(in))
	var lines []string
	var cuts []int
	for {
		l, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines, cuts = append(lines, l), append(cuts, lr.Cut())
	}
	if len(lines) != 4 || lines[0] != "a" || len(lines[1]) != MaxTextBytes || lines[2] != "" || lines[3] != "b" {
		t.Fatalf("%d lines: %q..., want a, %d x, \"\", b", len(lines), lines[0], MaxTextBytes)
	}
	if cuts[1] != 2*MaxTextBytes+5 || cuts[0]+cuts[2]+cuts[3] != 0 {
		t.Errorf("cuts %v", cuts)
	}
}

// A csv, tsv or jsonl record past MaxRecordBytes is a malformed record
// (skipped with SkipBad); a text past MaxTextBytes in a smaller record is
// cut.
func TestLongRecords(t *testing.T) {
	huge := strings.Repeat("y", MaxRecordBytes+1)
	big := strings.Repeat("z", MaxTextBytes+10)
	for _, tc := range []struct{ format, name, header, hugeRec, bigRec, last string }{
		{FormatCSV, "t.csv", "label,text\n", "a," + huge + "\n", "a," + big + "\n", "b,end\n"},
		{FormatCSV, "q.csv", "label,text\n", "a,\"" + huge + "\"\n", "a,\"" + big + "\"\n", "b,end\n"},
		{FormatTSV, "t.tsv", "label\ttext\n", "a\t" + huge + "\n", "a\t" + big + "\n", "b\tend\n"},
		{FormatJSONL, "t.jsonl", "", `{"label":"a","text":"` + huge + "\"}\n", `{"label":"a","text":"` + big + "\"}\n", `{"label":"b","text":"end"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.header + tc.hugeRec + tc.bigRec + tc.last
			_, err := readAll(t, in, tc.name, defaultReadOptions(tc.format))
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), "more than the 16 MiB") {
				t.Fatalf("error %v, want a ParseError about the record's size", err)
			}
			opt := defaultReadOptions(tc.format)
			opt.SkipBad = true
			got, err := readAll(t, in, tc.name, opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[1].Text != "end" || got[0].Cut != len(big) || got[0].Text != big[:MaxTextBytes] {
				t.Fatalf("%d examples; want the big one cut and the last", len(got))
			}
		})
	}
}

// A class folder's document is cut to MaxTextBytes.
func TestLongDocumentIsCut(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	doc := strings.Repeat("é", MaxTextBytes)
	if err := os.WriteFile(filepath.Join(dir, "a", "doc.txt"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadAll(dir, defaultReadOptions(FormatDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Cut != len(doc) || got[0].Text != doc[:MaxTextBytes] {
		t.Fatalf("text of %d bytes, cut %d; want %d, %d", len(got[0].Text), got[0].Cut, MaxTextBytes, len(doc))
	}
}

// A token is cut to MaxTokenBytes at a character boundary, the same way
// at training and at prediction.
func TestLongTokenIsCut(t *testing.T) {
	tok, err := NewTokenizer(DefaultTextConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{strings.Repeat("a", 1000) + " b", strings.Repeat("a", MaxTokenBytes) + "|b"},
		{strings.Repeat("É", 200), strings.Repeat("é", MaxTokenBytes/2)},
		{"a" + strings.Repeat("é", 200) + "bcd e", "a" + strings.Repeat("é", (MaxTokenBytes-1)/2) + "|e"},
		{strings.Repeat("a", MaxTokenBytes), strings.Repeat("a", MaxTokenBytes)},
	} {
		if got := strings.Join(tok.Tokens(tc.in), "|"); got != tc.want {
			t.Errorf("Tokens(%.20q...) = %.40q... (%d bytes), want %.40q... (%d bytes)", tc.in, got, len(got), tc.want, len(tc.want))
		}
	}
	v := NewVocabBuilder()
	v.AddText(tok, strings.Repeat("q", 10000))
	voc := v.Build(0, 1)
	if voc.Len() != 3 || len(voc.Token(2)) != MaxTokenBytes {
		t.Fatalf("vocabulary %d tokens", voc.Len())
	}
	enc, err := NewEncoder(DefaultTextConfig(), voc)
	if err != nil {
		t.Fatal(err)
	}
	if ids := enc.Encode(strings.Repeat("q", 5000)); len(ids) != 1 || ids[0] != 2 {
		t.Errorf("ids %v, want [2]: the long token is found under its cut form", ids)
	}
}

// A quoted CSV field whose lines add up past MaxRecordBytes is a record
// too long, not an unterminated quote; the next record reads.
func TestLongMultiLineCSVRecord(t *testing.T) {
	part := strings.Repeat("y", MaxRecordBytes/2+1)
	in := "label,text\na,\"" + part + "\n" + part + "\"\nb,end\n"
	_, err := readAll(t, in, "m.csv", defaultReadOptions(FormatCSV))
	if err == nil || !strings.Contains(err.Error(), "m.csv:2: ") || !strings.Contains(err.Error(), "more than the 16 MiB a csv record may hold") {
		t.Fatalf("error %v", err)
	}
}
