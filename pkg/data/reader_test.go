package data

import (
	"cmp"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func defaultReadOptions(format string) ReadOptions {
	o := ReadOptionsFrom(DefaultConfig(), false)
	o.Format = format
	return o
}

// readString reads all examples of in. It returns the examples (Label,
// Labels, Text and Line only), the skip count and the first error.
func readString(t *testing.T, in, name string, opt ReadOptions) ([]Example, int, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(in), name, opt)
	if err != nil {
		return nil, 0, err
	}
	var out []Example
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out, r.Skipped(), nil
		}
		if err != nil {
			return out, r.Skipped(), err
		}
		if e.File != name {
			t.Errorf("File = %q, want %q", e.File, name)
		}
		out = append(out, Example{Label: e.Label, Labels: e.Labels, Text: e.Text, Line: e.Line})
	}
}

// ex is a short constructor for expected examples.
func ex(line int, label, text string) Example { return Example{Label: label, Text: text, Line: line} }

// exm is an expected multi-label example.
func exm(line int, text string, labels ...string) Example {
	return Example{Label: labels[0], Labels: labels, Text: text, Line: line}
}

type readCase struct {
	name    string
	in      string
	opt     func(*ReadOptions) // optional changes to the options
	want    []Example
	errLine int    // >0: a *ParseError at this line is expected after want
	errHas  string // substring of the error message
	errIs   error  // what the error wraps; nil: ErrMalformed
	openErr bool   // the error comes from NewReader (header)
}

func runReadCases(t *testing.T, format, name string, cases []readCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			opt := defaultReadOptions(format)
			if tt.opt != nil {
				tt.opt(&opt)
			}
			got, _, err := readString(t, tt.in, name, opt)
			if tt.errLine == 0 && tt.errHas == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			} else {
				if err == nil {
					t.Fatalf("no error, want one at line %d (got %v)", tt.errLine, got)
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v (%T) is not a *ParseError", err, err)
				}
				if pe.File != name || pe.Line != tt.errLine {
					t.Errorf("ParseError at %s:%d, want %s:%d (%v)", pe.File, pe.Line, name, tt.errLine, err)
				}
				if want := cmp.Or(tt.errIs, ErrMalformed); !errors.Is(err, want) {
					t.Errorf("error %v does not wrap %v", err, want)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("error %q does not contain %q", err, tt.errHas)
				}
				if tt.openErr && got != nil {
					t.Errorf("header error should come from NewReader")
				}
			}
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFastText(t *testing.T) {
	long := strings.Repeat("word ", 40_000) + "end"
	runReadCases(t, FormatFastText, "in.txt", []readCase{
		{name: "basic", in: "__label__HUM Who was Galileo ?\n__label__LOC Where is it ?\n",
			want: []Example{ex(1, "HUM", "Who was Galileo ?"), ex(2, "LOC", "Where is it ?")}},
		{name: "no final newline, crlf, tabs", in: "__label__a\tx  y \r\n__label__b z",
			want: []Example{ex(1, "a", "x  y"), ex(2, "b", "z")}},
		{name: "empty text is valid", in: "__label__a\n__label__b   \n",
			want: []Example{ex(1, "a", ""), ex(2, "b", "")}},
		{name: "blank lines skipped, numbers kept", in: "\n  \n__label__a x\n\n__label__b y\n",
			want: []Example{ex(3, "a", "x"), ex(5, "b", "y")}},
		{name: "several labels, anywhere in the line", in: "__label__a x\n__label__a __label__b __label__c  text __label__d more __label__b\n",
			want: []Example{ex(1, "a", "x"), exm(2, "text more", "a", "b", "c", "d")}},
		{name: "a second label later in the text", in: "__label__a some text __label__b\n",
			want: []Example{exm(1, "some text", "a", "b")}},
		{name: "the first label repeated later in a single-label line stays text", in: "__label__a some __label__a text\n",
			want: []Example{ex(1, "a", "some __label__a text")}},
		{name: "an empty second label", in: "__label__a __label__ text\n", errLine: 1, errHas: `empty label "__label__"`},
		{name: "a repeated label is one label", in: "__label__a __label__a text\n",
			want: []Example{ex(1, "a", "text")}},
		{name: "the prefix inside a word is text", in: "__label__a my__label__b text\n",
			want: []Example{ex(1, "a", "my__label__b text")}},
		{name: "custom prefix: several labels", in: "#pos #neg good\n", opt: func(o *ReadOptions) { o.LabelPrefix = "#" },
			want: []Example{exm(1, "good", "pos", "neg")}},
		{name: "leading space", in: "   __label__a text\n", want: []Example{ex(1, "a", "text")}},
		{name: "bom", in: "\xEF\xBB\xBF__label__a text\n", want: []Example{ex(1, "a", "text")}},
		{name: "invalid utf8 repaired", in: "__label__a caf\xe9 ok\n", want: []Example{ex(1, "a", "caf\uFFFD ok")}},
		{name: "unicode space separates the label", in: "__label__a\u00a0text\n", want: []Example{ex(1, "a", "text")}},
		{name: "long line", in: "__label__x " + long + "\n", want: []Example{ex(1, "x", long)}},
		{name: "custom prefix", in: "#pos good\n#neg bad\n", opt: func(o *ReadOptions) { o.LabelPrefix = "#" },
			want: []Example{ex(1, "pos", "good"), ex(2, "neg", "bad")}},
		{name: "empty prefix: first field", in: "pos good movie\n", opt: func(o *ReadOptions) { o.LabelPrefix = "" },
			want: []Example{ex(1, "pos", "good movie")}},
		{name: "missing label", in: "__label__a ok\nWho was Galileo ?\n",
			want: []Example{ex(1, "a", "ok")}, errLine: 2, errHas: `"Who"`},
		{name: "empty label", in: "__label__ text\n", errLine: 1, errHas: "empty label"},
		{name: "label prefix later in line", in: "text __label__a\n", errLine: 1, errHas: "no label"},
	})
}

func TestCSV(t *testing.T) {
	runReadCases(t, FormatCSV, "in.csv", []readCase{
		{name: "basic", in: "label,text\nneg,bad film\npos,\"good, really \"\"good\"\"\"\n",
			want: []Example{ex(2, "neg", "bad film"), ex(3, "pos", `good, really "good"`)}},
		{name: "crlf like python's csv module", in: "label,text\r\nneg,\"a , b .\"\r\npos,c\r\n",
			want: []Example{ex(2, "neg", "a , b ."), ex(3, "pos", "c")}},
		{name: "multi-line record: line of its start", in: "label,text\na,\"one\ntwo\"\nb,three\n",
			want: []Example{ex(2, "a", "one\ntwo"), ex(4, "b", "three")}},
		{name: "columns in any order, extra columns, several text columns",
			in:   "id,body,title,label\n1,the body,the title,x\n",
			opt:  func(o *ReadOptions) { o.TextColumns = []string{"title", "body"} },
			want: []Example{ex(2, "x", "the title the body")}},
		{name: "empty text", in: "label,text\na,\nb,\"\"\n", want: []Example{ex(2, "a", ""), ex(3, "b", "")}},
		{name: "blank lines skipped", in: "label,text\n\na,x\n\n", want: []Example{ex(3, "a", "x")}},
		{name: "bom before header", in: "\xEF\xBB\xBFlabel,text\na,x\n", want: []Example{ex(2, "a", "x")}},
		{name: "invalid utf8", in: "label,text\na,caf\xe9\n", want: []Example{ex(2, "a", "caf\uFFFD")}},
		{name: "header only", in: "label,text\n"},
		{name: "empty input", in: ""},
		{name: "missing label column", in: "lab,text\na,b\n", errLine: 1, errHas: `no label column "label"`, openErr: true},
		{name: "missing text column", in: "label,body\na,b\n", errLine: 1, errHas: `no text column "text"`, openErr: true},
		{name: "missing column after blank lines", in: "\n\nlabel,body\na,b\n", errLine: 3, errHas: `no text column "text"`, openErr: true},
		{name: "too few fields", in: "label,text\na,x\nb\n", want: []Example{ex(2, "a", "x")}, errLine: 3, errHas: "1 fields, the header has 2"},
		{name: "too many fields", in: "label,text\na,x,y\n", errLine: 2, errHas: "3 fields"},
		{name: "bare quote", in: "label,text\na,x\nb,say \"hi\"\n", want: []Example{ex(2, "a", "x")}, errLine: 3, errHas: `bare "`},
		{name: "unterminated quote reports the start line", in: "label,text\na,x\nb,\"open\nmore\nlines\n",
			want: []Example{ex(2, "a", "x")}, errLine: 3, errHas: "quote"},
		{name: "empty label", in: "label,text\n,x\n", errLine: 2, errHas: "empty label"},
		{name: "several labels split at the separator, trimmed, repeats dropped", in: "label,text\n\"b, a,b\",x\nc,y\n",
			want: []Example{exm(2, "x", "b", "a"), ex(3, "c", "y")}},
		{name: "a label list of one label", in: "label,text\n\"a,a\",x\n", want: []Example{ex(2, "a", "x")}},
		{name: "an empty label in a list", in: "label,text\n\"a,,b\",x\n", errLine: 2, errHas: `empty label in "a,,b" (labels separated by ","`},
		{name: "no separator keeps the field whole", in: "label,text\n\"a,b\",x\n",
			opt: func(o *ReadOptions) { o.LabelSeparator = "" }, want: []Example{ex(2, "a,b", "x")}},
		{name: "another separator", in: "label,text\na|b,x\n",
			opt: func(o *ReadOptions) { o.LabelSeparator = "|" }, want: []Example{exm(2, "x", "a", "b")}},
	})
}

func TestTSV(t *testing.T) {
	runReadCases(t, FormatTSV, "in.tsv", []readCase{
		{name: "sst2 style with quotes", in: "label\ttext\npositive\tthe \" quote ' and \"\"more\"\" \nnegative\tbad .\n",
			want: []Example{ex(2, "positive", `the " quote ' and ""more"" `), ex(3, "negative", "bad .")}},
		{name: "crlf and bom", in: "\xEF\xBB\xBFlabel\ttext\r\na\tx\r\n", want: []Example{ex(2, "a", "x")}},
		{name: "text columns joined, order free", in: "t1\tlabel\tt2\nx\tL\ty\n",
			opt:  func(o *ReadOptions) { o.TextColumns = []string{"t1", "t2"} },
			want: []Example{ex(2, "L", "x y")}},
		{name: "commas are not separators", in: "label\ttext\na\tx, y\n", want: []Example{ex(2, "a", "x, y")}},
		{name: "empty text", in: "label\ttext\na\t\n", want: []Example{ex(2, "a", "")}},
		{name: "blank lines skipped", in: "\nlabel\ttext\n\na\tx\n", want: []Example{ex(4, "a", "x")}},
		{name: "header only", in: "label\ttext\n"},
		{name: "missing column", in: "label\tbody\na\tx\n", errLine: 1, errHas: `no text column "text"`, openErr: true},
		{name: "missing column after blank line", in: "\nlab\ttext\n", errLine: 2, errHas: `no label column`, openErr: true},
		{name: "too few fields", in: "label\ttext\na\tx\nb x\n", want: []Example{ex(2, "a", "x")}, errLine: 3, errHas: "1 fields, the header has 2"},
		{name: "too many fields", in: "label\ttext\na\tx\ty\n", errLine: 2, errHas: "3 fields"},
		{name: "empty label", in: "label\ttext\n\tx\n", errLine: 2, errHas: "empty label"},
		{name: "several labels", in: "label\ttext\na,b\tx\n", want: []Example{exm(2, "x", "a", "b")}},
	})
}

func TestJSONL(t *testing.T) {
	runReadCases(t, FormatJSONL, "in.jsonl", []readCase{
		{name: "basic", in: `{"text": "good \"film\"", "label": "pos"}` + "\n" + `{"label":"neg","text":"bad","id":7}`,
			want: []Example{ex(1, "pos", `good "film"`), ex(2, "neg", "bad")}},
		{name: "numeric labels as written", in: `{"text":"a","label":1}` + "\n" + `{"text":"b","label":-2.5}` + "\n",
			want: []Example{ex(1, "1", "a"), ex(2, "-2.5", "b")}},
		{name: "blank lines skipped, crlf, bom", in: "\xEF\xBB\xBF\r\n" + `{"text":"a","label":"x"}` + "\r\n   \n" + `{"text":"b","label":"y"}`,
			want: []Example{ex(2, "x", "a"), ex(4, "y", "b")}},
		{name: "unicode escapes and invalid bytes", in: `{"text":"caf\u00e9 \ud83d\ude00 caf` + "\xe9" + `","label":"x"}`,
			want: []Example{ex(1, "x", "café 😀 caf\uFFFD")}},
		{name: "custom fields joined", in: `{"title":"T","body":"B","y":"c"}`,
			opt:  func(o *ReadOptions) { o.LabelColumn = "y"; o.TextColumns = []string{"title", "body"} },
			want: []Example{ex(1, "c", "T B")}},
		{name: "empty text", in: `{"text":"","label":"x"}`, want: []Example{ex(1, "x", "")}},
		{name: "not json", in: `{"text":"a","label":"x"}` + "\n{oops\n", want: []Example{ex(1, "x", "a")}, errLine: 2, errHas: "invalid JSON"},
		{name: "array", in: `["a","b"]`, errLine: 1, errHas: "invalid JSON"},
		{name: "null line", in: `null`, errLine: 1, errHas: "not a JSON object"},
		{name: "missing label", in: `{"text":"a"}`, errLine: 1, errHas: `no field "label"`},
		{name: "missing text", in: `{"label":"a"}`, errLine: 1, errHas: `no field "text"`},
		{name: "bool label", in: `{"text":"a","label":true}`, errLine: 1, errHas: "string or a number"},
		{name: "null text", in: `{"text":null,"label":"a"}`, errLine: 1, errHas: "must be a string"},
		{name: "number text", in: `{"text":3,"label":"a"}`, errLine: 1, errHas: "must be a string"},
		{name: "empty label", in: `{"text":"x","label":""}`, errLine: 1, errHas: "empty label"},
		{name: "trailing garbage", in: `{"text":"x","label":"a"} x`, errLine: 1, errHas: "invalid JSON"},
		{name: "a list of one label", in: `{"text":"a","label":["x"]}` + "\n" + `{"text":"b","label":[ 7 , 7 ]}`,
			want: []Example{ex(1, "x", "a"), ex(2, "7", "b")}},
		{name: "a list of several labels", in: `{"text":"a","label":"x"}` + "\n" + `{"text":"b","label":["x", "y", 3, "x"]}`,
			want: []Example{ex(1, "x", "a"), exm(2, "b", "x", "y", "3")}},
		{name: "a string label is not split", in: `{"text":"a","label":"x,y"}`, want: []Example{ex(1, "x,y", "a")}},
		{name: "an empty list", in: `{"text":"a","label":[]}`, errLine: 1, errHas: "empty label list"},
		{name: "a list of lists", in: `{"text":"a","label":[["x"]]}`, errLine: 1, errHas: "string or a number"},
	})
}

// Single-label encoding refuses a record with several labels, naming it;
// multi-label encoding gives each record its sorted class indices.
func TestEncodeMultiLabel(t *testing.T) {
	ex := []Example{
		{Text: "x", Label: "a", File: "m.txt", Line: 1},
		{Text: "y", Label: "c", Labels: []string{"c", "a"}, File: "m.txt", Line: 2},
	}
	labels, err := LabelsFromExamples(ex, nil)
	if err != nil || !reflect.DeepEqual(labels.Names(), []string{"a", "c"}) {
		t.Fatalf("labels %v, %v; want [a c]", labels.Names(), err)
	}
	vocab, err := BuildVocab(ex, DefaultTextConfig())
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewEncoder(DefaultTextConfig(), vocab)
	if err != nil {
		t.Fatal(err)
	}
	_, err = EncodeExamples(ex, enc, labels)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !errors.Is(err, ErrMultiLabel) ||
		!strings.Contains(err.Error(), `m.txt:2: several labels on one record ("c", "a"): the model is single-label`) {
		t.Errorf("single-label encoding: %v", err)
	}
	ds, err := EncodeMultiLabel(ex, enc, labels)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int32{{0}, {0, 1}}; !reflect.DeepEqual(ds.LabelSets, want) || ds.Labels != nil {
		t.Errorf("label sets %v (labels %v), want %v", ds.LabelSets, ds.Labels, want)
	}
	if _, err := EncodeMultiLabel([]Example{{Text: "z", Label: "b", File: "t.txt", Line: 4}}, enc, labels); !errors.Is(err, ErrUnknownLabel) ||
		!strings.Contains(err.Error(), `t.txt:4: unknown label "b"`) {
		t.Errorf("unknown label: %v", err)
	}
}

func TestSkipBad(t *testing.T) {
	in := "label,text\na,x\nb\nc,\"bad\"quote\nd,y\ne,z,extra\n"
	opt := defaultReadOptions(FormatCSV)
	opt.SkipBad = true
	got, skipped, err := readString(t, in, "s.csv", opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{ex(2, "a", "x"), ex(5, "d", "y")}
	if !reflect.DeepEqual(got, want) || skipped != 3 {
		t.Errorf("got %v skipped %d, want %v skipped 3", got, skipped, want)
	}
	// A header problem is never skipped.
	if _, _, err := readString(t, "x,y\n", "h.csv", opt); !errors.Is(err, ErrMalformed) {
		t.Errorf("header error with SkipBad = %v, want ErrMalformed", err)
	}
}

func TestParseErrorMessage(t *testing.T) {
	e := &ParseError{File: "a.csv", Line: 12, Err: ErrMalformed}
	if got, want := e.Error(), "a.csv:12: malformed record"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &ParseError{File: "dir/x", Err: ErrUnreadable}
	if got, want := e.Error(), "dir/x: unreadable file"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, ErrUnreadable) {
		t.Error("ParseError does not unwrap to its Err")
	}
	_, _, err := readString(t, "label,text\na,\"x\n", "m.csv", defaultReadOptions(FormatCSV))
	if err == nil || !strings.HasPrefix(err.Error(), "m.csv:2: malformed record: ") {
		t.Errorf("error = %v, want prefix m.csv:2: malformed record:", err)
	}
}

func TestDetectFormat(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		path, format, want string
		wantErr            bool
	}{
		{"a.txt", "auto", FormatFastText, false},
		{"A.TXT", "", FormatFastText, false},
		{"x/a.csv", "auto", FormatCSV, false},
		{"a.tsv", "auto", FormatTSV, false},
		{"a.jsonl", "auto", FormatJSONL, false},
		{"a.ndjson", "auto", FormatJSONL, false},
		{"-", "auto", FormatFastText, false},
		{dir, "auto", FormatDir, false},
		{"a.dat", "auto", "", true},
		{"noext", "auto", "", true},
		{"a.dat", "csv", FormatCSV, false},
		{"a.csv", "tsv", FormatTSV, false},
		{"a.csv", "xml", "", true},
	}
	for _, tt := range tests {
		got, err := DetectFormat(tt.path, tt.format)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("DetectFormat(%q, %q) = %q, %v; want %q, error %v", tt.path, tt.format, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "data.format") && !errors.Is(err, ErrFormat) {
			t.Errorf("error %q should tell how to set the format", err)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAndReadAll(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "train.csv")
	writeFile(t, p, "label,text\nb,x\na,y\n")
	exs, skipped, err := ReadAll(p, defaultReadOptions(FormatAuto))
	if err != nil || skipped != 0 {
		t.Fatal(err, skipped)
	}
	if len(exs) != 2 || exs[0].File != p || exs[1].Line != 3 || exs[1].Label != "a" {
		t.Errorf("ReadAll = %+v", exs)
	}

	empty := filepath.Join(dir, "empty.txt")
	writeFile(t, empty, "\n\n")
	if _, _, err := ReadAll(empty, defaultReadOptions(FormatAuto)); !errors.Is(err, ErrEmpty) {
		t.Errorf("ReadAll(empty) = %v, want ErrEmpty", err)
	} else if !strings.HasPrefix(err.Error(), empty+": ") {
		t.Errorf("empty error %q does not name the file", err)
	}

	allBad := filepath.Join(dir, "bad.txt")
	writeFile(t, allBad, "no label\n")
	opt := defaultReadOptions(FormatAuto)
	opt.SkipBad = true
	if _, skipped, err := ReadAll(allBad, opt); !errors.Is(err, ErrEmpty) || skipped != 1 {
		t.Errorf("ReadAll(all bad, skip) = %d, %v; want 1 skipped and ErrEmpty", skipped, err)
	}

	if _, _, err := ReadAll(filepath.Join(dir, "missing.txt"), opt); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file error = %v", err)
	}
	if _, err := Open(dir, defaultReadOptions(FormatCSV)); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Open(dir, csv) = %v, want a directory error", err)
	}
	if _, err := Open(filepath.Join(dir, "x.bin"), defaultReadOptions(FormatAuto)); err == nil {
		t.Error("Open of unknown extension succeeded")
	}
	if _, err := NewReader(strings.NewReader(""), "", defaultReadOptions(FormatAuto)); err == nil {
		t.Error("NewReader without name or format succeeded")
	}
	if _, err := NewReader(strings.NewReader(""), "x", defaultReadOptions(FormatDir)); err == nil {
		t.Error("NewReader with the dir format succeeded")
	}
}

func TestDir(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "pos", "b.txt"), "good\r\nfilm")
	writeFile(t, filepath.Join(root, "pos", "a.txt"), "\xEF\xBB\xBFgreat caf\xe9")
	writeFile(t, filepath.Join(root, "pos", "sub", "c"), "nested")
	writeFile(t, filepath.Join(root, "pos", ".hidden"), "skip me")
	writeFile(t, filepath.Join(root, "pos", ".git", "x"), "skip me too")
	writeFile(t, filepath.Join(root, "neg", "10"), "bad")
	writeFile(t, filepath.Join(root, "neg", "empty"), "")
	writeFile(t, filepath.Join(root, ".cache", "x"), "hidden class")
	writeFile(t, filepath.Join(root, "README"), "not a class")
	if err := os.Mkdir(filepath.Join(root, "zzz"), 0o755); err != nil { // a class without files
		t.Fatal(err)
	}

	got, skipped, err := ReadAll(root, defaultReadOptions(FormatAuto))
	if err != nil || skipped != 0 {
		t.Fatal(err, skipped)
	}
	want := []Example{
		{Label: "neg", Text: "bad", File: filepath.Join(root, "neg", "10")},
		{Label: "neg", Text: "", File: filepath.Join(root, "neg", "empty")},
		{Label: "pos", Text: "great caf\uFFFD", File: filepath.Join(root, "pos", "a.txt")},
		{Label: "pos", Text: "good\r\nfilm", File: filepath.Join(root, "pos", "b.txt")},
		{Label: "pos", Text: "nested", File: filepath.Join(root, "pos", "sub", "c")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	// An unreadable document is a ParseError naming it, or is skipped.
	bad := filepath.Join(root, "neg", "10")
	if err := os.Chmod(bad, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(bad, 0o644)
	if f, err := os.Open(bad); err == nil { // running as root: permissions do not apply
		f.Close()
		t.Log("running with privileges that bypass file modes; using a dangling symlink instead")
		os.Chmod(bad, 0o644)
		bad = filepath.Join(root, "neg", "11")
		if err := os.Symlink(filepath.Join(root, "nowhere"), bad); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = ReadAll(root, defaultReadOptions(FormatDir))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != bad || pe.Line != 0 || !errors.Is(err, ErrUnreadable) {
		t.Fatalf("unreadable file error = %v, want ParseError for %s", err, bad)
	}
	if !strings.HasPrefix(err.Error(), bad+": unreadable file: ") {
		t.Errorf("message %q", err)
	}
	opt := defaultReadOptions(FormatDir)
	opt.SkipBad = true
	got, skipped, err = ReadAll(root, opt)
	if err != nil || skipped != 1 || len(got) != len(want) {
		t.Errorf("with SkipBad: %d examples, %d skipped, %v; want %d, 1, nil", len(got), skipped, err, len(want))
	}

	if _, _, err := ReadAll(t.TempDir(), defaultReadOptions(FormatDir)); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty dir = %v, want ErrEmpty", err)
	}
}

// A class folder that is a symbolic link is followed: its documents count,
// rather than leaving a class with none (and, with two classes, a one-class
// model).
func TestDirSymlinkedClass(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	for _, f := range []struct{ dir, name, text string }{
		{filepath.Join(root, "pos"), "a.txt", "good film"},
		{elsewhere, "b.txt", "bad film"},
		{elsewhere, "c.txt", "awful"},
	} {
		if err := os.MkdirAll(f.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f.dir, f.name), []byte(f.text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(elsewhere, filepath.Join(root, "neg")); err != nil {
		t.Fatal(err)
	}
	ex, _, err := ReadAll(root, ReadOptions{Format: FormatDir})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range ex {
		count[e.Label]++
	}
	if count["pos"] != 1 || count["neg"] != 2 {
		t.Errorf("documents per class %v, want pos 1, neg 2", count)
	}
}

// An unterminated quote under SkipBad costs one record, the one it opens:
// the lines after it are read again as records of their own.
func TestCSVUnterminatedQuoteSkipsOneRecord(t *testing.T) {
	in := "label,text\na,x\nb,\"open\nc,y\nd,\"two\nlines\"\ne,z\n"
	opt := defaultReadOptions(FormatCSV)
	opt.SkipBad = true
	got, skipped, err := readString(t, in, "q.csv", opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{ex(2, "a", "x"), ex(4, "c", "y"), ex(5, "d", "two\nlines"), ex(7, "e", "z")}
	if !reflect.DeepEqual(got, want) || skipped != 1 {
		t.Errorf("got %v, %d skipped; want %v, 1", got, skipped, want)
	}
}
