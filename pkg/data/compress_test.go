package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func gzipString(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// Every format reads a gzip-compressed file as the plain one: named .gz
// (the format detected through it) or told by the magic bytes alone.
func TestGzipInputs(t *testing.T) {
	files := map[string]string{
		"a.txt":   "\xEF\xBB\xBF__label__x one two\n\n__label__y three\r\n__label__x caf\xe9",
		"a.csv":   "label,text\nx,\"one, two\"\ny,\"multi\nline\"\n",
		"a.tsv":   "label\ttext\nx\tone \"two\"\ny\tthree\n",
		"a.jsonl": `{"label":"x","text":"one"}` + "\n" + `{"label":2,"text":"two"}` + "\n",
	}
	dir := t.TempDir()
	for name, content := range files {
		plain := filepath.Join(dir, name)
		writeFile(t, plain, content)
		want, _, err := ReadAll(plain, defaultReadOptions(FormatAuto))
		if err != nil {
			t.Fatal(err)
		}
		for _, gz := range []string{plain + ".gz", plain + ".GZ", filepath.Join(dir, "magic", name)} {
			writeFile(t, gz, gzipString(t, content))
			got, _, err := ReadAll(gz, defaultReadOptions(FormatAuto))
			if err != nil {
				t.Fatalf("%s: %v", gz, err)
			}
			for i := range got {
				if got[i].File != gz {
					t.Errorf("%s: File = %q", gz, got[i].File)
				}
				got[i].File = plain
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %+v\nwant %+v", gz, got, want)
			}
		}
	}
	// Concatenated gzip members (gzip a >> f; gzip b >> f) are one stream.
	two := gzipString(t, "__label__a x\n") + gzipString(t, "__label__b y\n")
	got, _, err := readString(t, two, "two.txt.gz", defaultReadOptions(FormatAuto))
	if want := []Example{ex(1, "a", "x"), ex(2, "b", "y")}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("two members: %v %v, want %v", got, err, want)
	}
}

func TestDetectFormatThroughGzip(t *testing.T) {
	for path, want := range map[string]string{
		"reviews.csv.gz": FormatCSV, "a.TSV.GZ": FormatTSV, "x.txt.gz": FormatFastText,
		"x.jsonl.gz": FormatJSONL, "x.ndjson.gz": FormatJSONL,
	} {
		if got, err := DetectFormat(path, FormatAuto); err != nil || got != want {
			t.Errorf("DetectFormat(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := DetectFormat("x.gz", FormatAuto); err == nil || !strings.Contains(err.Error(), "with .gz") {
		t.Errorf("DetectFormat(x.gz) = %v, want an error naming .gz", err)
	}
}

func TestGzipClassFolder(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "pos", "1.txt"), "good film")
	writeFile(t, filepath.Join(root, "pos", "2.txt.gz"), gzipString(t, "\xEF\xBB\xBFgreat\nfilm"))
	writeFile(t, filepath.Join(root, "neg", "3"), gzipString(t, "bad"))
	got, _, err := ReadAll(root, defaultReadOptions(FormatAuto))
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, e := range got {
		texts = append(texts, e.Label+":"+e.Text)
	}
	if want := []string{"neg:bad", "pos:good film", "pos:great\nfilm"}; !reflect.DeepEqual(texts, want) {
		t.Errorf("got %q, want %q", texts, want)
	}
	// A damaged document is an unreadable file: skipped under SkipBad.
	writeFile(t, filepath.Join(root, "neg", "4.gz"), "plain")
	if _, _, err := ReadAll(root, defaultReadOptions(FormatAuto)); !errors.Is(err, ErrUnreadable) ||
		!strings.Contains(err.Error(), "4.gz: unreadable file: not gzip-compressed") {
		t.Errorf("plain .gz document: %v", err)
	}
	opt := defaultReadOptions(FormatAuto)
	opt.SkipBad = true
	if got, skipped, err := ReadAll(root, opt); err != nil || len(got) != 3 || skipped != 1 {
		t.Errorf("SkipBad: %d examples, %d skipped, %v; want 3, 1, nil", len(got), skipped, err)
	}
}

// Input that does not decompress ends the stream with a *ParseError naming
// the file, under SkipBad too (nothing after it can be read).
func TestGzipDamaged(t *testing.T) {
	good := gzipString(t, strings.Repeat("__label__a some text\n", 2000))
	for _, tt := range []struct {
		name, in, file, has string
	}{
		{"plain named .gz", "__label__a x\n", "p.txt.gz", "p.txt.gz: unreadable file: not gzip-compressed, though its name ends in .gz"},
		{"empty .gz", "", "e.txt.gz", "e.txt.gz: unreadable file: empty file"},
		{"bad header", "\x1f\x8b\x99junk", "h.txt", "h.txt: unreadable file: damaged gzip header"},
		{"truncated", good[:len(good)/2], "t.txt", "t.txt: unreadable file: damaged gzip data after"},
		{"bad checksum", good[:len(good)-5] + "\x00\x00\x00\x00\x00", "c.txt", "c.txt: unreadable file: damaged gzip data"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, skip := range []bool{false, true} {
				opt := defaultReadOptions(FormatFastText)
				opt.SkipBad = skip
				_, skipped, err := readString(t, tt.in, tt.file, opt)
				var pe *ParseError
				if !errors.As(err, &pe) || !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), tt.has) {
					t.Fatalf("SkipBad %v: error %v, want a ParseError containing %q", skip, err, tt.has)
				}
				if skipped != 0 {
					t.Errorf("SkipBad %v: %d skipped", skip, skipped)
				}
			}
		})
	}
}

// A decompressed line longer than the limit is refused with its number.
func TestGzipLineLimit(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 5000) + "\n"
	g := newGunzip(strings.NewReader(gzipString(t, in)), "big.txt.gz")
	g.limit = 4096
	_, err := io.ReadAll(g)
	if err == nil || !strings.Contains(err.Error(), "big.txt.gz:2: unreadable file: line longer than") {
		t.Errorf("got %v, want a line-length error at line 2", err)
	}
	g = newGunzip(strings.NewReader(gzipString(t, in)), "ok.txt.gz")
	g.limit = 5000
	if b, err := io.ReadAll(g); err != nil || string(b) != in {
		t.Errorf("at the limit: %d bytes, %v", len(b), err)
	}
}

// The lines reader of predict decompresses too, and a plain first line is
// returned without waiting for more input.
func TestLineReaderGzip(t *testing.T) {
	lr := NewLineReader(strings.NewReader(gzipString(t, "one\n\ntwo")))
	var got []string
	for {
		s, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if want := []string{"one", "", "two"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	pr, pw := io.Pipe()
	go pw.Write([]byte("\n")) // one byte, then nothing more
	lr = NewLineReader(pr)
	if s, err := lr.Next(); s != "" || err != nil {
		t.Errorf("first line %q, %v", s, err)
	}
	pw.Close()
}
